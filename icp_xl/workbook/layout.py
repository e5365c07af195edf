"""The ICP workbook, described once: sheets, tables, named cells, formats.

Everything a host needs to build or find a part of the workbook is here as
data; :mod:`icp_xl.hosts.file.book` builds the structure from it, actions find cells
through the names and tables it declares, and ``workbook/README.md`` documents
the same contract for users. Nothing here touches a host library.

Roles: ``input`` sheets belong to the user (actions read them, and only the
explicit weight buttons and *Import accounts* write them); ``output`` sheets are
rewritten by actions; ``external`` regions are filled by other modules (charts,
optimizer) through blocks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from icp_xl.core.accounts import ACCOUNT_COLUMNS
from icp_xl.core.cells import column_letter, parse_cell, parse_range, range_ref
from icp_xl.core.explain import (
    COMPONENTS_HEADER_ROW,
    GRID_ROWS,
    GRID_WIDTH,
    LIFT_INPUTS,
    LIFTS_HEADER_ROW,
    POINTS_COLUMNS,
    RAW_ROW,
    REASON_COLUMN,
    SUMMARY_LABELS,
)
from icp_xl.core.industries import DEFAULT_INDUSTRY_MAP, industry_key
from icp_xl.core.optimizer_defaults import DEFAULT_TRIALS
from icp_xl.core.segments import ALL_SEGMENTS, SEGMENT_VIEWS
from icp_xl.core.settings import (
    COMPONENTS,
    DEFAULT_GRADE_SHARES,
    DEFAULT_SIZE_TIERS,
    DEFAULT_VERTICAL_TABLE,
    DEFAULT_WEIGHTS,
    GRADES,
    Settings,
)

# Number formats (Excel format codes).
MONEY = '"$"#,##0'
ANNUAL_REVENUE = '"$"#,##0;-"$"#,##0;"unknown"'  # 0 is unknown revenue, never "$0"
SCORE = "0.0"
COMPONENT = "0.000"
WEIGHT = "0.00"
PERCENT = "0.0%"
COUNT = "#,##0"
INTEGER = "0"
TIMESTAMP = "yyyy-mm-dd hh:mm:ss"

ACCOUNTS = "Accounts"
WEIGHTS = "Weights"
SETTINGS = "Settings"
SCORES = "Scores"
DASHBOARD = "Dashboard"
SEGMENTS_SHEET = "Segments"
TOP_CUSTOMERS = "Top Customers"
OPTIMIZATION = "Optimization"
ACCOUNT = "Account"
CHART_DATA = "Chart Data"
DATA_QUALITY = "Data Quality"
MOVERS = "Movers"
MOVERS_WIDTHS: Mapping[str, float] = MappingProxyType(
    {"A": 16, "B": 20, "C": 11, "D": 20, "E": 17, "F": 12, "G": 26, "H": 34, "I": 9, "J": 16,
     "K": 26, **{c: 10 for c in "LMNOPQ"}}
)  # fmt: skip

Role = Literal["input", "output", "external"]


@dataclass(frozen=True)
class SheetSpec:
    """One sheet: its name, role, title in A1 (None = leave A1 to the content),
    column widths by letter, the top-left cell of the unfrozen area, a note, and the
    header rows whose text wraps (two lines high)."""

    name: str
    role: Role
    title: str | None = None
    widths: Mapping[str, float] = field(default_factory=dict)
    freeze: str | None = None
    note: str | None = None
    wrapped_rows: tuple[int, ...] = ()


@dataclass(frozen=True)
class Column:
    """A table or block column: header text, number format and width (None = default)."""

    header: str
    number_format: str | None = None
    width: float | None = None


@dataclass(frozen=True)
class TableSpec:
    """An Excel table (ListObject) with its header row starting at ``top_left``."""

    name: str
    sheet: str
    top_left: str
    columns: tuple[Column, ...]
    style: str = "TableStyleMedium2"

    @property
    def header(self) -> tuple[str, ...]:
        return tuple(c.header for c in self.columns)


@dataclass(frozen=True)
class NamedCell:
    """A workbook-scope defined name for one cell, with the label written to its left
    (``label`` None = no label), default value (a formula when text starts with '=')
    and number format."""

    name: str
    sheet: str
    ref: str
    label: str | None
    default: Any = None
    number_format: str | None = None


@dataclass(frozen=True)
class FormatRange:
    """A static range of an output sheet that always carries ``number_format``."""

    sheet: str
    ref: str
    number_format: str


@dataclass(frozen=True)
class TextCell:
    """A fixed caption (section header or column header) written when the sheet is built."""

    sheet: str
    ref: str
    text: str
    bold: bool = True


# ---------------------------------------------------------------- sheets

SHEETS: tuple[SheetSpec, ...] = (
    SheetSpec(ACCOUNTS, "input", freeze="B2"),
    SheetSpec(
        WEIGHTS,
        "input",
        "ICP weights",
        {"A": 30, "B": 20, "C": 14, "D": 14, "E": 60},
        freeze="A3",
        note="Edit the yellow cells (current weights; they must sum to 1), then Rescore.",
    ),
    SheetSpec(
        SETTINGS,
        "input",
        "ICP settings",
        {
            "A": 38,
            "B": 16,
            "C": 10,
            "D": 18,
            "E": 18,
            "F": 10,
            "G": 3,
            "H": 36,
            "I": 14,
            "P": 3,
            "Q": 34,
            "R": 22,
            "S": 12,
        },  # fmt: skip
        freeze="A3",
        note="Edit the yellow cells or a table row, then Rescore.",
    ),
    SheetSpec(SCORES, "output", freeze="C2"),
    SheetSpec(
        DASHBOARD,
        "output",
        "ICP dashboard",
        {"A": 40, "B": 20, "C": 3, "D": 3, "E": 14},
        freeze="A3",
    ),
    SheetSpec(SEGMENTS_SHEET, "output", "Segment comparison", freeze="B4", wrapped_rows=(3,)),
    SheetSpec(TOP_CUSTOMERS, "output", None, freeze="C5", wrapped_rows=(4,)),
    SheetSpec(
        ACCOUNT,
        "output",
        "Account explained",
        {"A": 22, "B": 26, "C": 46, "D": 18, "E": 15, "F": 15},
        note="Pick a Customer ID in B3 (the dropdown lists the Scores table), then Rescore "
        "or Refresh: this sheet explains that account.",
    ),
    SheetSpec(
        OPTIMIZATION,
        "external",
        None,
        {
            "A": 30,
            "B": 13,
            "C": 13,
            "D": 13,
            "E": 13,
            "F": 13,
            "G": 13,
            "H": 13,
            "I": 6,
            "J": 10,
            "K": 30,
            **{c: 11 for c in "LMNOPQ"},
        },  # fmt: skip
        freeze="A3",
        note="Run Optimize (ribbon) or `icp-xl optimize ICP.xlsx` to fill this sheet.",
    ),
    SheetSpec(
        DATA_QUALITY,
        "output",
        "Data quality of the accounts",
        {"A": 19, "B": 10, "C": 34, "D": 9, "E": 140},
        freeze="A5",
        note="Written by every Rescore and Import: what the last read of the accounts found.",
    ),
    SheetSpec(
        MOVERS,
        "output",
        "Movers: what changed since the previous rescore",
        MOVERS_WIDTHS,
        freeze="A3",
        wrapped_rows=(41,),  # the Runs table's header (RUNS_TOP_LEFT)
    ),
    SheetSpec(CHART_DATA, "external", None),
)
SHEET_NAMES: tuple[str, ...] = tuple(s.name for s in SHEETS)
SHEETS_BY_NAME: Mapping[str, SheetSpec] = MappingProxyType({s.name: s for s in SHEETS})
INPUT_SHEETS: frozenset[str] = frozenset(s.name for s in SHEETS if s.role == "input")

# ---------------------------------------------------------------- tables

ACCOUNTS_TABLE = TableSpec(
    "AccountsTable",
    ACCOUNTS,
    "A1",
    tuple(
        Column(
            c.header,
            ANNUAL_REVENUE
            if c.field == "annual_revenue"
            else MONEY
            if "Revenue" in c.header or c.header == "GP24"
            else None,
            16,
        )
        for c in ACCOUNT_COLUMNS
    ),
)

# ---------------------------------------------------------------- per-account explanation
# Points of the raw score per component (100 * weight * component; they add up to the raw
# score) and a short reason, on Scores and Top Customers; the Account sheet, which explains
# the account picked in its AccountPick cell (written by actions.explanation).

POINTS_LABELS: Mapping[str, str] = MappingProxyType({c: f"{c.title()} points" for c in COMPONENTS})
SCORES_POINTS_FIELDS: tuple[tuple[Column, str], ...] = tuple(
    (Column(POINTS_LABELS[c], SCORE, 10), POINTS_COLUMNS[c]) for c in COMPONENTS
)
SCORES_EXPLANATION_FIELDS: tuple[tuple[Column, str], ...] = (
    *SCORES_POINTS_FIELDS,
    (Column("Reason", None, 50), REASON_COLUMN),
)
TOP_CUSTOMERS_POINTS_COLUMNS: tuple[tuple[str, str, str | None], ...] = tuple(
    (POINTS_COLUMNS[c], POINTS_LABELS[c], SCORE) for c in COMPONENTS
)
ACCOUNT_PICK = NamedCell("AccountPick", ACCOUNT, "B3", "Pick a Customer ID", None)
ACCOUNT_GRID_TOP = 5  # row of the explanation grid's first row (columns A-F)
ACCOUNT_GRID_REF = (
    f"A{ACCOUNT_GRID_TOP}:{column_letter(GRID_WIDTH)}{ACCOUNT_GRID_TOP + GRID_ROWS - 1}"
)
ACCOUNT_CHART_ROW = ACCOUNT_GRID_TOP + GRID_ROWS + 1  # the points chart sits below the grid
# Rows of the components table (Component, Score, Weight, Points, Portfolio, Segment) that
# the Account chart plots: the header row and the four component rows.
ACCOUNT_COMPONENTS_HEADER_ROW = ACCOUNT_GRID_TOP + COMPONENTS_HEADER_ROW
ACCOUNT_COMPONENT_ROWS = (ACCOUNT_COMPONENTS_HEADER_ROW + 1, ACCOUNT_COMPONENTS_HEADER_ROW + 4)
# The dropdown of AccountPick: every Customer ID of the Scores table (column A), however
# many there are.
ACCOUNT_PICK_CHOICES = "OFFSET(Scores!$A$2,0,0,MAX(1,COUNTA(Scores!$A:$A)-1),1)"
_LIFT_FORMATS = {"usd": MONEY, "count": COUNT, "text": None}


def _account_formats() -> list[FormatRange]:
    """Number formats of the Account grid's cells (fixed rows, see core.explain)."""
    top = ACCOUNT_GRID_TOP
    at = {label: top + i for i, label in enumerate(SUMMARY_LABELS)}
    ranges = [
        FormatRange(ACCOUNT, f"B{at['ICP score']}:B{at['ICP score']}", SCORE),
        FormatRange(ACCOUNT, f"B{at['Percentile']}:B{at['Percentile']}", PERCENT),
        FormatRange(ACCOUNT, f"B{at['Segment ICP score']}:B{at['Segment ICP score']}", SCORE),
    ]
    first, last = ACCOUNT_COMPONENT_ROWS
    raw_row = top + RAW_ROW
    ranges += [
        FormatRange(ACCOUNT, f"B{first}:B{last}", COMPONENT),
        FormatRange(ACCOUNT, f"C{first}:C{raw_row}", WEIGHT),
        FormatRange(ACCOUNT, f"D{first}:F{raw_row}", SCORE),
    ]
    for i, lift in enumerate(LIFT_INPUTS):
        row = top + LIFTS_HEADER_ROW + 1 + i
        number_format = _LIFT_FORMATS[lift.unit]
        if number_format:
            ranges += [
                FormatRange(ACCOUNT, f"B{row}:B{row}", number_format + "_)"),  # gap before C
                FormatRange(ACCOUNT, f"D{row}:D{row}", number_format),
            ]
        ranges.append(FormatRange(ACCOUNT, f"E{row}:E{row}", SCORE))
    return ranges


