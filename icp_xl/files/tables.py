"""Accounts files in and CSV files out: CSV and Excel tables read as raw cells, CSV written
with formula-like text neutralized."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from icp_xl.core.errors import IcpError
from icp_xl.core.inputs.accounts import Accounts, prepare_accounts
from icp_xl.core.inputs.columns import (
    ACCOUNT_COLUMNS,
    HEADER_SEARCH_ROWS,
    AccountColumn,
    find_header_row,
)
from icp_xl.files.atomic import atomic_write
from icp_xl.files.input_file import check_input_file
from icp_xl.files.limits import MAX_ACCOUNTS, MAX_COLUMNS, MAX_CSV_BYTES, size_text
from icp_xl.files.neutralize import FORMULA_TRIGGERS as _FORMULA_TRIGGERS
from icp_xl.files.neutralize import PLAIN_NUMBER as _PLAIN_NUMBER
from icp_xl.files.xlsx_package import (
    READ_ERRORS,
    check_workbook_file,
    totals_rows,
    unreadable_workbook,
)

EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xltx", ".xltm")
ACCOUNTS_SHEET = "Accounts"


ROW_NUMBERS = "row_numbers"
_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),  # Excel "Unicode Text" (UTF-16 LE, tab separated)
    (b"\xfe\xff", "utf-16"),
)
_FIELD_COUNT = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


def read_table(
    path: str | Path,
    column_map: Mapping[str, str] | None = None,
    columns: Sequence[AccountColumn] = ACCOUNT_COLUMNS,
    sheet_name: str = ACCOUNTS_SHEET,
    rows: str = "accounts",
) -> pd.DataFrame:
    """Read a CSV, or the ``sheet_name`` (else the first) sheet of an Excel file, as raw
    cells; ``columns`` are the columns whose headers find the header row (default the
    accounts', :data:`~icp_xl.core.inputs.columns.OPPORTUNITY_COLUMNS` for deals) and
    ``rows`` names what the rows are in messages (``"accounts"``, ``"opportunities"``).

    CSV cells come back as text exactly as written (blank = ''); Excel cells as the
    stored values, read to the sheet's real extent. The header is the first non-blank
    row naming our columns (:func:`~icp_xl.core.inputs.columns.find_header_row`, helped by
    ``column_map``), so title rows above it are skipped (``frame.attrs["header_row"]``);
    blank rows (also ``,,,,``) and the Total Rows of Excel tables are skipped, and
    ``frame.attrs["row_numbers"]`` holds the row each account has in Excel or an editor.
    Raises IcpError for a missing, unreadable, empty or oversized file (see
    :mod:`icp_xl.files.limits`).
    """
    path = Path(path)
    check_input_file(path, f"the {rows} file (.csv or .xlsx)")
    suffix = path.suffix.lower()
    if suffix in EXCEL_SUFFIXES:
        return _read_excel_table(path, column_map, columns, sheet_name, rows)
    if suffix in (".csv", ".txt", ""):
        return _read_csv(path, column_map, columns, rows)
    raise IcpError(f"{path.name}: unsupported file type '{suffix}' (use .csv or .xlsx)")


def _decode(raw: bytes) -> str:
    """Text of a CSV file as Excel writes it: UTF-8 or UTF-16 with a byte-order mark,
    else UTF-8, else Windows-1252 ("CSV (Comma delimited)" on Windows)."""
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            return raw.decode(encoding, errors="replace")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _read_csv(
    path: Path,
    column_map: Mapping[str, str] | None = None,
    columns: Sequence[AccountColumn] = ACCOUNT_COLUMNS,
    rows: str = "accounts",
) -> pd.DataFrame:
    """CSV as Excel writes it (see :func:`_decode`); comma, semicolon (European locales)
    or tab separated, judged from the header line."""
    size = path.stat().st_size
    if size > MAX_CSV_BYTES:
        raise IcpError(
            f"{path.name} is {size_text(size)}, above the limit of {size_text(MAX_CSV_BYTES)}; "
            f"split the {rows} into smaller files"
        )
    text = _decode(path.read_bytes())
    if text.count("\n") > MAX_ACCOUNTS + 1:
        raise IcpError(
            f"{path.name} has more than {MAX_ACCOUNTS:,} rows of {rows} (the most an "
            "Excel sheet holds); split it into smaller files"
        )
    lines = text.lstrip("\r\n").split("\n", HEADER_SEARCH_ROWS)[:HEADER_SEARCH_ROWS]
    for line in lines:  # a too wide file is refused before anything reads its cells
        _check_width(max(line.count(c) for c in (",", ";", "\t")) + 1, path.name, rows, columns)
    titles = find_header_row([_csv_cells(line) for line in lines], column_map, columns)
    header = lines[titles]
    separator = max((",", ";", "\t"), key=header.count)
    if not header.count(separator):
        separator = ","
    _check_width(header.count(separator) + 1, path.name, rows, columns)
    # Rows of separators only (Excel writes ",,,," for cleared rows) are blank rows.
    if f"\n{separator}" in text or "\n " in text:  # a quick look before the slow one
        text = re.sub(f"(?m)^[{re.escape(separator)} \t\r]+$", "", text)
    if not text.strip():
        raise IcpError(f"{path.name} is empty: expected a header row and {rows}")
    try:
        cells = pd.read_csv(
            io.StringIO(text),
            header=None,
            dtype=str,
            keep_default_na=False,
            sep=separator,
            skip_blank_lines=False,
            # title rows above the header have fewer cells: size the table by the header
            names=range(len(_csv_cells(header, separator))) if titles else None,
        )
    except pd.errors.EmptyDataError:
        raise IcpError(f"{path.name} is empty: expected a header row and {rows}") from None
    except pd.errors.ParserError as error:
        raise _csv_error(path.name, error) from None
    filled = np.zeros(len(cells), dtype=bool)
    for column in cells.columns:  # blank-only lines were emptied above
        filled |= (cells[column].fillna("") != "").to_numpy()
    return _table(cells, np.flatnonzero(filled) + 1, path.name, column_map, columns, rows)


def _csv_cells(line: str, separator: str | None = None) -> list[str]:
    """One CSV line's cells (``separator``: default the one that splits it most)."""
    separator = separator or max((",", ";", "\t"), key=line.count)
    try:
        return next(csv.reader([line.rstrip("\r")], delimiter=separator), [])
    except csv.Error:  # e.g. a cell beyond the csv module's size limit: no header here
        return []


def _csv_error(name: str, error: Exception) -> IcpError:
    """pandas' tokenizer error as a sentence about the file."""
    found = _FIELD_COUNT.search(str(error))
    if found:
        expected, line, seen = found.groups()
        return IcpError(
            f"{name}, line {line}: {seen} cells where the header has {expected}; a "
            "separator or a quote is probably missing or extra on that line"
        )
    if "EOF inside string" in str(error):
        return IcpError(
            f"{name}: a quoted cell is never closed (an odd number of double quotes); "
            "check the quotes in the file"
        )
    return IcpError(f"{name} is not a readable CSV file: check its separators and quotes")


def _check_width(
    width: int, name: str, rows: str = "accounts", columns: Sequence[AccountColumn] = ()
) -> None:
    if width > MAX_COLUMNS:
        about = f"about {len(columns)}" if columns else "a few dozen at most"
        raise IcpError(
            f"{name} has {width:,} columns, above the limit of {MAX_COLUMNS:,}; "
            f"{'an' if rows[0] in 'aeiou' else 'a'} {rows} file has {about} (is the separator "
            "right?)"
        )


def _table(
    cells: pd.DataFrame,
    filled_rows: np.ndarray,
    name: str,
    column_map: Mapping[str, str] | None = None,
    columns: Sequence[AccountColumn] = ACCOUNT_COLUMNS,
    rows: str = "accounts",
) -> pd.DataFrame:
    """A raw table from a sheet's cells (row ``r`` at position ``r - 1``) and the 1-based
    numbers of its non-blank rows: the header (the first naming our columns, see
    :func:`~icp_xl.core.inputs.columns.find_header_row`), then the ``rows``."""
    if not len(filled_rows):
        raise IcpError(f"{name} is empty: expected a header row and {rows}")
    candidates = [cells.iloc[r - 1].tolist() for r in filled_rows[:HEADER_SEARCH_ROWS]]
    titles = find_header_row(candidates, column_map, columns)
    header_row, body_rows = int(filled_rows[titles]), filled_rows[titles + 1 :]
    header = [_header_cell(c) for c in cells.iloc[header_row - 1]]
    while header and header[-1].strip() == "":
        header.pop()
    frame = cells.iloc[body_rows - 1, : len(header)].reset_index(drop=True)
    frame.columns = header
    frame.attrs[ROW_NUMBERS] = np.asarray(body_rows, dtype=np.int64)
    frame.attrs["header_row"] = header_row
    return frame


def _header_cell(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell)


def _read_excel_table(
    path: Path,
    column_map: Mapping[str, str] | None = None,
    columns: Sequence[AccountColumn] = ACCOUNT_COLUMNS,
    sheet_name: str = ACCOUNTS_SHEET,
    rows: str = "accounts",
) -> pd.DataFrame:
    from openpyxl import load_workbook  # imported here: openpyxl is slow to import

    check_workbook_file(path)
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except READ_ERRORS as error:
        raise unreadable_workbook(path, error) from None
    try:
        sheet = book[sheet_name] if sheet_name in book.sheetnames else book.worksheets[0]
        name = f"{path.name}, sheet {sheet.title}"
        skipped = totals_rows(path, sheet.title)
        sheet.reset_dimensions()  # the <dimension> entry may be stale: read what is there
        grid: list[list[Any]] = []  # the filled rows only: a note in row 1048576 costs nothing
        filled: list[int] = []
        width = None
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            if not row:  # openpyxl's stand-in for a row the sheet does not hold
                continue
            if len(filled) > MAX_ACCOUNTS:
                raise IcpError(
                    f"{name} has more than {MAX_ACCOUNTS:,} rows of {rows}; split it into "
                    "smaller files"
                )
            if width is None:
                _check_width(len(row), name, rows, columns)
            cells = list(row[:width] if width else row)
            if number not in skipped and any(c is not None and c != "" for c in cells):
                grid.append(cells)
                filled.append(number)
                if width is None and len(filled) >= HEADER_SEARCH_ROWS:  # titles may be short
                    width = max(len(c) for c in grid)
    except IcpError:
        raise
    except READ_ERRORS as error:
        raise unreadable_workbook(path, error) from None
    finally:
        book.close()
    width = width or max((len(c) for c in grid), default=0)
    frame = pd.DataFrame([cells[:width] + [None] * (width - len(cells)) for cells in grid],
                         dtype=object)  # fmt: skip
    table = _table(frame, np.arange(1, len(grid) + 1), name, column_map, columns, rows)
    numbers = np.asarray(filled, dtype=np.int64)  # positions in the grid -> sheet rows
    table.attrs[ROW_NUMBERS] = numbers[np.asarray(table.attrs[ROW_NUMBERS]) - 1]
    table.attrs["header_row"] = int(numbers[table.attrs["header_row"] - 1])
    return table


def read_accounts(
    path: str | Path, column_map: Mapping[str, str] | None = None
) -> tuple[pd.DataFrame, Accounts]:
    """Read and validate an accounts file; return ``(raw table, prepared accounts)``.
    ``column_map`` is field -> the file's header (``--column``)."""
    path = Path(path)
    from icp_xl.files.fast_csv import read_accounts_fast  # pyarrow: imported when needed

    fast = read_accounts_fast(path, column_map)  # large plain UTF-8 CSV files, else None
    if fast is not None:
        return fast
    raw = read_table(path, column_map)
    where = (
        path.name if path.suffix.lower() not in EXCEL_SUFFIXES else f"{path.name}, sheet Accounts"
    )
    return raw, prepare_accounts(
        raw, where=where, first_row=raw.attrs[ROW_NUMBERS], column_map=column_map
    )


def neutralize_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Copy of ``frame`` whose text cells cannot run as formulas in Excel or Sheets.

    A text cell starting with ``=``, ``+``, ``-``, ``@``, tab or CR gets a
    leading apostrophe, unless the whole cell is a plain number such as ``-300``.
    """
    out = frame.copy()
    for name in out.columns:
        column = out[name]
        if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
            continue
        if pd.api.types.infer_dtype(column, skipna=True) == "string":
            text = column.fillna("").astype(str)
            is_text = column.notna().to_numpy()
        else:
            is_text = column.map(lambda c: isinstance(c, str)).to_numpy(dtype=bool)
            text = column.where(is_text, "").astype(str)
        risky = is_text & text.str.startswith(_FORMULA_TRIGGERS).to_numpy()
        if risky.any():
            risky &= ~text.str.fullmatch(_PLAIN_NUMBER).to_numpy(dtype=bool)
            out[name] = column.where(~risky, "'" + text)
    return out


def write_csv(frame: pd.DataFrame, path: str | Path, encoding: str = "utf-8") -> Path:
    """Write ``frame`` as CSV atomically (``encoding``: "utf-8-sig" adds the BOM Excel
    needs to read UTF-8 on double-click), with formula-like text neutralized."""
    from icp_xl.files.fast_csv import write_csv_fast  # pyarrow: imported when needed

    utf8 = encoding.lower().replace("_", "-") in ("utf-8", "utf-8-sig")
    bom = encoding.lower().replace("_", "-") == "utf-8-sig"
    if utf8 and write_csv_fast(frame, path, bom=bom):  # large text/number tables; same bytes
        return Path(path)
    safe = neutralize_formulas(frame)
    return atomic_write(
        path,
        lambda tmp: safe.to_csv(
            tmp, index=False, float_format=None, encoding=encoding, lineterminator="\n"
        ),
    )
