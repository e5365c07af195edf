"""``icp-xl import``: replace a workbook's accounts with a file, keeping everything else."""

from __future__ import annotations

import argparse
from pathlib import Path

from icp_xl.cli.column_options import add_column_option, column_map
from icp_xl.cli.workbook_command import workbook_command


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = workbook_command(
        subparsers,
        "import",
        run,
        help="replace the accounts of an ICP workbook with a CSV/XLSX file and rescore",
        description="Replace the Accounts table with the file's accounts and rescore. "
        "Weights, settings, the calibration, the Runs history and your own sheets are "
        "kept; the Movers sheet then shows what changed since the previous run.",
    )
    parser.add_argument("accounts", type=Path, help="accounts .csv or .xlsx")
    parser.add_argument(
        "--replace-all",
        action="store_true",
        help="import even a file that would drop more than half of the accounts, or that "
        "looks like an icp-xl export (refused without it)",
    )
    add_column_option(parser)


def run(args: argparse.Namespace) -> int:
    from icp_xl.cli.column_options import print_warnings, quality_warnings
    from icp_xl.cli.movers import print_movers
    from icp_xl.core.errors import IcpError
    from icp_xl.files.atomic import check_writable
    from icp_xl.hosts.file.book import FileBook
    from icp_xl.workbook.actions.accounts_import import ImportNeedsConfirmation, import_accounts

    check_writable(args.workbook)  # open in Excel, read-only: said before any work
    book = FileBook.open(args.workbook, rescoring=True)  # the import rescores
    try:
        result = import_accounts(
            book, args.accounts, column_map(args), replace_all=args.replace_all
        )
    except ImportNeedsConfirmation as doubt:
        raise IcpError(f"{doubt}; add --replace-all if this is the right file") from None
    imported, warnings = result.accounts, quality_warnings(result)
    del result  # every account's scores need not stay in memory while the workbook is saved
    book.save()
    print(f"Imported {imported:,} accounts from {args.accounts.name} into {args.workbook}")
    print_warnings(warnings)
    print_movers(book)
    return 0
