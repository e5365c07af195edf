"""How every sheet looks and prints, applied to openpyxl worksheets from the layout's
declarations (:mod:`icp_xl.workbook.layout`, section "looks and print setup"): print setup,
hidden helper sheets and columns, the input-cell style, wrapped header rows, right-aligned
number headers, centred ranges and the bold title. Part of building a sheet's structure, so
it is written with the sheet's own XML (pageSetup, printOptions, cols, sheetView); column
widths that follow the content are written by every save (:mod:`.sheet_look`)."""

from __future__ import annotations

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.worksheet.worksheet import Worksheet

from icp_xl.core.inputs.cells import parse_cell
from icp_xl.workbook import layout
from icp_xl.workbook.widths import HEADER_LINES

TITLE_FONT = Font(name="Calibri", bold=True, size=14)
_WRAPPED = Alignment(wrap_text=True, vertical="bottom")
HEADER_HEIGHT_PT = 15.0 * HEADER_LINES  # lines of 11-point text a wrapped header may take
_CENTERED = Alignment(horizontal="center")
_NUMBER_HEADER = Alignment(horizontal="right", wrap_text=True, vertical="bottom")


def apply_print_setup(ws: Worksheet, spec: layout.SheetSpec) -> None:
    """Orientation, fit to pages, repeated header rows, margins and centring of ``spec``."""
    setup = layout.print_setup(spec)
    ws.page_setup.orientation = "landscape" if setup.landscape else "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    if setup.scale is None:
        ws.page_setup.fitToWidth = setup.fit_wide
        ws.page_setup.fitToHeight = setup.fit_tall
        ws.sheet_properties.pageSetUpPr.fitToPage = True
    else:
        ws.page_setup.scale = setup.scale
        ws.sheet_properties.pageSetUpPr.fitToPage = False
    left, right, top, bottom = setup.margins
    ws.page_margins.left, ws.page_margins.right = left, right
    ws.page_margins.top, ws.page_margins.bottom = top, bottom
    ws.page_margins.header = ws.page_margins.footer = min(top, bottom) / 2
    ws.print_options.horizontalCentered = setup.centered
    ws.print_title_rows = setup.title_rows
    ws.print_title_cols = setup.title_columns
    ws.oddFooter.center.text = "&A - page &P of &N"


def apply_visibility(ws: Worksheet, spec: layout.SheetSpec) -> None:
    """Hide the helper sheets and helper columns (never printed; formulas and charts
    still read them)."""
    ws.sheet_state = "hidden" if spec.name in layout.HIDDEN_SHEETS else "visible"
    columns = layout.HIDDEN_COLUMNS.get(spec.name)
    if columns is not None:
        ws.column_dimensions.group(*columns, outline_level=0, hidden=True)


def apply_title(ws: Worksheet) -> None:
    """A text in A1 that is not a table header is the sheet's title: large and bold."""
    if isinstance(ws["A1"].value, str) and not any(
        parse_cell(t.ref.split(":")[0]) == (1, 1) for t in ws.tables.values()
    ):
        ws["A1"].font = TITLE_FONT


def apply_wrapped_rows(ws: Worksheet, spec: layout.SheetSpec) -> None:
    """Header rows (declared, and the header of a fitted sheet) wrap their text and are as
    tall as the longest wrapped header can be, whatever the content (charts at fixed
    positions below them stay clear of the cells)."""
    fitted = layout.fitted_header_row(spec)
    for row in sorted({*spec.wrapped_rows, *(() if fitted is None else (fitted,))}):
        for cell in ws[row]:
            cell.alignment = _WRAPPED
        ws.row_dimensions[row].height = HEADER_HEIGHT_PT


def align_number_headers(workbook: Workbook) -> None:
    """The header of each number column of the output tables is right-aligned, over its
    right-aligned numbers (a left header over a wide number column reads as the next
    column's)."""
    for table in layout.TABLES:
        if table.sheet in layout.INPUT_SHEETS or table.sheet not in workbook.sheetnames:
            continue
        ws = workbook[table.sheet]
        top, left = parse_cell(table.top_left)
        for j, column in enumerate(table.columns):
            if column.number_format not in (None, "@"):
                ws.cell(row=top, column=left + j).alignment = _NUMBER_HEADER


def apply_centered(ws: Worksheet) -> None:
    """Centre :data:`~icp_xl.workbook.layout.CENTERED_RANGES` and right-align
    :data:`~icp_xl.workbook.layout.RIGHT_ALIGNED_RANGES` (headers over numbers)."""
    aligned = [(r, _CENTERED) for r in layout.CENTERED_RANGES]
    aligned += [(r, _NUMBER_HEADER) for r in layout.RIGHT_ALIGNED_RANGES]
    for (sheet, ref), alignment in aligned:
        if sheet == ws.title:
            for row in ws[ref]:
                for cell in row:
                    cell.alignment = alignment


def input_style(workbook: Workbook) -> NamedStyle:
    """The workbook's input-cell style (yellow fill, thin border, dark blue text),
    registered once."""
    for style in workbook.named_styles:
        if getattr(style, "name", style) == layout.INPUT_STYLE:
            return layout.INPUT_STYLE  # type: ignore[return-value]
    side = Side(style="thin", color="BF8F00")
    style = NamedStyle(
        name=layout.INPUT_STYLE,
        fill=PatternFill("solid", start_color=layout.INPUT_FILL, end_color=layout.INPUT_FILL),
        border=Border(left=side, right=side, top=side, bottom=side),
        font=Font(name="Calibri", size=11, color="1F3864"),
    )
    workbook.add_named_style(style)
    return style


def mark_inputs(workbook: Workbook, names: tuple[str, ...]) -> None:
    """Give the cells of the defined ``names`` the input style, keeping their number format."""
    input_style(workbook)
    for name in names:
        defined = workbook.defined_names.get(name)
        if defined is None:
            continue
        for sheet, ref in defined.destinations:
            if sheet not in workbook.sheetnames:
                continue
            cell = workbook[sheet][ref.replace("$", "")]
            number_format = cell.number_format
            cell.style = layout.INPUT_STYLE
            cell.number_format = number_format
