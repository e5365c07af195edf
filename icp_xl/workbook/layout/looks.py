"""Looks and print setup: the input-cell style, column fitting, paper size, orientation and
scaling per sheet, and the number formats of a table's columns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from icp_xl.core.inputs.cells import column_letter, parse_cell
from icp_xl.workbook.layout.kinds import (
    ACCOUNT,
    CHART_DATA,
    DASHBOARD,
    DATA_QUALITY,
    MOVERS,
    OPTIMIZATION,
    SCORES,
    SEGMENTS_SHEET,
    SETTINGS,
    TOP_CUSTOMERS,
    WEIGHTS,
    SheetSpec,
)
from icp_xl.workbook.layout.live import LIVE_MODE
from icp_xl.workbook.layout.names import (
    SCORING_MODE,
    SEGMENT_VIEW,
    WEIGHT_NAMES,
    _settings_cells,
)
from icp_xl.workbook.layout.outcomes import (
    GRADE_HISTORY,
    OPPORTUNITIES,
    OUTCOMES,
    OUTCOMES_HIDDEN_COLUMNS,
    WON_TOP,
)
from icp_xl.workbook.layout.regions import (
    CANDIDATE_WEIGHT_NAMES,
    FOLDS_TOP,
    GRADES_TOP,
    HISTORY_FORMAT_ROWS,
    HISTORY_TOP,
    MIGRATION_SHARES_TOP,
    MIGRATION_TOP,
    PREVIEW_CAPTION_ROW,
    PREVIEW_TOP,
    SUMMARY_TOP,
    TABLES_BY_NAME,
    TOP_CUSTOMERS_COUNT,
    TOP_CUSTOMERS_HEADER_ROW,
    WEIGHTS_TOP,
)
from icp_xl.workbook.layout.tables import (
    ACCOUNT_COMPONENTS_HEADER_ROW,
    ACCOUNT_GRID_TOP,
    ACCOUNT_PICK,
    DATA_QUALITY_HEADER_ROW,
    LIFTS_HEADER_ROW,
)

# ---------------------------------------------------------------- looks and print setup
# Applied by the file host to EVERY sheet of :data:`SHEETS` (a sheet added to the layout
# gets them without further declarations): a print setup (declared below or the generic
# one), input-cell style for the inputs, hidden helper sheets, columns fitted to their
# content for table-like sheets (a ``freeze`` and no declared widths).

INPUT_FILL = "FFF2CC"  # light yellow: the "ICP input" cell style of every input cell
INPUT_STYLE = "ICP input"
# Grade History is the backtest's log (thousands of rows nobody reads): hidden, not printed.
HIDDEN_SHEETS: frozenset[str] = frozenset({CHART_DATA, GRADE_HISTORY})
# Helper columns that formulas and charts read but people need not see (columns first:last).
HIDDEN_COLUMNS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {MOVERS: ("AA", "BC"), OUTCOMES: OUTCOMES_HIDDEN_COLUMNS}
)
FIT_WIDTH_BOUNDS: tuple[float, float] = (6.0, 48.0)  # characters, for fitted columns
FIT_SAMPLE_ROWS = 2000  # rows measured below a header when fitting column widths


@dataclass(frozen=True)
class SheetPrint:
    """How a sheet prints: orientation; fit to ``fit_wide`` pages wide and ``fit_tall``
    pages tall (0 = as many as needed), or, with ``scale`` (percent), printed at that size
    on as many pages as it takes (a wide table stays readable); ``title_rows`` and
    ``title_columns`` repeated on every page (e.g. ``"1:1"``, ``"A:B"``, None = none);
    margins in inches (left, right, top, bottom); and whether the sheet is centred
    horizontally on the page."""

    landscape: bool = True
    fit_wide: int = 1
    fit_tall: int = 0
    title_rows: str | None = None
    title_columns: str | None = None
    scale: int | None = None
    margins: tuple[float, float, float, float] = (0.4, 0.4, 0.5, 0.5)
    centered: bool = False


PRINT_SETUPS: Mapping[str, SheetPrint] = MappingProxyType(
    {
        DASHBOARD: SheetPrint(fit_tall=1, margins=(0.3, 0.3, 0.3, 0.3), centered=True),
        SEGMENTS_SHEET: SheetPrint(fit_tall=1, margins=(0.3, 0.3, 0.3, 0.3), centered=True),
        WEIGHTS: SheetPrint(landscape=False, fit_tall=1),
        DATA_QUALITY: SheetPrint(title_rows=f"{DATA_QUALITY_HEADER_ROW}:{DATA_QUALITY_HEADER_ROW}"),
        # Wide sheets print at a readable size over several pages, not shrunk to one.
        SETTINGS: SheetPrint(scale=70),
        SCORES: SheetPrint(scale=70, title_rows="1:1", title_columns="A:B"),
        TOP_CUSTOMERS: SheetPrint(fit_tall=3, title_rows="4:4"),
        ACCOUNT: SheetPrint(landscape=False, fit_tall=1),
        OPPORTUNITIES: SheetPrint(landscape=False, title_rows="1:1"),  # 8 columns: portrait
        OPTIMIZATION: SheetPrint(
            title_rows=f"{parse_cell(HISTORY_TOP)[0]}:{parse_cell(HISTORY_TOP)[0]}"
        ),
    }
)


def print_setup(spec: SheetSpec) -> SheetPrint:
    """The print setup of a sheet: the declared one, else landscape, one page wide, with the
    rows above the frozen pane (a table header) repeated on every page."""
    declared = PRINT_SETUPS.get(spec.name)
    if declared is not None:
        return declared
    if spec.freeze:
        header_rows = parse_cell(spec.freeze)[0] - 1
        if 1 <= header_rows <= 5:
            return SheetPrint(title_rows=f"1:{header_rows}")
    return SheetPrint()


def table_number_formats(table: str, header: Sequence[str]) -> list[str | None]:
    """The number format of each column of ``table`` with ``header`` (None = General)."""
    spec = TABLES_BY_NAME.get(table)
    by_header = {c.header: c.number_format for c in spec.columns} if spec else {}
    return [by_header.get(str(h)) for h in header]


def fitted_header_row(spec: SheetSpec) -> int | None:
    """The header row whose block (down to the first empty row) sets the column widths of
    a table-like sheet (frozen, no declared widths); None for form-like sheets."""
    if spec.widths or not spec.freeze or spec.name in HIDDEN_SHEETS:
        return None
    return max(parse_cell(spec.freeze)[0] - 1, 1)


def input_cell_names() -> tuple[str, ...]:
    """Names of the cells the user edits (current weights, Settings values, the scoring
    mode, the segment view and account selectors, the candidate weights); they get the
    input style."""
    return (
        *WEIGHT_NAMES.values(),
        *(n.name for n in _settings_cells),
        SCORING_MODE.name,
        LIVE_MODE.name,
        SEGMENT_VIEW.name,
        ACCOUNT_PICK.name,
        *CANDIDATE_WEIGHT_NAMES.values(),
    )


def _header_right_of(top_left: str, width: int) -> str:
    """The ``width`` header cells right of a block's first header cell ``top_left``."""
    row, column = parse_cell(top_left)
    return f"{column_letter(column + 1)}{row}:{column_letter(column + width)}{row}"


