"""The file host: :class:`FileBook`, the :class:`~icp_xl.workbook.book.Book` interface over an
``.xlsx`` file with openpyxl (headless CLI, CI, tests).

Structure (sheets, tables, names, formats, validation, conditional formatting,
charts) is rebuilt from :mod:`icp_xl.workbook.layout` on every :meth:`FileBook.save`,
because openpyxl keeps what it can read but loses chart formatting. Saving is
atomic. A file holding anything openpyxl would drop and that is not ours
(pictures, shapes, pivot tables, chart sheets, controls, threaded comments, data
connections and Power Query, sparklines, Excel 2010 validation or conditional
formatting, or charts on sheets the layout does not chart) is refused before anything
is written (:func:`foreign_content`).
"""

from __future__ import annotations

import contextlib
import importlib
import math
import re
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.cell import _writer as cell_writer
from openpyxl.formatting.rule import CellIsRule, FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from icp_xl.core.cells import (
    cell_ref,
    column_letter,
    parse_cell,
    parse_range,
    range_ref,
    table_data_ref,
    table_frame,
)
from icp_xl.core.errors import IcpError
from icp_xl.files.atomic import FileStamp, atomic_write, file_stamp
from icp_xl.files.outputs import same_file
from icp_xl.files.xlsx_package import READ_ERRORS, check_workbook_file, unreadable_workbook
from icp_xl.hosts.file import package
from icp_xl.workbook import layout
from icp_xl.workbook.blocks import Block, cell_value
from icp_xl.workbook.book import Location

MACRO_SUFFIXES = (".xlsm", ".xltm")
_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14)
_WRAPPED = Alignment(wrap_text=True, vertical="bottom")
# Formulas that are a constant: they are replaced by their value when a file is opened for
# writing (openpyxl cannot keep a formula's result, and these need none).
_LITERAL_FLAG = re.compile(r"^=\s*(TRUE|FALSE)\s*(?:\(\s*\))?\s*$", re.IGNORECASE)
_LITERAL_NUMBER = re.compile(r"^=\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*$")
_WHOLE = re.compile(r"^[+-]?\d+$")


def formula_constant(formula: Any) -> tuple[bool, Any]:
    """``(True, value)`` when ``formula`` is a constant written as a formula (``=TRUE()``,
    ``=FALSE``, ``=0.3``, ``=42``, as LibreOffice saves a boolean it was given), else
    ``(False, None)``. ``=42`` gives the int 42, ``=0.3`` the float 0.3."""
    if not isinstance(formula, str):
        return False, None
    flag = _LITERAL_FLAG.match(formula)
    if flag:
        return True, flag.group(1).upper() == "TRUE"
    number = _LITERAL_NUMBER.match(formula)
    if number:
        text = number.group(1)
        return True, int(text) if _WHOLE.match(text) else float(text)
    return False, None


def _stderr_status(message: str) -> None:
    print(f"icp-xl: {message}", file=sys.stderr)


