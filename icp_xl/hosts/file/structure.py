"""Workbook structure built with openpyxl, for the rare jobs that create it: a new ICP
workbook (every sheet, table, name, format, validation, conditional format and chart of
:mod:`icp_xl.workbook.layout`) and the rebuild of a missing output sheet, table or name.

Per-action writes never come here (they stream the parts the product owns,
:mod:`icp_xl.hosts.file.book`); openpyxl loads a whole workbook and drops what it does not
model, so :func:`rebuild` is only used when the package check finds nothing it would lose.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import math
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell import _writer as cell_writer
from openpyxl.formatting.rule import CellIsRule, FormulaRule
from openpyxl.styles import Font, PatternFill
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from icp_xl.core.errors import IcpError
from icp_xl.core.inputs.cells import column_letter, parse_cell, range_ref
from icp_xl.hosts.file import looks
from icp_xl.hosts.file.cell_xml import file_formula
from icp_xl.hosts.file.structure_check import (
    output_tables,
    require_input_sheets,
)
from icp_xl.workbook import layout
from icp_xl.workbook.blocks import cell_value

_BOLD = Font(name="Calibri", bold=True)
_PLAIN = Font(name="Calibri", italic=True, color="595959")


def new_package() -> bytes:
    """A new ICP workbook as ``.xlsx`` bytes: every sheet, table, name, format and chart
    of the layout, default settings, and empty Accounts and Scores tables."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    build_new(workbook)
    apply_output_structure(workbook)
    charts = _charts_module()
    if charts is not None:
        charts.add_charts(workbook)  # a new workbook has no charts to replace
    return _saved(workbook)


def rebuild(source: Path, macros: bool) -> bytes:
    """``source`` with its missing output sheets, tables and names re-created (defaults
    on a re-created sheet), the output sheets' looks re-applied and the layout's charts
    re-made, as ``.xlsx`` bytes. Loses what openpyxl does not keep: check first."""
    workbook = load_workbook(source, keep_vba=macros)
    _layout_titles(workbook)
    apply_output_structure(workbook)
    add_charts(workbook)
    return _saved(workbook)


def _layout_titles(workbook: Workbook) -> None:
    """Give a layout sheet renamed only in case (``Chart data``) the layout's name back:
    openpyxl, unlike Excel, finds sheets by their exact name. References to it in
    formulas and charts still hold, as Excel matches sheet names in any case."""
    for sheet in workbook.worksheets:
        name = layout.layout_sheet_name(sheet.title)
        if name != sheet.title and name not in workbook.sheetnames:
            sheet.title = "icp-xl renaming"  # openpyxl would take the name as taken
            sheet.title = name


def _saved(workbook: Workbook) -> bytes:
    workbook.calculation.fullCalcOnLoad = True
    workbook.active = workbook.sheetnames.index(layout.DASHBOARD)
    buffer = io.BytesIO()
    with exact_float_writes():
        workbook.save(buffer)
    return buffer.getvalue()


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


def build_new(wb: Workbook) -> None:
    """Create every sheet, table and name of the layout with default values."""
    for spec in layout.SHEETS:
        ws = wb.create_sheet(spec.name)
        _apply_sheet_look(ws, spec)
    for caption in layout.CAPTIONS:
        cell = wb[caption.sheet][caption.ref]
        cell.value = caption.text
        cell.font = _caption_font(caption)
    for named in layout.NAMES:
        _add_name(wb, named, with_default=True)
    looks.mark_inputs(wb, layout.input_cell_names())
    for table in layout.TABLES:
        _add_table(wb, table)
    _fill_table(wb, layout.SIZE_TIERS_TABLE, layout.default_size_tier_rows())
    _fill_table(wb, layout.VERTICAL_TABLE, layout.default_vertical_rows())
    for name, rows in layout.DEFAULT_TABLE_ROWS.items():
        _fill_table(wb, layout.TABLES_BY_NAME[name], rows())
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


def _fill_table(wb: Workbook, table: layout.TableSpec, rows: Sequence[Sequence[Any]]) -> None:
    ws = wb[table.sheet]
    top, left = parse_cell(table.top_left)
    for i, row in enumerate(rows, start=top + 1):
        for j, value in enumerate(row):
            cell = ws.cell(row=i, column=left + j)
            _set(cell, value)
            number_format = table.columns[j].number_format
            if number_format:
                cell.number_format = number_format
    ref = range_ref(top, left, top + max(len(rows), 1), left + len(table.columns) - 1)
    spec = ws.tables[table.name]
    spec.ref = ref
    if spec.autoFilter is not None:
        spec.autoFilter.ref = ref


