"""An xlwings engine backed by openpyxl, so tests drive xlwings' real API without Excel.

xlwings talks to Excel through an *engine* (``xlwings/base_classes.py``: Apps, App,
Books, Book, Sheets, Sheet, Range, Names, Name, Tables, Table). On Windows and macOS
the engine is Excel itself; here it is an openpyxl workbook in memory. Everything
above the engine is xlwings' own code: ``xw.Book(path)``, ``sheet.range(...)``,
``Range.value`` reads and writes through the conversion pipeline (``options(ndim=2)``,
resizing, cleaning), ``book.names`` and ``sheet.tables``. Nothing from
``xlwings.pro`` is imported.

The engine behaves like Excel where it matters to ICP's live backend:

- reads return numbers as ``float`` (Excel stores doubles), blanks as ``None``,
  formula cells as the value last saved with the file (there is no calculation
  engine: a formula typed during the test reads as ``None``);
- writes parse text as Excel parses typed input: ``"=..."`` becomes a formula,
  ``"42"``/``"5%"``/``"TRUE"`` become a number or boolean, ``""`` blanks the cell,
  and a leading apostrophe keeps the rest as text (the apostrophe is not stored);
- resizing a table keeps its header row; column names follow the header cells;
- ``app.status_bar`` and ``app.alert`` are recorded (``App.status_history``,
  ``App.alerts``) so tests can see what the user would have seen.

Use :func:`install` (idempotent) to register and activate the engine, then
``xw.Book(path)`` opens a file in it and ``book.save()`` writes it with openpyxl.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import openpyxl
import xlwings as xw
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.formula import ArrayFormula
from openpyxl.worksheet.table import Table as OpenpyxlTable
from openpyxl.worksheet.table import TableStyleInfo
from xlwings import base_classes

ENGINE_NAME = "openpyxl"
MAX_ROWS = 1_048_576
MAX_COLUMNS = 16_384
_A1 = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)(?::\$?([A-Za-z]{1,3})\$?(\d+))?$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?%?$")


# ---------------------------------------------------------------- Excel-like values


def parse_typed(value: Any) -> Any:
    """What Excel stores when ``value`` is assigned to ``Range.Value``: text is parsed
    like typed input (formula, number, percentage, boolean; ``"'x"`` stays text ``x``),
    ints become doubles, ``None``/``""``/NaN blank the cell."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral):
        return float(value)
    if isinstance(value, str):
        if value == "":
            return None
        if value.startswith("'"):
            return _Text(value[1:])
        if value.startswith("="):
            return value
        stripped = value.strip().replace(",", "")
        if _NUMBER.match(stripped):
            number = float(stripped.rstrip("%"))
            return number / 100 if stripped.endswith("%") else number
        if stripped.upper() in ("TRUE", "FALSE"):
            return stripped.upper() == "TRUE"
        return value
    return value


class _Text(str):
    """Text that must be stored as text even if it starts with '='."""


def _cell_address(row: int, column: int) -> str:
    return f"{get_column_letter(column)}{row}"


def _a1_to_tuples(address: str) -> tuple[tuple[int, int], tuple[int, int]] | None:
    match = _A1.match(address.strip())
    if not match:
        return None
    first = (int(match.group(2)), _column_number(match.group(1)))
    last = (int(match.group(4)), _column_number(match.group(3))) if match.group(3) else first
    return first, last


def _column_number(letters: str) -> int:
    number = 0
    for char in letters.upper():
        number = number * 26 + ord(char) - 64
    return number


# ---------------------------------------------------------------- engine


