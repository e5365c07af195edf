"""The ribbon where analysts keep their workbooks, through xlwings' real API on the
openpyxl-backed engine: a workbook on OneDrive with AutoSave (an https ``FullName`` that
xlwings maps to a local file, or fails to), the button clicked in one workbook while
another becomes active, a workbook that is not an ICP workbook, New ICP workbook with
another ICP.xlsx open, and nothing written to stderr on success (xlwings on macOS shows
stderr as an "Error" box)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
import xlwings as xw
from support.live import alerts, answers, excel, module_template, own_home  # noqa: F401 (fixtures)
from support.openpyxl_engine import active_engine
from xlwings.utils import fullname_url_to_local_path

from icp_xl.excel import file_dialogs
from icp_xl.excel import ribbon as live
from icp_xl.hosts.file.book import FileBook
from icp_xl.workbook import layout

ONEDRIVE_URL = "https://d.docs.live.net/4f2a9c/Documents/ICP.xlsx"


@pytest.fixture(autouse=True)
def no_onedrive(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OneDrive", "OneDriveConsumer", "OneDriveCommercial"):
        monkeypatch.delenv(name, raising=False)
    fullname_url_to_local_path.cache_clear()  # xlwings caches the mapping per URL


def last_rescored(path: Path) -> object:
    return FileBook.open(path, for_writing=False).read_name(layout.LAST_RESCORED.name)


def test_a_onedrive_workbook_without_a_local_copy_xlwings_finds_still_runs(
    workbook: Path, tmp_path: Path
) -> None:
    choose = answers(tmp_path / "out.csv")
    with excel(workbook) as book:
        book.impl.url = ONEDRIVE_URL
        with pytest.raises(xw.XlwingsError, match="local OneDrive file"):
            _ = book.fullname  # what stopped every button before
        assert live.run_action("rescore") is True
        assert live.run_action("export_csv", choose_file=choose) is True
        assert live.run_action("stop") is True
        prompts = [a["prompt"] for a in alerts(book) if a["mode"] == "info"]
        assert [a for a in alerts(book) if a["mode"] == "critical"] == []
    assert prompts[0].startswith("Rescored 300 accounts")
    assert prompts[1].startswith("Exported 300 accounts to")
    assert prompts[2] == "Nothing is running on ICP.xlsx; Stop stops a running Optimize."
    assert choose.asked[0].folder is None  # no local folder known: Excel's own default


def test_a_onedrive_workbook_xlwings_maps_to_its_synced_file_is_keyed_on_that_file(
    workbook: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced = tmp_path / "OneDrive"
    (synced / "Documents").mkdir(parents=True)
    local = synced / "Documents" / "ICP.xlsx"
    local.write_bytes(workbook.read_bytes())
    monkeypatch.setenv("OneDrive", str(synced))
    choose = answers(tmp_path / "out.csv")
    with excel(local) as book:
        book.impl.url = ONEDRIVE_URL
        assert live.run_action("export_csv", choose_file=choose) is True
    assert choose.asked[0].folder == synced / "Documents"


def test_when_no_excel_can_be_reached_the_user_gets_one_line_not_a_traceback() -> None:
    with pytest.raises(SystemExit) as stopped:
        live.run_action("rescore")  # not called from Excel, no mock caller: caller() fails
    message = str(stopped.value.code)
    assert message.startswith("ICP: Rescore stopped on an unexpected error")
    assert "\n" not in message and "Traceback" not in message


def test_the_action_runs_on_the_workbook_clicked_in_not_the_one_active_later(
    workbook: Path,
) -> None:
    before = last_rescored(workbook)
    with excel(workbook) as book:
        other = xw.Book()  # activated while Python was starting
        other.impl.activate()
        assert book.app.books.active.name == other.name
        assert live.run_action("rescore") is True
        assert [a for a in alerts(book) if a["mode"] == "critical"] == []
        book.save()
    assert last_rescored(workbook) != before


@pytest.mark.parametrize("action", ["import_accounts", "validate", "rescore", "export_csv"])
def test_a_workbook_that_is_not_an_icp_workbook_gets_one_sentence_before_any_dialog(
    action: str, tmp_path: Path
) -> None:
    budget = tmp_path / "budget.xlsx"
    sheets = openpyxl.Workbook()
    sheets.active.title = "Budget"
    sheets.save(budget)
    choose = answers(tmp_path / "accounts.csv")
    with excel(budget) as book:
        assert live.run_action(action, choose_file=choose) is False
        (alert,) = alerts(book)
    assert choose.asked == []
    assert alert["mode"] == "critical"
    assert alert["prompt"] == (
        "The active workbook (budget.xlsx) is not an ICP workbook: it has no Accounts or "
        "Weights or Settings sheet; activate your ICP workbook, or click New ICP workbook "
        "to make one"
    )


def test_new_workbook_with_an_icp_xlsx_open_proposes_a_free_name_and_refuses_a_clash(
    workbook: Path, accounts_csv: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    clash = answers(accounts_csv, elsewhere / "icp.xlsx")
    with excel(workbook) as book:
        assert live.run_action("new_workbook", choose_file=clash) is False
        (alert,) = alerts(book)
        assert clash.asked[1].initial_name == "ICP 2.xlsx"
        free = answers(accounts_csv, elsewhere / "ICP 2.xlsx")
        assert live.run_action("new_workbook", choose_file=free) is True
        assert book.app.books.active.name == "ICP 2.xlsx"
    assert not (elsewhere / "icp.xlsx").exists()  # nothing written
    assert alert["prompt"].startswith("A workbook named icp.xlsx is already open in Excel")
    assert "save it as icp 2.xlsx" in alert["prompt"]


def test_free_workbook_name_counts_up_ignoring_case() -> None:
    assert live.free_workbook_name("ICP.xlsx", ("Budget.xlsx",)) == "ICP.xlsx"
    assert live.free_workbook_name("ICP.xlsx", ("icp.xlsx", "ICP 2.xlsx")) == "ICP 3.xlsx"


def test_new_workbook_shows_its_progress_on_the_status_bar_and_nothing_on_stderr(
    accounts_csv: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "New.xlsx"
    with active_engine():
        app = xw.App(add_book=False)
        blank = app.books.add()
        blank.set_mock_caller()
        chosen = answers(accounts_csv, target)
        assert live.run_action("new_workbook", None, blank.name, choose_file=chosen) is True
        history = app.impl.status_history
        assert app.impl.alerts == []
    assert any(str(m).startswith("ICP: Scoring") for m in history), history
    assert capfd.readouterr().err == ""
    assert not (tmp_path / "logs").exists()  # no stray output needed keeping


def test_stray_library_output_during_an_action_goes_to_a_log_not_stderr(
    workbook: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str], monkeypatch
) -> None:
    import sys
    import warnings

    real = live.HANDLERS["validate"]

    def chatty(session: live.Session) -> None:
        warnings.warn("a library's warning", UserWarning, stacklevel=1)
        print("a library's note", file=sys.stderr)
        real[1](session)

    monkeypatch.setitem(live.HANDLERS, "validate", (real[0], chatty))
    with excel(workbook):
        assert live.run_action("validate") is True
    assert capfd.readouterr().err == ""
    (kept,) = (tmp_path / "logs").glob("icp_xl_validate_*_output.log")
    assert "a library's note" in kept.read_text(encoding="utf-8")


def test_the_macos_save_dialog_gets_the_folder_as_text_for_an_alias(tmp_path: Path) -> None:
    """appscript (macOS only, not installable here) packs str and mactypes.Alias, not
    pathlib.Path: the dialog's arguments are plain str, the folder wrapped by the alias
    type it is given."""
    made: list[object] = []

    def alias(path: str) -> tuple[str, str]:
        made.append(path)
        return ("alias", path)

    request = live.FileRequest("save", "Export", live.CSV_FILES, "scores.csv", folder=tmp_path)
    options = file_dialogs.mac_save_options(request, alias)
    assert options == {
        "with_prompt": "Export",
        "default_name": "scores.csv",
        "default_location": ("alias", str(tmp_path)),
    }
    assert [type(value) for value in made] == [str]
    assert not any(isinstance(v, Path) for v in options.values())
    no_folder = live.FileRequest("save", "New", live.WORKBOOK_FILES, "ICP.xlsx")
    assert "default_location" not in file_dialogs.mac_save_options(no_folder, alias)


def test_a_protected_sheet_gets_a_sentence_naming_it(workbook: Path) -> None:
    protected = openpyxl.load_workbook(workbook)
    protected[layout.SCORES].protection.sheet = True
    protected.save(workbook)
    with excel(workbook) as book:
        assert live.run_action("rescore") is False
        (alert,) = alerts(book)
    assert alert["prompt"] == (
        f"The {layout.SCORES} sheet is protected, so ICP cannot write to it; unprotect it "
        "(Review > Unprotect Sheet) and click the button again"
    )


def test_help_names_the_stop_button_as_the_ribbon_spells_it(workbook: Path) -> None:
    with excel(workbook) as book:
        assert live.run_action("help", open_file=lambda path: None) is True
        (alert,) = alerts(book)
    assert "Click ICP > Stop to stop it" in alert["prompt"]  # key_state None: not Windows
    assert "Diagnose:" in alert["prompt"] and "Restart Python:" in alert["prompt"]


def test_the_user_guide_lists_every_ribbon_button_and_no_bare_commands() -> None:
    import re
    import xml.etree.ElementTree as ET

    from icp_xl.excel.addin import load_addin_sources

    root = ET.fromstring(load_addin_sources().ribbon_xml)
    labels = [el.get("label") for el in root.iter() if el.tag.endswith("}button")]
    guide = live.user_guide().read_text(encoding="utf-8")
    assert [label for label in labels if f"<tr><td>{label}</td>" not in guide] == []
    # a command is given as the environment's program: no activation, no PATH needed
    bare = re.findall(r"<code>icp-xl [^<]*</code>", guide)
    assert bare == []


def test_an_unexpected_error_with_no_writable_log_folder_still_gets_one_sentence(
    workbook: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("a file where the log folder should be", encoding="utf-8")
    monkeypatch.setenv(live.LOG_FOLDER_ENV, str(blocker / "logs"))

    def broken(session: live.Session) -> None:
        raise ZeroDivisionError("boom")

    monkeypatch.setitem(live.HANDLERS, "validate", ("Validate", broken))
    with excel(workbook) as book:
        assert live.run_action("validate") is False
        (alert,) = alerts(book)
    assert alert["prompt"].startswith(
        "Validate stopped on an unexpected error (ZeroDivisionError). No log could be written"
    )
