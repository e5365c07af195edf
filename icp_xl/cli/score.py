"""``icp-xl score``: score an accounts file into the seed's scored-accounts CSV layout."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from icp_xl.cli.column_options import add_column_option, column_map, print_warnings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "score",
        help="score an accounts CSV/XLSX into a scored CSV",
        description=(
            "Score every account on the Ideal Customer Profile (four weighted components, "
            "ranked onto a 0-100 bell curve, graded A-F, segmented by annual revenue) and "
            "write the input columns plus vertical_score, size_score, adoption_score, "
            "relationship_score, relationship_feature, ICP_score_raw, ICP_score, ICP_grade "
            "and customer_segment."
        ),
    )
    parser.add_argument("accounts", type=Path, help="accounts .csv or .xlsx")
    parser.add_argument(
        "--weights", type=Path, help="optimized_weights.json (default weights when omitted)"
    )
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        help="scored CSV (default: ACCOUNTS_scored.csv beside the input)",
    )
    parser.add_argument("--force", action="store_true", help="replace an existing output file")
    add_column_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from icp_xl.core.insight.quality import quality_report
    from icp_xl.core.model.scoring import SCORE_COLUMNS, score_accounts
    from icp_xl.core.model.settings import Settings
    from icp_xl.files.outputs import check_output
    from icp_xl.files.tables import read_accounts, write_csv
    from icp_xl.files.weights_json import read_weights_json

    output = args.output or args.accounts.with_name(f"{args.accounts.stem}_scored.csv")
    check_output(output, "csv", inputs=[args.accounts, args.weights], force=args.force)
    settings = Settings()
    if args.weights:
        settings = settings.with_weights(read_weights_json(args.weights)[0])
    raw, accounts = read_accounts(args.accounts, column_map(args))
    report = quality_report(
        accounts, settings, args.accounts.name, raw.attrs.get("header_row"), (), raw.columns
    )
    print_warnings(report.warnings())
    scored = score_accounts(accounts, settings)
    result = raw.drop(columns=[c for c in SCORE_COLUMNS if c in raw.columns])
    result = result.join(scored[list(SCORE_COLUMNS)])
    write_csv(result, output)
    print(f"Scored {len(result):,} accounts -> {output}", file=sys.stderr)
    return 0
