"""Why an account scores what it scores, and the smallest change that lifts it one grade.

Pure functions over the prepared accounts (``Accounts.frame``: internal field names,
money in USD, counts as floats) and :func:`~icp_xl.core.model.scoring.score_accounts` output:

- :func:`contributions`: each component's *points* of the raw score,
  ``100 * weight * component`` (0-100); the four add up to the raw score exactly,
  because the core adds these same points to make the raw score;
- :func:`~icp_xl.core.insight.reasons.reasons`: one short sentence per account naming
  its strongest and weakest component against the portfolio average ("Adoption in the
  top 10%, no software revenue");
- :func:`percentiles`: the percentile the grade is read from (average rank / n);
- :func:`next_grade_changes`: per input (industry, annual revenue, printers, consumable
  revenue, software revenue), the smallest change that moves the account to the next
  grade with everything else fixed. Scores are relative (every rescore re-ranks the
  population, and min-max scaling depends on the population's extremes), so each
  candidate change is judged by re-scoring the whole population with it applied; the
  search is a bisection over whole steps (1 printer, $100, $1 of annual revenue) that
  scores 32 candidates at a time as one array, and its answer is verified with
  :func:`~icp_xl.core.model.scoring.score_accounts` on the changed population;
- :func:`explain_account` gathers all of it for one account, and
  :func:`explanation_grid` lays it out as the rows the Account sheet, the
  ``ICP_EXPLAIN`` formula and ``icp-xl explain`` all show.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from icp_xl.core.errors import IcpError
from icp_xl.core.inputs.accounts import cell_text
from icp_xl.core.insight.reasons import money_text, reasons, score_text
from icp_xl.core.model.calibration import (
    Calibration,
    calibrated_components,
    calibrated_normal_scores,
)
from icp_xl.core.model.scoring import (
    component_points,
    grades,
    normal_scores,
    rank_key,
    raw_from_points,
    raw_scores,
    score_accounts,
    size_scores,
    vertical_scores,
)
from icp_xl.core.model.segments import within_segment_scores
from icp_xl.core.model.settings import COMPONENTS, GRADES, Settings

#: Scored column of each component's points of the raw score.
POINTS_COLUMNS: dict[str, str] = {name: f"{name}_points" for name in COMPONENTS}
REASON_COLUMN = "reason"
EXPLANATION_COLUMNS: tuple[str, ...] = (*POINTS_COLUMNS.values(), REASON_COLUMN)
COMPONENT_LABELS: dict[str, str] = {name: name.title() for name in COMPONENTS}

PRINTER_STEP = 1.0  # printers
MONEY_STEP = 100.0  # USD, consumable and software revenue
REVENUE_STEP = 1.0  # USD, annual revenue (tiers change at exact bounds)
SEARCH_WIDTH = 32  # candidates scored together per bisection round
# A numeric input is searched up to the largest of: CAP_FACTOR x the population's
# largest value, CAP_FACTOR x the account's own value, and the floor below.
CAP_FACTOR = 10.0
CAP_FLOOR = {"printer_count": 100.0, "consumable_revenue": 1e6, "software_revenue": 1e6}
NOT_REACHABLE = "not reachable by this input alone"
TOP_GRADE = "already in the top grade"


@dataclass(frozen=True)
class LiftInput:
    """An input the next-grade search may change: its field, label and unit."""

    field: str
    label: str
    unit: str  # "text", "usd" or "count"


LIFT_INPUTS: tuple[LiftInput, ...] = (
    LiftInput("industry", "Industry", "text"),
    LiftInput("annual_revenue", "Annual revenue", "usd"),
    LiftInput("printer_count", "Printers", "count"),
    LiftInput("consumable_revenue", "Consumable revenue", "usd"),
    LiftInput("software_revenue", "Software revenue", "usd"),
)


# ------------------------------------------------------------------ contributions, reasons


def contributions(scored: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Points of the raw score per component (``100 * weight * component``, 0-100).

    ``scored``: :func:`~icp_xl.core.model.scoring.score_accounts` output (the four
    ``*_score`` columns). Returns :data:`POINTS_COLUMNS` indexed like it; per row the
    four add up (vertical + size + adoption + relationship) to ``ICP_score_raw``
    exactly.
    """
    return pd.DataFrame(
        {
            POINTS_COLUMNS[name]: component_points(
                getattr(settings.weights, name), scored[f"{name}_score"].to_numpy()
            )
            for name in COMPONENTS
        },
        index=scored.index,
    )


