"""Optimize on a workbook: the Settings sheet's options, the result stored on the
Optimization and Weights sheets."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from icp_xl.core.model.settings import COMPONENTS
from icp_xl.core.optimization.optimize import HISTORY_COLUMNS, OptimizationResult
from icp_xl.workbook import layout
from icp_xl.workbook.actions.rescoring import RescoreResult, rescore, write_blocks
from icp_xl.workbook.actions.scoring import score_book
from icp_xl.workbook.actions.weights import store_optimized_weights
from icp_xl.workbook.blocks import Block
from icp_xl.workbook.book import Book
from icp_xl.workbook.inputs import read_settings


def optimization_blocks(result: OptimizationResult) -> list[Block]:
    """What the Optimization sheet shows for ``result``, as blocks in columns A-J at the
    positions :mod:`icp_xl.workbook.layout` gives (the trial history is the last block)."""
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
    return [
        Block(sheet, "A1", [["ICP weight optimization"]]),
        Block(
            sheet,
            "A2",
            [
                [
                    "Objective = lambda*KL(grade shares || target) - (1-lambda)*Spearman(score, "
                    "target revenue)"
                ]
            ],
        ),
        Block(sheet, layout.SUMMARY_TOP, summary),
        Block(sheet, layout.WEIGHTS_TOP, weights),
        Block(sheet, layout.GRADES_TOP, grades),
        Block(sheet, layout.FOLDS_TOP, folds),
        Block(sheet, layout.NOTES_TOP, [[note] for note in fit_notes(result)]),
        Block(sheet, layout.HISTORY_TOP, history_rows),
    ]


def fit_notes(result: OptimizationResult) -> list[str]:
    """What a reader must know about the fit, one sentence per row of the Optimization
    sheet's notes (at most :data:`~icp_xl.workbook.layout.NOTES_ROWS`): KL and lambda, the
    weights on a bound, and whether the target shares a column with a score input."""
    from icp_xl.core.model.target import KL_NOTE, bound_notes, target_fields, target_overlap

    bounds = {name: getattr(result.bounds, name) for name in COMPONENTS}
    notes = [KL_NOTE]
    on_bound = bound_notes(result.weights, bounds, result.include_size)
    if on_bound:
        notes.append("Weights on a bound: " + "; ".join(on_bound) + ".")
    overlap = target_overlap(target_fields(result.target_columns), result.weights)
    if overlap:
        notes.append(overlap[0] + ".")
    return notes[: layout.NOTES_ROWS]


def store_optimization(
    book: Book, result: Any, apply: bool = False, keep_calibration: bool = False
) -> RescoreResult:
    """Store an :class:`icp_xl.core.optimization.optimize.OptimizationResult` in the
    workbook: its blocks on the Optimization sheet (columns A-J cleared first), the optimized
    weights and metadata on the Weights sheet (``run_at`` = now); with ``apply`` they become
    the current weights (in Calibrated mode with the calibration made anew for them, unless
    ``keep_calibration``). Then rescores (so the Scores, Dashboard and charts, including the
    weights radar and convergence chart, show the result)."""

    read_settings(book)  # a settings problem stops here, before anything is written
    blocks = optimization_blocks(result)
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


def optimize_book(book: Book, target: str | None = None, **overrides: Any) -> Any:
    """Optimize the weights on the workbook's accounts with its Settings-sheet options;
    ``target`` (Accounts headers, comma-separated; default: the Settings sheet's 'Target
    columns', else hardware + consumables) and ``overrides`` (any
    :func:`icp_xl.studies.optimize.optimize_weights` keyword, e.g. ``n_trials``, ``folds``,
    ``progress``) win. Returns the ``OptimizationResult``; writes nothing (store it with
    :func:`store_optimization`)."""
    import dataclasses

    from icp_xl.core.model.target import WON_TARGETS, target_fields, with_target
    from icp_xl.studies.optimize import optimize_weights
    from icp_xl.workbook.actions.outcomes import won_training_accounts

    options = optimizer_options(book)
    fields = target_fields(target or target_columns_setting(book))
    result = score_book(book)
    if fields[0] in WON_TARGETS:  # the won flag or amount of the stored opportunities
        accounts = won_training_accounts(book, result.accounts, fields[0])
        options["zero_targets"] = True
    else:
        accounts = with_target(result.accounts, fields)
    found = optimize_weights(accounts, result.settings, **{**options, **overrides})
    return dataclasses.replace(found, target_columns=fields)
