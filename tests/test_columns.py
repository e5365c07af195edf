"""The file host in columns: tables read a few columns at a time from the sheet XML or
calamine's cells, and table bodies written a column block at a time, with the same values
and bytes as the row-by-row paths."""

from __future__ import annotations

import re
import zipfile
from datetime import datetime
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from icp_xl.core.inputs.sample import make_sample_accounts
from icp_xl.hosts.file import column_reader, sheet_values
from icp_xl.hosts.file.book import FileBook
from icp_xl.hosts.file.column_reader import read_columns
from icp_xl.hosts.file.sheet_values import SheetValues
from icp_xl.hosts.file.styles_xml import StyleSheet
from icp_xl.workbook import layout
from icp_xl.workbook.actions import rescore
from icp_xl.workbook.actions.history import PREVIOUS_RUN_HEADERS
from icp_xl.workbook.blocks import Formula
from icp_xl.workbook.columns import ColumnRows


def _quiet(message: str) -> None:
    pass


@pytest.fixture(scope="module")
def rescored(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An ICP workbook written by this host and rescored once (Scores as it writes them)."""
    path = tmp_path_factory.mktemp("columns") / "ICP.xlsx"
    FileBook.new(make_sample_accounts(300, seed=11), _quiet).save(path)
    book = FileBook.open(path, status=_quiet)
    rescore(book)
    book.save()
    return path


def _scores(path: Path) -> tuple[str, tuple[int, int, int, int]]:
    book = FileBook.open(path, for_writing=False, status=_quiet)
    return book._index.sheets[layout.SCORES], book._table_body(layout.SCORES_TABLE.name)


def test_the_xml_reader_reads_what_calamine_reads(rescored: Path) -> None:
    part, ref = _scores(rescored)
    with zipfile.ZipFile(rescored) as package:
        styles = StyleSheet(package.read("xl/styles.xml").decode())
        from_xml = read_columns(package, part, styles, ref, None)
    calamine = SheetValues(rescored).table_columns(layout.SCORES, ref, None)  # no parts: calamine
    assert from_xml is not None and [name for name, _ in from_xml] == list(
        layout.SCORES_TABLE.header
    )
    assert from_xml == calamine
    assert [type(v) for v in from_xml[0][1][:3]] == [str] * 3


@pytest.mark.parametrize(
    "cell",
    [
        '<c r="A2" t="s"><v>0</v></c>',  # a shared string, as Excel saves text
        '<c r="A2" t="inlineStr"><is><r><t>C</t></r><r><t>1</t></r></is></c>',  # rich text
        '<c r="A2" t="e"><v>#N/A</v></c>',  # an error
        '<c t="inlineStr"><is><t>C1</t></is></c>',  # no address: read by position
        '<c s="0" r="A2" t="inlineStr"><is><t>C1</t></is></c>',  # the address not first
        '<c r="A2" s="1"><v>45000</v></c>',  # a date (style 1 shows a date)
    ],
)
def test_the_xml_reader_leaves_other_cells_to_calamine(tmp_path: Path, cell: str) -> None:
    path = tmp_path / "other.zip"
    sheet = (
        '<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>ID</t></is></c></row>'
        f'<row r="2">{cell}</row></sheetData></worksheet>'
    )
    with zipfile.ZipFile(path, "w") as package:
        package.writestr("sheet.xml", sheet)
    styles = StyleSheet(
        '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14"/></cellXfs></styleSheet>'
    )
    with zipfile.ZipFile(path) as package:
        assert read_columns(package, "sheet.xml", styles, (1, 1, 2, 1), None) is None
        plain = sheet.replace(cell, '<c r="A2" t="inlineStr"><is><t>C1</t></is></c>')
    with zipfile.ZipFile(path, "w") as package:
        package.writestr("sheet.xml", plain)
    with zipfile.ZipFile(path) as package:
        assert read_columns(package, "sheet.xml", styles, (1, 1, 2, 1), None) == [("ID", ["C1"])]


@pytest.mark.parametrize("row", [3, 19_000])  # in the first megabyte read, in the second
def test_a_cell_without_an_address_in_the_body_is_left_to_calamine(
    tmp_path: Path, row: int
) -> None:
    """Found by the body's own pattern, once the header row has been read."""
    rows = "".join(
        f'<row r="{n}"><c r="A{n}"><v>{n}</v></c><c r="B{n}"><v>1</v></c></row>'
        for n in range(2, 20_002)
    )
    odd = f'<row r="{row}"><c r="A{row}"><v>{row}</v></c><c><v>1</v></c></row>'
    sheet = (
        '<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>N</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>M</t></is></c></row>'
        + rows.replace(
            f'<row r="{row}"><c r="A{row}"><v>{row}</v></c><c r="B{row}"><v>1</v></c></row>', odd
        )
        + "</sheetData></worksheet>"
    )
    path = tmp_path / "unaddressed.zip"
    with zipfile.ZipFile(path, "w") as package:
        package.writestr("sheet.xml", sheet)
    with zipfile.ZipFile(path) as package:
        assert read_columns(package, "sheet.xml", None, (1, 1, 20_001, 2), ["N"]) is None
        whole = sheet.replace(odd, odd.replace("<c><v>", f'<c r="B{row}"><v>'))
    with zipfile.ZipFile(path, "w") as package:
        package.writestr("sheet.xml", whole)
    with zipfile.ZipFile(path) as package:
        found = read_columns(package, "sheet.xml", None, (1, 1, 20_001, 2), ["N"])
    assert found == [("N", list(range(2, 20_002)))]


def test_a_table_the_xml_reader_leaves_is_read_by_calamine(tmp_path: Path) -> None:
    path = tmp_path / "dates.xlsx"
    wb = openpyxl.Workbook()
    for row in [["ID", "When", "Score"], ["C1", datetime(2024, 5, 6), 2], ["C2", None, 3]]:
        wb.active.append(row)
    wb.save(path)
    values = SheetValues(path, parts={"Sheet": "xl/worksheets/sheet1.xml"})
    assert values.table_columns("Sheet", (1, 1, 3, 3), ["When", "ID"]) == [
        ("ID", ["C1", "C2"]),
        ("When", [datetime(2024, 5, 6), None]),
    ]


def test_a_few_columns_read_as_the_whole_table_has_them(rescored: Path) -> None:
    book = FileBook.open(rescored, status=_quiet, rescoring=True)  # read ahead from the XML
    few = book.read_table_columns(layout.SCORES_TABLE.name, [*PREVIOUS_RUN_HEADERS, "nope"])
    whole = FileBook.open(rescored, status=_quiet).read_table(layout.SCORES_TABLE.name)
    wanted = [h for h in whole.columns if h in PREVIOUS_RUN_HEADERS]
    assert list(few.columns) == wanted and len(few) == 300
    assert few.values.tolist() == whole[wanted].values.tolist()


def test_large_sheets_are_streamed_with_the_same_values(
    rescored: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sheet over the size limit is read a row at a time from calamine's cells, never
    kept as Python rows; the values are those of the whole-sheet read."""
    kept = SheetValues(rescored)
    expected = [
        kept.rectangle(layout.ACCOUNTS, 1, 1, 40, 20),
        kept.rectangle("Data Quality", 2, 3, 9, 7),
    ]
    monkeypatch.setattr(sheet_values, "_STREAMED_CELLS", 0)
    streamed = SheetValues(rescored)
    got = [
        streamed.rectangle(layout.ACCOUNTS, 1, 1, 40, 20),
        streamed.rectangle("Data Quality", 2, 3, 9, 7),
    ]
    assert got == expected and not streamed._python


def test_a_sheet_starting_below_and_right_of_a1_streams_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "offset.xlsx"
    wb = openpyxl.Workbook()
    wb.active["C3"], wb.active["D4"] = 1.5, "x"
    wb.save(path)
    monkeypatch.setattr(sheet_values, "_STREAMED_CELLS", 0)
    values = SheetValues(path)
    assert values.rectangle("Sheet", 2, 2, 4, 5) == [
        [None] * 4,
        [None, 1.5, None, None],
        [None, None, "x", None],
    ]


def test_column_rows_read_as_rows() -> None:
    rows = ColumnRows([np.array([1.5, np.nan, 3.0]), ["a", None, "c"]])
    assert len(rows) == 3 and rows.width == 2
    assert rows[1] == [None, None] and rows[-1] == [3.0, "c"] and type(rows[0][0]) is float
    assert list(rows) == [[1.5, "a"], [None, None], [3.0, "c"]] == rows[0:3]
    assert rows.with_columns([[1, 2, 3]])[2] == [3.0, "c", 3]
    with pytest.raises(ValueError, match="different lengths"):
        ColumnRows([np.zeros(2), [1]])


def test_a_body_written_from_columns_is_the_same_bytes_as_from_rows(tmp_path: Path) -> None:
    """Numbers, blanks, text to escape or with spaces at an end, dates, formulas with their
    cached values: each cell the same bytes either way, across block boundaries."""
    n = 4100 + 7  # more than one block of rows
    numbers = np.linspace(-1, 1, n)
    numbers[::97] = np.nan
    text = np.array(["plain", "a & b <c>", " spaced", "", "=cmd|' /C calc'!A0"], dtype=object)
    texts = [str(v) for v in text[np.arange(n) % len(text)]]
    mixed = [
        [None, 3, True, datetime(2024, 1, 2), Formula("=1+1", 2.0), 0.25][i % 6] for i in range(n)
    ]
    kinds = ["R&D", "x<y>z", 'say "hi"', "bell\x07ends", "café"]  # escaped as one text
    escaped = [kinds[i % len(kinds)] for i in range(n)]
    lines = [["one\ntwo & three", "plain"][i % 2] for i in range(n)]  # a line break: by cell
    gaps = [["Retail", None, "", "A & B"][i % 4] for i in range(n)]  # text with blanks
    header = ["Number", "Text", "Mixed", "Escaped", "Lines", "Gaps"]
    saved = []
    for body in (ColumnRows([numbers, texts, mixed, escaped, lines, gaps]), None):
        book = FileBook.new(make_sample_accounts(20, seed=1), _quiet)
        rows = ColumnRows([numbers, texts, mixed, escaped, lines, gaps])
        book.write_table(layout.RUNS_TABLE.name, header, rows if body is not None else list(rows))
        path = book.save(tmp_path / f"book{len(saved)}.xlsx")
        with zipfile.ZipFile(path) as package:
            saved.append(package.read(book._index.sheets[layout.MOVERS]))
    assert saved[0] == saved[1]
    assert b"a &amp; b &lt;c&gt;" in saved[0] and b"<f>1+1</f>" in saved[0]
    assert b"x&lt;y&gt;z" in saved[0] and b"say &quot;hi&quot;" in saved[0]
    assert b"bellends" in saved[0] and b"one\ntwo &amp; three" in saved[0]
    assert b"A &amp; B" in saved[0]


def test_a_body_written_over_an_old_one_keeps_what_is_beside_it(tmp_path: Path) -> None:
    """Written over an old body (blocks of rows at a time): a note in a far cell of a row
    in the middle of the table and an old formula inside it are handled as the row-by-row
    writer handles them; the bytes are the same either way."""
    n = 2 * 4096 + 50
    header = ["Number", "Text"]
    first = FileBook.new(make_sample_accounts(20, seed=1), _quiet)
    first.write_table(layout.RUNS_TABLE.name, header, ColumnRows([np.arange(n, dtype=float),
                                                                 ["old"] * n]))  # fmt: skip
    old = first.save(tmp_path / "old.xlsx")
    workbook = openpyxl.load_workbook(old)
    sheet = workbook[layout.MOVERS]
    corner = sheet.tables[layout.RUNS_TABLE.name].ref.split(":")[0]
    top, left = sheet[corner].row, sheet[corner].column
    sheet.cell(top + 5000, left + 30, "a note far right")
    sheet.cell(top + 6000, left, "=1+1")
    far = sheet.cell(top + 3000, left + 40, "a note whose address is not its first attribute")
    workbook.save(old)
    _reorder_attributes(old, workbook.sheetnames.index(layout.MOVERS), far.coordinate)
    numbers = np.linspace(0, 1, n + 3)
    texts = [f"new {i}" for i in range(n + 3)]
    saved = []
    for as_columns in (True, False):
        book = FileBook.open(old, status=_quiet)
        rows = ColumnRows([numbers, texts])
        book.write_table(layout.RUNS_TABLE.name, header, rows if as_columns else list(rows))
        path = book.save(tmp_path / f"new{as_columns}.xlsx")
        with zipfile.ZipFile(path) as package:
            saved.append(package.read(book._index.sheets[layout.MOVERS]))
        check = openpyxl.load_workbook(path)[layout.MOVERS]
        assert check.cell(top + 5000, left + 30).value == "a note far right"
        assert check.cell(top + 3000, left + 40).value == far.value
        assert check.cell(top + 6000, left).value == numbers[5999]
        assert check.cell(top + n + 3, left + 1).value == f"new {n + 2}"
    assert saved[0] == saved[1]


def _reorder_attributes(path: Path, sheet_index: int, ref: str) -> None:
    """Write cell ``ref`` of the package's sheet with its ``r`` after its other attributes
    (as some writers do), the package otherwise unchanged."""
    with zipfile.ZipFile(path) as package:
        parts = {info: package.read(info.filename) for info in package.infolist()}
    name = f"xl/worksheets/sheet{sheet_index + 1}.xml"
    cell = re.compile(f'<c r="{ref}"( [^>]*)>'.encode())
    for info, data in parts.items():
        if info.filename == name:
            parts[info], count = cell.subn(lambda m: b"<c" + m[1] + f' r="{ref}">'.encode(), data)
            assert count == 1
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for info, data in parts.items():
            package.writestr(info, data)


def test_a_part_cut_short_is_left_to_calamine(rescored: Path, tmp_path: Path) -> None:
    """calamine says the workbook is damaged; the XML reader must not read half a table."""
    part, ref = _scores(rescored)
    with zipfile.ZipFile(rescored) as package:
        xml = package.read(part)
        styles = StyleSheet(package.read("xl/styles.xml").decode())
    for kept, expected in ((xml, 300), (xml[: len(xml) // 2], None)):
        path = tmp_path / "cut.zip"
        with zipfile.ZipFile(path, "w") as package:
            package.writestr(part, kept)
        with zipfile.ZipFile(path) as package:
            found = read_columns(package, part, styles, ref, PREVIOUS_RUN_HEADERS)
        assert (found if found is None else len(found[0][1])) == expected


def test_live_mode_formulas_read_as_their_cached_values(tmp_path: Path) -> None:
    """Live mode's Scores are formulas with cached values (numbers and text, some with no
    value at all): the XML reader reads what calamine reads."""
    from icp_xl.hosts.file.new_workbook import new_workbook

    path = new_workbook(tmp_path / "live.xlsx", make_sample_accounts(120, seed=3), live=True,
                        status=_quiet)  # fmt: skip
    part, ref = _scores(path)
    with zipfile.ZipFile(path) as package:
        assert b"<f>" in package.read(part)
        styles = StyleSheet(package.read("xl/styles.xml").decode())
        from_xml = read_columns(package, part, styles, ref, None)
    assert from_xml is not None
    assert from_xml == SheetValues(path).table_columns(layout.SCORES, ref, None)


@pytest.mark.parametrize(
    "rows",
    [
        # plain: numbers, text, blanks with a style, whole numbers and fractions
        [
            '<c r="A2" t="inlineStr"><is><t>C1</t></is></c><c r="B2" s="2"><v>3.0</v></c>',
            '<c r="A3" t="inlineStr"><is><t>a &amp; b</t></is></c><c r="B3" s="2"/>',
            '<c r="A4" t="inlineStr"><is><t>C3</t></is></c><c r="B4"><v>-0.25</v></c>',
        ],
        # a blank cell left out, and a row with no cell at all
        ['<c r="A2" t="inlineStr"><is><t>C1</t></is></c>', '<c r="B3"><v>7</v></c>', ""],
        # text among numbers in one column; a row below the table; a number shown as a date
        [
            '<c r="A2" t="inlineStr"><is><t>C1</t></is></c><c r="B2"><v>1</v></c>',
            '<c r="A3"><v>5</v></c><c r="B3" t="inlineStr"><is><t>x</t></is></c>',
            '<c r="A4" t="inlineStr"><is><t>C3</t></is></c><c r="B4"><v>2</v></c>',
        ],
        [
            '<c r="A2" t="inlineStr"><is><t>C1</t></is></c><c r="B2"><v>1</v></c>',
            '<c r="A3" t="inlineStr"><is><t>C2</t></is></c><c r="B3" s="1"><v>45000</v></c>',
            '<c r="A4" t="inlineStr"><is><t>C3</t></is></c><c r="B4"><v>2</v></c>',
            '<c r="A5" t="inlineStr"><is><t>note below</t></is></c>',
        ],
        # a formula with its cached value among plain cells, one cell for each of them
        [
            '<c r="A2" t="inlineStr"><is><t>C1</t></is></c><c r="B2"><v>1</v></c>',
            '<c r="A3" t="inlineStr"><is><t>C2</t></is></c><c r="B3"><f>1+1</f><v>2</v></c>',
            '<c r="A4" t="inlineStr"><is><t>C3</t></is></c><c r="B4" s="2"><v>3</v></c>',
        ],
    ],
    ids=["plain", "sparse", "mixed", "date-and-below", "formula"],
)
def test_the_fast_and_the_cell_by_cell_reads_agree(
    tmp_path: Path, rows: list[str], request: pytest.FixtureRequest
) -> None:
    """Bodies the fast path (one pattern per block of rows, a column at a time) takes, and
    bodies it hands to the cell-by-cell read: the same values as calamine gives."""
    body = "".join(f'<row r="{i}">{cells}</row>' for i, cells in enumerate(rows, start=2) if cells)
    header = '<row r="1"><c r="A1" t="inlineStr"><is><t>ID</t></is></c>'
    header += '<c r="B1" t="inlineStr"><is><t>Value</t></is></c></row>'
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    sheet = f"<worksheet {ns}><sheetData>{header}{body}</sheetData></worksheet>"
    path = tmp_path / "book.xlsx"
    wb = openpyxl.Workbook()
    wb.active["A1"] = "ID"
    wb.save(path)
    with zipfile.ZipFile(path) as source:  # the same package with this sheet
        parts = {n: source.read(n) for n in source.namelist()}
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    styles = parts["xl/styles.xml"].decode()
    styles = re.sub(r"<cellXfs.*?</cellXfs>", '<cellXfs count="3"><xf numFmtId="0"/>'
                    '<xf numFmtId="14" applyNumberFormat="1"/><xf numFmtId="2"/></cellXfs>',
                    styles, flags=re.S)  # fmt: skip
    parts["xl/styles.xml"] = styles.encode()
    with zipfile.ZipFile(path, "w") as package:
        for name, data in parts.items():
            package.writestr(name, data)
    ref = (1, 1, 4, 2)  # the table: header row and three body rows
    from_calamine = SheetValues(path).table_columns("Sheet", ref, None)
    part, sheet_styles = "xl/worksheets/sheet1.xml", StyleSheet(styles)
    with zipfile.ZipFile(path) as package:
        from_xml = read_columns(package, part, sheet_styles, ref, None)
        case = request.node.callspec.id
        if case in ("plain", "sparse"):  # the fast path reads these itself
            fast = column_reader._DenseReader(sheet_styles, ref, None).read(package, part)
            assert fast == from_xml == from_calamine
        else:
            with pytest.raises(column_reader._NotDense):
                column_reader._DenseReader(sheet_styles, ref, None).read(package, part)
    assert from_xml == (None if case == "date-and-below" else from_calamine)


def test_rows_are_written_out_a_megabyte_at_a_time() -> None:
    """Blocks of 4,096 rows come as one piece each: the writer must not keep hundreds of
    them before writing (it did: 200 MB more at 100,000 accounts)."""
    import io

    from icp_xl.hosts.file.sheet_writer import _Output

    class Body(io.BytesIO):
        def __init__(self) -> None:
            super().__init__()
            self.writes: list[int] = []

        def write(self, data) -> int:  # type: ignore[override]
            self.writes.append(len(data))
            return super().write(data)

    body = Body()
    out = _Output(body)
    for _ in range(5):
        out.add(b"x" * 3_000_000)
    out.add(b"<row/>")
    out.flush()
    assert body.getvalue() == b"x" * 15_000_000 + b"<row/>"
    assert max(body.writes) <= 3_000_000 and len(body.writes) >= 5


@pytest.mark.parametrize(
    ("old_cell", "formula"),
    [
        ('<c r="B{n}"><v>1</v></c>', False),
        ('<c r="B{n}"><f>1+0</f><v>1</v></c>', True),  # the calculation chain goes stale
        ('<c r="B{n}" s="0"><f t="shared" si="0"/><v>1</v></c>', True),
        ('<x:c r="B{n}"><x:f>1+0</x:f><x:v>1</x:v></x:c>', True),  # a prefixed formula
    ],
)
def test_an_old_formula_in_a_body_written_as_columns_is_noticed(
    old_cell: str, formula: bool
) -> None:
    """A table body written a block at a time over old rows notices a formula among the
    old cells it overwrites (save() then drops the stale calculation chain)."""
    import io

    from icp_xl.hosts.file.sheet_edits import SheetEdits, Values
    from icp_xl.hosts.file.sheet_writer import rewrite_sheet

    n_rows = 50
    rows = "".join(
        f'<row r="{n}"><c r="A{n}"><v>{n}</v></c>'
        + (old_cell if n == 30 else '<c r="B{n}"><v>1</v></c>').format(n=n)
        + "</row>"
        for n in range(2, n_rows + 2)
    )
    sheet = f"<worksheet><sheetData>{rows}</sheetData></worksheet>".encode()
    edits = SheetEdits()
    columns = ColumnRows([np.arange(n_rows, dtype=float), np.ones(n_rows)])
    edits.add(Values(2, 1, columns, table_body=True))
    styles = StyleSheet(
        '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<cellXfs count="1"><xf numFmtId="0"/></cellXfs></styleSheet>'
    )
    result = rewrite_sheet(io.BytesIO(sheet), io.BytesIO(), edits, styles)
    assert result.formulas_changed is formula
