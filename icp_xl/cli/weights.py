"""``icp-xl weights``: set the current weights of an ICP workbook without Excel."""

from __future__ import annotations

import argparse
from pathlib import Path

from icp_xl.cli.workbook_command import workbook_command


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = workbook_command(
        subparsers,
        "weights",
        run,
        help="set the current weights: the optimized ones, the defaults, or from a JSON file",
        description="Copy weights into the workbook's current weights (Weights!B5:B8), as "
        "the ribbon's Use optimized weights / Reset weights buttons do. The scores are out "
        "of date until the next rescore (add --rescore to do it now).",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--use-optimized", action="store_true", help="the optimized weights")
    source.add_argument("--reset", action="store_true", help="the default weights")
    source.add_argument(
        "--from", dest="json", type=Path, metavar="JSON", help="optimized_weights.json"
    )
    parser.add_argument("--rescore", action="store_true", help="rescore after setting them")
    parser.add_argument(
        "--keep-calibration",
        action="store_true",
        help="in Calibrated mode, keep the calibration made with the old weights (default: "
        "make it anew on today's accounts with the new weights; every rescore warns when "
        "they differ)",
    )


def run(args: argparse.Namespace) -> int:
    from icp_xl.cli.column_options import print_quality
    from icp_xl.files.weights_json import read_weights_json
    from icp_xl.hosts.file.book import FileBook
    from icp_xl.workbook.actions import rescore, reset_weights, use_optimized_weights
    from icp_xl.workbook.actions.weights import set_current_weights
    from icp_xl.workbook.calibration_table import read_scoring_mode

    book = FileBook.open(args.workbook, rescoring=args.rescore)
    keep = args.keep_calibration
    refreeze = read_scoring_mode(book) == "Calibrated" and not keep
    if args.use_optimized:
        weights = use_optimized_weights(book, keep)
    elif args.reset:
        weights = reset_weights(book, keep)
    else:
        weights = set_current_weights(book, read_weights_json(args.json)[0], keep)
    result = rescore(book) if args.rescore else None
    book.save()
    if result is not None:
        print_quality(result)
    shown = ", ".join(f"{k} {v:.2f}" for k, v in weights.as_dict().items())
    made = "; calibration made anew with them on today's accounts" if refreeze else ""
    then = "rescored" if args.rescore else "rescore to apply them (icp-xl rescore)"
    print(f"Current weights of {args.workbook}: {shown}{made}; {then}")
    return 0
