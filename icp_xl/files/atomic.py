"""Writing a file in one step: a temporary file beside it, then a rename, so the
original is either replaced whole or left byte for byte as it was."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from icp_xl.core.errors import IcpError


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(temporary_path)`` then move the result onto ``path`` in one step.

    On any error the temporary file is removed and ``path`` is left as it was.
    """
    path = Path(path)
    _check_destination(path)
    try:
        handle, temporary = tempfile.mkstemp(
            prefix=f".{path.stem}-", suffix=path.suffix, dir=path.parent
        )
    except OSError as error:
        raise IcpError(f"Cannot write in {path.parent}: {error.strerror}") from None
    os.close(handle)
    try:
        write(Path(temporary))
        os.chmod(temporary, _mode_for(path))
        os.replace(temporary, path)
    except BaseException as error:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        if isinstance(error, OSError):
            # e.g. the file is open in Excel on Windows: the original is untouched
            raise IcpError(f"Cannot write {path}: {error.strerror or error}") from None
        raise
    return path


def check_writable(path: str | Path) -> None:
    """Raise IcpError unless :func:`atomic_write` could write ``path``: its folder exists
    and takes a new file, ``path`` is not a folder, and an existing file there opens for
    writing (not read-only, not locked by Excel). Changes nothing; use it before long work."""
    path = Path(path)
    _check_destination(path)
    try:
        with tempfile.TemporaryFile(dir=path.parent):
            pass
    except OSError as error:
        raise IcpError(f"Cannot write in {path.parent}: {error.strerror or error}") from None
    if path.exists():
        try:
            with open(path, "r+b"):  # opens without changing a byte
                pass
        except OSError as error:
            raise IcpError(f"Cannot write {path}: {error.strerror or error}") from None


def _check_destination(path: Path) -> None:
    if not path.parent.is_dir():
        raise IcpError(f"Folder not found: {path.parent}")
    if path.is_dir():
        raise IcpError(f"{path} is a folder; give a file name to write")


def _mode_for(path: Path) -> int:
    """The existing file's permissions, else the usual ones for a new file (0666 & ~umask)."""
    try:
        return path.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
