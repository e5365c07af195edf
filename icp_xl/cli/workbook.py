"""``icp-xl new | rescore | export | validate | demo``: the ICP workbook, headless."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from icp_xl.workbook.actions import RescoreResult

from icp_xl.cli.column_options import add_column_option, column_map, print_warnings

SEGMENT_HELP = "segment view: all, small_business, mid_market or large_enterprise"


def register(subparsers: argparse._SubParsersAction) -> None:
    new = subparsers.add_parser(
        "new",
        help="create a scored ICP workbook from an accounts file (sample data without one)",
        description="Create an ICP workbook (every sheet, table and name of workbook/README.md) "
        "from an accounts CSV/XLSX, or from 2,000 sample accounts, and score it.",
    )
    new.add_argument("accounts", type=Path, nargs="?", help="accounts .csv or .xlsx")
    new.add_argument("-o", "--output", type=Path, default=Path("ICP.xlsx"), help="workbook")
    new.add_argument("--force", action="store_true", help="replace an existing workbook")
    add_column_option(new)
    new.add_argument(
        "--weights", type=Path, help="optimized_weights.json to start with (default weights)"
    )
    new.set_defaults(func=run_new)

    rescore = subparsers.add_parser(
        "rescore",
        help="rescore an ICP workbook from its Accounts, Weights and Settings",
        description="Read Accounts, Weights and Settings; write Scores, Segments, Top "
        "Customers, Dashboard and charts. Accounts and your own sheets are kept.",
    )
    rescore.add_argument("workbook", type=Path, help="ICP workbook .xlsx")
    rescore.add_argument("--segment", help=SEGMENT_HELP + " (default: the Dashboard selector)")
    rescore.set_defaults(func=run_rescore)

    export = subparsers.add_parser(
        "export",
        help="export the scores of a segment view to CSV",
        description="Write the view's accounts with the scores the Scores sheet holds (as "
        "of the last rescore; a warning says when they are out of date) to "
        "icp_scores_<segment>_<YYYYmmdd_HHMMSS>.csv: UTF-8 with BOM, formula-injection safe.",
    )
    export.add_argument("workbook", type=Path, help="ICP workbook .xlsx")
    export.add_argument("--segment", help=SEGMENT_HELP + " (default: the Dashboard selector)")
    export.add_argument(
        "-o", "--output", type=Path, help="CSV file or folder (default: beside the workbook)"
    )
    export.add_argument("--force", action="store_true", help="replace an existing CSV file")
    export.add_argument(
        "--changed",
        action="store_true",
        help="only accounts whose grade changed at the last rescore (and new ones): "
        "the file a CRM update needs",
    )
    export.add_argument(
        "--exact", action="store_true", help="full precision (default: money and scores rounded)"
    )
    export.add_argument(
        "--crm",
        action="store_true",
        help="CRM write-back: your ID header, ICP score, grade, previous grade, reason, "
        "scored-at and model version, for every account (--segment, --changed narrow it) "
        "to icp_crm_<segment>_<YYYYmmdd_HHMMSS>.csv",
    )
    export.set_defaults(func=run_export)

    validate = subparsers.add_parser(
        "validate",
        help="list every problem in a workbook's inputs (writes nothing)",
        description="Check sheets, names, weights, settings and accounts; exit 1 on problems.",
    )
    validate.add_argument("workbook", type=Path, help="ICP workbook .xlsx")
    validate.set_defaults(func=run_validate)

    demo = subparsers.add_parser(
        "demo",
        help="sample data -> ICP workbook -> rescore -> quick optimization, in one go",
        description="Write sample accounts and a scored, optimized ICP workbook into DIR.",
    )
    demo.add_argument("-o", "--output", type=Path, default=Path("icp-demo"), help="folder")
    demo.add_argument("-n", "--accounts", type=int, default=2000, help="sample accounts")
    demo.add_argument("--trials", type=int, default=60, help="optimizer trials (quick)")
    demo.add_argument("--force", action="store_true", help="replace an existing demo workbook")
    demo.set_defaults(func=run_demo)


def run_new(args: argparse.Namespace) -> int:
    from icp_xl.files.outputs import check_output
    from icp_xl.hosts.file.new_workbook import create_workbook

    mapping = column_map(args)
    check_output(args.output, "xlsx", inputs=[args.accounts], force=args.force)
    weights = None
    if args.weights is not None:
        from icp_xl.files.weights_json import read_weights_json

        weights = read_weights_json(args.weights)[0]
    path, result = create_workbook(
        args.output, args.accounts, overwrite=True, column_map=mapping, weights=weights
    )
    _print_quality(result)
    print(f"Wrote ICP workbook {path}", file=sys.stderr)
    return 0


def _print_quality(result: RescoreResult) -> None:
    """The Data Quality summary as warnings, pointing at the sheet when there are any."""
    warnings = result.quality.warnings() if result.quality else ()
    print_warnings(warnings)
    if warnings:
        print_warnings(["details on the workbook's Data Quality sheet"])


def run_rescore(args: argparse.Namespace) -> int:
    from icp_xl.hosts.file.book import FileBook
    from icp_xl.workbook.actions import rescore

    book = FileBook.open(args.workbook, rescoring=True)
    result = rescore(book, args.segment)
    book.save()
    _print_quality(result)
    _print_summary(result)
    print(f"Rescored {args.workbook}", file=sys.stderr)
    return 0


def run_export(args: argparse.Namespace) -> int:
    from icp_xl.files.outputs import check_output
    from icp_xl.hosts.file.book import FileBook
    from icp_xl.workbook.actions import export_csv

    output = args.output
    folder, target = args.workbook.resolve().parent, None
    if output is not None and (output.is_dir() or output.suffix == ""):
        folder = output
    elif output is not None:
        target = check_output(output, "csv", inputs=[args.workbook], force=args.force)
    book = FileBook.open(args.workbook, for_writing=False)
    if args.crm:
        from icp_xl.workbook.actions import export_crm

        done = export_crm(book, folder, args.segment, output=target, changed=args.changed)
        print(f"{done.accounts:,} accounts, ICP model version {done.version}", file=sys.stderr)
        print(done.path)
        return 0
    path = export_csv(
        book, folder, args.segment, output=target, changed=args.changed, exact=args.exact
    )
    print(path)
    return 0


def run_validate(args: argparse.Namespace) -> int:
    from icp_xl.hosts.file.book import FileBook
    from icp_xl.workbook.actions import validate

    result = validate(FileBook.open(args.workbook, for_writing=False))
    if result.report is not None:
        print("Data Quality (as the next rescore will write it):")
        for check, level, item, count, detail in result.report.rows():
            shown = "" if count is None else f" [{count:,}]"
            mark = "!" if level == "warning" else " "
            print(f" {mark}{check}: {item}{shown}: {detail}")
    for warning in result.warnings:
        print(f"warning: {warning}")
    for problem in result.problems:
        print(f"problem: {problem}")
    if result.ok:
        if result.warnings:
            print(f"{args.workbook}: {len(result.warnings)} warning(s) to review; nothing "
                  "stops scoring")  # fmt: skip
        else:
            print(f"{args.workbook}: no problems found")
        return 0
    print(f"{args.workbook}: {len(result.problems)} problem(s)", file=sys.stderr)
    return 1


def run_demo(args: argparse.Namespace) -> int:
    from icp_xl.core.errors import IcpError
    from icp_xl.core.inputs.accounts import prepare_accounts
    from icp_xl.core.inputs.sample import make_sample_accounts
    from icp_xl.core.model.settings import Settings
    from icp_xl.core.optimization.objective import training_data
    from icp_xl.files.atomic import atomic_write
    from icp_xl.files.outputs import check_output
    from icp_xl.hosts.file.book import FileBook
    from icp_xl.hosts.file.new_workbook import new_workbook
    from icp_xl.workbook.actions import optimize_book, store_optimization

    # Every option is checked before anything is written, so a rerun needs no --force.
    if args.trials < 1:
        raise IcpError(f"--trials must be at least 1, got {args.trials}")
    started = time.perf_counter()
    accounts = make_sample_accounts(args.accounts) if args.accounts >= 1 else None
    try:
        if accounts is None:
            raise IcpError("there are no accounts")
        training_data(prepare_accounts(accounts), Settings())
    except IcpError as error:
        raise IcpError(f"-n {args.accounts} is too few sample accounts: {error}") from None
    if args.output.exists() and not args.output.is_dir():
        raise IcpError(f"-o {args.output} is a file; give a folder for the demo files")
    workbook = args.output / "ICP.xlsx"
    csv = args.output / "sample_accounts.csv"
    if args.output.is_dir():
        check_output(workbook, "xlsx", force=args.force)
        check_output(csv, "csv", force=args.force)
    args.output.mkdir(parents=True, exist_ok=True)
    atomic_write(csv, lambda tmp: accounts.to_csv(tmp, index=False))
    new_workbook(workbook, csv, overwrite=True)

    book = FileBook.open(workbook)
    book.status(f"Optimizing the weights ({args.trials} trials, quick)")
    result = optimize_book(book, n_trials=args.trials, folds=3)
    rescored = store_optimization(book, result, apply=False)
    book.save()
    _print_summary(rescored)
    weights = ", ".join(f"{k} {v:.2f}" for k, v in result.weights.as_dict().items())
    print(f"Optimized weights ({result.requested_trials} trials asked, not applied): {weights}")
    print(f"  Spearman {result.spearman:.3f}, objective {result.objective:.4f}")
    print(f"Sample accounts: {csv}")
    print(f"ICP workbook:    {workbook}  ({time.perf_counter() - started:.1f} s)")
    return 0


def _print_summary(result: RescoreResult) -> None:
    """One line: accounts scored and the view's headline figures."""
    metrics = result.metrics
    print(
        f"{result.accounts:,} accounts scored; view {result.view}: {metrics.customers:,} "
        f"accounts; grades A+B hold {metrics.top_grades_target_share:.1%} of their target "
        f"revenue, top-10% lift {metrics.top_decile_lift:.2f}x; "
        f"{metrics.high_value_customers:,} high-value"
    )
