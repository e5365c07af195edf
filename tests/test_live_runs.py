"""The ribbon's run control through xlwings' real API (openpyxl-backed engine): one action
at a time per workbook, stopping Optimize with Esc (the OS key state simulated) and with
the Stop button (a second ``run_action('stop')``, as macOS runs it while Optimize goes on),
the xlwings version check, the blank workbook RunPython needs from an empty Excel, the
weights buttons' rescore and the export dialog's folder."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import xlwings as xw
from support.live import alerts, answers, excel, module_template, own_home  # noqa: F401 (fixtures)
from support.openpyxl_engine import active_engine

from icp_xl.excel import ribbon as live
from icp_xl.excel.addin import runs
from icp_xl.excel.addin.version import ADDIN_XLWINGS_ENV, version_mismatch
from icp_xl.excel.formulas import ICP_SEGMENT
from icp_xl.hosts.file.book import FileBook
from icp_xl.workbook import actions, layout

VK_ESCAPE = 0x1B


def during_first_progress(monkeypatch: pytest.MonkeyPatch, book: Any, act: Callable[[], None]):
    """Call ``act`` once, while the status bar shows Optimize's first progress (what a
    user sees before clicking or pressing a key)."""
    engine_app = type(book.app.impl)
    shown = engine_app.status_bar
    done: list[bool] = []

    def show(self: Any, value: Any) -> None:
        shown.fset(self, value)
        if not done and isinstance(value, str) and value.startswith("ICP optimize: search 1/"):
            done.append(True)
            act()

    monkeypatch.setattr(engine_app, "status_bar", property(shown.fget, show))


def stored_trials(path: Path) -> tuple[float, bool]:
    saved = FileBook.open(path, for_writing=False)
    summary = dict(saved.read_range("Optimization", "A3:B18"))
    assert saved.read_name("Opt_Trials") == summary["Trials asked"]  # as asked on Settings
    return summary["Study trials (+ refinement)"], summary["Interrupted"]  # completed


class Keyboard:
    """The OS key state ``GetAsyncKeyState`` reports: Esc goes down when ``press()`` is called
    (bit 0x8000 while down, 0x0001 once for "pressed since the last call")."""

    def __init__(self) -> None:
        self.escape_down = False
        self.pressed_since = False
        self.polls = 0

    def press(self) -> None:
        self.escape_down = self.pressed_since = True

    def __call__(self, key: int) -> int:
        self.polls += 1
        if key != VK_ESCAPE:
            return 0
        state = (0x8000 if self.escape_down else 0) | (1 if self.pressed_since else 0)
        self.pressed_since = False
        return state


def test_optimize_stops_on_esc_and_keeps_the_best_so_far(
    workbook: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keyboard = Keyboard()
    keyboard.press()  # an Esc from before the run (leaving a cell edit) must not stop it
    keyboard.escape_down = False
    with excel(workbook) as book:
        during_first_progress(monkeypatch, book, keyboard.press)
        assert live.run_action("optimize", key_state=keyboard) is True
        (alert,) = alerts(book)
        history = book.app.impl.status_history
        book.save()
    assert "Optimize stopped on request (Esc)" in alert["prompt"]
    assert any("(press Esc to stop, keeping the best so far)" in str(m) for m in history)
    trials, interrupted = stored_trials(workbook)
    assert interrupted is True and 1 <= trials < 8


def test_optimize_stops_on_the_stop_button_and_a_second_action_is_refused(
    workbook: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    results: dict[str, bool] = {}

    def user_clicks_rescore_then_stop() -> None:
        results["rescore"] = live.run_action("rescore")
        results["stop"] = live.run_action("stop")

    with excel(workbook) as book:
        during_first_progress(monkeypatch, book, user_clicks_rescore_then_stop)
        assert live.run_action("optimize") is True
        refused, stopping, stopped = alerts(book)
        book.save()
    assert results == {"rescore": False, "stop": True}
    assert refused["mode"] == "critical"
    assert refused["prompt"].startswith("ICP is still running Optimize on ICP.xlsx (started ")
    assert "wait for it to finish or click ICP > Stop" in refused["prompt"]
    assert stopping["prompt"].startswith("Optimize on ICP.xlsx is stopping")
    assert "Optimize stopped on request (the Stop button)" in stopped["prompt"]
    trials, interrupted = stored_trials(workbook)
    assert interrupted is True and 1 <= trials < 8
    assert list(runs.runs_folder().iterdir()) == []  # lock and stop request gone


def test_after_a_run_the_next_action_runs_and_stop_says_nothing_runs(workbook: Path) -> None:
    with excel(workbook) as book:
        assert live.run_action("rescore") is True
        assert live.run_action("rescore") is True
        assert live.run_action("stop") is True
        *data_quality_notes, alert = alerts(book)
    assert all("Data Quality" in a["prompt"] for a in data_quality_notes)
    assert alert["prompt"] == "Nothing is running on ICP.xlsx; Stop stops a running Optimize."


def test_a_lock_left_by_a_dead_process_is_taken_over(workbook: Path) -> None:
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead_pid = int(finished.stdout)
    with excel(workbook) as book:
        stale = runs.acquire_run(book.fullname, "optimize", "Optimize", pid=dead_pid)
        assert not runs.process_alive(dead_pid)
        assert live.run_action("rescore") is True
        assert [a["mode"] for a in alerts(book)] in ([], ["info"])  # no refusal; data notes only
    assert not stale.path.exists()


def test_a_lock_held_by_a_live_process_refuses_and_names_the_lock_file(workbook: Path) -> None:
    with excel(workbook) as book:
        # this test's own process is alive: a run it holds blocks the button
        with runs.acquire_run(book.fullname, "import_accounts", "Import accounts") as lock:
            assert live.run_action("validate") is False
        (alert,) = alerts(book)
    assert alert["prompt"].startswith("ICP is still running Import accounts on ICP.xlsx")
    assert str(lock.path) in alert["prompt"] and "Stop" not in alert["prompt"]


def test_an_addin_built_for_another_xlwings_is_refused_before_anything_runs(
    workbook: Path,
) -> None:
    with excel(workbook) as book:
        assert live.run_action("rescore", "0.30.1") is False
        (alert,) = alerts(book)
        assert book.app.impl.status_history == []
    assert alert["mode"] == "critical"
    assert alert["prompt"] == (
        f"The ICP add-in was built for xlwings 0.30.1 but Python has xlwings {xw.__version__}; "
        "to rebuild it, close Excel, run 'icp-xl addin install' and start Excel again."
    )
    with excel(workbook) as book:
        assert live.run_action("validate", xw.__version__) is True


def test_formulas_refuse_under_an_addin_for_another_xlwings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert ICP_SEGMENT(50_000_000) == "Small Business"
    monkeypatch.setenv(ADDIN_XLWINGS_ENV, xw.__version__)
    assert ICP_SEGMENT(50_000_000) == "Small Business"
    monkeypatch.setenv(ADDIN_XLWINGS_ENV, "0.36.0")
    assert ICP_SEGMENT(50_000_000) == f"#ICP! {version_mismatch('0.36.0')}"


def empty_excel() -> Any:
    """Excel with only the add-in loaded, after the add-in's VBA opened a blank workbook
    because RunPython needs an active one (``Workbooks.Add``); returns that blank book."""
    app = xw.App(add_book=False)  # add-ins are never in the workbook list
    blank = app.books.add()
    blank.set_mock_caller()  # RunPython passes the active workbook: the blank one
    return blank


def test_new_workbook_from_an_empty_excel_closes_the_blank_workbook(
    tmp_path: Path, accounts_csv: Path
) -> None:
    target = tmp_path / "New.xlsx"
    with active_engine():
        blank = empty_excel()
        app = blank.app
        assert live.run_action("new_workbook", xw.__version__, blank.name,
                               choose_file=answers(accounts_csv, target)) is True  # fmt: skip
        assert [b.fullname for b in app.books] == [str(target.resolve())]
        assert app.impl.alerts == []


def test_help_from_an_empty_excel_opens_the_installed_guide(tmp_path: Path) -> None:
    opened: list[Path] = []
    with active_engine():
        blank = empty_excel()
        app = blank.app
        assert live.run_action("help", None, blank.name, open_file=opened.append) is True
        assert app.books.count == 0
        (alert,) = app.impl.alerts
    assert opened == [live.user_guide()]
    assert "<h1>ICP for Excel: user guide</h1>" in opened[0].read_text(encoding="utf-8")
    assert str(live.user_guide()) in alert["prompt"] and "SPEC" not in alert["prompt"]


def test_a_blank_workbook_the_user_made_is_not_taken_for_the_addins(workbook: Path) -> None:
    with excel(workbook) as book:
        assert live.run_action("validate", None, "Book99") is True
        assert book.app.books.active.fullname == str(workbook.resolve())


@pytest.mark.parametrize(
    ("action", "which", "expected"),
    [
        ("use_optimized_weights", "optimized", (0.4, 0.2, 0.2, 0.2)),
        ("reset_weights", "default", (0.3, 0.3, 0.2, 0.2)),
    ],
)
def test_weights_buttons_rescore_and_confirm(
    workbook: Path, action: str, which: str, expected: tuple[float, ...]
) -> None:
    book = FileBook.open(workbook)
    for component, value in zip(layout.OPTIMIZED_WEIGHT_NAMES, expected, strict=True):
        book.set_name(layout.OPTIMIZED_WEIGHT_NAMES[component], value)
    book.set_name(layout.WEIGHT_NAMES["vertical"], 0.25)
    book.set_name(layout.WEIGHT_NAMES["size"], 0.35)
    actions.rescore(book)  # the Scores of other weights than the button's
    book.save()
    with excel(workbook) as live_book:
        assert live.run_action(action) is True
        (alert,) = alerts(live_book)
        live_book.save()
    weights = " / ".join(f"{w:.2f}" for w in expected)
    assert alert["mode"] == "info"
    assert alert["prompt"] == (
        f"The {which} weights ({weights} for vertical / size / adoption / relationship) are "
        "now the current weights, and the 300 accounts were rescored."
    )
    saved = FileBook.open(workbook, for_writing=False)
    current = tuple(saved.read_name(layout.WEIGHT_NAMES[c]) for c in layout.WEIGHT_NAMES)
    assert current == pytest.approx(expected)
    # the Scores sheet is the one a rescore with the new weights writes
    rescored = FileBook.open(workbook)
    actions.rescore(rescored)
    expected_scores = rescored.read_table(layout.SCORES_TABLE.name).select_dtypes("number")
    written_scores = saved.read_table(layout.SCORES_TABLE.name)[expected_scores.columns]
    pd.testing.assert_frame_equal(written_scores, expected_scores, check_dtype=False)


def test_export_dialog_starts_next_to_the_workbook(workbook: Path, tmp_path: Path) -> None:
    choose = answers(tmp_path / "out.csv")
    with excel(workbook):
        assert live.run_action("export_csv", choose_file=choose) is True
    (request,) = choose.asked
    assert request.mode == "save" and request.folder == workbook.parent.resolve()
    assert request.initial_name.startswith("icp_scores_")
