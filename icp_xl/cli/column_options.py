"""Shared by the commands that read an accounts file: the repeatable ``--column`` option
and printing the Data Quality summary as warnings on stderr. Not a sub-command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable

COLUMN_HELP = (
    'map one of our columns to your header, e.g. --column "Customer ID=Account ID" '
    "(repeatable; stored in the workbook's Column map)"
)


def add_column_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--column OURS=YOURS`` (repeatable) to ``parser``."""
    parser.add_argument(
        "--column",
        action="append",
        default=[],
        metavar="OURS=YOURS",
        dest="columns",
        help=COLUMN_HELP,
    )


def column_map(args: argparse.Namespace) -> dict[str, str]:
    """The ``--column`` options as a column map (field -> your header); IcpError naming
    the option for a bad one."""
    from icp_xl.core.inputs.columns import column_map_from_pairs, parse_column_option

    pairs = [parse_column_option(text, "--column") for text in getattr(args, "columns", [])]
    return column_map_from_pairs(pairs, "--column")


def print_warnings(warnings: Iterable[str]) -> None:
    """Each warning as ``icp-xl: warning: ...`` on stderr."""
    for warning in warnings:
        print(f"icp-xl: warning: {warning}", file=sys.stderr)
