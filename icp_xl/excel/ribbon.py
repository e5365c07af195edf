"""The ribbon's entry point: :func:`run_action` runs one workbook action in live Excel.

Each ICP ribbon button runs (through ``RunIcpAction`` in ``workbook/vba/IcpRibbon.bas``)
``RunPython "import icp_xl.excel.ribbon; icp_xl.excel.ribbon.run_action('<name>', '<xlwings
version of the add-in>', '<blank workbook>')"``; the names are the keys of :data:`HANDLERS`.
:func:`run_action` first refuses an add-in built for another xlwings version
(:mod:`icp_xl.excel.addin.version`) and a second action on a workbook that is still busy
(:mod:`icp_xl.excel.addin.runs`; macOS lets Excel click on while Python runs). It acts
on ``xw.Book.caller()``: xlwings' RunPython passes the name of the workbook that was
active when the button was clicked (``--wb=<ActiveWorkbook.Name>`` in the add-in's
``xlwings`` VBA module), not the add-in, so a workbook activated during Python's start
is left alone. It refuses a workbook that is not an ICP workbook before any dialog,
wraps the target in an :class:`~icp_xl.hosts.xlwings_book.XlwingsBook` and calls the
same action function the CLI calls (:mod:`icp_xl.workbook.actions`). Around it:

- a blank workbook the add-in opened only because RunPython needs an active workbook
  (New ICP workbook and Help from an empty Excel) is closed again at the end;
- the status bar shows what is running and the action's progress, and is given back
  to Excel at the end, whatever happens;
- a user error (:class:`~icp_xl.core.errors.IcpError`) shows a message box with its one
  sentence, no traceback;
- anything else shows a short message naming a log file (under
  :func:`log_folder`) that holds the traceback;
- nothing goes to stderr (xlwings on macOS shows stderr as an "Error" box even after a
  success): library output during an action is kept in a log file instead;
- a workbook on OneDrive/SharePoint (an https ``FullName``) works: locks and logs are
  keyed on :func:`workbook_fullname`, which falls back to the workbook's name when
  xlwings cannot map the address to a local file.

Only open-source xlwings is used: ``App.status_bar``, ``App.alert`` (a native message
box on Windows and macOS), ``Book.caller``, ``Range.value``, ``Table.resize``.
"""

from __future__ import annotations

import io
import os
import platform
import subprocess
import sys
import time
import traceback
import webbrowser
from collections.abc import Callable, Mapping
from contextlib import ExitStack, redirect_stderr, suppress
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

from icp_xl.core.errors import IcpError
from icp_xl.core.model.segments import ALL_SEGMENTS
from icp_xl.core.model.won_target import won_sentences
from icp_xl.excel.addin import runs
from icp_xl.excel.addin.version import version_mismatch
from icp_xl.excel.file_dialogs import (  # tests also reach the request types from here
    ChooseFile,
    FileRequest,
    excel_file_dialog,
)
from icp_xl.hosts.xlwings_book import XlwingsBook
from icp_xl.workbook import actions
from icp_xl.workbook.actions.rescoring import weights_text
from icp_xl.workbook.book import Book
from icp_xl.workbook.identity import not_icp_workbook
from icp_xl.workbook.layout import SETTINGS

TITLE = "ICP"
LOG_FOLDER_ENV = "ICP_XL_LOG_DIR"
ACCOUNT_FILES: tuple[tuple[str, str], ...] = (("Accounts (CSV or Excel)", "*.csv;*.xlsx"),)
WORKBOOK_FILES: tuple[tuple[str, str], ...] = (("Excel workbook", "*.xlsx"),)
CSV_FILES: tuple[tuple[str, str], ...] = (("CSV file", "*.csv"),)
OPPORTUNITY_FILES: tuple[tuple[str, str], ...] = (
    ("CRM opportunities (CSV or Excel)", "*.csv;*.xlsx"),
)
OpenFile = Callable[[Path], None]
"""``open_file(path)`` opens a document with the program the OS uses for it."""