def percentiles(icp_scores: np.ndarray | pd.Series) -> np.ndarray:
    """Percentile of each ICP score as a fraction in (0, 1]: average rank / n, the
    number the grade is read from (0.95 = above 95% of the portfolio, grade A)."""
    x = np.asarray(icp_scores, dtype=float)
    if len(x) == 0:
        return np.array([], dtype=float)
    return pd.Series(x).rank(method="average").to_numpy() / len(x)


def explanation_columns(
    frame: pd.DataFrame, scored: pd.DataFrame, settings: Settings
) -> pd.DataFrame:
    """:data:`EXPLANATION_COLUMNS` of every account: its four points and its reason."""
    out = contributions(scored, settings)
    out[REASON_COLUMN] = reasons(frame, scored, settings)
    return out


# ------------------------------------------------------------------ next-grade search


@dataclass(frozen=True)
class Lift:
    """The smallest change of one input that lifts the account one grade.

    ``now``/``new_value`` in the input's unit (USD, printers, or the industry name;
    None = unknown or no change found); ``change`` the change in words ("+2 printers")
    or :data:`NOT_REACHABLE`; ``score_after``/``grade_after`` the account's ICP score
    and grade when the whole population is rescored with the change applied.
    """

    input: LiftInput
    now: Any
    change: str
    new_value: Any = None
    score_after: float | None = None
    grade_after: str | None = None

    @property
    def reachable(self) -> bool:
        return self.grade_after is not None


def grade_index_by_rank(n: int, settings: Settings) -> np.ndarray:
    """Grade (index into GRADES, F = 0) of the account ranked r = 1..n by raw score.

    In the relative mode the ICP scores of n accounts are always the same n values
    (one per rank), so an account's grade depends only on its rank.
    """
    scores = normal_scores(np.arange(n, dtype=float))
    return np.array([GRADES.index(g) for g in grades(scores, settings)], dtype=int)


_SCALED_FIELDS = ("printer_count", "consumable_revenue", "software_revenue")


class _Search:
    """The population around one account (position ``i``), ready to score candidate
    values of one input for that account as a (candidates x accounts) array."""

    def __init__(self, frame: pd.DataFrame, settings: Settings, position: int) -> None:
        self.frame = frame
        self.settings = settings
        self.i = position
        self.n = len(frame)
        self.grade_by_rank = grade_index_by_rank(self.n, settings)
        self.inputs = {
            "industry": frame["industry"],
            "annual_revenue": frame["annual_revenue"].to_numpy(dtype=float),
            "printer_count": frame["printer_count"].to_numpy(dtype=float),
            "consumable_revenue": frame["consumable_revenue"].to_numpy(dtype=float),
            "software_revenue": frame["software_revenue"].to_numpy(dtype=float),
        }
        self.vertical = vertical_scores(frame["industry"], settings)
        self.size = size_scores(self.inputs["annual_revenue"], settings)
        # log1p features and their min-max scaling, computed once for the population
        self.logs = {field: _log_feature(self.inputs[field]) for field in _SCALED_FIELDS}
        self.scaled = {field: _min_max_rows(log[None, :]) for field, log in self.logs.items()}

    def rank_grades(self, raw: np.ndarray) -> np.ndarray:
        """Grade index of the account for each row of raw scores (rank "first" on the raw
        score rounded as it is ranked, :func:`rank_key`)."""
        raw = rank_key(raw)
        own = raw[:, self.i : self.i + 1]
        rank = (raw < own).sum(axis=1) + (raw[:, : self.i] == own).sum(axis=1) + 1
        return self.grade_by_rank[rank - 1]

    def _with_column(self, base: np.ndarray, own: np.ndarray) -> np.ndarray:
        rows = np.repeat(base[None, :], len(own), axis=0)
        rows[:, self.i] = own
        return rows

    def raw_for(self, field: str, values: np.ndarray) -> np.ndarray:
        """Raw scores of the population (rows) with the account's ``field`` set to each
        of ``values``; vertical scores when ``field`` is "industry"."""
        vertical, size = self.vertical[None, :], self.size[None, :]
        scaled = dict(self.scaled)
        if field == "industry":
            vertical = self._with_column(self.vertical, values)
        elif field == "annual_revenue":
            size = self._with_column(self.size, size_scores(values, self.settings))
        else:
            logs = self._with_column(self.logs[field], _log_feature(values))
            scaled[field] = _min_max_rows(logs)
        adoption = 0.5 * scaled["printer_count"] + 0.5 * scaled["consumable_revenue"]
        relationship = scaled["software_revenue"]
        weights = self.settings.weights
        return raw_from_points(
            *np.broadcast_arrays(
                component_points(weights.vertical, vertical),
                component_points(weights.size, size),
                component_points(weights.adoption, adoption),
                component_points(weights.relationship, relationship),
            )
        )

    def grades_for(self, field: str, values: np.ndarray) -> np.ndarray:
        return self.rank_grades(self.raw_for(field, np.asarray(values, dtype=float)))

    def rescored(self, field: str, value: Any) -> tuple[float, str]:
        """ICP score and grade of the account when the whole population is rescored
        with the account's ``field`` set to ``value``."""
        changed = self.frame.copy()
        column = changed.columns.get_loc(field)
        changed.iloc[self.i, column] = value
        scored = score_accounts(changed, self.settings)
        return float(scored["ICP_score"].iloc[self.i]), str(scored["ICP_grade"].iloc[self.i])


