"""The weight-optimization objective, exact and fast (docs/optimizer.md).

Objective to minimize, for weights ``w`` (vertical, size, adoption, relationship)::

    lambda * KL(actual grade shares || target shares) + (1 - lambda) * (-Spearman(s, target))

where ``s = X·w`` over the training accounts (no normalization), the grades of
``s`` follow the scoring's percentile rule (:func:`icp_xl.core.model.scoring.grades`) and
``KL = sum(a * ln((a + 1e-10) / (t + 1e-10)))`` over F, D, C, B, A.

Two implementations of the same numbers:

* :func:`evaluate_weights` — the reference, written the plain way (scoring's
  ``grades``, :func:`spearman`, which equals ``scipy.stats.spearmanr``); one weight
  vector at a time.
* :class:`BatchObjective` — what the optimizer runs: the target's ranks are
  computed once, Spearman is the Pearson correlation of average ranks, and the
  grades come from the same average ranks; it evaluates many weight vectors in
  one numpy pass. Tests check it equals the reference.

Everything here is pure: arrays in, numbers out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from icp_xl.core.errors import IcpError
from icp_xl.core.inputs.accounts import Accounts
from icp_xl.core.model.scoring import COMPONENT_COLUMNS, component_scores, grades
from icp_xl.core.model.settings import GRADES, Settings, check_unit_interval

KL_EPSILON = 1e-10
MIN_TRAINING_ACCOUNTS = 50
TARGET_HEADER = "Total Hardware + Consumable Revenue"


def check_lambda(lam: float) -> float:
    """Return ``lam`` as a float if it is a number in [0, 1]; else raise IcpError."""
    return check_unit_interval(lam, "Lambda")


@dataclass(frozen=True)
class TrainingData:
    """The training accounts: those whose target revenue is > 0.

    ``components``: (n, 4) float array, columns vertical, size, adoption,
    relationship, each in [0, 1], computed over the whole population;
    ``target``: (n,) hardware + consumable revenue in USD, all > 0;
    ``customer_ids``: (n,) the accounts' ids, in the same order.
    """

    components: np.ndarray
    target: np.ndarray
    customer_ids: np.ndarray

    def __len__(self) -> int:
        return len(self.target)

    def subset(self, rows: np.ndarray) -> TrainingData:
        """The training accounts at positions ``rows`` (components are not rescaled)."""
        return TrainingData(self.components[rows], self.target[rows], self.customer_ids[rows])


def training_data(
    accounts: Accounts, settings: Settings, zero_targets: bool = False
) -> TrainingData:
    """Score the whole population's components, then keep accounts whose target > 0
    (with ``zero_targets``: whose target is known, 0 included: a won flag or won amount,
    where 0 is a lost account and NaN an account without closed opportunities).

    Raises IcpError when the target is zero (or blank) for every account, when it
    has fewer than :data:`MIN_TRAINING_ACCOUNTS` positive values, or when every
    training account has the same target (no ranking to learn from).
    """
    frame = accounts.frame
    components = component_scores(accounts, settings)
    target = frame["target_revenue"].to_numpy(dtype=float)
    header = accounts.source_columns.get("target_revenue", TARGET_HEADER)
    positive = np.isfinite(target) & ((target >= 0) if zero_targets else (target > 0))
    count = int(positive.sum())
    if count == 0:
        raise IcpError(
            f"The optimization target '{header}' is zero for every account; "
            "the optimizer needs historical revenue to learn from"
        )
    if count < MIN_TRAINING_ACCOUNTS:
        raise IcpError(
            f"Only {count} account(s) have a positive '{header}'; the optimizer needs "
            f"at least {MIN_TRAINING_ACCOUNTS}"
        )
    if np.unique(target[positive]).size == 1:
        raise IcpError(
            f"Every training account has the same '{header}' ({target[positive][0]:,.2f}); "
            "the optimizer needs accounts that differ in revenue"
        )
    return TrainingData(
        components[list(COMPONENT_COLUMNS)].to_numpy(dtype=float)[positive],
        target[positive],
        frame["customer_id"].to_numpy(dtype=object)[positive],
    )


def combined_scores(components: np.ndarray, weights: Sequence[float] | np.ndarray) -> np.ndarray:
    """``s = X·w``: one score per row, summed in component order (vertical first)."""
    w = np.asarray(weights, dtype=float)
    x = np.asarray(components, dtype=float)
    return w[0] * x[:, 0] + w[1] * x[:, 1] + w[2] * x[:, 2] + w[3] * x[:, 3]


def grade_shares(scores: np.ndarray, settings: Settings) -> dict[str, float]:
    """Share (0-1) of each grade F, D, C, B, A when ``scores`` are graded by percentile."""
    letters = grades(scores, settings)
    return {g: float(np.mean(letters == g)) for g in GRADES}


def kl_divergence(actual: Mapping[str, float], target: Mapping[str, float]) -> float:
    """``sum(a * ln((a + 1e-10) / (t + 1e-10)))`` over F, D, C, B, A (shares as fractions)."""
    return float(
        sum(
            actual[g] * math.log((actual[g] + KL_EPSILON) / (target[g] + KL_EPSILON))
            for g in GRADES
        )
    )


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman rank correlation (average ranks for ties); 0.0 when either side is constant,
    NaN when a value is NaN. The same double as ``scipy.stats.spearmanr(x, y).statistic``
    (Pearson correlation of the average ranks, by ``np.corrcoef``), without importing
    ``scipy.stats`` (half a second, paid on every headless rescore for its Spearman KPI)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return 0.0
    if np.isnan(x).any() or np.isnan(y).any():
        return math.nan
    ranks = np.column_stack((average_ranks(x), average_ranks(y)))
    return float(np.corrcoef(ranks, rowvar=False)[1, 0])


def average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks of ``values`` (no NaN), ties sharing their average rank: the doubles
    ``scipy.stats.rankdata(values, method="average")`` gives (whole or half numbers)."""
    order = np.argsort(values, kind="mergesort")
    ordered = values[order]
    starts = np.concatenate(([True], ordered[1:] != ordered[:-1]))
    dense = np.empty(len(values), dtype=np.intp)
    dense[order] = np.cumsum(starts)
    bounds = np.concatenate((np.flatnonzero(starts), [len(values)]))
    return 0.5 * (bounds[dense] + bounds[dense - 1] + 1)


