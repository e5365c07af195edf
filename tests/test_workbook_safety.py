"""Never lose the user's data: a headless rewrite keeps what the user added (every part
the product does not own is copied byte for byte), or refuses before writing anything.
One test per promise."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill

from icp_xl.cli import main
from icp_xl.core.errors import IcpError
from icp_xl.core.inputs.cells import column_letter
from icp_xl.core.inputs.sample import make_sample_accounts
from icp_xl.hosts.file.book import FileBook, foreign_content
from icp_xl.hosts.file.package_index import PackageIndex
from icp_xl.workbook import layout
from icp_xl.workbook.actions import rescore


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("safety") / "ICP.xlsx"
    FileBook.new(make_sample_accounts(150, seed=8), status=lambda m: None).save(path)
    return path


def _add_user_chart(path: Path, sheet: str) -> None:
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet] if sheet in wb.sheetnames else wb.create_sheet(sheet)
    for row in ([1], [2], [3]):
        ws.append(row)
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=1, min_row=1, max_row=3))
    ws.add_chart(chart, "H20")
    wb.save(path)


def _assert_refused(path: Path, fragment: str, capsys: pytest.CaptureFixture[str]) -> None:
    before = path.read_bytes()
    assert main(["rescore", str(path)]) == 1
    error = capsys.readouterr().err
    assert fragment in error and "nothing was written" in error, error
    assert path.read_bytes() == before


def test_user_sheet_values_formulas_comments_and_formats_survive(workbook: Path) -> None:
    wb = openpyxl.load_workbook(workbook)
    notes = wb.create_sheet("My notes")
    notes["A1"], notes["A2"], notes["A3"] = 10, 32, "=SUM(A1:A2)*Weights!B5"
    notes["B1"] = "keep me"
    notes["B1"].comment = Comment("my comment", "analyst")
    notes["B1"].font = Font(bold=True, color="FF0000")
    notes["B2"].fill = PatternFill("solid", start_color="FFFF00", end_color="FFFF00")
    notes["C1"].number_format = "0.000%"
    notes.merge_cells("D1:E2")
    notes.column_dimensions["B"].width = 33
    wb[layout.WEIGHTS]["E5"] = "why 0.3: board decision"
    wb[layout.WEIGHTS]["E5"].comment = Comment("ask Sam", "analyst")
    wb.save(workbook)

    assert main(["rescore", str(workbook)]) == 0

    wb = openpyxl.load_workbook(workbook)
    notes = wb["My notes"]
    assert wb.sheetnames == [*layout.SHEET_NAMES, "My notes"]
    assert (notes["A1"].value, notes["A2"].value) == (10, 32)
    assert notes["A3"].value == "=SUM(A1:A2)*Weights!B5"
    assert notes["B1"].value == "keep me"
    assert notes["B1"].comment.text == "my comment"
    assert notes["B1"].font.bold and notes["B1"].font.color.rgb.endswith("FF0000")
    assert notes["B2"].fill.start_color.rgb.endswith("FFFF00")
    assert notes["C1"].number_format == "0.000%"
    assert "D1:E2" in {str(r) for r in notes.merged_cells.ranges}
    assert notes.column_dimensions["B"].width == 33
    assert wb[layout.WEIGHTS]["E5"].value == "why 0.3: board decision"
    assert wb[layout.WEIGHTS]["E5"].comment.text == "ask Sam"


def test_accounts_are_never_rewritten(workbook: Path) -> None:
    def accounts(path: Path) -> list[tuple]:
        return list(openpyxl.load_workbook(path)[layout.ACCOUNTS].iter_rows(values_only=True))

    before = accounts(workbook)
    assert main(["rescore", str(workbook), "--segment", "mid_market"]) == 0
    assert accounts(workbook) == before


def test_a_chart_on_a_user_sheet_is_kept_byte_for_byte(workbook: Path) -> None:
    _add_user_chart(workbook, "My chart")
    assert foreign_content(workbook) == ["1 chart(s) of your own on sheet 'My chart'"]
    _assert_kept(workbook)


def test_an_extra_chart_on_the_dashboard_is_kept(workbook: Path) -> None:
    _add_user_chart(workbook, layout.DASHBOARD)
    _assert_kept(workbook)


def test_a_picture_is_kept(workbook: Path, tmp_path: Path) -> None:
    _add_user_chart(workbook, "Logo")  # the last sheet; its chart becomes a picture below
    with_picture = tmp_path / "picture.xlsx"
    with zipfile.ZipFile(workbook) as source, zipfile.ZipFile(with_picture, "w") as target:
        last_sheet = f"xl/worksheets/_rels/sheet{len(layout.SHEETS) + 1}.xml.rels"
        drawing = re.search(r'Target="/?(?:\.\./)?(?:xl/)?drawings/(drawing\d+\.xml)"',
                            source.read(last_sheet).decode()).group(1)  # fmt: skip
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == f"xl/drawings/{drawing}":
                data = _as_picture(data.decode()).encode()
            target.writestr(item, data)
    found = foreign_content(with_picture)
    assert found == ["1 picture(s) or shape(s) on sheet 'Logo'"]
    _assert_kept(with_picture)


def _as_picture(drawing: str) -> str:
    """Replace the chart frame of a one-chart drawing by a picture element."""
    frame = re.search(r"<(\w+:)?graphicFrame.*</(\w+:)?graphicFrame>", drawing, re.S)
    prefix = frame.group(1) or ""
    picture = (
        f'<{prefix}pic><{prefix}nvPicPr><{prefix}cNvPr id="2" name="Logo"/><{prefix}cNvPicPr/>'
        f"</{prefix}nvPicPr><{prefix}blipFill/><{prefix}spPr/></{prefix}pic>"
    )
    return drawing[: frame.start()] + picture + drawing[frame.end() :]


def test_a_pivot_table_is_kept(workbook: Path) -> None:
    with zipfile.ZipFile(workbook, "a") as package:
        package.writestr("xl/pivotTables/pivotTable1.xml", "<pivotTableDefinition/>")
    _assert_kept(workbook)


def test_a_deleted_output_sheet_is_not_rebuilt_over_content_openpyxl_drops(
    workbook: Path, capsys
) -> None:
    wb = openpyxl.load_workbook(workbook)
    wb.remove(wb[layout.SCORES])
    wb.save(workbook)
    _add_user_chart(workbook, "My chart")
    _assert_refused(
        workbook,
        "lacks sheet 'Scores', table ScoresTable, and re-creating it headless would lose "
        "1 chart(s) of your own on sheet 'My chart'",
        capsys,
    )


def _owned_parts(path: Path) -> set[str]:
    """Parts a rescore may change: the output sheets, the Scores table, styles, the
    workbook part (fullCalcOnLoad) and the calculation chain with its references."""
    with zipfile.ZipFile(path) as package:
        index = PackageIndex.read(package)
    owned = {part for sheet, part in index.sheets.items() if sheet not in layout.INPUT_SHEETS}
    owned |= {index.tables[t.name].part for t in layout.TABLES
              if t.sheet not in layout.INPUT_SHEETS}  # fmt: skip
    return owned | {"xl/styles.xml", "xl/workbook.xml", "xl/calcChain.xml",
                    "[Content_Types].xml", "xl/_rels/workbook.xml.rels"}  # fmt: skip


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as package:
        return {name: package.read(name) for name in package.namelist()}


def _assert_kept(path: Path) -> None:
    """Rescore succeeds, and every part the product does not own is byte-identical."""
    before = _members(path)
    assert main(["rescore", str(path)]) == 0
    after = _members(path)
    owned = _owned_parts(path)
    assert set(before) - {"xl/calcChain.xml"} == set(after) - {"xl/calcChain.xml"}
    changed = sorted(n for n in before if n in after and before[n] != after[n])
    assert [n for n in changed if n not in owned] == []


def test_our_own_charts_are_recreated_not_refused(workbook: Path) -> None:
    for _ in range(2):
        book = FileBook.open(workbook, status=lambda m: None)
        rescore(book)
        book.save()
    assert foreign_content(workbook) == []


def test_a_failed_save_leaves_the_file_and_folder_as_they_were(
    workbook: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = workbook.read_bytes()
    book = FileBook.open(workbook, status=lambda m: None)
    rescore(book)

    def broken_save(path: Path) -> None:
        Path(path).write_bytes(b"half a workbook")
        raise OSError("disk full")

    monkeypatch.setattr("icp_xl.hosts.file.book.write_package",
                        lambda source, path, *args: broken_save(path))  # fmt: skip
    with pytest.raises(IcpError, match=r"Cannot write .*ICP.xlsx: disk full"):
        book.save()
    assert workbook.read_bytes() == before
    assert [p.name for p in workbook.parent.iterdir()] == [workbook.name]


def test_missing_workbook_and_non_workbook_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(IcpError, match="Workbook not found"):
        FileBook.open(tmp_path / "nope.xlsx")
    bad = tmp_path / "bad.xlsx"
    bad.write_text("not a zip")
    with pytest.raises(IcpError, match="not an Excel workbook"):
        FileBook.open(bad)


@pytest.mark.parametrize("sheet", [layout.SCORES, layout.DASHBOARD])
def test_a_deleted_output_sheet_is_rebuilt(workbook: Path, sheet: str) -> None:
    wb = openpyxl.load_workbook(workbook)
    wb.remove(wb[sheet])
    wb.save(workbook)
    assert main(["rescore", str(workbook)]) == 0
    wb = openpyxl.load_workbook(workbook)
    assert wb.sheetnames == list(layout.SHEET_NAMES)
    scores = wb[layout.SCORES]
    last = column_letter(len(layout.SCORES_TABLE.columns))
    assert scores.tables[layout.SCORES_TABLE.name].ref == f"A1:{last}{150 + 1}"
    dashboard = wb[layout.DASHBOARD]
    assert dashboard[layout.SEGMENT_VIEW.ref].value == "All Segments"
    assert dashboard[f"B{layout.KPI_FIRST_ROW}"].value == 150


def _with_parts(path: Path, parts: dict[str, bytes], sheet_tail: bytes = b"") -> None:
    """Rewrite the package at ``path`` with extra ``parts`` and, when given, ``sheet_tail``
    inserted as the last element of the first worksheet (Accounts)."""
    with zipfile.ZipFile(path) as source:
        items = [(item, source.read(item.filename)) for item in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for item, data in items:
            if sheet_tail and item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</worksheet>", sheet_tail + b"</worksheet>")
            target.writestr(item, data)
        for name, data in parts.items():
            target.writestr(name, data)


_X14 = b'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"'
_XM = b'xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main"'
_SPARKLINES = (
    b'<extLst><ext uri="{05C60535-1F16-4fd2-B633-F4F36F0B64E0}" ' + _X14 + b" " + _XM + b">"
    b"<x14:sparklineGroups><x14:sparklineGroup><x14:sparklines><x14:sparkline>"
    b"<xm:f>Accounts!D2:M2</xm:f><xm:sqref>P2</xm:sqref></x14:sparkline></x14:sparklines>"
    b"</x14:sparklineGroup></x14:sparklineGroups></ext></extLst>"
)
_X14_VALIDATION = (
    b'<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" ' + _X14 + b" " + _XM + b">"
    b'<x14:dataValidations count="1"><x14:dataValidation type="list">'
    b"<x14:formula1><xm:f>'My lists'!$A$1:$A$5</xm:f></x14:formula1><xm:sqref>C2:C300</xm:sqref>"
    b"</x14:dataValidation></x14:dataValidations></ext></extLst>"
)
_X14_FORMATS = (
    b'<extLst><ext uri="{78C0D931-6437-407d-A8EE-F0AAD7539E65}" ' + _X14 + b" " + _XM + b">"
    b'<x14:conditionalFormattings><x14:conditionalFormatting><x14:cfRule type="dataBar" '
    b'id="{00000000-0000-0000-0000-000000000001}"><x14:dataBar/></x14:cfRule>'
    b"<xm:sqref>D2:D300</xm:sqref></x14:conditionalFormatting></x14:conditionalFormattings>"
    b"</ext></extLst>"
)
_MASHUP = '<?xml version="1.0" encoding="utf-16"?><DataMashup xmlns="http://schemas.microsoft.com/DataMashup">AAAA</DataMashup>'


@pytest.mark.parametrize(
    ("parts", "tail", "fragment"),
    [
        (
            {"xl/threadedComments/threadedComment1.xml": b"<ThreadedComments/>",
             "xl/persons/person.xml": b"<personList/>"},
            b"", "threaded comments",
        ),
        ({"xl/connections.xml": b"<connections/>"}, b"", "data connections"),
        ({"xl/queryTables/queryTable1.xml": b"<queryTable/>"}, b"", "query tables"),
        ({"customXml/item1.xml": _MASHUP.encode("utf-16")}, b"", "Power Query queries"),
        ({}, _SPARKLINES, "sparklines on sheet 'Accounts'"),
        ({}, _X14_VALIDATION, "Excel 2010 data validation on sheet 'Accounts'"),
        ({}, _X14_FORMATS, "Excel 2010 conditional formatting on sheet 'Accounts'"),
    ],
    ids=["threaded-comments", "connections", "query-tables", "power-query", "sparklines",
         "x14-validation", "x14-formatting"],
)  # fmt: skip
def test_content_openpyxl_drops_is_kept(
    workbook: Path, parts: dict[str, bytes], tail: bytes, fragment: str
) -> None:
    _with_parts(workbook, parts, tail)
    if tail:  # the premise: openpyxl drops a worksheet's extLst on a round trip
        with pytest.warns(UserWarning, match="extension is not supported and will be removed"):
            openpyxl.load_workbook(workbook)
    assert foreign_content(workbook) == [fragment]  # what a rebuild with openpyxl would lose
    _assert_kept(workbook)


def test_custom_xml_without_power_query_is_not_refused(workbook: Path) -> None:
    _with_parts(workbook, {"customXml/item1.xml": b"<metadata>DataMash</metadata>"})
    assert foreign_content(workbook) == []


def test_constant_formulas_in_inputs_become_their_values(workbook: Path) -> None:
    wb = openpyxl.load_workbook(workbook)
    wb[layout.SETTINGS]["B23"] = "=TRUE()"  # how LibreOffice saves a TRUE it was given
    wb[layout.WEIGHTS]["B5"] = "=0.3"
    wb[layout.SETTINGS]["B24"] = "=7"
    wb[layout.SETTINGS]["F5"] = "=0.25"  # a size score in the SizeTiers table
    wb.save(workbook)
    for _ in range(2):  # the second run reads what the first one saved
        assert main(["rescore", str(workbook)]) == 0
    wb = openpyxl.load_workbook(workbook)
    settings = wb[layout.SETTINGS]
    assert settings["B23"].value is True and wb[layout.WEIGHTS]["B5"].value == 0.3
    assert settings["B24"].value == 7 and settings["F5"].value == 0.25
    assert wb[layout.WEIGHTS]["B9"].value == "=SUM(B5:B8)"  # the layout's own formula stays


def _formulas_in_inputs(workbook: Path) -> None:
    """Formulas in Accounts!L2:L9 and Weights!B6, cells the actions read."""
    wb = openpyxl.load_workbook(workbook)
    accounts = wb[layout.ACCOUNTS]
    for row in range(2, 10):
        accounts[f"L{row}"] = f"=1000*{row}"
    wb[layout.WEIGHTS]["B6"] = "=1-B5-B7-B8"
    wb.save(workbook)


def test_other_formulas_in_cells_the_actions_read_are_refused(workbook: Path, capsys) -> None:
    _formulas_in_inputs(workbook)
    before = workbook.read_bytes()
    assert main(["rescore", str(workbook)]) == 1
    error = capsys.readouterr().err
    assert "Weights!B6, Accounts!L2, Accounts!L3, Accounts!L4, Accounts!L5 and 4 more" in error
    assert "a headless rewrite cannot keep formula results" in error
    assert "nothing was written" in error
    assert workbook.read_bytes() == before


def test_validate_lists_every_input_formula_cell_rescore_refuses(workbook: Path, capsys) -> None:
    _formulas_in_inputs(workbook)
    assert main(["validate", str(workbook)]) == 1
    out = capsys.readouterr().out
    listed = re.findall(r"^problem: (\S+) holds a formula", out, re.M)
    assert listed == ["Weights!B6", *(f"Accounts!L{row}" for row in range(2, 10))], out


def _set_name(path: Path, name: str, value: object) -> None:
    wb = openpyxl.load_workbook(path)
    sheet, cell = next(iter(wb.defined_names[name].destinations))
    wb[sheet][cell.replace("$", "")] = value
    wb.save(path)


@pytest.mark.parametrize("damage", ["scoring mode", "calibration", "extra columns"])
def test_validate_refuses_what_rescore_refuses(workbook: Path, damage: str, capsys) -> None:
    if damage == "scoring mode":
        _set_name(workbook, layout.SCORING_MODE.name, "Calibratd")
    elif damage == "calibration":  # Calibrated mode without a calibration
        _set_name(workbook, layout.SCORING_MODE.name, "Calibrated")
    else:
        _set_name(workbook, layout.EXTRA_COLUMNS_NAME, "Colour")
    assert main(["rescore", str(workbook)]) == 1
    refused = capsys.readouterr().err.strip().splitlines()[-1].removeprefix("icp-xl: error: ")
    assert main(["validate", str(workbook)]) == 1
    out = capsys.readouterr().out
    assert f"problem: {refused}" in out.splitlines(), (refused, out)


def test_saved_workbooks_ask_for_a_full_recalculation_on_open(workbook: Path) -> None:
    wb = openpyxl.load_workbook(workbook)
    wb.calculation.fullCalcOnLoad = False  # as LibreOffice and Excel save it
    wb.save(workbook)
    assert main(["rescore", str(workbook)]) == 0
    with zipfile.ZipFile(workbook) as package:
        calc = re.search(rb"<calcPr[^>]*>", package.read("xl/workbook.xml")).group(0)
    assert b'fullCalcOnLoad="1"' in calc


SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_a_libreoffice_saved_workbook_rescores_twice_or_names_its_formulas(
    workbook: Path, tmp_path: Path, capsys
) -> None:
    with_formula = tmp_path / "formula" / "ICP.xlsx"
    with_formula.parent.mkdir()
    wb = openpyxl.load_workbook(workbook)
    wb[layout.ACCOUNTS]["L2"] = "=1000+1"
    wb.save(with_formula)
    out, target = tmp_path / "lo", "xlsx:Calc MS Excel 2007 XML"
    for source in (workbook, with_formula):
        subprocess.run(
            [SOFFICE, "--headless", "--norestore", f"-env:UserInstallation={(out / 'p').as_uri()}",
             "--convert-to", target, "--outdir", str(out / source.parent.name), str(source)],
            check=True, capture_output=True, timeout=240,
        )  # fmt: skip
    clean, formula = out / workbook.parent.name / "ICP.xlsx", out / "formula" / "ICP.xlsx"
    for _ in range(2):
        assert main(["rescore", str(clean)]) == 0
    assert openpyxl.load_workbook(clean)[layout.SETTINGS]["B23"].value is True
    capsys.readouterr()
    _assert_refused(formula, "Accounts!L2 holds a formula", capsys)
