"""``icp-xl optimize``: optimize the scoring weights against historical revenue.

The objective, the feasible weights and the search: docs/optimizer.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from icp_xl.cli.column_options import add_column_option, column_map
from icp_xl.core.errors import IcpError


def register(subparsers: argparse._SubParsersAction) -> None:
    from icp_xl.core.optimization.defaults import (
        DEFAULT_FOLDS,
        DEFAULT_LAMBDA,
        DEFAULT_SAMPLER,
        DEFAULT_SEED,
        DEFAULT_TRIALS,
        MAX_SEED,
        SAMPLERS,
    )

    parser = subparsers.add_parser(
        "optimize",
        help="optimize the scoring weights against historical revenue",
        description=(
            "Search the feasible weights (sum 1; vertical, size, adoption in [0.10, 0.40], "
            "relationship in [0.15, 0.40]) for the lowest objective "
            "lambda*KL(grade shares || target) - (1-lambda)*Spearman(score, target) over "
            "accounts with a positive 'Total Hardware + Consumable Revenue'. Prints the "
            "weights, Spearman, KL, grade shares and the out-of-sample Spearman. Ctrl-C "
            "stops and keeps the best so far."
        ),
    )
    parser.add_argument(
        "source",
        type=Path,
        help="ICP workbook (results go to its Optimization and Weights sheets) or an "
        "accounts .csv/.xlsx",
    )
    parser.add_argument(
        "--trials",
        type=int,
        help="Optuna trials before the local refinement (default: the workbook's Settings "
        f"sheet, else {DEFAULT_TRIALS})",
    )
    parser.add_argument(
        "--lambda",
        dest="lam",
        type=float,
        help="weight of the grade-shape term, 0-1 (default: the workbook's Settings sheet, "
        f"else {DEFAULT_LAMBDA})",
    )
    parser.add_argument("--no-size", action="store_true", help="lock the size weight at 0")
    add_column_option(parser)
    parser.add_argument(
        "--target",
        help="Accounts columns summed into the target revenue, comma-separated, e.g. "
        "'Total Hardware Revenue' (default: the workbook's Settings sheet, else hardware + "
        "consumables; consumables are also an adoption input, which flatters the fit); "
        "'won' or 'won-amount': the outcome of the workbook's CRM opportunities "
        "(docs/outcomes.md), with the AUC in-sample and on a time split",
    )
    parser.add_argument(
        "--seed",
        type=int,
        help=f"random seed, 0 to {MAX_SEED:,} (default: the workbook's Settings sheet, "
        f"else {DEFAULT_SEED})",
    )
    parser.add_argument(
        "--folds",
        type=int,
        default=DEFAULT_FOLDS,
        help=f"folds for the out-of-sample Spearman; 0 skips it (default {DEFAULT_FOLDS})",
    )
    parser.add_argument(
        "--sampler",
        choices=SAMPLERS,
        default=DEFAULT_SAMPLER,
        help=f"Optuna sampler (default {DEFAULT_SAMPLER})",
    )
    parser.add_argument(
        "--json-out", type=Path, help="write the seed-compatible optimized_weights.json here"
    )
    parser.add_argument(
        "--apply",
        action="store_true",
        help="also make the optimized weights the current weights and rescore (ICP workbook only)",
    )
    parser.add_argument(
        "--keep-calibration",
        action="store_true",
        help="with --apply in Calibrated mode: keep the calibration made with the old weights "
        "(default: make it anew on today's accounts with the optimized weights)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--force", action="store_true", help="replace an existing --json-out")
    # Shared studies (issue 16): options and storage URL handling live in study_options.
    from icp_xl.cli.study_options import add_study_arguments

    add_study_arguments(parser)
    parser.set_defaults(func=run)


class _Bar:
    """A tqdm progress bar over the search trials asked for; refinement and validation folds
    show in its description. ``best=`` is the best objective of the main run, so it never
    gets worse (a validation fold's best, on other accounts, is not comparable)."""

    def __init__(self, total: int, enabled: bool):
        from tqdm import tqdm

        self.bar = tqdm(total=total, unit="trial", file=sys.stderr, disable=not enabled)
        self.best = float("inf")
        self.reported = False  # a trial has finished: the storage was open

    def __call__(self, phase: str, done: int, total: int, best: float) -> None:
        self.reported = True
        validating = phase.startswith("fold")
        if phase == "search":
            self.bar.update(1)
        if not validating:
            self.best = min(self.best, best)
        label = (
            f"validation {phase.removesuffix(' search')} ({done}/{total})" if validating else phase
        )
        self.bar.set_description(label, refresh=False)
        self.bar.set_postfix(best=f"{self.best:.5f}", refresh=False)

    def close(self) -> None:
        self.bar.close()


def is_icp_workbook(path: Path) -> bool:
    """True for an Excel file with the ICP workbook's Accounts, Weights and Settings sheets."""
    from icp_xl.files.tables import EXCEL_SUFFIXES
    from icp_xl.workbook import identity

    if path.suffix.lower() not in EXCEL_SUFFIXES or not path.is_file():
        return False
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True)
    except Exception:  # not readable as a workbook: read_accounts gives the clear error
        return False
    try:
        return identity.is_icp_workbook(book.sheetnames)
    finally:
        book.close()


