"""The live host: :class:`XlwingsBook`, the :class:`~icp_xl.workbook.book.Book` interface over a
workbook open in Excel, through the open-source xlwings API (``Book``, ``Sheet``,
``Range``, ``Names``, ``Tables``, ``App.status_bar``).

Each rectangle is read or written in one call (``Range.options(ndim=2).value``), so a
10,000-row table costs one round trip to Excel, not one per cell. The adapter only
writes values into the structure that is already in the workbook (sheets, tables,
names, formats and charts stay Excel's); a table is resized in place with
``Table.resize``. Writing the header row of a table-like sheet fits its columns to what
was written (``Range.column_width``), by the rule the file host follows
(:mod:`icp_xl.workbook.fitting`).

Text is written with a leading apostrophe, Excel's own "this is text" marker, so a
company called ``=1+1``, a Customer ID ``00123`` or an industry ``TRUE`` lands as
the text it is rather than a formula, number or boolean (no formula injection). The
apostrophe is not part of the cell's value.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pandas as pd

from icp_xl.core.errors import IcpError
from icp_xl.core.inputs.cells import parse_cell, parse_range, table_frame
from icp_xl.workbook import layout
from icp_xl.workbook.blocks import Block, Formula, cell_value
from icp_xl.workbook.book import Location, table_columns
from icp_xl.workbook.fitting import fitted_columns


def excel_input(value: Any) -> Any:
    """A cell value as it must be handed to Excel's ``Range.Value``: NaN/NA -> None
    (blank), numpy scalars -> Python, non-empty text prefixed with an apostrophe so
    Excel stores it as text, empty text -> None."""
    value = cell_value(value)
    if type(value) is Formula:
        return cell_value(value.value) if value.array_rows else value.text
    if isinstance(value, str):
        return "'" + value if value else None
    return value


def excel_rows(rows: Sequence[Sequence[Any]]) -> list[list[Any]]:
    """Rows converted with :func:`excel_input`, as lists (what xlwings writes in one call)."""
    return [[excel_input(v) for v in row] for row in rows]


# Excel's refusal to change a protected sheet ("The cell or chart you're trying to change
# is on a protected sheet. ..."), as COM (pywintypes.com_error) and AppleScript report it.
_PROTECTED = re.compile(r"protected sheet|sheet is protected", re.IGNORECASE)


@contextmanager
def writing(sheet: str) -> Iterator[None]:
    """Turn Excel's refusal to write to the protected ``sheet`` into one sentence naming it."""
    try:
        yield
    except IcpError:
        raise
    except Exception as error:
        if not _PROTECTED.search(str(error)):
            raise
        raise IcpError(
            f"The {sheet} sheet is protected, so ICP cannot write to it; unprotect it "
            "(Review > Unprotect Sheet) and click the button again"
        ) from None


