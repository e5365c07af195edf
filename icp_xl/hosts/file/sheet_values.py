"""Cell values of a package read with python-calamine (a Rust reader, MIT), one sheet at a
time and only when asked: a 100,000-row sheet reads in about a second, against a minute
for openpyxl's full load.

Values are what openpyxl reads for the same cells: blank is None, a whole number is an
int, a date is a datetime. A formula cell reads as its cached value (the result the
application that saved the file last calculated; openpyxl, not in ``data_only`` mode,
returns the formula text instead); the file host decides what a formula cell means
(:mod:`icp_xl.hosts.file.book`).

A sheet whose cells reach far beyond its data (a note in XFD1048576) is read by window, the
rows and columns the product owns there (:mod:`icp_xl.hosts.file.sheet_reach`), so memory
follows the data and not the sheet's bounding box."""

from __future__ import annotations

import io
import tempfile
import threading
import zipfile
from collections.abc import Iterable
from concurrent.futures import Future
from datetime import date, datetime
from pathlib import Path
from typing import Any

from python_calamine import CalamineError, CalamineWorkbook

from icp_xl.files.xlsx_package import READ_ERRORS, unreadable_workbook
from icp_xl.hosts.file.sheet_reach import Reach, is_far_reaching, sheet_reach, write_window_package

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
        self,
        source: Path | bytes,
        name: str = "The workbook",
        titles: dict[str, str] | None = None,
        parts: dict[str, str] | None = None,
        owned: dict[str, tuple[int, int]] | None = None,
    ) -> None:
        self._source = source
        self._name = name
        self._titles = titles or {}  # sheet key -> its name in the file, where they differ
        # A sheet whose cells reach far beyond its data (a note in XFD1048576) is read by
        # window: the rows and columns the product owns there (``owned``, sheet -> (last
        # row, last column)), grown when a read asks for more (see sheet_reach).
        self._parts = parts or {}
        self._owned = dict(owned or {})
        self._windows: dict[str, tuple[int, int, Reach]] = {}
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
        window = self._windows.get(sheet)
        if window is not None and _beyond(window, bottom, right):
            rows_owned, columns_owned = self._owned.get(sheet, (1, 1))
            self._owned[sheet] = (max(rows_owned, bottom), max(columns_owned, right))
            self._sheets.pop(sheet, None)
            rows = self._rows(sheet)
        grid = []
        for index in range(top - 1, min(bottom, len(rows))):
            row = rows[index][left - 1 : right]
            grid.append([cell(v) for v in row] + [None] * (width - len(row)))
        grid += [[None] * width for _ in range(bottom - top + 1 - len(grid))]
        height, used_width = len(rows), len(rows[0]) if rows else 0
        if sheet not in self._windows:
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
                    rows = self._read(self._workbook, sheet)
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
                        future.set_result(self._read(workbook, sheet))
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

    def _read(self, workbook: CalamineWorkbook, sheet: str) -> list[list[Any]]:
        """The rows of ``sheet``: all of them, or those of its window when its cells reach
        far beyond its data (:func:`~icp_xl.hosts.file.sheet_reach.is_far_reaching`)."""
        title = self._titles.get(sheet, sheet)
        part = self._parts.get(sheet)
        if part is None:
            return _sheet_rows(workbook, title)
        try:
            with self._package() as package:
                reach = sheet_reach(package, part)
                if not is_far_reaching(reach):
                    return _sheet_rows(workbook, title)
                rows, columns = self._owned.get(sheet, (1, 1))
                rows, columns = min(rows, reach.rows), min(columns, reach.columns)
                self._windows[sheet] = (rows, columns, reach)
                with tempfile.TemporaryDirectory(prefix="icp-xl-") as folder:
                    target = Path(folder) / "window.xlsx"
                    write_window_package(package, part, rows, columns, target)
                    window = CalamineWorkbook.from_path(str(target))
                    try:
                        return _sheet_rows(window, title)
                    finally:
                        window.close()
        except READ_ERRORS as error:  # a damaged part: one sentence, as calamine's errors
            raise unreadable_workbook(self._name, error) from None

    def _package(self) -> zipfile.ZipFile:
        source = self._source
        return zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)


def _beyond(window: tuple[int, int, Reach], bottom: int, right: int) -> bool:
    """Whether a read down to ``bottom`` and across to ``right`` needs cells the window
    left out (cells beyond the sheet's reach are blank anyway)."""
    rows, columns, reach = window
    return (rows < bottom and rows < reach.rows) or (columns < right and columns < reach.columns)


def _sheet_rows(workbook: CalamineWorkbook, sheet: str) -> list[list[Any]]:
    return workbook.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
