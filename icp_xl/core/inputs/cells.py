"""Spreadsheet coordinates and cell grids, with no spreadsheet library.

A1 addresses (``"B3"``, ``"A1:D10"``) to and from 1-based row and column numbers, and
the raw ``DataFrame`` of an Excel table's cells (:func:`table_frame`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import pandas as pd


def column_letter(index: int) -> str:
    """1-based column number -> letters: 1 -> ``A``, 27 -> ``AA``."""
    if index < 1:
        raise ValueError(f"column numbers start at 1, got {index}")
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_number(letters: str) -> int:
    """Column letters -> 1-based number: ``A`` -> 1, ``AA`` -> 27."""
    number = 0
    for char in letters.upper():
        number = number * 26 + ord(char) - 64
    return number


_CELL = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")


def parse_cell(ref: str) -> tuple[int, int]:
    """``"B3"`` (or ``"$B$3"``) -> (row 3, column 2)."""
    match = _CELL.match(ref.strip())
    if not match:
        raise ValueError(f"not a cell address: {ref!r}")
    return int(match.group(2)), column_number(match.group(1))


def parse_range(ref: str) -> tuple[int, int, int, int]:
    """``"A1:C4"`` -> (first row, first column, last row, last column); one cell works too."""
    first, _, last = ref.partition(":")
    top, left = parse_cell(first)
    bottom, right = parse_cell(last) if last else (top, left)
    return top, left, bottom, right


def cell_ref(row: int, column: int) -> str:
    """(3, 2) -> ``"B3"``."""
    return f"{column_letter(column)}{row}"


def range_ref(top: int, left: int, bottom: int, right: int) -> str:
    """(1, 1, 4, 3) -> ``"A1:C4"``."""
    return f"{cell_ref(top, left)}:{cell_ref(bottom, right)}"


def table_data_ref(ref: str, totals_rows: int | None) -> str:
    """The range of an Excel table without its Total Row(s): ``totals_rows`` is the
    table's ``totalsRowCount`` (None or 0: none). Total Rows hold sums, not data; every
    host reads tables through this, so the rule is the same everywhere."""
    top, left, bottom, right = parse_range(ref)
    return range_ref(top, left, max(top, bottom - (totals_rows or 0)), right)


def table_frame(rows: Sequence[Sequence[Any]]) -> pd.DataFrame:
    """An Excel table's cells (header row first) as the raw DataFrame ``Book.read_table``
    returns: header cells as text (a numeric header ``2024.0`` as ``2024``, blank as ``''``),
    body cells as stored, trailing blank rows dropped."""
    header = ["" if c is None else _header_text(c) for c in rows[0]]
    body = list(rows[1:])
    while body and all(c is None or c == "" for c in body[-1]):
        body.pop()
    return pd.DataFrame(body, columns=header, dtype=object)


def _header_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
