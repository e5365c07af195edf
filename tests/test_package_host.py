"""The file host writes only what the product owns: a workbook whose user sheets hold a
picture, a chart, a pivot table over ScoresTable, a form control, a note and a formula
(made with openpyxl, and the same saved by LibreOffice) goes through rescore, import and
optimize --apply; every part that is not ours stays byte for byte, the outputs are the
ones a workbook without that content gets, and LibreOffice opens and recalculates it."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import zipfile
import zlib
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from support.outputs import output_snapshot

from icp_xl.cli import main
from icp_xl.core.inputs.cells import column_letter
from icp_xl.core.inputs.sample import make_sample_accounts
from icp_xl.hosts.file.book import FileBook
from icp_xl.hosts.file.package_index import PackageIndex
from icp_xl.workbook import actions, layout

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
USER_SHEET = "My pipeline"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PIVOT_TYPES = {
    "/xl/pivotCache/pivotCacheDefinition1.xml": "pivotCacheDefinition",
    "/xl/pivotCache/pivotCacheRecords1.xml": "pivotCacheRecords",
    "/xl/pivotTables/pivotTable1.xml": "pivotTable",
}


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("plain") / "ICP.xlsx"
    FileBook.new(make_sample_accounts(150, seed=21), status=lambda m: None).save(path)
    return path


@pytest.fixture(scope="module")
def with_content(plain: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``plain`` with a user sheet holding a formula, a note, a chart, a picture, a pivot
    table over ScoresTable and a form control."""
    path = tmp_path_factory.mktemp("content") / "ICP.xlsx"
    wb = openpyxl.load_workbook(plain)
    ws = wb.create_sheet(USER_SHEET)
    ws["A1"], ws["B1"] = "Total ICP score", "=SUM(Scores!J2:J1000)"
    ws["A2"], ws["B2"] = "Weights sum", "=SUM(Weights!B5:B8)"
    ws["A1"].comment = Comment("ask the sales lead", "analyst")
    for row in ([1], [2], [3]):
        ws.append(row)
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=1, min_row=3, max_row=5))
    ws.add_chart(chart, "D8")
    wb.save(path)
    _add_picture_pivot_and_control(path)
    return path


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def _add_picture_pivot_and_control(path: Path) -> None:
    with zipfile.ZipFile(path) as source:
        index = PackageIndex.read(source)
        members = {i.filename: source.read(i.filename) for i in source.infolist()}
    sheet = index.sheets[USER_SHEET]
    folder, name = sheet.rsplit("/", 1)
    sheet_rels = f"{folder}/_rels/{name}.rels"
    drawing = (
        "xl/"
        + re.search(
            rb'Target="/?(?:\.\./)?(?:xl/)?(drawings/drawing\d+\.xml)"', members[sheet_rels]
        )
        .group(1)
        .decode()
    )
    drawing_rels = drawing.replace("drawings/", "drawings/_rels/") + ".rels"
    xdr = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
    a = "http://schemas.openxmlformats.org/drawingml/2006/main"
    picture = (
        f'<xdr:oneCellAnchor xmlns:xdr="{xdr}" xmlns:a="{a}" xmlns:r="{REL}">'
        "<xdr:from><xdr:col>0</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>8</xdr:row>"
        '<xdr:rowOff>0</xdr:rowOff></xdr:from><xdr:ext cx="952500" cy="952500"/>'
        '<xdr:pic><xdr:nvPicPr><xdr:cNvPr id="9" name="Logo"/><xdr:cNvPicPr/></xdr:nvPicPr>'
        '<xdr:blipFill><a:blip r:embed="rIdLogo"/><a:stretch><a:fillRect/></a:stretch>'
        '</xdr:blipFill><xdr:spPr><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></xdr:spPr>'
        "</xdr:pic><xdr:clientData/></xdr:oneCellAnchor>"
    )
    text = members[drawing].decode()
    end = re.search(r"</(\w+:)?wsDr>", text)
    members[drawing] = (text[: end.start()] + picture + text[end.start() :]).encode()
    members["xl/media/image1.png"] = _png()
    members[drawing_rels] = members[drawing_rels].replace(
        b"</Relationships>",
        f'<Relationship Id="rIdLogo" Type="{REL}/image" Target="../media/image1.png"/>'
        "</Relationships>".encode(),
    )
    members["xl/pivotCache/pivotCacheDefinition1.xml"] = (
        f'<pivotCacheDefinition xmlns="{MAIN}" xmlns:r="{REL}" r:id="rId1" '
        'refreshOnLoad="1" recordCount="0"><cacheSource type="worksheet">'
        '<worksheetSource name="ScoresTable"/></cacheSource><cacheFields count="1">'
        '<cacheField name="Grade" numFmtId="0"><sharedItems/></cacheField></cacheFields>'
        "</pivotCacheDefinition>"
    ).encode()
    members["xl/pivotCache/_rels/pivotCacheDefinition1.xml.rels"] = _rels(
        f"{REL}/pivotCacheRecords", "pivotCacheRecords1.xml"
    )
    members["xl/pivotCache/pivotCacheRecords1.xml"] = (
        f'<pivotCacheRecords xmlns="{MAIN}" count="0"/>'
    ).encode()
    members["xl/pivotTables/pivotTable1.xml"] = (
        f'<pivotTableDefinition xmlns="{MAIN}" name="GradePivot" cacheId="1" '
        'dataCaption="Values" updatedVersion="6" minRefreshableVersion="3" createdVersion="6">'
        '<location ref="F1:F2" firstHeaderRow="1" firstDataRow="1" firstDataCol="0"/>'
        '<pivotFields count="1"><pivotField showAll="0"/></pivotFields></pivotTableDefinition>'
    ).encode()
    members["xl/pivotTables/_rels/pivotTable1.xml.rels"] = _rels(
        f"{REL}/pivotCacheDefinition", "../pivotCache/pivotCacheDefinition1.xml"
    )
    members["xl/ctrlProps/ctrlProp1.xml"] = (
        b'<formControlPr xmlns="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main" '
        b'objectType="CheckBox" checked="Checked"/>'
    )
    members[sheet_rels] = members[sheet_rels].replace(
        b"</Relationships>",
        (
            f'<Relationship Id="rIdPivot" Type="{REL}/pivotTable" '
            'Target="../pivotTables/pivotTable1.xml"/>'
            f'<Relationship Id="rIdCtrl" Type="{REL}/ctrlProp" '
            'Target="../ctrlProps/ctrlProp1.xml"/></Relationships>'
        ).encode(),
    )
    rels = "xl/_rels/workbook.xml.rels"
    members[rels] = members[rels].replace(
        b"</Relationships>",
        f'<Relationship Id="rIdCache" Type="{REL}/pivotCacheDefinition" '
        'Target="pivotCache/pivotCacheDefinition1.xml"/></Relationships>'.encode(),
    )
    workbook = members["xl/workbook.xml"].decode()
    calc = re.search(r"<calcPr\b[^>]*/>", workbook)
    members["xl/workbook.xml"] = (
        workbook[: calc.end()]
        + '<pivotCaches><pivotCache cacheId="1" r:id="rIdCache"/></pivotCaches>'
        + workbook[calc.end() :]
    ).encode()
    types = members["[Content_Types].xml"].decode()
    overrides = "".join(
        f'<Override PartName="{part}" ContentType="application/vnd.openxmlformats-officedocument.'
        f'spreadsheetml.{kind}+xml"/>'
        for part, kind in _PIVOT_TYPES.items()
    )
    overrides += (
        '<Override PartName="/xl/ctrlProps/ctrlProp1.xml" '
        'ContentType="application/vnd.ms-excel.controlproperties+xml"/>'
    )
    if 'Extension="png"' not in types:
        overrides += '<Default Extension="png" ContentType="image/png"/>'
    members["[Content_Types].xml"] = types.replace("</Types>", overrides + "</Types>").encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for member, data in members.items():
            target.writestr(member, data)