class Engine:
    """The engine object xlwings keeps in ``xw.engines`` (``Engine(impl=...)``)."""

    def __init__(self) -> None:
        self.apps = Apps()

    @property
    def name(self) -> str:
        return ENGINE_NAME

    @property
    def type(self) -> str:
        return "desktop"

    @staticmethod
    def prepare_xl_data_element(x: Any, options: Any) -> Any:
        # Like the Windows engine: NaN/NA/None -> blank, numpy numbers -> float.
        if x is None:
            return None
        if isinstance(x, float) and math.isnan(x):
            return None
        if type(x).__module__ == "numpy":
            value = x.item()
            return None if isinstance(value, float) and math.isnan(value) else value
        if type(x).__name__ in ("NAType", "NaTType"):
            return None
        if type(x).__name__ == "Timestamp":
            return x.to_pydatetime()
        return x

    @staticmethod
    def clean_value_data(
        data: list[list[Any]], datetime_builder: Any, empty_as: Any, number_builder: Any,
        err_to_str: bool,
    ) -> list[list[Any]]:  # fmt: skip
        def clean(value: Any) -> Any:
            if value is None:
                return empty_as
            if isinstance(value, dt.datetime) and datetime_builder is not dt.datetime:
                return datetime_builder(
                    year=value.year, month=value.month, day=value.day, hour=value.hour,
                    minute=value.minute, second=value.second, microsecond=value.microsecond,
                )  # fmt: skip
            if number_builder is not None and isinstance(value, float):
                return number_builder(value)
            return value

        return [[clean(c) for c in row] for row in data]


class Apps(base_classes.Apps):
    def __init__(self) -> None:
        self._apps: list[App] = []

    def keys(self) -> list[int]:
        return [app.pid for app in self._apps]

    def add(self, spec: Any = None, add_book: bool | None = True, xl: Any = None,
            visible: bool | None = None) -> App:  # fmt: skip
        app = App(self, add_book=bool(add_book))
        self._apps.insert(0, app)
        return app

    def __iter__(self):
        return iter(list(self._apps))

    def __len__(self) -> int:
        return len(self._apps)

    def __getitem__(self, index: int) -> App:
        return self._apps[index]


def _setting(key: str) -> property:
    """A read/write App property kept in ``App._settings`` (Excel keeps them per app)."""

    def get(self: App) -> Any:
        return self._settings[key]

    def put(self: App, value: Any) -> None:
        self._settings[key] = value

    return property(get, put)


class App(base_classes.App):
    _next_pid = 1
    screen_updating = _setting("screen_updating")
    display_alerts = _setting("display_alerts")
    enable_events = _setting("enable_events")
    calculation = _setting("calculation")
    visible = _setting("visible")
    interactive = _setting("interactive")

    def __init__(self, apps: Apps, add_book: bool = True) -> None:
        self.apps = apps
        self._pid = App._next_pid
        App._next_pid += 1
        self._books = Books(self)
        self._status_bar: str | bool = False
        self.status_history: list[str | bool] = []
        self.alerts: list[dict[str, Any]] = []
        self.replies: list[str] = []  # what the user answers to Yes/No message boxes
        self._settings: dict[str, Any] = {
            "screen_updating": True, "display_alerts": True, "enable_events": True,
            "calculation": "automatic", "visible": True, "interactive": True,
        }  # fmt: skip
        if add_book:
            self._books.add()

    @property
    def api(self) -> App:
        return self

    @property
    def engine(self) -> Engine:
        return engine

    @property
    def books(self) -> Books:
        return self._books

    @property
    def pid(self) -> int:
        return self._pid

    @property
    def version(self) -> str:
        return "16.0"

    @property
    def status_bar(self) -> str | bool:
        return self._status_bar

    @status_bar.setter
    def status_bar(self, value: str | bool) -> None:
        self._status_bar = value
        self.status_history.append(value)

    def alert(self, prompt: str, title: str | None, buttons: str | None, mode: str | None,
              callback: str | None) -> str:  # fmt: skip
        self.alerts.append({"prompt": prompt, "title": title, "buttons": buttons, "mode": mode})
        if buttons == "yes_no":  # the test's answers, in order (default: No)
            return self.replies.pop(0) if self.replies else "no"
        return "ok"

    def activate(self, steal_focus: bool = False) -> None:
        pass

    def quit(self) -> None:
        self.apps._apps.remove(self)

    def kill(self) -> None:
        self.quit()


