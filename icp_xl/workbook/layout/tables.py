"""The workbook's tables: accounts, scores, the Settings tables (size tiers, vertical table,
column and industry maps, calibration), the run history, and the per-account explanation
grid."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from icp_xl.core.inputs.accounts import ACCOUNT_COLUMNS
from icp_xl.core.inputs.cells import column_letter
from icp_xl.core.inputs.industries import DEFAULT_INDUSTRY_MAP, industry_key
from icp_xl.core.insight.explain import (
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
from icp_xl.core.model.settings import (
    COMPONENTS,
    DEFAULT_SIZE_TIERS,
    DEFAULT_VERTICAL_TABLE,
    GRADES,
)
from icp_xl.workbook.layout.kinds import (
    ACCOUNT,
    ACCOUNTS,
    ANNUAL_REVENUE,
    COMPONENT,
    COUNT,
    DATA_QUALITY,
    INTEGER,
    MONEY,
    MOVERS,
    PERCENT,
    SCORE,
    SCORES,
    SETTINGS,
    TIMESTAMP,
    WEIGHT,
    Column,
    FormatRange,
    NamedCell,
    TableSpec,
)

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
    # the accounts' target revenue column, whatever the optimizer's target (won deals, ...)
    ("spearman_target", Column("Spearman with revenue", "0.000")),
    *((f"share_{g}", Column(f"Share {g}", PERCENT)) for g in reversed(GRADES)),
)
RUNS_TOP_LEFT = "A41"
RUNS_TABLE = TableSpec("RunsTable", MOVERS, RUNS_TOP_LEFT, tuple(c for _, c in RUNS_COLUMNS))
EXTRA_COLUMNS_NAME = "ExtraColumns"  # Settings: the user's own Accounts columns (owner, region,
# ...) carried to the end of ScoresTable and TopCustomersTable, comma-separated headers
TARGET_COLUMNS_NAME = "Optimizer_TargetColumns"  # Settings: the optimizer's target columns
# Input names a workbook made before them may lack (blank is their default): not a problem.
OPTIONAL_INPUT_NAMES: frozenset[str] = frozenset({EXTRA_COLUMNS_NAME, TARGET_COLUMNS_NAME})


def default_size_tier_rows() -> list[list[Any]]:
    """Rows of the default size tiers table (blank upper = no limit)."""
    return [[t.lower, t.upper, t.score] for t in DEFAULT_SIZE_TIERS]


def default_vertical_rows() -> list[list[Any]]:
    """Rows of the default vertical table: display name and score."""
    return [[name.title(), score] for name, score in DEFAULT_VERTICAL_TABLE.items()]