def _add_name(wb: Workbook, named: layout.NamedCell, with_default: bool) -> None:
    ws = wb[named.sheet]
    row, column = parse_cell(named.ref)
    absolute = f"${column_letter(column)}${row}"
    quoted = f"'{named.sheet}'" if " " in named.sheet else named.sheet
    wb.defined_names[named.name] = DefinedName(named.name, attr_text=f"{quoted}!{absolute}")
    if named.label is not None and column > 1:
        ws.cell(row=row, column=column - 1).value = named.label
    cell = ws.cell(row=row, column=column)
    if with_default:
        default = named.default
        is_formula = isinstance(default, str) and default.startswith("=")
        cell.value = "=" + file_formula(default) if is_formula else default  # _xlfn. prefixes
    if named.number_format:
        cell.number_format = named.number_format


def _add_table(wb: Workbook, table: layout.TableSpec) -> None:
    ws = wb[table.sheet]
    top, left = parse_cell(table.top_left)
    for j, column in enumerate(table.columns):
        _set(ws.cell(row=top, column=left + j), column.header)
        if column.width:
            ws.column_dimensions[column_letter(left + j)].width = column.width
        if column.number_format:
            ws.cell(row=top + 1, column=left + j).number_format = column.number_format
    ref = range_ref(top, left, top + 1, left + len(table.columns) - 1)
    spec = Table(displayName=table.name, ref=ref)
    spec.tableStyleInfo = TableStyleInfo(name=table.style, showRowStripes=True)
    ws.add_table(spec)


def apply_output_structure(wb: Workbook) -> None:
    """Re-apply what the layout says about output sheets (they may have been built
    by an older version or touched by the user): missing sheets and names, looks,
    number formats, the segment dropdown and grade colours."""
    require_input_sheets(wb.sheetnames)
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
            cell.value, cell.font = caption.text, _caption_font(caption)
    for named in layout.NAMES:
        if named.sheet not in layout.INPUT_SHEETS:
            fresh = named.name not in wb.defined_names or named.sheet in created
            _add_name(wb, named, with_default=fresh)
    for table in output_tables():
        if table.name not in wb[table.sheet].tables:
            _refuse_moved_table(wb, table)
            _add_table(wb, table)
    for name in layout.BACKFILLED_NAMES:  # added to the layout later: older workbooks
        if name not in wb.defined_names:
            _add_name(wb, layout.NAMES_BY_NAME[name], with_default=True)
    _add_missing_map_tables(wb)
    for region in layout.FORMAT_RANGES:
        for row in wb[region.sheet][region.ref]:
            for cell in row:
                cell.number_format = region.number_format
    _ensure_segment_dropdown(wb)
    _ensure_account_dropdown(wb)
    _ensure_fills(wb, layout.DATA_QUALITY, layout.DATA_QUALITY_STATUS_RANGE,
                  layout.DATA_QUALITY_FILLS)  # fmt: skip
    for sheet, ref in layout.grade_ranges():
        ws = wb[sheet]
        if any(str(cf.sqref) == ref for cf in ws.conditional_formatting):
            continue
        for grade, colour in layout.GRADE_FILLS.items():
            ws.conditional_formatting.add(
                ref, CellIsRule(operator="equal", formula=[f'"{grade}"'], fill=_fill(colour))
            )
    looks.mark_inputs(
        wb,
        tuple(
            n
            for n in layout.input_cell_names()
            if layout.NAMES_BY_NAME[n].sheet not in layout.INPUT_SHEETS
        ),
    )
    for spec in layout.SHEETS:
        if spec.role != "input":
            _finish_look(wb[spec.name], spec)
    looks.align_number_headers(wb)


def _caption_font(caption: layout.TextCell) -> Font:
    return _BOLD if caption.bold else _PLAIN


def _ensure_fills(wb: Workbook, sheet: str, ref: str, fills: Mapping[str, str]) -> None:
    """Colour the cells of ``ref`` whose text is a key of ``fills`` (once per range)."""
    ws = wb[sheet]
    if any(str(cf.sqref) == ref for cf in ws.conditional_formatting):
        return
    for text, colour in fills.items():
        ws.conditional_formatting.add(
            ref, CellIsRule(operator="equal", formula=[f'"{text}"'], fill=_fill(colour))
        )


def _add_missing_map_tables(wb: Workbook) -> None:
    """Give an older workbook the input tables it lacks (Column map, Industry map) with
    their default rows and caption, where their cells are still blank."""
    present = {t for ws in wb.worksheets for t in ws.tables}
    for name, rows in layout.DEFAULT_TABLE_ROWS.items():
        table = layout.TABLES_BY_NAME[name]
        body = rows()
        top, left = parse_cell(table.top_left)
        area = range_ref(top - 1, left, top + len(body), left + len(table.columns) - 1)
        ws = wb[table.sheet]
        if name in present or any(c.value is not None for r in ws[area] for c in r):
            continue
        _add_table(wb, table)
        _fill_table(wb, table, body)
        for caption in layout.CAPTIONS:
            if caption.sheet == table.sheet and parse_cell(caption.ref) == (top - 1, left):
                ws[caption.ref].value, ws[caption.ref].font = caption.text, _BOLD