# Headers of number columns in the sheets' fixed blocks (not tables): right-aligned over
# their right-aligned numbers, so a wide column's number never reads as the next header's.
_ACCOUNT_LIFTS_HEADER = ACCOUNT_GRID_TOP + LIFTS_HEADER_ROW
_PREVIEW_TOP_ROW = parse_cell(PREVIEW_TOP)[0]
RIGHT_ALIGNED_RANGES: tuple[tuple[str, str], ...] = (
    (ACCOUNT, f"B{ACCOUNT_COMPONENTS_HEADER_ROW}:F{ACCOUNT_COMPONENTS_HEADER_ROW}"),
    (ACCOUNT, f"B{_ACCOUNT_LIFTS_HEADER}:B{_ACCOUNT_LIFTS_HEADER}"),  # mostly numbers
    (ACCOUNT, f"D{_ACCOUNT_LIFTS_HEADER}:E{_ACCOUNT_LIFTS_HEADER}"),
    (MOVERS, _header_right_of(MIGRATION_TOP, 6)),  # grade migration: counts, total
    (MOVERS, _header_right_of(MIGRATION_SHARES_TOP, 5)),  # share of each previous grade
    (MOVERS, "D14:F14"),
    (MOVERS, "L14:L14"),
    (MOVERS, "D27:F27"),
    (MOVERS, "L27:L27"),
    (OPTIMIZATION, f"L{_PREVIEW_TOP_ROW + 1}:Q{_PREVIEW_TOP_ROW + 1}"),  # preview migration
    (OPTIMIZATION, f"L{_PREVIEW_TOP_ROW + 9}:M{_PREVIEW_TOP_ROW + 9}"),  # Candidate, Current
    *(
        (OPTIMIZATION, _header_right_of(top, width))
        for top, width in (
            (SUMMARY_TOP, 1),
            (WEIGHTS_TOP, 3),
            (GRADES_TOP, 2),
            (FOLDS_TOP, 1),
            (HISTORY_TOP, 6),
        )
    ),
    (OPTIMIZATION, f"{HISTORY_TOP}:{HISTORY_TOP}"),  # trial numbers
    (OPTIMIZATION, f"{FOLDS_TOP}:{FOLDS_TOP}"),  # fold numbers
    (OPTIMIZATION, f"L{PREVIEW_CAPTION_ROW + 1}:M{PREVIEW_CAPTION_ROW + 1}"),  # the weights
    (OPTIMIZATION, _header_right_of(WON_TOP, 3)),  # the won target's figures
    (OPTIMIZATION, "T25:Y25"),  # the Outcomes under the candidate weights: figures' headers
)

# Ranges whose cells are centred (numbers next to text read apart).
CENTERED_RANGES: tuple[tuple[str, str], ...] = (
    (
        TOP_CUSTOMERS,
        f"A{TOP_CUSTOMERS_HEADER_ROW + 1}:A{TOP_CUSTOMERS_HEADER_ROW + TOP_CUSTOMERS_COUNT}",
    ),
    (
        OPTIMIZATION,
        f"H{parse_cell(HISTORY_TOP)[0] + 1}:H{parse_cell(HISTORY_TOP)[0] + HISTORY_FORMAT_ROWS}",
    ),
)
