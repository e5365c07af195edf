"""The ribbon path end to end: ``icp_xl.excel.ribbon.run_action`` through xlwings' real API.

A real ICP workbook (made by ``actions.new_workbook``, as ``icp-xl new`` does) is
opened with ``xw.Book(path)`` in the openpyxl-backed engine and is the caller
(``xw.Book.caller()`` is the workbook that was active when the button was clicked:
xlwings' RunPython passes ``--wb=<ActiveWorkbook.Name>``). File dialogs are answered by a
``choose_file`` function; message boxes and the status bar are recorded by the
engine's App.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import openpyxl
import pandas as pd
import pytest
import xlwings as xw
from support.live import alerts, answers, excel, fast_workbook, own_folders
from support.openpyxl_engine import active_engine

from icp_xl.excel import ribbon as live
from icp_xl.excel.addin import load_addin_sources
from icp_xl.excel.addin.runs import StopSignals
from icp_xl.excel.addin.sources import ribbon_callbacks
from icp_xl.hosts.file.book import FileBook
from icp_xl.workbook import actions, layout

# Cells that hold the time of the run, different on every run by design.
TIME_CELLS = {
    (layout.DASHBOARD, layout.LAST_RESCORED.ref),
    (layout.WEIGHTS, layout.NAMES_BY_NAME["Opt_RunAt"].ref),
    (layout.DATA_QUALITY, layout.DATA_QUALITY_TIME_CELL),
    (layout.SETTINGS, "R8"),  # Calibrated at, and its copy on Movers
    (layout.MOVERS, "AP12"),
    (layout.OUTCOMES, layout.NAMES_BY_NAME["Outcome_RefreshedAt"].ref),
}
RUNS_ROW = int(layout.RUNS_TOP_LEFT[1:])  # the Runs table's Time column (B) below it
# Actions that change the workbook, run on both backends and compared.
WRITING_ACTIONS = (
    "rescore",
    "refresh_segment_view",
    "optimize",
    "use_optimized_weights",
    "reset_weights",
    "import_accounts",
    "calibrate",
)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scored ICP workbook whose optimizer runs few trials (fast tests)."""
    return fast_workbook(tmp_path_factory.mktemp("template") / "ICP.xlsx")


@pytest.fixture(autouse=True)
def folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    return own_folders(tmp_path, monkeypatch)


@pytest.fixture
def home(folders: tuple[Path, Path]) -> Path:
    """The test's home folder: the stop file is ``~/.icp_xl/STOP``."""
    return folders[0]


@pytest.fixture
def logs(folders: tuple[Path, Path]) -> Path:
    return folders[1]


def sheet_values(path: Path) -> dict[str, list[list[Any]]]:
    """Every cell value of every sheet as saved (numbers to 12 significant digits, time
    cells masked)."""
    workbook = openpyxl.load_workbook(path)
    values = {}
    for ws in workbook.worksheets:
        rows = []
        for row in ws.iter_rows():
            cells = []
            for cell in row:
                value = cell.value
                run_time = (
                    ws.title == layout.MOVERS and cell.row > RUNS_ROW and cell.column in (2, 5)
                ) or (ws.title == layout.GRADE_HISTORY and cell.row > 3 and cell.column == 2)
                if ((ws.title, cell.coordinate) in TIME_CELLS or run_time) and value is not None:
                    value = "<time>"
                elif isinstance(value, int | float) and not isinstance(value, bool):
                    value = float(f"{value:.12g}")  # xlsx text round trip
                cells.append(value)
            while cells and cells[-1] is None:
                cells.pop()
            rows.append(cells)
        while rows and not rows[-1]:
            rows.pop()
        values[ws.title] = rows
    return values


def edit_inputs(path: Path) -> None:
    """What a user does before pressing a button: pick a segment view, edit two weights,
    and have optimized weights on the sheet (so every writing action changes something)."""
    book = FileBook.open(path)
    book.set_name("SegmentView", "Mid-Market")
    for component, opt_name in layout.OPTIMIZED_WEIGHT_NAMES.items():
        book.set_name(opt_name, {"vertical": 0.4, "relationship": 0.2}.get(component, 0.2))
    book.set_name(layout.WEIGHT_NAMES["adoption"], 0.25)
    book.set_name(layout.WEIGHT_NAMES["relationship"], 0.15)
    book.save()


