"""The file dialogs of the ribbon's buttons: Excel's own on Windows, StandardAdditions'
on macOS (a :class:`FileRequest` says what to ask; a :data:`ChooseFile` answers it, so tests
answer without a dialog)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from icp_xl.core.errors import IcpError

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
            import mactypes  # appscript's file types

            chosen = additions.choose_file_name(**mac_save_options(request, mactypes.Alias))
    except CommandError as error:
        if error.errornumber == -128:  # user cancelled
            return None
        raise
    return Path(chosen.path)


def mac_save_options(request: FileRequest, alias: Callable[[str], Any]) -> dict[str, Any]:
    """The keyword arguments of StandardAdditions' ``choose file name`` for ``request``:
    the prompt, the proposed name and, for a known folder, ``default_location`` as
    ``alias(str(folder))`` (``mactypes.Alias`` on macOS). appscript packs str and its own
    ``mactypes`` file types into Apple events but not ``pathlib.Path``, which failed
    with a TypeError before any dialog showed (from appscript's encoder table; not run on
    a Mac here)."""
    options: dict[str, Any] = {
        "with_prompt": request.title,
        "default_name": request.initial_name or "",
    }
    if request.folder is not None:
        options["default_location"] = alias(str(request.folder))
    return options
