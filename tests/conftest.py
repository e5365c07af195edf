"""Shared fixtures: sample accounts, prepared and scored once per session, and a module's
template ICP workbook."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from icp_xl.core.inputs.accounts import Accounts, prepare_accounts
from icp_xl.core.inputs.sample import make_sample_accounts


@pytest.fixture(scope="session")
def sample_raw() -> pd.DataFrame:
    return make_sample_accounts(600, seed=3)


@pytest.fixture(scope="session")
def sample_accounts(sample_raw: pd.DataFrame) -> Accounts:
    return prepare_accounts(sample_raw)


@pytest.fixture(scope="session")
def accounts_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """260 sample accounts as a CSV file."""
    path = tmp_path_factory.mktemp("accounts") / "accounts.csv"
    make_sample_accounts(260, seed=11).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def raw_accounts(request: pytest.FixtureRequest) -> pd.DataFrame:
    """The test module's sample accounts: ``TEMPLATE_ACCOUNTS = (count, seed)`` in the
    module (default 300 accounts, seed 11)."""
    count, seed = getattr(request.module, "TEMPLATE_ACCOUNTS", (300, 11))
    return make_sample_accounts(count, seed=seed)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, raw_accounts: pd.DataFrame) -> Path:
    """A new ICP workbook of the module's ``raw_accounts`` (modules may define their own)."""
    from icp_xl.hosts.file.book import FileBook

    path = tmp_path_factory.mktemp("template") / "template.xlsx"
    FileBook.new(raw_accounts).save(path)
    return path


@pytest.fixture
def workbook(template: Path, tmp_path: Path) -> Path:
    """A fresh copy of the test module's ``template`` ICP workbook, as ``ICP.xlsx``."""
    path = tmp_path / "ICP.xlsx"
    shutil.copyfile(template, path)
    return path