class Books(base_classes.Books):
    def __init__(self, app: App) -> None:
        self.app = app
        self.books: list[Book] = []
        self._active: Book | None = None

    @property
    def api(self) -> list[Book]:
        return self.books

    @property
    def active(self) -> Book | None:
        return self._active

    def open(self, fullname: str, *args: Any, **kwargs: Any) -> Book:
        path = Path(fullname).resolve()
        if any(book.name.lower() == path.name.lower() for book in self.books):
            # Excel refuses a second workbook of one name (documented; not run here)
            raise RuntimeError(f"A document with the name '{path.name}' is already open.")
        keep_vba = path.suffix.lower() in (".xlsm", ".xlam", ".xltm")
        book = Book(self, openpyxl.load_workbook(path, keep_vba=keep_vba), path)
        self.books.append(book)
        self._active = book
        return book

    def add(self) -> Book:
        workbook = openpyxl.Workbook()
        workbook.active.title = "Sheet1"
        book = Book(self, workbook, None)
        self.books.append(book)
        self._active = book
        return book

    def __call__(self, name_or_index: int | str) -> Book:
        if isinstance(name_or_index, numbers.Number):
            return self.books[int(name_or_index) - 1]
        for book in self.books:
            if name_or_index.lower() in (book.name.lower(), book.fullname.lower()):
                return book
        raise KeyError(name_or_index)

    def __len__(self) -> int:
        return len(self.books)

    def __iter__(self):
        return iter(list(self.books))


class Book(base_classes.Book):
    """An openpyxl workbook; formula cells read as the values saved with the file."""

    _untitled = 0

    def __init__(self, books: Books, workbook: openpyxl.Workbook, path: Path | None) -> None:
        self.books = books
        self.workbook = workbook
        self.path = path
        self.url: str | None = None
        """The https FullName Excel reports for a workbook on OneDrive/SharePoint with
        AutoSave (set by a test); ``fullname`` then maps it as xlwings' engines do."""
        self._saved_values: openpyxl.Workbook | None = None
        if path is None:
            Book._untitled += 1
            self._name = f"Book{Book._untitled}"

    @property
    def api(self) -> openpyxl.Workbook:
        return self.workbook

    @property
    def name(self) -> str:
        return self.path.name if self.path else self._name

    @property
    def fullname(self) -> str:
        if self.url is not None:  # as xlwings._xlwindows.Book.fullname
            from xlwings.utils import fullname_url_to_local_path

            return fullname_url_to_local_path(url=self.url)
        return str(self.path) if self.path else self._name

    @property
    def sheets(self) -> Sheets:
        return Sheets(self)

    @property
    def names(self) -> Names:
        return Names(self)

    @property
    def app(self) -> App:
        return self.books.app

    def activate(self) -> None:
        self.books._active = self

    def close(self) -> None:
        self.books.books.remove(self)
        if self.books._active is self:
            self.books._active = self.books.books[-1] if self.books.books else None

    def save(self, path: str | None = None, password: str | None = None) -> None:
        target = Path(path).resolve() if path else self.path
        if target is None:
            raise ValueError("An untitled book needs a path to be saved")
        self.workbook.save(target)
        self.path = target

    def saved_value(self, sheet: str, row: int, column: int) -> Any:
        """The value Excel (or LibreOffice) last calculated for a formula cell, or None."""
        if self.path is None:
            return None
        if self._saved_values is None:
            self._saved_values = openpyxl.load_workbook(self.path, data_only=True)
        if sheet not in self._saved_values.sheetnames:
            return None
        value = self._saved_values[sheet].cell(row=row, column=column).value
        return float(value) if isinstance(value, int) and not isinstance(value, bool) else value