def _deals_csv(accounts_csv: Path, folder: Path) -> Path:
    """Sample opportunities of the accounts in ``accounts_csv``, as a CSV file."""
    from icp_xl.core.inputs.sample_opportunities import make_sample_opportunities

    path = folder / "deals.csv"
    make_sample_opportunities(pd.read_csv(accounts_csv), seed=3).to_csv(path, index=False)
    return path


def test_every_ribbon_button_runs_a_handler_and_every_handler_has_a_button() -> None:
    sources = load_addin_sources()
    called = {a for m in sources.modules for [a] in ribbon_callbacks(m).values()}
    assert called == set(live.HANDLERS)


@pytest.mark.parametrize("name", list(live.HANDLERS))
def test_run_action_drives_each_action_through_xlwings(
    name: str, workbook: Path, accounts_csv: Path, tmp_path: Path, capfd: pytest.CaptureFixture
) -> None:
    edit_inputs(workbook)
    before = sheet_values(workbook)
    new_path, csv_path = tmp_path / "New ICP.xlsx", tmp_path / "scores.csv"
    dialog_answers = {
        "new_workbook": (accounts_csv, new_path),
        "import_accounts": (accounts_csv,),
        "import_opportunities": (_deals_csv(accounts_csv, tmp_path),),
        "export_csv": (csv_path,),
        "export_changed": (csv_path,),
        "export_crm": (csv_path,),
    }
    choose = answers(*dialog_answers.get(name, ()))
    opened: list[Path] = []
    with excel(workbook) as book:
        capfd.readouterr()  # what the test's own file writes said
        assert live.run_action(name, choose_file=choose, open_file=opened.append) is True
        assert capfd.readouterr().err == ""  # xlwings on macOS shows stderr as an "Error" box
        shown = [a for a in alerts(book) if a["mode"] == "critical"]
        assert shown == [] or name == "diagnose"  # Excel is not installed here: a FAIL
        assert book.app.status_bar is False  # given back to Excel
        assert book.app.impl.status_history[0].startswith("ICP: ")
        if name == "new_workbook":
            assert book.app.books.active.fullname == str(new_path.resolve())
        book.save()
    assert opened == ([live.user_guide()] if name == "help" else [])
    after = sheet_values(workbook)
    exports = ("export_csv", "export_changed", "export_crm")
    if name in ("help", "validate", *exports, "new_workbook", "stop", "diagnose"):
        assert after == before
        if name in exports:
            assert csv_path.read_text(encoding="utf-8-sig").startswith("Customer ID")  # BOM
        if name == "export_crm":
            assert csv_path.read_text(encoding="utf-8-sig").startswith("Customer ID,ICP Score")
        if name == "new_workbook":
            assert FileBook.open(new_path).read_table("ScoresTable").shape[0] == 260
    else:
        assert after != before


@contextmanager
def file_session(path: Path, accounts_csv: Path) -> Iterator[live.Session]:
    book = FileBook.open(path, status=lambda message: None)
    no_excel = SimpleNamespace(alert=lambda *args, **kwargs: None)  # message boxes go nowhere
    yield live.Session(app=no_excel, book=book, choose_file=answers(accounts_csv))
    book.save()


@pytest.mark.parametrize("name", WRITING_ACTIONS)
def test_both_backends_write_the_same_sheets(
    name: str, template: Path, tmp_path: Path, accounts_csv: Path
) -> None:
    file_path, live_path = tmp_path / "file.xlsx", tmp_path / "live.xlsx"
    for path in (file_path, live_path):
        path.write_bytes(template.read_bytes())
        edit_inputs(path)
    handler = live.HANDLERS[name][1]
    with file_session(file_path, accounts_csv) as session:
        handler(session)
    with excel(live_path) as book:
        assert live.run_action(name, choose_file=answers(accounts_csv)) is True
        book.save()
    # FileBook.save re-applies the layout's structure; give the live file the same
    # treatment so only the values the action wrote are compared.
    FileBook.open(live_path).save()
    file_values, live_values = sheet_values(file_path), sheet_values(live_path)
    assert list(file_values) == list(live_values)
    for sheet in file_values:
        assert live_values[sheet] == file_values[sheet], sheet


