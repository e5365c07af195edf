"""Import accounts: replace the Accounts table with an accounts file, then rescore."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from icp_xl.core.errors import IcpError
from icp_xl.core.inputs.accounts import (
    ACCOUNT_COLUMNS,
    Accounts,
    match_columns,
    parse_numbers,
    prepare_accounts,
)
from icp_xl.core.inputs.columns import over_column_map
from icp_xl.files.tables import read_table
from icp_xl.workbook import layout
from icp_xl.workbook.actions.data_quality import FileRead, store_column_map
from icp_xl.workbook.actions.rescoring import RescoreResult, rescore
from icp_xl.workbook.blocks import cell_value
from icp_xl.workbook.book import Book
from icp_xl.workbook.inputs import read_accounts, read_column_map, read_settings

# Columns only our own score files have (export, score): a file with two of them is scores,
# not CRM accounts. A CRM export that carries the ICP score and grade written back is fine.
EXPORT_MARKS: tuple[str, ...] = (
    "ICP_score_raw",
    "vertical_score",
    "size_score",
    "adoption_score",
    "relationship_score",
)


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


class ImportNeedsConfirmation(IcpError):
    """An import that looks like the wrong file: it would drop more than half of the
    workbook's accounts, or it is one of our own exports. Nothing was written; the
    message is one sentence, the caller asks (``--replace-all``, a Yes/No dialog)."""


def import_doubt(
    current_ids: pd.Series, accounts: Accounts, raw: pd.DataFrame, name: str
) -> str | None:
    """Why importing the file ``name`` (``raw`` as read, ``accounts`` prepared) over
    accounts with ``current_ids`` looks like a mistake, as one sentence; None when it
    does not. Doubtful: a file with our score files' component columns, or one that would
    drop more than half of the current accounts."""
    ours = [c for c in EXPORT_MARKS if c in {str(h) for h in raw.columns}]
    if len(ours) >= 2:
        return (
            f"{name} looks like an icp-xl export (it has the columns {', '.join(ours)}), "
            "not a CRM accounts file"
        )
    current = pd.Index(current_ids.dropna().map(str).unique())
    gone = current.difference(pd.Index(accounts.frame["customer_id"].map(str)))
    if len(current) and len(gone) > len(current) / 2:
        return (
            f"Importing {name} would drop {len(gone):,} of the workbook's {len(current):,} "
            f"accounts (the file has {len(accounts.frame):,} accounts, "
            f"{len(current) - len(gone):,} of them already in the workbook)"
        )
    return None


def _current_ids(book: Book) -> pd.Series:
    """The Customer IDs of the workbook's Accounts table (empty when it cannot be read,
    which an import repairs)."""
    try:
        _, current = read_accounts(book)
    except IcpError:
        return pd.Series([], dtype=object)
    return current.frame["customer_id"]


def import_accounts(
    book: Book,
    path: str | Path,
    column_map: Mapping[str, str] | None = None,
    replace_all: bool = False,
) -> RescoreResult:
    """Replace the Accounts table with an accounts file (CSV/XLSX) and rescore.

    The file is read through the workbook's Column map, overridden by ``column_map``
    (field -> header, e.g. ``--column``; stored into the Column map). The file is
    validated first; on any problem nothing is written. Data Quality describes the file.
    A file that looks wrong (:func:`import_doubt`) raises :class:`ImportNeedsConfirmation`
    unless ``replace_all``."""
    path = Path(path)
    mapping = over_column_map(read_column_map(book), column_map)
    raw, accounts = read_accounts_file(path, mapping)
    doubt = None if replace_all else import_doubt(_current_ids(book), accounts, raw, path.name)
    if doubt:
        raise ImportNeedsConfirmation(f"{doubt}; nothing was written")
    cells = account_cells(raw, path.name, mapping)
    header = [str(c) for c in cells.columns]
    rows = [[cell_value(v) for v in row] for row in cells.astype(object).itertuples(index=False)]
    read_settings(book)  # a settings problem stops the import before anything is written
    store_column_map(book, column_map or {})
    book.write_table(layout.ACCOUNTS_TABLE.name, header, rows)
    book.status(f"Replacing the accounts with the {len(rows):,} of {path.name}")
    return rescore(book, file_read=FileRead(raw, accounts, path.name))


def what_replacing_discards(book: Book) -> list[str]:
    """What a new workbook written over ``book`` would lose that an import keeps: its
    calibration, its recorded runs and the user's own sheets, as short phrases (empty when
    it holds none of them)."""
    from icp_xl.workbook.calibration_table import read_calibration

    lost = []
    try:
        calibration = read_calibration(book)
    except IcpError:  # a damaged calibration is still one the user made
        lost.append("its calibration")
    else:
        if calibration is not None:
            lost.append(f"its calibration of {calibration.calibrated_at:%Y-%m-%d}")
    try:
        runs = book.read_table(layout.RUNS_TABLE.name)
    except IcpError:
        runs = None
    count = 0 if runs is None or runs.empty else int(runs.iloc[:, 0].notna().sum())
    if count:
        lost.append(f"the history of {count:,} recorded run(s)")
    own = [s for s in book.sheet_names() if s not in layout.SHEETS_BY_NAME]
    if own:
        lost.append("your own sheet(s) " + ", ".join(f"'{s}'" for s in own))
    return lost