class Sheets(base_classes.Sheets):
    def __init__(self, book: Book) -> None:
        self.book = book

    @property
    def api(self) -> openpyxl.Workbook:
        return self.book.workbook

    @property
    def active(self) -> Sheet:
        return Sheet(self.book, self.book.workbook.active.title)

    def __call__(self, name_or_index: int | str) -> Sheet:
        names = self.book.workbook.sheetnames
        if isinstance(name_or_index, numbers.Number):
            return Sheet(self.book, names[int(name_or_index) - 1])
        for name in names:
            if name.lower() == name_or_index.lower():
                return Sheet(self.book, name)
        raise KeyError(name_or_index)

    def __len__(self) -> int:
        return len(self.book.workbook.sheetnames)

    def __iter__(self):
        for name in self.book.workbook.sheetnames:
            yield Sheet(self.book, name)

    def add(self, before: Sheet | None = None, after: Sheet | None = None,
            name: str | None = None) -> Sheet:  # fmt: skip
        names = self.book.workbook.sheetnames
        if before is not None:
            index = names.index(before.name)
        elif after is not None:
            index = names.index(after.name) + 1
        else:
            index = names.index(self.book.workbook.active.title)
        worksheet = self.book.workbook.create_sheet(name, index)
        self.book.workbook.active = index
        return Sheet(self.book, worksheet.title)


class Sheet(base_classes.Sheet):
    def __init__(self, book: Book, title: str) -> None:
        self._book = book
        self.title = title

    @property
    def worksheet(self) -> Any:
        return self._book.workbook[self.title]

    @property
    def api(self) -> Any:
        return self.worksheet

    @property
    def name(self) -> str:
        return self.title

    @name.setter
    def name(self, value: str) -> None:
        self.worksheet.title = value
        self.title = value

    @property
    def book(self) -> Book:
        return self._book

    @property
    def index(self) -> int:
        return self._book.workbook.sheetnames.index(self.title) + 1

    @property
    def names(self) -> Names:
        return Names(self._book)

    def range(self, arg1: Any, arg2: Any = None) -> Range:
        return Range(self, arg1, arg2)

    @property
    def cells(self) -> Range:
        return Range(self, (1, 1), (MAX_ROWS, MAX_COLUMNS))

    @property
    def used_range(self) -> Range:
        ws = self.worksheet
        return Range(self, (ws.min_row, ws.min_column), (ws.max_row, ws.max_column))

    @property
    def tables(self) -> Tables:
        return Tables(self)

    def activate(self) -> None:
        self._book.workbook.active = self.index - 1

    def select(self) -> None:
        self.activate()

    def clear_contents(self) -> None:
        for row in self.worksheet.iter_rows():
            for cell in row:
                cell.value = None

    def delete(self) -> None:
        self._book.workbook.remove(self.worksheet)


