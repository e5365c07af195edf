"""Live mode: the Settings switch, and the Live sheet that holds the helper cells of the Scores
formulas (which Excel does not allow inside the Scores table)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from icp_xl.core.model.settings import GRADES, SEGMENTS
from icp_xl.workbook.layout.kinds import SETTINGS, NamedCell, SheetSpec, TextCell

LIVE = "Live"
LIVE_ON, LIVE_OFF = "On", "Off"
LIVE_MODE_CHOICES: tuple[str, ...] = (LIVE_ON, LIVE_OFF)
# Below the weight bounds, outside the Settings areas the stale check copies: switching Live
# mode changes no score.
LIVE_MODE = NamedCell("LiveMode", SETTINGS, "B33", "Live formulas (On or Off)", LIVE_OFF)
LIVE_CAPTION = TextCell(
    SETTINGS, "A32", "Live mode: Scores as formulas that recalculate in Excel 2021+"
)
LIVE_NOTE = (
    "Helper cells of the live Scores formulas (Live mode on Settings). Written by Rescore; "
    "do not edit or sort."
)
LIVE_SHEET = SheetSpec(
    LIVE,
    "output",
    None,
    {
        "A": 30,
        "B": 8,
        "C": 8,
        "D": 14,
        "E": 8,
        "F": 12,
        "G": 12,
        "H": 34,
        "I": 18,
        "J": 9,
        "K": 9,
        "L": 9,
        "M": 12,
        "N": 14,
        "O": 14,
        "Q": 30,
        "R": 10,
        "S": 12,
        "T": 36,
        "V": 34,
        "W": 14,
        "X": 12,
        "Y": 14,
        "Z": 12,
    },
    freeze="A2",
)

# Per-account helper columns, row r beside Scores row r (header in row 1).
LIVE_COLUMNS: Mapping[str, str] = MappingProxyType(
    {
        "label": "A",  # the vertical-table industry the account matched (Python-written)
        "order": "B",  # row numbers ordered by (raw score rounded to 9 decimals, row)
        "rank": "C",  # each row's rank: the inverse of that order
        "key": "D",  # the raw score rounded to 9 decimals
        "point": "E",  # Calibrated mode: the calibration point at or below the key
        "percentile": "F",  # Calibrated mode: the interpolated percentile
    }
)
LIVE_HEADERS: Mapping[str, str] = MappingProxyType(
    {
        "label": "Industry as matched",
        "order": "Order",
        "rank": "Rank",
        "key": "Rank key",
        "point": "Point",
        "percentile": "Percentile",
    }
)
# Per-account helper columns of the within-segment score and grade (row r beside Scores row
# r): the same two sorts, ordered by (segment, rank key, row).
SEGMENT_COLUMNS: Mapping[str, str] = MappingProxyType(
    {
        "segment_order": "J",  # row numbers ordered by (segment, rank key, row)
        "segment_position": "K",  # each row's place in that order
        "segment_rank": "L",  # the place minus the accounts of the segments before
        "segment_percentile": "M",  # average rank of the segment score / segment size
    }
)
SEGMENT_HEADERS: Mapping[str, str] = MappingProxyType(
    {
        "segment_order": "Segment order",
        "segment_position": "Position",
        "segment_rank": "Segment rank",
        "segment_percentile": "Segment percentile (grades)",
    }
)
# Figures over all accounts: label in column H, value in column I, from row 2 on.
LIVE_FIGURES: tuple[str, ...] = (
    "accounts",
    "printers_min",
    "printers_max",
    "consumables_min",
    "consumables_max",
    "software_min",
    "software_max",
    "zero_count",
    "hundred_count",
    "cutoff_F",
    "cutoff_D",
    "cutoff_C",
    "cutoff_B",
    *(f"{kind}_{segment}" for segment in SEGMENTS for kind in ("count", "zero", "hundred")),
    *(f"segment_cutoff_{grade}" for grade in GRADES[:-1]),
)
LIVE_FIGURE_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "accounts": "Accounts",
        "printers_min": "Printers log min",
        "printers_max": "Printers log max",
        "consumables_min": "Consumables log min",
        "consumables_max": "Consumables log max",
        "software_min": "Software log min",
        "software_max": "Software log max",
        "zero_count": "Accounts scored 0",
        "hundred_count": "Accounts scored 100",
        "cutoff_F": "Grade F up to",
        "cutoff_D": "Grade D up to",
        "cutoff_C": "Grade C up to",
        "cutoff_B": "Grade B up to",
        **{
            f"{kind}_{segment}": f"{segment}: {label}"
            for segment in SEGMENTS
            for kind, label in (
                ("count", "accounts"),
                ("zero", "segment score 0"),
                ("hundred", "segment score 100"),
            )
        },
        **{f"segment_cutoff_{g}": f"Segment grade {g} up to" for g in GRADES[:-1]},
    }
)
LIVE_FIGURES_TOP_LEFT = "H2"
LIVE_NOTE_CELL = "H1"


def live_figure_ref(figure: str) -> str:
    """The absolute reference (``Live!$I$3``) of one of :data:`LIVE_FIGURES`."""
    return f"{LIVE}!$I${2 + LIVE_FIGURES.index(figure)}"


# The Dashboard's live figures (written with the segment view): per-account columns N:O,
# the largest industries' helper table Q:T and the view's figures V:W.
VIEW_COLUMNS: Mapping[str, str] = MappingProxyType(
    {
        "view_target": "N",  # the view's target revenue (0 outside), best view score first
        "best_target": "O",  # the same amounts, largest first
    }
)
VIEW_HEADERS: Mapping[str, str] = MappingProxyType(
    {"view_target": "Target by view score", "best_target": "Target, largest first"}
)
INDUSTRY_HELPER_TOP_LEFT = "Q1"
INDUSTRY_HELPER_HEADERS: tuple[str, ...] = (
    "Industry (15 largest of the view)",
    "Accounts",
    "Average view score",
    "Chart label",
)
VIEW_FIGURES: tuple[str, ...] = (
    "view",
    "view_accounts",
    "view_target",
    "top_count",
    "q1",
    "median",
    "mean",
    "q3",
    "hist_height",
    "raw_low",
    "raw_high",
)
VIEW_FIGURE_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "view": "Segment view of these figures",
        "view_accounts": "Accounts in the view",
        "view_target": "Target revenue of the view",
        "top_count": "Accounts in the top 10%",
        "q1": "View score Q1",
        "median": "View score median",
        "mean": "View score mean",
        "q3": "View score Q3",
        "hist_height": "Histogram marker height",
        "raw_low": "Raw histogram from",
        "raw_high": "Raw histogram to",
    }
)
VIEW_FIGURES_TOP_LEFT = "V2"
VIEW_NOTE_CELL = "V1"
VIEW_NOTE = "Helper cells of the live Dashboard and Chart Data (written with the segment view)."
# Calibrated mode's All Segments view: the key figures' "grades A+B" rank the calibrated
# scores by the Settings shares (average rank of tied scores, by binary search).
SHARE_GRADE_COLUMNS: Mapping[str, str] = MappingProxyType(
    {"ascending": "X", "percentile": "Y", "descending": "Z"}
)
SHARE_GRADE_HEADERS: Mapping[str, str] = MappingProxyType(
    {
        "ascending": "ICP scores, ascending",
        "percentile": "Percentile by the Settings shares",
        "descending": "ICP scores, descending",
    }
)
LIVE_VIEW_AREA = "N1:Z1048576"


def live_view_ref(figure: str) -> str:
    """The absolute reference (``Live!$W$3``) of one of :data:`VIEW_FIGURES`."""
    return f"{LIVE}!$W${2 + VIEW_FIGURES.index(figure)}"
