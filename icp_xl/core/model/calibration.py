"""Calibrated scoring: freeze what a score takes from the population, then score any
account against that frozen reference.

*Relative* scoring (:mod:`icp_xl.core.model.scoring`) re-ranks the whole population on every
run: an account's score moves when other accounts come or go. A :class:`Calibration`
freezes, from one population (the *calibration accounts*):

- the minimum and maximum of each log1p-scaled input (printers, consumable revenue,
  software revenue), so the adoption and relationship components of a new account are
  scaled the same way (values beyond the frozen range clip to 0 or 1);
- the raw-score distribution, as points (raw score, percentile p) where p is the
  normal-curve position Relative scoring gives that raw score (``(rank - 0.5) / n``);
  a new raw score gets its p by linear interpolation between points (clipped to the
  first and last point), then ICP score = clip(50 + 15 * PhiInv(p), 0, 100);
- the grade bounds as percentiles: grade F up to the share of calibration accounts
  Relative scoring graded F, and so on.

On the calibration accounts both modes give the same components, raw scores, ICP scores
and grades, bit for bit, for every account whose raw score no other account shares. Accounts
with identical raw scores get different scores in Relative mode (row order breaks the
tie); Calibrated mode gives them all the score of the tie group's middle rank.
With more than :data:`MAX_POINTS` distinct raw scores, points are kept at evenly spaced
ranks and at both sides of every grade bound, so grades stay exact and scores are
interpolated in between.

Pure: no files, no Excel.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

import numpy as np
import pandas as pd

from icp_xl.core.errors import IcpError
from icp_xl.core.inputs.accounts import Accounts
from icp_xl.core.model.normal import inverse_normal_cdf
from icp_xl.core.model.scoring import (
    SCORE_COLUMNS,
    rank_key,
    raw_scores,
    score_accounts,
    segments,
    size_scores,
    vertical_scores,
)
from icp_xl.core.model.settings import GRADES, Settings, Weights

RELATIVE = "Relative"
CALIBRATED = "Calibrated"
SCORING_MODES: tuple[str, ...] = (RELATIVE, CALIBRATED)
MAX_POINTS = 2000
# Scaled inputs: name -> the prepared accounts field it is the log1p of.
SCALED_INPUTS: Mapping[str, str] = MappingProxyType(
    {
        "printers": "printer_count",
        "consumables": "consumable_revenue",
        "software": "software_revenue",
    }
)


def parse_scoring_mode(value: object) -> str:
    """'Relative' or 'Calibrated' from a cell value (any case; blank = Relative)."""
    text = "" if value is None else str(value).strip()
    if not text:
        return RELATIVE
    for mode in SCORING_MODES:
        if text.lower() == mode.lower():
            return mode
    raise IcpError(f"The scoring mode must be Relative or Calibrated, got {value!r}")


def log_feature(values: pd.Series | np.ndarray) -> np.ndarray:
    """``log1p(max(x, 0))`` of an input, as Relative scoring scales it."""
    return np.log1p(np.maximum(np.asarray(values, dtype=float), 0.0))


@dataclass(frozen=True)
class Calibration:
    """A frozen scoring reference (see the module docstring).

    ``log_ranges``: input name (:data:`SCALED_INPUTS`) -> (min, max) of its log1p values;
    ``points``: (raw score 0-100, percentile 0-1) pairs, raw strictly increasing;
    ``grade_bounds``: upper percentile of F, D, C and B (A takes the rest).
    """

    calibrated_at: datetime
    accounts: int
    weights: Weights
    log_ranges: Mapping[str, tuple[float, float]]
    points: tuple[tuple[float, float], ...]
    grade_bounds: tuple[float, float, float, float]
    _raw: np.ndarray = field(init=False, repr=False, compare=False)
    _p: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.accounts < 1:
            raise IcpError("A calibration needs at least one account")
        missing = [n for n in SCALED_INPUTS if n not in self.log_ranges]
        if missing:
            raise IcpError(f"The calibration has no range for: {', '.join(missing)}")
        for name, (low, high) in self.log_ranges.items():
            if not (math.isfinite(low) and math.isfinite(high)) or high < low:
                raise IcpError(
                    f"The calibration range of {name} must be two numbers, min <= max, "
                    f"got {low!r} and {high!r}"
                )
        if not self.points:
            raise IcpError("The calibration has no raw-score points")
        raw = np.array([r for r, _ in self.points], dtype=float)
        p = np.array([q for _, q in self.points], dtype=float)
        if not (np.all(np.isfinite(raw)) and np.all(np.diff(raw) > 0)):
            raise IcpError("The calibration's raw scores must be numbers in increasing order")
        if not (np.all((p > 0) & (p < 1)) and np.all(np.diff(p) >= 0)):
            raise IcpError(
                "The calibration's percentiles must be between 0 and 1, never decreasing"
            )
        bounds = tuple(float(b) for b in self.grade_bounds)
        if (
            len(bounds) != len(GRADES) - 1
            or any(not 0 <= b <= 1 for b in bounds)
            or list(bounds) != sorted(bounds)
        ):
            raise IcpError(
                "The calibration needs four grade bounds between 0 and 1, in order F, D, C, B"
            )
        object.__setattr__(self, "grade_bounds", bounds)
        object.__setattr__(self, "_raw", raw)
        object.__setattr__(self, "_p", p)

    def percentiles(self, raw: np.ndarray | pd.Series) -> np.ndarray:
        """Percentile p (0-1) of each raw score (rounded as it is ranked, :func:`rank_key`):
        linear between points, clipped at the ends."""
        return np.interp(rank_key(raw), self._raw, self._p)

    def scale(self, name: str, values: pd.Series | np.ndarray) -> np.ndarray:
        """Min-max scale the log1p of ``values`` with the frozen range of input ``name``,
        clipped to [0, 1]; a range of one value scales everything to 0."""
        low, high = self.log_ranges[name]
        x = log_feature(values)
        if not high > low:
            return np.zeros_like(x)
        return np.clip((x - low) / (high - low), 0.0, 1.0)


def calibrate(
    accounts: Accounts | pd.DataFrame,
    settings: Settings,
    calibrated_at: datetime,
    max_points: int = MAX_POINTS,
) -> Calibration:
    """Freeze the scoring reference of ``accounts`` under ``settings`` (its weights
    included). ``max_points`` (at least 10) caps the raw-score points kept."""
    frame = accounts.frame if isinstance(accounts, Accounts) else accounts
    if max_points < 10:
        raise ValueError("max_points must be at least 10")
    relative = score_accounts(frame, settings)
    ranges = {}
    for name, column in SCALED_INPUTS.items():
        x = log_feature(frame[column])
        ranges[name] = (float(x.min()), float(x.max()))
    raw = rank_key(relative["ICP_score_raw"])
    n = len(raw)
    ordered = np.sort(raw, kind="stable")
    values, first = np.unique(ordered, return_index=True)
    last = np.append(first[1:], n) - 1  # 0-based index of each tie group's last rank
    ranks = (first + 1 + last + 1) / 2.0  # the middle rank; exact rank when untied
    p = (ranks - 0.5) / n
    counts = pd.Series(relative["ICP_grade"]).value_counts()
    cumulative = np.cumsum([int(counts.get(g, 0)) for g in GRADES[:-1]])
    bounds = tuple(float(k) / n for k in cumulative)
    keep = _kept_points(values, first, last, cumulative, max_points)
    return Calibration(
        calibrated_at=calibrated_at,
        accounts=n,
        weights=settings.weights,
        log_ranges=MappingProxyType(ranges),
        points=tuple((float(values[i]), float(p[i])) for i in keep),
        grade_bounds=bounds,  # type: ignore[arg-type]
    )


def _kept_points(
    values: np.ndarray,
    first: np.ndarray,
    last: np.ndarray,
    cumulative: np.ndarray,
    max_points: int,
) -> np.ndarray:
    """Indices of the distinct raw values kept as points: all when they fit, else evenly
    spaced ones plus, at every grade bound, the groups holding the ranks on both sides of
    it and their neighbours (so a tie group at the bound cannot pull an untied account
    across it)."""
    m = len(values)
    if m <= max_points:
        return np.arange(m)
    around = []
    for k in cumulative:  # k accounts at or below the bound: ranks k and k + 1 (1-based)
        for rank in (k, k + 1):
            if 1 <= rank <= last[-1] + 1:
                group = int(np.searchsorted(last, rank - 1, side="left"))
                around += [g for g in (group - 1, group, group + 1) if 0 <= g < m]
    budget = max(max_points - len(around), 2)
    even = np.round(np.linspace(0, m - 1, budget)).astype(int)
    return np.unique(np.concatenate([even, np.asarray(around, dtype=int)]))


def calibrated_components(frame: pd.DataFrame, settings: Settings, calibration: Calibration):
    """The four components of every account against ``calibration`` (vertical and size
    as in Relative scoring; adoption and relationship with the frozen scaling)."""
    printers = calibration.scale("printers", frame["printer_count"])
    consumables = calibration.scale("consumables", frame["consumable_revenue"])
    return pd.DataFrame(
        {
            "vertical_score": vertical_scores(frame["industry"], settings),
            "size_score": size_scores(frame["annual_revenue"], settings),
            "adoption_score": 0.5 * printers + 0.5 * consumables,
            "relationship_score": calibration.scale("software", frame["software_revenue"]),
        },
        index=frame.index,
    )


def calibrated_normal_scores(
    raw: np.ndarray | pd.Series, calibration: Calibration
) -> tuple[np.ndarray, np.ndarray]:
    """(ICP score 0-100, grade letter) of each raw score against ``calibration``."""
    p = calibration.percentiles(raw)
    scores = np.clip(50.0 + 15.0 * inverse_normal_cdf(p), 0.0, 100.0)
    index = np.searchsorted(np.asarray(calibration.grade_bounds), p, side="left")
    return scores, np.asarray(GRADES, dtype=object)[index]


def score_calibrated(
    accounts: Accounts | pd.DataFrame, settings: Settings, calibration: Calibration
) -> pd.DataFrame:
    """Score every account against ``calibration`` with ``settings`` (its current weights):
    the same columns as :func:`icp_xl.core.model.scoring.score_accounts`. Each account's result
    depends only on its own row, the settings and the calibration."""
    frame = accounts.frame if isinstance(accounts, Accounts) else accounts
    if len(frame) == 0:
        raise IcpError("There are no accounts to score")
    scored = calibrated_components(frame, settings, calibration)
    scored["relationship_feature"] = frame["software_revenue"].to_numpy(dtype=float)
    raw = raw_scores(scored, settings.weights)
    scored["ICP_score_raw"] = raw
    scored["ICP_score"], scored["ICP_grade"] = calibrated_normal_scores(raw, calibration)
    scored["customer_segment"] = segments(frame["annual_revenue"], settings)
    return scored[list(SCORE_COLUMNS)]


def score_in_mode(
    accounts: Accounts | pd.DataFrame,
    settings: Settings,
    mode: str,
    calibration: Calibration | None,
) -> pd.DataFrame:
    """Score in ``mode`` ('Relative' or 'Calibrated'); Calibrated needs ``calibration``."""
    if parse_scoring_mode(mode) == RELATIVE:
        return score_accounts(accounts, settings)
    if calibration is None:
        raise IcpError(
            "The scoring mode is Calibrated but the workbook has no calibration yet; "
            "run Calibrate first (or set the scoring mode to Relative)"
        )
    return score_calibrated(accounts, settings, calibration)
