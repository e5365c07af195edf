"""Ctrl-C and SIGTERM during an optimization: a stop request, acted on at safe points.

While an optimization runs in the main thread (:func:`stop_on_signals`), SIGINT and SIGTERM
only record a stop request. The search acts on it between trials and between refinement
steps (:func:`check_stop`) by handing the signal to the handler installed before the run
(Ctrl-C: KeyboardInterrupt; the CLI's SIGTERM: its Terminated), so:

* a stop never cuts the creating or telling of a trial in half: no trial is left RUNNING
  or told twice;
* a stop is never lost. An exception raised straight from a signal handler is dropped by
  Python ("Exception ignored in ...") when the signal lands while a finalizer or a weak
  reference callback runs, as the garbage collector frees (say) SQLAlchemy's objects in
  the middle of a run; recording a request cannot fail that way;
* a storage's retry waits end at once (:func:`wait_unless_stopped`).

Outside the main thread (signals cannot be caught there) nothing changes.
"""

from __future__ import annotations

import contextlib
import inspect
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

CAUGHT = (signal.SIGINT, signal.SIGTERM)
POLL_SECONDS = 0.05
"""How often :func:`wait_unless_stopped` looks at the stop request while it waits."""
RESTORE_ATTEMPTS = 10  # each failed attempt ran a signal's handler: a new signal each time


@dataclass
class _StopState:
    """The run's stop request (main thread only)."""

    depth: int = 0  # nested scopes: only the outermost installs and restores handlers
    requested: bool = False  # a signal arrived during this run
    pending: list[int] = field(default_factory=list)  # signals not yet handed on
    previous: dict[int, Any] = field(default_factory=dict)  # handlers before the run


_STATE = _StopState()


def _record(signum: int, frame: Any) -> None:
    """The signal handler while a run is on: record the request, never raise (so that it
    cannot be dropped), take no lock (so that it cannot deadlock whatever it interrupts)."""
    _STATE.pending.append(signum)
    _STATE.requested = True


def stop_requested() -> bool:
    """True once Ctrl-C or SIGTERM arrived during the current run."""
    return _STATE.requested


def wait_unless_stopped(seconds: float) -> bool:
    """Sleep ``seconds`` unless a stop is requested meanwhile; True if it was."""
    deadline = time.monotonic() + seconds
    while not _STATE.requested:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        time.sleep(min(left, POLL_SECONDS))
    return True


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """For the whole block (a run), SIGINT and SIGTERM only record a stop request that
    :func:`check_stop` acts on; usable as a decorator. On leaving, the previous handlers
    are back and a request not acted on yet is handed to them. Nested blocks share the
    outermost one's request; outside the main thread the block simply runs."""
    if not _in_main_thread():
        yield
        return
    if _STATE.depth:
        _STATE.depth += 1
        try:
            yield
        finally:
            _STATE.depth -= 1
        return
    _STATE.requested = False
    _STATE.pending = []
    _STATE.previous = {sig: signal.getsignal(sig) for sig in CAUGHT}
    taken = [sig for sig, old in _STATE.previous.items() if old not in (None, signal.SIG_IGN)]
    _STATE.depth = 1
    try:
        for sig in taken:
            signal.signal(sig, _record)
        yield
    finally:
        _leave(taken)


def _leave(taken: list[int]) -> None:
    """End the outermost block: previous handlers back, then the signals not acted on
    handed to them, whatever either raises."""
    try:
        _restore(taken)
    finally:
        _STATE.depth = 0
        try:
            _hand_on()
        finally:
            _STATE.requested = False


def _restore(taken: list[int]) -> None:
    """Put the previous handlers back. ``signal.signal`` first runs the handlers of
    signals already arrived: one restored a moment ago may raise there, before the
    change. Then the change is retried, and that exception raised once all are back."""
    raised: BaseException | None = None
    for sig in taken:
        for _ in range(RESTORE_ATTEMPTS):
            try:
                signal.signal(sig, _STATE.previous[sig])
                break
            except BaseException as error:  # noqa: BLE001 - re-raised below
                raised = raised or error
    if raised is not None:
        raise raised


def check_stop() -> None:
    """At a safe point of a run (no trial half-created or half-told): if Ctrl-C or
    SIGTERM arrived, hand it to the handler installed before the run, which raises
    (KeyboardInterrupt for Ctrl-C). Does nothing outside the main thread."""
    if _STATE.pending and _in_main_thread():
        _hand_on()


def _hand_on() -> None:
    """Hand the signals that arrived (each once, in order) to the previous handlers."""
    arrived, _STATE.pending = _STATE.pending, []  # one that arrives meanwhile is kept
    for sig in dict.fromkeys(arrived):
        handler = _STATE.previous.get(sig)
        if callable(handler):
            call: Callable[[int, Any], Any] = handler
            call(sig, inspect.currentframe())
        else:  # the system's default (set on purpose): end the process, now that it is safe
            signal.signal(sig, signal.SIG_DFL)
            signal.raise_signal(sig)