class _CalibratedSearch(_Search):
    """The same search against a calibration: each candidate scores the account alone
    (its score depends on nothing else)."""

    def __init__(
        self, frame: pd.DataFrame, settings: Settings, position: int, calibration: Calibration
    ) -> None:
        super().__init__(frame, settings, position)
        self.calibration = calibration

    def _alone(self, count: int, field: str | None = None, values: Any = None) -> pd.DataFrame:
        """``count`` copies of the account's row, with ``field`` set to ``values``."""
        rows = self.frame.iloc[np.repeat(self.i, count)].reset_index(drop=True)
        if field is not None:
            rows[field] = values
        return rows

    def _scores(self, rows: pd.DataFrame, vertical: np.ndarray | None = None):
        components = calibrated_components(rows, self.settings, self.calibration)
        if vertical is not None:
            components["vertical_score"] = vertical
        return calibrated_normal_scores(
            raw_scores(components, self.settings.weights), self.calibration
        )

    def grades_for(self, field: str, values: np.ndarray) -> np.ndarray:
        values = np.asarray(values, dtype=float)  # vertical scores when field is "industry"
        if field == "industry":
            _, letters = self._scores(self._alone(len(values)), vertical=values)
        else:
            _, letters = self._scores(self._alone(len(values), field, values))
        return np.array([GRADES.index(g) for g in letters], dtype=int)

    def rescored(self, field: str, value: Any) -> tuple[float, str]:
        scores, letters = self._scores(self._alone(1, field, [value]))
        return float(scores[0]), str(letters[0])


def _log_feature(values: np.ndarray) -> np.ndarray:
    return np.log1p(np.maximum(values, 0.0))


def _min_max_rows(x: np.ndarray) -> np.ndarray:
    """:func:`~icp_xl.core.model.scoring.min_max` applied to each row (same arithmetic)."""
    low = x.min(axis=1, keepdims=True)
    high = x.max(axis=1, keepdims=True)
    spread = high > low
    span = np.where(spread, high - low, 1.0)
    return np.where(spread, (x - low) / span, 0.0)