# Scores columns: header on the sheet -> the field it shows.
SCORES_FIELDS: tuple[tuple[Column, str], ...] = (
    (Column("Customer ID", None, 13), "customer_id"),
    (Column("Company Name", None, 28), "company_name"),
    (Column("Industry", None, 30), "industry"),
    (Column("Segment", None, 17), "customer_segment"),
    (Column("Vertical score", COMPONENT, 10), "vertical_score"),
    (Column("Size score", COMPONENT, 10), "size_score"),
    (Column("Adoption score", COMPONENT, 10), "adoption_score"),
    (Column("Relationship score", COMPONENT, 12), "relationship_score"),
    (Column("Raw score", SCORE, 10), "ICP_score_raw"),
    (Column("ICP score", SCORE, 10), "ICP_score"),
    (Column("Grade", None, 8), "ICP_grade"),
    (Column("Previous score", SCORE, 10), "previous_ICP_score"),  # history: the run before
    (Column("Previous grade", None, 9), "previous_ICP_grade"),
    (Column("Change", "+0.0;-0.0;0.0", 9), "ICP_score_change"),
    (Column("Segment ICP score", SCORE, 12), "segment_ICP_score"),
    (Column("Segment grade", None, 10), "segment_ICP_grade"),
    (Column("Annual Revenue", ANNUAL_REVENUE, 17), "annual_revenue"),
    (Column("Printer Count", COUNT, 10), "printer_count"),
    (Column("Consumable Revenue", MONEY, 14), "consumable_revenue"),
    (Column("Software Revenue", MONEY, 14), "software_revenue"),
    (Column("GP24", MONEY, 14), "gp24"),
    (Column("Target Revenue", MONEY, 15), "target_revenue"),
    *SCORES_EXPLANATION_FIELDS,
)
SCORES_TABLE = TableSpec("ScoresTable", SCORES, "A1", tuple(c for c, _ in SCORES_FIELDS))
HISTORY_SCORES_FIELDS: tuple[str, ...] = ("previous_ICP_score", "previous_ICP_grade",
                                          "ICP_score_change")  # fmt: skip

