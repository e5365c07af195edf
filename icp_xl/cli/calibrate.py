"""``icp-xl calibrate``: freeze the scoring reference of an ICP workbook (Calibrated mode)."""

from __future__ import annotations

import argparse
import sys

from icp_xl.cli.workbook_command import workbook_command


def register(subparsers: argparse._SubParsersAction) -> None:
    workbook_command(
        subparsers,
        "calibrate",
        run,
        help="freeze the score scale on the current accounts (Calibrated scoring mode)",
        description="Freeze, from the workbook's current accounts, weights and settings, "
        "the input ranges and the raw-score distribution behind the 0-100 score and the "
        "grades; store them on the Settings sheet, set the scoring mode to Calibrated and "
        "rescore. From then on an account's score depends only on its own data.",
    )


def run(args: argparse.Namespace) -> int:
    from icp_xl.hosts.file.book import FileBook
    from icp_xl.workbook.actions import calibrate_book

    book = FileBook.open(args.workbook, rescoring=True)  # calibrating rescores
    calibration, result = calibrate_book(book)
    book.save()
    weights = " / ".join(f"{v:.2f}" for v in calibration.weights.as_dict().values())
    print(
        f"Calibrated {args.workbook} on {calibration.accounts:,} accounts "
        f"({calibration.calibrated_at:%Y-%m-%d %H:%M}), weights {weights}, "
        f"{len(calibration.points):,} raw-score points; scoring mode is now Calibrated"
    )
    print(f"{result.accounts:,} accounts rescored", file=sys.stderr)
    return 0