def smallest_lifting_step(lifted: Callable[[np.ndarray], np.ndarray], max_steps: int) -> int | None:
    """The smallest whole number of steps k in [1, max_steps] with ``lifted(k)``, or None.

    ``lifted`` maps an int array of step counts to a bool array and must be monotone
    (once lifted, more steps stay lifted). Each round scores up to
    :data:`SEARCH_WIDTH` candidates between the last known failure and success.
    """
    if max_steps < 1 or not lifted(np.array([max_steps]))[0]:
        return None
    low, high = 0, max_steps
    while high - low > 1:
        probe = np.unique(np.linspace(low, high, SEARCH_WIDTH + 2)[1:-1].round().astype(np.int64))
        probe = probe[(probe > low) & (probe < high)]
        ok = np.asarray(lifted(probe), dtype=bool)
        if ok.any():
            first = int(ok.argmax())
            high = int(probe[first])
            low = int(probe[first - 1]) if first > 0 else low
        else:
            low = int(probe[-1])
    return high


def _count_text(count: float) -> str:
    return f"{count:,.0f}" if float(count).is_integer() else f"{count:,.2f}"


def _numeric_lift(search: _Search, spec: LiftInput, target: int) -> Lift:
    field = spec.field
    values = search.inputs[field]
    now = float(values[search.i])
    step = PRINTER_STEP if field == "printer_count" else MONEY_STEP
    cap = max(CAP_FACTOR * float(values.max()), CAP_FACTOR * now, CAP_FLOOR[field])
    max_steps = int(math.ceil((cap - now) / step))
    start = max(now, 0.0)  # a negative amount counts as 0: the first step starts from 0

    def value(k: np.ndarray | int) -> np.ndarray:
        return start + step * np.asarray(k, dtype=float)

    found = smallest_lifting_step(lambda k: search.grades_for(field, value(k)) >= target, max_steps)
    for k in () if found is None else range(found, min(found + 3, max_steps) + 1):
        new = float(value(k))
        score, grade = search.rescored(field, new)
        if GRADES.index(grade) >= target:
            change = new - now
            if field == "printer_count":
                text = f"+{_count_text(change)} printer{'' if change == 1 else 's'}"
            else:
                label = spec.label[0].lower() + spec.label[1:]
                text = f"+${change:,.0f} {label}"
            return Lift(spec, now, text, new, score, grade)
    return Lift(spec, now, NOT_REACHABLE)


def _revenue_lift(search: _Search, spec: LiftInput, target: int) -> Lift:
    now = float(search.inputs["annual_revenue"][search.i])
    known = math.isfinite(now) and now > 0
    bounds = sorted({max(t.lower, REVENUE_STEP) for t in search.settings.size_tiers})
    candidates = np.array([b for b in bounds if not known or b > now], dtype=float)
    if len(candidates):
        ok = np.flatnonzero(search.grades_for("annual_revenue", candidates) >= target)
        for new in candidates[ok]:
            score, grade = search.rescored("annual_revenue", float(new))
            if GRADES.index(grade) >= target:
                if known:
                    text = f"+${new - now:,.0f} annual revenue (to {money_text(new)})"
                else:
                    text = f"annual revenue known to be {money_text(new)} (now unknown)"
                return Lift(spec, now if known else None, text, float(new), score, grade)
    return Lift(spec, now if known else None, NOT_REACHABLE)


def _industry_lift(search: _Search, spec: LiftInput, target: int) -> Lift:
    now = str(search.inputs["industry"].iloc[search.i])
    current = search.vertical[search.i]
    table = search.settings.vertical_table
    better = sorted({s for s in table.values() if s > current})
    if better:
        ok = np.flatnonzero(search.grades_for("industry", np.array(better)) >= target)
        for score_value in (better[j] for j in ok):
            name = next(k for k, v in table.items() if v == score_value).title()
            score, grade = search.rescored("industry", name)
            if GRADES.index(grade) >= target:
                text = f"industry → {name} (vertical {score_text(score_value)})"
                return Lift(spec, now, text, name, score, grade)
    return Lift(spec, now, NOT_REACHABLE)


