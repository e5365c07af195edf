"""Never read half a file: accounts files read to their real extent, Total Rows, row
numbers, duplicate headers, limits, overflowing numbers, damaged workbooks and plain
sentences for every refusal. Each test builds the smallest file that shows its case."""

from __future__ import annotations

import re
import shutil
import time
import warnings
import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from openpyxl.worksheet.table import Table
from support.file_safety import add_far_cell, cli, make_workbook, rewrite_part, sheet_part

from icp_xl.cli import main
from icp_xl.core.errors import IcpError
from icp_xl.core.inputs.sample import make_sample_accounts
from icp_xl.files.limits import MAX_ACCOUNTS, MAX_COLUMNS
from icp_xl.files.tables import read_accounts
from icp_xl.hosts.file.book import FileBook
from icp_xl.workbook import layout
from icp_xl.workbook.actions import validate

HEADER = ["Customer ID", "Industry", "Annual Revenue", "Total Hardware Revenue"]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_workbook(tmp_path_factory.mktemp("reads") / "ICP.xlsx", accounts=120)


@pytest.fixture
def workbook(template: Path, tmp_path: Path) -> Path:
    path = tmp_path / "ICP.xlsx"
    shutil.copyfile(template, path)
    return path


def _error(capsys: pytest.CaptureFixture[str]) -> str:
    lines = capsys.readouterr().err.strip().splitlines()
    return lines[-1] if lines else ""


def _xlsx(path: Path, rows: list[list[object]], sheet: str = "Accounts") -> Path:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet
    for row in rows:
        ws.append(row)
    book.save(path)
    return path


def _accounts_rows(count: int) -> list[list[object]]:
    return [[f"C{i}", "Retail", 1000.0 * i, 10.0 * i] for i in range(1, count + 1)]


# ------------------------------------------------------------------ 2. stale <dimension>


@pytest.mark.parametrize("dimension", ["A1:D10", "A1", "A1:C201"])
def test_xlsx_is_read_to_its_real_extent_whatever_the_dimension(
    dimension: str, tmp_path: Path
) -> None:
    path = _xlsx(tmp_path / "a.xlsx", [HEADER, *_accounts_rows(200)])
    part = "xl/worksheets/sheet1.xml"
    stale = f'<dimension ref="{dimension}"/>'.encode()
    rewrite_part(path, part, lambda xml: re.sub(rb"<dimension [^>]*>", stale, xml))
    assert f'ref="{dimension}"'.encode() in zipfile.ZipFile(path).read(part)
    raw, accounts = read_accounts(path)
    assert len(accounts) == 200 and list(raw.columns) == HEADER
    assert accounts.frame["hardware_revenue"].iloc[-1] == 2000.0


# ------------------------------------------------------------------ 5. Total Rows


def test_total_row_of_an_excel_table_is_not_an_account(tmp_path: Path) -> None:
    path = tmp_path / "a.xlsx"
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Accounts"
    for row in [HEADER, *_accounts_rows(3), ["Total", None, None, "=SUBTOTAL(109,D2:D4)"]]:
        ws.append(row)
    table = Table(displayName="Accts", ref="A1:D5")
    table.totalsRowCount = 1
    ws.add_table(table)
    book.save(path)
    _, accounts = read_accounts(path)
    assert accounts.frame["customer_id"].tolist() == ["C1", "C2", "C3"]


def test_total_row_of_the_accounts_table_is_not_scored_nor_refused(
    workbook: Path, tmp_path: Path, capsys
) -> None:
    book = openpyxl.load_workbook(workbook)
    ws = next(w for w in book.worksheets if layout.ACCOUNTS_TABLE.name in w.tables)
    table = ws.tables[layout.ACCOUNTS_TABLE.name]
    first, last = table.ref.split(":")
    bottom = ws.max_row + 1
    letters = last.rstrip("0123456789")
    table.ref = f"{first}:{letters}{bottom}"
    table.autoFilter = None
    table.totalsRowCount = 1
    ws.cell(row=bottom, column=1, value="Total")
    ws.cell(row=bottom, column=4, value=f"=SUBTOTAL(109,D2:D{bottom - 1})")
    book.save(workbook)
    result = validate(FileBook.open(workbook, for_writing=False))
    assert result.ok, result.problems
    assert main(["rescore", str(workbook)]) == 0
    out = tmp_path / "e.csv"
    assert main(["export", str(workbook), "-o", str(out)]) == 0
    exported = out.read_text().splitlines()
    assert len(exported) == 121 and not any(line.startswith("Total,") for line in exported)


# ------------------------------------------------------------------ 6. overflow


