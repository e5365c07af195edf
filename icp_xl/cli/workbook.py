"""``icp-xl new | rescore | export | validate | demo``: the ICP workbook, headless."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from icp_xl.workbook.actions import RescoreResult

from icp_xl.cli.collector import collector_paused
from icp_xl.cli.column_options import (
    add_column_option,
    column_map,
    print_warnings,
    quality_warnings,
)
from icp_xl.cli.workbook_command import workbook_command
from icp_xl.core.errors import IcpError

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
    new.add_argument(
        "--live",
        action="store_true",
        help="Live mode: Scores as formulas that recalculate in Excel 2021+ (see icp-xl live)",
    )
    new.set_defaults(func=collector_paused(run_new))

    rescore = workbook_command(
        subparsers,
        "rescore",
        run_rescore,
        help="rescore an ICP workbook from its Accounts, Weights and Settings",
        description="Read Accounts, Weights and Settings; write Scores, Segments, Top "
        "Customers, Dashboard and charts. Accounts and your own sheets are kept.",
    )
    rescore.add_argument("--segment", help=SEGMENT_HELP + " (default: the Dashboard selector)")

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
        help="what changed at the last rescore, for a CRM update: accounts whose grade "
        "changed, new ones and gone ones, with a column ICP_change saying which",
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
    export.set_defaults(func=collector_paused(run_export))

    validate = subparsers.add_parser(
        "validate",
        help="list every problem in a workbook's inputs (writes nothing)",
        description="Check sheets, names, weights, settings and accounts; exit 1 on problems.",
    )
    validate.add_argument("workbook", type=Path, help="ICP workbook .xlsx")
    validate.set_defaults(func=collector_paused(run_validate))

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
    from icp_xl.hosts.file.new_workbook import build_workbook

    mapping = column_map(args)
    check_output(args.output, "xlsx", inputs=[args.accounts], force=True)  # all but --force
    lost = _what_new_discards(args.output)  # an ICP workbook there: point to import instead
    if lost is not None and not args.force:
        lost_text = "; --force would replace it and discard " + _and(lost) if lost else ""
        import_command = f"icp-xl import {args.output} {args.accounts or 'ACCOUNTS.csv'}"
        raise IcpError(
            f"{args.output.name} is already an ICP workbook: to bring new accounts into it, "
            f"run {import_command} (it keeps the weights, settings, calibration, run history "
            f"and your own sheets){lost_text}"
        )
    check_output(args.output, "xlsx", inputs=[args.accounts], force=args.force)
    weights = None
    if args.weights is not None:
        from icp_xl.files.weights_json import read_weights_json

        weights = read_weights_json(args.weights)[0]
    book, result = build_workbook(
        args.output,
        args.accounts,
        overwrite=True,
        column_map=mapping,
        weights=weights,
        live=args.live,
    )
    warnings = quality_warnings(result)
    del result  # every account's scores need not stay in memory while the workbook is saved
    path = book.save(args.output)
    print_warnings(warnings)
    if lost:
        print(f"icp-xl: warning: --force discarded {_and(lost)}", file=sys.stderr)
    print(f"Wrote ICP workbook {path}", file=sys.stderr)
    return 0


def _what_new_discards(path: Path) -> list[str] | None:
    """What writing a new workbook at ``path`` would lose (see
    :func:`~icp_xl.workbook.actions.accounts_import.what_replacing_discards`); None when
    ``path`` is not an ICP workbook."""
    from icp_xl.cli.optimize import is_icp_workbook
    from icp_xl.hosts.file.book import FileBook
    from icp_xl.workbook.actions.accounts_import import what_replacing_discards

    if not is_icp_workbook(path):
        return None
    try:
        return what_replacing_discards(FileBook.open(path, for_writing=False))
    except IcpError:  # unreadable as ours: the output policy alone decides
        return None


def _and(phrases: list[str]) -> str:
    """``a, b and c``."""
    return phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + " and " + phrases[-1]


def run_rescore(args: argparse.Namespace) -> int:
    from icp_xl.hosts.file.book import FileBook
    from icp_xl.workbook.actions import rescore

    book = FileBook.open(args.workbook, rescoring=True)
    result = rescore(book, args.segment)
    warnings, summary = quality_warnings(result), _summary(result)
    del result  # every account's scores need not stay in memory while the workbook is saved
    book.save()
    print_warnings(warnings)
    print(summary)
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
    exported = export_csv(
        book, folder, args.segment, output=target, changed=args.changed, exact=args.exact
    )
    print(exported.path)
    return 0


def run_validate(args: argparse.Namespace) -> int:
    from icp_xl.hosts.file.book import FileBook
    from icp_xl.workbook.actions import validate

    book = FileBook.open(args.workbook, for_writing=False)
    result = validate(book, book.input_formula_problems())  # what rescore would refuse too
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
    from icp_xl.core.inputs.sample_opportunities import make_sample_opportunities
    from icp_xl.core.model.settings import Settings
    from icp_xl.core.optimization.objective import training_data
    from icp_xl.files.atomic import atomic_write
    from icp_xl.files.outputs import check_output
    from icp_xl.hosts.file.book import FileBook
    from icp_xl.hosts.file.new_workbook import new_workbook
    from icp_xl.workbook.actions import optimize_book, store_optimization
    from icp_xl.workbook.actions.outcomes import import_opportunities_file

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
    deals = args.output / "sample_opportunities.csv"
    if args.output.is_dir():
        check_output(workbook, "xlsx", force=args.force)
        check_output(csv, "csv", force=args.force)
        check_output(deals, "csv", force=args.force)
    args.output.mkdir(parents=True, exist_ok=True)
    atomic_write(csv, lambda tmp: accounts.to_csv(tmp, index=False))
    opportunities = make_sample_opportunities(accounts)
    atomic_write(deals, lambda tmp: opportunities.to_csv(tmp, index=False))
    new_workbook(workbook, csv, overwrite=True)

    book = FileBook.open(workbook)
    _, outcomes = import_opportunities_file(book, deals)
    book.status(f"Optimizing the weights ({args.trials} trials, quick)")
    result = optimize_book(book, n_trials=args.trials, folds=3)
    rescored = store_optimization(book, result, apply=False)
    book.save()
    _print_summary(rescored)
    weights = ", ".join(f"{k} {v:.2f}" for k, v in result.weights.as_dict().items())
    print(f"Optimized weights ({result.requested_trials} trials asked, not applied): {weights}")
    print(f"  Spearman {result.spearman:.3f}, objective {result.objective:.4f}")
    if outcomes is not None:
        print("Outcomes: " + " ".join(outcomes.headlines[:2]))
    print(f"Sample accounts: {csv}")
    print(f"Sample opportunities: {deals}")
    print(f"ICP workbook:    {workbook}  ({time.perf_counter() - started:.1f} s)")
    return 0


def _print_summary(result: RescoreResult) -> None:
    print(_summary(result))


def _summary(result: RescoreResult) -> str:
    """One line: accounts scored and the view's headline figures."""
    metrics = result.metrics
    return (
        f"{result.accounts:,} accounts scored; view {result.view}: {metrics.customers:,} "
        f"accounts; grades A+B hold {metrics.top_grades_target_share:.1%} of their target "
        f"revenue, top-10% lift {metrics.top_decile_lift:.2f}x; "
        f"{metrics.high_value_customers:,} high-value"
    )