class Range(base_classes.Range):
    """A rectangle on a sheet, 1-based and inclusive like Excel's."""

    def __init__(self, sheet: Sheet, arg1: Any, arg2: Any = None) -> None:
        self.sheet = sheet
        self.options: dict[str, Any] = {}  # set by xlwings.main.Range
        if isinstance(arg1, Range):
            arg1 = (arg1.row, arg1.column) if arg2 is not None else arg1._corners()
        if isinstance(arg1, tuple) and len(arg1) == 2 and isinstance(arg1[0], tuple):
            arg1, arg2 = arg1
        if isinstance(arg2, Range):
            arg2 = arg2._corners()[1]
        if isinstance(arg1, str):
            arg1, arg2 = self._resolve_address(arg1)
        if len(arg1) == 4:
            row, column, nrows, ncols = arg1
            arg1, arg2 = (row, column), (row + max(nrows, 1) - 1, column + max(ncols, 1) - 1)
        arg2 = arg2 or arg1
        self.first = (min(arg1[0], arg2[0]), min(arg1[1], arg2[1]))
        self.last = (max(arg1[0], arg2[0]), max(arg1[1], arg2[1]))

    def _resolve_address(self, address: str) -> tuple[tuple[int, int], tuple[int, int]]:
        corners = _a1_to_tuples(address)
        if corners is not None:
            return corners
        name = self.sheet.book.workbook.defined_names.get(address)
        if name is not None:
            for sheet, ref in name.destinations:
                if sheet == self.sheet.name:
                    resolved = _a1_to_tuples(ref)
                    if resolved is not None:
                        return resolved
        raise ValueError(f"The address/named range '{address}' doesn't exist.")

    def _corners(self) -> tuple[tuple[int, int], tuple[int, int]]:
        return self.first, self.last

    @property
    def api(self) -> Range:
        return self

    @property
    def row(self) -> int:
        return self.first[0]

    @property
    def column(self) -> int:
        return self.first[1]

    @property
    def shape(self) -> tuple[int, int]:
        return self.last[0] - self.first[0] + 1, self.last[1] - self.first[1] + 1

    @property
    def coords(self) -> tuple[str, int, int, int, int]:
        return (self.sheet.name, self.row, self.column, *self.shape)

    def __len__(self) -> int:
        rows, columns = self.shape
        return rows * columns

    def __call__(self, arg1: int, arg2: int | None = None) -> Range:
        if arg2 is None:
            columns = self.shape[1]
            arg1, arg2 = (arg1 - 1) // columns + 1, (arg1 - 1) % columns + 1
        cell = (self.row + arg1 - 1, self.column + arg2 - 1)
        return Range(self.sheet, cell)

    @property
    def max_cells_per_read(self) -> None:
        return None

    @property
    def max_cells_per_write(self) -> None:
        return None

    # -------------------------------------------------------- values

    @property
    def raw_value(self) -> list[list[Any]]:
        ws = self.sheet.worksheet
        err_to_str = (self.options or {}).get("err_to_str", False)
        rows = []
        for r, cells in enumerate(
            ws.iter_rows(
                min_row=self.row, max_row=self.last[0], min_col=self.column, max_col=self.last[1]
            ),  # fmt: skip
            start=self.row,
        ):
            row = []
            for c, cell in enumerate(cells, start=self.column):
                row.append(self._read_cell(cell, r, c, err_to_str))
            rows.append(row)
        return rows

    def _read_cell(self, cell: Any, row: int, column: int, err_to_str: bool) -> Any:
        value = getattr(cell, "value", None)
        if value is None:
            return None
        if cell.data_type == "f" or type(value).__name__ in ("ArrayFormula", "DataTableFormula"):
            return self.sheet.book.saved_value(self.sheet.name, row, column)
        if cell.data_type == "e":
            return value if err_to_str else None
        if isinstance(value, bool):
            return value
        if isinstance(value, numbers.Number):
            return float(value)
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return dt.datetime(value.year, value.month, value.day)
        return value

    @raw_value.setter
    def raw_value(self, data: Any) -> None:
        ws = self.sheet.worksheet
        _refuse_if_protected(ws)
        rows, columns = self.shape
        if not isinstance(data, (list, tuple)):
            data = [[data] * columns for _ in range(rows)]
        elif data and not isinstance(data[0], (list, tuple)):
            data = [data]
        for i, row in enumerate(data):
            for j, value in enumerate(row):
                _store(ws.cell(row=self.row + i, column=self.column + j), value)

    @property
    def formula_array(self) -> str | None:
        """Excel's Range.FormulaArray: the array formula whose range starts here, or None."""
        value = self.sheet.worksheet.cell(row=self.row, column=self.column).value
        return value.text if isinstance(value, ArrayFormula) else None

    @formula_array.setter
    def formula_array(self, text: str) -> None:
        """Enters ``text`` as one array formula over the whole range (Ctrl+Shift+Enter)."""
        ws = self.sheet.worksheet
        self.clear_contents()
        ref = f"{_cell_address(self.row, self.column)}:{_cell_address(*self.last)}"
        ws.cell(row=self.row, column=self.column).value = ArrayFormula(ref, _saved_formula(text))

    @property
    def formula2(self) -> list[list[Any]]:
        """Excel's Range.Formula2 (dynamic-array formulas): the formula text of each cell."""
        return [[getattr(v, "text", v) for v in row] for row in self._cells_values()]

    @formula2.setter
    def formula2(self, data: Any) -> None:
        """Each cell gets its own formula evaluated as a dynamic-array formula, which a file
        stores as a one-cell array formula when it does not spill."""
        ws = self.sheet.worksheet
        if not isinstance(data, (list, tuple)):
            data = [[data]]
        for i, row in enumerate(data):
            for j, text in enumerate(row):
                r, c = self.row + i, self.column + j
                cell = ws.cell(row=r, column=c)
                if isinstance(text, str) and text.startswith("="):
                    cell.value = ArrayFormula(_cell_address(r, c), _saved_formula(text))
                else:
                    _store(cell, text)

    def _cells_values(self) -> list[list[Any]]:
        ws = self.sheet.worksheet
        return [
            [ws.cell(row=r, column=c).value for c in range(self.column, self.last[1] + 1)]
            for r in range(self.row, self.last[0] + 1)
        ]

    def clear_contents(self) -> None:
        ws = self.sheet.worksheet
        _refuse_if_protected(ws)
        last_row = min(self.last[0], ws.max_row)
        last_column = min(self.last[1], ws.max_column)
        for cells in ws.iter_rows(min_row=self.row, max_row=last_row, min_col=self.column,
                                  max_col=last_column):  # fmt: skip
            for cell in cells:
                if cell.coordinate not in ws.merged_cells:
                    cell.value = None

    def clear(self) -> None:
        self.clear_contents()

    # -------------------------------------------------------- column widths

    @property
    def column_width(self) -> float | None:
        """Excel's Range.ColumnWidth: the width in characters when every column of the
        range has the same, else None."""
        dimensions = self.sheet.worksheet.column_dimensions
        widths = {
            dimensions[get_column_letter(c)].width for c in range(self.column, self.last[1] + 1)
        }
        return widths.pop() if len(widths) == 1 else None

    @column_width.setter
    def column_width(self, value: float) -> None:
        """Sets the width of every column the range touches (whole columns, as Excel)."""
        if not 0 <= value <= 255:
            raise ValueError("column_width must be in the range 0 <= column_width <= 255")
        dimensions = self.sheet.worksheet.column_dimensions
        for column in range(self.column, self.last[1] + 1):
            dimensions[get_column_letter(column)].width = value

    # -------------------------------------------------------- addresses

    def get_address(self, row_absolute: bool = True, column_absolute: bool = True,
                    external: bool = False) -> str:  # fmt: skip
        def one(row: int, column: int) -> str:
            letters = ("$" if column_absolute else "") + get_column_letter(column)
            return letters + ("$" if row_absolute else "") + str(row)

        address = one(*self.first)
        if self.first != self.last:
            address += ":" + one(*self.last)
        if external:
            return f"[{self.sheet.book.name}]{self.sheet.name}!{address}"
        return address

    @property
    def address(self) -> str:
        return self.get_address()

    @property
    def has_array(self) -> bool:
        return False

    @property
    def name(self) -> Name | None:
        address = self.get_address()
        for name in Names(self.sheet.book):
            target = name.refers_to_range
            if target.sheet.name == self.sheet.name and target.get_address() == address:
                return name
        return None

    @name.setter
    def name(self, value: str) -> None:
        Names(self.sheet.book).add(value, f"={_quoted(self.sheet.name)}!{self.get_address()}")

    def end(self, direction: str) -> Range:
        ws = self.sheet.worksheet
        step = {"down": (1, 0), "up": (-1, 0), "right": (0, 1), "left": (0, -1)}[direction]
        row, column = self.first
        while 1 <= row + step[0] <= MAX_ROWS and 1 <= column + step[1] <= MAX_COLUMNS:
            following = ws.cell(row=row + step[0], column=column + step[1]).value
            if following is None:
                break
            row, column = row + step[0], column + step[1]
        return Range(self.sheet, (row, column))


