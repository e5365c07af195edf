"""One ribbon action at a time per workbook, and the ways to stop a running Optimize.

On Windows, Excel waits while a button's Python runs. On macOS it does not (xlwings'
AppleScript starts Python in the background), so a second click could start a second
Python process writing the same workbook. :func:`acquire_run` prevents that with a lock
file per workbook in :func:`runs_folder`, holding the process id (PID) of the run;
a lock whose process is gone (Python was killed, Excel crashed) is stale and taken over.

A running Optimize stops, keeping the best weights found so far, when :class:`StopSignals`
sees one of:

- the **Esc** key (Windows only: Python polls ``GetAsyncKeyState(VK_ESCAPE)``,
  because Excel's own window is blocked and cannot react to it);
- a stop request for its workbook, written by the ribbon's **Stop** button
  (:func:`request_stop`; macOS, where Excel stays usable while Python runs);
- the file ``~/.icp_xl/STOP`` (:func:`stop_file`), from Explorer/Finder or a terminal.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from icp_xl.core.errors import IcpError

KeyState = Callable[[int], int]
"""``GetAsyncKeyState``-like: virtual-key code -> state bits (0x8000 down, 0x0001 pressed)."""
VK_ESCAPE = 0x1B
_KEY_DOWN_OR_PRESSED = 0x8001
#: Actions that never take the lock: they only read, or they talk to a running action.
UNLOCKED_ACTIONS = frozenset({"help", "stop", "diagnose"})
# A lock file that cannot be read yet is being written; after this many seconds it is junk.
_UNREADABLE_GRACE_SECONDS = 10.0


def icp_home() -> Path:
    """``~/.icp_xl``: logs, run locks and stop requests."""
    return Path.home() / ".icp_xl"


def runs_folder() -> Path:
    """Where the lock files and stop requests of running actions live: ``~/.icp_xl/runs``."""
    return icp_home() / "runs"


def stop_file() -> Path:
    """``~/.icp_xl/STOP``: its existence stops any running Optimize (made by hand)."""
    return icp_home() / "STOP"


def _key(workbook: str) -> str:
    return hashlib.sha256(os.path.normcase(workbook).encode("utf-8")).hexdigest()[:16]


def lock_path(workbook: str, folder: Path | None = None) -> Path:
    """The lock file of ``workbook`` (its full name as Excel gives it)."""
    return (folder or runs_folder()) / f"{_key(workbook)}.lock"


def stop_request_path(workbook: str, folder: Path | None = None) -> Path:
    """The stop request the Stop button writes for ``workbook``."""
    return (folder or runs_folder()) / f"{_key(workbook)}.stop"


# ---------------------------------------------------------------- processes


def process_alive(pid: int) -> bool:
    """Whether a process with id ``pid`` exists on this machine."""
    if pid <= 0:
        return False
    if sys.platform.startswith("win"):
        return _windows_process_alive(pid)
    try:
        os.kill(pid, 0)  # signal 0: only checks that the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _windows_process_alive(pid: int) -> bool:  # pragma: no cover - Windows only
    # os.kill(pid, 0) would terminate the process on Windows: ask the kernel instead.
    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return kernel32.GetLastError() == 5  # ERROR_ACCESS_DENIED: it exists
    try:
        code = ctypes.c_ulong()
        kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        return code.value == 259  # STILL_ACTIVE
    finally:
        kernel32.CloseHandle(handle)


# ---------------------------------------------------------------- the lock


@dataclass(frozen=True)
class RunHolder:
    """What a lock file says: which process runs which action on which workbook, since when."""

    pid: int
    action: str
    workbook: str
    started: str


@dataclass
class RunLock:
    """A held lock; :meth:`release` (or leaving the ``with`` block) removes its file."""

    path: Path
    holder: RunHolder

    def release(self) -> None:
        """Remove the lock file if it is still this run's."""
        current = read_holder(self.path)
        if current is not None and current.pid == self.holder.pid:
            self.path.unlink(missing_ok=True)

    def __enter__(self) -> RunLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def read_holder(path: Path) -> RunHolder | None:
    """The holder recorded in a lock file, or None when it is missing or unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return RunHolder(int(data["pid"]), str(data["action"]), str(data["workbook"]),
                         str(data["started"]))  # fmt: skip
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        return None


def acquire_run(
    workbook: str,
    action: str,
    label: str,
    folder: Path | None = None,
    pid: int | None = None,
    alive: Callable[[int], bool] = process_alive,
) -> RunLock:
    """Take the lock of ``workbook`` for ``action`` (shown to the user as ``label``).

    Raises IcpError, one sentence naming what runs, when a live process holds it; a
    lock left by a process that no longer exists is taken over.
    """
    path = lock_path(workbook, folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    holder = RunHolder(pid if pid is not None else os.getpid(), action, workbook,
                       datetime.now().isoformat(timespec="seconds"))  # fmt: skip
    for _ in range(3):
        try:
            handle = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            _refuse_if_running(path, workbook, alive)
            path.unlink(missing_ok=True)  # stale: its process is gone
            continue
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump(holder.__dict__, file)
        return RunLock(path, holder)
    raise IcpError(f"Could not take the run lock {path}; try again")


def _refuse_if_running(path: Path, workbook: str, alive: Callable[[int], bool]) -> None:
    name = Path(workbook).name
    running = read_holder(path)
    if running is None:
        try:
            age = time.time() - path.stat().st_mtime
        except FileNotFoundError:
            return
        if age < _UNREADABLE_GRACE_SECONDS:
            raise IcpError(f"Another ICP action is starting on {name}; wait for it to finish")
        return
    if alive(running.pid):
        started = running.started.partition("T")[2] or running.started
        stop_hint = " or click ICP > Stop" if running.action == "optimize" else ""
        raise IcpError(
            f"ICP is still running {_label(running.action)} on {name} (started {started}); "
            f"wait for it to finish{stop_hint} (if no ICP action is running, delete {path})"
        )


def _label(action: str) -> str:
    return action.replace("_", " ").capitalize()


def running_action(workbook: str, folder: Path | None = None,
                   alive: Callable[[int], bool] = process_alive) -> RunHolder | None:  # fmt: skip
    """The live run on ``workbook``, or None when nothing runs on it."""
    holder = read_holder(lock_path(workbook, folder))
    return holder if holder is not None and alive(holder.pid) else None


def request_stop(workbook: str, folder: Path | None = None) -> Path:
    """Ask the action running on ``workbook`` to stop: write its stop request; return it."""
    path = stop_request_path(workbook, folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(datetime.now().isoformat(timespec="seconds"), encoding="utf-8")
    return path


# ---------------------------------------------------------------- stop signals


def windows_key_state() -> KeyState | None:
    """``user32.GetAsyncKeyState`` on Windows, None elsewhere (no Esc polling there)."""
    if not sys.platform.startswith("win"):
        return None
    return ctypes.windll.user32.GetAsyncKeyState  # type: ignore[attr-defined]  # pragma: no cover


class StopSignals:
    """Whether a running action was asked to stop, and how.

    ``files``: stop request files (any one existing means stop); ``key_state``: a
    ``GetAsyncKeyState``-like function polled for Esc, or None. :meth:`clear` removes
    old requests and forgets an Esc pressed before the run.
    """

    def __init__(self, files: tuple[Path, ...], key_state: KeyState | None) -> None:
        self.files = files
        self.key_state = key_state

    def clear(self) -> None:
        """Forget requests left from an earlier run (files, an earlier Esc press)."""
        for path in self.files:
            path.unlink(missing_ok=True)
        if self.key_state is not None:
            self.key_state(VK_ESCAPE)  # reading resets the "pressed since" bit

    def requested(self) -> str | None:
        """How the stop was asked for ("Esc", or the request file), or None."""
        if self.key_state is not None and self.key_state(VK_ESCAPE) & _KEY_DOWN_OR_PRESSED:
            return "Esc"
        for path in self.files:
            if path.exists():
                return str(path)
        return None
