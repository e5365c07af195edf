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
import threading
from collections.abc import Iterable
from concurrent.futures import Future
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

    def __init__(
        self, source: Path | bytes, name: str = "The workbook", titles: dict[str, str] | None = None
    ) -> None:
        self._source = source
        self._name = name
        self._titles = titles or {}  # sheet key -> its name in the file, where they differ
        self._workbook: CalamineWorkbook | None = None
        self._sheets: dict[str, list[list[Any]]] = {}
        self._pending: dict[str, Future[list[list[Any]]]] = {}
        self._reader: threading.Thread | None = None
        self._used: dict[str, tuple[int, int]] = {}  # sheet -> (rows, columns) holding cells

    def rectangle(
        self, sheet: str, top: int, left: int, bottom: int, right: int
    ) -> list[list[Any]]:
        """Values of rows ``top..bottom`` and columns ``left..right`` (1-based, inclusive)
        of ``sheet``; cells outside the used area are None."""
        width = right - left + 1
        used = self._used.get(sheet)
        if used is not None and sheet not in self._sheets and (top > used[0] or left > used[1]):
            return [[None] * width for _ in range(bottom - top + 1)]  # outside the used area
        rows = self._rows(sheet)
        grid = []
        for index in range(top - 1, min(bottom, len(rows))):
            row = rows[index][left - 1 : right]
            grid.append([cell(v) for v in row] + [None] * (width - len(row)))
        grid += [[None] * width for _ in range(bottom - top + 1 - len(grid))]
        height, used_width = len(rows), len(rows[0]) if rows else 0
        self._used[sheet] = (height, used_width)
        if top == 1 and left == 1 and bottom >= height and right >= used_width:
            # The whole sheet was read (a table's rows, the previous Scores): its cached
            # cells go, and it is read again from the package if asked for once more.
            self._sheets.pop(sheet, None)
        return grid

    def _rows(self, sheet: str) -> list[list[Any]]:
        rows = self._sheets.get(sheet)
        if rows is None:
            pending = self._pending.get(sheet)
            try:
                if pending is not None:
                    rows = pending.result()
                else:
                    if self._workbook is None:
                        self._workbook = self._opened()
                    rows = _sheet_rows(self._workbook, self._titles.get(sheet, sheet))
            except CalamineError as error:
                raise unreadable_workbook(self._name, error) from None
            self._pending.pop(sheet, None)
            self._sheets[sheet] = rows
        return rows

    def _opened(self) -> CalamineWorkbook:
        source = self._source
        if isinstance(source, bytes):
            return CalamineWorkbook.from_filelike(io.BytesIO(source))
        return CalamineWorkbook.from_path(str(source))

    def prefetch(self, sheets: Iterable[str]) -> None:
        """Start reading ``sheets`` on a background thread (calamine parses without the
        interpreter lock, so the caller goes on meanwhile); reading one of them later
        waits for it, and a damaged sheet fails then, as if read at that moment."""
        wanted = [s for s in dict.fromkeys(sheets) if s not in self._sheets]
        wanted = [s for s in wanted if s not in self._pending]
        if not wanted:
            return
        futures = {sheet: Future() for sheet in wanted}
        self._pending.update(futures)

        def read() -> None:  # with a reader of its own: calamine's is not shared
            try:
                workbook = self._opened()
            except BaseException as error:
                for future in futures.values():
                    future.set_exception(error)
                return
            try:
                for sheet, future in futures.items():
                    try:
                        future.set_result(_sheet_rows(workbook, self._titles.get(sheet, sheet)))
                    except BaseException as error:  # handed to whoever reads the sheet
                        future.set_exception(error)
            finally:
                workbook.close()

        self._wait_for_reader()
        self._reader = threading.Thread(target=read, name="icp-xl sheet reader", daemon=True)
        self._reader.start()

    def _wait_for_reader(self) -> None:
        if self._reader is not None:
            self._reader.join()
            self._reader = None

    def load(self, sheet: str) -> None:
        """Read ``sheet`` now (a damaged sheet fails here, with one sentence)."""
        self._rows(sheet)

    def close(self) -> None:
        """Release the reader and the cached sheets."""
        self._wait_for_reader()
        self._pending.clear()
        if self._workbook is not None:
            self._workbook.close()
        self._workbook = None
        self._sheets.clear()


def _sheet_rows(workbook: CalamineWorkbook, sheet: str) -> list[list[Any]]:
    return workbook.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
