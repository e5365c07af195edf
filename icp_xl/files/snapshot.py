"""A private copy of a file as it was read, on disk rather than in memory.

A job reads a workbook many times (its index, each sheet, the parts copied on save); all
those reads come from one copy taken when it opened, so a file that changes meanwhile on
disk (a sync client, a colleague) is never mixed in. The copy lives in a temporary file,
not in the process's memory: a 100,000-account workbook is 37 MB that the job then does
not hold (nor the readers' copies of them), and the file is removed when the job no longer
needs it. Where no temporary file can be written (a full disk, no temporary folder), the
copy is held in memory instead."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import weakref
from pathlib import Path

from icp_xl.core.errors import IcpError
from icp_xl.files.atomic import FileStamp, file_stamp

_BLOCK = 1 << 20


class Snapshot:
    """A private copy of ``path`` (:meth:`take`); ``copy`` is its path (or its bytes, when
    no temporary file could be written) and ``stamp`` what the original looked like then.
    The copy is removed by :meth:`discard` or when the object is collected."""

    def __init__(self, copy: Path | bytes, stamp: FileStamp) -> None:
        self.copy = copy
        self.stamp = stamp
        self._remove = weakref.finalize(self, _remove, copy if isinstance(copy, Path) else None)

    @classmethod
    def take(cls, path: Path) -> Snapshot:
        """Copy ``path`` into a temporary file, checking that the bytes copied are the
        bytes of the stamp taken beside them (three tries). Raises IcpError when the file
        keeps changing while it is read, OSError when it cannot be read."""
        for _ in range(3):
            stamp = file_stamp(path)
            try:
                copy, digest = _copied(path)
            except _NoRoom:
                data = path.read_bytes()
                copy, digest = data, hashlib.sha256(data).hexdigest()
            if digest == stamp.sha256:
                return cls(copy, stamp)
            _remove(copy if isinstance(copy, Path) else None)
        raise IcpError(f"{path.name} keeps changing while it is read; try again when it is saved")

    def discard(self) -> None:
        """Remove the copy now (later reads of it fail)."""
        self._remove()


class _NoRoom(Exception):
    """No temporary file could be written."""


def _copied(path: Path) -> tuple[Path, str]:
    """A temporary copy of ``path`` and the SHA-256 (hex) of the bytes copied. Raises
    _NoRoom when the copy cannot be written, OSError when ``path`` cannot be read."""
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        try:
            handle, name = tempfile.mkstemp(prefix="icp-xl-read-", suffix=path.suffix)
        except OSError:
            raise _NoRoom from None
        copy = Path(name)
        try:
            target = os.fdopen(handle, "wb")
            try:
                for block in iter(lambda: source.read(_BLOCK), b""):
                    digest.update(block)
                    target.write(block)
            finally:
                target.close()
        except OSError:  # a read error shows again when the copy is read into memory
            _remove(copy)
            raise _NoRoom from None
        except BaseException:
            _remove(copy)
            raise
    return copy, digest.hexdigest()


def _remove(copy: Path | None) -> None:
    if copy is None:
        return
    # On Windows a reader may still hold it open: the temporary folder's cleanup takes it.
    with contextlib.suppress(OSError):
        copy.unlink(missing_ok=True)