SIZE_TIERS_TABLE = TableSpec(
    "SizeTiers",
    SETTINGS,
    "D4",
    (Column("Lower (USD)", MONEY), Column("Upper (USD)", MONEY), Column("Size score", WEIGHT)),
    style="TableStyleLight9",
)
VERTICAL_TABLE = TableSpec(
    "VerticalTable",
    SETTINGS,
    "H4",
    (Column("Industry"), Column("Vertical score", WEIGHT)),
    style="TableStyleLight9",
)
# ---------------------------------------------------------------- data quality: the maps
# Column map (our column <-> the user's header) and Industry map (data spelling ->
# vertical-table industry) on Settings, right of the vertical table. Both are inputs: every
# read of the accounts honours the first, the vertical score the second.
COLUMN_MAP_TABLE = TableSpec(
    "ColumnMap",
    SETTINGS,
    "K4",
    (Column("Our column", None, 32), Column("Your header", None, 26)),
    style="TableStyleLight9",
)
INDUSTRY_MAP_TABLE = TableSpec(
    "IndustryMap",
    SETTINGS,
    "N4",
    (Column("Data spelling", None, 38), Column("Industry", None, 32)),
    style="TableStyleLight9",
)
MAP_CAPTIONS: tuple[tuple[str, str], ...] = (
    ("K3", "Column map (our column = your header; blank = usual names)"),
    ("N3", "Industry map (spelling in the data -> vertical table industry)"),
)


def default_column_map_rows() -> list[list[Any]]:
    """Rows of a new Column map: every account column, with the user's header blank."""
    return [[c.header, None] for c in ACCOUNT_COLUMNS]


def default_industry_map_rows() -> list[list[Any]]:
    """Rows of a new Industry map: common spellings of the built-in table's industries."""
    labels = {industry_key(n): n.title() for n in DEFAULT_VERTICAL_TABLE}
    return [[s, labels[industry_key(i)]] for s, i in DEFAULT_INDUSTRY_MAP.items()]


# Input tables added with these rows to a new workbook, and to an older workbook that lacks
# them (when their cells are blank) on its next headless rescore.
DEFAULT_TABLE_ROWS: Mapping[str, Any] = MappingProxyType(
    {
        COLUMN_MAP_TABLE.name: default_column_map_rows,
        INDUSTRY_MAP_TABLE.name: default_industry_map_rows,
    }
)

# ---------------------------------------------------------------- data quality: the sheet
# Rows 1-2 title and note; row 3 when and what was read; the findings (Check, Status, Item,
# Count, Detail) with their header in row 4. Written by actions.data_quality on every
# rescore and import.
DATA_QUALITY_SOURCE_ROW = 3
DATA_QUALITY_HEADER_ROW = 4
DATA_QUALITY_COLUMNS: tuple[Column, ...] = (
    Column("Check"),
    Column("Status"),
    Column("Item"),
    Column("Count", COUNT),
    Column("Detail"),
)
# Status column values (core.quality levels) and their fills, as the W_Status cell.
DATA_QUALITY_STATUS: Mapping[str, str] = MappingProxyType(
    {"ok": "OK", "info": "Note", "warning": "Warning"}
)
DATA_QUALITY_FILLS: Mapping[str, str] = MappingProxyType(
    {"OK": "C6EFCE", "Note": "FFF2CC", "Warning": "FFC7CE"}
)
DATA_QUALITY_STATUS_RANGE = f"B{DATA_QUALITY_HEADER_ROW + 1}:B5000"


# Counts keep a space before the Detail text (``_)``), on the rows a report usually fills.
DATA_QUALITY_COUNTS = FormatRange(
    DATA_QUALITY, f"D{DATA_QUALITY_SOURCE_ROW}:D{DATA_QUALITY_HEADER_ROW + 60}", f"{COUNT}_)"
)
DATA_QUALITY_TIME_CELL = f"C{DATA_QUALITY_SOURCE_ROW}"  # when the accounts were last read
DATA_QUALITY_TIME = FormatRange(
    DATA_QUALITY, f"{DATA_QUALITY_TIME_CELL}:{DATA_QUALITY_TIME_CELL}", TIMESTAMP
)

CALIBRATION_TABLE = TableSpec(
    "CalibrationTable",
    SETTINGS,
    "Q7",
    (Column("Item"), Column("Value"), Column("Percentile", "0.000000")),
    style="TableStyleLight9",
)
RUNS_COLUMNS: tuple[tuple[str, Column], ...] = (
    ("run", Column("Run", INTEGER)),
    ("time", Column("Time", TIMESTAMP)),
    ("mode", Column("Mode")),
    ("weights", Column("Weights (V / S / A / R)")),
    ("calibrated_at", Column("Calibrated at", TIMESTAMP)),
    ("changes", Column("Changed since the run before")),
    ("accounts", Column("Accounts", COUNT)),
    ("in_both", Column("In both runs", COUNT)),
    ("new", Column("New", COUNT)),
    ("gone", Column("Gone", COUNT)),
    ("grade_changes", Column("Grade changes", COUNT)),
    ("average_score", Column("Average ICP score", SCORE)),
    ("high_value_accounts", Column("High-value accounts", COUNT)),
    ("gp24_share_ab", Column("GP24 share of A+B", PERCENT)),
    ("spearman_target", Column("Spearman with target", "0.000")),
    *((f"share_{g}", Column(f"Share {g}", PERCENT)) for g in reversed(GRADES)),
)
RUNS_TOP_LEFT = "A41"
RUNS_TABLE = TableSpec("RunsTable", MOVERS, RUNS_TOP_LEFT, tuple(c for _, c in RUNS_COLUMNS))
TABLES: tuple[TableSpec, ...] = (
    ACCOUNTS_TABLE,
    SCORES_TABLE,
    SIZE_TIERS_TABLE,
    VERTICAL_TABLE,
    COLUMN_MAP_TABLE,
    INDUSTRY_MAP_TABLE,
    CALIBRATION_TABLE,
    RUNS_TABLE,
)
EXTRA_COLUMNS_NAME = "ExtraColumns"  # Settings: the user's own Accounts columns (owner, region,
# ...) carried to the end of ScoresTable and TopCustomersTable, comma-separated headers
TARGET_COLUMNS_NAME = "Optimizer_TargetColumns"  # Settings: the optimizer's target columns
# Input names a workbook made before them may lack (blank is their default): not a problem.
OPTIONAL_INPUT_NAMES: frozenset[str] = frozenset({EXTRA_COLUMNS_NAME, TARGET_COLUMNS_NAME})
TABLES_BY_NAME: Mapping[str, TableSpec] = MappingProxyType({t.name: t for t in TABLES})


