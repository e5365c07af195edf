"""The shape every ``icp-xl`` subcommand acting on one ICP workbook shares: its parser, the
``workbook`` argument and the function that runs it."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from icp_xl.cli.collector import collector_paused


def workbook_command(
    subparsers: argparse._SubParsersAction,
    name: str,
    run: Callable[[argparse.Namespace], int],
    help: str,
    description: str,
) -> argparse.ArgumentParser:
    """Add the subcommand ``name`` (``help`` in the command list, ``description`` in its own
    help) whose first argument is an ICP workbook (``args.workbook``) and which ``run``
    carries out in one pass (the cyclic collector paused, see
    :func:`~icp_xl.cli.collector.collector_paused`); returns its parser for the command's
    own arguments."""
    parser = subparsers.add_parser(name, help=help, description=description)
    parser.add_argument("workbook", type=Path, help="ICP workbook .xlsx")
    parser.set_defaults(func=collector_paused(run))
    return parser
