"""``icp-xl doctor``: check the add-in's setup (and a workbook) and say what to do."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``doctor`` command."""
    parser = subparsers.add_parser(
        "doctor",
        help="check Python, the packages, the Excel add-in and a workbook; say what to fix",
        description=(
            "Check this Python and its packages, the ICP add-in in Excel's start-up folder "
            "(the xlwings version it was built for, the Python it runs), and, when given, "
            "a workbook (cloud address, lock files, write access to its folder). One line "
            "per check: OK, WARN, FAIL or N/A (does not apply on this OS), with what to do. "
            "Exit code 1 when a check FAILs. The ribbon's Diagnose button shows the same "
            "report in Excel."
        ),
    )
    parser.add_argument(
        "workbook", nargs="?", help="an ICP workbook to check as well (a path or a web address)"
    )
    parser.set_defaults(func=run_doctor)


def run_doctor(args: argparse.Namespace) -> int:
    """Print the report; exit code 1 when a check failed, else 0."""
    from icp_xl.excel.doctor import diagnose, report

    findings = diagnose(args.workbook)
    print(report(findings))
    return 1 if any(f.status == "FAIL" for f in findings) else 0
