"""Optimize on a workbook: the Settings sheet's options, the result stored on the
Optimization and Weights sheets."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from typing import Any

from icp_xl.core.model.settings import COMPONENTS
from icp_xl.core.model.won_target import WonFit
from icp_xl.core.optimization.optimize import HISTORY_COLUMNS, OptimizationResult
from icp_xl.workbook import layout
from icp_xl.workbook.actions.rescoring import RescoreResult, rescore, write_blocks
from icp_xl.workbook.actions.scoring import score_book
from icp_xl.workbook.actions.weights import store_optimized_weights
from icp_xl.workbook.blocks import Block, cell_value
from icp_xl.workbook.book import Book
from icp_xl.workbook.inputs import read_settings


def optimization_blocks(result: OptimizationResult, won: WonFit | None = None) -> list[Block]:
    """What the Optimization sheet shows for ``result`` (and, for a won target, its ``won``
    fit), as blocks in columns A-J at the positions :mod:`icp_xl.workbook.layout` gives
    (the trial history is the last block)."""
    oos = result.out_of_sample_spearman
    summary = [
        ["Figure", "Value"],
        ["Objective (lower is better)", result.objective],
        ["Spearman (training)", result.spearman],
        ["KL divergence of grade shares", result.kl],
        ["Out-of-sample Spearman (mean)", oos],
        ["Validation folds", len(result.fold_spearman)],
        ["Trials asked", result.requested_trials or result.n_trials],
        ["Study trials (+ refinement)", result.n_trials],
        ["Objective evaluations", result.evaluations],
        ["Training accounts", result.training_accounts],
        ["Lambda", result.lam],
        ["Size included", result.include_size],
        ["Seed", result.seed],
        ["Sampler", result.sampler],
        ["Study", result.study_name],
        ["Interrupted", result.interrupted],
    ]
    weights = [["Component", "Optimized", "Lower bound", "Upper bound"]] + [
        [name.title(), getattr(result.weights, name), *getattr(result.bounds, name)]
        if result.include_size or name != "size"
        else [name.title(), getattr(result.weights, name), 0.0, 0.0]
        for name in COMPONENTS
    ]
    grades = [["Grade", "Actual share", "Target share"]] + [
        [g, result.grade_shares[g], result.target_shares.get(g)]
        for g in reversed(list(result.grade_shares))
    ]
    folds = [["Fold", "Spearman"]] + [[k, v] for k, v in enumerate(result.fold_spearman, 1)]
    history = result.history
    history_rows = [list(HISTORY_COLUMNS)] + [
        [int(r[0]), *(float(v) for v in r[1:-1]), str(r[-1])]
        for r in history[list(HISTORY_COLUMNS)].itertuples(index=False)
    ]
    sheet = layout.OPTIMIZATION
    target = {"won": "won flag", "won-amount": "won amount"}.get(
        result.target_columns[0] if result.target_columns else "", "target revenue"
    )
    objective = (
        f"Objective = lambda*KL(grade shares || target) - (1-lambda)*Spearman(score, {target})"
    )
    return [
        Block(sheet, "A1", [["ICP weight optimization"]]),
        Block(sheet, "A2", [[objective]]),
        Block(sheet, layout.SUMMARY_TOP, summary),
        Block(sheet, layout.WEIGHTS_TOP, weights),
        Block(sheet, layout.GRADES_TOP, grades),
        Block(sheet, layout.FOLDS_TOP, folds),
        Block(sheet, layout.NOTES_TOP, [[note] for note in fit_notes(result, won)]),
        *([Block(sheet, layout.WON_TOP, won_rows(won))] if won is not None else []),
        Block(sheet, layout.HISTORY_TOP, history_rows),
    ]


def won_rows(won: WonFit) -> list[list[Any]]:
    """The won target's figures beside the current weights' (Optimization sheet, at
    :data:`~icp_xl.workbook.layout.WON_TOP`): AUC in-sample and on the time split with the
    accounts each is computed over, and grade A's lift."""
    split_accounts = won.split_accounts if not math.isnan(won.split_auc) else None
    return [
        [f"Target: {won.kind}", "Optimized", "Current", "Accounts"],
        ["AUC in-sample", cell_value(won.auc), cell_value(won.auc_current), won.auc_accounts],
        ["AUC time split", cell_value(won.split_auc), cell_value(won.split_auc_current),
         split_accounts],
        ["Lift of grade A", cell_value(won.lift), cell_value(won.lift_current), None],
    ]  # fmt: skip