def _rels(kind: str, target: str) -> bytes:
    return (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{kind}" Target="{target}"/></Relationships>'
    ).encode()


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as package:
        return {name: package.read(name) for name in package.namelist()}


def _owned(path: Path, sheets: set[str], tables: set[str]) -> set[str]:
    with zipfile.ZipFile(path) as package:
        index = PackageIndex.read(package)
    outputs = {
        s for s in index.sheets if s in layout.SHEETS_BY_NAME and s not in layout.INPUT_SHEETS
    }
    owned = {index.sheets[s] for s in outputs | sheets}
    ours = {t.name for t in layout.TABLES if t.sheet not in layout.INPUT_SHEETS}
    owned |= {index.tables[t].part for t in tables | ours}
    return owned | {"xl/styles.xml", "xl/workbook.xml"}


ACTIONS = {
    "rescore": (["rescore"], set(), set()),
    "import": (["import", "{csv}"], {layout.ACCOUNTS}, {layout.ACCOUNTS_TABLE.name}),
    "optimize": (
        ["optimize", "--trials", "4", "--apply", "--seed", "3"],
        {layout.WEIGHTS},
        set(),
    ),
}


def _run(path: Path, action: str, csv: Path) -> None:
    args, _, _ = ACTIONS[action]
    if action == "import":  # the ribbon's Import accounts (no CLI command on this branch)
        book = FileBook.open(path, status=lambda m: None)
        actions.import_accounts(book, csv)
        book.save()
        return
    assert main([args[0], str(path), *args[1:]]) == 0


