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
follows the data and not the sheet's bounding box.

A parsed sheet stays in calamine's own (Rust) cells, about 40 bytes a cell, until asked
for: a small sheet is turned into Python rows once and kept for its many small reads; a
large one (a 100,000-row Accounts or Scores table) is streamed a row at a time into the
rectangle or the columns asked for, so no Python object is made for a cell nobody reads."""

from __future__ import annotations

import io
import tempfile
import threading
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future
from datetime import date, datetime
from pathlib import Path
from typing import Any

from python_calamine import CalamineError, CalamineSheet, CalamineWorkbook

from icp_xl.core.inputs.cells import table_frame
from icp_xl.files.xlsx_package import READ_ERRORS, unreadable_workbook
from icp_xl.hosts.file.column_reader import read_columns
from icp_xl.hosts.file.package_index import STYLES_PART
from icp_xl.hosts.file.sheet_reach import Reach, is_far_reaching, sheet_reach, write_window_package
from icp_xl.hosts.file.styles_xml import StyleSheet

_EXACT_INT = float(2**53)
# (sheet, (top, left, bottom, right), headers): the columns of a table to read.
TableColumns = tuple[str, tuple[int, int, int, int], Sequence[str] | None]
# A sheet with more cells than this is streamed by row into each read instead of being
# turned into Python rows kept for later reads.
_STREAMED_CELLS = 200_000


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


def cell_row(values: Sequence[Any]) -> list[Any]:
    """:func:`cell` of each value, the text and numbers most cells hold converted without
    a call each (a 10,000-account Accounts sheet: 46 -> 35 ms)."""
    return [
        (v or None)
        if type(v) is str
        else (int(v) if v.is_integer() and -_EXACT_INT < v < _EXACT_INT else v)
        if type(v) is float
        else cell(v)
        for v in values
    ]


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
        self._sheets: dict[str, CalamineSheet] = {}  # parsed, in calamine's cells
        self._python: dict[str, list[list[Any]]] = {}  # small sheets as Python rows
        self._pending: dict[str, Future[CalamineSheet]] = {}
        self._pending_tables: dict[tuple, Future[list[tuple[str, list[Any]]]]] = {}
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
        cells = self._grown(sheet, bottom, right)
        height, used_width = _extent(cells)
        if sheet not in self._windows:
            self._used[sheet] = (height, used_width)
        if sheet in self._python or height * used_width <= _STREAMED_CELLS:
            rows = self._rows(sheet)
            grid = []
            for index in range(top - 1, min(bottom, len(rows))):
                row = rows[index][left - 1 : right]
                grid.append(cell_row(row) + [None] * (width - len(row)))
        else:
            offsets = range(left - 1 - cells.start[1], right - cells.start[1])
            grid = [
                [cell(row[j]) if 0 <= j < len(row) else None for j in offsets]
                for row in _streamed(cells, top, bottom)
            ]
        grid += [[None] * width for _ in range(bottom - top + 1 - len(grid))]
        if top == 1 and left == 1 and bottom >= height and right >= used_width:
            # The whole sheet was read (a table's rows): its cells go, and it is read
            # again from the package if asked for once more.
            self._release(sheet)
        return grid

    def table_columns(
        self, sheet: str, ref: tuple[int, int, int, int], headers: Sequence[str] | None
    ) -> list[tuple[str, list[Any]]]:
        """(header, body values) of each column of the table at ``ref`` (top, left, bottom,
        right: the header row and the body, 1-based) whose header text is one of
        ``headers`` (every column when None; its first column where a header repeats), in
        the table's order: a few
        columns of a large table read without a Python value for the other cells. Read on
        the background thread when :meth:`prefetch` was asked for the same."""
        pending = self._pending_tables.pop((sheet, ref, _key(headers)), None)
        if pending is not None:
            try:
                return pending.result()
            except CalamineError as error:
                raise unreadable_workbook(self._name, error) from None
        top, left, bottom, right = ref
        if sheet in self._python:
            grid = self.rectangle(sheet, top, left, bottom, right)
            return _picked(grid[0], headers, lambda j: [row[j] for row in grid[1:]])
        if sheet not in self._sheets:
            found = self._xml_columns(sheet, ref, headers)
            if found is not None:
                return found
        return _table_columns(self._grown(sheet, bottom, right), ref, headers)

    def _xml_columns(
        self, sheet: str, ref: tuple[int, int, int, int], headers: Sequence[str] | None
    ) -> list[tuple[str, list[Any]]] | None:
        """The columns read from the sheet's XML alone (None: left to calamine)."""
        part = self._parts.get(sheet)
        if part is None:
            return None
        try:
            with self._package() as package:
                styles = StyleSheet(package.read(STYLES_PART).decode("utf-8"))
                return read_columns(package, part, styles, ref, headers)
        except (*READ_ERRORS, KeyError, UnicodeDecodeError):
            return None  # calamine reads it, or says what is wrong with it

    def _grown(self, sheet: str, bottom: int, right: int) -> CalamineSheet:
        """The parsed sheet, its window grown first when a read needs cells it left out."""
        cells = self._cells(sheet)
        window = self._windows.get(sheet)
        if window is not None and _beyond(window, bottom, right):
            rows_owned, columns_owned = self._owned.get(sheet, (1, 1))
            self._owned[sheet] = (max(rows_owned, bottom), max(columns_owned, right))
            self._release(sheet)
            cells = self._cells(sheet)
        return cells

    def _release(self, sheet: str) -> None:
        self._sheets.pop(sheet, None)
        self._python.pop(sheet, None)

    def _rows(self, sheet: str) -> list[list[Any]]:
        """The sheet as Python rows from A1 (kept for the next reads)."""
        rows = self._python.get(sheet)
        if rows is None:
            rows = self._cells(sheet).to_python(skip_empty_area=False)
            self._python[sheet] = rows
        return rows

    def _cells(self, sheet: str) -> CalamineSheet:
        cells = self._sheets.get(sheet)
        if cells is None:
            pending = self._pending.get(sheet)
            try:
                if pending is not None:
                    cells = pending.result()
                else:
                    if self._workbook is None:
                        self._workbook = self._opened()
                    cells = self._read(self._workbook, sheet)
            except CalamineError as error:
                raise unreadable_workbook(self._name, error) from None
            self._pending.pop(sheet, None)
            self._sheets[sheet] = cells
        return cells

    def _opened(self) -> CalamineWorkbook:
        source = self._source
        if isinstance(source, bytes):
            return CalamineWorkbook.from_filelike(io.BytesIO(source))
        return CalamineWorkbook.from_path(str(source))

    def prefetch(self, sheets: Iterable[str], tables: Iterable[TableColumns] = ()) -> None:
        """Start reading ``sheets`` on a background thread (calamine parses without the
        interpreter lock, so the caller goes on meanwhile); reading one of them later waits
        for it, and a damaged sheet fails then, as if read at that moment. The columns of
        ``tables`` (sheet, ref, headers as :meth:`table_columns` takes them) are read
        meanwhile from their XML (:mod:`~icp_xl.hosts.file.column_reader`), or, when it
        holds cells that reader leaves to calamine, by calamine on the thread; only the
        columns are kept, not the table's sheet."""
        wanted = [s for s in dict.fromkeys(sheets) if s not in self._sheets]
        wanted = [s for s in wanted if s not in self._pending]
        if wanted:
            futures = {sheet: Future() for sheet in wanted}
            self._pending.update(futures)
            self._start_reader(futures, {})
        # Meanwhile, here: the tables' columns from their XML; those it leaves to calamine
        # are read on the background thread, after the sheets.
        left: dict[tuple, Future[list[tuple[str, list[Any]]]]] = {}
        for sheet, ref, headers in tables:
            key = (sheet, tuple(ref), _key(headers))
            if key in self._pending_tables:
                continue
            future: Future[list[tuple[str, list[Any]]]] = Future()
            self._pending_tables[key] = future
            found = self._xml_columns(sheet, key[1], key[2])
            if found is not None:
                future.set_result(found)
            else:
                left[key] = future
        if left:
            self._start_reader({}, left)

    def _start_reader(
        self,
        sheets: dict[str, Future[CalamineSheet]],
        tables: dict[tuple, Future[list[tuple[str, list[Any]]]]],
    ) -> None:
        """Read ``sheets`` and the columns of ``tables`` with calamine on a background
        thread (after any reader already running)."""
        before = self._reader

        def read() -> None:  # with a reader of its own: calamine's is not shared
            if before is not None:
                before.join()
            everything = [*sheets.values(), *tables.values()]
            try:
                workbook = self._opened()
            except BaseException as error:
                for future in everything:
                    future.set_exception(error)
                return
            try:
                for sheet, future in sheets.items():
                    try:
                        future.set_result(self._read(workbook, sheet))
                    except BaseException as error:  # handed to whoever reads the sheet
                        future.set_exception(error)
                for (sheet, ref, headers), future in tables.items():
                    try:
                        future.set_result(_table_columns(self._read(workbook, sheet), ref, headers))
                    except BaseException as error:
                        future.set_exception(error)
            finally:
                workbook.close()

        self._reader = threading.Thread(target=read, name="icp-xl sheet reader", daemon=True)
        self._reader.start()

    def _wait_for_reader(self) -> None:
        if self._reader is not None:
            self._reader.join()
            self._reader = None

    def load(self, sheet: str) -> None:
        """Read ``sheet`` now (a damaged sheet fails here, with one sentence)."""
        self._cells(sheet)

    def close(self) -> None:
        """Release the reader and the cached sheets."""
        self._wait_for_reader()
        self._pending.clear()
        self._pending_tables.clear()
        if self._workbook is not None:
            self._workbook.close()
        self._workbook = None
        self._sheets.clear()
        self._python.clear()

    def _read(self, workbook: CalamineWorkbook, sheet: str) -> CalamineSheet:
        """The parsed cells of ``sheet``: all of them, or those of its window when its cells reach
        far beyond its data (:func:`~icp_xl.hosts.file.sheet_reach.is_far_reaching`)."""
        title = self._titles.get(sheet, sheet)
        part = self._parts.get(sheet)
        if part is None:
            return _sheet_cells(workbook, title)
        try:
            with self._package() as package:
                reach = sheet_reach(package, part)
                if not is_far_reaching(reach):
                    return _sheet_cells(workbook, title)
                rows, columns = self._owned.get(sheet, (1, 1))
                rows, columns = min(rows, reach.rows), min(columns, reach.columns)
                self._windows[sheet] = (rows, columns, reach)
                with tempfile.TemporaryDirectory(prefix="icp-xl-") as folder:
                    target = Path(folder) / "window.xlsx"
                    write_window_package(package, part, rows, columns, target)
                    window = CalamineWorkbook.from_path(str(target))
                    try:
                        return _sheet_cells(window, title)
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


