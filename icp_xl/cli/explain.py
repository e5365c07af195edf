"""``icp-xl explain``: why one account of an ICP workbook scores what it scores."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "explain",
        help="explain one account's score and what would lift it one grade",
        description=(
            "Score the workbook's Accounts with its Weights and Settings (nothing is written) "
            "and explain one account: its components and their points of the raw score "
            "against the portfolio and segment averages, its percentile and reason, and per "
            "input the smallest change that lifts it one grade, checked by rescoring the "
            "portfolio. The same facts as the Account sheet and =ICP_EXPLAIN()."
        ),
    )
    parser.add_argument("workbook", type=Path, help="ICP workbook .xlsx")
    parser.add_argument("customer_id", help="Customer ID of the account")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from icp_xl.core.insight.explain import explain_account, explanation_text
    from icp_xl.hosts.file.book import FileBook
    from icp_xl.workbook.actions import score_book

    book = FileBook.open(args.workbook, for_writing=False, status=lambda message: None)
    result = score_book(book)
    explanation = explain_account(
        result.accounts.frame,
        result.settings,
        args.customer_id,
        scored=result.scored,
        calibration=result.calibration,
    )
    print(explanation_text(explanation))
    return 0
