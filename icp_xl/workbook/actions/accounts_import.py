"""Import accounts: replace the Accounts table with an accounts file, then rescore."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from icp_xl.core.inputs.accounts import (
    ACCOUNT_COLUMNS,
    Accounts,
    match_columns,
    parse_numbers,
    prepare_accounts,
)
from icp_xl.files.tables import read_table
from icp_xl.workbook import layout
from icp_xl.workbook.actions.data_quality import FileRead, store_column_map
from icp_xl.workbook.actions.rescoring import RescoreResult, rescore
from icp_xl.workbook.blocks import cell_value
from icp_xl.workbook.book import Book
from icp_xl.workbook.inputs import read_column_map, read_settings


def read_accounts_file(
    path: str | Path, column_map: Mapping[str, str] | None = None
) -> tuple[pd.DataFrame, Accounts]:
    """(raw table, prepared accounts) of an accounts file read through ``column_map``
    (field -> header); the header may be below title rows. Raises IcpError listing every
    problem of the file."""
    path = Path(path)
    raw = read_table(path, column_map)
    # rows as the user sees them: attrs["row_numbers"] (header row, blank rows skipped)
    return raw, prepare_accounts(raw, path.name, column_map=column_map)


def account_cells(
    raw: pd.DataFrame, where: str, column_map: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """A raw accounts table (as read; ``where`` names it in messages) as the cells to
    write into ``AccountsTable``: each numeric account column (found by header or alias,
    docs/scoring.md) as the floats :func:`~icp_xl.core.inputs.accounts.parse_numbers` reads from
    it (blank -> NaN, an empty cell), so Excel's SUM, filters and pivots see numbers; every other
    column unchanged (a Customer ID ``007`` stays text)."""
    mapping, _ = match_columns(raw.columns, column_map)
    cells = raw.copy()
    for column in ACCOUNT_COLUMNS:
        header = mapping.get(column.field)
        if column.numeric and header is not None:
            cells[header] = parse_numbers(raw[header], header, where).to_numpy()
    return cells


def import_accounts(
    book: Book, path: str | Path, column_map: Mapping[str, str] | None = None
) -> RescoreResult:
    """Replace the Accounts table with an accounts file (CSV/XLSX) and rescore.

    The file is read through the workbook's Column map, overridden by ``column_map``
    (field -> header, e.g. ``--column``; stored into the Column map). The file is
    validated first; on any problem nothing is written. Data Quality describes the file."""
    path = Path(path)
    mapping = {**read_column_map(book), **(column_map or {})}
    raw, accounts = read_accounts_file(path, mapping)
    cells = account_cells(raw, path.name, mapping)
    header = [str(c) for c in cells.columns]
    rows = [[cell_value(v) for v in row] for row in cells.astype(object).itertuples(index=False)]
    read_settings(book)  # a settings problem stops the import before anything is written
    store_column_map(book, column_map or {})
    book.write_table(layout.ACCOUNTS_TABLE.name, header, rows)
    book.status(f"Replacing the accounts with the {len(rows):,} of {path.name}")
    return rescore(book, file_read=FileRead(raw, accounts, path.name))