def default_size_tier_rows() -> list[list[Any]]:
    """Rows of the default size tiers table (blank upper = no limit)."""
    return [[t.lower, t.upper, t.score] for t in DEFAULT_SIZE_TIERS]


def default_vertical_rows() -> list[list[Any]]:
    """Rows of the default vertical table: display name and score."""
    return [[name.title(), score] for name, score in DEFAULT_VERTICAL_TABLE.items()]


# ---------------------------------------------------------------- named cells

_TITLES = {c: c.title() for c in COMPONENTS}
WEIGHT_NAMES: Mapping[str, str] = MappingProxyType({c: f"W_{_TITLES[c]}" for c in COMPONENTS})
OPTIMIZED_WEIGHT_NAMES: Mapping[str, str] = MappingProxyType(
    {c: f"Opt_{_TITLES[c]}" for c in COMPONENTS}
)
DEFAULT_WEIGHT_NAMES: Mapping[str, str] = MappingProxyType(
    {c: f"Default_{_TITLES[c]}" for c in COMPONENTS}
)
WEIGHTS_FIRST_ROW = 5  # row of the vertical weight; the others follow

_weight_cells: list[NamedCell] = []
for _i, _c in enumerate(COMPONENTS):
    _row = WEIGHTS_FIRST_ROW + _i
    _default = getattr(DEFAULT_WEIGHTS, _c)
    _weight_cells += [
        NamedCell(WEIGHT_NAMES[_c], WEIGHTS, f"B{_row}", _TITLES[_c], _default, WEIGHT),
        NamedCell(OPTIMIZED_WEIGHT_NAMES[_c], WEIGHTS, f"C{_row}", None, None, WEIGHT),
        NamedCell(DEFAULT_WEIGHT_NAMES[_c], WEIGHTS, f"D{_row}", None, _default, WEIGHT),
    ]
_sum_row = WEIGHTS_FIRST_ROW + len(COMPONENTS)
_weights_range = f"B{WEIGHTS_FIRST_ROW}:B{_sum_row - 1}"
W_SUM = NamedCell("W_Sum", WEIGHTS, f"B{_sum_row}", "Sum", f"=SUM({_weights_range})", WEIGHT)
W_STATUS = NamedCell(
    "W_Status",
    WEIGHTS,
    f"B{_sum_row + 1}",
    "Status",
    f'=IF(COUNT({_weights_range})<4,"Enter four numbers",'
    f'IF(ABS(SUM({_weights_range})-1)<=0.01,"OK","Must sum to 1"))',
)

# Optimized-weights metadata: key in the metadata mapping -> (name, label, number format).
OPTIMIZED_METADATA: tuple[tuple[str, str, str, str | None], ...] = (
    ("best_objective_value", "Opt_Objective", "Best objective (lower is better)", "0.0000"),
    ("spearman", "Opt_Spearman", "Spearman (training)", "0.000"),
    ("out_of_sample_spearman", "Opt_OutOfSampleSpearman", "Spearman (held-out)", "0.000"),
    ("kl_divergence", "Opt_KL", "KL divergence of grade shares", "0.00E+00"),
    ("lambda_param", "Opt_Lambda", "Lambda", WEIGHT),
    ("n_trials", "Opt_Trials", "Trials", COUNT),
    ("include_size", "Opt_IncludeSize", "Size included", None),
    ("seed", "Opt_Seed", "Seed", INTEGER),
    ("run_at", "Opt_RunAt", "Run at", TIMESTAMP),
)
_META_FIRST_ROW = _sum_row + 4
_meta_cells = [
    NamedCell(name, WEIGHTS, f"B{_META_FIRST_ROW + i}", label, None, fmt)
    for i, (_key, name, label, fmt) in enumerate(OPTIMIZED_METADATA)
]

_DEFAULT_SETTINGS = Settings()
GRADE_SHARE_NAMES: Mapping[str, str] = MappingProxyType({g: f"GradeShare_{g}" for g in GRADES})
MIN_WEIGHT_NAMES: Mapping[str, str] = MappingProxyType(
    {c: f"Optimizer_Min_{_TITLES[c]}" for c in COMPONENTS}
)
MAX_WEIGHT_NAMES: Mapping[str, str] = MappingProxyType(
    {c: f"Optimizer_Max_{_TITLES[c]}" for c in COMPONENTS}
)
DEFAULT_WEIGHT_BOUNDS: Mapping[str, tuple[float, float]] = MappingProxyType(
    {"vertical": (0.10, 0.40), "size": (0.10, 0.40), "adoption": (0.10, 0.40),
     "relationship": (0.15, 0.40)}
)  # fmt: skip