def won_note(won: WonFit) -> str:
    """The sentence under the won figures saying how the time split was made."""
    if math.isnan(won.split_auc):
        return f"Time split not measured: {won.split_note}."
    return (
        f"Time split: weights refitted on the {won.early:,} opportunities closed before "
        f"{won.cutoff:%Y-%m-%d}, tested on the {won.late:,} closed from then."
    )


def fit_notes(result: OptimizationResult, won: WonFit | None = None) -> list[str]:
    """What a reader must know about the fit, one sentence per row of the Optimization
    sheet's notes (at most :data:`~icp_xl.workbook.layout.NOTES_ROWS`): KL and lambda, the
    weights on a bound, whether the target shares a column with a score input, and what
    the ``won`` figures are computed over."""
    from icp_xl.core.model.target import KL_NOTE, bound_notes, target_fields, target_overlap

    bounds = {name: getattr(result.bounds, name) for name in COMPONENTS}
    notes = [KL_NOTE]
    on_bound = bound_notes(result.weights, bounds, result.include_size)
    if on_bound:
        notes.append("Weights on a bound: " + "; ".join(on_bound) + ".")
    overlap = target_overlap(target_fields(result.target_columns), result.weights)
    if overlap:
        notes.append(overlap[0] + ".")
    if won is not None:
        notes.append(won_note(won))
    return notes[: layout.NOTES_ROWS]


def store_optimization(
    book: Book,
    result: Any,
    apply: bool = False,
    keep_calibration: bool = False,
    won: WonFit | None = None,
) -> RescoreResult:
    """Store an :class:`icp_xl.core.optimization.optimize.OptimizationResult` in the
    workbook: its blocks on the Optimization sheet (columns A-J cleared first), the optimized
    weights and metadata on the Weights sheet (``run_at`` = now); with ``apply`` they become
    the current weights (in Calibrated mode with the calibration made anew for them, unless
    ``keep_calibration``); for a won target, its ``won`` fit (:func:`judge_won_fit`) beside
    the current weights. Then rescores (so the Scores, Dashboard and charts, including the
    weights radar and convergence chart, and the preview of the Outcomes under the
    optimized weights show the result)."""

    read_settings(book)  # a settings problem stops here, before anything is written
    blocks = optimization_blocks(result, won)
    book.clear_range(layout.OPTIMIZATION, layout.OPTIMIZATION_AREA)
    write_blocks(book, blocks)
    metadata = {**result.metadata(), "run_at": datetime.now().replace(microsecond=0)}
    store_optimized_weights(book, result.weights, metadata, apply, keep_calibration)
    for component in COMPONENTS:  # previewed by the rescore below
        book.set_name(layout.CANDIDATE_WEIGHT_NAMES[component], getattr(result.weights, component))
    return rescore(book)


def optimizer_options(book: Book) -> dict[str, Any]:
    """Keyword arguments for :func:`icp_xl.studies.optimize.optimize_weights` from the Settings
    sheet: ``n_trials``, ``lam``, ``include_size``, ``seed`` and ``bounds``."""
    from icp_xl.core.optimization.space import WeightBounds
    from icp_xl.workbook.inputs import read_optimizer_settings

    sheet = read_optimizer_settings(book)
    return {
        "n_trials": sheet.trials,
        "lam": sheet.lambda_param,
        "include_size": sheet.include_size,
        "seed": sheet.seed,
        "bounds": WeightBounds(**{k: tuple(v) for k, v in sheet.bounds.items()}),
    }


def target_columns_setting(book: Book) -> str | None:
    """The Settings sheet's 'Target columns' text (None when blank, or in a workbook made
    before the setting existed)."""
    from icp_xl.core.errors import IcpError

    try:
        value = book.read_name(layout.TARGET_COLUMNS_NAME)
    except IcpError:
        return None
    return str(value).strip() if value is not None and str(value).strip() else None


