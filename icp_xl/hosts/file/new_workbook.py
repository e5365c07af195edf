"""New ICP workbook: a scored workbook file built from an accounts file, a table or
sample data."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pandas as pd

from icp_xl.core.errors import IcpError
from icp_xl.core.inputs.accounts import prepare_accounts
from icp_xl.core.model.settings import Weights
from icp_xl.hosts.file.book import FileBook
from icp_xl.workbook.actions.accounts_import import account_cells, read_accounts_file
from icp_xl.workbook.actions.data_quality import FileRead, store_column_map
from icp_xl.workbook.actions.live import set_live_mode
from icp_xl.workbook.actions.rescoring import RescoreResult, rescore
from icp_xl.workbook.actions.weights import set_current_weights


def new_workbook(
    path: str | Path,
    accounts: str | Path | pd.DataFrame | None = None,
    *,
    overwrite: bool = False,
    sample_size: int = 2000,
    column_map: Mapping[str, str] | None = None,
    weights: Weights | None = None,
    status: Callable[[str], None] | None = None,
    live: bool = False,
) -> Path:
    """Create a scored ICP workbook file at ``path`` from an accounts file or table
    (sample accounts when None). Refuses to replace an existing file unless
    ``overwrite``. ``weights``: the current weights to score with (default weights when
    None). ``column_map`` (field -> header) is used to read the accounts and
    stored in the workbook's Column map. ``status`` receives the progress messages
    (default: stderr, as the CLI shows them). ``live``: Live mode on (Scores as formulas
    that recalculate in Excel 2021+, with their values)."""
    book = build_workbook(
        path,
        accounts,
        overwrite=overwrite,
        sample_size=sample_size,
        column_map=column_map,
        weights=weights,
        status=status,
        live=live,
    )[0]  # every account's scores need not stay in memory while the workbook is saved
    return book.save(path)


def build_workbook(
    path: str | Path,
    accounts: str | Path | pd.DataFrame | None = None,
    *,
    overwrite: bool = False,
    sample_size: int = 2000,
    column_map: Mapping[str, str] | None = None,
    weights: Weights | None = None,
    status: Callable[[str], None] | None = None,
    live: bool = False,
) -> tuple[FileBook, RescoreResult]:
    """:func:`new_workbook` before its save: the new workbook for ``path``, scored, in
    memory, and what the first rescore found (its Data Quality report is
    ``result.quality``). ``book.save(path)`` writes it."""
    from icp_xl.core.inputs.sample import make_sample_accounts

    path = Path(path)
    if path.exists() and not overwrite:
        raise IcpError(f"{path} already exists; choose another name or allow overwriting")
    if path.suffix.lower() != ".xlsx":
        raise IcpError(f"The workbook must be an .xlsx file, got '{path.name}'")
    if accounts is None or isinstance(accounts, pd.DataFrame):
        raw = make_sample_accounts(sample_size) if accounts is None else accounts
        where = "Sample accounts" if accounts is None else "Accounts"
        prepared = prepare_accounts(raw, where=where, column_map=column_map)
    else:
        raw, prepared = read_accounts_file(accounts, column_map)
        where = Path(accounts).name
    book = FileBook.new(account_cells(raw, where, column_map), status)
    store_column_map(book, column_map or {})
    if weights is not None:
        set_current_weights(book, weights)
    if live:
        set_live_mode(book, True)
    return book, rescore(book, file_read=FileRead(raw, prepared, where))