@dataclass
class Session:
    """What a ribbon handler works with: the live ``book`` (an XlwingsBook over the
    workbook the button was clicked in) and its ``fullname`` (:func:`workbook_fullname`:
    its local path, or its name when xlwings cannot map a cloud address), the xlwings ``app``, and
    the machine's side: ``choose_file`` for file dialogs, ``key_state`` to poll Esc
    (Windows), ``open_file`` to open a document."""

    app: Any
    book: Book | None
    choose_file: ChooseFile
    fullname: str | None = None
    key_state: runs.KeyState | None = None
    open_file: OpenFile | None = None
    workbook_name: str | None = None
    """The workbook's name as Excel shows it (``budget.xlsx``), for messages."""
    open_names: tuple[str, ...] = ()
    """The names of the workbooks open in this Excel (it refuses a second of one name)."""

    @property
    def workbook(self) -> Book:
        """The ICP workbook the button was clicked in. A clear error, before any dialog,
        when no workbook is open or the workbook is not an ICP workbook."""
        if self.book is None:
            raise IcpError("Open an ICP workbook first (or use New ICP workbook)")
        problem = not_icp_workbook(self.book.sheet_names(), self.workbook_name or "workbook")
        if problem is not None:
            raise IcpError(problem)
        return self.book

    @property
    def folder(self) -> Path | None:
        """The folder of the workbook, when it is saved on this machine."""
        if not self.fullname or "://" in self.fullname:
            return None
        path = Path(self.fullname)
        return path.parent if path.is_absolute() and path.parent.is_dir() else None

    def tell(self, message: str, critical: bool = False) -> None:
        """Show ``message`` in a message box."""
        self.app.alert(message, title=TITLE, mode="critical" if critical else "info")

    def ask(self, question: str) -> bool:
        """Ask ``question`` in a Yes/No message box; True for Yes."""
        return self.app.alert(question, title=TITLE, buttons="yes_no", mode="critical") == "yes"


# ---------------------------------------------------------------- progress and logs


def stop_file() -> Path:
    """The file whose existence stops a running Optimize: ``~/.icp_xl/STOP`` (made by hand,
    from Explorer/Finder or a terminal; Esc and the Stop button are the usual ways)."""
    return runs.stop_file()


def stop_hint(key_state: runs.KeyState | None) -> str:
    """How the user stops Optimize on this machine, for the status bar."""
    return "press Esc" if key_state is not None else "click ICP > Stop"


class StatusProgress:
    """An optimizer progress callback that writes to the status bar at most every
    ``interval`` seconds (each write is a round trip to Excel), and always at the end.

    On every call it asks ``stop`` (a :class:`~icp_xl.excel.addin.runs.StopSignals`)
    whether the user asked to stop (Esc, the Stop button, the STOP file) and then raises
    KeyboardInterrupt, so the optimizer returns the best trial so far
    (``interrupted=True``); :attr:`stopped_by` says how."""

    def __init__(self, book: Book, stop: runs.StopSignals, interval: float = 0.5,
                 clock: Callable[[], float] = time.monotonic) -> None:  # fmt: skip
        self.book = book
        self.stop = stop
        self.interval = interval
        self.clock = clock
        self.stopped_by: str | None = None
        self._last = -float("inf")
        self._hint = stop_hint(stop.key_state)

    def __call__(self, phase: str, done: int, total: int, best: float) -> None:
        how = self.stop.requested()
        if how is not None:
            self.stopped_by = how
            raise KeyboardInterrupt(f"stop requested ({how})")
        now = self.clock()
        if done < total and now - self._last < self.interval:
            return
        self._last = now
        self.book.status(
            f"ICP optimize: {phase} {done:,}/{total:,} trials, best {best:.4f} "
            f"({self._hint} to stop, keeping the best so far)"
        )


def log_folder() -> Path:
    """Where tracebacks of unexpected errors go: ``$ICP_XL_LOG_DIR`` if set, else
    ``~/.icp_xl/logs``."""
    folder = os.environ.get(LOG_FOLDER_ENV)
    return Path(folder) if folder else Path.home() / ".icp_xl" / "logs"


def write_error_log(action: str, workbook: str | None, error: BaseException) -> Path:
    """Write the traceback of ``error`` (raised by ``action`` on ``workbook``) to a new
    file in :func:`log_folder` and return its path."""
    from icp_xl import __version__

    folder = log_folder()
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d_%H%M%S_%f")
    path = folder / f"icp_xl_{action}_{stamp}.log"
    details = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    path.write_text(
        f"action: {action}\nworkbook: {workbook}\nicp_xl: {__version__}\n"
        f"python: {sys.version.split()[0]} on {platform.platform()}\n\n{details}",
        encoding="utf-8",
    )
    return path