def _refuse_if_protected(ws: Any) -> None:
    """Excel refuses to change a protected sheet, with this text (Microsoft's wording, as
    COM reports it; not observed here)."""
    if ws.protection.sheet:
        raise RuntimeError(
            "The cell or chart you're trying to change is on a protected sheet. To make a "
            "change, unprotect the sheet. You might be requested to enter a password."
        )


def _store(cell: Any, value: Any) -> None:
    stored = parse_typed(value)
    if isinstance(stored, _Text):
        cell.value = str(stored)
        cell.data_type = "s"
        cell.quotePrefix = True
        return
    if isinstance(stored, str) and stored.startswith("="):
        stored = _saved_formula(stored)
    cell.value = stored


def _saved_formula(text: str) -> str:
    """A formula as Excel saves it: functions newer than Excel 2007 get their ``_xlfn.``
    prefix in the file (Excel shows them without)."""
    from icp_xl.hosts.file.cell_xml import file_formula

    return "=" + file_formula(text)


def _quoted(sheet: str) -> str:
    return f"'{sheet}'" if re.search(r"[^A-Za-z0-9_]", sheet) else sheet


# ---------------------------------------------------------------- names


class Names(base_classes.Names):
    """Workbook-scope defined names."""

    def __init__(self, book: Book) -> None:
        self.book = book

    @property
    def api(self) -> Any:
        return self.book.workbook.defined_names

    def __call__(self, name_or_index: int | str) -> Name:
        keys = list(self.api.keys())
        if isinstance(name_or_index, numbers.Number):
            return Name(self.book, keys[int(name_or_index) - 1])
        for key in keys:
            if key.lower() == name_or_index.lower():
                return Name(self.book, key)
        raise KeyError(name_or_index)

    def contains(self, name_or_index: int | str) -> bool:
        if isinstance(name_or_index, numbers.Number):
            return 1 <= name_or_index <= len(self)
        return any(key.lower() == name_or_index.lower() for key in self.api)

    def __len__(self) -> int:
        return len(self.api)

    def __iter__(self):
        for key in list(self.api.keys()):
            yield Name(self.book, key)

    def add(self, name: str, refers_to: str) -> Name:
        self.api[name] = DefinedName(name, attr_text=refers_to.lstrip("="))
        return Name(self.book, name)