def target_choice(book: Book, target: str | None = None) -> tuple[str, ...]:
    """The optimizer's target fields (:func:`icp_xl.core.model.target.target_fields`):
    ``target`` when given (the command line), else the Settings sheet's 'Target columns'.
    Raises IcpError naming the Settings cell and its value when it cannot be read."""
    from icp_xl.core.errors import IcpError
    from icp_xl.core.model.target import target_fields

    if target:
        return target_fields(target)
    setting = target_columns_setting(book)
    try:
        return target_fields(setting)
    except IcpError as error:
        cell = layout.NAMES_BY_NAME[layout.TARGET_COLUMNS_NAME]
        message = str(error)
        raise IcpError(
            f"{cell.sheet}!{cell.ref} (Target columns) holds '{setting}': "
            f"{message[0].lower()}{message[1:]}"
        ) from None


def optimize_book(book: Book, target: str | None = None, **overrides: Any) -> Any:
    """Optimize the weights on the workbook's accounts with its Settings-sheet options;
    ``target`` (Accounts headers, comma-separated; default: the Settings sheet's 'Target
    columns', else hardware + consumables) and ``overrides`` (any
    :func:`icp_xl.studies.optimize.optimize_weights` keyword, e.g. ``n_trials``, ``folds``,
    ``progress``) win. Returns the ``OptimizationResult``; writes nothing (store it with
    :func:`store_optimization`)."""
    import dataclasses

    from icp_xl.core.model.target import WON_TARGETS, with_target
    from icp_xl.studies.optimize import optimize_weights
    from icp_xl.workbook.actions.outcomes import won_training_accounts

    options = optimizer_options(book)
    fields = target_choice(book, target)
    result = score_book(book)
    if fields[0] in WON_TARGETS:  # the won flag or amount of the stored opportunities
        accounts = won_training_accounts(book, result.accounts, fields[0])
        options["zero_targets"] = True
    else:
        accounts = with_target(result.accounts, fields)
    found = optimize_weights(accounts, result.settings, **{**options, **overrides})
    return dataclasses.replace(found, target_columns=fields)


def judge_won_fit(
    book: Book,
    result: OptimizationResult,
    time_split: bool = True,
    progress: Callable[[str, int, int, float], None] | None = None,
) -> WonFit | None:
    """For a ``result`` optimized for ``won`` or ``won-amount``: its AUC in-sample and on the
    time split (the weights refitted, with ``result``'s options, on the opportunities
    closed before the last quarter of close dates; skipped without ``time_split``) and
    grade A's lift, beside the current weights (:func:`icp_xl.core.model.won_target.won_fit`).
    ``progress`` follows the refit (phases prefixed "time split"); a stop asked for during
    it leaves the time split unmeasured. None for any other target. Writes nothing."""
    from icp_xl.core.errors import IcpError
    from icp_xl.core.model.target import WON_TARGETS
    from icp_xl.core.model.won_target import won_fit
    from icp_xl.core.optimization.optimize import optimize_weights
    from icp_xl.workbook.actions.outcomes import read_stored_opportunities

    kind = result.target_columns[0] if result.target_columns else None
    if kind not in WON_TARGETS:
        return None
    scored = score_book(book)
    opportunities = read_stored_opportunities(book)
    if opportunities is None:  # optimizing for wins needed them: gone meanwhile
        return None
    options = {
        "n_trials": result.requested_trials or result.n_trials,
        "lam": result.lam,
        "include_size": result.include_size,
        "seed": result.seed,
        "bounds": result.bounds,
        "sampler": result.sampler,
        "zero_targets": True,
        "folds": 0,
    }
    if progress is not None:
        follow = progress
        options["progress"] = lambda phase, *rest: follow(f"time split {phase}", *rest)

    def refit(train: Any) -> Any:
        book.status("Time split: refitting the weights on the opportunities closed earlier")
        try:
            found = optimize_weights(train, scored.settings, **options)
        except KeyboardInterrupt:  # before any refit trial finished
            found = None
        if found is None or found.interrupted:
            raise IcpError("stopped during the time split")
        return found.weights

    return won_fit(scored.accounts, scored.settings, result.weights, opportunities.frame,
                   kind, refit if time_split else None)  # fmt: skip
