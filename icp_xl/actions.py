"""The workbook actions, written once over :class:`~icp_xl.book.Book`.

The ribbon (live Excel, xlwings) and the CLI (file, openpyxl) call these same
functions; only the Book differs. Each action reads the user's inputs (Accounts,
Weights, Settings), computes with the core, and writes values into the output
sheets of :mod:`icp_xl.layout`. Input errors raise
:class:`~icp_xl.errors.IcpError` before anything is written.

Actions on a Book: :func:`rescore`, :func:`refresh_segment_view`,
:func:`export_csv`, :func:`validate`, :func:`use_optimized_weights`,
:func:`reset_weights`, :func:`import_accounts`, :func:`store_optimized_weights`,
:func:`write_blocks`. On a file: :func:`new_workbook`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from icp_xl import layout
from icp_xl.accounts import (
    ACCOUNT_COLUMNS,
    Accounts,
    match_columns,
    parse_numbers,
    prepare_accounts,
)
from icp_xl.blocks import Block, cell_value
from icp_xl.book import Book, parse_cell, range_ref
from icp_xl.errors import IcpError
from icp_xl.files import read_table, write_csv
from icp_xl.optimize import HISTORY_COLUMNS, OptimizationResult
from icp_xl.scoring import SCORE_COLUMNS, score_accounts
from icp_xl.segments import (
    ALL_SEGMENTS,
    SegmentMetrics,
    parse_segment_view,
    recommendations,
    segment_slug,
    segment_summary,
    view_metrics,
    view_rows,
    within_segment_scores,
)
from icp_xl.settings import COMPONENTS, Settings, Weights
from icp_xl.workbook_settings import input_problems, read_accounts, read_settings, read_weights


@dataclass(frozen=True)
class Scored:
    """Everything one scoring pass produces: the raw Accounts table, prepared accounts,
    settings, :func:`~icp_xl.scoring.score_accounts` output joined with the
    within-segment score and grade (``segment_ICP_score``, ``segment_ICP_grade``)."""

    raw: pd.DataFrame
    accounts: Accounts
    settings: Settings
    scored: pd.DataFrame


@dataclass(frozen=True)
class RescoreResult:
    """What a rescore or view refresh wrote: the segment view shown and its KPIs."""

    view: str
    accounts: int
    metrics: SegmentMetrics
    scored: Scored


@dataclass(frozen=True)
class Validation:
    """Problems (each one sentence naming sheet and cell) and warnings of the inputs."""

    problems: tuple[str, ...]
    warnings: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def score_book(book: Book) -> Scored:
    """Read Accounts, Weights and Settings and score every account (SPEC §4-§5)."""
    settings = read_settings(book)
    raw, accounts = read_accounts(book)
    book.status(f"Scoring {len(accounts):,} accounts")
    scored = score_accounts(accounts, settings)
    scored = scored.join(within_segment_scores(scored, settings))
    return Scored(raw, accounts, settings, scored)


def selected_view(book: Book, view: str | None = None) -> str:
    """``view`` if given, else the Dashboard's segment selector, as a segment view label.
    A bad value names the selector's cell only when it came from that cell."""
    from_cell = view is None
    if from_cell:
        view = book.read_name(layout.SEGMENT_VIEW.name)
    try:
        return parse_segment_view(None if view is None else str(view))
    except IcpError as error:
        if not from_cell:
            raise
        where = book.locate(layout.SEGMENT_VIEW.name)
        raise IcpError(f"{where} ({layout.SEGMENT_VIEW.name}): {error}") from None


def rescore(book: Book, view: str | None = None) -> RescoreResult:
    """Score every account and write Scores, Segments, Top Customers, Dashboard and
    chart data. ``view`` (a segment label or slug) also sets the Dashboard selector;
    default: the selector's value."""
    view = selected_view(book, view)
    result = score_book(book)
    book.status("Writing Scores")
    book.write_table(layout.SCORES_TABLE.name, layout.SCORES_TABLE.header, scores_rows(result))
    _write_segments(book, result)
    return _write_view(book, result, view)


def refresh_segment_view(book: Book, view: str | None = None) -> RescoreResult:
    """Re-write the view-dependent parts (Dashboard KPIs, Top Customers, chart data)
    for ``view`` (default: the Dashboard selector), from the current inputs."""
    view = selected_view(book, view)
    return _write_view(book, score_book(book), view)


