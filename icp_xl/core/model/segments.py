"""Revenue segments, segment views and per-segment metrics. Pure functions."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from icp_xl.core.errors import IcpError
from icp_xl.core.model.scoring import grades, normal_scores
from icp_xl.core.model.settings import SEGMENTS, Settings

ALL_SEGMENTS = "All Segments"
SEGMENT_VIEWS: tuple[str, ...] = (ALL_SEGMENTS, *SEGMENTS)


def segment_slug(view: str) -> str:
    """File-name form of a segment view: 'Mid-Market' -> 'mid_market'."""
    return view.lower().replace("-", "_").replace(" ", "_")


def parse_segment_view(name: str | None) -> str:
    """Accept a view by label or slug, any case ('mid-market', 'mid_market', 'All'); None = all."""
    if name is None or not str(name).strip() or str(name).strip().lower() in ("all", "*"):
        return ALL_SEGMENTS
    wanted = segment_slug(str(name).strip())
    for view in SEGMENT_VIEWS:
        if segment_slug(view) == wanted:
            return view
    raise IcpError(f"Unknown segment {name!r}; choose one of: {', '.join(SEGMENT_VIEWS)}")


def within_segment_scores(scored: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """ICP score and grade normalized within each account's own segment.

    ``scored`` is the output of :func:`icp_xl.core.model.scoring.score_accounts`. Returns
    ``segment_ICP_score`` (0-100) and ``segment_ICP_grade`` indexed like it: the
    same normal-curve mapping as the portfolio score, applied to the raw scores
    of the accounts in one segment at a time (row order breaks ties).
    """
    out = pd.DataFrame(index=scored.index, columns=["segment_ICP_score", "segment_ICP_grade"])
    out["segment_ICP_score"] = np.nan
    labels = scored["customer_segment"].to_numpy()
    raw = scored["ICP_score_raw"].to_numpy()
    for segment in SEGMENTS:
        rows = np.flatnonzero(labels == segment)
        if len(rows):
            score = normal_scores(raw[rows])
            out.iloc[rows, 0] = score
            out.iloc[rows, 1] = grades(score, settings)
    return out


def view_rows(scored: pd.DataFrame, view: str) -> np.ndarray:
    """Boolean mask of the accounts in a segment view."""
    if view == ALL_SEGMENTS:
        return np.ones(len(scored), dtype=bool)
    return (scored["customer_segment"] == parse_segment_view(view)).to_numpy()


TOP_SHARE = 0.10  # the "top decile" of the lift figure
TOP_GRADES = ("A", "B")


@dataclass(frozen=True)
class SegmentMetrics:
    """Headline figures of a group of accounts. Money in USD, rates and shares as
    fractions, lift as a ratio (1 = no better than random order).

    ``average_score``, ``high_value_*``: on the group's own scores (the view's score);
    ``portfolio_average_score``: the portfolio-wide ICP score's mean (the whole portfolio
    averages 50 by construction); ``top_grades_target_share`` / ``top_grades_gp24_share``:
    share of the group's target revenue / GP24 held by its grade A and B accounts;
    ``top_decile_lift``: share of the group's target revenue held by its 10% best-scored
    accounts, divided by 10%; ``target_revenue_share``: of the portfolio's target revenue.
    The last five move with the data and the weights."""

    customers: int
    customer_share: float
    average_score: float
    high_value_customers: int
    high_value_rate: float
    average_annual_revenue: float
    total_gp24: float
    gp24_share: float
    high_value_gp24: float
    high_value_gp24_share: float
    average_gp24: float
    portfolio_average_score: float = math.nan
    target_revenue_share: float = math.nan
    top_grades_target_share: float = math.nan
    top_grades_gp24_share: float = math.nan
    top_decile_lift: float = math.nan

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def group_metrics(
    frame: pd.DataFrame,
    scores: np.ndarray | pd.Series,
    settings: Settings,
    population_customers: int,
    population_gp24: float,
    grade_labels: np.ndarray | pd.Series | None = None,
    portfolio_scores: np.ndarray | pd.Series | None = None,
    population_target: float | None = None,
) -> SegmentMetrics:
    """Metrics of one group: ``frame`` its accounts (prepared fields), ``scores`` their ICP scores.

    Shares are relative to the population totals given. The average annual
    revenue counts known revenue only (NaN when none is known); the high-value
    GP24 share is the part of the group's own GP24. ``grade_labels`` (default: graded
    from ``scores``), ``portfolio_scores`` (default: ``scores``) and
    ``population_target`` (default: the group's own) feed the figures that move with
    the weights (see :class:`SegmentMetrics`).
    """
    n = len(frame)
    score = np.asarray(scores, dtype=float)
    gp24 = frame["gp24"].to_numpy(dtype=float)
    revenue = frame["annual_revenue"].to_numpy(dtype=float)
    known = np.isfinite(revenue) & (revenue > 0)
    high = score >= settings.high_value_cutoff
    total_gp24 = float(gp24.sum())
    high_gp24 = float(gp24[high].sum())
    return SegmentMetrics(
        customers=n,
        customer_share=_ratio(n, population_customers),
        average_score=float(score.mean()) if n else math.nan,
        high_value_customers=int(high.sum()),
        high_value_rate=_ratio(int(high.sum()), n),
        average_annual_revenue=float(revenue[known].mean()) if known.any() else math.nan,
        total_gp24=total_gp24,
        gp24_share=_ratio(total_gp24, population_gp24),
        high_value_gp24=high_gp24,
        high_value_gp24_share=_ratio(high_gp24, total_gp24),
        average_gp24=_ratio(total_gp24, n),
        **_ranking_figures(frame, score, settings, grade_labels, portfolio_scores,
                           population_target),
    )  # fmt: skip


def _ranking_figures(
    frame: pd.DataFrame,
    score: np.ndarray,
    settings: Settings,
    grade_labels: np.ndarray | pd.Series | None,
    portfolio_scores: np.ndarray | pd.Series | None,
    population_target: float | None,
) -> dict[str, float]:
    """The figures of :class:`SegmentMetrics` that depend on how the score ranks accounts."""
    n = len(frame)
    target = np.maximum(frame["target_revenue"].to_numpy(dtype=float), 0.0)
    target = np.where(np.isfinite(target), target, 0.0)
    gp24 = frame["gp24"].to_numpy(dtype=float)
    total_target = float(target.sum())
    labels = grades(score, settings) if grade_labels is None else np.asarray(grade_labels)
    top = np.isin(labels, TOP_GRADES)
    portfolio = score if portfolio_scores is None else np.asarray(portfolio_scores, dtype=float)
    best = np.argsort(-score, kind="stable")[: max(math.ceil(n * TOP_SHARE), 1)] if n else []
    captured = _ratio(float(target[best].sum()), total_target)
    return {
        "portfolio_average_score": float(portfolio.mean()) if n else math.nan,
        "target_revenue_share": _ratio(
            total_target, total_target if population_target is None else population_target
        ),
        "top_grades_target_share": _ratio(float(target[top].sum()), total_target),
        "top_grades_gp24_share": _ratio(float(gp24[top].sum()), float(gp24.sum())),
        "top_decile_lift": _ratio(captured, len(best) / n) if n else math.nan,
    }


def _ratio(part: float, whole: float) -> float:
    return float(part) / float(whole) if whole else math.nan


def segment_summary(frame: pd.DataFrame, scored: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """One row of :class:`SegmentMetrics` per segment plus an 'All Segments' row.

    Uses the portfolio-wide ICP score, so segments can be compared. Index: the
    segment view names in :data:`SEGMENT_VIEWS` order (empty segments included).
    """
    population = len(frame)
    population_gp24 = float(frame["gp24"].sum())
    population_target = float(np.maximum(frame["target_revenue"].to_numpy(dtype=float), 0).sum())
    rows = {}
    for view in SEGMENT_VIEWS:
        mask = view_rows(scored, view)
        rows[view] = group_metrics(
            frame[mask],
            scored["ICP_score"].to_numpy()[mask],
            settings,
            population,
            population_gp24,
            grade_labels=scored["ICP_grade"].to_numpy()[mask],
            population_target=population_target,
        ).as_dict()
    return pd.DataFrame.from_dict(rows, orient="index")


def view_metrics(
    frame: pd.DataFrame, scored: pd.DataFrame, settings: Settings, view: str
) -> SegmentMetrics:
    """Dashboard KPIs of a segment view: in a one-segment view the scores are the
    within-segment ones (re-ranked inside the segment), shares are relative to the whole
    portfolio.
    """
    view = parse_segment_view(view)
    mask = view_rows(scored, view)
    if view == ALL_SEGMENTS:
        scores = scored["ICP_score"].to_numpy()
    else:
        scores = normal_scores(scored["ICP_score_raw"].to_numpy()[mask]) if mask.any() else []
    target = float(np.maximum(frame["target_revenue"].to_numpy(dtype=float), 0).sum())
    return group_metrics(
        frame[mask],
        scores,
        settings,
        len(frame),
        float(frame["gp24"].sum()),
        portfolio_scores=scored["ICP_score"].to_numpy()[mask],
        population_target=target,
    )


def recommendations(summary: pd.DataFrame, settings: Settings) -> dict[str, list[str]]:
    """Short strategic recommendations per segment; every sentence states the figure
    its advice rests on, in the words of the test applied.

    ``summary`` is :func:`segment_summary` output (portfolio-wide scores). Returns
    segment -> sentences.
    """
    overall = summary.loc[ALL_SEGMENTS]
    cutoff = f"{settings.high_value_cutoff:g}"
    advice: dict[str, list[str]] = {}
    for segment in SEGMENTS:
        row = summary.loc[segment]
        if row["customers"] == 0:
            advice[segment] = ["No accounts fall in this segment with the current thresholds."]
            continue
        per_account = (
            row["average_gp24"] / overall["average_gp24"] if overall["average_gp24"] else 0
        )
        notes = [
            f"{row['customers']:,.0f} accounts ({row['customer_share']:.1%} of all) bring "
            f"{row['gp24_share']:.1%} of GP24 (${row['average_gp24']:,.0f} per account)."
        ]
        comparison = (
            f"GP24 per account is {per_account:.1f}x the portfolio average "
            f"(${overall['average_gp24']:,.0f})"
        )
        if per_account >= 1.2:
            notes.append(
                f"{comparison}: protect these accounts with named account managers and "
                "quarterly business reviews."
            )
        elif per_account <= 0.8:
            notes.append(
                f"{comparison}: serve with inside sales and digital campaigns, and bundle "
                "consumables and software to lift margin."
            )
        count, rate, overall_rate = (
            row["high_value_customers"], row["high_value_rate"], overall["high_value_rate"]
        )  # fmt: skip
        scoring = (
            f"{count:,.0f} accounts ({rate:.1%}) score {cutoff} or more on the portfolio-wide "
            f"score (portfolio {overall_rate:.1%})"
        )
        if count and rate > overall_rate:
            notes.append(
                f"{scoring}: prioritize them for expansion (additional printers, software seats)."
            )
        else:
            notes.append(
                f"{scoring}: qualify before investing; start from the top of the Top "
                "Customers list in this segment's view."
            )
        if count and row["high_value_gp24_share"] >= 0.5:
            notes.append(
                f"Those {count:,.0f} high-value accounts hold "
                f"{row['high_value_gp24_share']:.1%} of this segment's GP24."
            )
        advice[segment] = notes
    return advice
