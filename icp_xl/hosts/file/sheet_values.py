"""Cell values of a package read with python-calamine (a Rust reader, MIT), one sheet at a
time and only when asked: a 100,000-row sheet reads in about a second, against a minute
for openpyxl's full load.

Values are what openpyxl reads for the same cells: blank is None, a whole number is an
int, a date is a datetime. A formula cell reads as its cached value (the result the
application that saved the file last calculated; openpyxl, not in ``data_only`` mode,
returns the formula text instead); the file host decides what a formula cell means
(:mod:`icp_xl.hosts.file.book`)."""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path
from typing import Any

from python_calamine import CalamineError, CalamineWorkbook

from icp_xl.files.xlsx_package import unreadable_workbook

_EXACT_INT = float(2**53)


def cell(value: Any) -> Any:
    """A calamine value as openpyxl reads it ('' -> None, 3.0 -> 3, date -> datetime)."""
    kind = type(value)
    if kind is str:
        return value if value else None
    if kind is float:
        return int(value) if value.is_integer() and -_EXACT_INT < value < _EXACT_INT else value
    if kind is date:
        return datetime(value.year, value.month, value.day)
    return value


class SheetValues:
    """The values of a package's sheets (``source``: a path or the package's bytes;
    ``name`` names the file in messages)."""

    def __init__(self, source: Path | bytes, name: str = "The workbook") -> None:
        self._source = source
        self._name = name
        self._workbook: CalamineWorkbook | None = None
        self._sheets: dict[str, list[list[Any]]] = {}

    def rectangle(
        self, sheet: str, top: int, left: int, bottom: int, right: int
    ) -> list[list[Any]]:
        """Values of rows ``top..bottom`` and columns ``left..right`` (1-based, inclusive)
        of ``sheet``; cells outside the used area are None."""
        rows = self._rows(sheet)
        width = right - left + 1
        grid = []
        for index in range(top - 1, min(bottom, len(rows))):
            row = rows[index][left - 1 : right]
            grid.append([cell(v) for v in row] + [None] * (width - len(row)))
        grid += [[None] * width for _ in range(bottom - top + 1 - len(grid))]
        return grid

    def _rows(self, sheet: str) -> list[list[Any]]:
        rows = self._sheets.get(sheet)
        if rows is None:
            try:
                if self._workbook is None:
                    source = self._source
                    self._workbook = (
                        CalamineWorkbook.from_filelike(io.BytesIO(source))
                        if isinstance(source, bytes)
                        else CalamineWorkbook.from_path(str(source))
                    )
                rows = self._workbook.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
            except CalamineError as error:
                raise unreadable_workbook(self._name, error) from None
            self._sheets[sheet] = rows
        return rows

    def load(self, sheet: str) -> None:
        """Read ``sheet`` now (a damaged sheet fails here, with one sentence)."""
        self._rows(sheet)

    def close(self) -> None:
        """Release the reader and the cached sheets."""
        if self._workbook is not None:
            self._workbook.close()
        self._workbook = None
        self._sheets.clear()