def run(args: argparse.Namespace) -> int:
    import os

    from icp_xl.cli.study_options import sigterm_as_interrupt, storage_url
    from icp_xl.core.model.settings import Settings
    from icp_xl.core.optimization.defaults import DEFAULT_LAMBDA, DEFAULT_SEED, DEFAULT_TRIALS
    from icp_xl.files.atomic import check_writable
    from icp_xl.files.outputs import check_output
    from icp_xl.files.tables import read_accounts
    from icp_xl.files.weights_json import write_weights_json
    from icp_xl.studies.optimize import optimize_weights

    storage = storage_url(args, dict(os.environ))
    book = None
    options: dict[str, Any] = {}
    from icp_xl.core.model.target import WON_TARGETS, target_fields, with_target

    if is_icp_workbook(args.source):
        from icp_xl.hosts.file.book import FileBook
        from icp_xl.workbook.actions import optimizer_options, score_book
        from icp_xl.workbook.actions.optimization import target_choice

        book = FileBook.open(args.source)  # input formulas and impossible rebuilds fail up front
        options = optimizer_options(book)
        fields = target_choice(book, args.target)  # a bad Settings target: before any work
        scored = score_book(book)
        accounts, settings = scored.accounts, scored.settings
    elif args.apply:
        raise IcpError("--apply needs an ICP workbook as SOURCE; use --json-out instead")
    else:
        fields = target_fields(args.target)
        _, accounts = read_accounts(args.source, column_map(args))
        settings = Settings()
    # Every output is checked before the (long) search, so a bad path costs no work.
    if book is not None:
        check_writable(args.source)
    if args.json_out:
        check_output(args.json_out, "json", inputs=[args.source], force=args.force)
    # Options given on the command line win over the workbook's Settings sheet.
    if args.trials is not None:
        options["n_trials"] = args.trials
    options.setdefault("n_trials", DEFAULT_TRIALS)
    options["lam"] = args.lam if args.lam is not None else options.get("lam", DEFAULT_LAMBDA)
    options["include_size"] = not args.no_size and options.get("include_size", True)
    if args.seed is not None or "seed" not in options:
        options["seed"] = DEFAULT_SEED if args.seed is None else args.seed
    for warning in accounts.warnings:
        print(f"icp-xl: warning: {warning}", file=sys.stderr)
    won = fields[0] in WON_TARGETS
    if won:  # the won flag or amount of the workbook's opportunities
        if book is None:
            raise IcpError(f"--target {fields[0]} needs an ICP workbook with opportunities")
        from icp_xl.workbook.actions.outcomes import won_training_accounts

        accounts = won_training_accounts(book, accounts, fields[0])
        options["zero_targets"] = True
    else:
        accounts = with_target(accounts, fields)  # a target overlapping an input: see notes
    bar = _Bar(options["n_trials"], enabled=not args.quiet)
    try:
        with sigterm_as_interrupt() as terminated:
            result = optimize_weights(
                accounts,
                settings,
                sampler=args.sampler,
                folds=args.folds,
                storage=storage,
                study_name=args.study_name,
                progress=bar,
                worker=args.worker,
                report=args.report,
                grace=args.grace,
                storage_wait=args.storage_wait,
                **options,
            )
    except Exception as error:  # a database error the optimizer did not expect: one line
        if storage is None or not type(error).__module__.startswith(("sqlalchemy", "optuna")):
            raise
        from icp_xl.studies.urls import describe_error

        raise IcpError(describe_error(error, storage, during_run=bar.reported)) from None
    finally:
        bar.close()
    import dataclasses

    result = dataclasses.replace(result, target_columns=fields)
    print(summary(result))
    if args.apply:
        title = "What the optimized weights change (applying them and rescoring now):"
    elif book is not None:
        title = "Preview of the optimized weights (not applied: add --apply to apply them):"
    else:
        title = "Preview of the optimized weights against the default weights:"
    keep = args.keep_calibration
    print(
        _preview(
            result, book, scored if book is not None else None, accounts, settings, title, keep
        )
    )
    fit = None
    if won:
        text, fit = won_report(book, result)
        print(text)
    if result.shared_worker:
        print(
            "A worker of a shared study: the study's best so far, not refined or validated; "
            "when every worker is done, run the same command with --report",
            file=sys.stderr,
        )
    if book is not None:
        from icp_xl.cli.column_options import print_warnings
        from icp_xl.workbook.actions import store_optimization

        rescored = store_optimization(book, result, args.apply, keep, fit)
        _save_or_keep(book, result, args.source)
        print_warnings(rescored.warnings)
        applied = "; they are now the current weights" if args.apply else ""
        if args.apply and rescored.scored.calibration is not None and not keep:
            applied += ", with the calibration made anew for them on today's accounts"
        print(f"Optimization and optimized weights -> {args.source}{applied}", file=sys.stderr)
    if args.json_out:
        write_weights_json(args.json_out, result.weights, result.metadata())
        print(f"Optimized weights -> {args.json_out}", file=sys.stderr)
    if result.stop_reason:
        print(f"icp-xl: error: {result.stop_reason}; the best so far was written", file=sys.stderr)
        return 1
    if result.interrupted:
        print("icp-xl: interrupted; the results above are the best so far", file=sys.stderr)
        return 143 if terminated else 130
    return 0


