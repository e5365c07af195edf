"""The workbook's named cells: weights, settings, the Dashboard's selector and key figures,
the scoring mode and calibration, and the status cells that say when results are stale."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from icp_xl.core.inputs.cells import column_letter, parse_cell, parse_range, range_ref
from icp_xl.core.model.segments import ALL_SEGMENTS
from icp_xl.core.model.settings import (
    COMPONENTS,
    DEFAULT_GRADE_SHARES,
    DEFAULT_WEIGHTS,
    GRADES,
    Settings,
)
from icp_xl.core.optimization.defaults import DEFAULT_TRIALS
from icp_xl.workbook.layout.kinds import (
    COUNT,
    DASHBOARD,
    INTEGER,
    MONEY,
    MOVERS,
    PERCENT,
    SCORE,
    SCORES,
    SETTINGS,
    TIMESTAMP,
    WEIGHT,
    WEIGHTS,
    NamedCell,
)
from icp_xl.workbook.layout.live import LIVE_MODE, LIVE_ON, live_view_ref
from icp_xl.workbook.layout.tables import (
    ACCOUNTS_TABLE,
    EXTRA_COLUMNS_NAME,
    SCORES_FIELDS,
    TARGET_COLUMNS_NAME,
)

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

# Settings' Target columns: a dropdown of the usual choices that still takes any numeric
# Accounts columns typed in (comma-separated): a hint shows instead of an error, and
# Optimize names the cell and value it cannot read.
TARGET_CHOICES: tuple[str, ...] = (
    "won", "won-amount", "Total Hardware Revenue", "Total Consumable Revenue",
    "Total Software License Revenue", "Total SaaS Revenue", "Total Maintenance Revenue", "GP24",
    "Annual Revenue",
)  # fmt: skip
TARGET_HINT = (
    "Blank = hardware + consumables revenue. won / won-amount = the outcome of your CRM "
    "opportunities. Or numeric Accounts columns, comma-separated, e.g. Total Hardware "
    "Revenue, Total SaaS Revenue."
)

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
    # Relative scores average 50 over all accounts for any weights: said as such, and only
    # in that mode (calibrated scores have no fixed average).
    (
        "portfolio_average_score",
        '=IF(ScoringMode="Calibrated","Average portfolio-wide ICP '
        'score","Average portfolio-wide score (all accounts: 50)")',
        SCORE,
    ),
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
# A fingerprint of the Accounts values at the last rescore, computed alike by Python and by
# the status formula: non-blank cells (COUNTA), the sum of the numbers (SUM) and the total
# length of the text cells; an edit of the accounts changes one of them.
ACCOUNTS_FINGERPRINT_NAMES: Mapping[str, str] = MappingProxyType(
    {
        "cells": "LastRescore_AccountCells",
        "numbers": "LastRescore_AccountNumbers",
        "text": "LastRescore_AccountText",
    }  # fmt: skip
)
_fingerprint_labels = {"cells": "Accounts: filled cells", "numbers": "Accounts: sum of numbers",
                       "text": "Accounts: length of text"}  # fmt: skip
_fingerprint_cells = [
    NamedCell(name, MOVERS, f"AE{2 + i}", _fingerprint_labels[key])
    for i, (key, name) in enumerate(ACCOUNTS_FINGERPRINT_NAMES.items())
]
# How many Accounts cells hold dates, beside the fingerprint (a plain cell, not a name, so a
# workbook made before it needs no rebuild): Python counts dates as days since 1899-12-30,
# a workbook on the 1904 date system 1,462 days fewer, and the status formula adds them back.
ACCOUNT_DATES_LABEL = (MOVERS, "AD5")
ACCOUNT_DATES_CELL = f"{MOVERS}!$AE$5"
DAYS_1900_TO_1904 = 1462
# The code point of each Accounts text cell's first character (UNICODE) times its row in
# the table (1 for the first), summed, beside the fingerprint (a plain cell, like the
# dates): a text replaced by another of the same length that starts with another letter
# (one industry by another), or texts moved between accounts, change it.
ACCOUNT_INITIALS_LABEL = (MOVERS, "AD6")
ACCOUNT_INITIALS_CELL = f"{MOVERS}!$AE$6"
# The numbers weighted by their row in the table (1 for the first), so values moved between
# accounts (one column sorted on its own) change it; the rows of the date cells beside the
# date count (AF5) make the same 1904 correction. Plain cells too.
ACCOUNT_ROWS_LABEL = (MOVERS, "AD7")
ACCOUNT_ROWS_CELL = f"{MOVERS}!$AE$7"
ACCOUNT_DATE_ROWS_CELL = f"{MOVERS}!$AF$5"
# The sums of the numbers below 1,000 and below 100,000,000 (AF3, AG3; captions above): the
# sum of all the numbers, dominated by revenues, has a tolerance that hides a count raised
# by one; these sums of smaller numbers do not. No date is below 1,000 (1902) in either
# date system, and every date is below 100,000,000, which takes the 1904 correction.
SMALL_NUMBERS = ((1_000, "AF"), (100_000_000, "AG"))
ACCOUNT_BANDS_CAPTION_ROW, ACCOUNT_BANDS_ROW = 2, 3
ACCOUNT_BAND_CELLS: Mapping[int, str] = MappingProxyType(
    {limit: f"{MOVERS}!${column}${ACCOUNT_BANDS_ROW}" for limit, column in SMALL_NUMBERS}
)
# Relative tolerance of the sum of the numbers: Excel may add them in another order.
NUMBERS_TOLERANCE = 1e-12
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
RECALIBRATE_TEXT = "New weights: press Calibrate"
_calibration_differs = (
    f'AND(ScoringMode="Calibrated",{SETTINGS}!{_cal["Calibrated at"]}<>"",OR('
    + ",".join(f"{WEIGHT_NAMES[c]}<>{SETTINGS}!{_cal[f'Weight {c}']}" for c in COMPONENTS)
    + "))"
)
_fp = ACCOUNTS_FINGERPRINT_NAMES
_accounts = f"{ACCOUNTS_TABLE.name}[]"
_row_in_table = f"(ROW({_accounts})-ROW(INDEX({_accounts},1,1))+1)"


def _near(formula: str, kept: str) -> str:
    """``formula`` equals the number in cell ``kept`` within the sums' tolerance."""
    return f"ABS({formula}-N({kept}))<={NUMBERS_TOLERANCE:.0E}*MAX(1,ABS(N({kept})))"