def _sheet_cells(workbook: CalamineWorkbook, sheet: str) -> CalamineSheet:
    return workbook.get_sheet_by_name(sheet)


def _table_columns(
    cells: CalamineSheet, ref: tuple[int, int, int, int], headers: Sequence[str] | None
) -> list[tuple[str, list[Any]]]:
    """:meth:`SheetValues.table_columns` read from parsed cells, a row at a time."""
    top, left, bottom, right = ref
    first = cells.start[1] if cells.start else 0
    header = next(_streamed(cells, top, top), [])
    names = [cell(header[j]) if 0 <= j < len(header) else None
             for j in range(left - 1 - first, right - first)]  # fmt: skip
    offsets = [left - 1 - first + i for i in range(len(names))]
    picked = _picked(names, headers, lambda i: i)
    found: list[list[Any]] = [[] for _ in picked]
    chosen = [offsets[i] for _, i in picked]
    for row in _streamed(cells, top + 1, bottom):
        for values, j in zip(found, chosen, strict=True):
            values.append(cell(row[j]) if 0 <= j < len(row) else None)
    height = max(bottom - top, 0)
    for values in found:
        values += [None] * (height - len(values))
    return [(name, values) for (name, _), values in zip(picked, found, strict=True)]


def _key(headers: Sequence[str] | None) -> tuple[str, ...] | None:
    return None if headers is None else tuple(headers)


def _picked(
    names: Sequence[Any], headers: Sequence[str] | None, take: Callable[[int], Any]
) -> list:
    """(header text, ``take(position)``) of each of the header cells ``names`` whose text
    (as :func:`~icp_xl.core.inputs.cells.table_frame` spells it) is one of ``headers``,
    the first of a repeated header only."""
    texts = list(table_frame([list(names)]).columns)
    wanted = None if headers is None else set(headers)
    return [
        (text, take(i))
        for i, text in enumerate(texts)
        if (wanted is None or text in wanted) and texts.index(text) == i
    ]


def _extent(cells: CalamineSheet) -> tuple[int, int]:
    """(rows, columns) from A1 to the sheet's last cell (0, 0 for an empty sheet)."""
    end = cells.end
    return (0, 0) if end is None else (end[0] + 1, end[1] + 1)


def _streamed(cells: CalamineSheet, top: int, bottom: int) -> Iterator[list[Any]]:
    """Rows ``top..bottom`` (1-based) of the parsed sheet, one at a time, as calamine gives
    them: from the sheet's first used column on (its ``start``), rows counted from row 1."""
    for number, row in enumerate(cells.iter_rows(), start=1):
        if number > bottom:
            return
        if number >= top:
            yield row