_settings_cells = [
    NamedCell("SmallBusinessMax", SETTINGS, "B5", "Small Business max annual revenue (USD)",
              _DEFAULT_SETTINGS.small_business_max, MONEY),
    NamedCell("MidMarketMax", SETTINGS, "B6", "Mid-Market max annual revenue (USD)",
              _DEFAULT_SETTINGS.mid_market_max, MONEY),
    NamedCell("HighValueCutoff", SETTINGS, "B7", "High-value cutoff (ICP score)",
              _DEFAULT_SETTINGS.high_value_cutoff, SCORE),
    *(
        NamedCell(GRADE_SHARE_NAMES[g], SETTINGS, f"B{10 + i}", f"Grade {g}",
                  DEFAULT_GRADE_SHARES[g], PERCENT)
        for i, g in enumerate(reversed(GRADES))
    ),
    NamedCell("UnknownIndustryScore", SETTINGS, "B17", "Unknown or blank industry score",
              _DEFAULT_SETTINGS.unknown_industry_score, WEIGHT),
    NamedCell("NeutralSizeScore", SETTINGS, "B18", "Unknown annual revenue (size) score",
              _DEFAULT_SETTINGS.neutral_size_score, WEIGHT),
    NamedCell(EXTRA_COLUMNS_NAME, SETTINGS, "B19", "Your Accounts columns to show", None),
    NamedCell("Optimizer_Trials", SETTINGS, "B21", "Trials", DEFAULT_TRIALS, COUNT),
    NamedCell("Optimizer_Lambda", SETTINGS, "B22", "Lambda (grade-shape vs rank weight)", 0.25,
              WEIGHT),
    NamedCell("Optimizer_IncludeSize", SETTINGS, "B23", "Include size (TRUE/FALSE)", True),
    NamedCell("Optimizer_Seed", SETTINGS, "B24", "Seed (blank = random)", 42, INTEGER),
    NamedCell(TARGET_COLUMNS_NAME, SETTINGS, "B25",
              "Target columns (blank = hardware + consum.)", None),
    *(
        cell
        for i, c in enumerate(COMPONENTS)
        for cell in (
            NamedCell(MIN_WEIGHT_NAMES[c], SETTINGS, f"B{27 + i}", _TITLES[c],
                      DEFAULT_WEIGHT_BOUNDS[c][0], WEIGHT),
            NamedCell(MAX_WEIGHT_NAMES[c], SETTINGS, f"C{27 + i}", None,
                      DEFAULT_WEIGHT_BOUNDS[c][1], WEIGHT),
        )
    ),
]  # fmt: skip

# Dashboard: segment selector, last run, and one KPI cell per SegmentMetrics field.
SEGMENT_VIEW = NamedCell("SegmentView", DASHBOARD, "B3", "Segment view", ALL_SEGMENTS)
LAST_RESCORED = NamedCell("LastRescored", DASHBOARD, "B4", "Last rescored", None, TIMESTAMP)
WEIGHTS_USED = NamedCell(
    "WeightsUsed",
    DASHBOARD,
    "B5",
    "Weights used (vert./size/adopt./rel.)",
    None,
)
LIFT = '0.00"x"'
# Dashboard KPIs: figures of the view; "in the view" ones use the view's score and grades
# (within-segment in a one-segment view), shares "of all" compare with the whole portfolio.
KPI_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("customers", "Customers in the view", COUNT),
    ("customer_share", "Share of all customers", PERCENT),
    ("portfolio_average_score", "Average portfolio-wide ICP score (all accounts: 50)", SCORE),
    ("top_grades_target_share", "Target revenue held by grades A+B", PERCENT),
    ("top_grades_gp24_share", "GP24 held by grades A+B", PERCENT),
    ("top_decile_lift", "Lift of the top 10% (target revenue)", LIFT),
    ("high_value_customers", "High-value customers (view score >= cutoff)", COUNT),
    ("high_value_gp24_share", "High-value share of the view's GP24", PERCENT),
    ("average_annual_revenue", "Average annual revenue (known)", MONEY),
    ("total_gp24", "Total GP24", MONEY),
    ("gp24_share", "Share of all GP24", PERCENT),
    ("average_gp24", "Average GP24 per customer", MONEY),
)
KPI_FIRST_ROW = 8
KPI_NOTE_ROW = KPI_FIRST_ROW + len(KPI_FIELDS) + 1
KPI_NAMES: Mapping[str, str] = MappingProxyType({f: f"KPI_{f}" for f, _, _ in KPI_FIELDS})
_kpi_cells = [
    NamedCell(KPI_NAMES[f], DASHBOARD, f"B{KPI_FIRST_ROW + i}", label, None, fmt)
    for i, (f, label, fmt) in enumerate(KPI_FIELDS)
]

# ---------------------------------------------------------------- history, calibration, preview
# Scoring mode and calibration (Settings K-M), stale-results check (Dashboard, Scores),
# the Movers sheet with its Runs table, and the candidate-weights preview (Optimization K+).

SCORING_MODE = NamedCell("ScoringMode", SETTINGS, "R4", "Scoring mode (Relative or Calibrated)",
                         "Relative")  # fmt: skip
SCORING_MODE_CHOICES: tuple[str, ...] = ("Relative", "Calibrated")
# Fixed rows of CalibrationTable (header at K7): the items the formulas below refer to.
CALIBRATION_ROWS: Mapping[str, int] = MappingProxyType(
    {"Calibrated at": 8, "Accounts": 9, **{f"Weight {c}": 10 + i for i, c in enumerate(COMPONENTS)}}
)
_cal = {k: f"$R${r}" for k, r in CALIBRATION_ROWS.items()}
_weights_differ = ",".join(f"{WEIGHT_NAMES[c]}<>{_cal[f'Weight {c}']}" for c in COMPONENTS)
CALIBRATION_STATUS = NamedCell(
    "CalibrationStatus",
    SETTINGS,
    "R3",
    "Calibration status",
    f'=IF({_cal["Calibrated at"]}="",IF(ScoringMode="Calibrated","Calibrated mode needs a '
    f'calibration: press Calibrate","No calibration yet (Relative mode re-ranks every run)"),'
    f'IF(OR({_weights_differ}),"The weights differ from the calibration\'s: Calibrate again",'
    f'"Calibrated "&TEXT({_cal["Calibrated at"]},"yyyy-mm-dd hh:mm")&" on "&'
    f'TEXT({_cal["Accounts"]},"#,##0")&" accounts"))',
)

# What the last rescore used, kept on Movers (columns AA+) for the stale check: the four
# weights, and copies of the Settings areas that change scores (kind, source, copy's top left).
LAST_WEIGHT_NAMES: Mapping[str, str] = MappingProxyType(
    {c: f"LastRescore_{_TITLES[c]}" for c in COMPONENTS}
)
_last_weight_cells = [
    NamedCell(LAST_WEIGHT_NAMES[c], MOVERS, f"AB{2 + i}", f"Weight {c}", None, WEIGHT)
    for i, c in enumerate(COMPONENTS)
]
SETTINGS_COPIES: tuple[tuple[str, str, str], ...] = (
    ("settings", "B4:C18", "AB8"),
    ("settings", "D4:I300", "AD8"),
    ("settings", "K4:O300", "AJ8"),  # column and industry maps
    ("calibration", "Q4:S300", "AO8"),
)


def copy_ref(source: str, top_left: str) -> str:
    """The range a Settings area ``source`` is copied to, starting at ``top_left``."""
    top, left, bottom, right = parse_range(source)
    row, column = parse_cell(top_left)
    return range_ref(row, column, row + bottom - top, column + right - left)


