"""The ribbon's entry point: :func:`run_action` runs one workbook action in live Excel.

Each ICP ribbon button runs
``RunPython "import icp_xl.excel.ribbon; icp_xl.excel.ribbon.run_action('<name>')"`` (names:
:data:`icp_xl.excel.addin.RIBBON_ACTIONS`). :func:`run_action` finds the workbook the user
is looking at (``xw.Book.caller()`` is the add-in when called from ``ICP.xlam``, so
the target is its app's active workbook), wraps it in an
:class:`~icp_xl.hosts.xlwings_book.XlwingsBook` and calls the same action function the
CLI calls (:mod:`icp_xl.workbook.actions`). Around it:

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
import sys
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from icp_xl.core.errors import IcpError
from icp_xl.hosts.xlwings_book import XlwingsBook
from icp_xl.workbook import actions
from icp_xl.workbook.book import Book

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
    file, ``initial_name`` proposed), dialog ``title`` and ``filters`` as
    (label, ``"*.csv;*.xlsx"``) pairs."""

    mode: Literal["open", "save"]
    title: str
    filters: tuple[tuple[str, str], ...]
    initial_name: str | None = None


ChooseFile = Callable[[Any, FileRequest], Path | None]
"""``choose_file(app, request)`` -> the chosen path, or None when the user cancels."""


@dataclass
class Session:
    """What a ribbon handler works with: the live ``book`` (an XlwingsBook over the
    active workbook), the xlwings ``app`` and ``choose_file`` for file dialogs."""

    app: Any
    book: Book | None
    choose_file: ChooseFile

    @property
    def workbook(self) -> Book:
        """The active ICP workbook; a clear error when no workbook is open."""
        if self.book is None:
            raise IcpError("Open an ICP workbook first (or use New ICP workbook)")
        return self.book

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
            chosen = app.api.GetSaveAsFilename(
                request.initial_name or "", filters, 1, request.title
            )
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
            chosen = additions.choose_file_name(
                with_prompt=request.title, default_name=request.initial_name or ""
            )
    except CommandError as error:
        if error.errornumber == -128:  # user cancelled
            return None
        raise
    return Path(chosen.path)


# ---------------------------------------------------------------- progress and logs


def stop_file() -> Path:
    """The file whose existence asks a running Optimize to stop: ``~/.icp_xl/STOP``.

    While ``RunPython`` runs, Excel's window is blocked, so no button can be pressed;
    creating this file (from Explorer/Finder or a terminal) is the way to stop."""
    return Path.home() / ".icp_xl" / "STOP"