# ---------------------------------------------------------------- handlers


def _rescore(session: Session) -> None:
    _tell_data_quality(session, actions.rescore(session.workbook), "Rescored")


def _tell_data_quality(
    session: Session, result: actions.RescoreResult, done: str, always: bool = False
) -> None:
    """The closing message of Rescore and Import: the scoring warnings (weights that differ
    from the calibration's) and the Data Quality warnings, when any (``always``: also when
    there are none)."""
    from icp_xl.workbook.actions.data_quality import summary_lines

    lines = summary_lines(result.quality)
    if not (lines or result.warnings or always):
        return
    parts = [f"{done} {result.accounts:,} accounts.", *(f"Warning: {w}." for w in result.warnings)]
    if lines:
        parts.append(
            "Data Quality found:\n"
            + "\n".join(f"- {line}" for line in lines)
            + "\n\nDetails are on the Data Quality sheet."
        )
    else:
        parts.append("Data Quality found no warnings.")
    session.tell("\n\n".join(parts) if result.warnings else " ".join(parts))


def _refresh_segment_view(session: Session) -> None:
    actions.refresh_segment_view(session.workbook)


def _apply_weights(session: Session, which: str, copy: Callable[[Book], Any]) -> None:
    """Copy weights into the weight cells with ``copy``, rescore, and say so."""
    book = session.workbook
    weights = copy(book)
    result = actions.rescore(book)
    calibration = result.scored.calibration
    made = (
        " The calibration was made anew with them on these accounts (Calibrated mode: a "
        "calibration belongs to its weights)."
        if calibration is not None and calibration.weights == weights
        else ""
    )
    session.tell(
        f"The {which} weights ({weights_text(weights)} for vertical / size / adoption / "
        f"relationship) are now the current weights, and the {result.accounts:,} accounts "
        f"were rescored.{made}"
    )


def _use_optimized_weights(session: Session) -> None:
    _apply_weights(session, "optimized", actions.use_optimized_weights)


def _reset_weights(session: Session) -> None:
    _apply_weights(session, "default", actions.reset_weights)


def stop_signals(session: Session) -> runs.StopSignals:
    """The ways to stop an Optimize on the session's workbook (see :mod:`..addin.runs`)."""
    files = [runs.stop_file()]
    if session.fullname:
        files.insert(0, runs.stop_request_path(session.fullname))
    return runs.StopSignals(tuple(files), session.key_state)


def _optimize(session: Session) -> None:
    book = session.workbook
    signals = stop_signals(session)
    signals.clear()  # requests left from an earlier run must not stop this one
    progress = StatusProgress(book, signals)
    try:
        result = actions.optimize_book(book, progress=progress)
        # a won target (Settings' Target columns): AUC in-sample, on the time split, lift of A
        won = actions.judge_won_fit(book, result, not result.interrupted, progress)
    except KeyboardInterrupt:  # stopped before any trial finished
        raise IcpError(
            "Optimize was stopped before any trial finished; nothing was written"
        ) from None
    finally:
        signals.clear()
    book.status("ICP optimize: writing results")
    actions.store_optimization(book, result, won=won)
    said = []
    if result.interrupted:
        how = progress.stopped_by or "Ctrl-C"
        if session.fullname and how == str(runs.stop_request_path(session.fullname)):
            how = "the Stop button"
        said.append(
            f"Optimize stopped on request ({how}) after {result.n_trials:,} trials. The best "
            "weights so far are stored on the Optimization and Weights sheets (out-of-sample "
            "Spearman not measured)."
        )
    if won is not None:
        said += [f"Optimized for '{won.kind}' (Optimization sheet):",
                 *(f"{line}." for line in won_sentences(won))]  # fmt: skip
    if said:
        session.tell("\n".join(said))


