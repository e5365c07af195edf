"""Printed tables read right: headers over number columns are right-aligned over their
numbers, no Accounts header is cut, wide sheets print at a readable size, and the Movers
chart starts after the tables' columns in every application."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from icp_xl.core.inputs.sample import make_sample_accounts
from icp_xl.hosts.file.book import FileBook
from icp_xl.workbook import actions, layout

# Header rows of the fixed (non-table) blocks, by sheet.
BLOCK_HEADER_ROWS = {
    layout.ACCOUNT: (layout.ACCOUNT_COMPONENTS_HEADER_ROW,),
    layout.MOVERS: (5, 14, 27),
    layout.OPTIMIZATION: (3, 10, 24, 31, 39),
}


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workbook with every block filled: an optimization stored and previewed, and a
    second run with other weights (so Movers lists moves)."""
    path = tmp_path_factory.mktemp("print") / "ICP.xlsx"
    book = FileBook.new(make_sample_accounts(300, seed=4), status=lambda m: None)
    actions.rescore(book)
    actions.store_optimization(book, actions.optimize_book(book, n_trials=8, folds=2))
    book.set_name(layout.WEIGHT_NAMES["vertical"], 0.1)
    book.set_name(layout.WEIGHT_NAMES["adoption"], 0.4)
    actions.rescore(book)
    book.save(path)
    return path


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def test_headers_over_number_columns_are_right_aligned(printed: Path) -> None:
    wb = openpyxl.load_workbook(printed)
    checked, wrong = 0, []
    for sheet, rows in BLOCK_HEADER_ROWS.items():
        ws = wb[sheet]
        for row in rows:
            for header in ws[row]:
                if not isinstance(header.value, str):
                    continue
                below = []
                for r in range(row + 1, row + 30):
                    value = ws.cell(r, header.column).value
                    if value is None:
                        break
                    below.append(value)
                if below and all(_is_number(v) for v in below):
                    checked += 1
                    if header.alignment.horizontal != "right":
                        wrong.append(f"{sheet}!{header.coordinate} {header.value!r}")
    assert checked >= 30
    assert not wrong, wrong


def test_no_accounts_header_is_cut(printed: Path) -> None:
    """The Accounts header is the user's own, on one line: every column is as wide."""
    ws = openpyxl.load_workbook(printed)[layout.ACCOUNTS]
    short = [
        (cell.value, ws.column_dimensions[cell.column_letter].width)
        for cell in ws[1]
        if cell.value and ws.column_dimensions[cell.column_letter].width < len(str(cell.value))
    ]
    assert not short, short


def test_settings_and_scores_print_readable_over_several_pages(printed: Path) -> None:
    wb = openpyxl.load_workbook(printed)
    for sheet in (layout.SETTINGS, layout.SCORES):
        ws = wb[sheet]
        assert not ws.sheet_properties.pageSetUpPr.fitToPage, sheet  # not shrunk to a page
        assert ws.page_setup.scale >= 70, sheet
    scores = wb[layout.SCORES]
    assert scores.print_title_rows.replace("$", "") == "1:1"
    assert scores.print_title_cols.replace("$", "") == "A:B"


def test_movers_chart_starts_after_the_tables_columns(printed: Path) -> None:
    """Anchored to a cell right of the tables (not at a pixel position, which LibreOffice,
    drawing columns wider, put over the share table's last column)."""
    wb = openpyxl.load_workbook(printed)
    ws = wb[layout.MOVERS]
    last_table_column = max(
        cell.column for row in ws.iter_rows(min_row=1, max_row=40) for cell in row
        if cell.value is not None and cell.column < 27  # AA+: hidden helper columns
    )  # fmt: skip
    with zipfile.ZipFile(printed) as package:
        book_xml = package.read("xl/workbook.xml").decode()
        rid = re.search(rf'<sheet name="{layout.MOVERS}"[^>]*r:id="(rId\d+)"', book_xml).group(1)
        book_rels = package.read("xl/_rels/workbook.xml.rels").decode()
        sheet = re.search(rf'Id="{rid}"[^>]*Target="/?(?:xl/)?([^"]+)"', book_rels)
        sheet = sheet or re.search(rf'Target="/?(?:xl/)?([^"]+)"[^>]*Id="{rid}"', book_rels)
        folder, name = sheet.group(1).rsplit("/", 1)
        sheet_rels = package.read(f"xl/{folder}/_rels/{name}.rels").decode()
        drawing = re.search(r'Target="[^"]*drawings/(drawing\d+\.xml)"', sheet_rels).group(1)
        xml = package.read(f"xl/drawings/{drawing}").decode()
    assert "absoluteAnchor" not in xml
    column = int(re.search(r"<(?:xdr:)?from><(?:xdr:)?col>(\d+)</", xml).group(1))
    assert column + 1 > last_table_column + 1  # at least one empty column in between