@pytest.fixture(scope="module")
def accounts_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("import") / "accounts.csv"
    make_sample_accounts(120, seed=4).to_csv(path, index=False)
    return path


@pytest.mark.parametrize("action", list(ACTIONS))
def test_parts_not_ours_stay_byte_for_byte_and_outputs_match(
    plain: Path, with_content: Path, tmp_path: Path, accounts_file: Path, action: str
) -> None:
    ours, theirs = tmp_path / "plain.xlsx", tmp_path / "content.xlsx"
    shutil.copyfile(plain, ours)
    shutil.copyfile(with_content, theirs)
    before = _members(theirs)
    _run(ours, action, accounts_file)
    _run(theirs, action, accounts_file)
    after = _members(theirs)
    _, sheets, tables = ACTIONS[action]
    owned = _owned(theirs, sheets, tables)
    assert set(after) == set(before)
    changed = sorted(n for n in before if before[n] != after[n] and n not in owned)
    assert changed == [], [(n, before[n][:600], after[n][:600]) for n in changed]
    mine, other = output_snapshot(ours), output_snapshot(theirs)
    assert mine["tables"] == other["tables"]
    assert mine["names"] == other["names"]
    if action != "optimize":  # the optimizer's run time and timestamps differ between runs
        assert mine["cells"] == other["cells"]


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_a_libreoffice_saved_workbook_keeps_its_parts_and_recalculates(
    with_content: Path, tmp_path: Path
) -> None:
    saved_by_lo = _convert(with_content, tmp_path / "lo")
    before = _members(saved_by_lo)
    assert main(["rescore", str(saved_by_lo)]) == 0
    after = _members(saved_by_lo)
    # LibreOffice saves the typed TRUE of Optimizer_IncludeSize as =TRUE(); the host writes
    # its value there (a constant formula in an input cell), so Settings changes too.
    owned = _owned(saved_by_lo, {layout.SETTINGS}, set()) | {"xl/calcChain.xml"}
    assert set(before) - {"xl/calcChain.xml"} == set(after) - {"xl/calcChain.xml"}
    assert (
        sorted(n for n in before if n in after and before[n] != after[n] and n not in owned) == []
    )
    recalculated = _convert(saved_by_lo, tmp_path / "again")  # LibreOffice opens the result
    wb = openpyxl.load_workbook(recalculated, data_only=True)
    assert wb[layout.WEIGHTS][layout.W_SUM.ref].value == pytest.approx(1.0)  # recalculated
    assert wb[layout.WEIGHTS][layout.W_STATUS.ref].value == "OK"
    assert openpyxl.load_workbook(recalculated)[USER_SHEET]["B1"].value == "=SUM(Scores!J2:J1000)"
    scores = openpyxl.load_workbook(saved_by_lo)[layout.SCORES]
    last = column_letter(len(layout.SCORES_TABLE.columns))
    assert scores.tables[layout.SCORES_TABLE.name].ref == f"A1:{last}151"


def _convert(source: Path, folder: Path) -> Path:
    folder.mkdir()
    subprocess.run(
        [SOFFICE, "--headless", "--norestore", f"-env:UserInstallation={(folder / 'p').as_uri()}",
         "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(folder), str(source)],
        check=True, capture_output=True, timeout=240,
    )  # fmt: skip
    return folder / source.name


def test_a_rescore_never_loads_openpyxl(tmp_path: Path) -> None:
    import sys

    path = tmp_path / "ICP.xlsx"
    FileBook.new(make_sample_accounts(50, seed=3)).save(path)
    script = (
        "import sys; from icp_xl.cli import main; "
        f"code = main(['rescore', {str(path)!r}]); "
        "print(code, 'openpyxl' in sys.modules)"
    )
    repo = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=repo, check=True)  # fmt: skip
    assert done.stdout.split()[-2:] == ["0", "False"], done.stderr


@given(st.binary(max_size=80) | st.text(alphabet='<:f />x"=t', max_size=80).map(str.encode))
def test_the_quick_formula_check_never_misses_a_formula_element(text: bytes) -> None:
    from icp_xl.hosts.file.formula_cells import _FORMULA, _may_hold_formula

    if _FORMULA.search(text):
        assert _may_hold_formula(text)