class XlwingsBook:
    """A live workbook: ``book`` is an ``xlwings.Book`` (usually ``xw.Book.caller()``).

    ``status`` messages go to Excel's status bar; the caller restores it
    (see :func:`icp_xl.excel.ribbon.run_action`).
    """

    def __init__(self, book: Any) -> None:
        self.book = book

    # ------------------------------------------------------------ Book interface

    def sheet_names(self) -> list[str]:
        return [layout.layout_sheet_name(sheet.name) for sheet in self.book.sheets]

    def read_range(self, sheet: str, ref: str) -> list[list[Any]]:
        values = self._sheet(sheet).range(ref).options(ndim=2).value
        return [list(row) for row in values]

    def read_name(self, name: str) -> Any:
        return self._name_range(name).options(ndim=2).value[0][0]

    def locate(self, name: str) -> Location:
        if name in self.book.names:
            target = self._name_range(name)
            return Location(target.sheet.name, target.get_address(False, False))
        table = self._find_table(name)
        if table is not None:
            return Location(table.parent.name, table.range.get_address(False, False))
        raise IcpError(f"The workbook has no name or table called {name}")

    def read_table(self, table: str) -> pd.DataFrame:
        target = self._table(table)
        rows = target.range.options(ndim=2).value
        return table_frame(rows[:-1] if target.show_totals else rows)  # a Total Row is no data

    def read_table_columns(self, table: str, headers: Sequence[str]) -> pd.DataFrame:
        return table_columns(self.read_table(table), headers)

    def write_block(self, block: Block) -> None:
        if not block.rows or not block.width:
            return
        with writing(block.sheet):
            self._sheet(block.sheet).range(block.top_left).value = excel_rows(block.rows)
            self._write_arrays(self._sheet(block.sheet), *parse_cell(block.top_left), block.rows)
            self._fit_columns(block.sheet, *parse_cell(block.top_left), block.rows)

    def write_table(self, table: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        target = self._table(table)
        with writing(target.parent.name):
            self._write_table(target, table, header, rows)

    def _write_table(
        self, target: Any, table: str, header: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        sheet = target.parent
        # Excel's Total Row is switched off while the body is rewritten and back on after:
        # it comes back below the new body with its functions (Excel remembers them).
        totals = target.show_totals
        if totals:
            target.show_totals = False
        old = target.range
        top, left = old.row, old.column
        old_bottom = top + old.shape[0] - 1
        old_right = left + old.shape[1] - 1
        width = len(header)
        bottom = top + max(len(rows), 1)
        right = left + width - 1
        target.resize(sheet.range((top, left), (bottom, right)))
        # Clear what the old table covered outside the new one (after resizing, so
        # Excel does not rename headers it still owns to Column1, ...).
        if old_bottom > bottom:
            sheet.range((bottom + 1, left), (old_bottom, old_right)).clear_contents()
        if old_right > right:
            sheet.range((top, right + 1), (min(old_bottom, bottom), old_right)).clear_contents()
        body = excel_rows(rows) if rows else [[None] * width]
        sheet.range((top, left)).value = [excel_rows([header])[0], *body]
        if totals:
            target.show_totals = True
        self._write_arrays(sheet, top + 1, left, rows)
        formats = layout.table_number_formats(table, header)
        self._fit_columns(sheet.name, top, left, [list(header), *rows], formats)

    def clear_range(self, sheet: str, ref: str) -> None:
        parse_range(ref)  # a clear error for a bad address before Excel sees it
        with writing(sheet):
            self._sheet(sheet).range(ref).clear_contents()

    def set_name(self, name: str, value: Any) -> None:
        target = self._name_range(name)
        with writing(target.sheet.name):
            target.value = excel_input(value)

    def status(self, message: str) -> None:
        self.book.app.status_bar = message

    # ------------------------------------------------------------ helpers

    def _write_arrays(self, sheet: Any, top: int, left: int, rows: Sequence[Sequence[Any]]) -> None:
        """Enter the array formulas of ``rows`` (written at ``top``, ``left``): a column of
        one-cell ones in one ``formula2`` call, each larger one with ``formula_array``."""
        found: dict[int, list[int]] = {}
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                if type(value) is Formula and value.array_rows:
                    found.setdefault(j, []).append(i)
        for j, positions in found.items():
            cells = [rows[i][j] for i in positions]
            if len(positions) == len(rows) and all(v.array_rows == 1 for v in cells):
                target = sheet.range((top, left + j), (top + len(rows) - 1, left + j))
                target.formula2 = [[v.text] for v in cells]
                continue
            for i, value in zip(positions, cells, strict=True):
                last = top + i + value.array_rows - 1
                sheet.range((top + i, left + j), (last, left + j)).formula_array = value.text

    def _fit_columns(
        self,
        sheet: str,
        top: int,
        left: int,
        rows: Sequence[Sequence[Any]],
        formats: Sequence[str | None] = (),
    ) -> None:
        target = self._sheet(sheet)
        for column, width in fitted_columns(sheet, top, left, rows, formats).items():
            target.range((1, column)).column_width = width

    def _sheet(self, name: str) -> Any:
        folded = name.casefold()  # as Excel matches sheet names
        for sheet in self.book.sheets:
            if sheet.name.casefold() == folded:
                return sheet
        raise IcpError(f"The workbook has no sheet '{name}'")

    def _name_range(self, name: str) -> Any:
        if name not in self.book.names:
            raise IcpError(f"The workbook has no name called {name}")
        target = self.book.names[name].refers_to_range
        if target.shape != (1, 1):
            raise IcpError(f"The name {name} must refer to one cell ({target.address})")
        return target

    def _find_table(self, name: str) -> Any:
        for sheet in self.book.sheets:
            for table in sheet.tables:
                if table.name == name:
                    return table
        return None

    def _table(self, name: str) -> Any:
        table = self._find_table(name)
        if table is None:
            raise IcpError(f"The workbook has no table called {name}")
        return table
