"""Accounts files in and CSV files out: CSV and Excel tables read as raw cells, CSV written
with formula-like text neutralized."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from icp_xl.core.accounts import Accounts, prepare_accounts
from icp_xl.core.cells import table_frame
from icp_xl.core.errors import IcpError
from icp_xl.files.atomic import atomic_write

EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xltx", ".xltm")
ACCOUNTS_SHEET = "Accounts"
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV, or the Accounts (else the first) sheet of an Excel file, as raw cells.

    CSV cells come back as text exactly as written (blank = ''); Excel cells as
    the stored values. Raises IcpError for a missing, unreadable or empty file.
    """
    path = Path(path)
    if not path.is_file():
        raise IcpError(f"File not found: {path}")
    suffix = path.suffix.lower()
    try:
        if suffix in EXCEL_SUFFIXES:
            return _read_excel_table(path)
        if suffix in (".csv", ".txt", ""):
            return _read_csv(path)
    except pd.errors.EmptyDataError:
        raise IcpError(f"{path.name} is empty: expected a header row and accounts") from None
    except pd.errors.ParserError as error:
        raise IcpError(f"{path.name} is not a readable CSV file: {error}") from None
    raise IcpError(f"{path.name}: unsupported file type '{suffix}' (use .csv or .xlsx)")


def _read_csv(path: Path) -> pd.DataFrame:
    """CSV as Excel writes it: UTF-8 (with or without BOM), else Windows-1252 ("CSV (Comma
    delimited)" on Windows); comma, semicolon (European locales) or tab separated, judged
    from the header line."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
        encoding = "utf-8-sig"
    except UnicodeDecodeError:
        text, encoding = raw.decode("cp1252", errors="replace"), "cp1252"
    header = text.split("\n", 1)[0]
    separator = max((",", ";", "\t"), key=header.count)
    if not header.count(separator):
        separator = ","
    return pd.read_csv(
        path,
        dtype=str,
        keep_default_na=False,
        encoding=encoding,
        encoding_errors="replace",
        sep=separator,
    )


def _read_excel_table(path: Path) -> pd.DataFrame:
    from zipfile import BadZipFile

    from openpyxl import load_workbook  # imported here: openpyxl is slow to import
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, BadZipFile, KeyError, OSError, ValueError) as error:
        raise IcpError(f"{path.name} is not a readable Excel workbook ({error})") from None
    try:
        sheet = book[ACCOUNTS_SHEET] if ACCOUNTS_SHEET in book.sheetnames else book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None or all(c is None for c in header):
            raise IcpError(f"{path.name}, sheet '{sheet.title}' is empty: expected a header row")
        width = max(i for i, c in enumerate(header) if c is not None) + 1
        rows = [list(header[:width])] + [
            list(row[:width]) + [None] * (width - len(row))
            for row in rows
            if any(c is not None and c != "" for c in row[:width])
        ]
    finally:
        book.close()
    return table_frame(rows)


def read_accounts(path: str | Path) -> tuple[pd.DataFrame, Accounts]:
    """Read and validate an accounts file; return ``(raw table, prepared accounts)``."""
    path = Path(path)
    raw = read_table(path)
    where = (
        path.name if path.suffix.lower() not in EXCEL_SUFFIXES else f"{path.name}, sheet Accounts"
    )
    return raw, prepare_accounts(raw, where=where)


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


def write_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` as UTF-8 CSV atomically, with formula-like text neutralized."""
    safe = neutralize_formulas(frame)
    return atomic_write(path, lambda tmp: safe.to_csv(tmp, index=False, float_format=None))
