"""Giving freed memory back to the system between the stages of a large job.

A 100,000-account rescore makes and frees millions of small objects while it reads and
scores; the C allocator keeps the freed pages for later use, so the process's resident
memory stays near its highest point and the next stage (the save) starts from there.
:func:`release_free_memory` asks glibc to return its free pages (``malloc_trim``); on other
systems it does nothing. A process holding less than :data:`SMALL_BYTES` keeps its free
pages: no peak is at stake there, and taking fresh pages back from the system costs a
page fault each (about 7,000 of them, some 25 ms, in a 10,000-account rescore).

Arrow (the text columns of pandas' frames) allocates from its own pool, mimalloc, which
keeps what Arrow frees for Arrow. :func:`share_one_allocator` makes the command line's
Arrow allocate with the C library's ``malloc`` instead, so that a text column freed in
one stage serves the next stage's numbers and Python objects, and is handed back with
them: a 100,000-account rescore peaks about 30 MB lower."""

from __future__ import annotations

import ctypes
import functools
import os
import sys

SMALL_BYTES = 256 << 20  # resident memory below which free pages are kept
ARROW_POOL = "ARROW_DEFAULT_MEMORY_POOL"  # read once, when pyarrow is first imported


def share_one_allocator() -> None:
    """Have Arrow allocate with the C library's ``malloc`` (its ``system`` pool), unless
    :data:`ARROW_POOL` already names a pool. Takes effect only before pyarrow (pandas) is
    first imported in this process: the command line calls it first."""
    os.environ.setdefault(ARROW_POOL, "system")


@functools.cache
def _trim() -> object | None:
    if not sys.platform.startswith("linux"):
        return None
    try:  # the process's own symbols: libc's (find_library would run ldconfig, 25 ms)
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc (musl has no malloc_trim)
        return None


def release_free_memory() -> None:
    """Return the allocator's free pages to the system (Linux with glibc) when the process
    holds :data:`SMALL_BYTES` or more: nothing is lost, only memory no object uses (a few
    milliseconds)."""
    trim = _trim()
    if trim is not None and resident_bytes() >= SMALL_BYTES:
        trim(0)  # type: ignore[operator]


def resident_bytes() -> int:
    """The process's resident memory now, in bytes (Linux; 0 where it cannot be read)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0