def _stop(session: Session) -> None:
    name = Path(session.fullname).name if session.fullname else None
    running = runs.running_action(session.fullname) if session.fullname else None
    if running is None:
        where = f"on {name}" if name else "(no workbook is open)"
        session.tell(f"Nothing is running {where}; Stop stops a running Optimize.")
        return
    if running.action != "optimize":
        label = HANDLERS.get(running.action, (running.action,))[0]
        session.tell(f"{label} on {name} cannot be stopped; it ends by itself in a moment.")
        return
    runs.request_stop(session.fullname)
    session.tell(
        f"Optimize on {name} is stopping: it keeps the best weights found so far, stores "
        "them and then shows a message."
    )


def _import_accounts(session: Session) -> None:
    book = session.workbook
    path = session.choose_file(
        session.app, FileRequest("open", "Import accounts (CSV or XLSX)", ACCOUNT_FILES)
    )
    if path is not None:
        from icp_xl.workbook.actions.accounts_import import ImportNeedsConfirmation

        try:
            result = actions.import_accounts(book, path)
        except ImportNeedsConfirmation as doubt:
            if not session.ask(f"{doubt}.\n\nReplace the accounts with this file anyway?"):
                return
            result = actions.import_accounts(book, path, replace_all=True)
        _tell_data_quality(session, result, f"Imported from {path.name}:", always=True)


def _import_opportunities(session: Session) -> None:
    from icp_xl.workbook.actions.outcomes import import_opportunities_file

    book = session.workbook
    path = session.choose_file(
        session.app,
        FileRequest("open", "Import opportunities (CSV or XLSX)", OPPORTUNITY_FILES),
    )
    if path is None:
        return
    opportunities, report = import_opportunities_file(book, path)
    lines = [f"Imported {len(opportunities):,} opportunities from {path.name}."]
    if report is not None:
        lines += ["", *report.headlines, "", "Details, charts and the backtest: Outcomes sheet."]
    if opportunities.warnings:
        lines += ["", "Warnings:", *(f"- {w}" for w in opportunities.warnings)]
    session.tell("\n".join(lines))


def _new_workbook(session: Session) -> None:
    source = session.choose_file(
        session.app, FileRequest("open", "New ICP workbook: choose the accounts", ACCOUNT_FILES)
    )
    if source is None:
        return
    proposed = free_workbook_name("ICP.xlsx", session.open_names)
    target = session.choose_file(
        session.app,
        FileRequest("save", "New ICP workbook: save as", WORKBOOK_FILES, proposed),
    )
    if target is None:
        return
    if target.name.casefold() in (name.casefold() for name in session.open_names):
        raise IcpError(
            f"A workbook named {target.name} is already open in Excel, which cannot open "
            f"two workbooks of one name; nothing was written. Click New ICP workbook again "
            f"and save it as {free_workbook_name(target.name, session.open_names)}, or close "
            f"{target.name} first"
        )
    session.app.status_bar = f"ICP: building {target.name} from {source.name}"
    # Excel's save dialog has already asked before replacing an existing file.
    from icp_xl.hosts.file.new_workbook import new_workbook

    def status(message: str) -> None:
        session.app.status_bar = f"ICP: {message}"

    path = new_workbook(target, source, overwrite=True, status=status)
    session.app.books.open(str(path))


def free_workbook_name(wanted: str, open_names: tuple[str, ...]) -> str:
    """``wanted`` (``ICP.xlsx``) if no open workbook has that name, else the first free
    ``ICP 2.xlsx``, ``ICP 3.xlsx``, ... (names compared as Excel does, ignoring case)."""
    taken = {name.casefold() for name in open_names}
    stem, suffix = Path(wanted).stem, Path(wanted).suffix
    number, name = 1, wanted
    while name.casefold() in taken:
        number += 1
        name = f"{stem} {number}{suffix}"
    return name


def _export_csv(session: Session, changed: bool = False) -> None:
    book = session.workbook
    view = actions.selected_view(book)
    title = "Export changed grades to CSV" if changed else "Export scores to CSV"
    target = session.choose_file(
        session.app,
        FileRequest(
            "save",
            title,
            CSV_FILES,
            actions.export_file_name(view),
            folder=session.folder,
        ),
    )
    if target is None:
        return
    exported = actions.export_csv(book, target.parent, view=view, output=target, changed=changed)
    warning = actions.stale_warning(book)
    session.tell(f"{exported.message} ({view})." + (f"\n\n{warning}." if warning else ""))


