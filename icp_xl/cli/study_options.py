"""Command-line options of a shared Optuna study (``icp-xl optimize --storage ...``).

The storage URL may hold a database password, so besides ``--storage URL`` it can
come from a file (``--storage-file``, first line) or the ``ICP_XL_STORAGE``
environment variable, which other users of the machine cannot see in ``ps``.
SIGTERM (a scheduler stopping the job) is turned into the same clean stop as Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

from icp_xl.core.errors import IcpError
from icp_xl.core.optimization.defaults import DEFAULT_GRACE_SECONDS, STORAGE_ENV


def add_study_arguments(parser: argparse.ArgumentParser) -> None:
    """``--storage``, ``--storage-file``, ``--study``, ``--worker``, ``--report``, ``--grace``."""
    group = parser.add_argument_group(
        "shared study",
        "Several workers (processes, machines) share one Optuna study. --trials is then the "
        "study's budget: the study stops at that many search trials, whatever the number of "
        "workers; finish with --report.",
    )
    group.add_argument(
        "--storage",
        help="shared Optuna storage: postgresql://USER@HOST/DB (password from PGPASSWORD or "
        "~/.pgpass), sqlite:///file.db or a journal file path",
    )
    group.add_argument(
        "--storage-file",
        type=Path,
        help=f"read the storage URL from the first line of this file (or set {STORAGE_ENV}): "
        "keeps a password off the command line",
    )
    group.add_argument("--study", dest="study_name", help="name of the shared study")
    group.add_argument(
        "--worker",
        help="this worker's name (default host:pid); its sampler seed is derived from "
        "--seed, the study and this name",
    )
    group.add_argument(
        "--report",
        action="store_true",
        help="add no search trial: refine the study's best, validate it once and write the "
        "final weights (JSON / workbook)",
    )
    group.add_argument(
        "--grace",
        type=int,
        default=DEFAULT_GRACE_SECONDS,
        help="seconds after which the trial of a silent worker is failed and retried "
        f"(default {DEFAULT_GRACE_SECONDS})",
    )
    group.add_argument(
        "--storage-wait",
        type=float,
        default=60.0,
        help="seconds a worker keeps retrying a database that stopped answering before it "
        "stops and writes the best so far (default 60)",
    )


def storage_url(args: argparse.Namespace, environ: dict[str, str]) -> str | None:
    """The storage URL from ``--storage``, ``--storage-file`` or ``ICP_XL_STORAGE`` (in
    that order), or None when the run is not shared. Raises IcpError for a missing or
    empty storage file, or a study name without a storage (and the reverse)."""
    url = args.storage
    if url is None and args.storage_file is not None:
        try:
            lines = args.storage_file.read_text(encoding="utf-8").splitlines()
        except OSError as error:
            raise IcpError(
                f"Cannot read the storage file {args.storage_file}: {error.strerror}"
            ) from None
        url = next((line.strip() for line in lines if line.strip()), None)
        if url is None:
            raise IcpError(f"The storage file {args.storage_file} is empty")
    if url is None and args.study_name:
        url = environ.get(STORAGE_ENV) or None
    if args.study_name and not url:
        raise IcpError(
            f"--study needs --storage (the shared Optuna storage), --storage-file or {STORAGE_ENV}"
        )
    if url and not args.study_name:
        raise IcpError("--storage needs --study (the name of the shared study)")
    if args.report and not url:
        raise IcpError(
            "--report reads a shared study: give --storage (or --storage-file) and --study"
        )
    if args.grace < 2:
        raise IcpError(f"--grace must be at least 2 seconds, got {args.grace}")
    if args.storage_wait < 0:
        raise IcpError(f"--storage-wait must be 0 or more seconds, got {args.storage_wait:g}")
    return url


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C would be so the run stops the same clean way."""


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[list[bool]]:
    """While the block runs, SIGTERM raises :class:`Terminated` (a KeyboardInterrupt);
    yields a list that holds True once SIGTERM arrived (exit code 143 instead of 130)."""
    received: list[bool] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return

    def terminate(signum: int, frame: object) -> None:
        received.append(True)
        raise Terminated

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield received
    finally:
        signal.signal(signal.SIGTERM, previous)
