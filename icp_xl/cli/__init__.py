"""The ``icp-xl`` command line: one sub-command module per job.

Each module in :data:`COMMAND_MODULES` has ``register(subparsers)``, which adds
its sub-command(s) with ``func=`` set to a function ``(args) -> exit code``.
Modules import heavy libraries inside their functions, so ``--help`` stays fast.
Exit codes: 0 ok, 1 user error (one line on stderr), 2 usage, 130 interrupted (Ctrl-C),
143 stopped by SIGTERM.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import sys
from collections.abc import Sequence

from icp_xl import __version__
from icp_xl.core.errors import IcpError

COMMAND_MODULES: tuple[str, ...] = (
    "icp_xl.cli.sample",
    "icp_xl.cli.score",
    "icp_xl.cli.addin",
    "icp_xl.cli.doctor",
    "icp_xl.cli.optimize",
    "icp_xl.cli.workbook",
    "icp_xl.cli.explain",
    "icp_xl.cli.calibrate",
    "icp_xl.cli.accounts_import",
    "icp_xl.cli.weights",
    "icp_xl.cli.movers",
    "icp_xl.cli.outcomes",
    "icp_xl.cli.live",
)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every sub-command registered."""
    parser = argparse.ArgumentParser(
        prog="icp-xl",
        description="Ideal Customer Profile scoring, segmentation and weight optimization.",
    )
    parser.add_argument("--version", action="version", version=f"icp-xl {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def command_parser(
    parser: argparse.ArgumentParser, args: argparse.Namespace
) -> argparse.ArgumentParser:
    """The parser of the (sub-)command ``args`` were parsed for (``addin build`` too)."""
    while True:
        commands = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        chosen = getattr(args, commands[0].dest, None) if commands else None
        if chosen not in (commands[0].choices if commands else {}):
            return parser
        parser = commands[0].choices[chosen]


def command_options(parser: argparse.ArgumentParser, args: argparse.Namespace) -> set[str]:
    """The option strings (``--force``, ``-o``...) of the command ``args`` were parsed for."""
    return set(command_parser(parser, args)._option_string_actions)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return its exit code (also used as the process exit code)."""
    from icp_xl.files.atomic import Terminated, raise_terminated
    from icp_xl.files.limits import quoted

    parser = build_parser()
    args = parser.parse_args(argv)
    options = command_options(parser, args)
    previous = _handle_sigterm(raise_terminated)
    unraisable = sys.unraisablehook
    try:
        return int(args.func(args) or 0)
    except IcpError as error:
        message = error.for_options(options)  # a suggested option only if this command has it
        print(f"icp-xl: error: {quoted(message, MAX_MESSAGE_CHARS)}", file=sys.stderr)
        return 1
    except OSError as error:  # locked by Excel, no permission, disk full: nothing was replaced
        where = f": {error.filename}" if error.filename else ""
        print(f"icp-xl: error: {error.strerror or error}{where}", file=sys.stderr)
        return 1
    except Terminated:
        sys.unraisablehook = _half_built_objects_are_gone
        print("icp-xl: stopped (SIGTERM); no file was half-written", file=sys.stderr)
        return 143
    except KeyboardInterrupt:
        sys.unraisablehook = _half_built_objects_are_gone
        print("icp-xl: interrupted; no file was half-written", file=sys.stderr)
        return 130
    finally:
        if sys.unraisablehook is _half_built_objects_are_gone:
            gc.collect()  # only after an interruption: their cycles are freed quietly now
        sys.unraisablehook = unraisable
        _handle_sigterm(previous)


def _half_built_objects_are_gone(unraisable: object) -> None:
    """Say nothing when an object an interruption left half-built (a zip file stopped
    inside its constructor) fails to close as it is freed: the temporary file it wrote is
    already removed, and the user has been told the command stopped."""


# --- File safety: SIGTERM (cron, CI, `timeout`) is handled like Ctrl-C, and no message
# is longer than this (a message quoting a 20 MB header line would be useless).
MAX_MESSAGE_CHARS = 2000


def _handle_sigterm(handler: object) -> object:
    """Install ``handler`` for SIGTERM (main thread only); return the previous one."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread() or handler is None:
        return None
    return signal.signal(signal.SIGTERM, handler)


# A command makes millions of short-lived containers (cells, rows, tuples of matches) and
# keeps few: at Python's default (a young-object collection every 700 allocations) the
# collector's passes took about 0.15 s of a 2 s rescore of 10,000 accounts; at this one,
# less, with the same peak memory at 100,000 accounts (362 MB).
COLLECTION_THRESHOLDS = (20_000, 50, 100)


def run() -> None:
    """Console-script entry point."""
    from icp_xl.files.memory import share_one_allocator

    share_one_allocator()
    gc.set_threshold(*COLLECTION_THRESHOLDS)
    code = main()
    # What the command made is left to the process's end: the collector's passes at exit
    # would walk all of it (about 0.1 s after a 10,000-account rescore). Its files are
    # closed by now; objects are still freed as their references go, and atexit runs.
    gc.freeze()
    sys.exit(code)
