"""Optimize for wins: the account-level won flag (or won amount) as the optimizer's target,
the time split of the closed opportunities, and the AUC of a set of weights.

The target is defined over accounts with at least one closed opportunity: 1 when any of
them is won, else 0 (``won``); or the won amount, 0 for an account that only lost
(``won-amount``). Accounts without closed opportunities have no target (NaN) and are left
out of training. With a 0/1 target and no ties in the score, Spearman's correlation is an
increasing affine function of the AUC, so the existing Spearman objective maximizes AUC.

Time split: fit on opportunities closed before the last quarter of close dates (the 75th
percentile), test on those closed from then on: the accounts' won flags from each period.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from icp_xl.core.errors import IcpError
from icp_xl.core.inputs.accounts import Accounts
from icp_xl.core.inputs.opportunities import OPEN
from icp_xl.core.insight.outcomes import TOTAL, account_results, graded_outcomes, score_auc
from icp_xl.core.model.scoring import score_accounts
from icp_xl.core.model.settings import Settings, Weights
from icp_xl.core.model.target import WON_TARGETS

__all__ = [
    "WON_TARGETS",
    "WonFit",
    "split_date",
    "split_opportunities",
    "weights_auc",
    "won_fit",
    "won_sentences",
    "won_target",
]

WonTarget = Literal["won", "won-amount"]
SPLIT_QUANTILE = 0.75
MIN_WON_ACCOUNTS = 10  # of each kind (won, lost), for a target worth optimizing


def won_target(
    accounts: Accounts, opportunities: pd.DataFrame, kind: WonTarget = "won"
) -> Accounts:
    """``accounts`` whose ``target_revenue`` is the won flag (1.0/0.0) or the won amount
    of their closed ``opportunities`` (NaN without any). Raises IcpError when fewer than
    :data:`MIN_WON_ACCOUNTS` accounts won or lost."""
    ids = accounts.frame["customer_id"].astype(str)
    deals = opportunities.assign(customer_id=opportunities["customer_id"].astype(str))
    results = account_results(deals[deals["status"] != OPEN]).reindex(ids.to_numpy())
    won = results["won"].astype("boolean")
    n_won, n_lost = int(won.sum()), int((won == False).sum())  # noqa: E712 (a nullable mask)
    if min(n_won, n_lost) < MIN_WON_ACCOUNTS:
        raise IcpError(
            f"The opportunities give {n_won} won and {n_lost} lost accounts (among the "
            f"accounts); optimizing for wins needs at least {MIN_WON_ACCOUNTS} of each"
        )
    if kind == "won":
        target = won.astype(float).to_numpy(dtype=float, na_value=np.nan)
        header = "won (any closed opportunity won)"
    else:
        target = results["won_amount"].to_numpy(dtype=float)
        header = "won amount of closed opportunities"
    frame = accounts.frame.copy()
    frame["target_revenue"] = target
    return dataclasses.replace(
        accounts, frame=frame, source_columns={**accounts.source_columns, "target_revenue": header}
    )


def split_date(opportunities: pd.DataFrame) -> pd.Timestamp | None:
    """The close date from which the last quarter of closed opportunities begins (None when
    fewer than two closed opportunities have a close date)."""
    closed = opportunities[opportunities["status"] != OPEN]["close_date"].dropna()
    if closed.nunique() < 2:
        return None
    return pd.Timestamp(closed.quantile(SPLIT_QUANTILE))


def split_opportunities(
    opportunities: pd.DataFrame, cutoff: pd.Timestamp
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(closed before ``cutoff``, closed from ``cutoff`` on) among the closed ones."""
    closed = opportunities[(opportunities["status"] != OPEN) & opportunities["close_date"].notna()]
    early = closed["close_date"] < cutoff
    return closed[early], closed[~early]


def weights_auc(
    accounts: Accounts, settings: Settings, weights: Weights, opportunities: pd.DataFrame
) -> tuple[float, int]:
    """(AUC of the ICP score under ``weights`` at telling the won from the lost accounts
    of ``opportunities``, accounts it is over); NaN when either kind is missing."""
    scored = score_accounts(accounts, settings.with_weights(weights))
    scores = pd.Series(
        scored["ICP_score"].to_numpy(dtype=float),
        index=accounts.frame["customer_id"].astype(str).to_numpy(),
    )
    deals = opportunities.assign(customer_id=opportunities["customer_id"].astype(str))
    return score_auc(scores, deals)