_same_accounts = (
    f"COUNTA({_accounts})={_fp['cells']},"
    f"SUMPRODUCT(ISTEXT({_accounts})*LEN({_accounts}))={_fp['text']},"
    f"ABS(SUM({_accounts})+({DAYS_1900_TO_1904}-DATE(1904,1,1))*N({ACCOUNT_DATES_CELL})"
    f"-{_fp['numbers']})<={NUMBERS_TOLERANCE:.0E}*MAX(1,ABS({_fp['numbers']})),"
    + _near(f'SUMPRODUCT(ISTEXT({_accounts})*UNICODE({_accounts}&" ")*{_row_in_table})',
            ACCOUNT_INITIALS_CELL)
    + ","
    + _near(f"SUMPRODUCT({_accounts},{_row_in_table}+0*COLUMN({_accounts}))"
            f"+({DAYS_1900_TO_1904}-DATE(1904,1,1))*N({ACCOUNT_DATE_ROWS_CELL})",
            ACCOUNT_ROWS_CELL)
    + "".join(
        "," + _near(f"SUMPRODUCT(--({_accounts}<{limit}),{_accounts})"
                    + (f"+({DAYS_1900_TO_1904}-DATE(1904,1,1))*N({ACCOUNT_DATES_CELL})"
                       if limit > 1_000 else ""),
                    cell)
        for limit, cell in ACCOUNT_BAND_CELLS.items()
    )
)  # fmt: skip
# Live mode: Scores recalculate themselves; the other sheets are as of the last Rescore.
LIVE_TEXT = "Live; rest as of last Rescore"
# Live mode with a segment view other than the one the live formulas filter by (picked
# after the last Rescore), or Live mode just switched on: only a Rescore brings them.
LIVE_RESCORE_TEXT = "New view or Live: press Rescore"
LIVE_VIEW_CELL = live_view_ref("view")
RESULTS_STATUS = NamedCell(
    "ResultsStatus",
    DASHBOARD,
    "B6",
    "Results",
    f'=IF(COUNT({LAST_WEIGHT_NAMES["vertical"]})=0,"Not scored yet: press Rescore",'
    f'IF({LIVE_MODE.name}="{LIVE_ON}",IF({SEGMENT_VIEW.name}={LIVE_VIEW_CELL},"{LIVE_TEXT}",'
    f'"{LIVE_RESCORE_TEXT}"),'
    f'IF({_calibration_differs},"{RECALIBRATE_TEXT}",'
    f'IF(AND({_same_weights},{_differences}=0,{_same_accounts}),"{FRESH_TEXT}",'
    f'"{STALE_TEXT}"))))',
)
SCORES_STATUS = NamedCell(
    "ScoresStatus", SCORES, f"{column_letter(len(SCORES_FIELDS) + 2)}1", None, "=ResultsStatus"
)

# Movers sheet blocks (top-left of each header row) and the areas rewritten on each rescore
# (around the captions of rows 4, 13 and 26).
