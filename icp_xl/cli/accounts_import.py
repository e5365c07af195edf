"""``icp-xl import``: replace a workbook's accounts with a file, keeping everything else."""

from __future__ import annotations

import argparse
from pathlib import Path

from icp_xl.cli.column_options import add_column_option, column_map


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "import",
        help="replace the accounts of an ICP workbook with a CSV/XLSX file and rescore",
        description="Replace the Accounts table with the file's accounts and rescore. "
        "Weights, settings, the calibration, the Runs history and your own sheets are "
        "kept; the Movers sheet then shows what changed since the previous run.",
    )
    parser.add_argument("workbook", type=Path, help="ICP workbook .xlsx")
    parser.add_argument("accounts", type=Path, help="accounts .csv or .xlsx")
    add_column_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from icp_xl.cli.movers import print_movers
    from icp_xl.files.atomic import check_writable
    from icp_xl.hosts.file.book import FileBook
    from icp_xl.workbook.actions import import_accounts

    check_writable(args.workbook)  # open in Excel, read-only: said before any work
    book = FileBook.open(args.workbook, rescoring=True)  # the import rescores
    result = import_accounts(book, args.accounts, column_map(args))
    book.save()
    print(f"Imported {result.accounts:,} accounts from {args.accounts.name} into {args.workbook}")
    print_movers(book)
    return 0