class Name(base_classes.Name):
    def __init__(self, book: Book, key: str) -> None:
        self.book = book
        self.key = key

    @property
    def api(self) -> DefinedName:
        return self.book.workbook.defined_names[self.key]

    @property
    def name(self) -> str:
        return self.key

    @property
    def refers_to(self) -> str:
        return "=" + self.api.attr_text

    @refers_to.setter
    def refers_to(self, value: str) -> None:
        self.api.attr_text = value.lstrip("=")

    @property
    def refers_to_range(self) -> Range:
        destinations = list(self.api.destinations)
        if len(destinations) != 1:
            raise ValueError(f"The name {self.key} does not refer to one range")
        sheet, ref = destinations[0]
        return Range(Sheet(self.book, sheet), ref.replace("$", ""))

    def delete(self) -> None:
        del self.book.workbook.defined_names[self.key]


# ---------------------------------------------------------------- tables


class Tables(base_classes.Tables):
    """The Excel tables (ListObjects) of one sheet."""

    def __init__(self, sheet: Sheet) -> None:
        self.sheet = sheet

    @property
    def api(self) -> Any:
        return self.sheet.worksheet.tables

    @property
    def parent(self) -> Sheet:
        return self.sheet

    def __call__(self, name_or_index: int | str) -> Table:
        keys = list(self.api.keys())
        if isinstance(name_or_index, numbers.Number):
            return Table(self.sheet, keys[int(name_or_index) - 1])
        for key in keys:
            if key.lower() == name_or_index.lower():
                return Table(self.sheet, key)
        raise KeyError(name_or_index)

    def __contains__(self, key: str) -> bool:
        return any(k.lower() == key.lower() for k in self.api)

    def __len__(self) -> int:
        return len(self.api)

    def __iter__(self):
        for key in list(self.api.keys()):
            yield Table(self.sheet, key)

    def add(self, source_type: Any = None, source: Any = None, link_source: Any = None,
            has_headers: bool = True, destination: Any = None,
            table_style_name: str | None = "TableStyleMedium2", name: str | None = None,
            ) -> Table:  # fmt: skip
        taken = {k for ws in self.sheet.book.workbook.worksheets for k in ws.tables}
        index = len(taken) + 1
        while name is None or name in taken:
            name, index = f"Table{index}", index + 1
        table = OpenpyxlTable(displayName=name, ref=source.impl.get_address(False, False))
        table.tableStyleInfo = TableStyleInfo(name=table_style_name, showRowStripes=True)
        self.sheet.worksheet.add_table(table)
        return Table(self.sheet, name)


