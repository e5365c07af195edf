"""Import accounts: replace the Accounts table with an accounts file, then rescore."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from icp_xl.core.accounts import (
    ACCOUNT_COLUMNS,
    match_columns,
    parse_numbers,
    prepare_accounts,
)
from icp_xl.files.tables import read_table
from icp_xl.workbook import layout
from icp_xl.workbook.actions.rescoring import RescoreResult, rescore
from icp_xl.workbook.blocks import cell_value
from icp_xl.workbook.book import Book
from icp_xl.workbook.inputs import read_settings


def account_cells(raw: pd.DataFrame, where: str) -> pd.DataFrame:
    """A raw accounts table (as read; ``where`` names it in messages) as the cells to
    write into ``AccountsTable``: each numeric account column (SPEC §3, found by header or
    alias) as the floats :func:`~icp_xl.core.accounts.parse_numbers` reads from it (blank ->
    NaN, an empty cell), so Excel's SUM, filters and pivots see numbers; every other
    column unchanged (a Customer ID ``007`` stays text)."""
    mapping, _ = match_columns(raw.columns)
    cells = raw.copy()
    for column in ACCOUNT_COLUMNS:
        header = mapping.get(column.field)
        if column.numeric and header is not None:
            cells[header] = parse_numbers(raw[header], header, where)
    return cells


def import_accounts(book: Book, path: str | Path) -> RescoreResult:
    """Replace the Accounts table with an accounts file (CSV/XLSX) and rescore.
    The file is validated first; on any problem nothing is written."""
    path = Path(path)
    raw = read_table(path)
    prepare_accounts(raw, where=path.name)
    cells = account_cells(raw, path.name)
    header = [str(c) for c in cells.columns]
    rows = [[cell_value(v) for v in row] for row in cells.astype(object).itertuples(index=False)]
    read_settings(book)  # a settings problem stops the import before anything is written
    book.write_table(layout.ACCOUNTS_TABLE.name, header, rows)
    book.status(f"Imported {len(rows):,} accounts from {path.name}")
    return rescore(book)
