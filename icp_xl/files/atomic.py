"""Writing a file in one step, and every promise that keeps the user's file safe.

:func:`atomic_write` writes a temporary file beside the target, then renames it over
the target, so the original is either replaced whole or left byte for byte as it was.
Before the rename it refuses a read-only file, a file Excel has open (its lock file
``~$<name>`` is beside it) and a file that changed since it was read (``expected``,
a :class:`FileStamp`); it keeps the replaced file's owner and mode, writes through a
symlink to its target, turns SIGTERM into an interruption that removes the temporary
file, turns a full disk into one sentence, and removes temporary files that an earlier,
killed run left behind.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import hashlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from icp_xl.core.errors import IcpError

TEMP_PREFIX = ".icp-xl-tmp-"
# A temporary file of ours is stale when its run is gone and it is older than this.
STALE_TEMP_SECONDS = 10 * 60
_NO_SPACE = (errno.ENOSPC, errno.EFBIG, errno.EDQUOT)


class Terminated(KeyboardInterrupt):
    """SIGTERM (sent by cron, CI, ``timeout``, ``kill``), handled like Ctrl-C."""


class FileChangedError(IcpError):
    """The file changed on disk since it was read; nothing was written."""


@dataclass(frozen=True)
class FileStamp:
    """What a file looked like when it was read: size in bytes, modification time in
    nanoseconds and the SHA-256 of its content (hex)."""

    size: int
    mtime_ns: int
    sha256: str


def file_stamp(path: str | Path) -> FileStamp:
    """The :class:`FileStamp` of ``path`` now (following a symlink). Raises OSError when
    it cannot be read."""
    path = Path(path)
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        before = os.fstat(handle.fileno())
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return FileStamp(before.st_size, before.st_mtime_ns, digest.hexdigest())


def changed_since(path: Path, expected: FileStamp) -> bool:
    """True when ``path`` is gone or differs from ``expected`` (size, then content; a new
    modification time alone, e.g. a copy with the same bytes, is not a change)."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return True
    if info.st_size != expected.size:
        return True
    if info.st_mtime_ns == expected.mtime_ns:
        return False
    return file_stamp(path).sha256 != expected.sha256


def atomic_write(
    path: str | Path,
    write: Callable[[Path], None],
    *,
    expected: FileStamp | None = None,
) -> Path:
    """Call ``write(temporary_path)`` then move the result onto ``path`` in one step.

    ``path`` may be a symlink: its target is written. ``expected``: the stamp taken
    when the file was read; if the file changed since, :class:`FileChangedError` is
    raised and nothing is written. Raises IcpError for a read-only file, a file open
    in Excel, a full disk or a folder that takes no new file; on any error (also Ctrl-C
    and SIGTERM, raised as :class:`Terminated`) the temporary file is removed and the
    file is left as it was. Returns ``path``.
    """
    path = Path(path)
    target = Path(os.path.realpath(path))
    check_writable(target)
    remove_stale_temp_files(target.parent)
    temporary: str | None = None
    try:
        with _sigterm_as_interrupt(), _quiet_unraisable_oserrors():
            with _interruptions_held():  # so a new temporary file is always known here
                temporary = _make_temp(target)
            write(Path(temporary))
        _copy_owner_and_mode(target, temporary)
        if expected is not None and changed_since(target, expected):
            raise FileChangedError(
                f"{path.name} changed on disk since it was read (saved by someone else or "
                "another run); nothing was written, so those changes are kept"
            )
        check_writable(target)  # a lock file may have appeared during a long write
        os.replace(temporary, target)
    except BaseException as error:
        if temporary is None:
            if isinstance(error, OSError):
                raise IcpError(f"Cannot write in {target.parent}: {_reason(error)}") from None
            raise
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        if isinstance(error, OSError):
            raise IcpError(f"Cannot write {path.name}: {_reason(error)}") from None
        raise
    return path


def check_writable(path: str | Path) -> None:
    """Raise IcpError unless :func:`atomic_write` could write ``path``: its folder exists
    and takes a new file, ``path`` is not a folder, an existing file is not read-only
    (neither for this user nor by its permission bits, which root would otherwise
    ignore) and Excel does not have it open (lock file ``~$<name>`` beside it).
    Changes nothing; use it before long work."""
    path = Path(os.path.realpath(path))
    if not path.parent.is_dir():
        raise IcpError(f"Folder not found: {path.parent} (it does not exist; create it first)")
    if path.is_dir():
        raise IcpError(f"{path} is a folder; give a file name to write")
    lock = lock_file(path)
    if lock is not None:
        raise IcpError(
            f"{path.name} is open in Excel (lock file {lock.name} beside it); close it "
            "there first, nothing was written"
        )
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise IcpError(f"Cannot write in {path.parent}: permission denied")
    if path.exists() and (not os.access(path, os.W_OK) or not path.stat().st_mode & 0o222):
        raise IcpError(
            f"{path.name} is read-only; nothing was written (make it writable, or write "
            "to another file)"
        )


