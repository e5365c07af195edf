"""Does the grade predict the deal? Win rates, lift, AUC and gains from CRM opportunities.

Everything here is pure: accounts' grades and scores plus typed opportunities
(:mod:`icp_xl.core.inputs.opportunities`) in, tables and sentences out.

- **Win rate** of a grade = won / (won + lost) over its closed opportunities, with the 95 %
  Wilson interval (:func:`scipy.stats.binomtest`); **lift** = a grade's win rate over the
  whole table's. A grade with fewer than :data:`MIN_CLOSED` closed opportunities is
  flagged "too few to judge".
- **AUC** (account level): over accounts with at least one closed opportunity, an account
  is won when any of its closed opportunities is won; AUC = U / (n_won · n_lost) of
  :func:`scipy.stats.mannwhitneyu` on the ICP scores (ties count ½), the chance that a won
  account outscores a lost one. Its 95 % interval is a seeded percentile bootstrap
  (:func:`scipy.stats.bootstrap`), so the same data give the same interval.
- **Gains**: the share of won accounts and of won amount held by the top x % of accounts
  by ICP score; a score with no skill follows the diagonal.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from icp_xl.core.inputs.opportunities import LOST, OPEN, WON
from icp_xl.core.model.settings import GRADES

BEST_FIRST: tuple[str, ...] = tuple(reversed(GRADES))
TOTAL = "Total"
MIN_CLOSED = 30  # fewer closed opportunities than this: the win rate is noise
TOO_FEW = "too few to judge"
CONFIDENCE = 0.95
BOOTSTRAP_SEED = 20240101
BOOTSTRAP_RESAMPLES = 1000
GAINS_STEPS = 20  # the gains curve at 0 %, 5 %, ..., 100 % of accounts
BY_GRADE_FIELDS: tuple[str, ...] = (
    "accounts", "share_of_accounts", "accounts_with_opportunity", "opportunities", "won",
    "lost", "open", "win_rate", "win_rate_low", "win_rate_high", "won_amount",
    "share_of_won_deals", "share_of_won_amount", "lift", "note",
)  # fmt: skip


def wilson_interval(won: int, closed: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The Wilson score interval of a win rate ``won / closed`` (NaN, NaN when nothing closed)."""
    if closed <= 0:
        return math.nan, math.nan
    from scipy.stats import binomtest  # scipy.stats takes half a second: only when needed

    ci = binomtest(int(won), int(closed)).proportion_ci(confidence, method="wilson")
    return float(ci.low), float(ci.high)