def test_values_near_1e308_are_a_user_error_naming_the_cell(tmp_path: Path, capsys) -> None:
    path = tmp_path / "a.csv"
    path.write_text(
        "Customer ID,Industry,Total Hardware Revenue,Total Consumable Revenue\n"
        "C1,Retail,10,20\nC2,Retail,1e308,1e308\n"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert main(["score", str(path), "-o", str(tmp_path / "s.csv")]) == 1
    # every problem of the file at once: both columns are named
    assert _error(capsys) == (
        "icp-xl: error: 2 problems: a.csv, column 'Total Hardware Revenue', row 3: a number "
        "beyond 1,000,000,000,000,000 in size, surely a typing error ('1e308') | a.csv, "
        "column 'Total Consumable Revenue', row 3: a number beyond 1,000,000,000,000,000 in "
        "size, surely a typing error ('1e308')"
    )
    assert not (tmp_path / "s.csv").exists()


def test_validate_reports_an_overflowing_account_value(workbook: Path) -> None:
    book = openpyxl.load_workbook(workbook)
    book[layout.ACCOUNTS]["D2"] = 1e308
    book.save(workbook)
    problems = validate(FileBook.open(workbook, for_writing=False)).problems
    assert any("row 2: a number beyond" in p for p in problems), problems


# ------------------------------------------------------------------ 8. duplicated headers


def test_a_duplicated_header_is_refused_in_csv_as_in_xlsx(tmp_path: Path) -> None:
    rows = [["Customer ID", "Industry", "Industry"], ["C1", "Retail", "Health"]]
    csv = tmp_path / "a.csv"
    csv.write_text("\n".join(",".join(r) for r in rows) + "\n")
    xlsx = _xlsx(tmp_path / "a.xlsx", rows)
    messages = []
    for path in (csv, xlsx):
        with pytest.raises(IcpError) as error:
            read_accounts(path)
        messages.append(str(error.value).split(": ", 1)[1])
    assert (
        messages[0]
        == messages[1]
        == (
            "the header 'Industry' appears in more than one column (B and C); rename or remove "
            "all but one"
        )
    )


# ------------------------------------------------------------------ 9. row numbers


def test_row_numbers_are_the_rows_the_user_sees_after_blank_rows(tmp_path: Path) -> None:
    csv = tmp_path / "a.csv"
    csv.write_text("Customer ID,Industry,GP24\nC1,Retail,5\n\n,,\nC2,Retail,x\n,,,,\n,,,,\n")
    with pytest.raises(IcpError, match=r"a.csv, column 'GP24', row 5: not a number \('x'\)"):
        read_accounts(csv)
    xlsx = _xlsx(tmp_path / "a.xlsx", [["Customer ID", "Industry", "GP24"], ["C1", "Retail", 5]])
    book = openpyxl.load_workbook(xlsx)
    book.active["A5"], book.active["B5"], book.active["C5"] = "C2", "Retail", "x"
    book.save(xlsx)
    with pytest.raises(IcpError, match=r"column 'GP24', row 5: not a number"):
        read_accounts(xlsx)


def test_excel_style_trailing_comma_rows_are_skipped(tmp_path: Path) -> None:
    csv = tmp_path / "a.csv"
    csv.write_text("Customer ID,Industry,GP24\r\nC1,Retail,5\r\nC2,Retail,6\r\n,,\r\n,,\r\n")
    _, accounts = read_accounts(csv)
    assert accounts.frame["customer_id"].tolist() == ["C1", "C2"]


def test_blank_customer_id_names_its_row_after_a_blank_row(tmp_path: Path) -> None:
    csv = tmp_path / "a.csv"
    csv.write_text("Customer ID,Industry\nC1,Retail\n\n,Retail\n")
    with pytest.raises(IcpError, match="row 4: a Customer ID is required"):
        read_accounts(csv)


# ------------------------------------------------------------------ 12-13. limits


def test_a_huge_header_line_gives_a_short_message(tmp_path: Path, capsys) -> None:
    path = tmp_path / "a.csv"
    path.write_text("x" * 2_000_000)
    assert main(["score", str(path), "-o", str(tmp_path / "s.csv")]) == 1
    error = _error(capsys)
    assert "has no 'Customer ID' or 'Industry' column" in error and len(error) < 300


def test_a_very_wide_header_is_refused_quickly(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text(",".join(f"c{i}" for i in range(50_000)) + "\n" + "1," * 49_999 + "1\n")
    started = time.perf_counter()
    with pytest.raises(IcpError, match=f"50,000 columns, above the limit of {MAX_COLUMNS:,}"):
        read_accounts(path)
    assert time.perf_counter() - started < 2


def test_a_wide_xlsx_header_is_refused(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "a.xlsx", [[f"c{i}" for i in range(MAX_COLUMNS + 1)]])
    with pytest.raises(IcpError, match="1,001 columns, above the limit"):
        read_accounts(path)


def test_too_many_rows_are_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(b"Customer ID,Industry\n" + b"1,a\n" * (MAX_ACCOUNTS + 1))
    with pytest.raises(IcpError, match=f"more than {MAX_ACCOUNTS:,} rows of accounts"):
        read_accounts(path)


def test_a_zip_bomb_is_refused_from_its_unpacked_size(tmp_path: Path, capsys) -> None:
    """A package whose parts unpack to more than the limit (here declared in its central
    directory, as a real bomb's are) is refused before anything is decompressed."""
    path = _xlsx(tmp_path / "bomb.xlsx", [HEADER, *_accounts_rows(2)])
    data = bytearray(path.read_bytes())
    directory = data.find(b"PK\x01\x02")  # first central directory entry
    data[directory + 24 : directory + 28] = (0xF0000000).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    assert main(["score", str(path), "-o", str(tmp_path / "s.csv")]) == 1
    assert "bomb.xlsx unpacks to 3.75 GB, above the limit of 1 GB" in _error(capsys)


# ------------------------------------------------------------------ 7, 15. plain sentences


def _corrupt_sheet_xml(path: Path) -> None:
    rewrite_part(path, sheet_part(path, layout.ACCOUNTS), lambda xml: xml[: len(xml) // 2])


def _corrupt_scores_xml(path: Path) -> None:
    """The Scores sheet is read on a background thread while a rescore scores."""
    rewrite_part(path, sheet_part(path, layout.SCORES), lambda xml: xml[: len(xml) // 2])


def _corrupt_member_bytes(path: Path) -> None:
    part = sheet_part(path, layout.ACCOUNTS)
    with zipfile.ZipFile(path) as package:
        info = package.getinfo(part)
        start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data = bytearray(path.read_bytes())
    for offset in range(start + 20, start + 60):
        data[offset] ^= 0x5A
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("damage", "commands"),
    [
        (_corrupt_sheet_xml, ("rescore", "validate", "export")),
        (_corrupt_member_bytes, ("rescore", "validate", "export")),
        (_corrupt_scores_xml, ("rescore", "export")),
    ],
)
def test_damaged_workbook_is_one_sentence_and_every_command_agrees(
    damage, commands, workbook: Path, tmp_path: Path, capsys
) -> None:
    damage(workbook)
    before = workbook.read_bytes()
    errors = []
    every = {"rescore": ["rescore"], "validate": ["validate"]}
    every["export"] = ["export", "-o", str(tmp_path / "e.csv")]
    for command in (every[name] for name in commands):
        assert main([command[0], str(workbook), *command[1:]]) == 1
        out = capsys.readouterr()
        lines = out.err.strip().splitlines()
        assert "Traceback" not in out.err, out.err
        # Scores is damaged: found when a rescore reads the last results, after its
        # progress line "Scoring 120 accounts"; everything else is found on opening.
        assert len([line for line in lines if "error" in line]) == 1, out.err
        assert len(lines) == 1 or damage is _corrupt_scores_xml, out.err
        errors.append(lines[-1])
    assert len(set(errors)) == 1
    assert errors[0].startswith("icp-xl: error: ICP.xlsx is damaged and cannot be read")
    assert workbook.read_bytes() == before


def test_renamed_scores_sheet_is_one_sentence(workbook: Path, capsys) -> None:
    book = openpyxl.load_workbook(workbook)
    book[layout.SCORES].title = "Old scores"
    book.save(workbook)
    before = workbook.read_bytes()
    assert main(["rescore", str(workbook)]) == 1
    assert _error(capsys) == (
        "icp-xl: error: The table ScoresTable is on sheet 'Old scores' instead of 'Scores' "
        "(was the sheet renamed?); name that sheet 'Scores' again, or delete it; nothing was "
        "written"
    )
    assert workbook.read_bytes() == before


def test_validate_runs_the_segment_selector_check_of_every_action(workbook: Path, capsys) -> None:
    book = openpyxl.load_workbook(workbook)
    book[layout.DASHBOARD][layout.SEGMENT_VIEW.ref] = "Everyone"
    book.save(workbook)
    assert main(["rescore", str(workbook)]) == 1
    refused = _error(capsys).removeprefix("icp-xl: error: ")
    assert main(["validate", str(workbook)]) == 1
    assert f"problem: {refused}" in capsys.readouterr().out


def test_utf16_unicode_text_export_is_read(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(
        "Customer ID\tIndustry\tGP24\r\nC1\tRetail\t5\r\nC2\tSanté\t6\r\n".encode("utf-16")
    )
    _, accounts = read_accounts(path)
    assert accounts.frame["industry"].tolist() == ["Retail", "Santé"]


def test_a_ragged_csv_line_is_described_in_our_words(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("Customer ID,Industry\nC1,Retail\nC2,Retail,extra\n")
    with pytest.raises(IcpError) as error:
        read_accounts(path)
    assert str(error.value) == (
        "a.csv, line 3: 3 cells where the header has 2; a separator or a quote is probably "
        "missing or extra on that line"
    )


def test_an_encrypted_workbook_is_named_as_such(tmp_path: Path, workbook: Path, capsys) -> None:
    encrypted = tmp_path / "locked.xlsx"  # Excel saves password-protected files as OLE
    encrypted.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504)
    for command in (["score", str(encrypted)], ["rescore", str(encrypted)]):
        assert main(command) == 1
        assert "locked.xlsx is password-protected (encrypted)" in _error(capsys)


def test_a_folder_given_as_a_file_is_named_as_such(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "accounts.csv"
    folder.mkdir()
    assert main(["score", str(folder), "-o", str(tmp_path / "s.csv")]) == 1
    assert (
        _error(capsys)
        == f"icp-xl: error: {folder} is a folder; give the accounts file (.csv or .xlsx)"
    )
    book = tmp_path / "book.xlsx"
    book.mkdir()
    assert main(["validate", str(book)]) == 1
    assert _error(capsys) == f"icp-xl: error: {book} is a folder; give the workbook file"


def test_messages_show_dates_as_the_user_sees_them(tmp_path: Path, workbook: Path) -> None:
    path = _xlsx(
        tmp_path / "a.xlsx",
        [["Customer ID", "Industry", "GP24"], ["C1", "Retail", datetime(2024, 1, 1)]],
    )
    with pytest.raises(IcpError) as error:
        read_accounts(path)
    assert "(2024-01-01)" in str(error.value) and "datetime" not in str(error.value)
    book = openpyxl.load_workbook(workbook)
    location = FileBook.open(workbook, for_writing=False).locate("Optimizer_IncludeSize")
    book[location.sheet][location.ref] = datetime(2024, 1, 1, 13, 5)
    book.save(workbook)
    problems = validate(FileBook.open(workbook, for_writing=False)).problems
    assert any("expected TRUE or FALSE, found 2024-01-01 13:05:00" in p for p in problems)
    assert not any("datetime" in p for p in problems)


def test_sample_accounts_round_trip_unchanged(tmp_path: Path) -> None:
    """The rewritten readers give the same accounts as before for an ordinary file."""
    frame = make_sample_accounts(300, seed=4)
    csv, xlsx = tmp_path / "a.csv", tmp_path / "a.xlsx"
    frame.to_csv(csv, index=False)
    frame.to_excel(xlsx, index=False, sheet_name="Accounts")
    from_csv, from_xlsx = read_accounts(csv)[1].frame, read_accounts(xlsx)[1].frame
    assert len(from_csv) == len(from_xlsx) == 300
    assert from_csv["gp24"].tolist() == from_xlsx["gp24"].tolist()


# ------------------------------------------------------------------ issue 23, items 7-14


@pytest.mark.parametrize(("stored", "shown"), [(1e300, "1e+300"), (0, "00:00:00")])
def test_a_calibration_time_no_date_can_be_names_its_cell(
    workbook: Path, capsys, stored: float, shown: str
) -> None:
    """A huge number (no date) or 0 (a time without a date) in 'Calibrated at'."""
    assert main(["calibrate", str(workbook)]) == 0
    book = openpyxl.load_workbook(workbook)
    book[layout.SETTINGS]["R8"] = stored  # the Value of the 'Calibrated at' row
    book.save(workbook)
    for command in (["rescore", str(workbook)], ["explain", str(workbook), "C1"]):
        capsys.readouterr()
        assert main(command) == 1
        assert _error(capsys) == (
            f"icp-xl: error: Settings!R8 ('Calibrated at') must be a date and time, found {shown}"
        )


def test_sheets_renamed_only_in_case_are_found_as_excel_finds_them(workbook: Path) -> None:
    """Excel matches sheet names in any case: 'Chart data' and 'scores' are the layout's
    'Chart Data' and 'Scores' (on reading, writing, and when a rebuild is needed)."""
    renames = [(b"Chart Data", b"Chart data"), (b"'Scores'", b"'scores'"), (b"Scores!", b"scores!"),
               (b'name="Scores"', b'name="scores"')]  # fmt: skip
    with zipfile.ZipFile(workbook) as package:
        parts = [(info, package.read(info.filename)) for info in package.infolist()]
    with zipfile.ZipFile(workbook, "w", zipfile.ZIP_DEFLATED) as package:
        for info, data in parts:
            for old, new in renames:
                data = data.replace(old, new)
            package.writestr(info, data)
    assert main(["rescore", str(workbook)]) == 0
    book = FileBook.open(workbook, for_writing=False)
    assert len(book.read_table(layout.SCORES_TABLE.name)) == 120
    names = openpyxl.load_workbook(workbook).sheetnames
    assert "Chart data" in names and "Chart Data" not in names  # the user's name
    assert main(["validate", str(workbook)]) == 0
    rebuilt = openpyxl.load_workbook(workbook)
    del rebuilt[layout.OPTIMIZATION]  # an output sheet to re-create, with openpyxl
    rebuilt.save(workbook)
    assert main(["rescore", str(workbook)]) == 0
    names = openpyxl.load_workbook(workbook).sheetnames
    assert names.count("Chart Data") + names.count("Chart data") == 1 and len(names) == len(
        layout.SHEETS
    )


def test_a_pipe_is_named_as_such_not_as_a_missing_file(
    tmp_path: Path, workbook: Path, capsys
) -> None:
    """A named pipe (as /dev/stdin is when data is piped in) exists but is no regular file:
    every command that reads a file says so, without opening it (which would block)."""
    import os

    pipe = tmp_path / "accounts.csv"
    os.mkfifo(pipe)
    said = (
        f"icp-xl: error: {pipe} is not a regular file (a pipe or device, such as "
        "/dev/stdin); save the data to a file and give that file"
    )
    for command in (
        ["score", str(pipe), "-o", str(tmp_path / "out.csv")],
        ["rescore", str(pipe)],
        ["import", str(workbook), str(pipe)],
        ["weights", str(workbook), "--from", str(pipe)],
    ):
        capsys.readouterr()
        assert main(command) == 1, command
        assert _error(capsys) == said


def _at_most_1_gib() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


def test_a_note_in_the_last_cell_of_each_input_and_history_sheet_costs_no_memory(
    workbook: Path, tmp_path: Path
) -> None:
    """A value in XFD1048576 of Accounts, Weights, Settings and Movers (the run history)
    made calamine allocate each sheet's whole box (a Rust abort, or gigabytes): every
    command works within 1 GiB of address space, scores as without the notes, and the
    notes are kept."""
    clean = tmp_path / "clean.xlsx"
    shutil.copyfile(workbook, clean)
    for sheet in (layout.ACCOUNTS, layout.WEIGHTS, layout.SETTINGS, layout.MOVERS):
        add_far_cell(workbook, sheet)
    for command in (
        ["validate", str(workbook)],
        ["explain", str(workbook), "C000001"],
        ["rescore", str(workbook)],
        ["calibrate", str(workbook)],
    ):
        done = cli(command, preexec=_at_most_1_gib)
        assert done.returncode == 0, (command, done.stderr[-600:])
    assert main(["rescore", str(clean)]) == 0
    assert main(["calibrate", str(clean)]) == 0
    far, near = (
        FileBook.open(p, for_writing=False).read_table(layout.SCORES_TABLE.name)
        for p in (workbook, clean)
    )
    assert far["ICP score"].tolist() == near["ICP score"].tolist() and len(far) == 120
    with zipfile.ZipFile(workbook) as package:
        sheets = [package.read(n) for n in package.namelist() if "worksheets/sheet" in n]
    assert sum(b'r="XFD1048576"' in sheet for sheet in sheets) == 4


def test_an_accounts_file_with_a_note_in_the_last_cell_reads_only_its_rows(
    tmp_path: Path,
) -> None:
    """The accounts file reader kept every row up to a note in XFD1048576 (a million
    empty rows: 600 MB and 13 s for 200 accounts); now only the rows holding cells."""
    path = _xlsx(tmp_path / "a.xlsx", [HEADER, *_accounts_rows(200)])
    add_far_cell(path, "Accounts")
    raw, accounts = read_accounts(path)
    assert len(accounts.frame) == 200 and raw.attrs["row_numbers"][-1] == 201
    done = cli(["score", str(path), "-o", str(tmp_path / "s.csv")], preexec=_at_most_half_gib)
    assert done.returncode == 0, done.stderr[-600:]


def _at_most_half_gib() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (1 << 29, 1 << 29))