def scores_rows(result: Scored) -> list[list[Any]]:
    """Rows of the Scores table, in :data:`icp_xl.layout.SCORES_FIELDS` order."""
    sources = (result.scored, result.accounts.frame)
    columns = []
    for _, name in layout.SCORES_FIELDS:
        source = next(s for s in sources if name in s.columns)
        columns.append([cell_value(v) for v in source[name].tolist()])
    return [list(row) for row in zip(*columns, strict=True)]


def _write_segments(book: Book, result: Scored) -> None:
    summary = segment_summary(result.accounts.frame, result.scored, result.settings)
    header = [label for _, label, _ in layout.SEGMENT_SUMMARY_COLUMNS]
    rows = [
        [view, *(cell_value(summary.at[view, f]) for f, *_ in layout.SEGMENT_SUMMARY_COLUMNS[1:])]
        for view in summary.index
    ]
    sheet = layout.SEGMENTS_SHEET
    book.write_block(Block(sheet, layout.SEGMENT_SUMMARY_TOP_LEFT, [header, *rows]))
    top, left = parse_cell(layout.RECOMMENDATIONS_TOP_LEFT)
    book.clear_range(sheet, range_ref(top, left, layout.RECOMMENDATIONS_LAST_ROW, left + 1))
    lines = [["Segment", "Insights and recommendations"]]
    for segment, notes in recommendations(summary, result.settings).items():
        lines += [[segment if i == 0 else None, note] for i, note in enumerate(notes)]
    room = layout.RECOMMENDATIONS_LAST_ROW - top + 1
    book.write_block(Block(sheet, layout.RECOMMENDATIONS_TOP_LEFT, lines[:room]))


def view_scores(scored: pd.DataFrame, view: str) -> tuple[np.ndarray, pd.DataFrame]:
    """(mask of the view's accounts, their rows with ``view_score``/``view_grade``):
    the portfolio score in All Segments, the within-segment score in a one-segment view."""
    mask = view_rows(scored, view)
    rows = scored[mask]
    portfolio = view == ALL_SEGMENTS
    rows = rows.assign(
        view_score=rows["ICP_score" if portfolio else "segment_ICP_score"].astype(float),
        view_grade=rows["ICP_grade" if portfolio else "segment_ICP_grade"],
    )
    return mask, rows


def top_customers(result: Scored, view: str, count: int = layout.TOP_CUSTOMERS_COUNT) -> list:
    """Top ``count`` rows of the view by view score (ties keep row order), as
    :data:`icp_xl.layout.TOP_CUSTOMERS_COLUMNS` cells."""
    mask, rows = view_scores(result.scored, view)
    frame = result.accounts.frame[mask]
    rows = rows.join(frame)
    order = np.argsort(-rows["view_score"].to_numpy(), kind="stable")[:count]
    picked = rows.iloc[order].assign(rank=np.arange(1, len(order) + 1))
    return [
        [cell_value(v) for v in row]
        for row in picked[[f for f, *_ in layout.TOP_CUSTOMERS_COLUMNS]].itertuples(index=False)
    ]


def _write_view(book: Book, result: Scored, view: str) -> RescoreResult:
    book.status(f"Writing the {view} view")
    frame, scored, settings = result.accounts.frame, result.scored, result.settings
    metrics = view_metrics(frame, scored, settings, view)
    book.set_name(layout.SEGMENT_VIEW.name, view)
    book.set_name(layout.LAST_RESCORED.name, datetime.now().replace(microsecond=0))
    book.set_name(layout.WEIGHTS_USED.name, _weights_text(settings.weights))
    values = metrics.as_dict()
    book.write_block(
        Block(
            layout.DASHBOARD,
            f"B{layout.KPI_FIRST_ROW}",
            [[cell_value(values[f])] for f, *_ in layout.KPI_FIELDS],
        )
    )
    sheet = layout.TOP_CUSTOMERS
    header_row = layout.TOP_CUSTOMERS_HEADER_ROW
    width = len(layout.TOP_CUSTOMERS_COLUMNS)
    ranked_by = "ICP score" if view == ALL_SEGMENTS else "within-segment ICP score"
    rows = top_customers(result, view)
    book.write_block(
        Block(
            sheet,
            "A1",
            [
                [f"Top {layout.TOP_CUSTOMERS_COUNT} customers: {view}"],
                [f"Ranked by {ranked_by}; {metrics.customers:,} accounts in this view."],
            ],
        )
    )
    book.write_block(
        Block(sheet, f"A{header_row}", [[label for _, label, _ in layout.TOP_CUSTOMERS_COLUMNS]])
    )
    book.clear_range(
        sheet, range_ref(header_row + 1, 1, header_row + layout.TOP_CUSTOMERS_COUNT, width)
    )
    if rows:
        book.write_block(Block(sheet, f"A{header_row + 1}", rows))
    write_blocks(book, _chart_blocks(book, result, view))
    book.status(f"Done: {len(scored):,} accounts scored; view {view}")
    return RescoreResult(view, len(scored), metrics, result)


