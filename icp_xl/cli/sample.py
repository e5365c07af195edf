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
    parser.add_argument(
        "--opportunities",
        type=Path,
        metavar="DEALS.csv",
        help="also write CRM opportunities of these accounts whose wins follow a hidden mix "
        "of the accounts' inputs plus noise (docs/outcomes.md); .csv or .xlsx",
    )
    parser.add_argument("--force", action="store_true", help="replace an existing file")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from icp_xl.core.errors import IcpError
    from icp_xl.core.inputs.sample import make_sample_accounts
    from icp_xl.files.outputs import check_output

    if args.accounts < 1:
        raise IcpError(f"-n must be at least 1, got {args.accounts}")
    if not 0 <= args.seed < 2**32:
        raise IcpError(f"--seed must be a whole number from 0 to {2**32 - 1:,}, got {args.seed}")
    kind = args.output.suffix.lower().removeprefix(".")
    if kind not in ("csv", "xlsx"):
        raise IcpError(f"-o {args.output.name}: sample writes .csv or .xlsx files")
    check_output(args.output, kind, force=args.force)
    deals_kind = None
    if args.opportunities is not None:
        deals_kind = args.opportunities.suffix.lower().removeprefix(".")
        if deals_kind not in ("csv", "xlsx"):
            raise IcpError(f"--opportunities {args.opportunities.name}: write .csv or .xlsx")
        check_output(args.opportunities, deals_kind, force=args.force)
    frame = make_sample_accounts(args.accounts, args.seed)
    _write(frame, args.output, kind, "Accounts")
    print(f"Wrote {len(frame):,} sample accounts to {args.output}", file=sys.stderr)
    if args.opportunities is not None:
        from icp_xl.core.inputs.sample_opportunities import make_sample_opportunities

        deals = make_sample_opportunities(frame, args.seed)
        _write(deals, args.opportunities, deals_kind, "Opportunities")
        print(f"Wrote {len(deals):,} sample opportunities to {args.opportunities}", file=sys.stderr)
    return 0


def _write(frame, path: Path, kind: str, sheet: str) -> None:  # noqa: ANN001 (a DataFrame)
    from icp_xl.files.atomic import atomic_write

    if kind == "xlsx":
        atomic_write(path, lambda tmp: frame.to_excel(tmp, index=False, sheet_name=sheet))
    else:
        atomic_write(path, lambda tmp: frame.to_csv(tmp, index=False))