def test_a_resized_table_keeps_its_columns_by_name_and_filters_without_its_total_row() -> None:
    from icp_xl.hosts.file.cell_xml import Formula, cell_xml
    from icp_xl.hosts.file.table_xml import resized_table

    part = (
        '<table ref="A1:C4" totalsRowCount="1"><autoFilter ref="A1:C3"/>'
        '<tableColumns count="3"><tableColumn id="1" name="ID" totalsRowLabel="Total"/>'
        '<tableColumn id="2" name="Revenue" totalsRowFunction="sum"/>'
        '<tableColumn id="3" name="Old"/></tableColumns></table>'
    )
    resized = resized_table(part, "A1:C11", ["Revenue", "New", "ID"], totals=1)
    assert '<table ref="A1:C11"' in resized and '<autoFilter ref="A1:C10"/>' in resized
    assert re.findall(r"<tableColumn [^>]*>", resized) == [
        '<tableColumn id="2" name="Revenue" totalsRowFunction="sum"/>',
        '<tableColumn id="4" name="New"/>',
        '<tableColumn id="1" name="ID" totalsRowLabel="Total"/>',
    ]
    moved = Formula("SUBTOTAL(109,T[Revenue])", 1234.5)
    assert cell_xml("B11", moved, 3) == (
        '<c r="B11" s="3"><f>SUBTOTAL(109,T[Revenue])</f><v>1234.5</v></c>'
    )


def test_newer_functions_get_the_prefix_excel_saves_them_with() -> None:
    """SORTBY and friends are stored as _xlfn.X; FILTER and SORT as _xlfn._xlws.X (with
    _xlfn.SORT, LibreOffice computed nothing); a prefixed formula is not prefixed twice."""
    from icp_xl.hosts.file.cell_xml import file_formula

    typed = "=SUM(SORT(A1:A3))+SUM(FILTER(A1:A3,A1:A3>1))+XMATCH(2,SORTBY(A1:A3,A1:A3))"
    stored = "SUM(_xlfn._xlws.SORT(A1:A3))+SUM(_xlfn._xlws.FILTER(A1:A3,A1:A3>1))+" + (
        "_xlfn.XMATCH(2,_xlfn.SORTBY(A1:A3,A1:A3))"
    )
    assert file_formula(typed) == stored
    assert file_formula("=" + stored) == stored


@pytest.mark.parametrize("engine", ["isal", "zlib"])
@given(pieces=st.lists(st.binary(max_size=3000), max_size=8), repeat=st.integers(1, 400))
def test_a_rewritten_part_is_deflated_to_what_zip_readers_inflate(
    engine: str, pieces: list[bytes], repeat: int
) -> None:
    """Either engine (ISA-L, or zlib where isal is not installed) writes raw deflate that
    zlib inflates back, with the CRC-32 and size a zip directory records."""
    import io

    from isal import isal_zlib

    from icp_xl.hosts.file.deflate import Deflater

    data = b"".join(pieces) + b'<c r="A1"><v>1</v></c>' * repeat
    target = io.BytesIO()
    deflater = Deflater(target, isal_zlib if engine == "isal" else zlib)
    for piece in [*pieces, b'<c r="A1"><v>1</v></c>' * repeat]:
        deflater.write(piece)
    deflater.finish()
    assert zlib.decompress(target.getvalue(), -15) == data
    assert (deflater.crc, deflater.size) == (zlib.crc32(data), len(data))


def test_a_saved_package_passes_the_zip_checks_of_its_readers(tmp_path: Path) -> None:
    """Every member of a rescored workbook inflates to its recorded CRC (zipfile's test),
    the rewritten ones in the compact form ISA-L writes."""
    accounts, book = tmp_path / "a.csv", tmp_path / "ICP.xlsx"
    make_sample_accounts(300, seed=5).to_csv(accounts, index=False)
    assert main(["new", str(accounts), "-o", str(book)]) == 0
    before = zipfile.ZipFile(book).getinfo("xl/worksheets/sheet4.xml")
    assert main(["rescore", str(book)]) == 0
    with zipfile.ZipFile(book) as package:
        assert package.testzip() is None
        after = package.getinfo("xl/worksheets/sheet4.xml")
    assert after.compress_type == zipfile.ZIP_DEFLATED and after.CRC != before.CRC
    assert openpyxl.load_workbook(book, read_only=True)["Scores"]["A2"].value is not None


def test_isal_deflates_where_it_is_installed() -> None:
    from icp_xl.hosts.file import deflate

    assert deflate.ENGINE.__name__ == "isal.isal_zlib"  # a dependency: the fast engine