def _absolute(ref: str) -> str:
    return ":".join("$" + "$".join(_split(c)) for c in ref.split(":"))


def _split(cell: str) -> tuple[str, str]:
    row, column = parse_cell(cell)
    return column_letter(column), str(row)


_differences = "+".join(
    f"SUMPRODUCT(--({SETTINGS}!{_absolute(src)}<>{MOVERS}!{_absolute(copy_ref(src, top))}))"
    for _, src, top in SETTINGS_COPIES
)
_same_weights = ",".join(f"{WEIGHT_NAMES[c]}={LAST_WEIGHT_NAMES[c]}" for c in COMPONENTS)
# Short: the Dashboard shows it beside its charts.
STALE_TEXT = "Out of date: press Rescore"
FRESH_TEXT = "Up to date"
RESULTS_STATUS = NamedCell(
    "ResultsStatus",
    DASHBOARD,
    "B6",
    "Results",
    f'=IF(COUNT({LAST_WEIGHT_NAMES["vertical"]})=0,"Not scored yet: press Rescore",'
    f'IF(AND({_same_weights},{_differences}=0),"{FRESH_TEXT}","{STALE_TEXT}"))',
)
SCORES_STATUS = NamedCell(
    "ScoresStatus", SCORES, f"{column_letter(len(SCORES_FIELDS) + 2)}1", None, "=ResultsStatus"
)

# Movers sheet blocks (top-left of each header row) and the areas rewritten on each rescore
# (around the captions of rows 4, 13 and 26).
MOVERS_SUMMARY = "A2"
MIGRATION_TOP = "A5"
MIGRATION_SHARES_TOP = "J5"
MOVES_UP_TOP = "A14"
MOVES_DOWN_TOP = "A27"
NEW_ACCOUNTS_TOP = "J14"
GONE_ACCOUNTS_TOP = "J27"
MOVERS_LIST_ROWS = 10  # rows of each list; one more row says how many were left out
MOVERS_AREAS: tuple[str, ...] = ("A2:O2", "A5:O11", "A14:O25", "A27:O39")
MOVE_COLUMNS: tuple[tuple[str, str, str | None], ...] = (
    ("customer_id", "Customer ID", None),
    ("previous_grade", "Previous grade", None),
    ("grade", "Grade", None),
    ("previous_score", "Previous score", SCORE),
    ("score", "ICP score", SCORE),
    ("change", "Change", "+0.0;-0.0;0.0"),
    ("company_name", "Company Name", None),
    ("reason", "Reason", None),
)
# The KPIs-over-runs chart reads the last RUN_CHART_ROWS runs from this block.
RUN_CHART_TOP = "AS2"
RUN_CHART_ROWS = 24
RUN_CHART_SERIES: tuple[tuple[str, str], ...] = (
    ("gp24_share_ab", "GP24 share of A+B"),
    ("spearman_target", "Spearman with target"),
    ("share_A", "Share A"),
    ("high_value_rate", "High-value rate"),
)

# Candidate weights and their preview on the Optimization sheet (right of the optimizer's
# columns A-J, below its charts).
PREVIEW_CAPTION_ROW = 23
CANDIDATE_WEIGHT_NAMES: Mapping[str, str] = MappingProxyType(
    {c: f"Candidate_{_TITLES[c]}" for c in COMPONENTS}
)
_candidate_cells = [
    NamedCell(CANDIDATE_WEIGHT_NAMES[c], OPTIMIZATION, f"L{PREVIEW_CAPTION_ROW + 2 + i}",
              _TITLES[c], None, WEIGHT)
    for i, c in enumerate(COMPONENTS)
]  # fmt: skip
PREVIEW_CURRENT_TOP = f"M{PREVIEW_CAPTION_ROW + 2}"  # current weights beside the candidate
PREVIEW_TOP = f"K{PREVIEW_CAPTION_ROW + 7}"
PREVIEW_AREA = f"K{PREVIEW_CAPTION_ROW + 7}:Q{PREVIEW_CAPTION_ROW + 60}"

HISTORY_FORMAT_RANGES: tuple[FormatRange, ...] = (
    FormatRange(MOVERS, "K6:O10", PERCENT),
    FormatRange(MOVERS, "D15:E24", SCORE),
    FormatRange(MOVERS, "F15:F24", "+0.0;-0.0;0.0"),
    FormatRange(MOVERS, "D28:E37", SCORE),
    FormatRange(MOVERS, "F28:F37", "+0.0;-0.0;0.0"),
    FormatRange(MOVERS, "L15:L24", SCORE),
    FormatRange(MOVERS, "L28:L37", SCORE),
    FormatRange(MOVERS, "AT3:AW26", PERCENT),
    FormatRange(OPTIMIZATION, f"L{PREVIEW_CAPTION_ROW + 2}:M{PREVIEW_CAPTION_ROW + 5}", WEIGHT),
    FormatRange(OPTIMIZATION, f"L{PREVIEW_CAPTION_ROW + 17}:M{PREVIEW_CAPTION_ROW + 17}", SCORE),
    FormatRange(OPTIMIZATION, f"L{PREVIEW_CAPTION_ROW + 19}:M{PREVIEW_CAPTION_ROW + 19}", PERCENT),
    FormatRange(OPTIMIZATION, f"L{PREVIEW_CAPTION_ROW + 20}:M{PREVIEW_CAPTION_ROW + 20}", "0.000"),
    FormatRange(OPTIMIZATION, f"L{PREVIEW_CAPTION_ROW + 21}:M{PREVIEW_CAPTION_ROW + 28}", PERCENT),
)
HISTORY_NAMES: tuple[NamedCell, ...] = (
    SCORING_MODE,
    CALIBRATION_STATUS,
    RESULTS_STATUS,
    SCORES_STATUS,
    *_last_weight_cells,
    *_candidate_cells,
)
HISTORY_CAPTIONS: tuple[TextCell, ...] = (
    TextCell(SETTINGS, "Q2", "Scoring mode and calibration"),
    TextCell(SETTINGS, "Q6", "Calibration (written by Calibrate; used in Calibrated mode)"),
    TextCell(MOVERS, "A4", "Grade migration: accounts by previous grade (rows) and grade now"),
    TextCell(MOVERS, "J4", "Share of each previous grade"),
    TextCell(MOVERS, "A13", "Largest moves up"),
    TextCell(MOVERS, "A26", "Largest moves down"),
    TextCell(MOVERS, "J13", "New accounts (not in the previous run)"),
    TextCell(MOVERS, "J26", "Gone accounts (in the previous run, not now)"),
    TextCell(MOVERS, "A40", "Runs: one row per rescore"),
    TextCell(MOVERS, "AA1", "What the last rescore used (the stale check compares with it)"),
    TextCell(MOVERS, "AS1", "KPIs of the last runs (chart data)"),
    TextCell(OPTIMIZATION, f"K{PREVIEW_CAPTION_ROW}",
             "Preview: candidate weights vs current (Optimize fills them; type others, "
             "then Rescore)"),
    TextCell(OPTIMIZATION, f"K{PREVIEW_CAPTION_ROW + 1}", "Component"),
    TextCell(OPTIMIZATION, f"L{PREVIEW_CAPTION_ROW + 1}", "Candidate"),
    TextCell(OPTIMIZATION, f"M{PREVIEW_CAPTION_ROW + 1}", "Current"),
)  # fmt: skip
# Added after the first release: the file host adds them to an older workbook.
BACKFILLED_NAMES: tuple[str, ...] = (SCORING_MODE.name, CALIBRATION_STATUS.name)
BACKFILLED_TABLES: tuple[TableSpec, ...] = (CALIBRATION_TABLE, RUNS_TABLE)
DROPDOWNS: tuple[tuple[NamedCell, tuple[str, ...]], ...] = ((SCORING_MODE, SCORING_MODE_CHOICES),)