def test_user_error_shows_one_sentence_and_writes_nothing(workbook: Path, logs: Path) -> None:
    file = FileBook.open(workbook)
    file.set_name(layout.WEIGHT_NAMES["vertical"], 0.9)
    file.save()
    before = sheet_values(workbook)
    with excel(workbook) as book:
        assert live.run_action("rescore") is False
        (alert,) = alerts(book)
        book.save()
    assert alert["mode"] == "critical" and alert["title"] == live.TITLE
    assert "sum" in alert["prompt"] and "1.6" in alert["prompt"]
    assert "Traceback" not in alert["prompt"] and "\n" not in alert["prompt"]
    assert sheet_values(workbook) == before
    assert not logs.exists()


def test_unexpected_error_logs_the_traceback_and_names_the_log(
    workbook: Path, logs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(book: Any, view: str | None = None) -> None:
        book.read_name(layout.SEGMENT_VIEW.name)
        raise ZeroDivisionError("division by zero in a broken action")

    monkeypatch.setattr(actions, "rescore", broken)
    with excel(workbook) as book:
        assert live.run_action("rescore") is False
        (alert,) = alerts(book)
        assert book.app.status_bar is False
    (log,) = logs.iterdir()
    assert str(log) in alert["prompt"] and "ZeroDivisionError" in alert["prompt"]
    assert "Traceback" not in alert["prompt"]
    text = log.read_text()
    assert "Traceback (most recent call last)" in text
    assert "division by zero in a broken action" in text
    assert "action: rescore" in text and "ICP.xlsx" in text


def test_status_bar_shows_progress_and_is_reset(workbook: Path) -> None:
    with excel(workbook) as book:
        book.app.status_bar = "Ready for ICP"
        history = book.app.impl.status_history
        history.clear()
        assert live.run_action("optimize") is True
        assert history[0] == "ICP: Optimize..."
        assert any(m.startswith("Scoring 300 accounts") for m in history)
        assert any(m.startswith("ICP optimize: search") for m in history)
        assert "Writing Scores" in history
        assert history[-1] == "Ready for ICP" == book.app.status_bar


def test_status_progress_throttles_but_always_shows_the_end(tmp_path: Path) -> None:
    shown: list[str] = []

    class Sink:
        def status(self, message: str) -> None:
            shown.append(message)

    times = iter([0.0, 0.1, 0.2, 0.7, 0.8])
    signals = StopSignals((tmp_path / "STOP",), key_state=None)
    progress = live.StatusProgress(Sink(), signals, interval=0.5, clock=lambda: next(times))
    for done in range(1, 6):
        progress("search", done, 5, 0.5 - done / 100)
    hint = " (click ICP > Stop to stop, keeping the best so far)"
    assert shown == [
        "ICP optimize: search 1/5 trials, best 0.4900" + hint,
        "ICP optimize: search 4/5 trials, best 0.4600" + hint,
        "ICP optimize: search 5/5 trials, best 0.4500" + hint,
    ]


def test_status_progress_stops_on_the_next_call_after_a_stop_request(tmp_path: Path) -> None:
    shown: list[str] = []

    class Sink:
        def status(self, message: str) -> None:
            shown.append(message)

    stop = tmp_path / "STOP"
    progress = live.StatusProgress(Sink(), StopSignals((stop,), None), clock=lambda: 0.0)
    progress("search", 1, 9, 0.5)
    stop.touch()
    with pytest.raises(KeyboardInterrupt):
        progress("search", 2, 9, 0.5)  # throttled for the status bar, not for stopping
    assert len(shown) == 1 and progress.stopped_by == str(stop)


def test_validate_lists_problems_in_a_message_box(workbook: Path) -> None:
    file = FileBook.open(workbook)
    file.set_name(layout.WEIGHT_NAMES["size"], "lots")
    file.save()
    with excel(workbook) as book:
        assert live.run_action("validate") is True
        (alert,) = alerts(book)
    assert alert["mode"] == "critical"
    assert alert["prompt"].startswith("1 problem(s) to fix:")
    assert "Weights" in alert["prompt"] and "lots" in alert["prompt"]


def test_cancelled_dialog_changes_nothing(workbook: Path) -> None:
    before = sheet_values(workbook)
    choose = answers()
    with excel(workbook) as book:
        assert live.run_action("import_accounts", choose_file=choose) is True
        assert alerts(book) == []
        book.save()
    assert [r.mode for r in choose.asked] == ["open"]
    assert sheet_values(workbook) == before


def test_no_open_workbook_is_a_user_error() -> None:
    with active_engine():
        app = xw.App(add_book=False)
        blank = app.books.add()  # what the add-in opens because RunPython needs one
        blank.set_mock_caller()
        assert live.run_action("rescore", None, blank.name) is False
        (alert,) = app.impl.alerts
        assert app.books.count == 0
    assert "Open an ICP workbook first" in alert["prompt"]


def test_error_log_names_action_and_time(logs: Path) -> None:
    try:
        raise ValueError("boom")
    except ValueError as error:
        path = live.write_error_log("optimize", "Book1", error)
    assert path.parent == logs and path.name.startswith("icp_xl_optimize_")
    assert dt.date.today().strftime("%Y%m%d") in path.name


def test_import_closes_with_the_data_quality_warnings(
    workbook: Path, accounts_csv: Path, tmp_path: Path
) -> None:
    """The ribbon's Import says what Data Quality found, as icp-xl import prints it."""
    import pandas as pd

    month = pd.read_csv(accounts_csv)
    month.loc[month.index[:18], "Industry"] = "Aerosapce and Defense"
    month.to_csv(tmp_path / "month.csv", index=False)
    with excel(workbook) as book:
        assert live.run_action("import_accounts", choose_file=answers(tmp_path / "month.csv"))
        (alert,) = [a for a in alerts(book) if a["prompt"].startswith("Imported")]
    assert alert["prompt"].startswith(f"Imported from month.csv: {len(month):,} accounts.")
    assert "Aerosapce and Defense (18)" in alert["prompt"]


def test_import_that_drops_most_accounts_asks_first(
    workbook: Path, accounts_csv: Path, tmp_path: Path
) -> None:
    """No keeps the workbook as it was; Yes replaces the accounts."""
    import pandas as pd

    few = tmp_path / "few.csv"
    pd.read_csv(accounts_csv).head(5).to_csv(few, index=False)
    before = sheet_values(workbook)
    with excel(workbook) as book:
        assert live.run_action("import_accounts", choose_file=answers(few)) is True
        (question,) = alerts(book)
        book.save()
    assert question["buttons"] == "yes_no" and "would drop" in question["prompt"]
    assert sheet_values(workbook) == before
    with excel(workbook) as book:
        book.app.impl.replies.append("yes")
        assert live.run_action("import_accounts", choose_file=answers(few)) is True
        book.save()
    accounts = FileBook.open(workbook, for_writing=False).read_table(layout.ACCOUNTS_TABLE.name)
    assert len(accounts) == 5


def test_use_optimized_weights_in_calibrated_mode_makes_the_calibration_anew(
    workbook: Path,
) -> None:
    edit_inputs(workbook)  # optimized weights on the sheet
    with excel(workbook) as book:
        assert live.run_action("calibrate") is True
        assert live.run_action("use_optimized_weights") is True
        (told,) = [a for a in alerts(book) if "now the current weights" in a["prompt"]]
        book.save()
    assert "calibration was made anew" in told["prompt"]
    file = FileBook.open(workbook, for_writing=False)
    made = [file.read_range(layout.SETTINGS, f"R{10 + i}")[0][0] for i in range(4)]
    assert made == [file.read_name(layout.WEIGHT_NAMES[c]) for c in layout.WEIGHT_NAMES]
    runs = file.read_table(layout.RUNS_TABLE.name)
    assert runs["Changed since the run before"].tolist()[-1] == "weights + calibration"