def _export_changed(session: Session) -> None:
    _export_csv(session, changed=True)


def _export_crm(session: Session) -> None:
    book = session.workbook
    name = actions.export_file_name(ALL_SEGMENTS, kind="crm")
    request = FileRequest("save", "Export for CRM write-back", CSV_FILES, name,
                          folder=session.folder)  # fmt: skip
    target = session.choose_file(session.app, request)
    if target is None:
        return
    done = actions.export_crm(book, target.parent, output=target)
    warning = actions.stale_warning(book)
    session.tell(
        f"Exported {done.accounts:,} accounts for the CRM (ICP model version {done.version}) "
        f"to {done.path}" + (f"\n\n{warning}." if warning else "")
    )


def _calibrate(session: Session) -> None:
    book = session.workbook
    calibration, _ = actions.calibrate_book(book)
    book.status(
        f"Calibrated on {calibration.accounts:,} accounts; scoring mode is now Calibrated "
        "(Settings sheet, column Q)"
    )


def _toggle_live(session: Session) -> None:
    from icp_xl.workbook import layout
    from icp_xl.workbook.actions.live import MISSING_LIVE_SHEET, read_live_mode, set_live_mode

    book = session.workbook
    on = not read_live_mode(book)
    if on and layout.LIVE not in book.sheet_names():
        session.tell(MISSING_LIVE_SHEET, critical=True)
        return
    set_live_mode(book, on)
    result = actions.rescore(book)
    if on:
        text = (
            f"Live mode is on: the Scores sheet's {result.accounts:,} scores, grades and "
            "components are now Excel formulas; they recalculate when you edit a weight, a "
            "setting or an account's input (Excel 2021 or later). Movers, Top Customers, the "
            "Account sheet and the Dashboard's figures stay as of the last Rescore."
        )
    else:
        text = "Live mode is off: the Scores sheet holds values; press Rescore after edits."
    session.tell(text)


def _validate(session: Session) -> None:
    result = actions.validate(session.workbook)
    lines = [f"{len(result.problems)} problem(s) to fix:", *(f"- {p}" for p in result.problems)]
    if result.ok:
        lines = ["No problems found: the workbook is ready to score."]
        if result.warnings:
            lines = [f"Ready to score, with {len(result.warnings)} warning(s) to review."]
    if result.warnings:
        lines += ["", "Warnings:", *(f"- {w}" for w in result.warnings)]
    session.tell("\n".join(lines), critical=not result.ok)


HELP_TEXT = """ICP scores your accounts on an Ideal Customer Profile.

New ICP workbook: build a scored workbook from an accounts file (or the sample).
Import accounts: replace the Accounts sheet with a CSV/XLSX file and rescore.
Import opportunities: load CRM deals; the Outcomes sheet shows win rate by grade.
Validate: list every problem in Accounts, Weights and {settings}.
Rescore: score again after editing weights or settings.
Refresh segment view: update the Dashboard for the segment chosen in Dashboard!B3.
Calibrate: freeze the score scale so scores stop moving when other accounts change.
Live formulas on/off: Scores as Excel formulas that recalculate as you edit (Excel 2021+).
Optimize: search the best weights against historical revenue; {stop} to stop it,
  keeping the best weights found so far.
Use optimized weights / Reset weights: make them the current weights and rescore.
Export CSV: save the current segment's scores as CSV.
Export changed: only the accounts whose grade changed at the last rescore (for the CRM).
Diagnose: check Python, the add-in and this workbook; says what to fix.
Restart Python: start the ICP formulas' Python afresh (Windows).
Export for CRM: every account's score, grade, reason and model version, keyed by your ID.
Every rescore records a run: see the Movers sheet and its Runs table.

The user guide: {guide}
Error details: {logs}"""


def user_guide() -> Path:
    """The user guide shipped inside the package (HTML, opens in the browser)."""
    return Path(str(resources.files("icp_xl.excel") / "guide" / "index.html"))