class StatusProgress:
    """An optimizer progress callback that writes to the status bar at most every
    ``interval`` seconds (each write is a round trip to Excel), and always at the end.

    Each time it writes, it also looks for ``stop`` (default :func:`stop_file`) and
    raises KeyboardInterrupt when it exists, so the optimizer returns the best
    trial so far (``interrupted=True``)."""

    def __init__(self, book: Book, interval: float = 0.5,
                 clock: Callable[[], float] = time.monotonic,
                 stop: Path | None = None) -> None:  # fmt: skip
        self.book = book
        self.interval = interval
        self.clock = clock
        self.stop = stop or stop_file()
        self._last = -float("inf")

    def __call__(self, phase: str, done: int, total: int, best: float) -> None:
        now = self.clock()
        if done < total and now - self._last < self.interval:
            return
        self._last = now
        if self.stop.exists():
            raise KeyboardInterrupt(f"stop requested with {self.stop}")
        self.book.status(
            f"ICP optimize: {phase} {done:,}/{total:,} trials, best {best:.4f} "
            f"(create {self.stop} to stop, keeping the best so far)"
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


def _use_optimized_weights(session: Session) -> None:
    actions.use_optimized_weights(session.workbook)


def _reset_weights(session: Session) -> None:
    actions.reset_weights(session.workbook)


def _optimize(session: Session) -> None:
    book = session.workbook
    stop = stop_file()
    stop.unlink(missing_ok=True)  # a stop file left from an earlier run must not stop this one
    try:
        result = actions.optimize_book(book, progress=StatusProgress(book, stop=stop))
    except KeyboardInterrupt:  # stopped before any trial finished
        raise IcpError(
            "Optimize was stopped before any trial finished; nothing was written"
        ) from None
    finally:
        stop.unlink(missing_ok=True)
    book.status("ICP optimize: writing results")
    actions.store_optimization(book, result)
    if result.interrupted:
        session.tell(
            f"Optimize stopped on request after {result.n_trials:,} trials. The best weights "
            "so far are stored on the Optimization and Weights sheets (out-of-sample "
            "Spearman not measured)."
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


def _export_csv(session: Session) -> None:
    book = session.workbook
    view = actions.selected_view(book)
    target = session.choose_file(
        session.app,
        FileRequest("save", "Export scores to CSV", CSV_FILES, actions.export_file_name(view)),
    )
    if target is None:
        return
    path = actions.export_csv(book, target.parent, view=view, output=target)
    session.tell(f"Exported the {view} scores to {path}")


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

New ICP workbook: build a scored workbook from an accounts file.
Import accounts: replace the Accounts sheet with a CSV/XLSX file and rescore.
Validate: list every problem in Accounts, Weights and Settings.
Rescore: score again after editing weights or settings.
Refresh segment view: update the Dashboard for the segment chosen in Dashboard!B3.
Optimize: search the best weights against historical revenue (Settings: Optimizer).
  To stop it (Excel is busy meanwhile), create an empty file {stop}:
  the best weights so far are kept and stored.
Use optimized weights / Reset weights: copy them into the current weights.
Export CSV: save the current segment's scores as CSV.

Error details: {logs}
Documentation: the icp_xl README and docs/ (live.md, install.md)."""


def _help(session: Session) -> None:
    session.tell(HELP_TEXT.format(logs=log_folder(), stop=stop_file()))


HANDLERS: Mapping[str, tuple[str, Callable[[Session], None]]] = {
    "new_workbook": ("New ICP workbook", _new_workbook),
    "import_accounts": ("Import accounts", _import_accounts),
    "validate": ("Validate", _validate),
    "rescore": ("Rescore", _rescore),
    "refresh_segment_view": ("Refresh segment view", _refresh_segment_view),
    "optimize": ("Optimize", _optimize),
    "use_optimized_weights": ("Use optimized weights", _use_optimized_weights),
    "reset_weights": ("Reset weights", _reset_weights),
    "export_csv": ("Export CSV", _export_csv),
    "help": ("Help", _help),
}
"""Ribbon action name -> (button label, handler)."""


# ---------------------------------------------------------------- entry point


def run_action(name: str, *, choose_file: ChooseFile | None = None) -> bool:
    """Run the ribbon action ``name`` on the active workbook of the calling Excel.

    ``choose_file`` answers file dialogs (default :func:`excel_file_dialog`). Never
    raises for a failing action: shows a message box instead (see module docstring).
    Returns True when the action finished, False when it showed an error.
    """
    import xlwings as xw

    caller = xw.Book.caller()
    app = caller.app
    if name not in HANDLERS:
        app.alert(f"Unknown ICP action '{name}'; reinstall the ICP add-in", title=TITLE)
        return False
    label, handler = HANDLERS[name]
    active = app.books.active if app.books.count else None
    session = Session(
        app, XlwingsBook(active) if active else None, choose_file or excel_file_dialog
    )
    previous = app.status_bar
    try:
        app.status_bar = f"ICP: {label}..."
        handler(session)
        return True
    except IcpError as error:
        session.tell(str(error), critical=True)
        return False
    except Exception as error:
        log = write_error_log(name, active.fullname if active else None, error)
        session.tell(
            f"{label} stopped on an unexpected error ({type(error).__name__}). "
            f"The details are in {log}",
            critical=True,
        )
        return False
    finally:
        app.status_bar = previous