def mix(kl: float, rho: float, lam: float) -> float:
    """``lam * kl + (1 - lam) * (-rho)``: the value the optimizer minimizes."""
    return lam * kl + (1.0 - lam) * (-rho)


@dataclass(frozen=True)
class Evaluation:
    """The objective at one weight vector and its parts: Spearman of ``s`` vs the target,
    KL of the grade shares vs the target shares, and the grade shares (fractions)."""

    objective: float
    spearman: float
    kl: float
    shares: dict[str, float]


def evaluate_weights(
    data: TrainingData, weights: Sequence[float] | np.ndarray, lam: float, settings: Settings
) -> Evaluation:
    """The reference optimization objective at ``weights`` (vertical, size, adoption,
    relationship) on ``data``; ``settings`` gives the grade target shares."""
    lam = check_lambda(lam)
    s = combined_scores(data.components, weights)
    shares = grade_shares(s, settings)
    kl = kl_divergence(shares, settings.grade_shares)
    rho = spearman(s, data.target)
    return Evaluation(mix(kl, rho, lam), rho, kl, shares)


@dataclass(frozen=True)
class BatchEvaluation:
    """Objective parts for m weight vectors: ``objective``, ``spearman``, ``kl`` of shape
    (m,) and ``shares`` of shape (m, 5) in the order F, D, C, B, A."""

    objective: np.ndarray
    spearman: np.ndarray
    kl: np.ndarray
    shares: np.ndarray

    def at(self, i: int) -> Evaluation:
        """The i-th result as an :class:`Evaluation`."""
        return Evaluation(
            float(self.objective[i]),
            float(self.spearman[i]),
            float(self.kl[i]),
            {g: float(v) for g, v in zip(GRADES, self.shares[i], strict=True)},
        )


