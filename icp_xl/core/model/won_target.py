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
from typing import Literal

import numpy as np
import pandas as pd

from icp_xl.core.errors import IcpError
from icp_xl.core.inputs.accounts import Accounts
from icp_xl.core.inputs.opportunities import OPEN
from icp_xl.core.insight.outcomes import account_results, auc_of
from icp_xl.core.model.scoring import score_accounts
from icp_xl.core.model.settings import Settings, Weights
from icp_xl.core.model.target import WON_TARGETS

__all__ = ["WON_TARGETS", "split_date", "split_opportunities", "weights_auc", "won_target"]

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
) -> float:
    """AUC of the ICP score under ``weights`` at telling the won from the lost accounts
    of ``opportunities`` (NaN when either kind is missing)."""
    scored = score_accounts(accounts, settings.with_weights(weights))
    scores = pd.Series(
        scored["ICP_score"].to_numpy(dtype=float),
        index=accounts.frame["customer_id"].astype(str).to_numpy(),
    )
    deals = opportunities.assign(customer_id=opportunities["customer_id"].astype(str))
    results = account_results(deals[deals["status"] != OPEN])
    results = results[results.index.isin(scores.index)]
    won = scores.reindex(results.index[results["won"]]).to_numpy(dtype=float)
    lost = scores.reindex(results.index[~results["won"]]).to_numpy(dtype=float)
    if not len(won) or not len(lost):
        return math.nan
    return float(auc_of(won, lost))
