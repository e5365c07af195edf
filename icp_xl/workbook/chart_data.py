"""The numbers behind every native chart, as fixed-shape blocks for the 'Chart Data' sheet.

Pure: DataFrames in, :class:`~icp_xl.workbook.blocks.Block` list out; no Excel. Charts are
bound to cell ranges once (:mod:`icp_xl.hosts.file.charts` in the file host; in live Excel
they already exist), so every section below has a FIXED address and a fixed
number of rows whatever the population or segment view: unused rows are blank.

Layout of 'Chart Data': the sections of :data:`SECTIONS` sit side by side,
left to right from column A with one blank column between them. In each
section row 1 holds its title, row 2 the column headers (series names; some are
computed, e.g. ``"Mean 50.3"``, so chart legends show the figures) and rows 3
onwards the data. :func:`section` gives the place of any section and column;
``docs/charts.md`` lists every address.

Which scores: a segment view filters every figure of the Dashboard; inside a
one-segment view the within-segment ICP score and grade (re-ranked inside the segment) are used.
The Segments sheet figures (segment comparison, score spread) compare the three
segments with the portfolio-wide score and are not filtered by the view.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from icp_xl.core.inputs.cells import column_letter
from icp_xl.core.inputs.industries import resolve_industries
from icp_xl.core.model.segments import ALL_SEGMENTS, parse_segment_view, segment_summary, view_rows
from icp_xl.core.model.settings import COMPONENTS, GRADES, SEGMENTS, Settings, Weights
from icp_xl.workbook.blocks import Block, cell_value
from icp_xl.workbook.layout import CHART_DATA

CHART_DATA_SHEET = CHART_DATA
SCORE_POINTS = 101  # ICP score axis 0, 1, ..., 100
SCORE_BIN_WIDTH = 5  # ICP score histogram bins [0, 5), [5, 10), ..., [95, 100]
RAW_BINS = 20
TOP_INDUSTRIES = 15
SCATTER_POINTS = 500
GAINS_POINTS = 101
CONVERGENCE_POINTS = 500
FIRST_DATA_ROW = 3
UNKNOWN_INDUSTRY_LABEL = "(unknown)"
DISPLAY_GRADES: tuple[str, ...] = tuple(reversed(GRADES))  # A first
MARKERS: tuple[str, ...] = ("q1", "median", "mean", "q3")


BOX_COLUMNS: tuple[str, ...] = (
    "segment",
    "base",
    "lower_box",
    "upper_box",
    "whisker_down",
    "whisker_up",
    "mean",
    "q1",
    "median",
    "q3",
    "low",
    "high",
    "accounts",
)
TICK_EVERY = 10  # histogram axis labels at 0, 10, ..., 100; tick marks at the bin edges


@dataclass(frozen=True)
class Section:
    """A table of the 'Chart Data' sheet: ``key``, a title, column keys and a fixed row count."""

    key: str
    title: str
    columns: tuple[str, ...]
    rows: int


SECTIONS: tuple[Section, ...] = (
    Section(
        "score_hist",
        "ICP score histogram (step per 5-point bin) and markers",
        ("score", "tick", "accounts", *MARKERS),
        SCORE_POINTS,
    ),
    Section("raw_hist", "Raw score histogram", ("bin", "lower", "upper", "accounts"), RAW_BINS),
    Section(
        "grades",
        "Share of accounts and of target revenue by grade",
        ("grade", "actual", "revenue"),
        len(GRADES),
    ),
    Section(
        "segments",
        "Segment comparison (portfolio-wide ICP score)",
        (
            "segment",
            "customers",
            "customer_share",
            "average_score",
            "average_revenue_m",
            "gp24_share",
            "high_value_rate",
        ),
        len(SEGMENTS),
    ),
    Section(
        "box",
        "Score spread by segment (box plot parts)",
        BOX_COLUMNS,
        len(SEGMENTS),
    ),
    Section("view_box", "Score spread of the view (box plot parts)", BOX_COLUMNS, len(SEGMENTS)),
    Section("weights", "Weights: current vs optimized", ("component", "current", "optimized"), 4),
    Section(
        "industries",
        "Average ICP score by industry (15 largest)",
        ("label", "average_score", "accounts"),
        TOP_INDUSTRIES,
    ),
    Section(
        "adoption_scatter",
        "Adoption score vs printer count (sample)",
        ("printers", *SEGMENTS),
        SCATTER_POINTS,
    ),
    Section(
        "target_scatter",
        "ICP score vs target revenue (sample, target > 0)",
        ("target_revenue", *SEGMENTS),
        SCATTER_POINTS,
    ),
    Section(
        "printers_score_scatter",
        "ICP score vs printer count (sample)",
        ("printers", *SEGMENTS),
        SCATTER_POINTS,
    ),
    Section(
        "gains",
        "Gains: share of target revenue captured by ICP rank",
        ("account_share", "icp_rank", "random", "best_possible"),
        GAINS_POINTS,
    ),
    Section(
        "convergence",
        "Optimizer convergence",
        ("trial", "objective", "best_so_far", "gap", "best_gap"),
        CONVERGENCE_POINTS,
    ),
)


@dataclass(frozen=True)
class PlacedSection:
    """A section with its place: ``first_column`` is 1-based (1 = column A)."""

    section: Section
    first_column: int

    @property
    def top_left(self) -> str:
        return f"{column_letter(self.first_column)}1"

    @property
    def last_row(self) -> int:
        return FIRST_DATA_ROW + self.section.rows - 1

    def letter(self, column: str) -> str:
        """Sheet column letter of a column key of this section."""
        return column_letter(self.first_column + self.section.columns.index(column))

    def header_ref(self, column: str) -> str:
        """Absolute reference of a column's header cell, e.g. ``'Chart Data'!$C$2``."""
        return f"'{CHART_DATA_SHEET}'!${self.letter(column)}${FIRST_DATA_ROW - 1}"

    def data_ref(self, column: str) -> str:
        """Absolute reference of a column's data cells, e.g. ``'Chart Data'!$C$3:$C$103``."""
        letter = self.letter(column)
        return f"'{CHART_DATA_SHEET}'!${letter}${FIRST_DATA_ROW}:${letter}${self.last_row}"


