"""Looks and print setup: the input-cell style, column fitting, paper size, orientation and
scaling per sheet, and the number formats of a table's columns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from icp_xl.core.inputs.cells import parse_cell
from icp_xl.workbook.layout.kinds import (
    ACCOUNT,
    CHART_DATA,
    DASHBOARD,
    DATA_QUALITY,
    MOVERS,
    OPTIMIZATION,
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
)
from icp_xl.workbook.layout.regions import (
    CANDIDATE_WEIGHT_NAMES,
    HISTORY_FORMAT_ROWS,
    HISTORY_TOP,
    TABLES_BY_NAME,
    TOP_CUSTOMERS_COUNT,
    TOP_CUSTOMERS_HEADER_ROW,
)
from icp_xl.workbook.layout.tables import (
    ACCOUNT_PICK,
    DATA_QUALITY_HEADER_ROW,
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
    pages tall (0 = as many as needed); ``title_rows`` repeated on every page (e.g.
    ``"1:1"``, None = none); margins in inches (left, right, top, bottom); and whether the
    sheet is centred horizontally on the page."""

    landscape: bool = True
    fit_wide: int = 1
    fit_tall: int = 0
    title_rows: str | None = None
    margins: tuple[float, float, float, float] = (0.4, 0.4, 0.5, 0.5)
    centered: bool = False


PRINT_SETUPS: Mapping[str, SheetPrint] = MappingProxyType(
    {
        DASHBOARD: SheetPrint(fit_tall=1, margins=(0.3, 0.3, 0.3, 0.3), centered=True),
        SEGMENTS_SHEET: SheetPrint(fit_tall=1, margins=(0.3, 0.3, 0.3, 0.3), centered=True),
        WEIGHTS: SheetPrint(landscape=False, fit_tall=1),
        DATA_QUALITY: SheetPrint(title_rows=f"{DATA_QUALITY_HEADER_ROW}:{DATA_QUALITY_HEADER_ROW}"),
        SETTINGS: SheetPrint(fit_tall=1),
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