class FileBook:
    """A workbook file opened with openpyxl.

    Use :meth:`open` for an existing ICP workbook or :meth:`new` for a new one,
    run actions on it, then :meth:`save`. ``status`` receives progress messages
    (default: stderr).
    """

    def __init__(
        self,
        workbook: Workbook,
        path: Path | None,
        status: Callable[[str], None] | None = None,
    ) -> None:
        self.workbook = workbook
        self.path = path
        self._status = status or _stderr_status
        self._cached: Workbook | None = None
        self._stamp: FileStamp | None = None  # the file as it was read (file safety)

    # ------------------------------------------------------------ opening and saving

    @classmethod
    def open(
        cls,
        path: str | Path,
        *,
        for_writing: bool = True,
        status: Callable[[str], None] | None = None,
    ) -> FileBook:
        """Load an ICP workbook. With ``for_writing`` (default) first refuse a file whose
        content a rewrite would lose (see :func:`foreign_content`); replace constant
        formulas (``=TRUE()``, ``=0.3``) in the cells actions read by their values, and
        refuse any other formula there (:meth:`_settle_input_formulas`); then re-create any
        output sheet, table or name that is missing, so actions can write there."""
        path = Path(path)
        if not path.exists():
            raise IcpError(f"Workbook not found: {path}")
        check_workbook_file(path)  # a folder, an encrypted or oversized file: one sentence
        stamp = file_stamp(path)  # save() refuses if the file changes meanwhile
        try:
            lost = foreign_content(path) if for_writing else []
            if lost:
                raise IcpError(
                    f"{path.name} holds {'; '.join(lost)}, which a headless rewrite would "
                    "lose; nothing was written. Run this action from Excel (ICP ribbon), or "
                    "move that content to another workbook"
                )
            workbook = load_workbook(path, keep_vba=path.suffix.lower() in MACRO_SUFFIXES)
        except (InvalidFileException, *READ_ERRORS) as error:
            raise unreadable_workbook(path, error) from None
        book = cls(workbook, path, status)
        book._stamp = stamp
        if for_writing:
            book._settle_input_formulas()
            book._apply_output_structure()  # a deleted output sheet or table comes back
        return book

    @classmethod
    def new(cls, accounts: pd.DataFrame, status: Callable[[str], None] | None = None) -> FileBook:
        """A new ICP workbook in memory: every sheet, table and name of the layout with
        default settings, and ``accounts`` (raw cells, the user's headers) in the
        Accounts table."""
        workbook = Workbook()
        workbook.remove(workbook.active)
        book = cls(workbook, None, status)
        book._build_new()
        book.write_table(layout.ACCOUNTS_TABLE.name, [str(c) for c in accounts.columns],
                         frame_rows(accounts))  # fmt: skip
        return book

    def save(self, path: str | Path | None = None) -> Path:
        """Rebuild the output sheets' structure and charts, then write atomically to
        ``path`` (default: the file it was opened from)."""
        target = Path(path) if path is not None else self.path
        if target is None:
            raise ValueError("FileBook.save needs a path for a new workbook")
        self._apply_output_structure()
        self._add_charts()
        # openpyxl keeps formulas but not their results: Excel/LibreOffice recompute on open.
        self.workbook.calculation.fullCalcOnLoad = True
        self.workbook.active = self.workbook.sheetnames.index(layout.DASHBOARD)
        same = self.path is not None and same_file(target, self.path)
        with exact_float_writes():
            atomic_write(target, self.workbook.save, expected=self._stamp if same else None)
        self.path = target
        self._stamp = file_stamp(target)
        return target

    # ------------------------------------------------------------ Book interface

    def sheet_names(self) -> list[str]:
        return list(self.workbook.sheetnames)

    def read_range(self, sheet: str, ref: str) -> list[list[Any]]:
        ws = self._sheet(sheet)
        top, left, bottom, right = parse_range(ref)
        return [
            [self._formula_value(sheet, c) if c.data_type == "f" else c.value for c in row]
            for row in ws.iter_rows(min_row=top, max_row=bottom, min_col=left, max_col=right)
        ]

    def read_name(self, name: str) -> Any:
        location = self.locate(name)
        return self.read_range(location.sheet, location.ref)[0][0]

    def locate(self, name: str) -> Location:
        defined = self.workbook.defined_names.get(name)
        if defined is not None:
            destinations = list(defined.destinations)
            if len(destinations) != 1:
                raise IcpError(f"The name {name} must refer to one cell ({defined.attr_text})")
            sheet, ref = destinations[0]
            return Location(sheet, ref.replace("$", ""))
        for ws in self.workbook.worksheets:
            if name in ws.tables:
                return Location(ws.title, ws.tables[name].ref)
        raise IcpError(f"The workbook has no name or table called {name}")

    def read_table(self, table: str) -> pd.DataFrame:
        location = self._table_location(table)
        totals = self._sheet(location.sheet).tables[table].totalsRowCount
        return table_frame(self.read_range(location.sheet, table_data_ref(location.ref, totals)))

    def write_block(self, block: Block) -> None:
        ws = self._sheet(block.sheet)
        top, left = parse_cell(block.top_left)
        for i, row in enumerate(block.rows):
            for j, value in enumerate(row):
                _set(ws.cell(row=top + i, column=left + j), value)

    def write_table(self, table: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        location = self._table_location(table)
        ws = self._sheet(location.sheet)
        top, left, old_bottom, old_right = parse_range(location.ref)
        width = len(header)
        bottom = top + max(len(rows), 1)
        right = left + width - 1
        formats = _table_formats(table, header)
        for j, text in enumerate(header):
            _set(ws.cell(row=top, column=left + j), str(text))
        for i, row in enumerate(rows, start=top + 1):
            for j, value in enumerate(row):
                cell = ws.cell(row=i, column=left + j)
                _set(cell, value)
                if formats[j] and cell.number_format != formats[j]:
                    cell.number_format = formats[j]
        if not rows:
            for j in range(width):
                ws.cell(row=top + 1, column=left + j).value = None
        self._clear_outside(ws, (top, left, old_bottom, old_right), (top, left, bottom, right))
        spec = ws.tables[table]
        spec.ref = range_ref(top, left, bottom, right)
        if spec.autoFilter is not None:
            spec.autoFilter.ref = spec.ref
        spec.tableColumns = []  # rebuilt from the header cells when saved

    def clear_range(self, sheet: str, ref: str) -> None:
        ws = self._sheet(sheet)
        top, left, bottom, right = parse_range(ref)
        bottom, right = min(bottom, ws.max_row), min(right, ws.max_column)
        for row in ws.iter_rows(min_row=top, max_row=bottom, min_col=left, max_col=right):
            for cell in row:
                cell.value = None

    def set_name(self, name: str, value: Any) -> None:
        location = self.locate(name)
        row, column = parse_cell(location.ref)
        _set(self._sheet(location.sheet).cell(row=row, column=column), value)

    def status(self, message: str) -> None:
        self._status(message)

    # ------------------------------------------------------------ helpers

    def _sheet(self, name: str) -> Worksheet:
        if name not in self.workbook.sheetnames:
            raise IcpError(f"The workbook has no sheet '{name}'")
        return self.workbook[name]

    def _table_location(self, table: str) -> Location:
        for ws in self.workbook.worksheets:
            if table in ws.tables:
                return Location(ws.title, ws.tables[table].ref)
        spec = layout.TABLES_BY_NAME.get(table)
        where = f" on sheet '{spec.sheet}'" if spec else ""
        raise IcpError(f"The workbook has no table called {table}{where}")

    def _formula_value(self, sheet: str, cell: Any) -> Any:
        """A formula cell's value: the constant it spells, else the value last saved."""
        constant, value = formula_constant(cell.value)
        return value if constant else self._cached_value(sheet, cell.row, cell.column)

    def _input_cells(self) -> Iterator[tuple[str, Any]]:
        """(sheet, cell) of every cell actions read: the input named cells (not the
        layout's own formulas such as ``W_Sum``) and the bodies of the input tables."""
        for named in layout.NAMES:
            own_formula = isinstance(named.default, str) and named.default.startswith("=")
            if named.sheet not in layout.INPUT_SHEETS or own_formula:
                continue
            try:
                location = self.locate(named.name)
                ws = self._sheet(location.sheet)
            except IcpError:
                continue  # missing: the action that reads it says so
            yield location.sheet, ws[location.ref]
        for table in (layout.ACCOUNTS_TABLE, layout.SIZE_TIERS_TABLE, layout.VERTICAL_TABLE):
            try:
                location = self._table_location(table.name)
            except IcpError:
                continue
            totals = self.workbook[location.sheet].tables[table.name].totalsRowCount
            top, left, bottom, right = parse_range(table_data_ref(location.ref, totals))
            rows = self.workbook[location.sheet].iter_rows(
                min_row=top + 1, max_row=bottom, min_col=left, max_col=right
            )
            for row in rows:
                for cell in row:
                    yield location.sheet, cell

    def _settle_input_formulas(self) -> None:
        """Replace constant formulas in the cells actions read by their values (the same
        value; LibreOffice saves a typed TRUE as ``=TRUE()``); refuse any other formula
        there, because a headless rewrite drops formula results and the next run could
        not read them. Raises IcpError listing the first cells and a count."""
        kept = []
        for sheet, cell in self._input_cells():
            if cell.data_type != "f":
                continue
            constant, value = formula_constant(cell.value)
            if constant:
                cell.value = value
            else:
                kept.append(f"{sheet}!{cell.coordinate}")
        if kept:
            shown = ", ".join(kept[:5]) + (f" and {len(kept) - 5} more" if len(kept) > 5 else "")
            verb = "holds a formula" if len(kept) == 1 else "hold formulas"
            name = self.path.name if self.path else "The workbook"
            raise IcpError(
                f"{name}: {shown} {verb} that the actions read, and a headless rewrite cannot "
                "keep formula results, so the next run could not read them; nothing was "
                "written: type values there, or use the ribbon in Excel"
            )

    def _cached_value(self, sheet: str, row: int, column: int) -> Any:
        if self._cached is None and self.path is not None:
            self._cached = load_workbook(self.path, data_only=True, read_only=True)
        value = None
        if self._cached is not None and sheet in self._cached.sheetnames:
            value = self._cached[sheet].cell(row=row, column=column).value
        if value is None:
            raise IcpError(
                f"{sheet}!{cell_ref(row, column)} holds a formula whose value was never "
                "calculated; open and save the workbook in Excel or LibreOffice, or type a value"
            )
        return value

    @staticmethod
    def _clear_outside(
        ws: Worksheet, old: tuple[int, int, int, int], new: tuple[int, int, int, int]
    ) -> None:
        top, left, bottom, right = old
        for row in ws.iter_rows(min_row=top, max_row=bottom, min_col=left, max_col=right):
            for cell in row:
                if not (new[0] <= cell.row <= new[2] and new[1] <= cell.column <= new[3]):
                    cell.value = None

    # ------------------------------------------------------------ structure

    def _build_new(self) -> None:
        """Create every sheet, table and name of the layout with default values."""
        wb = self.workbook
        for spec in layout.SHEETS:
            ws = wb.create_sheet(spec.name)
            _apply_sheet_look(ws, spec)
        for caption in layout.CAPTIONS:
            cell = wb[caption.sheet][caption.ref]
            cell.value = caption.text
            cell.font = _BOLD
        for named in layout.NAMES:
            self._add_name(named, with_default=True)
        for table in layout.TABLES:
            self._add_table(table)
        self.write_table(layout.SIZE_TIERS_TABLE.name, layout.SIZE_TIERS_TABLE.header,
                         layout.default_size_tier_rows())  # fmt: skip
        self.write_table(layout.VERTICAL_TABLE.name, layout.VERTICAL_TABLE.header,
                         layout.default_vertical_rows())  # fmt: skip
        for name, rows in layout.DEFAULT_TABLE_ROWS.items():
            self.write_table(name, layout.TABLES_BY_NAME[name].header, rows())
        weights = wb[layout.WEIGHTS]
        status = layout.W_STATUS.ref
        weights.conditional_formatting.add(
            status,
            CellIsRule(operator="equal", formula=['"OK"'], fill=_fill(layout.STATUS_OK_FILL)),
        )
        weights.conditional_formatting.add(
            status,
            FormulaRule(formula=[f'{status}<>"OK"'], fill=_fill(layout.STATUS_BAD_FILL)),
        )

    def _add_name(self, named: layout.NamedCell, with_default: bool) -> None:
        ws = self.workbook[named.sheet]
        row, column = parse_cell(named.ref)
        absolute = "$" + "$".join(_split_ref(named.ref))
        quoted = f"'{named.sheet}'" if " " in named.sheet else named.sheet
        self.workbook.defined_names[named.name] = DefinedName(
            named.name, attr_text=f"{quoted}!{absolute}"
        )
        if named.label is not None and column > 1:
            ws.cell(row=row, column=column - 1).value = named.label
        cell = ws.cell(row=row, column=column)
        if with_default:
            cell.value = named.default
        if named.number_format:
            cell.number_format = named.number_format

    def _add_table(self, table: layout.TableSpec) -> None:
        ws = self.workbook[table.sheet]
        top, left = parse_cell(table.top_left)
        for j, column in enumerate(table.columns):
            _set(ws.cell(row=top, column=left + j), column.header)
            if column.width:
                ws.column_dimensions[column_letter(left + j)].width = column.width
        ref = range_ref(top, left, top + 1, left + len(table.columns) - 1)
        spec = Table(displayName=table.name, ref=ref)
        spec.tableStyleInfo = TableStyleInfo(name=table.style, showRowStripes=True)
        ws.add_table(spec)

    def _apply_output_structure(self) -> None:
        """Re-apply what the layout says about output sheets (they may have been built
        by an older version or touched by the user): missing sheets and names, looks,
        number formats, the segment dropdown and grade colours."""
        wb = self.workbook
        missing_inputs = [s for s in layout.INPUT_SHEETS if s not in wb.sheetnames]
        if missing_inputs:
            raise IcpError(f"The workbook has no sheet {', '.join(sorted(missing_inputs))}")
        created = set()
        for index, spec in enumerate(layout.SHEETS):
            if spec.role == "input":
                continue
            if spec.name not in wb.sheetnames:
                wb.create_sheet(spec.name, index=_insert_index(wb, index))
                created.add(spec.name)
            _apply_sheet_look(wb[spec.name], spec)
        for caption in layout.CAPTIONS:
            if caption.sheet not in layout.INPUT_SHEETS:
                cell = wb[caption.sheet][caption.ref]
                cell.value, cell.font = caption.text, _BOLD
        for named in layout.NAMES:
            if named.sheet not in layout.INPUT_SHEETS:
                fresh = named.name not in wb.defined_names or named.sheet in created
                self._add_name(named, with_default=fresh)
        scores = wb[layout.SCORES]
        if layout.SCORES_TABLE.name not in scores.tables:
            _refuse_moved_table(wb, layout.SCORES_TABLE)
            self._add_table(layout.SCORES_TABLE)
        self._add_missing_map_tables()
        _apply_print_setup(wb[layout.DATA_QUALITY_PRINT.sheet], layout.DATA_QUALITY_PRINT)
        for region in layout.FORMAT_RANGES:
            for row in wb[region.sheet][region.ref]:
                for cell in row:
                    cell.number_format = region.number_format
        self._ensure_segment_dropdown()
        self._ensure_account_dropdown()
        self._ensure_fills(layout.DATA_QUALITY, layout.DATA_QUALITY_STATUS_RANGE,
                           layout.DATA_QUALITY_FILLS)  # fmt: skip
        for sheet, ref in layout.grade_ranges():
            ws = wb[sheet]
            if any(str(cf.sqref) == ref for cf in ws.conditional_formatting):
                continue
            for grade, colour in layout.GRADE_FILLS.items():
                ws.conditional_formatting.add(
                    ref, CellIsRule(operator="equal", formula=[f'"{grade}"'], fill=_fill(colour))
                )

    def _ensure_fills(self, sheet: str, ref: str, fills: Mapping[str, str]) -> None:
        """Colour the cells of ``ref`` whose text is a key of ``fills`` (once per range)."""
        ws = self.workbook[sheet]
        if any(str(cf.sqref) == ref for cf in ws.conditional_formatting):
            return
        for text, colour in fills.items():
            ws.conditional_formatting.add(
                ref, CellIsRule(operator="equal", formula=[f'"{text}"'], fill=_fill(colour))
            )

    def _add_missing_map_tables(self) -> None:
        """Give an older workbook the input tables it lacks (Column map, Industry map) with
        their default rows and caption, where their cells are still blank."""
        present = {t for ws in self.workbook.worksheets for t in ws.tables}
        for name, rows in layout.DEFAULT_TABLE_ROWS.items():
            table = layout.TABLES_BY_NAME[name]
            body = rows()
            top, left = parse_cell(table.top_left)
            area = range_ref(top - 1, left, top + len(body), left + len(table.columns) - 1)
            ws = self.workbook[table.sheet]
            if name in present or any(c.value is not None for r in ws[area] for c in r):
                continue
            self._add_table(table)
            self.write_table(name, table.header, body)
            for caption in layout.CAPTIONS:
                if caption.sheet == table.sheet and parse_cell(caption.ref) == (top - 1, left):
                    ws[caption.ref].value, ws[caption.ref].font = caption.text, _BOLD

    def _ensure_segment_dropdown(self) -> None:
        choices = ",".join(layout.SEGMENT_VIEW_CHOICES)
        self._ensure_dropdown(
            layout.SEGMENT_VIEW, f'"{choices}"', "Segment view", f"Choose one of: {choices}"
        )

    def _ensure_account_dropdown(self) -> None:
        """AccountPick lists the Scores IDs; another ID only warns (it may be pasted)."""
        self._ensure_dropdown(
            layout.ACCOUNT_PICK,
            layout.ACCOUNT_PICK_CHOICES,
            "Customer ID",
            "This Customer ID is not in the Scores table.",
            style="warning",
        )

    def _ensure_dropdown(
        self, named: layout.NamedCell, source: str, title: str, error: str, style: str = "stop"
    ) -> None:
        """A list validation (dropdown) on a named cell, unless the cell has one."""
        ws = self.workbook[named.sheet]
        if any(named.ref in str(dv.sqref).split() for dv in ws.data_validations.dataValidation):
            return
        validation = DataValidation(
            type="list",
            formula1=source,
            allow_blank=style != "stop",
            showErrorMessage=True,
            errorStyle=style,
            errorTitle=title,
            error=error,
        )
        validation.add(named.ref)
        ws.add_data_validation(validation)

    def _add_charts(self) -> None:
        """(Re)create the layout's charts when the charts module is installed."""
        charts = _charts_module()
        if charts is None:
            return
        for name in layout_chart_counts():
            if name in self.workbook.sheetnames:
                self.workbook[name]._charts = []
        charts.add_charts(self.workbook)


@contextlib.contextmanager
def exact_float_writes() -> Iterator[None]:
    """Write floats with ``repr`` (shortest exact round trip, up to 17 digits) instead of
    openpyxl's ``%.16g``, which changes the last bit of a few percent of doubles; cells
    then read back equal to what was computed."""
    original = cell_writer.safe_string

    def exact(value: Any) -> str:
        if type(value) is float and math.isfinite(value):
            return repr(value)
        return original(value)

    cell_writer.safe_string = exact
    try:
        yield
    finally:
        cell_writer.safe_string = original


def frame_rows(frame: pd.DataFrame) -> list[list[Any]]:
    """Rows of a DataFrame as cell values (NaN/NA -> None, numpy scalars -> Python)."""
    columns = [[cell_value(v) for v in frame[c].tolist()] for c in frame.columns]
    return [list(row) for row in zip(*columns, strict=True)] if columns else []


def _set(cell: Any, value: Any) -> None:
    """Store a value; text that looks like a formula stays text (no formula injection)."""
    value = cell_value(value)
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    cell.value = value
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"


def _refuse_moved_table(workbook: Workbook, table: layout.TableSpec) -> None:
    """Raise IcpError when ``table`` is on another sheet than its own (the sheet was
    renamed), where a new table of that name cannot be made."""
    for ws in workbook.worksheets:
        if table.name in ws.tables:
            raise IcpError(
                f"The table {table.name} is on sheet '{ws.title}' instead of '{table.sheet}' "
                f"(was the sheet renamed?); name that sheet '{table.sheet}' again, or delete "
                "it; nothing was written"
            )


def _split_ref(ref: str) -> tuple[str, str]:
    row, column = parse_cell(ref)
    return column_letter(column), str(row)


def _fill(colour: str) -> PatternFill:
    return PatternFill(start_color=colour, end_color=colour, fill_type="solid")


def _apply_sheet_look(ws: Worksheet, spec: layout.SheetSpec) -> None:
    for letter, width in spec.widths.items():
        ws.column_dimensions[letter].width = width
    if spec.freeze:
        ws.freeze_panes = spec.freeze
    for row in spec.wrapped_rows:
        ws.row_dimensions[row].height = 30
        for cell in ws[row]:
            cell.alignment = _WRAPPED
    if spec.title and ws["A1"].value in (None, spec.title):
        ws["A1"].value, ws["A1"].font = spec.title, _TITLE
    if spec.note:
        cell = ws["A2"] if spec.title else ws["A1"]
        if cell.value is None:
            cell.value = spec.note


def _apply_print_setup(ws: Worksheet, setup: layout.PrintSetup) -> None:
    ws.page_setup.orientation = setup.orientation
    ws.page_setup.fitToWidth = setup.fit_width
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    if setup.title_rows:
        ws.print_title_rows = setup.title_rows
    if setup.columns:
        first, _, last = setup.columns.partition(":")
        ws.print_area = f"{first}1:{last}{ws.max_row}"


def _insert_index(workbook: Workbook, layout_index: int) -> int:
    """Where a missing layout sheet goes: after the nearest earlier layout sheet present."""
    for spec in reversed(layout.SHEETS[:layout_index]):
        if spec.name in workbook.sheetnames:
            return workbook.sheetnames.index(spec.name) + 1
    return 0


def _table_formats(table: str, header: Sequence[str]) -> list[str | None]:
    spec = layout.TABLES_BY_NAME.get(table)
    by_header = {c.header: c.number_format for c in spec.columns} if spec else {}
    return [by_header.get(str(h)) for h in header]


def _charts_module() -> Any:
    try:
        return importlib.import_module("icp_xl.hosts.file.charts")
    except ModuleNotFoundError as error:
        if error.name != "icp_xl.hosts.file.charts":
            raise
        return None


@cache
def layout_chart_counts() -> dict[str, int]:
    """Sheet name -> number of charts the charts module puts on it (none without it)."""
    charts = _charts_module()
    if charts is None:
        return {}
    book = FileBook.new(pd.DataFrame({"Customer ID": ["C1"], "Industry": ["Other"]}))
    book._apply_output_structure()
    charts.add_charts(book.workbook)
    return {ws.title: len(ws._charts) for ws in book.workbook.worksheets if ws._charts}


def foreign_content(path: str | Path) -> list[str]:
    """What a headless rewrite of ``path`` would lose (see
    :func:`icp_xl.hosts.file.package.foreign_content`), given the charts the layout makes."""
    return package.foreign_content(path, layout_chart_counts())
