"""``icp-xl sample``: write deterministic sample accounts."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "sample",
        help="write sample accounts (CSV or XLSX)",
        description="Write realistic sample accounts; the same --seed gives the same file.",
    )
    parser.add_argument("-n", "--accounts", type=int, default=2000, help="number of accounts")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument(
        "-o", "--output", type=Path, default=Path("accounts.csv"), help="output .csv or .xlsx"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from icp_xl.core.errors import IcpError
    from icp_xl.core.sample import make_sample_accounts
    from icp_xl.files.atomic import atomic_write

    if args.accounts < 1:
        raise IcpError(f"-n must be at least 1, got {args.accounts}")
    frame = make_sample_accounts(args.accounts, args.seed)
    suffix = args.output.suffix.lower()
    if suffix == ".xlsx":
        atomic_write(
            args.output, lambda tmp: frame.to_excel(tmp, index=False, sheet_name="Accounts")
        )
    elif suffix in (".csv", ""):
        atomic_write(args.output, lambda tmp: frame.to_csv(tmp, index=False))
    else:
        raise IcpError(f"Unsupported output type '{suffix}': use .csv or .xlsx")
    print(f"Wrote {len(frame):,} sample accounts to {args.output}", file=sys.stderr)
    return 0
