"""SheetValues: calamine's cells as openpyxl reads them, read in the background and
released once a whole sheet has been read."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from icp_xl.core.errors import IcpError
from icp_xl.hosts.file.sheet_values import SheetValues


@pytest.fixture
def package(tmp_path: Path) -> Path:
    path = tmp_path / "book.xlsx"
    wb = openpyxl.Workbook()
    sheet = wb.active
    sheet.title = "Data"
    for row in [["ID", "Score", "Note"], ["C1", 1.5, None], ["C2", 3.0, ""], ["C3", 2.25, "x"]]:
        sheet.append(row)
    wb.create_sheet("Other")["B2"] = "kept"
    wb.save(path)
    return path


def test_values_read_as_openpyxl_reads_them(package: Path) -> None:
    values = SheetValues(package)
    assert values.rectangle("Data", 1, 1, 5, 4) == [
        ["ID", "Score", "Note", None],
        ["C1", 1.5, None, None],
        ["C2", 3, None, None],  # a whole number is an int, blank text is None
        ["C3", 2.25, "x", None],
        [None, None, None, None],
    ]


def test_a_sheet_read_whole_is_released_and_read_again_when_asked(package: Path) -> None:
    values = SheetValues(package)
    whole = values.rectangle("Data", 1, 1, 4, 3)
    assert "Data" not in values._sheets  # released: a table read once keeps no cells
    assert values.rectangle("Data", 5, 1, 500, 3) == [[None] * 3] * 496  # below: no re-read
    assert "Data" not in values._sheets
    assert values.rectangle("Data", 1, 1, 4, 3) == whole  # read again from the package
    part = values.rectangle("Data", 2, 2, 3, 2)
    assert part == [[1.5], [3]] and "Data" in values._sheets  # a part read keeps them


def test_prefetched_sheets_read_the_same_and_damage_surfaces_on_use(package: Path) -> None:
    values = SheetValues(package, "book.xlsx")
    values.prefetch(["Other", "Missing", "Data"])
    assert values.rectangle("Other", 2, 2, 2, 2) == [["kept"]]
    assert values.rectangle("Data", 4, 1, 4, 3) == [["C3", 2.25, "x"]]
    with pytest.raises(IcpError, match="book.xlsx"):
        values.load("Missing")  # a sheet the package lacks fails when it is read
    values.close()


def test_only_a_rescore_reads_the_previous_scores_ahead(tmp_path: Path) -> None:
    """A long optimize opens the workbook too; it must not hold the Scores cells."""
    from icp_xl.core.inputs.sample import make_sample_accounts
    from icp_xl.hosts.file.book import FileBook
    from icp_xl.workbook import layout

    path = tmp_path / "ICP.xlsx"
    FileBook.new(make_sample_accounts(30, seed=2)).save(path)
    for rescoring in (False, True):
        values = FileBook.open(path, status=lambda message: None, rescoring=rescoring)._values
        ahead = set(values._pending) | set(values._sheets)
        assert layout.ACCOUNTS in ahead and layout.SCORES not in ahead  # no whole Scores
        tables = {sheet for sheet, _, _ in values._pending_tables}
        assert (layout.SCORES in tables) is rescoring  # only the history's columns
        values.close()


# ------------------------------------------------------------------ far cells (issue 23)


def _far_package(tmp_path: Path) -> Path:
    """Data!A1:C4 with dates and shared strings, and notes in XFD1 and XFD1048576."""
    from datetime import datetime

    path = tmp_path / "far.xlsx"
    wb = openpyxl.Workbook()
    sheet = wb.active
    sheet.title = "Data"
    for row in [["ID", "When", "Score"], ["C1", datetime(2024, 1, 2), 1.5], ["C2", None, 3]]:
        sheet.append(row)
    sheet["XFD1"] = "far right"
    sheet["XFD1048576"] = "last cell"
    wb.save(path)
    return path


def test_a_far_cell_is_measured_without_reading_the_grid(tmp_path: Path) -> None:
    import zipfile

    from icp_xl.hosts.file.sheet_reach import is_far_reaching, sheet_reach

    with zipfile.ZipFile(_far_package(tmp_path)) as package:
        reach = sheet_reach(package, "xl/worksheets/sheet1.xml")
    assert (reach.rows, reach.columns) == (1_048_576, 16_384) and is_far_reaching(reach)
    wb = openpyxl.Workbook()
    wb.active.append(["a", "b"])
    wb.save(tmp_path / "near.xlsx")
    with zipfile.ZipFile(tmp_path / "near.xlsx") as package:
        near = sheet_reach(package, "xl/worksheets/sheet1.xml")
    assert (near.rows, near.columns) == (1, 26) and not is_far_reaching(near)
    for cell, columns in (("AB7", 52), ("BA3", 53), ("AAC2", 705)):
        wb = openpyxl.Workbook()
        wb.active.append(["a", "b"])
        wb.active[cell] = "x"
        wb.active["AZ2"] = "in AA..AZ"
        wb.save(tmp_path / "wide.xlsx")
        with zipfile.ZipFile(tmp_path / "wide.xlsx") as package:
            wide = sheet_reach(package, "xl/worksheets/sheet1.xml")
        assert (wide.rows, wide.columns) == (int(cell.lstrip("ABCZ")), columns)


def test_a_sheet_with_a_far_cell_is_read_by_the_window_it_owns(tmp_path: Path) -> None:
    """Memory follows the data: the rows read are the owned ones (3 x 3), not the box of
    17 billion cells; values (dates, shared strings) read as from the whole sheet; a read
    beyond the window grows it, and the far cells are there when asked for."""
    from datetime import datetime

    values = SheetValues(
        _far_package(tmp_path),
        parts={"Data": "xl/worksheets/sheet1.xml"},
        owned={"Data": (3, 3)},
    )
    assert values.rectangle("Data", 1, 1, 3, 3) == [
        ["ID", "When", "Score"],
        ["C1", datetime(2024, 1, 2), 1.5],
        ["C2", None, 3],
    ]
    assert len(values._rows("Data")) == 3 and len(values._rows("Data")[0]) == 3
    assert values.rectangle("Data", 4, 1, 5, 4) == [[None] * 4, [None] * 4]
    assert values._windows["Data"][:2] == (5, 4)  # grown, still far from the box
    assert values.rectangle("Data", 1, 16_383, 1, 16_384) == [[None, "far right"]]
    values.close()


@given(
    st.lists(
        st.one_of(
            st.text(max_size=5),
            st.floats(allow_nan=True, allow_infinity=True),
            st.integers(-(2**60), 2**60).map(float),  # whole numbers, beyond 2**53 too
            st.integers(-(2**70), 2**70),
            st.booleans(),
            st.none(),
            st.dates(),
            st.datetimes(),
            st.times(),
        ),
        max_size=30,
    )
)
def test_a_row_of_cells_converts_as_each_cell_does(values: list) -> None:
    from icp_xl.hosts.file.sheet_values import cell, cell_row

    expected = [cell(v) for v in values]
    got = cell_row(values)
    assert [type(v) for v in got] == [type(v) for v in expected]
    assert [repr(v) for v in got] == [repr(v) for v in expected]  # NaN, -0.0 alike
