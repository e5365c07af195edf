"""Every sheet of the ICP workbook: its role (input, output), title, column widths, frozen
panes and note."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from icp_xl.workbook.layout.kinds import (
    ACCOUNT,
    ACCOUNTS,
    CHART_DATA,
    DASHBOARD,
    DATA_QUALITY,
    MOVERS,
    MOVERS_WIDTHS,
    OPTIMIZATION,
    SCORES,
    SEGMENTS_SHEET,
    SETTINGS,
    TOP_CUSTOMERS,
    WEIGHTS,
    SheetSpec,
)
from icp_xl.workbook.layout.live import LIVE_SHEET
from icp_xl.workbook.layout.outcomes import OUTCOMES_SHEET_SPECS

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
            "S": 28,  # the Outcomes under the candidate weights
            **{c: 10 for c in "TUVWXY"},
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
    *OUTCOMES_SHEET_SPECS,
    SheetSpec(CHART_DATA, "external", None),
    LIVE_SHEET,
)
SHEET_NAMES: tuple[str, ...] = tuple(s.name for s in SHEETS)
SHEETS_BY_NAME: Mapping[str, SheetSpec] = MappingProxyType({s.name: s for s in SHEETS})
INPUT_SHEETS: frozenset[str] = frozenset(s.name for s in SHEETS if s.role == "input")
_SHEETS_FOLDED: Mapping[str, str] = MappingProxyType({n.casefold(): n for n in SHEET_NAMES})


def layout_sheet_name(name: str) -> str:
    """The layout's name of a sheet named ``name`` in any case, as Excel matches sheet
    names (``Chart data`` -> ``Chart Data``); any other name unchanged."""
    return _SHEETS_FOLDED.get(name.casefold(), name)