def _place_sections() -> dict[str, PlacedSection]:
    placed, column = {}, 1
    for item in SECTIONS:
        placed[item.key] = PlacedSection(item, column)
        column += len(item.columns) + 1
    return placed


PLACES: dict[str, PlacedSection] = _place_sections()


def section(key: str) -> PlacedSection:
    """Where section ``key`` (see :data:`SECTIONS`) lives on the 'Chart Data' sheet."""
    return PLACES[key]


# --- helpers ---------------------------------------------------------------------------------


def _block(key: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> Block:
    """The section's block: title row, header row, then ``rows`` padded with blank rows."""
    placed = section(key)
    width, height = len(placed.section.columns), placed.section.rows
    if len(headers) != width or len(rows) > height or any(len(r) != width for r in rows):
        raise ValueError(f"chart data section {key!r} got a block of the wrong shape")
    body = [list(r) for r in rows]
    body += [[None] * width for _ in range(height - len(rows))]
    title = [placed.section.title] + [None] * (width - 1)
    return Block(CHART_DATA_SHEET, placed.top_left, [title, list(headers), *body])


def even_sample(count: int, limit: int) -> np.ndarray:
    """Positions of a deterministic, evenly spread sample of at most ``limit`` of ``count``
    items (all of them when ``count <= limit``), ascending; first and last always kept."""
    if count <= limit:
        return np.arange(count)
    return np.unique(np.linspace(0, count - 1, limit).round().astype(int))


def view_score_series(scored: pd.DataFrame, view: str) -> tuple[np.ndarray, pd.Series, pd.Series]:
    """(mask of the view's rows, their ICP scores, their grades): within-segment in a
    one-segment view, portfolio-wide in 'All Segments'."""
    mask = view_rows(scored, view)
    if view == ALL_SEGMENTS:
        return mask, scored["ICP_score"][mask], scored["ICP_grade"][mask]
    return mask, scored["segment_ICP_score"][mask], scored["segment_ICP_grade"][mask]


# --- sections --------------------------------------------------------------------------------


MARKER_LABELS = {"q1": "Q1", "median": "Median", "mean": "Mean", "q3": "Q3"}


def score_markers(scores: np.ndarray) -> dict[str, float]:
    """The Q1, median, mean and Q3 of finite ``scores`` (NaN each when there are none)."""
    if not len(scores):
        return dict.fromkeys(MARKERS, math.nan)
    return {
        "q1": float(np.percentile(scores, 25)),
        "median": float(np.median(scores)),
        "mean": float(scores.mean()),
        "q3": float(np.percentile(scores, 75)),
    }


def score_bin_counts(scores: np.ndarray) -> np.ndarray:
    """Accounts per 5-point bin [0, 5), ..., [95, 100] of finite ICP ``scores``."""
    nbins = 100 // SCORE_BIN_WIDTH
    bins = np.clip((scores // SCORE_BIN_WIDTH).astype(int), 0, nbins - 1)
    return np.bincount(bins, minlength=nbins)


def raw_bin_edges(raw: np.ndarray) -> np.ndarray:
    """The :data:`RAW_BINS` + 1 edges of the raw score histogram: equal bins between the
    whole numbers around the finite ``raw`` scores' minimum and maximum (0-100 when there
    are none; one point each side when they are less than one apart)."""
    low, high = (math.floor(raw.min()), math.ceil(raw.max())) if len(raw) else (0, 100)
    if high - low < 1:
        low, high = low - 1, high + 1
    return np.linspace(low, high, RAW_BINS + 1)


def score_histogram_block(scores: np.ndarray) -> Block:
    """ICP scores (0-100) -> the step histogram over x = 0..100 (accounts in the 5-point bin
    holding x) and the Q1, median, mean and Q3 markers: a bar as tall as the histogram at
    x = round(statistic), blank elsewhere; headers carry the exact values."""
    scores = np.asarray(scores, dtype=float)
    scores = scores[np.isfinite(scores)]
    nbins = 100 // SCORE_BIN_WIDTH
    counts = score_bin_counts(scores)
    x = np.arange(SCORE_POINTS)
    steps = counts[np.minimum(x // SCORE_BIN_WIDTH, nbins - 1)]
    labels = MARKER_LABELS
    stats = score_markers(scores)
    height = float(max(steps.max(), 1)) * 1.08
    headers = ["ICP score", "Axis label", f"Accounts per {SCORE_BIN_WIDTH}-point bin"]
    rows = [
        [int(v), str(v) if v % TICK_EVERY == 0 else "", int(c)]
        for v, c in zip(x, steps, strict=True)
    ]
    for key in MARKERS:
        value = stats[key]
        shown = f"{value:.1f}" if math.isfinite(value) else "n/a"
        headers.append(f"{labels[key]} {shown}")
        at = round(value) if math.isfinite(value) else -1
        for row in rows:
            row.append(height if row[0] == at else None)
    return _block("score_hist", headers, rows)


def raw_histogram_block(raw: np.ndarray) -> Block:
    """Raw scores (0-100) -> :data:`RAW_BINS` equal bins between the whole numbers around
    their minimum and maximum (0-100 when there are none); label, bounds, count."""
    raw = np.asarray(raw, dtype=float)
    raw = raw[np.isfinite(raw)]
    edges = raw_bin_edges(raw)
    counts, _ = np.histogram(raw, bins=edges)
    rows = [
        [f"{a:.1f}-{b:.1f}", float(a), float(b), int(c)]
        for a, b, c in zip(edges[:-1], edges[1:], counts, strict=True)
    ]
    return _block("raw_hist", ["Raw score bin", "From", "To", "Accounts"], rows)


def grade_shares_block(grade_labels: pd.Series, target: pd.Series | None = None) -> Block:
    """Per grade (A first): its share of the accounts and its share of their target
    revenue (blank when there are no accounts or no target revenue). The account shares
    follow the grade target shares by construction; the revenue shares move with the
    weights: the better the score ranks revenue, the more of it sits in A and B."""
    labels = np.asarray(grade_labels, dtype=object)
    n = len(labels)
    revenue = np.zeros(n) if target is None else np.asarray(target, dtype=float)
    revenue = np.where(np.isfinite(revenue), np.maximum(revenue, 0.0), 0.0)
    total = revenue.sum()
    rows = [
        [
            g,
            float((labels == g).sum()) / n if n else None,
            float(revenue[labels == g].sum() / total) if total > 0 else None,
        ]
        for g in DISPLAY_GRADES
    ]
    return _block("grades", ["Grade", "Share of accounts", "Share of target revenue"], rows)


def segment_comparison_block(
    frame: pd.DataFrame, scored: pd.DataFrame, settings: Settings
) -> Block:
    """Per segment: customers, their share, average ICP score (portfolio-wide), average known
    annual revenue in USD millions, share of GP24, high-value rate. Empty segment: blanks."""
    summary = segment_summary(frame, scored, settings)
    rows = []
    for name in SEGMENTS:
        m = summary.loc[name]
        rows.append(
            [
                name,
                int(m["customers"]),
                cell_value(m["customer_share"]),
                cell_value(m["average_score"]),
                cell_value(m["average_annual_revenue"] / 1e6),
                cell_value(m["gp24_share"]),
                cell_value(m["high_value_rate"]),
            ]
        )
    headers = [
        "Segment",
        "Customers",
        "% of customers",
        "Average ICP score",
        "Average annual revenue ($M)",
        "% of GP24",
        "High-value rate",
    ]
    return _block("segments", headers, rows)


def box_plot_block(scored: pd.DataFrame, mask: np.ndarray | None = None, key: str = "box") -> Block:
    """Five-number summary of the portfolio-wide ICP score per segment, as the parts of a
    stacked-column box plot: base = Q1 (invisible), Q1->median, median->Q3, and whisker
    lengths to the furthest score within 1.5 IQR of the box (Tukey). Only the accounts of
    ``mask`` (default: all) count; an empty segment gives blanks."""
    rows = []
    keep = np.ones(len(scored), dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    for name in SEGMENTS:
        chosen = keep & (scored["customer_segment"] == name).to_numpy()
        values = scored["ICP_score"].to_numpy(dtype=float)[chosen]
        if len(values) == 0:
            rows.append([name] + [None] * 11 + [0])
            continue
        q1, median, q3 = np.percentile(values, [25, 50, 75])
        iqr = q3 - q1
        low = values[values >= q1 - 1.5 * iqr].min()
        high = values[values <= q3 + 1.5 * iqr].max()
        parts = [q1, median - q1, q3 - median, q1 - low, high - q3, values.mean()]
        rows.append(
            [name, *map(float, parts), *map(float, (q1, median, q3, low, high)), len(values)]
        )
    headers = [
        "Segment",
        "Q1 (invisible base)",
        "Q1 to median",
        "Median to Q3",
        "Whisker down",
        "Whisker up",
        "Mean",
        "Q1",
        "Median",
        "Q3",
        "Lower whisker",
        "Upper whisker",
        "Accounts",
    ]
    return _block(key, headers, rows)


def weights_block(current: Weights, optimized: Weights | None) -> Block:
    """The four weights, current and optimized (blank when there is no optimization yet)."""
    rows = [
        [
            name.capitalize(),
            getattr(current, name),
            getattr(optimized, name) if optimized is not None else None,
        ]
        for name in COMPONENTS
    ]
    return _block("weights", ["Component", "Current", "Optimized"], rows)


def largest_industries(industry: pd.Series, scores: pd.Series) -> pd.DataFrame:
    """The :data:`TOP_INDUSTRIES` industries with the most accounts (ties by name), sorted by
    name: columns ``industry`` (trimmed; blank as :data:`UNKNOWN_INDUSTRY_LABEL`), ``mean``
    (average of ``scores``) and ``size`` (accounts)."""
    names = (
        industry.astype(object).fillna("").map(lambda s: str(s).strip() or UNKNOWN_INDUSTRY_LABEL)
    )
    table = (
        pd.DataFrame({"industry": names.to_numpy(), "score": np.asarray(scores, dtype=float)})
        .groupby("industry", sort=True)["score"]
        .agg(["mean", "size"])
        .reset_index()
    )
    top = table.sort_values(["size", "industry"], ascending=[False, True], kind="stable")
    return top.head(TOP_INDUSTRIES).sort_values("industry", kind="stable")


def industry_block(industry: pd.Series, scores: pd.Series) -> Block:
    """The :data:`TOP_INDUSTRIES` industries with the most accounts (ties by name), sorted by
    average ICP score descending; label ``"High Tech (212)"``, average score, count."""
    top = largest_industries(industry, scores).sort_values(
        ["mean", "industry"], ascending=[False, True], kind="stable"
    )
    rows = [[f"{r.industry} ({r.size:,})", float(r.mean), int(r.size)] for r in top.itertuples()]
    return _block("industries", ["Industry (accounts)", "Average ICP score", "Accounts"], rows)


def scatter_block(key: str, x_header: str, x: pd.Series, y: pd.Series, segment: pd.Series) -> Block:
    """Up to :data:`SCATTER_POINTS` evenly sampled points: x and one y column per segment
    (blank where the point belongs to another segment), so each segment keeps its colour."""
    pick = even_sample(len(x), SCATTER_POINTS)
    xs = np.asarray(x, dtype=float)[pick]
    ys = np.asarray(y, dtype=float)[pick]
    segs = np.asarray(segment, dtype=object)[pick]
    rows = [
        [cell_value(xv), *(cell_value(yv) if s == name else None for name in SEGMENTS)]
        for xv, yv, s in zip(xs, ys, segs, strict=True)
    ]
    return _block(key, [x_header, *SEGMENTS], rows)


def gains_block(scores: pd.Series, target: pd.Series) -> Block:
    """Cumulative share of target revenue captured by the top x% of accounts ranked by ICP
    score (ties by row order), at x = 0%, 1%, ..., 100%; with the random-order diagonal and
    the best possible ranking (by target itself). Blank curves when the target total is 0."""
    y = np.maximum(np.asarray(target, dtype=float), 0.0)
    s = np.asarray(scores, dtype=float)
    share = np.linspace(0.0, 1.0, GAINS_POINTS)
    total = y.sum()

    def captured(order: np.ndarray) -> list[float | None]:
        if not total > 0:
            return [None] * GAINS_POINTS
        cumulative = np.concatenate([[0.0], np.cumsum(y[order])]) / total
        positions = np.arange(len(y) + 1) / len(y)
        return [float(v) for v in np.interp(share, positions, cumulative)]

    by_score = captured(np.argsort(-s, kind="stable"))
    best = captured(np.argsort(-y, kind="stable"))
    rows = [[float(x), a, float(x), b] for x, a, b in zip(share, by_score, best, strict=True)]
    headers = ["Share of accounts", "Ranked by ICP score", "Random order", "Best possible"]
    return _block("gains", headers, rows)


_TRIAL_COLUMNS = {"number": "trial", "trial": "trial", "objective": "objective"}


def _trial_table(trials: pd.DataFrame) -> pd.DataFrame:
    """Trial, objective and best-so-far columns under the keys ``trial``, ``objective`` and
    ``best_so_far``, from either the optimizer's history (``Trial``, ``Objective``, ``Best so
    far``) or ``number``, ``objective``, ``best_so_far``; best-so-far is computed if absent."""
    renamed = trials.rename(columns=lambda c: str(c).strip().lower().replace(" ", "_"))
    renamed = renamed.rename(columns=_TRIAL_COLUMNS)
    if "trial" not in renamed or "objective" not in renamed:
        raise ValueError("trials need a trial number and an objective column")
    table = renamed[["trial", "objective"]].astype(float)
    table = table[np.isfinite(table["objective"].to_numpy())].sort_values("trial", kind="stable")
    if "best_so_far" in renamed:
        table["best_so_far"] = renamed.loc[table.index, "best_so_far"].astype(float)
    else:
        table["best_so_far"] = np.minimum.accumulate(table["objective"].to_numpy())
    return table


def convergence_block(trials: pd.DataFrame | None) -> Block:
    """Trial number, objective and best-so-far of the optimizer's completed trials, evenly
    sampled down to :data:`CONVERGENCE_POINTS` (first and last kept); blank without trials.
    ``trials``: :func:`icp_xl.core.optimization.search.trial_history` output or columns ``number``,
    ``objective``, ``best_so_far``; trials without a finite objective are left out. The gap
    columns are the objective and best-so-far minus the best objective of all trials
    (0 = the best found), which the chart plots so that its axis starts at 0."""
    rows: list[list[Any]] = []
    if trials is not None and len(trials):
        table = _trial_table(trials)
        best_found = float(table["objective"].min()) if len(table) else math.nan
        for i in even_sample(len(table), CONVERGENCE_POINTS):
            trial, objective, best = table.iloc[i]
            gaps = (cell_value(objective - best_found), cell_value(best - best_found))
            rows.append([int(trial), cell_value(objective), cell_value(best), *gaps])
    headers = [
        "Trial",
        "Objective",
        "Best so far",
        "Trial - best found",
        "Best so far - best found",
    ]
    return _block("convergence", headers, rows)


def chart_blocks(
    frame: pd.DataFrame,
    scored: pd.DataFrame,
    settings: Settings,
    view: str,
    optimized_weights: Weights | None = None,
    trials: pd.DataFrame | None = None,
) -> list[Block]:
    """The 'Chart Data' blocks, one per section of :data:`SECTIONS`, in that order.

    ``frame``: prepared accounts (``Accounts.frame``); ``scored``: ``score_accounts`` output
    joined with ``within_segment_scores`` (same index); ``view``: a segment view (label or
    slug); ``optimized_weights``: the stored optimization result or None; ``trials``: the
    optimizer's trials (:func:`icp_xl.core.optimization.search.trial_history` output, or ``number``,
    ``objective``, ``best_so_far``) or None: then the convergence block is left out, so a
    rescore keeps the convergence data the last optimization wrote. Blocks always have the
    same shapes; an empty view gives blank series.
    """
    view = parse_segment_view(view)
    mask, scores, grade_labels = view_score_series(scored, view)
    accounts = frame[mask]
    rows = scored[mask]
    segment = rows["customer_segment"]
    has_target = accounts["target_revenue"].to_numpy(dtype=float) > 0
    return [
        score_histogram_block(scores.to_numpy(dtype=float)),
        raw_histogram_block(rows["ICP_score_raw"].to_numpy(dtype=float)),
        grade_shares_block(grade_labels, accounts["target_revenue"]),
        segment_comparison_block(frame, scored, settings),
        box_plot_block(scored),
        box_plot_block(scored, mask, key="view_box"),
        weights_block(settings.weights, optimized_weights),
        # grouped by the vertical-table industry each account counts as, not its raw text
        industry_block(pd.Series(resolve_industries(accounts["industry"], settings).label), scores),
        scatter_block(
            "adoption_scatter",
            "Printer count",
            accounts["printer_count"],
            rows["adoption_score"],
            segment,
        ),
        scatter_block(
            "target_scatter",
            "Target revenue (USD)",
            accounts["target_revenue"][has_target],
            scores[has_target],
            segment[has_target],
        ),
        scatter_block(
            "printers_score_scatter", "Printer count", accounts["printer_count"], scores, segment
        ),
        gains_block(scores, accounts["target_revenue"]),
        *([] if trials is None else [convergence_block(trials)]),
    ]