def lock_file(path: Path) -> Path | None:
    """The Excel/LibreOffice lock file of ``path`` when one is beside it (someone has
    the file open), else None. Excel names it ``~$`` + the name (for names of 8+
    characters without extension, ``~$`` + the name minus its first two characters)."""
    names = {f"~${path.name}", f".~lock.{path.name}#"}
    if len(path.stem) >= 8:
        names.add(f"~${path.name[2:]}")
    for name in sorted(names):
        candidate = path.with_name(name)
        if candidate.is_file():
            return candidate
    return None


def remove_stale_temp_files(folder: Path) -> list[Path]:
    """Remove temporary files of ours in ``folder`` left by a run that was killed: name
    starting with :data:`TEMP_PREFIX`, older than :data:`STALE_TEMP_SECONDS` and whose
    process (its id is in the name) is gone. Returns the files removed."""
    removed = []
    now = time.time()
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            if not entry.name.startswith(TEMP_PREFIX) or not entry.is_file(follow_symlinks=False):
                continue
            pid = entry.name[len(TEMP_PREFIX) :].split("-", 1)[0]
            try:
                old = now - entry.stat(follow_symlinks=False).st_mtime > STALE_TEMP_SECONDS
            except FileNotFoundError:
                continue
            if old and not (pid.isdigit() and _alive(int(pid))):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
    return removed


def _make_temp(target: Path) -> str:
    """A new empty temporary file beside ``target``; its path."""
    import tempfile

    handle, temporary = tempfile.mkstemp(
        prefix=f"{TEMP_PREFIX}{os.getpid()}-{target.stem[:40]}-",
        suffix=target.suffix,
        dir=target.parent,
    )
    os.close(handle)
    return temporary


@contextlib.contextmanager
def _interruptions_held() -> Iterator[None]:
    """Ctrl-C and SIGTERM wait (are held pending) until the block is left: an
    interruption raised inside it could land after a file was made but before its name
    reached the caller, who then could not remove it."""
    hold = getattr(signal, "pthread_sigmask", None)
    if hold is None or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = hold(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        hold(signal.SIG_SETMASK, previous)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _copy_owner_and_mode(target: Path, temporary: str) -> None:
    """Give the new file the replaced file's owner, group and permissions (new file:
    0666 minus the umask). Raises IcpError when the owner cannot be kept."""
    try:
        info = target.stat()
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        return
    mine = os.stat(temporary)
    if (mine.st_uid, mine.st_gid) != (info.st_uid, info.st_gid):
        try:
            os.chown(temporary, info.st_uid, info.st_gid)
        except PermissionError:
            with contextlib.suppress(PermissionError):
                os.chown(temporary, -1, info.st_gid)
            if info.st_uid != mine.st_uid:
                raise IcpError(
                    f"{target.name} belongs to another user, and replacing it would make it "
                    "yours; nothing was written (ask its owner, or write to another file)"
                ) from None
    os.chmod(temporary, info.st_mode & 0o7777)


def _reason(error: OSError) -> str:
    if error.errno in _NO_SPACE:
        return "the disk is full (or the file is larger than allowed); nothing was changed"
    if error.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    return error.strerror or str(error)


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """While writing, SIGTERM raises :class:`Terminated` (so the temporary file is
    removed) instead of killing the process on the spot."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGTERM)
    if previous not in (signal.SIG_DFL, None):
        yield  # someone (e.g. the CLI) already handles it
        return
    signal.signal(signal.SIGTERM, raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def raise_terminated(signum: int, frame: object) -> None:
    """Signal handler: raise :class:`Terminated` (SIGTERM handled like Ctrl-C)."""
    raise Terminated("terminated")


@contextlib.contextmanager
def _quiet_unraisable_oserrors() -> Iterator[None]:
    """A writer that fails half-way (disk full) leaves zip file and XML stream objects
    whose clean-up fails again when they are collected, printing "Exception ignored in:
    ZipFile.__del__" and a traceback. Those second errors say nothing new: from the
    first write on, unraisable disk-full errors and zip files' OSErrors are not printed
    (any other unraisable error still is)."""
    if not getattr(sys.unraisablehook, "icp_xl_quiet_zip", False):
        previous = sys.unraisablehook

        def hook(unraisable: sys.UnraisableHookArgs) -> None:
            error = unraisable.exc_value
            owner = getattr(unraisable.object, "__qualname__", "") or ""
            if isinstance(error, OSError) and (
                error.errno in _NO_SPACE or owner.startswith("ZipFile")
            ):
                return
            previous(unraisable)

        hook.icp_xl_quiet_zip = True  # type: ignore[attr-defined]
        sys.unraisablehook = hook
    try:
        yield
    except BaseException:
        gc.collect()  # the failed writer's objects go now, while the hook is in place
        raise