def open_with_default_app(path: Path) -> None:
    """Open ``path`` with the program the OS uses for it (the browser for HTML)."""
    if sys.platform.startswith("win"):
        os.startfile(path)  # type: ignore[attr-defined]  # pragma: no cover - Windows only
    elif sys.platform == "darwin":
        subprocess.run(["open", str(path)], check=False)  # pragma: no cover - macOS only
    else:
        webbrowser.open(path.as_uri())


def _sentence_start(text: str) -> str:
    """``text`` with its first letter upper-case and the rest as it is ("Click ICP > Stop",
    where ``str.capitalize`` would give "Click icp > stop")."""
    return text[:1].upper() + text[1:]


def _help(session: Session) -> None:
    guide = user_guide()
    if session.open_file is not None and guide.is_file():
        session.open_file(guide)
    session.tell(
        HELP_TEXT.format(
            settings=SETTINGS,
            stop=_sentence_start(stop_hint(session.key_state)),
            guide=guide,
            logs=log_folder(),
        )
    )


def _diagnose(session: Session) -> None:
    from icp_xl.excel.doctor import diagnose, report

    findings = diagnose(session.fullname, in_excel=True)
    session.tell(
        "ICP setup check ('icp-xl doctor' in a terminal prints the same):\n\n" + report(findings),
        critical=any(finding.status == "FAIL" for finding in findings),
    )


HANDLERS: Mapping[str, tuple[str, Callable[[Session], None]]] = {
    "new_workbook": ("New ICP workbook", _new_workbook),
    "import_accounts": ("Import accounts", _import_accounts),
    "import_opportunities": ("Import opportunities", _import_opportunities),
    "validate": ("Validate", _validate),
    "rescore": ("Rescore", _rescore),
    "refresh_segment_view": ("Refresh segment view", _refresh_segment_view),
    "calibrate": ("Calibrate", _calibrate),
    "toggle_live": ("Live formulas on/off", _toggle_live),
    "optimize": ("Optimize", _optimize),
    "stop": ("Stop", _stop),
    "use_optimized_weights": ("Use optimized weights", _use_optimized_weights),
    "reset_weights": ("Reset weights", _reset_weights),
    "export_csv": ("Export CSV", _export_csv),
    "export_changed": ("Export changed", _export_changed),
    "export_crm": ("Export for CRM", _export_crm),
    "help": ("Help", _help),
    "diagnose": ("Diagnose", _diagnose),
}
"""Ribbon action name -> (button label, handler); the add-in builder checks that every
button of ``workbook/ribbon.xml`` runs one of these and that each has a button."""


# ---------------------------------------------------------------- entry point


def run_action(
    name: str,
    addin_xlwings: str | None = None,
    blank_workbook: str | None = None,
    *,
    choose_file: ChooseFile | None = None,
    key_state: runs.KeyState | None = None,
    open_file: OpenFile | None = None,
) -> bool:
    """Run the ribbon action ``name`` on the workbook the user clicked in.

    The target is ``xw.Book.caller()``: xlwings' RunPython passes the name of the
    workbook that was active when the button was clicked (``--wb=``), so a workbook
    activated while Python starts is not acted on. ``addin_xlwings``: the xlwings version
    the add-in was built with (refused when it is not the installed one).
    ``blank_workbook``: the name of a blank workbook the add-in opened because RunPython
    needs one; it is not the target and is closed at the end. The machine's side, for
    tests: ``choose_file`` answers file dialogs (default :func:`excel_file_dialog`),
    ``key_state`` is polled for Esc (default: ``GetAsyncKeyState`` on Windows, nothing
    elsewhere), ``open_file`` opens the guide (default :func:`open_with_default_app`).

    Never raises for a failing action and writes nothing to stderr (xlwings on macOS
    shows anything there as an error): every xlwings call is inside the error handling,
    so the user gets one sentence in a message box (see module docstring). Returns True
    when the action finished, False when it showed an error.
    """
    label = HANDLERS.get(name, (name,))[0]
    excel = _ExcelSide()
    stray = io.StringIO()
    try:
        with redirect_stderr(stray), ExitStack() as held:
            held.callback(excel.restore)
            excel.connect(blank_workbook)
            if name not in HANDLERS:
                raise IcpError(f"Unknown ICP action '{name}'; reinstall the ICP add-in")
            mismatch = version_mismatch(addin_xlwings)
            if mismatch is not None:
                raise IcpError(mismatch)
            session = Session(
                excel.app,
                XlwingsBook(excel.target) if excel.target is not None else None,
                choose_file or excel_file_dialog,
                fullname=excel.fullname,
                key_state=key_state if key_state is not None else runs.windows_key_state(),
                open_file=open_file or open_with_default_app,
                workbook_name=excel.target.name if excel.target is not None else None,
                open_names=excel.open_names,
            )
            if name not in runs.UNLOCKED_ACTIONS:
                held.enter_context(
                    runs.acquire_run(session.fullname or "(no workbook)", name, label)
                )
            excel.show(f"ICP: {label}...")
            HANDLERS[name][1](session)
        return True
    except IcpError as error:
        excel.tell(str(error))
        return False
    except Exception as error:
        try:
            where = f"The details are in {write_error_log(name, excel.fullname, error)}"
        except OSError as unwritable:  # no log folder: say so rather than fail again
            where = f"No log could be written to {log_folder()} ({unwritable.strerror})"
        excel.tell(f"{label} stopped on an unexpected error ({type(error).__name__}). {where}")
        return False
    finally:
        with suppress(OSError):
            _keep_stray_output(name, stray.getvalue())


