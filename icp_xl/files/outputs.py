"""The one output policy of every command that writes a file (sample, score, new, demo,
export, optimize --json-out, addin build).

An output file is never one of the command's inputs (compared after resolving links,
and by identity for hard links), never an existing file of another kind (an .xlsx
that is not a zip package, a .csv that is one), replaces an existing file only with
``--force``, and has the extension of what is written.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from icp_xl.core.errors import IcpError
from icp_xl.files.atomic import check_writable

# What is written -> the extensions it may have.
KINDS: dict[str, tuple[str, ...]] = {
    "csv": (".csv",),
    "xlsx": (".xlsx",),
    "json": (".json",),
    "xlam": (".xlam",),
}
_ZIP_KINDS = ("xlsx", "xlam")
_NAMES = {"csv": "a CSV file", "xlsx": "an Excel workbook", "json": "a JSON file",
          "xlam": "an Excel add-in"}  # fmt: skip
_ZIP_MAGIC = b"PK\x03\x04"


def same_file(first: str | Path, second: str | Path) -> bool:
    """True when the two paths name one file: equal after resolving symlinks and
    ``..``, or the same file on disk (a hard link)."""
    if os.path.realpath(first) == os.path.realpath(second):
        return True
    try:
        return os.path.samefile(first, second)
    except OSError:
        return False


def check_output(
    path: str | Path,
    kind: str,
    *,
    inputs: Iterable[str | Path | None] = (),
    force: bool = False,
    option: str = "-o",
) -> Path:
    """Apply the output policy to ``path`` before any work; return it.

    ``kind``: what is written, a key of :data:`KINDS`. ``inputs``: the files the
    command reads (None entries are ignored). ``force``: an existing file of the same
    kind may be replaced. ``option``: the command-line option that names the output,
    for messages. Raises IcpError with one sentence naming the file and the fix.
    """
    path = Path(path)
    allowed = KINDS[kind]
    if path.is_dir():
        raise IcpError(f"{path} is a folder; give a file name to write")
    if path.suffix.lower() not in allowed:
        raise IcpError(
            f"{option} {path.name}: this writes {_NAMES[kind]}, so the name must end in "
            f"{' or '.join(allowed)}"
        )
    for source in inputs:
        if source is not None and same_file(path, source):
            raise IcpError(
                f"{option} {path.name} is an input of this command ({Path(source).name}); "
                "choose another output file"
            )
    if path.exists():
        if _kind_differs(path, kind):
            raise IcpError(
                f"{path.name} already exists and is not {_NAMES[kind]}; nothing was written "
                "(choose another output file)"
            )
        if not force:
            raise IcpError(
                f"{path.name} already exists; choose another output file",
                option="--force",
                hint=" or pass --force to replace it",
            )
    check_writable(path)
    return path


def _kind_differs(path: Path, kind: str) -> bool:
    """True when the existing file's content is not of ``kind`` (zip package or text)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(4)
    except OSError:
        return False  # check_writable says what is wrong with it
    if not head:
        return False
    return (head == _ZIP_MAGIC) != (kind in _ZIP_KINDS)