def _weights_text(weights: Weights) -> str:
    return " / ".join(f"{getattr(weights, c):.2f}" for c in COMPONENTS)


def _chart_blocks(book: Book, result: Scored, view: str) -> list[Block]:
    """The 'Chart Data' blocks (:func:`icp_xl.chart_data.chart_blocks`), with the stored
    optimized weights and trial history when the workbook has them."""
    from icp_xl.chart_data import chart_blocks

    return chart_blocks(
        result.accounts.frame,
        result.scored,
        result.settings,
        view,
        optimized_weights=stored_optimized_weights(book),
        trials=stored_trial_history(book),
    )


def stored_optimized_weights(book: Book) -> Weights | None:
    """The optimized weights on the Weights sheet, or None when blank or not valid."""
    values = {c: book.read_name(layout.OPTIMIZED_WEIGHT_NAMES[c]) for c in COMPONENTS}
    try:
        return Weights(**values)
    except IcpError:
        return None


def stored_trial_history(book: Book, chunk: int = 2000) -> pd.DataFrame | None:
    """The trial history the optimizer wrote on the Optimization sheet (header row at
    :data:`icp_xl.layout.HISTORY_TOP`), or None when there is none."""

    if layout.OPTIMIZATION not in book.sheet_names():
        return None
    top, left = parse_cell(layout.HISTORY_TOP)
    right = left + len(HISTORY_COLUMNS) - 1
    header = book.read_range(layout.OPTIMIZATION, range_ref(top, left, top, right))[0]
    if [str(h) for h in header] != list(HISTORY_COLUMNS):
        return None
    rows: list[list[Any]] = []
    start = top + 1
    while True:
        part = book.read_range(
            layout.OPTIMIZATION, range_ref(start, left, start + chunk - 1, right)
        )
        filled = [r for r in part if r[0] is not None and r[0] != ""]
        rows += filled
        if len(filled) < chunk:
            break
        start += chunk
    return pd.DataFrame(rows, columns=list(HISTORY_COLUMNS)) if rows else None


def write_blocks(book: Book, blocks: Iterable[Block]) -> None:
    """Write each block (e.g. :func:`optimization_blocks` output)."""
    for block in blocks:
        book.write_block(block)


def export_frame(result: Scored, view: str) -> pd.DataFrame:
    """The view's accounts: the Accounts table columns plus the score columns of
    SPEC §9 and ``segment_ICP_score``/``segment_ICP_grade``."""
    extra = [*SCORE_COLUMNS, "segment_ICP_score", "segment_ICP_grade"]
    raw = result.raw.drop(columns=[c for c in extra if c in result.raw.columns])
    table = raw.join(result.scored[extra])
    return table[view_rows(result.scored, view)].reset_index(drop=True)


def export_file_name(view: str, now: datetime | None = None) -> str:
    """``icp_scores_<segment slug>_<YYYYmmdd_HHMMSS>.csv`` (SPEC §9)."""
    stamp = (now or datetime.now()).strftime("%Y%m%d_%H%M%S")
    return f"icp_scores_{segment_slug(view)}_{stamp}.csv"


def free_path(path: Path) -> Path:
    """``path`` if no file is there, else the first free ``<stem>_2<suffix>``,
    ``<stem>_3<suffix>``, ... beside it (two exports in the same second keep both)."""
    candidate, number = path, 1
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.stem}_{number}{path.suffix}")
    return candidate


