"""Ctrl-C and SIGTERM during an optimization: held while a trial is created or told, so no
trial is left RUNNING or told twice; a stop request also ends a storage's retry waits."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any

_STOPPING = threading.Event()
"""Set once Ctrl-C / SIGTERM arrived: storage calls then stop retrying."""


def stop_requested() -> bool:
    """True once Ctrl-C or SIGTERM arrived during :func:`deferred_interrupts`."""
    return _STOPPING.is_set()


def wait_unless_stopped(seconds: float) -> bool:
    """Sleep ``seconds`` unless a stop is requested meanwhile; True if it was."""
    return _STOPPING.wait(seconds)


def reset_stop() -> None:
    """Forget an earlier stop request (at the start of a run)."""
    _STOPPING.clear()


@contextlib.contextmanager
def deferred_interrupts() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM while the block runs (creating or telling a trial), then
    deliver them; storage retries stop at once meanwhile. Outside the main thread
    (signals cannot be caught there) the block simply runs."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []

    def hold(signum: int, frame: Any) -> None:
        pending.append(signum)
        _STOPPING.set()

    caught = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.signal(sig, hold) for sig in caught}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if pending:
            signal.raise_signal(pending[0])