def outcomes_by_grade(
    opportunities: pd.DataFrame, account_grades: pd.Series | None = None
) -> pd.DataFrame:
    """One row per grade (A first) and a ``Total`` row, columns :data:`BY_GRADE_FIELDS`.

    ``opportunities`` has ``customer_id``, ``grade`` (the grade it is judged under; blank or
    NaN rows are left out), ``status`` (won/lost/open) and ``amount`` (NaN = blank).
    ``account_grades``: each account's grade (index Customer ID) for the Accounts columns;
    None leaves ``accounts`` and ``share_of_accounts`` blank (the backtest, whose accounts
    are graded at different runs). Shares and lift are of the Total row's figures."""
    deals = opportunities[opportunities["grade"].isin(GRADES)]
    amount = deals["amount"].fillna(0.0).where(deals["status"] == WON, 0.0)
    table = pd.DataFrame(index=pd.Index([*BEST_FIRST, TOTAL], name="grade"))
    grouped = deals.groupby("grade")
    for status, name in ((WON, "won"), (LOST, "lost"), (OPEN, "open")):
        counts = deals[deals["status"] == status].groupby("grade").size()
        table[name] = counts.reindex(BEST_FIRST, fill_value=0).tolist() + [int(counts.sum())]
    table["opportunities"] = table["won"] + table["lost"] + table["open"]
    with_deal = grouped["customer_id"].nunique().reindex(BEST_FIRST, fill_value=0)
    table["accounts_with_opportunity"] = [*with_deal.tolist(), deals["customer_id"].nunique()]
    won_amount = amount.groupby(deals["grade"]).sum().reindex(BEST_FIRST, fill_value=0.0)
    table["won_amount"] = [*won_amount.tolist(), float(amount.sum())]
    if account_grades is not None:
        counts = account_grades.value_counts().reindex(BEST_FIRST, fill_value=0)
        table["accounts"] = [*counts.tolist(), int(counts.sum())]
    else:
        table["accounts"] = np.nan
    table = table.astype({"won": int, "lost": int, "open": int, "opportunities": int})
    closed = table["won"] + table["lost"]
    intervals = [wilson_interval(w, c) for w, c in zip(table["won"], closed, strict=True)]
    with np.errstate(invalid="ignore", divide="ignore"):
        table["win_rate"] = np.where(closed > 0, table["won"] / closed.where(closed > 0), np.nan)
        table["win_rate_low"] = [low for low, _ in intervals]
        table["win_rate_high"] = [high for _, high in intervals]
        total = table.loc[TOTAL]
        table["share_of_accounts"] = _share(table["accounts"], total["accounts"])
        table["share_of_won_deals"] = _share(table["won"], total["won"])
        table["share_of_won_amount"] = _share(table["won_amount"], total["won_amount"])
        base = total["win_rate"]
        table["lift"] = table["win_rate"] / base if base and base > 0 else np.nan
    table["note"] = np.where(closed < MIN_CLOSED, TOO_FEW, "")
    return table[list(BY_GRADE_FIELDS)]


def _share(values: pd.Series, total: float) -> pd.Series:
    if not total or (isinstance(total, float) and math.isnan(total)):
        return pd.Series(np.nan, index=values.index)
    return values / total


def account_results(opportunities: pd.DataFrame) -> pd.DataFrame:
    """Per account with at least one opportunity (index Customer ID): ``opportunities``,
    ``closed``, ``won`` (bool: any closed opportunity won) and ``won_amount``."""
    status = opportunities["status"]
    amount = opportunities["amount"].fillna(0.0).where(status == WON, 0.0)
    frame = pd.DataFrame(
        {
            "customer_id": opportunities["customer_id"].to_numpy(dtype=object),
            "closed": (status != OPEN).to_numpy(),
            "won": (status == WON).to_numpy(),
            "won_amount": amount.to_numpy(dtype=float),
        }
    )
    grouped = frame.groupby("customer_id", sort=False)
    out = grouped.agg(
        closed=("closed", "sum"), won=("won", "any"), won_amount=("won_amount", "sum")
    )
    out["opportunities"] = grouped.size()
    return out


@dataclass(frozen=True)
class Auc:
    """Account-level AUC of the ICP score (NaN when won or lost accounts are missing),
    its bootstrap interval, and the accounts it is computed over."""

    auc: float
    low: float
    high: float
    accounts: int
    won_accounts: int

    @property
    def lost_accounts(self) -> int:
        return self.accounts - self.won_accounts


def auc_of(won_scores: np.ndarray, lost_scores: np.ndarray, axis: int = -1) -> np.ndarray:
    """P(won score > lost score) + ½ P(equal): the Mann-Whitney U of the won scores over
    n_won · n_lost (vectorized along ``axis``)."""
    from scipy.stats import mannwhitneyu

    u = mannwhitneyu(won_scores, lost_scores, axis=axis, method="asymptotic").statistic
    return u / (np.shape(won_scores)[axis] * np.shape(lost_scores)[axis])


