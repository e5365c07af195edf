"""Shared fixtures: sample accounts, prepared and scored once per session."""

from __future__ import annotations

import pandas as pd
import pytest

from icp_xl.accounts import Accounts, prepare_accounts
from icp_xl.sample import make_sample_accounts


@pytest.fixture(scope="session")
def sample_raw() -> pd.DataFrame:
    return make_sample_accounts(600, seed=3)


@pytest.fixture(scope="session")
def sample_accounts(sample_raw: pd.DataFrame) -> Accounts:
    return prepare_accounts(sample_raw)