def next_grade_changes(
    frame: pd.DataFrame,
    settings: Settings,
    position: int,
    grade: str,
    calibration: Calibration | None = None,
) -> tuple[Lift, ...]:
    """Per input of :data:`LIFT_INPUTS`, the smallest change that lifts the account at
    row ``position`` of ``frame`` (prepared accounts) from ``grade`` to the next grade,
    everything else fixed; the population is rescored with each change (Relative mode),
    or, given a ``calibration``, the account alone is scored against it (Calibrated).

    Numeric inputs only go up, in whole steps (1 printer, $100 of consumable or software
    revenue, $1 of annual revenue), up to :data:`CAP_FACTOR` times the largest value
    present; annual revenue tries each size tier's lower bound; the industry tries the
    vertical scores above the account's. An account already in grade A gets
    :data:`TOP_GRADE` for every input.
    """
    current = GRADES.index(grade)
    if current == len(GRADES) - 1:
        return tuple(
            Lift(spec, _now(frame, spec.field, position), TOP_GRADE) for spec in LIFT_INPUTS
        )
    frame = frame.reset_index(drop=True)
    search = (
        _Search(frame, settings, position)
        if calibration is None
        else _CalibratedSearch(frame, settings, position, calibration)
    )
    target = current + 1
    finders = {"industry": _industry_lift, "annual_revenue": _revenue_lift}
    return tuple(
        finders.get(spec.field, _numeric_lift)(search, spec, target) for spec in LIFT_INPUTS
    )


def _now(frame: pd.DataFrame, field: str, position: int) -> Any:
    value = frame[field].iloc[position]
    if field == "industry":
        return str(value)
    value = float(value)
    return value if math.isfinite(value) and (field != "annual_revenue" or value > 0) else None


# ------------------------------------------------------------------ one account


@dataclass(frozen=True)
class Explanation:
    """One account explained. Scores 0-100, ``percentile`` a fraction (0.87 = above 87%
    of the portfolio), ``components`` indexed by component name with ``score`` (0-1),
    ``weight``, ``points`` and the ``portfolio_average``/``segment_average`` points."""

    customer_id: str
    company_name: str
    industry: str
    segment: str
    icp_score: float
    grade: str
    percentile: float
    segment_score: float
    segment_grade: str
    raw_score: float
    portfolio_average_raw: float
    segment_average_raw: float
    reason: str
    components: pd.DataFrame
    lifts: tuple[Lift, ...]

    @property
    def target_grade(self) -> str | None:
        """The next grade up, or None in grade A."""
        index = GRADES.index(self.grade)
        return GRADES[index + 1] if index + 1 < len(GRADES) else None


def scored_for_explanation(
    frame: pd.DataFrame, settings: Settings, scores: pd.DataFrame | None = None
) -> pd.DataFrame:
    """``scores`` (score_accounts-like output for ``frame``, e.g. Calibrated scores;
    score_accounts when None) joined with the within-segment score and grade and
    :data:`EXPLANATION_COLUMNS`: everything :func:`explain_account` reads."""
    scored = score_accounts(frame, settings) if scores is None else scores
    scored = scored.join(within_segment_scores(scored, settings))
    return scored.join(explanation_columns(frame, scored, settings))


def find_account(frame: pd.DataFrame, customer_id: Any) -> int:
    """Row position of ``customer_id`` (text; 1001.0 is found as '1001'). An exact match
    wins; else the one ID equal to it but for case (``c100226`` finds ``C100226``).
    Raises IcpError when there is none (suggesting up to three close IDs) or when the
    case-blind match is ambiguous (naming the candidates)."""
    wanted = cell_text(customer_id)
    if not wanted:
        raise IcpError("No Customer ID given: pick one of the Scores table's Customer IDs")
    ids = frame["customer_id"].astype(str)
    found = np.flatnonzero(ids.to_numpy() == wanted)
    if len(found):
        return int(found[0])
    folded = ids.str.strip().str.casefold()
    found = np.flatnonzero(folded.to_numpy() == wanted.casefold())
    if len(found) == 1:
        return int(found[0])
    if len(found) > 1:
        same = ", ".join(f"'{ids.iloc[i]}'" for i in found[:5])
        raise IcpError(f"Customer ID '{wanted}' matches {same} but for case: type it exactly")
    raise IcpError(f"Customer ID '{wanted}' is not in the accounts{_close_ids(ids, wanted)}")


