"""Where actions write outside tables: the Movers lists and run chart, the optimizer's
preview and blocks, captions, the Segments and Top Customers regions, and the cells
that get validation and highlighting."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from icp_xl.core.inputs.cells import column_letter, parse_cell, range_ref
from icp_xl.core.model.segments import SEGMENT_VIEWS
from icp_xl.core.model.settings import (
    COMPONENTS,
)
from icp_xl.workbook.layout.kinds import (
    ANNUAL_REVENUE,
    COUNT,
    DASHBOARD,
    DATA_QUALITY,
    INTEGER,
    MONEY,
    MOVERS,
    OPTIMIZATION,
    PERCENT,
    SCORE,
    SCORES,
    SEGMENTS_SHEET,
    SETTINGS,
    TOP_CUSTOMERS,
    WEIGHT,
    WEIGHTS,
    Column,
    FormatRange,
    NamedCell,
    TableSpec,
    TextCell,
)
from icp_xl.workbook.layout.live import LIVE_CAPTION, LIVE_MODE, LIVE_MODE_CHOICES
from icp_xl.workbook.layout.names import (
    _META_FIRST_ROW,
    _TITLES,
    CALIBRATION_STATUS,
    KPI_FIRST_ROW,
    KPI_NOTE_ROW,
    LAST_RESCORED,
    LIFT,
    RESULTS_STATUS,
    SCORES_STATUS,
    SCORING_MODE,
    SCORING_MODE_CHOICES,
    SEGMENT_VIEW,
    W_STATUS,
    W_SUM,
    WEIGHTS_FIRST_ROW,
    WEIGHTS_USED,
    _fingerprint_cells,
    _kpi_cells,
    _last_weight_cells,
    _meta_cells,
    _settings_cells,
    _weight_cells,
)
from icp_xl.workbook.layout.outcomes import (
    BY_GRADE_ROW,
    CHARTS_ROW,
    OPTIMIZATION_OUTCOMES_FORMATS,
    OUTCOME_NAMES,
    OUTCOMES,
    OUTCOMES_CAPTIONS,
    OUTCOMES_FORMATS,
    OUTCOMES_TABLES,
)
from icp_xl.workbook.layout.tables import (
    ACCOUNT_PICK,
    ACCOUNTS_TABLE,
    CALIBRATION_TABLE,
    COLUMN_MAP_TABLE,
    DATA_QUALITY_COLUMNS,
    DATA_QUALITY_COUNTS,
    DATA_QUALITY_HEADER_ROW,
    DATA_QUALITY_TIME,
    INDUSTRY_MAP_TABLE,
    MAP_CAPTIONS,
    RUNS_TABLE,
    SCORES_FIELDS,
    SCORES_TABLE,
    SIZE_TIERS_TABLE,
    TOP_CUSTOMERS_POINTS_COLUMNS,
    VERTICAL_TABLE,
    _account_formats,
)

MOVERS_SUMMARY = "A2"
MIGRATION_TOP = "A5"
MIGRATION_SHARES_TOP = "J5"
MOVES_UP_TOP = "A14"
MOVES_DOWN_TOP = "A27"
NEW_ACCOUNTS_TOP = "J14"
GONE_ACCOUNTS_TOP = "J27"
MOVERS_LIST_ROWS = 10  # rows of each list; one more row says how many were left out
MOVERS_AREAS: tuple[str, ...] = ("A2:O2", "A5:O11", "A14:O25", "A27:O39")
# Every account gone at the last rescore (the lists above show ten), for export --changed:
# header at GONE_ALL_TOP, then one row per account.
GONE_ALL_TOP = "AY2"
GONE_ALL_COLUMNS: tuple[str, ...] = ("Customer ID", "Company Name", "ICP score", "Grade",
                                     "Segment")  # fmt: skip
GONE_ALL_AREA = "AY2:BC1048576"
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
    ("spearman_target", "Spearman with revenue"),
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
    # the preview's figures (rows as preview_figures orders them)
    FormatRange(OPTIMIZATION, f"L{PREVIEW_CAPTION_ROW + 17}:M{PREVIEW_CAPTION_ROW + 17}", PERCENT),
    FormatRange(OPTIMIZATION, f"L{PREVIEW_CAPTION_ROW + 18}:M{PREVIEW_CAPTION_ROW + 18}", "0.000"),
    FormatRange(OPTIMIZATION, f"L{PREVIEW_CAPTION_ROW + 19}:M{PREVIEW_CAPTION_ROW + 21}", PERCENT),
    FormatRange(OPTIMIZATION, f"L{PREVIEW_CAPTION_ROW + 22}:M{PREVIEW_CAPTION_ROW + 22}", SCORE),
    FormatRange(OPTIMIZATION, f"L{PREVIEW_CAPTION_ROW + 24}:M{PREVIEW_CAPTION_ROW + 28}", PERCENT),
)
HISTORY_NAMES: tuple[NamedCell, ...] = (
    SCORING_MODE,
    CALIBRATION_STATUS,
    RESULTS_STATUS,
    SCORES_STATUS,
    *_last_weight_cells,
    *_fingerprint_cells,
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
    TextCell(MOVERS, "AY1", "Every account gone at the last rescore (for Export changed)"),
    TextCell(OPTIMIZATION, f"K{PREVIEW_CAPTION_ROW}",
             "Preview: candidate weights vs current (Optimize fills them; type others, "
             "then Rescore)"),
    TextCell(OPTIMIZATION, f"K{PREVIEW_CAPTION_ROW + 1}", "Component"),
    TextCell(OPTIMIZATION, f"L{PREVIEW_CAPTION_ROW + 1}", "Candidate"),
    TextCell(OPTIMIZATION, f"M{PREVIEW_CAPTION_ROW + 1}", "Current"),
)  # fmt: skip
# Added after the first release: the file host adds them to an older workbook.
BACKFILLED_NAMES: tuple[str, ...] = (
    SCORING_MODE.name,
    CALIBRATION_STATUS.name,
    LIVE_MODE.name,
    *(c.name for c in _fingerprint_cells),
)
BACKFILLED_TABLES: tuple[TableSpec, ...] = (CALIBRATION_TABLE, RUNS_TABLE)
DROPDOWNS: tuple[tuple[NamedCell, tuple[str, ...]], ...] = (
    (SCORING_MODE, SCORING_MODE_CHOICES),
    (LIVE_MODE, LIVE_MODE_CHOICES),
)

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
    *OUTCOME_NAMES,
    LIVE_MODE,
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
    *OUTCOMES_CAPTIONS,
    LIVE_CAPTION,
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
TABLES: tuple[TableSpec, ...] = (
    ACCOUNTS_TABLE,
    SCORES_TABLE,
    SIZE_TIERS_TABLE,
    VERTICAL_TABLE,
    COLUMN_MAP_TABLE,
    INDUSTRY_MAP_TABLE,
    CALIBRATION_TABLE,
    RUNS_TABLE,
    TOP_CUSTOMERS_TABLE,
    *OUTCOMES_TABLES,
)
TABLES_BY_NAME: Mapping[str, TableSpec] = MappingProxyType({t.name: t for t in TABLES})


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
(:data:`icp_xl.core.optimization.search.HISTORY_COLUMNS`) with its header row at A24 and one row per
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
    _under(FOLDS_TOP, 1, 10, 1, 1, "0.0000"),  # Spearman per fold (at most 10 folds)
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
    *OUTCOMES_FORMATS,
    *OPTIMIZATION_OUTCOMES_FORMATS,
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
        OUTCOMES: f"rows {CHARTS_ROW}-{BY_GRADE_ROW - 2}",
    }
)
OPTIMIZATION_AREA = "A1:J1048576"  # the optimizer's blocks; cleared before each run's are written
