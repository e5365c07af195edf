"""The ribbon's entry point: :func:`run_action` runs one workbook action in live Excel.

Each ICP ribbon button runs (through ``RunIcpAction`` in ``workbook/vba/IcpRibbon.bas``)
``RunPython "import icp_xl.excel.ribbon; icp_xl.excel.ribbon.run_action('<name>', '<xlwings
version of the add-in>', '<blank workbook>')"``; the names are the keys of :data:`HANDLERS`.
:func:`run_action` first refuses an add-in built for another xlwings version
(:mod:`icp_xl.excel.addin.version`) and a second action on a workbook that is still busy
(:mod:`icp_xl.excel.addin.runs`; macOS lets Excel click on while Python runs). It then
finds the workbook the user is looking at (``xw.Book.caller()`` is the add-in when
called from ``ICP.xlam``, so the target is its app's active workbook), wraps it in an
:class:`~icp_xl.hosts.xlwings_book.XlwingsBook` and calls the same action function the
CLI calls (:mod:`icp_xl.workbook.actions`). Around it:

- a blank workbook the add-in opened only because RunPython needs an active workbook
  (New ICP workbook and Help from an empty Excel) is closed again at the end;
- the status bar shows what is running and the action's progress, and is given back
  to Excel at the end, whatever happens;
- a user error (:class:`~icp_xl.core.errors.IcpError`) shows a message box with its one
  sentence, no traceback;
- anything else shows a short message naming a log file (under
  :func:`log_folder`) that holds the traceback.

Only open-source xlwings is used: ``App.status_bar``, ``App.alert`` (a native message
box on Windows and macOS), ``Book.caller``, ``Range.value``, ``Table.resize``.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
import traceback
import webbrowser
from collections.abc import Callable, Mapping
from contextlib import ExitStack, suppress
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from icp_xl.core.errors import IcpError
from icp_xl.core.model.segments import ALL_SEGMENTS
from icp_xl.excel.addin import runs
from icp_xl.excel.addin.version import version_mismatch
from icp_xl.hosts.xlwings_book import XlwingsBook
from icp_xl.workbook import actions
from icp_xl.workbook.actions.rescoring import weights_text
from icp_xl.workbook.book import Book
from icp_xl.workbook.layout import SETTINGS

TITLE = "ICP"
LOG_FOLDER_ENV = "ICP_XL_LOG_DIR"
ACCOUNT_FILES: tuple[tuple[str, str], ...] = (("Accounts (CSV or Excel)", "*.csv;*.xlsx"),)
WORKBOOK_FILES: tuple[tuple[str, str], ...] = (("Excel workbook", "*.xlsx"),)
CSV_FILES: tuple[tuple[str, str], ...] = (("CSV file", "*.csv"),)
_MAC_TYPES = {"*.csv": "public.comma-separated-values-text",
              "*.xlsx": "org.openxmlformats.spreadsheetml.sheet"}  # fmt: skip


@dataclass(frozen=True)
class FileRequest:
    """A file the user must choose: ``mode`` "open" (existing file) or "save" (new
    file, ``initial_name`` proposed), dialog ``title``, ``filters`` as
    (label, ``"*.csv;*.xlsx"``) pairs and the ``folder`` to start in."""

    mode: Literal["open", "save"]
    title: str
    filters: tuple[tuple[str, str], ...]
    initial_name: str | None = None
    folder: Path | None = None
    """The folder the dialog starts in (None: Excel's current folder)."""


ChooseFile = Callable[[Any, FileRequest], Path | None]
"""``choose_file(app, request)`` -> the chosen path, or None when the user cancels."""
OpenFile = Callable[[Path], None]
"""``open_file(path)`` opens a document with the program the OS uses for it."""


@dataclass
class Session:
    """What a ribbon handler works with: the live ``book`` (an XlwingsBook over the
    active workbook) and its ``fullname`` as Excel gives it, the xlwings ``app``, and
    the machine's side: ``choose_file`` for file dialogs, ``key_state`` to poll Esc
    (Windows), ``open_file`` to open a document."""

    app: Any
    book: Book | None
    choose_file: ChooseFile
    fullname: str | None = None
    key_state: runs.KeyState | None = None
    open_file: OpenFile | None = None

    @property
    def workbook(self) -> Book:
        """The active ICP workbook; a clear error when no workbook is open."""
        if self.book is None:
            raise IcpError("Open an ICP workbook first (or use New ICP workbook)")
        return self.book

    @property
    def folder(self) -> Path | None:
        """The folder of the active workbook, when it is saved on this machine."""
        if not self.fullname or "://" in self.fullname:
            return None
        path = Path(self.fullname)
        return path.parent if path.is_absolute() and path.parent.is_dir() else None

    def tell(self, message: str, critical: bool = False) -> None:
        """Show ``message`` in a message box."""
        self.app.alert(message, title=TITLE, mode="critical" if critical else "info")


# ---------------------------------------------------------------- file dialogs


def excel_file_dialog(app: Any, request: FileRequest) -> Path | None:
    """Ask for a file with Excel's own dialog: ``Application.GetOpenFilename`` /
    ``GetSaveAsFilename`` on Windows, the StandardAdditions ``choose file`` /
    ``choose file name`` dialogs (AppleScript, as xlwings' own ``alert``) on macOS.
    Returns None when the user cancels."""
    if sys.platform.startswith("win"):
        filters = ",".join(
            f"{label} ({patterns}),{patterns}" for label, patterns in request.filters
        )
        if request.mode == "open":
            chosen = app.api.GetOpenFilename(filters, 1, request.title)
        else:
            initial = request.initial_name or ""
            if request.folder is not None:  # a full path makes the dialog start there
                initial = str(request.folder / initial)
            chosen = app.api.GetSaveAsFilename(initial, filters, 1, request.title)
        return None if chosen in (False, None, "False") else Path(str(chosen))
    if sys.platform == "darwin":
        return _mac_file_dialog(app, request)
    raise IcpError(
        "This button needs Excel on Windows or macOS to ask for a file; on this machine "
        "use the icp-xl command line instead"
    )


def _mac_file_dialog(app: Any, request: FileRequest) -> Path | None:
    import osax  # installed with xlwings on macOS (appscript)
    from appscript.reference import CommandError

    additions = osax.OSAX(pid=app.pid)
    additions.activate()
    try:
        if request.mode == "open":
            types = [_MAC_TYPES[p] for _, ps in request.filters for p in ps.split(";")]
            chosen = additions.choose_file(with_prompt=request.title, of_type=types)
        else:
            options: dict[str, Any] = {}
            if request.folder is not None:
                options["default_location"] = request.folder
            chosen = additions.choose_file_name(
                with_prompt=request.title, default_name=request.initial_name or "", **options
            )
    except CommandError as error:
        if error.errornumber == -128:  # user cancelled
            return None
        raise
    return Path(chosen.path)


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


def _tell_data_quality(session: Session, result: actions.RescoreResult, done: str) -> None:
    """The closing message of Rescore and Import: the Data Quality warnings, when any."""
    from icp_xl.workbook.actions.data_quality import summary_lines

    lines = summary_lines(result.quality)
    if lines:
        session.tell(
            f"{done} {result.accounts:,} accounts. Data Quality found:\n"
            + "\n".join(f"- {line}" for line in lines)
            + "\n\nDetails are on the Data Quality sheet."
        )


def _refresh_segment_view(session: Session) -> None:
    actions.refresh_segment_view(session.workbook)


def _apply_weights(session: Session, which: str, copy: Callable[[Book], Any]) -> None:
    """Copy weights into the weight cells with ``copy``, rescore, and say so."""
    book = session.workbook
    weights = copy(book)
    result = actions.rescore(book)
    session.tell(
        f"The {which} weights ({weights_text(weights)} for vertical / size / adoption / "
        f"relationship) are now the current weights, and the {result.accounts:,} accounts "
        "were rescored."
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
    except KeyboardInterrupt:  # stopped before any trial finished
        raise IcpError(
            "Optimize was stopped before any trial finished; nothing was written"
        ) from None
    finally:
        signals.clear()
    book.status("ICP optimize: writing results")
    actions.store_optimization(book, result)
    if result.interrupted:
        how = progress.stopped_by or "Ctrl-C"
        if session.fullname and how == str(runs.stop_request_path(session.fullname)):
            how = "the Stop button"
        session.tell(
            f"Optimize stopped on request ({how}) after {result.n_trials:,} trials. The best "
            "weights so far are stored on the Optimization and Weights sheets (out-of-sample "
            "Spearman not measured)."
        )


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
        _tell_data_quality(session, actions.import_accounts(book, path), "Imported")


def _new_workbook(session: Session) -> None:
    source = session.choose_file(
        session.app, FileRequest("open", "New ICP workbook: choose the accounts", ACCOUNT_FILES)
    )
    if source is None:
        return
    target = session.choose_file(
        session.app,
        FileRequest("save", "New ICP workbook: save as", WORKBOOK_FILES, "ICP.xlsx"),
    )
    if target is None:
        return
    session.app.status_bar = f"ICP: building {target.name} from {source.name}"
    # Excel's save dialog has already asked before replacing an existing file.
    from icp_xl.hosts.file.new_workbook import new_workbook

    path = new_workbook(target, source, overwrite=True)
    session.app.books.open(str(path))


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
    path = actions.export_csv(book, target.parent, view=view, output=target, changed=changed)
    what = "accounts whose grade changed" if changed else "scores"
    warning = actions.stale_warning(book)
    session.tell(f"Exported the {view} {what} to {path}" + (f"\n\n{warning}." if warning else ""))


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
Validate: list every problem in Accounts, Weights and {settings}.
Rescore: score again after editing weights or settings.
Refresh segment view: update the Dashboard for the segment chosen in Dashboard!B3.
Calibrate: freeze the score scale so scores stop moving when other accounts change.
Optimize: search the best weights against historical revenue; {stop} to stop it,
  keeping the best weights found so far.
Use optimized weights / Reset weights: make them the current weights and rescore.
Export CSV: save the current segment's scores as CSV.
Export changed: only the accounts whose grade changed at the last rescore (for the CRM).
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


def _help(session: Session) -> None:
    guide = user_guide()
    if session.open_file is not None and guide.is_file():
        session.open_file(guide)
    session.tell(
        HELP_TEXT.format(
            settings=SETTINGS,
            stop=stop_hint(session.key_state).capitalize(),
            guide=guide,
            logs=log_folder(),
        )
    )


HANDLERS: Mapping[str, tuple[str, Callable[[Session], None]]] = {
    "new_workbook": ("New ICP workbook", _new_workbook),
    "import_accounts": ("Import accounts", _import_accounts),
    "validate": ("Validate", _validate),
    "rescore": ("Rescore", _rescore),
    "refresh_segment_view": ("Refresh segment view", _refresh_segment_view),
    "calibrate": ("Calibrate", _calibrate),
    "optimize": ("Optimize", _optimize),
    "stop": ("Stop", _stop),
    "use_optimized_weights": ("Use optimized weights", _use_optimized_weights),
    "reset_weights": ("Reset weights", _reset_weights),
    "export_csv": ("Export CSV", _export_csv),
    "export_changed": ("Export changed", _export_changed),
    "export_crm": ("Export for CRM", _export_crm),
    "help": ("Help", _help),
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
    """Run the ribbon action ``name`` on the active workbook of the calling Excel.

    ``addin_xlwings``: the xlwings version the add-in was built with (refused when it
    is not the installed one). ``blank_workbook``: the name of a blank workbook the
    add-in opened because RunPython needs one; it is not the target and is closed at
    the end. The machine's side, for tests: ``choose_file`` answers file dialogs
    (default :func:`excel_file_dialog`), ``key_state`` is polled for Esc (default:
    ``GetAsyncKeyState`` on Windows, nothing elsewhere), ``open_file`` opens the
    guide (default :func:`open_with_default_app`). Never raises for a failing action:
    shows a message box instead (see module docstring). Returns True when the action
    finished, False when it showed an error.
    """
    import xlwings as xw

    caller = xw.Book.caller()
    app = caller.app
    if name not in HANDLERS:
        app.alert(f"Unknown ICP action '{name}'; reinstall the ICP add-in", title=TITLE)
        return False
    mismatch = version_mismatch(addin_xlwings)
    if mismatch is not None:
        app.alert(mismatch, title=TITLE, mode="critical")
        return False
    label, handler = HANDLERS[name]
    active = app.books.active if app.books.count else None
    blank = active if active is not None and _is_blank(active, blank_workbook) else None
    target = active if blank is None else None
    session = Session(
        app,
        XlwingsBook(target) if target else None,
        choose_file or excel_file_dialog,
        fullname=target.fullname if target else None,
        key_state=key_state if key_state is not None else runs.windows_key_state(),
        open_file=open_file or open_with_default_app,
    )
    previous = app.status_bar
    try:
        with ExitStack() as held:
            if name not in runs.UNLOCKED_ACTIONS:
                held.enter_context(
                    runs.acquire_run(session.fullname or "(no workbook)", name, label)
                )
            app.status_bar = f"ICP: {label}..."
            handler(session)
        return True
    except IcpError as error:
        session.tell(str(error), critical=True)
        return False
    except Exception as error:
        log = write_error_log(name, session.fullname, error)
        session.tell(
            f"{label} stopped on an unexpected error ({type(error).__name__}). "
            f"The details are in {log}",
            critical=True,
        )
        return False
    finally:
        app.status_bar = previous
        if blank is not None:
            _close_quietly(blank)


def _is_blank(book: Any, blank_workbook: str | None) -> bool:
    """Whether ``book`` is the never-saved blank workbook the add-in opened."""
    return bool(blank_workbook) and book.name == blank_workbook == book.fullname


def _close_quietly(book: Any) -> None:
    with suppress(Exception):  # already closed by the user: nothing to tidy
        book.close()