class BatchObjective:
    """The optimization objective on fixed training data, vectorized over weight vectors.

    Build once (ranks the target), then call with an (m, 4) array of weights.
    Results equal :func:`evaluate_weights` (tests check it to 1e-12).
    ``chunk`` bounds memory: at most ``chunk`` weight vectors are ranked at once.
    """

    def __init__(self, data: TrainingData, lam: float, settings: Settings, chunk: int = 512):
        self.lam = check_lambda(lam)
        self.data = data
        self.chunk = max(1, int(chunk))
        self._x = np.ascontiguousarray(data.components.T)  # (4, n): one row per component
        n = len(data)
        target_ranks = average_ranks(np.asarray(data.target, dtype=float))
        self._target_centered = target_ranks - (n + 1) / 2.0
        self._target_norm = math.sqrt(float(np.dot(self._target_centered, self._target_centered)))
        self._cutoffs = np.asarray(settings.grade_cutoffs, dtype=float)
        self._target_shares = np.array([settings.grade_shares[g] for g in GRADES], dtype=float)
        self.evaluations = 0

    def __call__(self, weights: np.ndarray) -> BatchEvaluation:
        w = np.atleast_2d(np.asarray(weights, dtype=float))
        parts = [self._evaluate(w[i : i + self.chunk]) for i in range(0, len(w), self.chunk)]
        self.evaluations += len(w)
        return BatchEvaluation(*(np.concatenate(p) for p in zip(*parts, strict=True)))

    def one(self, weights: Sequence[float] | np.ndarray) -> Evaluation:
        """Evaluate a single weight vector."""
        return self(np.asarray(weights, dtype=float)[None, :]).at(0)

    def _evaluate(self, w: np.ndarray) -> tuple[np.ndarray, ...]:
        x = self._x
        n = x.shape[1]
        # Same arithmetic, element by element, as combined_scores: identical ties.
        s = w[:, 0:1] * x[0] + w[:, 1:2] * x[1] + w[:, 2:3] * x[2] + w[:, 3:4] * x[3]  # (m, n)
        order = np.argsort(s, axis=1, kind="stable")
        ordered = np.take_along_axis(s, order, axis=1)
        positions = np.arange(n)
        starts = np.ones(ordered.shape, dtype=bool)
        starts[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
        ends = np.ones(ordered.shape, dtype=bool)
        ends[:, :-1] = starts[:, 1:]
        first = np.maximum.accumulate(np.where(starts, positions, 0), axis=1)
        last = np.minimum.accumulate(np.where(ends, positions, n)[:, ::-1], axis=1)[:, ::-1]
        average_rank = (first + last) / 2.0 + 1.0  # ascending along each row
        centered = average_rank - (n + 1) / 2.0
        covariance = np.einsum("ij,ij->i", centered, self._target_centered[order])
        norm = np.sqrt(np.einsum("ij,ij->i", centered, centered))
        with np.errstate(invalid="ignore", divide="ignore"):
            rho = np.where(norm > 0, covariance / (norm * self._target_norm), 0.0)
        q = average_rank / n
        at_or_below = np.stack([(q <= c).sum(axis=1) for c in self._cutoffs], axis=1)
        counts = np.diff(at_or_below, axis=1, prepend=0, append=n)
        shares = counts / n
        t = self._target_shares
        kl = (shares * np.log((shares + KL_EPSILON) / (t + KL_EPSILON))).sum(axis=1)
        objective = self.lam * kl + (1.0 - self.lam) * (-rho)
        return objective, rho, kl, shares


def grade_share_table(shares: Mapping[str, float], settings: Settings) -> pd.DataFrame:
    """Grades A..F with actual and target share (fractions): for reports and sheets."""
    return pd.DataFrame(
        {
            "Grade": list(reversed(GRADES)),
            "Actual share": [shares[g] for g in reversed(GRADES)],
            "Target share": [settings.grade_shares[g] for g in reversed(GRADES)],
        }
    )
