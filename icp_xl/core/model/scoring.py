"""ICP scoring, exactly as docs/scoring.md states it: components, raw score, normal-curve
score, grade.

All functions are pure: they take pandas objects and :class:`~icp_xl.core.model.settings.Settings`
and return new ones. Components are computed over the scored population (min-max
scaling), so scoring a subset gives other component values than scoring the whole.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from icp_xl.core.errors import IcpError
from icp_xl.core.inputs.accounts import Accounts
from icp_xl.core.inputs.industries import resolve_industries
from icp_xl.core.model.normal import inverse_normal_cdf
from icp_xl.core.model.settings import COMPONENTS, GRADES, SEGMENTS, Settings, Weights

COMPONENT_COLUMNS: tuple[str, ...] = (
    "vertical_score",
    "size_score",
    "adoption_score",
    "relationship_score",
)
SCORE_COLUMNS: tuple[str, ...] = (
    *COMPONENT_COLUMNS,
    "relationship_feature",
    "ICP_score_raw",
    "ICP_score",
    "ICP_grade",
    "customer_segment",
)


def min_max(values: np.ndarray | pd.Series) -> np.ndarray:
    """Scale to [0, 1] over the population: (x - min) / (max - min); constant -> all 0."""
    x = np.asarray(values, dtype=float)
    low, high = x.min(), x.max()
    if not high > low:
        return np.zeros_like(x)
    return (x - low) / (high - low)


def vertical_scores(industry: pd.Series, settings: Settings) -> np.ndarray:
    """Industry -> vertical score, through the vertical table and the Industry map
    (:func:`~icp_xl.core.inputs.industries.resolve_industries`); unmatched or blank -> the
    unknown-industry score."""
    return resolve_industries(industry, settings).score


def size_scores(annual_revenue: pd.Series | np.ndarray, settings: Settings) -> np.ndarray:
    """Annual revenue (USD) -> size score: first matching tier; unknown (NaN, <= 0) -> neutral."""
    r = np.asarray(annual_revenue, dtype=float)
    known = np.isfinite(r) & (r > 0)
    scores = np.full(r.shape, settings.neutral_size_score)
    unmatched = known.copy()
    for tier in settings.size_tiers:
        upper = np.inf if tier.upper is None else tier.upper
        hit = unmatched & (r >= tier.lower) & (r < upper)
        scores[hit] = tier.score
        unmatched &= ~hit
    return scores


def adoption_scores(printer_count: pd.Series, consumable_revenue: pd.Series) -> np.ndarray:
    """0.5 * mm(log1p(max(printers, 0))) + 0.5 * mm(log1p(max(consumables, 0)))."""
    printers = min_max(np.log1p(np.maximum(np.asarray(printer_count, dtype=float), 0.0)))
    consumables = min_max(np.log1p(np.maximum(np.asarray(consumable_revenue, dtype=float), 0.0)))
    return 0.5 * printers + 0.5 * consumables


def relationship_scores(software_revenue: pd.Series) -> np.ndarray:
    """mm(log1p(max(license + SaaS + maintenance revenue, 0)))."""
    return min_max(np.log1p(np.maximum(np.asarray(software_revenue, dtype=float), 0.0)))


def component_scores(accounts: Accounts | pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """The four components (each in [0, 1]) of every account, indexed like the accounts."""
    frame = accounts.frame if isinstance(accounts, Accounts) else accounts
    if len(frame) == 0:
        raise IcpError("There are no accounts to score")
    return pd.DataFrame(
        {
            "vertical_score": vertical_scores(frame["industry"], settings),
            "size_score": size_scores(frame["annual_revenue"], settings),
            "adoption_score": adoption_scores(frame["printer_count"], frame["consumable_revenue"]),
            "relationship_score": relationship_scores(frame["software_revenue"]),
        },
        index=frame.index,
    )


def component_points(weight: float, component: np.ndarray | pd.Series) -> np.ndarray:
    """Points of the raw score one component brings: ``100 * weight * component`` (0-100).

    Works on any array shape; :func:`raw_scores` adds the four in COMPONENTS order, so
    the four contributions of an account sum to its raw score exactly.
    """
    return 100.0 * (weight * np.asarray(component, dtype=float))


def raw_from_points(
    vertical: np.ndarray, size: np.ndarray, adoption: np.ndarray, relationship: np.ndarray
) -> np.ndarray:
    """The raw score from the four components' points, added in this order."""
    return ((vertical + size) + adoption) + relationship


def raw_scores(components: pd.DataFrame, weights: Weights) -> np.ndarray:
    """100 * (Wv*vertical + Ws*size + Wa*adoption + Wr*relationship): the sum, in that
    order, of each component's points (:func:`component_points`)."""
    return raw_from_points(
        *(
            component_points(getattr(weights, name), components[f"{name}_score"].to_numpy())
            for name in COMPONENTS
        )
    )


RANK_DECIMALS = 9
"""Raw scores are ranked rounded to this many decimals: sums that are equal in exact
arithmetic (0.2 + 0.3 vs 0.3 + 0.2 weights of equal points) can differ in their last bit,
and must tie whatever the order of the floating-point additions. Distinct raw scores of
real portfolios lie far further apart than 1e-9 points."""


def rank_key(raw: np.ndarray | pd.Series) -> np.ndarray:
    """The raw scores as they are ranked: rounded to :data:`RANK_DECIMALS` decimals."""
    return np.round(np.asarray(raw, dtype=float), RANK_DECIMALS)