def _close_ids(ids: pd.Series, wanted: str, count: int = 3) -> str:
    """``"; did you mean 'C100262' or 'C100226'?"`` (case-blind close matches), or ''."""
    import difflib

    by_folded = dict(zip(ids.str.casefold(), ids, strict=True))
    close = difflib.get_close_matches(wanted.casefold(), list(by_folded), n=count, cutoff=0.75)
    if not close:
        return ""
    named = [f"'{by_folded[c]}'" for c in close]
    listed = named[0] if len(named) == 1 else ", ".join(named[:-1]) + " or " + named[-1]
    return f"; did you mean {listed}?"


def explain_account(
    frame: pd.DataFrame,
    settings: Settings,
    customer_id: Any,
    scored: pd.DataFrame | None = None,
    calibration: Calibration | None = None,
) -> Explanation:
    """Explain the account ``customer_id`` of ``frame`` (prepared accounts).

    ``scored``: :func:`scored_for_explanation` output for ``frame`` and ``settings``
    (computed when None). ``calibration``: the one ``scored`` was scored against in
    Calibrated mode (the next-grade changes are then found against it; None = Relative).
    Raises IcpError when the ID is not in ``frame``.
    """
    frame = frame.reset_index(drop=True)
    scored = scored_for_explanation(frame, settings) if scored is None else scored
    scored = scored.reset_index(drop=True)
    position = find_account(frame, customer_id)
    row, account = scored.iloc[position], frame.iloc[position]
    in_segment = (scored["customer_segment"] == row["customer_segment"]).to_numpy()
    points = scored[list(POINTS_COLUMNS.values())].to_numpy()
    components = pd.DataFrame(
        {
            "score": [float(row[f"{c}_score"]) for c in COMPONENTS],
            "weight": [float(getattr(settings.weights, c)) for c in COMPONENTS],
            "points": points[position],
            "portfolio_average": points.mean(axis=0),
            "segment_average": points[in_segment].mean(axis=0),
        },
        index=list(COMPONENTS),
    )
    raw = scored["ICP_score_raw"].to_numpy()
    grade = str(row["ICP_grade"])
    return Explanation(
        customer_id=str(account["customer_id"]),
        company_name=str(account["company_name"]),
        industry=str(account["industry"]),
        segment=str(row["customer_segment"]),
        icp_score=float(row["ICP_score"]),
        grade=grade,
        percentile=float(percentiles(scored["ICP_score"])[position]),
        segment_score=float(row["segment_ICP_score"]),
        segment_grade=str(row["segment_ICP_grade"]),
        raw_score=float(row["ICP_score_raw"]),
        portfolio_average_raw=float(raw.mean()),
        segment_average_raw=float(raw[in_segment].mean()),
        reason=str(row[REASON_COLUMN]),
        components=components,
        lifts=next_grade_changes(frame, settings, position, grade, calibration),
    )


# ------------------------------------------------------------------ the shared grid

GRID_WIDTH = 6
SUMMARY_LABELS: tuple[str, ...] = (
    "Customer ID",
    "Company",
    "Industry",
    "Segment",
    "ICP score",
    "Grade",
    "Percentile",
    "Segment ICP score",
    "Segment grade",
    "Reason",
)
COMPONENTS_HEADER: tuple[str, ...] = (
    "Component",
    "Score (0-1)",
    "Weight",
    "Points",
    "Portfolio average",
    "Segment average",
)
RAW_LABEL = "Raw score (sum)"
LIFTS_HEADER: tuple[str, ...] = (
    "Input",
    "Now",
    "Smallest change",
    "With the change",
    "ICP score after",
    "Grade after",
)
# Row offsets inside the grid (0 = first row).
COMPONENTS_HEADER_ROW = len(SUMMARY_LABELS) + 1
RAW_ROW = COMPONENTS_HEADER_ROW + len(COMPONENTS) + 1
LIFTS_TITLE_ROW = RAW_ROW + 2
LIFTS_HEADER_ROW = LIFTS_TITLE_ROW + 1
GRID_ROWS = LIFTS_HEADER_ROW + len(LIFT_INPUTS) + 1


def lifts_title(explanation: Explanation) -> str:
    """The title above the next-grade table."""
    target = explanation.target_grade
    if target is None:
        return f"Grade {explanation.grade} is the top grade: nothing to lift"
    return (
        f"What would lift it from {explanation.grade} to {target}: the smallest change per "
        "input, everything else fixed, checked by rescoring the portfolio"
    )


