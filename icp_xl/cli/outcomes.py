"""``icp-xl outcomes``: import CRM opportunities and show whether the grade predicts the deal."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from icp_xl.cli.column_options import add_column_option, column_map, print_warnings
from icp_xl.cli.workbook_command import workbook_command

if TYPE_CHECKING:
    from icp_xl.workbook.actions.outcomes import OutcomesReport


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = workbook_command(
        subparsers,
        "outcomes",
        run,
        help="import CRM opportunities; win rate by grade, AUC and backtest (Outcomes sheet)",
        description="Read a CRM opportunity export (Salesforce, HubSpot, Dynamics: CSV or "
        "XLSX) into the workbook's Opportunities sheet and write the Outcomes sheet: win rate "
        "by grade with 95 % intervals, lift, AUC, gains and the backtest. Without a file, "
        "refresh Outcomes from the stored opportunities. A bad file changes nothing.",
    )
    parser.add_argument("opportunities", type=Path, nargs="?", help="opportunities .csv/.xlsx")
    add_column_option(
        parser,
        'map one of our columns to your header, e.g. --column "Stage=Deal Phase" or '
        '--column "Customer ID=Acct Ref" (repeatable; for this file only)',
    )
    parser.add_argument("--segment", help="segment view (default: the Dashboard's)")


def run(args: argparse.Namespace) -> int:
    from icp_xl.core.errors import IcpError
    from icp_xl.hosts.file.book import FileBook
    from icp_xl.workbook.actions.outcomes import import_opportunities_file, refresh_outcomes

    mapping = column_map(args)
    book = FileBook.open(args.workbook, outcomes=True)
    if args.opportunities is not None:
        imported, report = import_opportunities_file(
            book, args.opportunities, mapping, args.segment
        )
        print_warnings(imported.warnings)
    else:
        report = refresh_outcomes(book, args.segment)
    if report is None:
        raise IcpError(
            f"{args.workbook.name} has no opportunities yet; give an opportunities file: "
            f"icp-xl outcomes {args.workbook.name} DEALS.csv"
        )
    book.save()
    print(report_text(report))
    print(f"Wrote the Outcomes sheet of {args.workbook}", file=sys.stderr)
    return 0


def _cell(value: object, kind: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if kind == "pct":
        return f"{value:.0%}"
    if kind == "money":
        return f"${value:,.0f}"
    if kind == "lift":
        return f"{value:.2f}x"
    return f"{value:,}" if isinstance(value, int) else str(value)


def grade_table_text(table) -> str:  # noqa: ANN001 (a DataFrame; pandas is imported lazily)
    """The by-grade table as aligned text."""
    columns = (
        ("Grade", None, ""), ("Accounts", "accounts", "int"), ("Opps", "opportunities", "int"),
        ("Won", "won", "int"), ("Lost", "lost", "int"), ("Open", "open", "int"),
        ("Win rate", "win_rate", "pct"), ("95 % interval", None, "ci"),
        ("Won amount", "won_amount", "money"), ("Lift", "lift", "lift"), ("Note", "note", ""),
    )  # fmt: skip
    rows = [[c[0] for c in columns]]
    for grade, values in table.iterrows():
        row = []
        for _, field, kind in columns:
            if field is None and kind == "ci":
                low, high = values["win_rate_low"], values["win_rate_high"]
                row.append("" if math.isnan(low) else f"{low:.0%}-{high:.0%}")
            elif field is None:
                row.append(str(grade))
            else:
                value = values[field]
                if kind == "int" and not (isinstance(value, float) and math.isnan(value)):
                    value = int(value)
                row.append(_cell(value, kind))
        rows.append(row)
    widths = [max(len(r[i]) for r in rows) for i in range(len(columns))]
    return "\n".join(
        "  ".join(c.ljust(w) if i in (0, len(columns) - 1) else c.rjust(w)
                  for i, (c, w) in enumerate(zip(row, widths, strict=True))).rstrip()
        for row in rows
    )  # fmt: skip


def report_text(report: OutcomesReport) -> str:
    """What ``icp-xl outcomes`` prints: headlines, the by-grade table, AUC, backtest."""
    auc = report.auc
    auc_line = (
        "AUC: not available (needs both won and lost accounts)"
        if math.isnan(auc.auc)
        else f"AUC {auc.auc:.3f}"
        + ("" if math.isnan(auc.low) else f" (95 % interval {auc.low:.3f}-{auc.high:.3f})")
        + f" over {auc.accounts:,} accounts with closed opportunities ({auc.won_accounts:,} won)"
    )
    parts = [
        *report.headlines,
        "",
        f"By today's grade (view {report.view}):",
        grade_table_text(report.table),
        "",
        auc_line,
        "",
        f"Backtest ({report.covered:,} opportunities created after a recorded rescore):",
        grade_table_text(report.backtest) if report.covered else "  nothing to show yet",
    ]
    if report.unknown:
        deals = "opportunity" if report.unknown == 1 else "opportunities"
        parts += ["", f"{report.unknown:,} {deals} of accounts not in Accounts (listed on the "
                  "Outcomes sheet) left out."]  # fmt: skip
    return "\n".join(parts)