class _ExcelSide:
    """The Excel end of one ribbon click: the calling app, the target workbook and the
    blank workbook to close, found by :meth:`connect` (inside run_action's error
    handling, because every one of these calls can fail: a cloud workbook's full name,
    an Excel that is busy or gone)."""

    def __init__(self) -> None:
        self.app: Any = None
        self.target: Any = None
        self.blank: Any = None
        self.fullname: str | None = None
        self.open_names: tuple[str, ...] = ()
        self._previous_status: Any = None
        self._shown = False

    def connect(self, blank_workbook: str | None) -> None:
        import xlwings as xw

        caller = xw.Book.caller()
        self.app = caller.app
        if _is_blank(caller, blank_workbook):
            self.blank = caller
        else:
            self.target = caller
            self.fullname = workbook_fullname(caller)
        self.open_names = tuple(book.name for book in self.app.books)
        self._previous_status = self.app.status_bar

    def show(self, message: str) -> None:
        self._shown = True
        self.app.status_bar = message

    def restore(self) -> None:
        """Give the status bar back to Excel and close the blank workbook."""
        if self._shown:
            with suppress(Exception):  # Excel busy or gone: nothing more to do
                self.app.status_bar = self._previous_status
        if self.blank is not None:
            _close_quietly(self.blank)

    def tell(self, message: str) -> None:
        """Show an error ``message``: in Excel when it was reached, else as the one line
        xlwings shows from stderr (the exit status 1 makes Windows show it too)."""
        try:
            if self.app is None:
                import xlwings as xw

                self.app = xw.apps.active
            self.app.alert(message, title=TITLE, mode="critical")
        except Exception:
            raise SystemExit(f"ICP: {message}") from None


def workbook_fullname(book: Any) -> str:
    """What identifies ``book`` for run locks, stop requests and logs: its full name on
    this machine, or its name when xlwings cannot map a cloud address to a local file.

    A workbook on OneDrive/SharePoint with AutoSave has an https address as
    ``FullName``; xlwings' ``Book.fullname`` maps it to the synced local file and raises
    when it finds none. Excel never has two workbooks of one name open, so the name
    identifies it within that Excel."""
    try:
        return str(book.fullname)
    except Exception:
        return str(book.name)


def _keep_stray_output(action: str, text: str) -> None:
    """Keep what libraries wrote to stderr during an action in a log file (xlwings on
    macOS would show it as an error, even after a success); nothing when there was none."""
    if text.strip():
        folder = log_folder()
        folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now().strftime("%Y%m%d_%H%M%S_%f")
        (folder / f"icp_xl_{action}_{stamp}_output.log").write_text(text, encoding="utf-8")


def _is_blank(book: Any, blank_workbook: str | None) -> bool:
    """Whether ``book`` is the never-saved blank workbook the add-in opened."""
    return bool(blank_workbook) and book.name == blank_workbook == book.fullname


def _close_quietly(book: Any) -> None:
    with suppress(Exception):  # already closed by the user: nothing to tidy
        book.close()