def explanation_grid(explanation: Explanation) -> list[list[Any]]:
    """The explanation as :data:`GRID_ROWS` rows of :data:`GRID_WIDTH` cells: the summary
    (label, value), a blank row, the components table (:data:`COMPONENTS_HEADER`, one row
    per component, the raw score as their sum), a blank row, the next-grade title and
    table (:data:`LIFTS_HEADER`, one row per input). Numbers stay numbers (percentile a
    fraction, money in USD); None is a blank cell."""
    e = explanation

    def row(*cells: Any) -> list[Any]:
        return [*cells, *([None] * (GRID_WIDTH - len(cells)))]

    summary = (
        e.customer_id,
        e.company_name,
        e.industry,
        e.segment,
        e.icp_score,
        e.grade,
        e.percentile,
        e.segment_score,
        e.segment_grade,
        e.reason,
    )
    rows = [row(label, value) for label, value in zip(SUMMARY_LABELS, summary, strict=True)]
    rows += [row(), row(*COMPONENTS_HEADER)]
    for name, c in e.components.iterrows():
        rows.append(
            row(
                COMPONENT_LABELS[str(name)],
                c["score"],
                c["weight"],
                c["points"],
                c["portfolio_average"],
                c["segment_average"],
            )
        )
    weight_sum = float(e.components["weight"].sum())
    rows.append(
        row(
            RAW_LABEL, None, weight_sum, e.raw_score, e.portfolio_average_raw, e.segment_average_raw
        )
    )
    rows += [row(), row(lifts_title(e)), row(*LIFTS_HEADER)]
    for lift in e.lifts:
        rows.append(
            row(lift.input.label, lift.now, lift.change, lift.new_value, lift.score_after,
                lift.grade_after)
        )  # fmt: skip
    return rows


def explanation_text(explanation: Explanation) -> str:
    """The explanation as readable plain text (the CLI's output)."""
    e = explanation
    lines = [
        f"{e.customer_id}  {e.company_name}",
        f"  Industry {e.industry or '(blank)'}; segment {e.segment}",
        f"  ICP score {e.icp_score:.1f}, grade {e.grade} (percentile {e.percentile:.0%}); "
        f"within {e.segment}: {e.segment_score:.1f}, grade {e.segment_grade}",
        f"  Reason: {e.reason}",
        "",
        f"  {'Component':<14}{'Score':>7}{'Weight':>8}{'Points':>8}{'Portfolio':>11}{'Segment':>9}",
    ]
    for name, c in e.components.iterrows():
        lines.append(
            f"  {COMPONENT_LABELS[str(name)]:<14}{c['score']:>7.3f}{c['weight']:>8.2f}"
            f"{c['points']:>8.1f}{c['portfolio_average']:>11.1f}{c['segment_average']:>9.1f}"
        )
    lines.append(
        f"  {'Raw score':<14}{'':>7}{e.components['weight'].sum():>8.2f}{e.raw_score:>8.1f}"
        f"{e.portfolio_average_raw:>11.1f}{e.segment_average_raw:>9.1f}"
    )
    lines += ["", f"  {lifts_title(e)}"]
    for lift in e.lifts:
        after = (
            f"  -> ICP score {lift.score_after:.1f}, grade {lift.grade_after}"
            if lift.reachable
            else ""
        )
        lines.append(f"  {lift.input.label + ':':<20}{_now_text(lift)}; {lift.change}{after}")
    return "\n".join(lines)


def _now_text(lift: Lift) -> str:
    if lift.now is None:
        return "now unknown"
    if lift.input.unit == "usd":
        return f"now {money_text(lift.now)}"
    if lift.input.unit == "count":
        return f"now {_count_text(lift.now)}"
    return f"now {lift.now or '(blank)'}"


def grid_values(rows: Sequence[Sequence[Any]]) -> list[list[Any]]:
    """Grid cells as compared across hosts: numbers as floats, blanks as None."""
    out = []
    for row in rows:
        out.append(
            [
                float(v) if isinstance(v, int | float) and not isinstance(v, bool) else
                (None if v == "" else v)
                for v in row
            ]
        )  # fmt: skip
    return out
