"""New ICP workbook: a scored workbook file built from an accounts file, a table or
sample data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from icp_xl.core.accounts import (
    prepare_accounts,
)
from icp_xl.core.errors import IcpError
from icp_xl.files.tables import read_table
from icp_xl.workbook.actions.accounts_import import account_cells
from icp_xl.workbook.actions.rescoring import rescore


def new_workbook(
    path: str | Path,
    accounts: str | Path | pd.DataFrame | None = None,
    *,
    overwrite: bool = False,
    sample_size: int = 2000,
) -> Path:
    """Create a scored ICP workbook file at ``path`` from an accounts file or table
    (sample accounts when None). Refuses to replace an existing file unless
    ``overwrite``."""
    from icp_xl.core.sample import make_sample_accounts
    from icp_xl.hosts.file.book import FileBook

    path = Path(path)
    if path.exists() and not overwrite:
        raise IcpError(f"{path} already exists; choose another name or allow overwriting")
    if path.suffix.lower() != ".xlsx":
        raise IcpError(f"The workbook must be an .xlsx file, got '{path.name}'")
    if accounts is None:
        raw, where = make_sample_accounts(sample_size), "Sample accounts"
    elif isinstance(accounts, pd.DataFrame):
        raw, where = accounts, "Accounts"
    else:
        raw, where = read_table(accounts), Path(accounts).name
    prepare_accounts(raw, where=where)
    book = FileBook.new(account_cells(raw, where))
    rescore(book)
    return book.save(path)
