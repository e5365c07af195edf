"""Giving freed memory back to the system between the stages of a large job.

A 100,000-account rescore makes and frees millions of small objects while it reads and
scores; the C allocator keeps the freed pages for later use, so the process's resident
memory stays near its highest point and the next stage (the save) starts from there.
:func:`release_free_memory` asks glibc to return its free pages (``malloc_trim``); on other
systems it does nothing."""

from __future__ import annotations

import ctypes
import functools
import sys


@functools.cache
def _trim() -> object | None:
    if not sys.platform.startswith("linux"):
        return None
    try:  # the process's own symbols: libc's (find_library would run ldconfig, 25 ms)
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc (musl has no malloc_trim)
        return None


def release_free_memory() -> None:
    """Return the allocator's free pages to the system (Linux with glibc): nothing is lost,
    only memory no object uses (a few milliseconds)."""
    trim = _trim()
    if trim is not None:
        trim(0)  # type: ignore[operator]