BEST_GRADE = "A"


@dataclass(frozen=True)
class WonFit:
    """How weights optimized for wins tell won from lost accounts, beside the current
    weights: the AUC in-sample (``auc``, ``auc_current``, over ``auc_accounts`` accounts
    with a closed opportunity); on the time split (``split_auc``: weights refitted on the
    ``early`` opportunities closed before ``cutoff``, judged on the accounts of the ``late``
    ones, ``split_accounts``; ``split_auc_current``: the current weights on the same;
    NaN with the reason in ``split_note`` when not measured); and grade A's win rate and
    lift over the portfolio's ``base_win_rate`` (``table``: every grade under the
    optimized weights)."""

    kind: str
    auc: float
    auc_current: float
    auc_accounts: int
    cutoff: pd.Timestamp | None
    early: int
    late: int
    split_auc: float
    split_auc_current: float
    split_accounts: int
    split_note: str
    win_rate: float
    lift: float
    lift_current: float
    base_win_rate: float
    table: pd.DataFrame


def won_fit(
    accounts: Accounts,
    settings: Settings,
    weights: Weights,
    opportunities: pd.DataFrame,
    kind: WonTarget = "won",
    refit: Callable[[Accounts], Weights] | None = None,
) -> WonFit:
    """Judge ``weights`` (optimized for ``kind`` on ``opportunities``) against the current
    ``settings.weights``. ``refit`` fits weights on a training set (a :func:`won_target`
    of the earlier opportunities) for the time split; None skips the time split. Grades
    and scores are those of :func:`~icp_xl.core.model.scoring.score_accounts` (today's
    accounts, percentile grades)."""
    ids = accounts.frame["customer_id"].astype(str).to_numpy()
    optimized = graded_outcomes(ids, score_accounts(accounts, settings.with_weights(weights)),
                                opportunities)  # fmt: skip
    current = graded_outcomes(ids, score_accounts(accounts, settings), opportunities)
    cutoff = split_date(opportunities)
    early = late = split_accounts = 0
    split_auc = split_current = math.nan
    if refit is None:
        note = "stopped before the time split"
    elif cutoff is None:
        note = "the opportunities have no close dates"
    else:
        before, after = split_opportunities(opportunities, cutoff)
        early, late = len(before), len(after)
        try:
            fitted = refit(won_target(accounts, before, kind))
            split_auc, split_accounts = weights_auc(accounts, settings, fitted, after)
            split_current, _ = weights_auc(accounts, settings, settings.weights, after)
            note = "" if not math.isnan(split_auc) else "the later deals lack won or lost accounts"
        except IcpError as error:
            note = str(error)
    table = optimized.table
    return WonFit(
        kind, optimized.auc, current.auc, optimized.auc_accounts, cutoff, early, late,
        split_auc, split_current, split_accounts, note, table.at[BEST_GRADE, "win_rate"],
        table.at[BEST_GRADE, "lift"], current.table.at[BEST_GRADE, "lift"],
        table.at[TOTAL, "win_rate"], table,
    )  # fmt: skip


def won_sentences(fit: WonFit) -> list[str]:
    """The fit in plain sentences: AUC in-sample, on the time split, grade A's lift (what
    ``icp-xl optimize --target won`` prints and the ribbon's Optimize says at the end)."""
    split = (
        f"not measured ({fit.split_note})"
        if math.isnan(fit.split_auc)
        else f"{fit.split_auc:.3f} on the {fit.split_accounts:,} accounts of the {fit.late:,} "
        f"opportunities closed from {fit.cutoff:%Y-%m-%d}, with weights fitted on the "
        f"{fit.early:,} closed before ({fit.split_auc_current:.3f} with the current weights)"
    )
    best = (
        "no closed opportunities"
        if math.isnan(fit.lift)
        else f"win rate {fit.win_rate:.0%}, lift {fit.lift:.2f}x over the portfolio's "
        f"{fit.base_win_rate:.0%} (current weights: {fit.lift_current:.2f}x)"
    )
    return [
        f"AUC in-sample: {fit.auc:.3f} with the optimized weights ({fit.auc_current:.3f} with "
        f"the current weights), over the {fit.auc_accounts:,} accounts with a closed "
        "opportunity",
        f"AUC on a time split: {split}",
        f"Grade {BEST_GRADE} under the optimized weights: {best}",
    ]