class Table(base_classes.Table):
    def __init__(self, sheet: Sheet, key: str) -> None:
        self.sheet = sheet
        self.key = key

    @property
    def api(self) -> OpenpyxlTable:
        return self.sheet.worksheet.tables[self.key]

    @property
    def name(self) -> str:
        return self.key

    @property
    def parent(self) -> Sheet:
        return self.sheet

    @property
    def range(self) -> Range:
        return Range(self.sheet, self.api.ref)

    @property
    def header_row_range(self) -> Range:
        whole = self.range
        return Range(self.sheet, whole.first, (whole.first[0], whole.last[1]))

    @property
    def data_body_range(self) -> Range | None:
        whole = self.range
        if whole.shape[0] < 2:
            return None
        return Range(self.sheet, (whole.first[0] + 1, whole.first[1]), whole.last)

    @property
    def insert_row_range(self) -> None:
        return None

    @property
    def totals_row_range(self) -> Range | None:
        whole = self.range
        if not self.show_totals:
            return None
        return Range(self.sheet, (whole.last[0], whole.first[1]), whole.last)

    @property
    def show_totals(self) -> bool:
        return bool(self.api.totalsRowCount)

    @show_totals.setter
    def show_totals(self, value: bool) -> None:
        """Like ``ListObject.ShowTotals``: off, the Total Row leaves the table and its
        cells are cleared, its contents remembered; on, a row is added below the body and
        the remembered contents come back, by column position."""
        if bool(value) == self.show_totals:
            return
        table, ws = self.api, self.sheet.worksheet
        (top, left), (bottom, right) = self.range.first, self.range.last
        if not value:
            table._remembered_totals = [ws.cell(bottom, c).value for c in range(left, right + 1)]
            Range(self.sheet, (bottom, left), (bottom, right)).clear_contents()
            bottom -= 1
        else:
            bottom += 1
            for column, cell in enumerate(getattr(table, "_remembered_totals", []), start=left):
                if column <= right:
                    ws.cell(bottom, column).value = cell
        table.totalsRowCount = None if not value else 1
        table.ref = Range(self.sheet, (top, left), (bottom, right)).get_address(False, False)
        if table.autoFilter is not None:
            table.autoFilter.ref = Range(
                self.sheet, (top, left), (bottom - (1 if value else 0), right)
            ).get_address(False, False)

    @property
    def show_headers(self) -> bool:
        return True

    @property
    def table_style(self) -> str | None:
        info = self.api.tableStyleInfo
        return info.name if info is not None else None

    def resize(self, range: Any) -> None:
        """Like ``ListObject.Resize``: the header row must stay where it is."""
        new = range.impl if hasattr(range, "impl") else range
        if new.row != self.range.row or new.shape[0] < 2:
            raise ValueError("A table's header row must stay in place and keep one body row")
        table = self.api
        table.ref = new.get_address(False, False)
        if table.autoFilter is not None:
            table.autoFilter.ref = table.ref
        table.tableColumns = []  # openpyxl names the columns from the header cells on save


# ---------------------------------------------------------------- registration

engine = Engine()


def install() -> xw.Engine:
    """Register the engine with xlwings (once) and make it the active engine."""
    if ENGINE_NAME not in [e.name for e in xw.engines]:
        xw.engines.add(xw.Engine(impl=engine))
    active = xw.engines[ENGINE_NAME]
    active.activate()
    return active


def reset() -> None:
    """Close every app the engine has (between tests)."""
    engine.apps._apps.clear()


@contextmanager
def active_engine() -> Iterator[Engine]:
    """Install and activate the engine for a block (a test); afterwards close its apps,
    forget any mock caller and restore the previously active engine."""
    previous = xw.engines.active
    install()
    try:
        yield engine
    finally:
        reset()
        if hasattr(xw.Book, "_mock_caller"):
            del xw.Book._mock_caller
        xw.engines.active = previous