def _save_or_keep(book: Any, result: Any, source: Path) -> None:
    """Save the workbook; if it changed on disk during the search (edits saved meanwhile,
    another run), keep those edits and write the results to a JSON file beside it."""
    from icp_xl.files.atomic import FileChangedError
    from icp_xl.files.weights_json import write_weights_json
    from icp_xl.workbook.actions.export import free_path

    try:
        book.save()
    except FileChangedError as error:
        kept = free_path(source.with_name(f"{source.stem}_optimized_weights.json"))
        write_weights_json(kept, result.weights, result.metadata())
        raise FileChangedError(
            f"{error}; the optimized weights are kept in {kept} (import them, or rerun)"
        ) from None


def _preview(
    result: Any,
    book: Any,
    scored: Any,
    accounts: Any,
    settings: Any,
    title: str,
    keep: bool = False,
) -> str:
    """What the optimized weights would do, under ``title``: against the workbook's current
    scores (in its scoring mode, as applying them would: ``keep`` the calibration or make
    it anew) or, for an accounts file, against the default weights."""
    from icp_xl.core.insight.movers import preview
    from icp_xl.core.model.scoring import score_accounts
    from icp_xl.core.model.target import DEFAULT_TARGET_FIELDS
    from icp_xl.workbook.actions import preview_text, preview_weights

    if book is not None:
        from icp_xl.workbook.actions.outcomes import read_stored_opportunities

        opportunities = read_stored_opportunities(book)
        frame = opportunities.frame if opportunities is not None else None
        target = result.target_columns or DEFAULT_TARGET_FIELDS  # named in the Spearman's label
        found = preview_weights(scored, result.weights, keep, frame, target)
        return preview_text(found, title)
    current = score_accounts(accounts, settings)
    candidate = score_accounts(accounts, settings.with_weights(result.weights))
    found = preview(accounts.frame, current, candidate, settings, relative=True)
    return preview_text(found, title)


def won_report(book: Any, result: Any) -> tuple[str, Any]:
    """What ``--target won`` / ``won-amount`` adds: the AUC in-sample and on a time split and
    grade A's lift (:func:`icp_xl.workbook.actions.judge_won_fit`; the time split is
    skipped after Ctrl-C), and the by-grade table under the optimized weights; returns the
    text and the fit (stored on the Optimization sheet)."""
    from icp_xl.cli.outcomes import grade_table_text
    from icp_xl.core.model.won_target import won_sentences
    from icp_xl.workbook.actions import judge_won_fit

    fit = judge_won_fit(book, result, time_split=not result.interrupted)
    lines = [*won_sentences(fit), "Outcomes by grade under the optimized weights:",
             grade_table_text(fit.table)]  # fmt: skip
    return "\n".join(lines), fit


def summary(result: Any) -> str:
    """The result as a few human-readable lines."""
    weights = ", ".join(f"{k} {v:.4f}" for k, v in result.weights.as_dict().items())
    shares = ", ".join(
        f"{g} {result.grade_shares[g]:.1%} (target {result.target_shares[g]:.0%})"
        for g in reversed(list(result.grade_shares))
    )
    oos = result.out_of_sample_spearman
    validation = (
        "not measured" if oos is None else f"{oos:.4f} (mean of {len(result.fold_spearman)} folds)"
    )
    lines = [
        f"Weights: {weights}",
        f"Objective {result.objective:.6f} (lambda {result.lam:g}, lower is better); "
        f"Spearman {result.spearman:.4f}; KL {result.kl:.2E}",
        f"Out-of-sample Spearman: {validation}",
        f"Grade shares: {shares}",
        f"{result.requested_trials or result.n_trials} trials asked; {result.n_trials} in the "
        f"study (search + accepted refinement steps), {result.evaluations:,} objective "
        f"evaluations on {result.training_accounts:,} training accounts",
    ]
    from icp_xl.workbook.actions.optimization import fit_notes

    lines += [f"Note: {note}" for note in fit_notes(result)]
    return "\n".join(lines)
