"""Rescore and segment-view refresh: Scores, Segments, Top Customers, Dashboard, chart
data and the Account sheet written from one scoring pass."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import numpy as np

from icp_xl.core.errors import IcpError
from icp_xl.core.inputs.cells import parse_cell, range_ref
from icp_xl.core.insight.quality import Finding, QualityReport
from icp_xl.core.model.calibration import RELATIVE, Calibration
from icp_xl.core.model.segments import (
    ALL_SEGMENTS,
    SegmentMetrics,
    recommendations,
    segment_summary,
    view_metrics,
)
from icp_xl.core.model.settings import COMPONENTS, Weights
from icp_xl.workbook import layout
from icp_xl.workbook.actions.data_quality import (
    FileRead,
    data_quality_report,
    write_data_quality,
)
from icp_xl.workbook.actions.explanation import write_account_explanation
from icp_xl.workbook.actions.scoring import Scored, score_book, selected_view, view_scores
from icp_xl.workbook.actions.stored_results import stored_optimized_weights, stored_trial_history
from icp_xl.workbook.blocks import Block, cell_value
from icp_xl.workbook.book import Book
from icp_xl.workbook.columns import ColumnRows, as_column


@dataclass(frozen=True)
class RescoreResult:
    """What a rescore or view refresh wrote: the segment view shown and its KPIs, and
    (rescore and import) the Data Quality report of the accounts read and the warnings
    about the scoring itself (weights that differ from the calibration's)."""

    view: str
    accounts: int
    metrics: SegmentMetrics
    scored: Scored
    quality: QualityReport | None = None
    warnings: tuple[str, ...] = ()


def rescore(
    book: Book, view: str | None = None, file_read: FileRead | None = None
) -> RescoreResult:
    """Score every account and write Data Quality, Scores, Segments, Top Customers,
    Dashboard and chart data. ``view`` (a segment label or slug) also sets the Dashboard
    selector; default: the selector's value. ``file_read``: the accounts file just copied
    into the workbook, which Data Quality then describes (New, Import)."""
    from icp_xl.workbook.actions.history import (
        next_run_number,
        read_previous_run,
        record_run,
        with_previous,
    )
    from icp_xl.workbook.actions.live import live_scores_rows, require_live_sheet
    from icp_xl.workbook.actions.outcomes import read_stored_opportunities, record_outcomes
    from icp_xl.workbook.actions.preview import write_preview

    view = selected_view(book, view)
    require_live_sheet(book)
    result = score_book(book)
    mismatch = calibration_mismatch(result.calibration, result.settings.weights)
    if mismatch:
        book.status(f"Warning: {mismatch}")
    opportunities = read_stored_opportunities(book)  # a bad table stops before any write
    previous = read_previous_run(book)  # before Scores is rewritten
    result = with_previous(result, previous)
    read = file_read or FileRead(result.raw, result.accounts, None)
    quality = data_quality_report(book, read.accounts, result.settings, read.raw, read.source,
                                  notes=extra_column_notes(book, result))  # fmt: skip
    write_data_quality(book, quality)
    book.status("Writing Scores")
    extras = extra_columns(book, result, layout.SCORES_TABLE.header)
    rows = live_scores_rows(book, result, scores_rows(result))
    book.write_table(
        layout.SCORES_TABLE.name,
        [*layout.SCORES_TABLE.header, *extras],
        _with_extras(rows, result, extras, np.arange(len(result.scored))),
    )
    _write_segments(book, result)
    record_run(book, result, previous)
    write_preview(book, result)
    warnings = (mismatch,) if mismatch else ()
    written = replace(_write_view(book, result, view), quality=quality, warnings=warnings)
    now = datetime.now().replace(microsecond=0)
    record_outcomes(book, result, opportunities, view, next_run_number(previous), now)
    return written


def refresh_segment_view(book: Book, view: str | None = None) -> RescoreResult:
    """Re-write the view-dependent parts (Dashboard KPIs, Top Customers, chart data)
    for ``view`` (default: the Dashboard selector), from the current inputs."""
    view = selected_view(book, view)
    return _write_view(book, score_book(book), view)


def scores_rows(result: Scored) -> ColumnRows:
    """Rows of the Scores table, in :data:`icp_xl.workbook.layout.SCORES_FIELDS` order,
    held as columns (a host writes them a column block at a time)."""
    sources = (result.scored, result.accounts.frame)
    columns = []
    for _, name in layout.SCORES_FIELDS:
        source = next(s for s in sources if name in s.columns)
        columns.append(as_column(source[name]))
    return ColumnRows(columns)


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


def top_customers(
    result: Scored, view: str, count: int = layout.TOP_CUSTOMERS_COUNT, extras: tuple = ()
) -> list:
    """Top ``count`` rows of the view by view score (ties keep row order), as
    :data:`icp_xl.workbook.layout.TOP_CUSTOMERS_COLUMNS` cells followed by the user's
    ``extras`` Accounts columns (see :func:`extra_columns`)."""
    mask, rows = view_scores(result.scored, view)
    frame = result.accounts.frame[mask]
    rows = rows.join(frame)
    order = np.argsort(-rows["view_score"].to_numpy(), kind="stable")[:count]
    picked = rows.iloc[order].assign(rank=np.arange(1, len(order) + 1))
    cells = [
        [cell_value(v) for v in row]
        for row in picked[[f for f, *_ in layout.TOP_CUSTOMERS_COLUMNS]].itertuples(index=False)
    ]
    return _with_extras(cells, result, extras, np.flatnonzero(mask)[order])


def extra_columns(book: Book, result: Scored, taken: Sequence[str] = ()) -> tuple[str, ...]:
    """The user's own Accounts headers named on Settings (``ExtraColumns``, comma-separated,
    any case), as spelled in the Accounts table, each once; () when blank or in a workbook
    made before the setting. A header equal to one of ``taken`` (the output table's own
    columns; any case, as Excel compares table headers) is left out: a table cannot have
    two columns of one name (:func:`extra_column_notes` says so on Data Quality). Raises
    IcpError naming the cell and the header that is not in Accounts."""
    from icp_xl.core.inputs.accounts import header_key

    try:
        text = book.read_name(layout.EXTRA_COLUMNS_NAME)
    except IcpError:
        return ()
    wanted = [w.strip() for w in str(text or "").split(",") if w.strip()]
    by_key = {header_key(c): str(c) for c in result.raw.columns}
    found = []
    for name in wanted:
        header = by_key.get(header_key(name))
        if header is None:
            where = book.locate(layout.EXTRA_COLUMNS_NAME)
            raise IcpError(
                f"{where} ({layout.EXTRA_COLUMNS_NAME}): the Accounts table has no column "
                f"'{name}'; name Accounts headers, separated by commas"
            )
        if header not in found:
            found.append(header)
    return tuple(h for h in found if not _has_column(taken, h))


def _has_column(header: Sequence[str], name: str) -> bool:
    """Whether ``header`` has a column ``name`` as Excel compares table headers (any case)."""
    return name.casefold() in {str(h).casefold() for h in header}


def extra_column_notes(book: Book, result: Scored) -> list[Finding]:
    """A Data Quality note for each ``ExtraColumns`` header that an output table already
    has as its own column (``Industry``, ``GP24``): it is not added to that table again."""
    outputs = {
        layout.SCORES_TABLE.name: layout.SCORES_TABLE.header,
        layout.TOP_CUSTOMERS_TABLE.name: [label for _, label, _ in layout.TOP_CUSTOMERS_COLUMNS],
    }
    notes = []
    for header in extra_columns(book, result):
        tables = [table for table, own in outputs.items() if _has_column(own, header)]
        if tables:
            where = book.locate(layout.EXTRA_COLUMNS_NAME)
            notes.append(Finding("Extra columns", header, None,
                                 f"{where} (ExtraColumns): '{header}' is already a column of "
                                 f"{' and '.join(tables)}, so it is not added there again",
                                 "info"))  # fmt: skip
    return notes


def _with_extras(
    rows: Sequence[Sequence[Any]], result: Scored, extras: tuple, positions: np.ndarray
) -> Sequence[Sequence[Any]]:
    """``rows`` with the ``extras`` raw Accounts cells of the accounts at ``positions``."""
    if not extras:
        return rows
    if isinstance(rows, ColumnRows):
        picked = [result.raw[name].to_numpy(dtype=object)[positions] for name in extras]
        return rows.with_columns([[cell_value(v) for v in column] for column in picked])
    raw = result.raw[list(extras)].to_numpy(dtype=object)[positions]
    return [[*row, *(cell_value(v) for v in more)] for row, more in zip(rows, raw, strict=True)]


def view_blocks(
    book: Book, result: Scored, view: str, metrics: SegmentMetrics | None = None
) -> tuple[Block, list[Block], list[Block]]:
    """What the Dashboard shows of ``view`` (a parsed segment view): the key-figure block,
    the Chart Data blocks and, in Live mode, the Live sheet's helper blocks (their cells
    formulas cached with these values; no helpers outside Live mode). ``metrics``: the
    view's :func:`view_metrics` when already computed."""
    from icp_xl.workbook.actions.live import read_live_mode
    from icp_xl.workbook.live_dashboard import live_view

    frame, scored, settings = result.accounts.frame, result.scored, result.settings
    metrics = metrics or view_metrics(frame, scored, settings, view)
    values = metrics.as_dict()
    kpis = Block(
        layout.DASHBOARD,
        f"B{layout.KPI_FIRST_ROW}",
        [[cell_value(values[f])] for f, *_ in layout.KPI_FIELDS],
    )
    charts = _chart_blocks(book, result, view)
    if not read_live_mode(book):
        return kpis, charts, []
    calibrated = result.mode != RELATIVE
    live = live_view(kpis, charts, frame, scored, settings, view, calibrated)
    return live.kpis, live.charts, live.helpers


def _write_view(book: Book, result: Scored, view: str) -> RescoreResult:
    from icp_xl.workbook.actions.live import mark_snapshots

    book.status(f"Writing the {view} view")
    frame, scored, settings = result.accounts.frame, result.scored, result.settings
    metrics = view_metrics(frame, scored, settings, view)
    book.set_name(layout.SEGMENT_VIEW.name, view)
    book.set_name(layout.LAST_RESCORED.name, datetime.now().replace(microsecond=0))
    book.set_name(layout.WEIGHTS_USED.name, weights_text(settings.weights))
    kpis, charts, helpers = view_blocks(book, result, view, metrics)
    if helpers:
        book.clear_range(layout.LIVE, layout.LIVE_VIEW_AREA)
        write_blocks(book, helpers)
    book.write_block(kpis)
    sheet = layout.TOP_CUSTOMERS
    header_row = layout.TOP_CUSTOMERS_HEADER_ROW
    width = len(layout.TOP_CUSTOMERS_COLUMNS)
    ranked_by = "ICP score" if view == ALL_SEGMENTS else "within-segment ICP score"
    extras = extra_columns(book, result, [label for _, label, _ in layout.TOP_CUSTOMERS_COLUMNS])
    rows = top_customers(result, view, extras=extras)
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
    header = [*(label for _, label, _ in layout.TOP_CUSTOMERS_COLUMNS), *extras]
    book.clear_range(
        sheet, range_ref(header_row + 1, 1, header_row + layout.TOP_CUSTOMERS_COUNT, width)
    )
    try:
        book.locate(layout.TOP_CUSTOMERS_TABLE.name)
    except IcpError:  # a workbook made before Top Customers was a table (live Excel)
        book.write_block(Block(sheet, f"A{header_row}", [header, *rows]))
    else:
        book.write_table(layout.TOP_CUSTOMERS_TABLE.name, header, rows)
    write_blocks(book, charts)
    write_account_explanation(book, result)
    mark_snapshots(book)
    book.status(f"Done: {len(scored):,} accounts scored; view {view}")
    return RescoreResult(view, len(scored), metrics, result)


def weights_text(weights: Weights) -> str:
    return " / ".join(f"{getattr(weights, c):.2f}" for c in COMPONENTS)


def calibration_mismatch(calibration: Calibration | None, weights: Weights) -> str | None:
    """A sentence when Calibrated scores use a calibration made with other weights than
    ``weights`` (the weights were typed in after Calibrate), else None."""
    if calibration is None:
        return None
    made, now = calibration.weights.as_dict(), weights.as_dict()
    if all(abs(made[c] - now[c]) <= 1e-12 for c in made):
        return None
    return (
        f"The weights ({weights_text(weights)}) differ from those the calibration was made "
        f"with ({weights_text(calibration.weights)}), so the scores sit on a scale made for "
        "other weights; press Calibrate (icp-xl calibrate) to re-freeze it"
    )


def _chart_blocks(book: Book, result: Scored, view: str) -> list[Block]:
    """The 'Chart Data' blocks (:func:`icp_xl.workbook.chart_data.chart_blocks`), with the stored
    optimized weights and trial history when the workbook has them."""
    from icp_xl.workbook.chart_data import chart_blocks

    return chart_blocks(
        result.accounts.frame,
        result.scored,
        result.settings,
        view,
        optimized_weights=stored_optimized_weights(book),
        trials=stored_trial_history(book),
    )


def write_blocks(book: Book, blocks: Iterable[Block]) -> None:
    """Write each block (e.g. :func:`optimization_blocks` output)."""
    for block in blocks:
        book.write_block(block)
