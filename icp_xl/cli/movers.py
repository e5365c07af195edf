"""``icp-xl movers``: what changed at the last rescore, as the Movers sheet shows it."""

from __future__ import annotations

import argparse
from typing import Any

from icp_xl.cli.workbook_command import workbook_command


def register(subparsers: argparse._SubParsersAction) -> None:
    workbook_command(
        subparsers,
        "movers",
        run,
        help="print what changed at the last rescore (grade migration, new, gone, moves)",
        description="Print the Movers sheet of an ICP workbook: the grade migration of the "
        "last rescore, accounts new and gone, and the largest moves with their reason.",
    )


def run(args: argparse.Namespace) -> int:
    from icp_xl.hosts.file.book import FileBook

    print_movers(FileBook.open(args.workbook, for_writing=False))
    return 0


def print_movers(book: Any) -> None:
    """Print the Movers sheet's summary, migration matrix and largest moves."""
    from icp_xl.core.inputs.cells import parse_cell, range_ref
    from icp_xl.workbook import layout

    sheet = layout.MOVERS
    print(book.read_range(sheet, layout.MOVERS_SUMMARY)[0][0])
    top, left = parse_cell(layout.MIGRATION_TOP)
    for row in book.read_range(sheet, range_ref(top, left, top + 6, left + 6)):
        print("  " + "".join(f"{'' if v is None else v!s:>16}" if i == 0 else f"{v!s:>7}"
                             for i, v in enumerate(row)))  # fmt: skip
    for caption, anchor in (("up", layout.MOVES_UP_TOP), ("down", layout.MOVES_DOWN_TOP)):
        top, left = parse_cell(anchor)
        rows = book.read_range(sheet, range_ref(top + 1, left, top + 5, left + 7))
        rows = [r for r in rows if r[0] is not None]
        if rows:
            print(f"Largest moves {caption}:")
        for cid, before, now, old, new, change, name, reason in rows:
            print(f"  {cid} {name or ''}: {old:.1f} -> {new:.1f} ({change:+.1f}), "
                  f"{before} -> {now}; {reason}")  # fmt: skip
