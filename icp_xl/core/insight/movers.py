"""What changed between two scorings of a portfolio: grade migration, new and gone
accounts, the largest moves and their reasons, run KPIs, and the preview of candidate
weights. Pure functions over pandas objects.

A *run* here is one scoring, given as a DataFrame indexed by Customer ID with at least
``ICP_score`` and ``ICP_grade`` (and, for reasons, the input columns of
:data:`INPUT_FIELDS`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from icp_xl.core.insight.outcomes import GradedOutcomes
from icp_xl.core.model.settings import GRADES, Settings
from icp_xl.core.optimization.objective import spearman

BEST_FIRST: tuple[str, ...] = tuple(reversed(GRADES))  # A, B, C, D, F
# Inputs whose change makes "data" the reason of a move.
INPUT_FIELDS: tuple[str, ...] = (
    "industry",
    "annual_revenue",
    "printer_count",
    "consumable_revenue",
    "software_revenue",
)
TOP_SHARES: tuple[float, ...] = (0.10, 0.20, 0.30)
OTHER_ACCOUNTS = "other accounts (re-ranking)"


def _same_labels(left: pd.Index, right: pd.Index) -> bool:
    """The same labels in the same order, compared where they are (Index.equals turns an
    Arrow-backed text index into 100,000 Python str, kept with the index)."""
    if len(left) != len(right):
        return False
    equal = pd.array(left.array == right.array)  # a blank label equals nothing
    return bool(equal.fillna(False).all()) if len(equal) else True


def migration_matrix(previous: pd.Series, current: pd.Series) -> pd.DataFrame:
    """Counts of accounts by previous grade (rows A-F) and current grade (columns A-F),
    over the Customer IDs present in both Series (indexed by Customer ID)."""
    if _same_labels(previous.index, current.index):  # aligned already: no ID hash tables
        before, after = previous, current
    else:
        both = previous.index.intersection(current.index)
        before, after = previous.loc[both], current.loc[both]
    rows = pd.Categorical(before, categories=BEST_FIRST).codes.astype(np.int64)
    columns = pd.Categorical(after, categories=BEST_FIRST).codes.astype(np.int64)
    graded = (rows >= 0) & (columns >= 0)
    size = len(BEST_FIRST)
    counts = np.bincount(rows[graded] * size + columns[graded], minlength=size * size)
    return pd.DataFrame(
        counts.reshape(size, size).astype(int),
        index=pd.Index(list(BEST_FIRST), name="previous"),
        columns=pd.Index(list(BEST_FIRST), name="current"),
    )


def row_shares(matrix: pd.DataFrame) -> pd.DataFrame:
    """Each row of a migration matrix as shares of its row total (NaN for an empty row)."""
    totals = matrix.sum(axis=1).replace(0, np.nan)
    return matrix.div(totals, axis=0)


@dataclass(frozen=True)
class RunKpis:
    """Headline figures of one scoring. Scores 0-100, shares and correlations 0-1."""

    accounts: int
    average_score: float
    high_value_accounts: int
    gp24_share_ab: float
    spearman_target: float
    grade_shares: Mapping[str, float]

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def run_kpis(frame: pd.DataFrame, scored: pd.DataFrame, settings: Settings) -> RunKpis:
    """KPIs of a scoring: ``frame`` the prepared accounts (``gp24``, ``target_revenue``),
    ``scored`` their ``ICP_score``/``ICP_grade`` (same row order). The Spearman is over
    the accounts with target revenue > 0 (the optimizer's training accounts)."""
    score = scored["ICP_score"].to_numpy(dtype=float)
    grade = scored["ICP_grade"].to_numpy(dtype=object)
    gp24 = frame["gp24"].to_numpy(dtype=float)
    target = frame["target_revenue"].to_numpy(dtype=float)
    total = float(np.nansum(gp24))
    ab = np.isin(grade, ("A", "B"))
    positive = target > 0
    rho = spearman(score[positive], target[positive]) if positive.sum() > 1 else math.nan
    n = len(score)
    return RunKpis(
        accounts=n,
        average_score=float(score.mean()) if n else math.nan,
        high_value_accounts=int((score >= settings.high_value_cutoff).sum()),
        gp24_share_ab=float(np.nansum(gp24[ab])) / total if total else math.nan,
        spearman_target=rho,
        grade_shares={g: float(np.mean(grade == g)) if n else math.nan for g in BEST_FIRST},
    )


def captured_shares(
    scores: np.ndarray | pd.Series,
    target: np.ndarray | pd.Series,
    shares: Sequence[float] = TOP_SHARES,
) -> dict[float, float]:
    """Share of the (positive) target revenue held by the top x of accounts by score
    (ties keep row order; the top x is ceil(x * n) accounts), for each x in ``shares``."""
    s = np.asarray(scores, dtype=float)
    y = np.maximum(np.nan_to_num(np.asarray(target, dtype=float)), 0.0)
    total = y.sum()
    order = np.argsort(-s, kind="stable")
    out = {}
    for x in shares:
        top = int(math.ceil(x * len(s) - 1e-9))
        out[x] = float(y[order[:top]].sum() / total) if total > 0 else math.nan
    return out


@dataclass(frozen=True)
class Movers:
    """Changes between two runs.

    ``matrix``: :func:`migration_matrix` previous x current; ``new``/``gone``: Customer IDs
    only in the current/previous run; ``moves``: accounts in both runs with ``previous_score``,
    ``score``, ``change``, ``previous_grade``, ``grade`` and ``reason``, largest rise first.
    """

    matrix: pd.DataFrame
    new: list[str]
    gone: list[str]
    moves: pd.DataFrame

    @property
    def in_both(self) -> int:
        return int(self.matrix.to_numpy().sum())

    @property
    def grade_changes(self) -> int:
        return self.in_both - int(np.trace(self.matrix.to_numpy()))

    def up(self, count: int = 10) -> pd.DataFrame:
        """The ``count`` largest rises (change > 0)."""
        return self.moves[self.moves["change"] > 0].head(count)

    def down(self, count: int = 10) -> pd.DataFrame:
        """The ``count`` largest falls (change < 0), largest first."""
        falls = self.moves[self.moves["change"] < 0]
        return falls.iloc[np.argsort(falls["change"].to_numpy(), kind="stable")].head(count)


def _missing_from(ids: pd.Index, other: pd.Index) -> list[str]:
    """The IDs of ``ids`` that ``other`` lacks, in order (a set: Index.isin on Arrow text
    took half a second for 100,000 IDs)."""
    known = set(other.tolist())
    return [str(i) for i in ids.tolist() if i not in known]


def _same(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Element-wise equality where two blanks (None/NaN) are equal."""
    if a.dtype == np.float64 and b.dtype == np.float64:  # no Python float per value
        left, right = a.to_numpy(), b.to_numpy()
        return (left == right) | (np.isnan(left) & np.isnan(right))
    left, right = a.to_numpy(dtype=object), b.to_numpy(dtype=object)
    blank_l = pd.isna(a).to_numpy()
    blank_r = pd.isna(b).to_numpy()
    equal = np.equal(left, right, dtype=object).astype(bool)  # Python's == per pair, in C
    return (blank_l & blank_r) | (~blank_l & ~blank_r & equal)


def _same_industry(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Element-wise equality of industries compared as stripped lower-case text, two
    blanks equal. Text columns are normalised once per distinct value."""
    texts = all(_all_text(values) for values in (a, b))
    if not texts:  # numbers or mixed values: str() of each, as they are
        a = a.map(lambda v: None if pd.isna(v) else str(v).strip().lower())
        b = b.map(lambda v: None if pd.isna(v) else str(v).strip().lower())
        return _same(a, b)
    both = np.concatenate([a.to_numpy(dtype=object), b.to_numpy(dtype=object)])
    codes, uniques = pd.factorize(both)
    known: dict[str, int] = {}
    normal = np.array(
        [known.setdefault(v.strip().lower(), len(known)) for v in uniques.tolist()] + [-1],
        dtype=np.int64,
    )[codes]  # -1 (blank) indexes the appended -1
    return normal[: len(a)] == normal[len(a) :]


def _all_text(values: pd.Series) -> bool:
    """Whether every value that is not blank is a str (no index lookup on ``values``)."""
    if isinstance(values.dtype, pd.StringDtype):
        return True
    kind = pd.api.types.infer_dtype(values.to_numpy(dtype=object), skipna=True)
    return kind in ("string", "empty")


def compare_runs(
    previous: pd.DataFrame,
    current: pd.DataFrame,
    run_changes: Sequence[str] = (),
    relative: bool = True,
) -> Movers:
    """Compare two runs indexed by Customer ID (see the module docstring).

    ``run_changes``: what changed for everyone between the runs (e.g. ``"weights"``,
    ``"settings"``, ``"calibration"``). A move's reason lists ``data`` when the account's
    own inputs (:data:`INPUT_FIELDS` present in both frames) changed, then the run
    changes; with neither, in Relative mode, :data:`OTHER_ACCOUNTS`.
    """
    if _same_labels(previous.index, current.index):  # the same accounts in the same order
        both, before, after = previous.index, previous, current  # no copies, no hash tables
        new: list[str] = []
        gone: list[str] = []
    else:
        both = previous.index.intersection(current.index, sort=False)
        before, after = previous.loc[both], current.loc[both]
        new, gone = (
            _missing_from(current.index, previous.index),
            _missing_from(previous.index, current.index),
        )
    fields = [f for f in INPUT_FIELDS if f in previous.columns and f in current.columns]
    data_changed = np.zeros(len(both), dtype=bool)
    for name in fields:
        a, b = before[name], after[name]
        if name == "industry":
            data_changed |= ~_same_industry(a, b)
        else:
            a, b = pd.to_numeric(a, errors="coerce"), pd.to_numeric(b, errors="coerce")
            data_changed |= ~_same(a, b)
    # Two texts at most: every account shares one of them.
    without_data = ", ".join(run_changes) or (OTHER_ACCOUNTS if relative else "")
    reasons = np.full(len(data_changed), without_data, dtype=object)
    reasons[data_changed] = ", ".join(["data", *run_changes])
    previous_score = pd.to_numeric(before["ICP_score"], errors="coerce").to_numpy(dtype=float)
    score = after["ICP_score"].to_numpy(dtype=float)
    moves = pd.DataFrame(
        {
            "previous_score": previous_score,
            "score": score,
            "change": score - previous_score,
            "previous_grade": before["ICP_grade"].to_numpy(dtype=object),
            "grade": after["ICP_grade"].to_numpy(dtype=object),
            "reason": reasons,
        },
        index=both,
    )
    moves = moves.iloc[np.argsort(-np.nan_to_num(moves["change"].to_numpy()), kind="stable")]
    return Movers(
        matrix=migration_matrix(before["ICP_grade"], after["ICP_grade"]),
        new=new,
        gone=gone,
        moves=moves,
    )


@dataclass(frozen=True)
class Preview:
    """What candidate weights would do before they are applied.

    ``matrix``: migration current grade (rows) -> candidate grade (columns);
    ``entering_a``/``leaving_a``: Customer IDs that would enter or leave grade A;
    ``current``/``candidate``: :class:`RunKpis`; ``captured``: top share ->
    (current, candidate) share of target revenue captured; ``relative``: scores are
    portfolio ranks (Relative mode), so the figures of :data:`FIXED_BY_RANKS` are the same
    for any weights.
    """

    matrix: pd.DataFrame
    entering_a: list[str]
    leaving_a: list[str]
    current: RunKpis
    candidate: RunKpis
    captured: Mapping[float, tuple[float, float]]
    relative: bool
    outcomes: tuple[GradedOutcomes, GradedOutcomes] | None = None
    """(current, candidate) outcomes of the CRM opportunities; None without any."""
    spearman_column: str | None = None
    """The Accounts column the Spearman ranks against when it is not the optimizer's
    target (a won target, other columns): its label names it. None: the target."""


# RunKpis fields that only the scores' ranks decide in Relative mode (every set of weights
# gives the same scores, reordered): shown as results only in Calibrated mode.
FIXED_BY_RANKS: tuple[str, ...] = ("average_score", "high_value_accounts", "grade_shares")
FIXED_BY_RANKS_NOTE = (
    "Relative mode: the average (50), high-value count and grade shares do not depend on weights"
)


def preview(
    frame: pd.DataFrame,
    current: pd.DataFrame,
    candidate: pd.DataFrame,
    settings: Settings,
    *,
    relative: bool,
) -> Preview:
    """Compare the current scoring with the candidate one, both of the prepared accounts
    ``frame`` (same rows, with ``customer_id``, ``gp24`` and ``target_revenue``);
    ``relative``: both score in Relative mode."""
    ids = pd.Index(frame["customer_id"].astype(str))
    was = pd.Series(current["ICP_grade"].to_numpy(dtype=object), index=ids)
    will = pd.Series(candidate["ICP_grade"].to_numpy(dtype=object), index=ids)
    target = frame["target_revenue"].to_numpy(dtype=float)
    now = captured_shares(current["ICP_score"], target)
    then = captured_shares(candidate["ICP_score"], target)
    return Preview(
        matrix=migration_matrix(was, will),
        entering_a=list(ids[(will == "A").to_numpy() & (was != "A").to_numpy()]),
        leaving_a=list(ids[(was == "A").to_numpy() & (will != "A").to_numpy()]),
        current=run_kpis(frame, current, settings),
        candidate=run_kpis(frame, candidate, settings),
        captured={x: (now[x], then[x]) for x in TOP_SHARES},
        relative=relative,
    )