NAMES: tuple[NamedCell, ...] = (
    *_weight_cells,
    W_SUM,
    W_STATUS,
    *_meta_cells,
    *_settings_cells,
    SEGMENT_VIEW,
    LAST_RESCORED,
    WEIGHTS_USED,
    *_kpi_cells,
    ACCOUNT_PICK,
    *HISTORY_NAMES,
)
NAMES_BY_NAME: Mapping[str, NamedCell] = MappingProxyType({n.name: n for n in NAMES})

# ---------------------------------------------------------------- captions

CAPTIONS: tuple[TextCell, ...] = (
    TextCell(WEIGHTS, f"A{WEIGHTS_FIRST_ROW - 1}", "Component"),
    TextCell(WEIGHTS, f"B{WEIGHTS_FIRST_ROW - 1}", "Current"),
    TextCell(WEIGHTS, f"C{WEIGHTS_FIRST_ROW - 1}", "Optimized"),
    TextCell(WEIGHTS, f"D{WEIGHTS_FIRST_ROW - 1}", "Default"),
    TextCell(WEIGHTS, f"A{_META_FIRST_ROW - 1}", "Optimized weights: last run"),
    TextCell(SETTINGS, "A4", "Segments"),
    TextCell(SETTINGS, "A9", "Grade target shares"),
    TextCell(SETTINGS, "A16", "Scoring"),
    TextCell(SETTINGS, "A20", "Optimizer"),
    TextCell(SETTINGS, "A26", "Weight bounds (optimizer)"),
    TextCell(SETTINGS, "B26", "Min"),
    TextCell(SETTINGS, "C26", "Max"),
    TextCell(SETTINGS, "D3", "Size tiers (first match wins; blank upper = no limit)"),
    TextCell(SETTINGS, "H3", "Vertical table (matching ignores case, accents, punctuation, &/and)"),
    TextCell(DASHBOARD, f"A{KPI_FIRST_ROW - 1}", '="Key figures of the view: "&SegmentView'),
    TextCell(DASHBOARD, f"A{KPI_NOTE_ROW}", "Grades A+B: the view's best-scored accounts "
             "(shares on Settings).", bold=False),
    TextCell(DASHBOARD, f"A{KPI_NOTE_ROW + 1}", "Lift: target revenue share of the top 10% "
             "/ 10% (1.00x = random).", bold=False),
    TextCell(DASHBOARD, f"A{KPI_NOTE_ROW + 2}", "One-segment view: score and grades are "
             "within the segment.", bold=False),
    TextCell(DASHBOARD, f"A{KPI_NOTE_ROW + 3}", "'of all': a share of the whole portfolio.",
             bold=False),
    TextCell(SEGMENTS_SHEET, "A25", "Charts below compare the three segments on the "
             "portfolio-wide score; they do not follow the Dashboard's segment view.",
             bold=False),
    *(TextCell(SETTINGS, ref, text) for ref, text in MAP_CAPTIONS),
    *(
        TextCell(DATA_QUALITY, f"{column_letter(i + 1)}{DATA_QUALITY_HEADER_ROW}", c.header)
        for i, c in enumerate(DATA_QUALITY_COLUMNS)
    ),
    *HISTORY_CAPTIONS,
)  # fmt: skip

# ---------------------------------------------------------------- output regions

SEGMENT_SUMMARY_TOP_LEFT = "A3"
# Segments summary: every figure on the portfolio-wide score and grades.
SEGMENT_SUMMARY_COLUMNS: tuple[tuple[str, str, str | None], ...] = (
    ("segment", "Segment", None),
    ("customers", "Customers", COUNT),
    ("customer_share", "Share of all customers", PERCENT),
    ("average_score", "Average ICP score (portfolio-wide)", SCORE),
    ("high_value_customers", "High-value customers (portfolio score >= cutoff)", COUNT),
    ("high_value_rate", "High-value rate (portfolio score)", PERCENT),
    ("target_revenue_share", "Share of all target revenue", PERCENT),
    ("top_grades_target_share", "Target revenue held by grades A+B", PERCENT),
    ("top_decile_lift", "Lift of the top 10%", LIFT),
    ("average_annual_revenue", "Average annual revenue (known)", MONEY),
    ("total_gp24", "Total GP24", MONEY),
    ("gp24_share", "Share of all GP24", PERCENT),
    ("high_value_gp24_share", "High-value share of the segment's GP24", PERCENT),
    ("average_gp24", "GP24 per customer", MONEY),
)
RECOMMENDATIONS_TOP_LEFT = "A10"
RECOMMENDATIONS_LAST_ROW = 24  # Segments rows 1-24 belong to actions; charts start at row 26
TOP_CUSTOMERS_COUNT = 100
TOP_CUSTOMERS_HEADER_ROW = 4
TOP_CUSTOMERS_COLUMNS: tuple[tuple[str, str, str | None], ...] = (
    ("rank", "Rank", INTEGER),
    ("customer_id", "Customer ID", None),
    ("company_name", "Company Name", None),
    ("industry", "Industry", None),
    ("customer_segment", "Segment", None),
    ("view_score", "ICP score (view)", SCORE),
    ("view_grade", "Grade (view)", None),
    ("ICP_score", "ICP score (portfolio)", SCORE),
    ("ICP_grade", "Grade (portfolio)", None),
    ("annual_revenue", "Annual revenue", ANNUAL_REVENUE),
    ("gp24", "GP24", MONEY),
    ("printer_count", "Printers", COUNT),
    *TOP_CUSTOMERS_POINTS_COLUMNS,
)
TOP_CUSTOMERS_TABLE = TableSpec(
    "TopCustomersTable",
    TOP_CUSTOMERS,
    f"A{TOP_CUSTOMERS_HEADER_ROW}",
    tuple(Column(label, fmt) for _, label, fmt in TOP_CUSTOMERS_COLUMNS),
)
TABLES = (*TABLES, TOP_CUSTOMERS_TABLE)
TABLES_BY_NAME = MappingProxyType({t.name: t for t in TABLES})


