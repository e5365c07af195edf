"""Deterministic sample opportunities for sample accounts: deals whose wins follow a hidden
mix of the accounts' inputs plus noise, so the Outcomes sheet and ``optimize --target won``
have a real, known signal to find.

How a deal is made (same accounts and seed give the same deals):

- each account gets Poisson(0.8) opportunities, created on a day of 2023-2025 and closing
  20-200 days later; a deal whose close date is after :data:`AS_OF` (2026-01-31) is open;
- the hidden fit of an account is its four ICP components (default settings) mixed with
  :data:`HIDDEN_WEIGHTS` (vertical 0.15, size 0.20, adoption 0.40, relationship 0.25),
  standardized; a closed deal is won with probability
  ``1 / (1 + exp(-(-0.4 + 1.5 * fit + noise)))``, with noise N(0, 0.6) per account;
- amounts are lognormal around $25,000, larger for larger companies, rounded to $100.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from icp_xl.core.inputs.accounts import prepare_accounts
from icp_xl.core.model.scoring import component_scores
from icp_xl.core.model.settings import COMPONENTS, Settings

HIDDEN_WEIGHTS: dict[str, float] = {
    "vertical": 0.15,
    "size": 0.20,
    "adoption": 0.40,
    "relationship": 0.25,
}
AS_OF = datetime(2026, 1, 31)
FIRST_DAY = datetime(2023, 1, 1)
DAYS = 3 * 365
OPEN_STAGES = ("Prospecting", "Qualification", "Proposal", "Negotiation")


def hidden_fit(accounts: pd.DataFrame) -> np.ndarray:
    """The standardized hidden fit of each account (see the module docstring)."""
    components = component_scores(prepare_accounts(accounts), Settings())
    mix = sum(HIDDEN_WEIGHTS[c] * components[f"{c}_score"].to_numpy(float) for c in COMPONENTS)
    spread = mix.std() or 1.0
    return (mix - mix.mean()) / spread


def make_sample_opportunities(accounts: pd.DataFrame, seed: int = 42) -> pd.DataFrame:
    """Sample opportunities of ``accounts`` (a table as :func:`make_sample_accounts` writes
    it), with Salesforce-style headers: Opportunity ID, Account ID, Stage, Amount, Created
    Date, Close Date (ISO text). Deterministic in ``accounts`` and ``seed``."""
    rng = np.random.default_rng(seed + 7919)
    fit = hidden_fit(accounts)
    n = len(accounts)
    noise = rng.normal(0.0, 0.6, n)
    counts = rng.poisson(0.8, n)
    owner = np.repeat(np.arange(n), counts)
    total = len(owner)
    created_day = rng.integers(0, DAYS, total)
    created = [FIRST_DAY + timedelta(days=int(d)) for d in created_day]
    closes = [c + timedelta(days=int(d)) for c, d in zip(created, rng.integers(20, 200, total),
                                                          strict=True)]  # fmt: skip
    closed = np.array([c <= AS_OF for c in closes])
    chance = 1 / (1 + np.exp(-(-0.4 + 1.5 * fit[owner] + noise[owner])))
    won = rng.random(total) < chance
    open_stage = rng.choice(OPEN_STAGES, total)
    stage = np.where(closed, np.where(won, "Closed Won", "Closed Lost"), open_stage)
    revenue = pd.to_numeric(accounts["Annual Revenue"], errors="coerce").fillna(50e6).to_numpy()
    scale = np.log10(np.clip(revenue, 1e6, 1e11)[owner]) - 8
    amount = (np.exp(rng.normal(np.log(25_000) + 0.4 * scale, 0.7)) / 100).round() * 100
    ids = accounts["Customer ID"].astype(str).to_numpy()[owner]
    frame = pd.DataFrame(
        {
            "Opportunity ID": [f"OPP{i:06d}" for i in range(1, total + 1)],
            "Account ID": ids,
            "Stage": stage,
            "Amount": amount,
            "Created Date": [c.strftime("%Y-%m-%d") for c in created],
            "Close Date": [c.strftime("%Y-%m-%d") for c in closes],
        }
    )
    order = np.argsort(created_day, kind="stable")
    frame = frame.iloc[order].reset_index(drop=True)
    frame["Opportunity ID"] = [f"OPP{i:06d}" for i in range(1, total + 1)]
    return frame
