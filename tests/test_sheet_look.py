"""Column widths follow what each save writes (the package host rewrites only sheetData,
so widths fitted when the sheet was built would go stale); header heights never change
(charts sit at fixed positions below them)."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from icp_xl.core.inputs.sample import make_sample_accounts
from icp_xl.hosts.file.book import FileBook
from icp_xl.hosts.file.looks import HEADER_HEIGHT_PT
from icp_xl.hosts.file.sheet_look import with_column_widths
from icp_xl.workbook import actions, layout
from icp_xl.workbook.actions.accounts_import import import_accounts


def test_widths_split_a_shared_col_span_and_keep_its_style() -> None:
    prefix = (
        b'<worksheet><sheetViews/><cols><col min="1" max="4" width="9" style="3" '
        b'customWidth="1"/><col min="6" max="6" width="30" hidden="1"/></cols><sheetData>'
    )
    out = with_column_widths(prefix, {2: 21.5, 8: 10.0}, "")
    assert out.startswith(b"<worksheet><sheetViews/><cols>") and out.endswith(b"<sheetData>")
    assert b'<col min="1" max="1" width="9" style="3" customWidth="1"/>' in out
    assert b'<col min="2" max="2" width="21.5" style="3" customWidth="1"/>' in out
    assert b'<col min="3" max="4" width="9" style="3" customWidth="1"/>' in out
    assert b'<col min="6" max="6" width="30" hidden="1"/>' in out  # not fitted: as it was
    assert b'<col min="8" max="8" width="10.0" customWidth="1"/>' in out
    order = [out.index(f'min="{n}"'.encode()) for n in (1, 2, 3, 6, 8)]
    assert order == sorted(order)


def test_a_cols_element_is_created_before_sheet_data() -> None:
    prefix = b'<x:worksheet><x:sheetFormatPr defaultRowHeight="15"/><x:sheetData>'
    out = with_column_widths(prefix, {1: 12.0}, "x:")
    assert out == (
        b'<x:worksheet><x:sheetFormatPr defaultRowHeight="15"/><x:cols>'
        b'<x:col min="1" max="1" width="12.0" customWidth="1"/></x:cols><x:sheetData>'
    )


def test_rescore_after_an_import_of_long_ids_widens_the_id_columns(tmp_path: Path) -> None:
    path = tmp_path / "ICP.xlsx"
    book = FileBook.new(make_sample_accounts(60, seed=1))
    actions.rescore(book)
    book.save(path)
    narrow = openpyxl.load_workbook(path)[layout.SCORES].column_dimensions["A"].width

    accounts = make_sample_accounts(60, seed=1)
    accounts["Customer ID"] = [f"0015g00000AbCdE{i:03d}" for i in range(60)]  # 18-char CRM IDs
    crm = tmp_path / "crm.csv"
    accounts.to_csv(crm, index=False)
    book = FileBook.open(path, status=lambda message: None)
    import_accounts(book, crm, replace_all=True)  # every ID changes
    book.save()

    wb = openpyxl.load_workbook(path)
    scores, top = wb[layout.SCORES], wb[layout.TOP_CUSTOMERS]
    assert narrow < 12 <= scores.column_dimensions["A"].width
    assert scores.column_dimensions["A"].width >= len("0015g00000AbCdE000")
    assert top.column_dimensions["B"].width >= len("0015g00000AbCdE000")
    assert wb[layout.ACCOUNTS].column_dimensions["A"].width >= len("0015g00000AbCdE000")
    header_row = layout.fitted_header_row(layout.SHEETS_BY_NAME[layout.SCORES])
    assert scores.row_dimensions[header_row].height == HEADER_HEIGHT_PT


def test_header_heights_stay_as_built_so_charts_keep_clear_of_the_cells(tmp_path: Path) -> None:
    path = tmp_path / "ICP.xlsx"
    FileBook.new(make_sample_accounts(40, seed=2)).save(path)
    built = openpyxl.load_workbook(path)
    heights = {ws.title: dict(ws.row_dimensions.items()) for ws in built.worksheets}
    book = FileBook.open(path, status=lambda message: None)
    actions.rescore(book)
    book.save()
    for ws in openpyxl.load_workbook(path).worksheets:
        for row, dimension in ws.row_dimensions.items():
            if row in heights[ws.title]:
                assert dimension.height == heights[ws.title][row].height, (ws.title, row)


def test_live_excel_fits_the_same_widths_as_the_file_host(tmp_path: Path) -> None:
    """Import writes 18-character CRM IDs; in live Excel (xlwings' Range.column_width) the
    fitted sheets' columns get the widths the file host writes into the file."""
    from support.hosts import file_host, live_host

    template = tmp_path / "ICP.xlsx"
    book = FileBook.new(make_sample_accounts(60, seed=1))
    actions.rescore(book)
    book.save(template)
    accounts = make_sample_accounts(60, seed=1)
    accounts["Customer ID"] = [f"0015g00000AbCdE{i:03d}" for i in range(60)]
    crm = tmp_path / "crm.csv"
    accounts.to_csv(crm, index=False)
    widths = []
    for host in (file_host, live_host):
        path = tmp_path / f"{host.__name__}.xlsx"
        path.write_bytes(template.read_bytes())
        with host(path) as target:
            import_accounts(target, crm, replace_all=True)
        wb = openpyxl.load_workbook(path)
        widths.append(
            {
                (spec.name, letter): wb[spec.name].column_dimensions[letter].width
                for spec in layout.SHEETS
                if layout.fitted_header_row(spec) is not None
                for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
            }
        )
    file_widths, live_widths = widths
    assert file_widths == live_widths
    assert live_widths[(layout.SCORES, "A")] >= len("0015g00000AbCdE000")