def _column_formats(
    sheet: str, first_row: int, last_row: int, formats: tuple[str | None, ...]
) -> list[FormatRange]:
    return [
        FormatRange(sheet, f"{c}{first_row}:{c}{last_row}", f)
        for c, f in ((column_letter(i + 1), f) for i, f in enumerate(formats))
        if f
    ]


# Optimization sheet, written by actions.optimization_blocks
SUMMARY_TOP = "A3"
WEIGHTS_TOP = "D3"
GRADES_TOP = "D10"
FOLDS_TOP = "I3"
NOTES_TOP = "A20"  # what to know about the fit: KL/lambda, weights on a bound, target overlap
NOTES_ROWS = 3
HISTORY_TOP = "A24"
"""Optimization sheet layout (columns A-J; K onward is left for the convergence chart):
title A1, note A2; summary (Figure, Value) at A3; weights (Component, Optimized,
Lower bound, Upper bound) at D3; grade shares (Grade, Actual share, Target share)
at D10; per-fold out-of-sample Spearman (Fold, Spearman) at I3; notes on the fit (one
sentence per row: KL and lambda, weights on a bound, target overlap) at A20; trial history
(:data:`icp_xl.core.optimize.HISTORY_COLUMNS`) with its header row at A24 and one row per
trial below."""


def _under(top_left: str, first: int, last: int, column: int, width: int, fmt: str) -> FormatRange:
    """Rows ``first..last`` below the header at ``top_left``, columns ``column`` to
    ``column + width - 1`` (0 = the header's own column), of an Optimization block."""
    row, col = parse_cell(top_left)
    ref = range_ref(row + first, col + column, row + last, col + column + width - 1)
    return FormatRange(OPTIMIZATION, ref, fmt)


HISTORY_FORMAT_ROWS = 2000  # trial history rows that get number formats

FORMAT_RANGES: tuple[FormatRange, ...] = (
    DATA_QUALITY_TIME,
    DATA_QUALITY_COUNTS,
    *HISTORY_FORMAT_RANGES,
    _under(SUMMARY_TOP, 1, 2, 1, 1, "0.0000"),  # objective, Spearman
    _under(SUMMARY_TOP, 3, 3, 1, 1, "0.00E+00"),  # KL divergence, often tiny
    _under(SUMMARY_TOP, 4, 4, 1, 1, "0.0000"),  # out-of-sample Spearman
    _under(WEIGHTS_TOP, 1, 4, 1, 3, WEIGHT + "0"),
    _under(GRADES_TOP, 1, 5, 1, 2, PERCENT),
    _under(HISTORY_TOP, 1, HISTORY_FORMAT_ROWS, 1, 2, "0.0000"),
    _under(HISTORY_TOP, 1, HISTORY_FORMAT_ROWS, 3, 4, WEIGHT + "0"),
    *_column_formats(
        SEGMENTS_SHEET, 4, 4 + len(SEGMENT_VIEWS) - 1, tuple(f for *_, f in SEGMENT_SUMMARY_COLUMNS)
    ),
    *_column_formats(
        TOP_CUSTOMERS,
        TOP_CUSTOMERS_HEADER_ROW + 1,
        TOP_CUSTOMERS_HEADER_ROW + TOP_CUSTOMERS_COUNT,
        tuple(f for *_, f in TOP_CUSTOMERS_COLUMNS),
    ),
    *_account_formats(),
)

# ---------------------------------------------------------------- validation, highlighting

SEGMENT_VIEW_CHOICES: tuple[str, ...] = SEGMENT_VIEWS
GRADE_FILLS: Mapping[str, str] = MappingProxyType(
    {"A": "C6EFCE", "B": "E2F0D9", "C": "FFF2CC", "D": "FCE4D6", "F": "FFC7CE"}
)
STATUS_OK_FILL = "C6EFCE"
STATUS_BAD_FILL = "FFC7CE"


def grade_ranges() -> tuple[tuple[str, str], ...]:
    """(sheet, range) of every grade column that gets grade colours (whole columns below
    the header, so they follow the data as it grows or shrinks)."""
    scores = [column_letter(i + 1) for i, (_, f) in enumerate(SCORES_FIELDS) if f.endswith("grade")]
    top = [column_letter(i + 1) for i, (f, *_) in enumerate(TOP_CUSTOMERS_COLUMNS) if "grade" in f]
    first = TOP_CUSTOMERS_HEADER_ROW + 1
    last = TOP_CUSTOMERS_HEADER_ROW + TOP_CUSTOMERS_COUNT
    return (
        *((SCORES, f"{c}2:{c}1048576") for c in scores),
        *((TOP_CUSTOMERS, f"{c}{first}:{c}{last}") for c in top),
    )


# Areas the other modules own (charts, optimizer); actions never write there.
CHART_AREAS: Mapping[str, str] = MappingProxyType(
    {
        DASHBOARD: "from column F",
        SEGMENTS_SHEET: "from row 26",
        OPTIMIZATION: "from column K, rows 1-22",
        MOVERS: "from column Q, rows 1-39",
    }
)
OPTIMIZATION_AREA = "A1:J1048576"  # the optimizer's blocks; cleared before each run's are written

# ---------------------------------------------------------------- looks and print setup
# Applied by the file host to EVERY sheet of :data:`SHEETS` (a sheet added to the layout
# gets them without further declarations): a print setup (declared below or the generic
# one), input-cell style for the inputs, hidden helper sheets, columns fitted to their
# content for table-like sheets (a ``freeze`` and no declared widths).

INPUT_FILL = "FFF2CC"  # light yellow: the "ICP input" cell style of every input cell
INPUT_STYLE = "ICP input"
HIDDEN_SHEETS: frozenset[str] = frozenset({CHART_DATA})
# Helper columns that formulas and charts read but people need not see (columns first:last).
HIDDEN_COLUMNS: Mapping[str, tuple[str, str]] = MappingProxyType({MOVERS: ("AA", "AW")})
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