def normal_scores(raw: np.ndarray | pd.Series) -> np.ndarray:
    """Map raw scores onto a normal curve: rank "first" ascending on the raw score rounded
    to 9 decimals (:func:`rank_key`), p = (rank - 0.5) / n, score = clip(50 + 15 *
    PhiInv(p), 0, 100). Ties keep row order; n = 1 gives 50.
    """
    return _normal_scores_in_order(raw)[0]


def _normal_scores_in_order(raw: np.ndarray | pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """:func:`normal_scores` and the ascending order of the ranks they were given."""
    x = np.asarray(raw, dtype=float)
    n = len(x)
    if n == 0:
        raise IcpError("There are no accounts to score")
    order = np.argsort(rank_key(x), kind="stable")
    ranks = np.empty(n, dtype=float)
    ranks[order] = np.arange(1, n + 1, dtype=float)
    p = (ranks - 0.5) / n
    return np.clip(50.0 + 15.0 * inverse_normal_cdf(p), 0.0, 100.0), order


def average_ranks(values: np.ndarray | pd.Series, order: np.ndarray | None = None) -> np.ndarray:
    """Ranks 1..n of ``values``, tied values sharing their average rank: the same floats
    as pandas' ``rank(method="average")``. ``order`` may give positions that sort the
    values ascending (saves sorting again); NaN values are ranked by pandas."""
    x = np.asarray(values, dtype=float)
    n = len(x)
    if order is None:
        order = np.argsort(x, kind="stable")
    ascending = x[order]
    if n and (np.isnan(ascending[-1]) or not (ascending[1:] >= ascending[:-1]).all()):
        # NaN (sorted last), or not in that order
        return pd.Series(x).rank(method="average").to_numpy()
    starts = np.flatnonzero(np.r_[True, ascending[1:] != ascending[:-1]])
    ends = np.r_[starts[1:], n]
    ranks = np.empty(n, dtype=float)
    # The average of the ranks start+1 .. end, exact in floats as pandas computes it.
    ranks[order] = np.repeat((starts + 1 + ends) / 2.0, ends - starts)
    return ranks


def grades(scores: np.ndarray | pd.Series, settings: Settings) -> np.ndarray:
    """Letter grades from the percentile q = (average rank of the score) / n:
    q <= cutoff(F) -> F, ..., above cutoff(B) -> A (cutoffs from the target shares).
    """
    return np.asarray(GRADES, dtype=object)[_grade_index(scores, settings)]


def _grade_index(
    scores: np.ndarray | pd.Series, settings: Settings, order: np.ndarray | None = None
) -> np.ndarray:
    """Each score's position in :data:`GRADES` (see :func:`grades`); ``order`` as for
    :func:`average_ranks`."""
    x = np.asarray(scores, dtype=float)
    if len(x) == 0:
        return np.array([], dtype=int)
    q = average_ranks(x, order) / len(x)
    return np.searchsorted(np.asarray(settings.grade_cutoffs), q, side="left")


def segments(annual_revenue: pd.Series | np.ndarray, settings: Settings) -> np.ndarray:
    """Revenue segment: unknown or <= small max -> Small Business; <= mid max -> Mid-Market;
    else Large Enterprise.
    """
    return np.asarray(SEGMENTS, dtype=object)[_segment_index(annual_revenue, settings)]


def _segment_index(annual_revenue: pd.Series | np.ndarray, settings: Settings) -> np.ndarray:
    """Each account's position in :data:`SEGMENTS` (see :func:`segments`)."""
    r = np.asarray(annual_revenue, dtype=float)
    known = np.isfinite(r) & (r > 0)
    index = np.zeros(r.shape, dtype=np.int8)
    index[known & (r > settings.small_business_max)] = 1
    index[known & (r > settings.mid_market_max)] = 2
    return index


def _labels(labels: tuple[str, ...], index: np.ndarray, rows: pd.Index) -> pd.Series:
    """``labels[index]`` as a text column, built in Arrow (no Python string per row);
    the same values and dtype as assigning the object array ``labels[index]``."""
    if not isinstance(pd.Series(["x"]).dtype, pd.StringDtype):  # pandas 2: Python objects
        return pd.Series(np.asarray(labels, dtype=object)[index], index=rows, dtype=object)
    text = pa.array(labels, pa.large_string()).take(pa.array(index))
    return pd.Series(text.to_pandas().array, index=rows)


def score_accounts(accounts: Accounts | pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Score every account and assign its revenue segment (Annual Revenue thresholds).

    Returns a DataFrame indexed like the accounts with :data:`SCORE_COLUMNS`:
    the four components in [0, 1], ``relationship_feature`` (software revenue,
    USD), ``ICP_score_raw`` (0-100), ``ICP_score`` (0-100), ``ICP_grade`` (A-F)
    and ``customer_segment``.
    """
    frame = accounts.frame if isinstance(accounts, Accounts) else accounts
    scored = component_scores(frame, settings)
    scored["relationship_feature"] = frame["software_revenue"].to_numpy(dtype=float)
    raw = raw_scores(scored, settings.weights)
    scored["ICP_score_raw"] = raw
    icp, order = _normal_scores_in_order(raw)
    scored["ICP_score"] = icp
    scored["ICP_grade"] = _labels(GRADES, _grade_index(icp, settings, order), scored.index)
    segment = _segment_index(frame["annual_revenue"], settings)
    scored["customer_segment"] = _labels(SEGMENTS, segment, scored.index)
    return scored
