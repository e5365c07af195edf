"""Shared by the commands that read an accounts file: the repeatable ``--column`` option
and printing the Data Quality summary as warnings on stderr. Not a sub-command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from icp_xl.workbook.actions import RescoreResult

COLUMN_HELP = (
    'map one of our columns to your header, e.g. --column "Customer ID=Account ID" '
    "(repeatable; stored in the workbook's Column map)"
)


def add_column_option(parser: argparse.ArgumentParser, help_text: str = COLUMN_HELP) -> None:
    """Add ``--column OURS=YOURS`` (repeatable) to ``parser``."""
    parser.add_argument(
        "--column",
        action="append",
        default=[],
        metavar="OURS=YOURS",
        dest="columns",
        help=help_text,
    )


def column_map(args: argparse.Namespace) -> dict[str, str]:
    """The ``--column`` options as a column map (field -> your header); IcpError naming
    the option for a bad one. Every command that reads the accounts through it refuses a
    header the file lacks, naming the headers it has."""
    from icp_xl.core.inputs.columns import (
        ColumnOptions,
        column_map_from_pairs,
        parse_column_option,
    )

    pairs = [parse_column_option(text, "--column") for text in getattr(args, "columns", [])]
    return ColumnOptions(column_map_from_pairs(pairs, "--column"), option="--column")


def print_warnings(warnings: Iterable[str]) -> None:
    """Each warning as ``icp-xl: warning: ...`` on stderr."""
    for warning in warnings:
        print(f"icp-xl: warning: {warning}", file=sys.stderr)


def print_quality(result: RescoreResult) -> None:
    """Print :func:`quality_warnings` of ``result`` on stderr."""
    print_warnings(quality_warnings(result))


def quality_warnings(result: RescoreResult) -> list[str]:
    """The warnings of a rescore or import: about the scoring itself (weights that differ
    from the calibration's), then the Data Quality summary, pointing at the sheet."""
    quality = list(result.quality.warnings()) if result.quality else []
    pointer = ["details on the workbook's Data Quality sheet"] if quality else []
    return [*result.warnings, *quality, *pointer]