def export_csv(
    book: Book, folder: str | Path, view: str | None = None, output: str | Path | None = None
) -> Path:
    """Score the inputs and write the view's accounts to CSV, formula-injection safe.
    ``output`` names the file (replaced if it exists); default
    ``folder/icp_scores_<segment>_<timestamp>.csv``, with ``_2``, ``_3``, ... added when
    that name is taken."""
    view = selected_view(book, view)
    result = score_book(book)
    path = Path(output) if output is not None else free_path(Path(folder) / export_file_name(view))
    write_csv(export_frame(result, view), path)
    book.status(f"Exported {int(view_rows(result.scored, view).sum()):,} accounts to {path}")
    return path


def validate(book: Book) -> Validation:
    """Every problem in the inputs (sheets, names, weights, settings, accounts); writes
    nothing."""
    problems, warnings = input_problems(book)
    return Validation(tuple(problems), tuple(warnings))


def _copy_weights(book: Book, names: Mapping[str, str]) -> Weights:
    weights = read_weights(book, names)
    for component in COMPONENTS:
        book.set_name(layout.WEIGHT_NAMES[component], getattr(weights, component))
    book.status("Weights set: " + _weights_text(weights) + ". Rescore to apply them")
    return weights


def use_optimized_weights(book: Book) -> Weights:
    """Copy the optimized weights (Weights sheet, column C) into the current weights."""
    for component in COMPONENTS:
        if book.read_name(layout.OPTIMIZED_WEIGHT_NAMES[component]) in (None, ""):
            where = book.locate(layout.OPTIMIZED_WEIGHT_NAMES[component])
            raise IcpError(f"There are no optimized weights yet ({where} is blank); run Optimize")
    return _copy_weights(book, layout.OPTIMIZED_WEIGHT_NAMES)


def reset_weights(book: Book) -> Weights:
    """Copy the default weights (Weights sheet, column D) into the current weights."""
    return _copy_weights(book, layout.DEFAULT_WEIGHT_NAMES)


def store_optimized_weights(
    book: Book, weights: Weights, metadata: Mapping[str, Any], apply: bool = False
) -> None:
    """Write optimized weights and their metadata on the Weights sheet (``Opt_*`` names).

    ``metadata`` keys: see :data:`icp_xl.layout.OPTIMIZED_METADATA` (``best_objective_value``,
    ``spearman``, ``holdout_spearman``, ``kl_divergence``, ``lambda_param``, ``n_trials``,
    ``include_size``, ``seed``, ``run_at``); missing keys leave a blank, others are
    ignored. ``apply`` also makes them the current weights.
    """
    for component in COMPONENTS:
        book.set_name(layout.OPTIMIZED_WEIGHT_NAMES[component], getattr(weights, component))
    for key, name, _, _ in layout.OPTIMIZED_METADATA:
        book.set_name(name, cell_value(metadata.get(key)))
    if apply:
        _copy_weights(book, layout.OPTIMIZED_WEIGHT_NAMES)


def optimization_blocks(result: OptimizationResult) -> list[Block]:
    """What the Optimization sheet shows for ``result``, as blocks in columns A-J at the
    positions :mod:`icp_xl.layout` gives (the trial history is the last block)."""
    oos = result.out_of_sample_spearman
    summary = [
        ["Figure", "Value"],
        ["Objective (lower is better)", result.objective],
        ["Spearman (training)", result.spearman],
        ["KL divergence of grade shares", result.kl],
        ["Out-of-sample Spearman (mean)", oos],
        ["Validation folds", len(result.fold_spearman)],
        ["Trials in the study", result.n_trials],
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
        Block(sheet, layout.HISTORY_TOP, history_rows),
    ]


def store_optimization(book: Book, result: Any, apply: bool = False) -> RescoreResult:
    """Store an :class:`icp_xl.optimize.OptimizationResult` in the workbook: its blocks on
    the Optimization sheet (columns A-J cleared first), the optimized weights and metadata
    on the Weights sheet (``run_at`` = now); with ``apply`` they become the current weights.
    Then rescores (so the Scores, Dashboard and charts, including the weights radar and
    convergence chart, show the result)."""

    read_settings(book)  # a settings problem stops here, before anything is written
    blocks = optimization_blocks(result)
    book.clear_range(layout.OPTIMIZATION, layout.OPTIMIZATION_AREA)
    write_blocks(book, blocks)
    metadata = {**result.metadata(), "run_at": datetime.now().replace(microsecond=0)}
    store_optimized_weights(book, result.weights, metadata, apply=apply)
    return rescore(book)


