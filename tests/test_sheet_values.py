"""SheetValues: calamine's cells as openpyxl reads them, read in the background and
released once a whole sheet has been read."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

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
        assert layout.ACCOUNTS in ahead
        assert (layout.SCORES in ahead) is rescoring
        values.close()
