"""``icp-xl live``: turn Live mode on or off (Scores as native Excel formulas)."""

from __future__ import annotations

import argparse
import sys

from icp_xl.cli.workbook_command import workbook_command


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = workbook_command(
        subparsers,
        "live",
        run,
        help="turn Live mode on or off (Scores recalculate in Excel 2021+ without the add-in)",
        description="On: every score, grade and component on the Scores sheet becomes a "
        "native Excel formula over the Accounts inputs, the weights and the Settings tables, "
        "so editing them recalculates Scores in Excel 2021, 2024, 365 or on the web, without "
        "Python. Off: Scores holds plain values again (what Excel 2019 and older need). "
        "Either way the workbook is rescored.",
    )
    parser.add_argument("state", choices=("on", "off"), type=str.lower, help="on or off")


def run(args: argparse.Namespace) -> int:
    from icp_xl.hosts.file.book import FileBook
    from icp_xl.workbook.actions import rescore
    from icp_xl.workbook.actions.live import set_live_mode

    book = FileBook.open(args.workbook, rescoring=True)
    set_live_mode(book, args.state == "on")
    result = rescore(book)
    book.save()
    state = "on: Scores recalculate in Excel 2021+" if args.state == "on" else "off"
    print(f"Live mode {state}; {result.accounts:,} accounts rescored", file=sys.stderr)
    return 0