def optimizer_options(book: Book) -> dict[str, Any]:
    """Keyword arguments for :func:`icp_xl.optimize.optimize_weights` from the Settings
    sheet: ``n_trials``, ``lam``, ``include_size``, ``seed`` and ``bounds``."""
    from icp_xl.optimize import WeightBounds
    from icp_xl.workbook_settings import read_optimizer_settings

    sheet = read_optimizer_settings(book)
    return {
        "n_trials": sheet.trials,
        "lam": sheet.lambda_param,
        "include_size": sheet.include_size,
        "seed": sheet.seed,
        "bounds": WeightBounds(**{k: tuple(v) for k, v in sheet.bounds.items()}),
    }


def optimize_book(book: Book, **overrides: Any) -> Any:
    """Optimize the weights on the workbook's accounts with its Settings-sheet options;
    ``overrides`` (any :func:`icp_xl.optimize.optimize_weights` keyword, e.g. ``n_trials``,
    ``folds``, ``progress``) win. Returns the ``OptimizationResult``; writes nothing
    (store it with :func:`store_optimization`)."""
    from icp_xl.optimize import optimize_weights

    options = optimizer_options(book)
    result = score_book(book)
    return optimize_weights(result.accounts, result.settings, **{**options, **overrides})


def account_cells(raw: pd.DataFrame, where: str) -> pd.DataFrame:
    """A raw accounts table (as read; ``where`` names it in messages) as the cells to
    write into ``AccountsTable``: each numeric account column (SPEC §3, found by header or
    alias) as the floats :func:`~icp_xl.accounts.parse_numbers` reads from it (blank ->
    NaN, an empty cell), so Excel's SUM, filters and pivots see numbers; every other
    column unchanged (a Customer ID ``007`` stays text)."""
    mapping, _ = match_columns(raw.columns)
    cells = raw.copy()
    for column in ACCOUNT_COLUMNS:
        header = mapping.get(column.field)
        if column.numeric and header is not None:
            cells[header] = parse_numbers(raw[header], header, where)
    return cells


def import_accounts(book: Book, path: str | Path) -> RescoreResult:
    """Replace the Accounts table with an accounts file (CSV/XLSX) and rescore.
    The file is validated first; on any problem nothing is written."""
    path = Path(path)
    raw = read_table(path)
    prepare_accounts(raw, where=path.name)
    cells = account_cells(raw, path.name)
    header = [str(c) for c in cells.columns]
    rows = [[cell_value(v) for v in row] for row in cells.astype(object).itertuples(index=False)]
    read_settings(book)  # a settings problem stops the import before anything is written
    book.write_table(layout.ACCOUNTS_TABLE.name, header, rows)
    book.status(f"Imported {len(rows):,} accounts from {path.name}")
    return rescore(book)


def new_workbook(
    path: str | Path,
    accounts: str | Path | pd.DataFrame | None = None,
    *,
    overwrite: bool = False,
    sample_size: int = 2000,
) -> Path:
    """Create a scored ICP workbook file at ``path`` from an accounts file or table
    (sample accounts when None). Refuses to replace an existing file unless
    ``overwrite``."""
    from icp_xl.file_book import FileBook
    from icp_xl.sample import make_sample_accounts

    path = Path(path)
    if path.exists() and not overwrite:
        raise IcpError(f"{path} already exists; choose another name or allow overwriting")
    if path.suffix.lower() != ".xlsx":
        raise IcpError(f"The workbook must be an .xlsx file, got '{path.name}'")
    if accounts is None:
        raw, where = make_sample_accounts(sample_size), "Sample accounts"
    elif isinstance(accounts, pd.DataFrame):
        raw, where = accounts, "Accounts"
    else:
        raw, where = read_table(accounts), Path(accounts).name
    prepare_accounts(raw, where=where)
    book = FileBook.new(account_cells(raw, where))
    rescore(book)
    return book.save(path)
