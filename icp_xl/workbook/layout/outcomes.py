"""The Outcomes part of the workbook: the Opportunities sheet (the user's CRM deals, like
Accounts), the Outcomes sheet (win rate by grade, AUC, gains, the backtest) and the Grade
History sheet (each account's grade at every rescore where it changed, for the backtest).

These three sheets are *optional*: a workbook made before them keeps working without
them (a rescore skips the outcomes when they are absent); importing opportunities adds
them (:func:`icp_xl.hosts.file.structure_check.missing_structure` with ``outcomes=True``).

Outcomes sheet, top to bottom: title (A1), what was read (A2), headline sentences
(A4:A9), two charts (rows 11-28: win rate by grade with Wilson error bars, gains curve),
the by-grade table ``OutcomesByGrade`` (header row 31), the AUC named cells (B40:B44), the
backtest (coverage sentence in A47, table ``OutcomesBacktest`` header row 48), and the
opportunities of unknown accounts (header row 57). Columns AA:AI (hidden) hold the charts'
cells.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from icp_xl.core.inputs.columns import OPPORTUNITY_COLUMNS
from icp_xl.core.model.settings import GRADES
from icp_xl.workbook.layout.kinds import (
    COUNT,
    INTEGER,
    MONEY,
    OPTIMIZATION,
    PERCENT,
    TIMESTAMP,
    Column,
    FormatRange,
    NamedCell,
    SheetSpec,
    TableSpec,
    TextCell,
)

OPPORTUNITIES = "Opportunities"
OUTCOMES = "Outcomes"
GRADE_HISTORY = "Grade History"
LIFT_FORMAT = '0.00"×"'
DATE = "yyyy-mm-dd"

OPPORTUNITIES_TABLE = TableSpec(
    "OpportunitiesTable",
    OPPORTUNITIES,
    "A1",
    tuple(
        Column(c.header, MONEY if c.field == "amount" else DATE if "date" in c.field else None, 16)
        for c in OPPORTUNITY_COLUMNS
    ),
)
# Outcome by grade: (field of core.insight.outcomes.outcomes_by_grade, header, format, width)
OUTCOME_COLUMNS: tuple[tuple[str, Column], ...] = (
    ("grade", Column("Grade", None, 12)),
    ("accounts", Column("Accounts", COUNT, 10)),
    ("share_of_accounts", Column("Share of accounts", PERCENT, 10)),
    ("accounts_with_opportunity", Column("Accounts with an opportunity", COUNT, 13)),
    ("opportunities", Column("Opportunities", COUNT, 13)),
    ("won", Column("Won", COUNT, 8)),
    ("lost", Column("Lost", COUNT, 8)),
    ("open", Column("Open", COUNT, 8)),
    ("win_rate", Column("Win rate", PERCENT, 9)),
    ("win_rate_low", Column("Win rate low (95 %)", PERCENT, 10)),
    ("win_rate_high", Column("Win rate high (95 %)", PERCENT, 10)),
    ("won_amount", Column("Won amount", MONEY, 14)),
    ("share_of_won_deals", Column("Share of won deals", PERCENT, 10)),
    ("share_of_won_amount", Column("Share of won amount", PERCENT, 10)),
    ("lift", Column("Lift", LIFT_FORMAT, 8)),
    ("note", Column("Note", None, 16)),
)
OUTCOMES_SUMMARY = "A2"
HEADLINES_TOP = "A4"
HEADLINE_ROWS = 6
CHARTS_ROW = 11  # the charts' grid starts here (column A)
BY_GRADE_ROW = 31  # header row of OutcomesByGrade
BACKTEST_ROW = 48
UNKNOWN_ROW = 57  # header of the list of opportunities of unknown accounts
UNKNOWN_ROWS = 20
OUTCOMES_BY_GRADE_TABLE = TableSpec(
    "OutcomesByGrade", OUTCOMES, f"A{BY_GRADE_ROW}", tuple(c for _, c in OUTCOME_COLUMNS)
)
OUTCOMES_BACKTEST_TABLE = TableSpec(
    "OutcomesBacktest", OUTCOMES, f"A{BACKTEST_ROW}", tuple(c for _, c in OUTCOME_COLUMNS)
)
_AUC_ROW = BY_GRADE_ROW + len(GRADES) + 4  # a blank row, the caption, then the names
OUTCOME_AUC = NamedCell("Outcome_AUC", OUTCOMES, f"B{_AUC_ROW}", "AUC (account level)", None,
                        "0.000")  # fmt: skip
OUTCOME_NAMES: tuple[NamedCell, ...] = (
    OUTCOME_AUC,
    NamedCell("Outcome_AUC_Low", OUTCOMES, f"B{_AUC_ROW + 1}", "AUC 95 % interval, low", None,
              "0.000"),
    NamedCell("Outcome_AUC_High", OUTCOMES, f"B{_AUC_ROW + 2}", "AUC 95 % interval, high", None,
              "0.000"),
    NamedCell("Outcome_AUC_Accounts", OUTCOMES, f"B{_AUC_ROW + 3}",
              "Accounts with closed deals", None, COUNT),
    NamedCell("Outcome_RefreshedAt", OUTCOMES, f"B{_AUC_ROW + 4}", "Refreshed at", None,
              TIMESTAMP),
)  # fmt: skip
BACKTEST_SUMMARY = f"A{BACKTEST_ROW - 1}"
UNKNOWN_TOP = f"A{UNKNOWN_ROW}"
UNKNOWN_COLUMNS: tuple[str, ...] = ("Opportunity ID", "Account ID", "Stage", "Amount", "Row")
# Areas an outcomes refresh clears before writing (values only; formats stay).
OUTCOMES_AREAS: tuple[str, ...] = (
    f"{OUTCOMES_SUMMARY}:P{OUTCOMES_SUMMARY[1:]}",
    f"{HEADLINES_TOP}:P{int(HEADLINES_TOP[1:]) + HEADLINE_ROWS - 1}",
    BACKTEST_SUMMARY + f":P{BACKTEST_ROW - 1}",
    f"A{UNKNOWN_ROW}:E{UNKNOWN_ROW + UNKNOWN_ROWS + 1}",
)
# The charts' cells (hidden columns): win rate by grade with error lengths, and the gains.
WIN_CHART_TOP = "AA1"  # Grade, Win rate, Minus, Plus; rows 2-6 the grades A..F
GAINS_CHART_TOP = "AF1"  # Share of accounts, Won accounts, Won amount, Random; 21 rows
GAINS_POINTS = 21
OUTCOMES_CAPTIONS: tuple[TextCell, ...] = (
    TextCell(OUTCOMES, f"A{BY_GRADE_ROW - 1}", "By today's grade (can flatter the model: "
             "today's inputs may already reflect the wins; the backtest below is the honest "
             "test)"),
    TextCell(OUTCOMES, f"A{_AUC_ROW - 1}", "How well the ICP score ranks won above lost accounts"),
    TextCell(OUTCOMES, f"A{BACKTEST_ROW - 2}", "Backtest: each opportunity graded as its "
             "account was at the last rescore before the opportunity was created"),
    TextCell(OUTCOMES, f"A{UNKNOWN_ROW - 1}", "Opportunities whose account is not in the "
             "Accounts table (left out of every figure above)"),
)  # fmt: skip
OUTCOMES_FORMATS: tuple[FormatRange, ...] = (
    FormatRange(OUTCOMES, f"D{UNKNOWN_ROW + 1}:D{UNKNOWN_ROW + UNKNOWN_ROWS + 1}", MONEY),
    FormatRange(OUTCOMES, f"AB2:AD{1 + len(GRADES)}", PERCENT),
    FormatRange(OUTCOMES, f"AF2:AI{1 + GAINS_POINTS}", PERCENT),
)
# On the Optimization sheet (written by actions.optimization and actions.preview):
# - the won target's figures, optimized beside current and the accounts they are over: a
#   header row, then AUC in-sample, AUC on the time split and grade A's lift (under the grade
#   shares block, columns D-G);
WON_TOP = "D16"
# - the Outcomes under the candidate weights beside the current ones, right of the preview
#   (whose caption row is 23): caption, Candidate/Current over the columns, the header,
#   grades A-F and Total, a blank row, the AUC, then what it is computed over.
OUTCOMES_PREVIEW_TOP = "S23"
OUTCOMES_PREVIEW_AREA = "S23:Y36"
OUTCOMES_PREVIEW_COLUMNS: tuple[str, ...] = (
    "Grade", "Win rate", "Lift", "Closed", "Win rate", "Lift", "Closed",
)  # fmt: skip
OPTIMIZATION_OUTCOMES_FORMATS: tuple[FormatRange, ...] = (
    FormatRange(OPTIMIZATION, "E17:F18", "0.000"),
    FormatRange(OPTIMIZATION, "E19:F19", LIFT_FORMAT),
    FormatRange(OPTIMIZATION, "G17:G18", COUNT),
    *(
        FormatRange(OPTIMIZATION, f"{c}26:{c}31", fmt)
        for c, fmt in zip("TUVWXY", (PERCENT, LIFT_FORMAT, COUNT) * 2, strict=True)
    ),
    FormatRange(OPTIMIZATION, "T33:W33", "0.000"),
)
GRADE_HISTORY_TABLE = TableSpec(
    "GradeHistory",
    GRADE_HISTORY,
    "A3",
    (
        Column("Run", INTEGER, 8),
        Column("Time", TIMESTAMP, 20),
        Column("Customer ID", None, 16),
        Column("Grade", None, 8),
    ),  # fmt: skip
    style="TableStyleLight9",
)
GRADE_HISTORY_FIELDS: Mapping[str, str] = MappingProxyType(
    {"run": "Run", "time": "Time", "customer_id": "Customer ID", "grade": "Grade"}
)
OUTCOMES_SHEET_SPECS: tuple[SheetSpec, ...] = (
    SheetSpec(
        OUTCOMES,
        "output",
        "Outcomes: does the grade predict the deal?",
        {"A": 26, "B": 19, **{c: 11 for c in "CDFGHIJKLMNO"}, "E": 14, "P": 16},
        freeze="A3",
        note="Import opportunities (ribbon) or run `icp-xl outcomes ICP.xlsx DEALS.csv` to fill "
        "this sheet; every Rescore refreshes it.",
    ),
    SheetSpec(OPPORTUNITIES, "external", freeze="A2"),
    SheetSpec(
        GRADE_HISTORY,
        "output",
        "Grade history: each account's grade from the rescore where it changed",
        {"A": 8, "B": 20, "C": 16, "D": 8},
        freeze="A4",
        note="Kept by every rescore for the Outcomes backtest; blank grade = left Accounts.",
    ),
)
OUTCOMES_TABLES: tuple[TableSpec, ...] = (
    OPPORTUNITIES_TABLE,
    OUTCOMES_BY_GRADE_TABLE,
    OUTCOMES_BACKTEST_TABLE,
    GRADE_HISTORY_TABLE,
)
OPTIONAL_SHEETS: frozenset[str] = frozenset(s.name for s in OUTCOMES_SHEET_SPECS)
OUTCOMES_HIDDEN_COLUMNS = ("AA", "AI")