def won_lost_scores(
    scores: pd.Series, opportunities: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """The ``scores`` (index Customer ID) of the won and of the lost accounts among the
    accounts of ``scores`` with at least one closed opportunity (won: any of them won)."""
    results = account_results(opportunities)
    closed = results[(results["closed"] > 0) & results.index.isin(scores.index)]
    won = scores.reindex(closed.index[closed["won"]]).to_numpy(dtype=float)
    lost = scores.reindex(closed.index[~closed["won"]]).to_numpy(dtype=float)
    return won, lost


def score_auc(scores: pd.Series, opportunities: pd.DataFrame) -> tuple[float, int]:
    """(AUC of ``scores`` at telling won from lost accounts, accounts it is over): the
    point value of :func:`account_auc`, without the interval (NaN when either kind is
    missing)."""
    won, lost = won_lost_scores(scores, opportunities)
    auc = float(auc_of(won, lost)) if len(won) and len(lost) else math.nan
    return auc, len(won) + len(lost)


def account_auc(
    scores: pd.Series,
    opportunities: pd.DataFrame,
    seed: int = BOOTSTRAP_SEED,
    resamples: int = BOOTSTRAP_RESAMPLES,
) -> Auc:
    """AUC of ``scores`` (index Customer ID) at telling won accounts from lost ones, over
    the accounts of ``scores`` with at least one closed opportunity; the 95 % interval is a
    percentile bootstrap resampling won and lost accounts separately (seeded)."""
    won, lost = won_lost_scores(scores, opportunities)
    n = len(won) + len(lost)
    if not len(won) or not len(lost):
        return Auc(math.nan, math.nan, math.nan, n, len(won))
    auc = float(auc_of(won, lost))
    low = high = math.nan
    if len(won) >= 2 and len(lost) >= 2:
        from scipy.stats import bootstrap

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a degenerate resample only widens nothing
            ci = bootstrap(
                (won, lost),
                auc_of,
                n_resamples=resamples,
                confidence_level=CONFIDENCE,
                method="percentile",
                vectorized=True,
                batch=max(1, min(resamples, 20_000_000 // max(n, 1))),
                rng=np.random.default_rng(seed),
            ).confidence_interval
        low, high = float(ci.low), float(ci.high)
    return Auc(auc, low, high, n, len(won))


def gains_curve(
    scores: pd.Series, opportunities: pd.DataFrame, steps: int = GAINS_STEPS
) -> pd.DataFrame:
    """Share of won accounts and of won amount held by the top x % of accounts by score
    (``scores``: every account of the view, index Customer ID; ties keep row order), at
    x = 0, 1/steps, ..., 1. Columns ``share_of_accounts``, ``won_accounts``, ``won_amount``
    and ``random`` (the diagonal)."""
    results = account_results(opportunities).reindex(scores.index)
    won = results["won"].fillna(False).to_numpy(dtype=bool) & (
        results["closed"].fillna(0).to_numpy() > 0
    )
    amount = results["won_amount"].fillna(0.0).to_numpy(dtype=float)
    order = np.argsort(-scores.to_numpy(dtype=float), kind="stable")
    cum_won = np.concatenate([[0.0], np.cumsum(won[order])])
    cum_amount = np.concatenate([[0.0], np.cumsum(amount[order])])
    x = np.linspace(0.0, 1.0, steps + 1)
    taken = np.rint(x * len(scores)).astype(int)
    with np.errstate(invalid="ignore", divide="ignore"):
        won_share = cum_won[taken] / cum_won[-1] if cum_won[-1] else np.full(len(x), np.nan)
        amount_share = (
            cum_amount[taken] / cum_amount[-1] if cum_amount[-1] else np.full(len(x), np.nan)
        )
    return pd.DataFrame(
        {
            "share_of_accounts": x,
            "won_accounts": won_share,
            "won_amount": amount_share,
            "random": x,
        }  # fmt: skip
    )


def _percent(value: float) -> str:
    return f"{value:.0%}".replace("%", " %")


def headlines(table: pd.DataFrame, auc: Auc | None, gains: pd.DataFrame | None) -> list[str]:
    """Plain sentences about ``table`` (:func:`outcomes_by_grade`), ``auc`` and ``gains``,
    e.g. "Grades A+B: 30 % of accounts, 62 % of won deals"; only what the data support."""
    lines = []
    total = table.loc[TOTAL]
    closed_total = int(total["won"] + total["lost"])
    if closed_total == 0:
        return ["No closed opportunities yet: win rates, lift and AUC need won or lost deals."]
    top = table.loc[list(BEST_FIRST[:2])]
    if not math.isnan(total["accounts"]):
        lines.append(
            f"Grades A+B: {_percent(top['share_of_accounts'].sum())} of accounts, "
            f"{_percent(top['share_of_won_deals'].sum())} of won deals"
            + (
                f", {_percent(top['share_of_won_amount'].sum())} of won amount."
                if total["won_amount"] > 0
                else "."
            )  # fmt: skip
        )
    else:
        lines.append(f"Grades A+B: {_percent(top['share_of_won_deals'].sum())} of won deals.")
    lines.append(_best_vs_worst(table))
    lines.append(
        f"Overall win rate {_percent(total['win_rate'])} over {closed_total:,} closed "
        f"opportunities ({int(total['won']):,} won)."
    )
    if auc is not None and not math.isnan(auc.auc):
        interval = (
            f" (95 % interval {auc.low:.2f}-{auc.high:.2f})" if not math.isnan(auc.low) else ""
        )
        lines.append(
            f"AUC {auc.auc:.2f}{interval} over {auc.accounts:,} accounts with closed deals: a "
            f"won account outscores a lost one {_percent(auc.auc)} of the time (0.5 = chance)."
        )
    if gains is not None and len(gains) > 1:
        at = gains.iloc[int(np.argmin(np.abs(gains["share_of_accounts"] - 0.2)))]
        if not math.isnan(at["won_accounts"]):
            lines.append(
                f"The top {_percent(at['share_of_accounts'])} of accounts by ICP score hold "
                f"{_percent(at['won_accounts'])} of won accounts."
            )
    return lines


def _best_vs_worst(table: pd.DataFrame) -> str:
    closed = table["won"] + table["lost"]
    judged = [g for g in BEST_FIRST if closed[g] >= MIN_CLOSED]
    if len(judged) < 2:
        return (
            f"Too few closed opportunities to compare grades: a grade needs at least "
            f"{MIN_CLOSED} closed ones (found in {len(judged)} grade"
            f"{'' if len(judged) == 1 else 's'})."
        )
    best, worst = judged[0], judged[-1]
    high, low = table.at[best, "win_rate"], table.at[worst, "win_rate"]
    if low == 0:
        return (
            f"{worst} never won in {int(closed[worst]):,} closed opportunities; {best} won "
            f"{_percent(high)}."
        )
    return (
        f"{best} wins {high / low:.1f}× as often as {worst} ({_percent(high)} vs "
        f"{_percent(low)} of closed opportunities)."
    )


def unknown_accounts(opportunities: pd.DataFrame, known: Sequence[str] | pd.Index) -> pd.DataFrame:
    """The opportunities whose account is not among ``known`` Customer IDs."""
    return opportunities[~opportunities["customer_id"].isin(pd.Index(known))]


@dataclass(frozen=True)
class GradedOutcomes:
    """The outcomes under one set of grades and scores: the by-grade ``table``
    (:func:`outcomes_by_grade`) and the account-level ``auc`` over ``auc_accounts``."""

    table: pd.DataFrame
    auc: float
    auc_accounts: int


def graded_outcomes(
    ids: pd.Index, scored: pd.DataFrame, opportunities: pd.DataFrame
) -> GradedOutcomes:
    """The outcomes of ``opportunities`` under the ``ICP_grade`` and ``ICP_score`` of
    ``scored`` (rows in the order of the Customer IDs ``ids``); opportunities of other
    accounts are left out."""
    index = pd.Index(ids).astype(str)
    grades = pd.Series(scored["ICP_grade"].to_numpy(dtype=object), index=index)
    scores = pd.Series(scored["ICP_score"].to_numpy(dtype=float), index=index)
    deals = opportunities.assign(customer_id=opportunities["customer_id"].astype(str))
    deals = deals[deals["customer_id"].isin(index)]
    table = outcomes_by_grade(deals.assign(grade=deals["customer_id"].map(grades)), grades)
    return GradedOutcomes(table, *score_auc(scores, deals))