def _ensure_segment_dropdown(wb: Workbook) -> None:
    choices = ",".join(layout.SEGMENT_VIEW_CHOICES)
    _ensure_dropdown(
        wb, layout.SEGMENT_VIEW, f'"{choices}"', "Segment view", f"Choose one of: {choices}"
    )
    for named, options in layout.DROPDOWNS:
        listed = ",".join(options)
        _ensure_dropdown(
            wb, named, f'"{listed}"', str(named.label)[:32], f"Choose one of: {listed}"
        )
    target = layout.NAMES_BY_NAME[layout.TARGET_COLUMNS_NAME]  # free text allowed: a hint
    listed = ",".join(layout.TARGET_CHOICES)
    _ensure_dropdown(wb, target, f'"{listed}"', "Target columns", "", hint=layout.TARGET_HINT)


def _ensure_account_dropdown(wb: Workbook) -> None:
    """AccountPick lists the Scores IDs; another ID only warns (it may be pasted)."""
    _ensure_dropdown(
        wb,
        layout.ACCOUNT_PICK,
        layout.ACCOUNT_PICK_CHOICES,
        "Customer ID",
        "This Customer ID is not in the Scores table.",
        style="warning",
    )


def _ensure_dropdown(
    wb: Workbook,
    named: layout.NamedCell,
    source: str,
    title: str,
    error: str,
    style: str = "stop",
    hint: str | None = None,
) -> None:
    """A list validation (dropdown) on a named cell, unless the cell has one; with a
    ``hint`` (shown when the cell is selected) any other value is accepted too."""
    ws = wb[named.sheet]
    if any(named.ref in str(dv.sqref).split() for dv in ws.data_validations.dataValidation):
        return
    validation = DataValidation(
        type="list",
        formula1=source,
        allow_blank=style != "stop" or hint is not None,
        showErrorMessage=hint is None,
        errorStyle=style,
        errorTitle=title,
        error=error,
        showInputMessage=hint is not None,
        promptTitle=title if hint is not None else None,
        prompt=hint,
    )
    validation.add(named.ref)
    ws.add_data_validation(validation)


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


def add_charts(wb: Workbook) -> None:
    """(Re)create the layout's charts when the charts module is installed."""
    charts = _charts_module()
    if charts is None:
        return
    for name in layout_chart_counts():
        if name in wb.sheetnames:
            wb[name]._charts = []
    charts.add_charts(wb)


def _set(cell: Any, value: Any) -> None:
    """Store a value; text that looks like a formula stays text (no formula injection)."""
    value = cell_value(value)
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    cell.value = value
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"


def _fill(colour: str) -> PatternFill:
    return PatternFill(start_color=colour, end_color=colour, fill_type="solid")


def _apply_sheet_look(ws: Worksheet, spec: layout.SheetSpec) -> None:
    for letter, width in spec.widths.items():
        ws.column_dimensions[letter].width = width
    if spec.freeze:
        ws.freeze_panes = spec.freeze
    if spec.title and ws["A1"].value in (None, spec.title):
        ws["A1"].value, ws["A1"].font = spec.title, looks.TITLE_FONT
    if spec.note:
        cell = ws["A2"] if spec.title else ws["A1"]
        if cell.value is None:
            cell.value = spec.note
    looks.apply_print_setup(ws, spec)
    looks.apply_visibility(ws, spec)


def _finish_look(ws: Worksheet, spec: layout.SheetSpec) -> None:
    """What depends on the sheet's content: wrapped headers, centred ranges, the title's
    font. (Fitted column widths are written by every save: hosts/file/sheet_look.py.)"""
    looks.apply_wrapped_rows(ws, spec)
    looks.apply_centered(ws)
    looks.apply_title(ws)


def _insert_index(workbook: Workbook, layout_index: int) -> int:
    """Where a missing layout sheet goes: after the nearest earlier layout sheet present."""
    for spec in reversed(layout.SHEETS[:layout_index]):
        if spec.name in workbook.sheetnames:
            return workbook.sheetnames.index(spec.name) + 1
    return 0


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
    workbook = Workbook()
    workbook.remove(workbook.active)
    build_new(workbook)
    apply_output_structure(workbook)
    charts.add_charts(workbook)
    return {ws.title: len(ws._charts) for ws in workbook.worksheets if ws._charts}
