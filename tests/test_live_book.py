"""XlwingsBook against the Book contract, through xlwings' real Range/converter code.

The workbook is a real ICP file made by FileBook; xlwings opens it in the
openpyxl-backed engine (tests/support/openpyxl_engine.py). Every check compares
the live adapter with FileBook on the same file, or reads the saved xlsx back.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
import xlwings as xw
from support.openpyxl_engine import active_engine, parse_typed

from icp_xl.core.errors import IcpError
from icp_xl.core.inputs.sample import make_sample_accounts
from icp_xl.hosts.file.book import FileBook
from icp_xl.hosts.xlwings_book import XlwingsBook, excel_input
from icp_xl.workbook import layout
from icp_xl.workbook.blocks import Block
from icp_xl.workbook.book import Book


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("live") / "template.xlsx"
    FileBook.new(make_sample_accounts(120, seed=5)).save(path)
    return path


@pytest.fixture
def live(workbook: Path) -> Iterator[XlwingsBook]:
    with active_engine():
        yield XlwingsBook(xw.Book(workbook))


def test_engine_parses_text_like_excel_typed_input() -> None:
    assert parse_typed("42") == 42.0
    assert parse_typed("5%") == pytest.approx(0.05)
    assert parse_typed("TRUE") is True
    assert parse_typed("=A1") == "=A1"
    assert parse_typed("'=A1") == "=A1"
    assert parse_typed("") is None
    assert parse_typed(3) == 3.0 and isinstance(parse_typed(3), float)


def test_excel_input_marks_text_and_blanks_missing_values() -> None:
    assert excel_input("00123") == "'00123"
    assert excel_input("") is None
    assert excel_input(float("nan")) is None
    assert excel_input(2) == 2


def test_adapter_satisfies_the_book_protocol(live: XlwingsBook) -> None:
    assert isinstance(live, Book)


def test_reads_match_filebook_on_the_same_file(live: XlwingsBook, workbook: Path) -> None:
    file = FileBook.open(workbook)
    assert live.sheet_names() == file.sheet_names() == list(layout.SHEET_NAMES)
    for table in layout.TABLES:
        assert live.locate(table.name) == file.locate(table.name)
        live_frame, file_frame = live.read_table(table.name), file.read_table(table.name)
        assert list(live_frame.columns) == list(file_frame.columns)
        assert live_frame.values.tolist() == file_frame.values.tolist()
    for named in layout.NAMES:
        assert live.locate(named.name) == file.locate(named.name)
        if not (isinstance(named.default, str) and named.default.startswith("=")):
            assert live.read_name(named.name) == file.read_name(named.name), named.name
    assert live.read_range("Settings", "A1:C30") == file.read_range("Settings", "A1:C30")


def test_a_few_columns_read_the_same_on_both_hosts(live: XlwingsBook, workbook: Path) -> None:
    file = FileBook.open(workbook)
    for table in (layout.ACCOUNTS_TABLE.name, layout.RUNS_TABLE.name):
        columns = list(file.read_table(table).columns)
        headers = [*columns[::3], "not a header"]
        live_frame = live.read_table_columns(table, headers)
        file_frame = file.read_table_columns(table, headers)
        assert list(live_frame.columns) == list(file_frame.columns) == columns[::3]
        assert live_frame.values.tolist() == file_frame.values.tolist()


def test_numbers_read_back_as_excel_doubles(live: XlwingsBook) -> None:
    live.set_name("Optimizer_Trials", 250)
    value = live.read_name("Optimizer_Trials")
    assert value == 250 and isinstance(value, float)


def test_write_block_keeps_text_as_text_and_lands_in_the_file(
    live: XlwingsBook, workbook: Path
) -> None:
    rows = [["=1+1", "00123", "TRUE", "'quoted"], [1, 2.5, None, True]]
    live.write_block(Block("Chart Data", "B3", rows))
    expected = [["=1+1", "00123", "TRUE", "'quoted"], [1.0, 2.5, None, True]]
    assert live.read_range("Chart Data", "B3:E4") == expected
    live.book.save()
    sheet = openpyxl.load_workbook(workbook)["Chart Data"]
    assert sheet["B3"].value == "=1+1" and sheet["B3"].data_type == "s"
    assert [sheet["C3"].value, sheet["D3"].value, sheet["E3"].value] == ["00123", "TRUE", "'quoted"]
    assert FileBook.open(workbook).read_range("Chart Data", "B3:E4") == expected


def test_write_table_grows_then_shrinks_in_place(live: XlwingsBook, workbook: Path) -> None:
    header = ["Industry", "Vertical score"]
    rows = [[f"industry {i}", i / 10] for i in range(8)]
    live.write_table("VerticalTable", header, rows)
    assert live.locate("VerticalTable").ref == "H4:I12"
    assert live.read_table("VerticalTable").values.tolist() == rows
    live.write_table("VerticalTable", ["Industry"], [[r[0]] for r in rows[:2]])
    assert live.locate("VerticalTable").ref == "H4:H6"
    assert live.read_range("Settings", "H4:I12") == (
        [["Industry", None], ["industry 0", None], ["industry 1", None]] + [[None, None]] * 6
    )
    live.book.save()
    table = openpyxl.load_workbook(workbook)["Settings"].tables["VerticalTable"]
    assert table.ref == "H4:H6"
    assert [c.name for c in table.tableColumns] == ["Industry"]


def test_empty_table_keeps_one_blank_body_row_and_reads_as_zero_rows(live: XlwingsBook) -> None:
    live.write_table("SizeTiers", list(layout.SIZE_TIERS_TABLE.header), [])
    assert live.locate("SizeTiers").ref == "D4:F5"
    assert live.read_table("SizeTiers").shape == (0, 3)


def test_set_name_and_clear_range(live: XlwingsBook) -> None:
    live.set_name("SegmentView", "Mid-Market")
    assert live.read_name("SegmentView") == "Mid-Market"
    live.write_block(Block("Dashboard", "A20", [[1, 2], [3, 4]]))
    live.clear_range("Dashboard", "A20:B21")
    assert live.read_range("Dashboard", "A20:B21") == [[None, None], [None, None]]


def test_status_goes_to_the_excel_status_bar(live: XlwingsBook) -> None:
    live.status("Scoring 120 accounts...")
    assert live.book.app.status_bar == "Scoring 120 accounts..."
    assert live.book.app.impl.status_history == ["Scoring 120 accounts..."]


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda b: b.read_range("Nope", "A1"), "no sheet 'Nope'"),
        (lambda b: b.read_name("Missing"), "no name called Missing"),
        (lambda b: b.read_table("MissingTable"), "no table called MissingTable"),
        (lambda b: b.locate("Missing"), "no name or table called Missing"),
        (lambda b: b.write_block(Block("Nope", "A1", [[1]])), "no sheet 'Nope'"),
    ],
)
def test_missing_parts_raise_one_sentence(live: XlwingsBook, call, fragment: str) -> None:
    with pytest.raises(IcpError, match=fragment):
        call(live)
