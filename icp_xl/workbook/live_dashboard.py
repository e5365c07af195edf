"""Live mode's Dashboard: the key figures and the Chart Data series behind the Dashboard's
charts as native formulas over the Scores columns, each with the value Python computed.

A segment view filters them as it filters Python's figures: the view written with them
(one segment: ``Segment = "Mid-Market"`` in every COUNTIFS/SUMIFS, IF array or SUMPRODUCT,
and the within-segment score and grade; All Segments: every account and the
portfolio-wide score and grade). The helper cells (the view's target revenue in score
order, the largest industries, the view's figures) sit on the Live sheet, columns N:Z.

What stays as Python wrote it (the formulas only read the Scores cells):

- the scatter charts' samples: which accounts are drawn and the segment colour of each
  (their scores and inputs recalculate);
- which 15 industries the industry chart shows (their averages, counts and order
  recalculate);
- the Segments sheet's sections (segment comparison, spread by segment) and the optimizer's.

Pure: Python's blocks and figures in, blocks with formulas out; nothing reads a workbook.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
import pandas as pd

from icp_xl.core.inputs.industries import resolve_industries
from icp_xl.core.model.scoring import average_ranks
from icp_xl.core.model.segments import ALL_SEGMENTS, TOP_GRADES, TOP_SHARE, parse_segment_view
from icp_xl.core.model.settings import COMPONENTS, SEGMENTS, Settings, Weights
from icp_xl.workbook import layout
from icp_xl.workbook.blocks import Block, Formula
from icp_xl.workbook.chart_data import (
    FIRST_DATA_ROW,
    MARKER_LABELS,
    MARKERS,
    RAW_BINS,
    SCATTER_POINTS,
    SCORE_BIN_WIDTH,
    UNKNOWN_INDUSTRY_LABEL,
    even_sample,
    largest_industries,
    raw_bin_edges,
    score_bin_counts,
    score_markers,
    section,
    view_score_series,
)
from icp_xl.workbook.live_formulas import SCORES_LETTERS

_FIG = layout.live_figure_ref
_ROW = "\x00"  # stands for the row number in a formula template

_VIEW = layout.live_view_ref


@dataclass(frozen=True)
class LiveView:
    """What Live mode writes for a segment view: the Dashboard's key figures, the Chart
    Data blocks and the helper blocks (the Live sheet's, and the Dashboard's "Weights
    used")."""

    kpis: Block
    charts: list[Block]
    helpers: list[Block]


class _Refs:
    """Ranges and criteria of one segment view over the Scores rows 2..n+1."""

    def __init__(self, n: int, view: str) -> None:
        self.n, self.view = n, view
        self.all = view == ALL_SEGMENTS
        self.score = self.column("ICP_score" if self.all else "segment_ICP_score")
        self.grade = self.column("ICP_grade" if self.all else "segment_ICP_grade")
        self.segment = self.column("customer_segment")

    def column(self, field: str) -> str:
        letter = SCORES_LETTERS[field]
        return f"{layout.SCORES}!${letter}$2:${letter}${self.n + 1}"

    def criteria(self, *more: str) -> str:
        """COUNTIFS/SUMIFS criteria pairs: ``more`` and, in a one-segment view, the segment."""
        pairs = [*more, *([] if self.all else [f'{self.segment},"{self.view}"'])]
        return ",".join(pairs)

    def count(self, *more: str) -> str:
        return (
            f"COUNTIFS({self.criteria(*more)})" if more or not self.all else f"ROWS({self.segment})"
        )

    def sum(self, values: str, *more: str) -> str:
        pairs = self.criteria(*more)
        return f"SUMIFS({values},{pairs})" if pairs else f"SUM({values})"

    def mask(self) -> str:
        """A 1/0 array of the view's rows, as a factor (``""`` in All Segments)."""
        return "" if self.all else f'*({self.segment}="{self.view}")'

    def values(self, column: str) -> str:
        """The view's cells of ``column`` (a Scores range) as an array (FALSE outside the
        view, which PERCENTILE, MEDIAN, AVERAGE, MIN and MAX leave out; in an array
        formula). FILTER would say it shorter, but LibreOffice 25.2 reads it from a file
        only under another prefix than the other Excel 2021 functions."""
        return column if self.all else f'IF({self.segment}="{self.view}",{column})'


def live_view(
    kpis: Block,
    charts: Sequence[Block],
    frame: pd.DataFrame,
    scored: pd.DataFrame,
    settings: Settings,
    view: str,
    calibrated: bool = False,
) -> LiveView:
    """Python's key-figure block ``kpis`` (Dashboard, one cell per ``layout.KPI_FIELDS``) and
    Chart Data blocks ``charts`` (:func:`icp_xl.workbook.chart_data.chart_blocks` of the same
    ``frame``, ``scored``, ``settings`` and ``view``; ``calibrated``: scored in Calibrated
    mode) turned into formulas cached with
    their values, and the Live sheet's helper blocks they read."""
    view = parse_segment_view(view)
    refs = _Refs(len(scored), view)
    mask, scores, _ = view_score_series(scored, view)
    target = _clean_target(frame["target_revenue"])
    in_view = np.where(mask, target, 0.0)
    view_scores = scores.to_numpy(dtype=float)
    figures = _figures(refs, mask, in_view, view_scores, scored)
    stats = score_markers(view_scores[np.isfinite(view_scores)])
    helpers = [
        Block(layout.LIVE, layout.VIEW_NOTE_CELL, [[layout.VIEW_NOTE]]),
        Block(layout.LIVE, layout.VIEW_FIGURES_TOP_LEFT,
              [[layout.VIEW_FIGURE_LABELS[k], figures[k]] for k in layout.VIEW_FIGURES]),
        _target_columns(refs, scored, mask, in_view),
        weights_used(settings.weights),
    ]  # fmt: skip
    view_score = "ICP_score" if refs.all else "segment_ICP_score"

    def industries(block: Block) -> Block:
        chart, helper = _industries(refs, frame, settings, mask, scores, block)
        helpers.append(helper)
        return chart

    by_key = {
        "score_hist": lambda b: _score_hist(b, refs, stats, figures["hist_height"].value),
        "raw_hist": lambda b: _raw_hist(b, refs),
        "grades": lambda b: _grades(b, refs),
        "view_box": lambda b: _view_box(b, refs),
        "weights": _weights,
        "industries": industries,
        "adoption_scatter": lambda b: _scatter(b, mask, "printer_count", "adoption_score"),
        "printers_score_scatter": lambda b: _scatter(b, mask, "printer_count", view_score),
        "target_scatter": lambda b: _scatter(b, mask & (target > 0), "target_revenue", view_score),
        "gains": lambda b: _gains(b, refs.n),
    }
    keys = {section(k).top_left: k for k in by_key}
    live_charts = [by_key[keys[b.top_left]](b) if b.top_left in keys else b for b in charts]
    if calibrated and refs.all:
        helpers.append(_share_grades(refs, scored))
    return LiveView(_kpis(kpis, refs, calibrated), live_charts, helpers)


def _clean_target(target: pd.Series) -> np.ndarray:
    """Target revenue as the figures count it: negative and unknown as 0."""
    values = np.asarray(target, dtype=float)
    return np.where(np.isfinite(values) & (values > 0), values, 0.0)


def _cached(value: Any) -> Any:
    """The value a formula that gives ``""`` for no figure shows (Python's None or NaN)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    return value


def _live(text: str, value: Any, array: bool = False) -> Formula:
    """A formula cached with Python's ``value`` (``""`` for none); ``array``: a one-cell
    array formula, for those that pick cells with IF(range=..., range) (LibreOffice and
    Excel before 365 compare a range cell by cell only in an array formula)."""
    return Formula(text, _cached(value), 1 if array else 0)


def _figures(
    refs: _Refs,
    mask: np.ndarray,
    in_view: np.ndarray,
    scores: np.ndarray,
    scored: pd.DataFrame,
) -> dict[str, Any]:
    """The view's figures (Live V:W), each a formula with Python's value."""
    count = int(mask.sum())
    top = max(math.ceil(count * TOP_SHARE), 1) if count else 0
    stats = score_markers(scores[np.isfinite(scores)])
    raw = scored["ICP_score_raw"].to_numpy(dtype=float)[mask]
    edges = raw_bin_edges(raw[np.isfinite(raw)])
    hist = section("score_hist")
    n_, score = _VIEW("view_accounts"), refs.values(refs.score)
    raw_col, target = refs.column("ICP_score_raw"), refs.column("target_revenue")
    a, b = f"INT(MIN({refs.values(raw_col)}))", f"-INT(-MAX({refs.values(raw_col)}))"
    narrow = f"IF({b}-{a}<1,"
    positive = f'{target},">0"'
    steps = score_bin_counts(scores[np.isfinite(scores)])
    return {
        "view": refs.view,
        "view_accounts": Formula(f"={refs.count()}", count),
        "view_target": Formula(f"={refs.sum(target, positive)}", float(in_view.sum())),
        "top_count": Formula(f"=IF({n_}=0,0,MAX(ROUNDUP({n_}*{TOP_SHARE},0),1))", top),
        "q1": _live(f'=IF({n_}=0,"",PERCENTILE({score},0.25))', stats["q1"], True),
        "median": _live(f'=IF({n_}=0,"",MEDIAN({score}))', stats["median"], True),
        "mean": _live(f'=IF({n_}=0,"",AVERAGE({score}))', stats["mean"], True),
        "q3": _live(f'=IF({n_}=0,"",PERCENTILE({score},0.75))', stats["q3"], True),
        "hist_height": Formula(f"=MAX(MAX({hist.data_ref('accounts')}),1)*1.08",
                               float(max(steps.max(), 1)) * 1.08),
        "raw_low": _live(f"=IF({n_}=0,0,{narrow}{a}-1,{a}))", float(edges[0]), True),
        "raw_high": _live(f"=IF({n_}=0,100,{narrow}{b}+1,{b}))", float(edges[-1]), True),
    }  # fmt: skip


def _share_grades(refs: _Refs, scored: pd.DataFrame) -> Block:
    """Live X:Z for Calibrated mode's All Segments view, whose key figures' "grades A+B"
    are the best-scored accounts by the Settings shares (Python grades the calibrated
    scores by their average rank there, not by the Grade column): the scores sorted both
    ways and each account's percentile, (accounts scored lower + (tied + 1) / 2) / n, the
    counts found by binary search (MATCH on the sorted scores)."""
    n, columns = refs.n, layout.SHARE_GRADE_COLUMNS
    score = scored["ICP_score"].to_numpy(dtype=float)
    ascending = np.sort(score)
    q = average_ranks(score) / n
    up, down = (f"{layout.LIVE}!${columns[k]}$2:${columns[k]}${n + 1}"
                for k in ("ascending", "descending"))  # fmt: skip
    cell = f"{layout.SCORES}!{SCORES_LETTERS['ICP_score']}{_ROW}"
    at_least = f"MATCH({cell},{down},-1)"  # accounts scored at least this (n - lower)
    template = f"=({n}-{at_least}+(MATCH({cell},{up},1)-{n}+{at_least}+1)/2)/{n}"
    rows: list[list[Any]] = [[layout.SHARE_GRADE_HEADERS[k] for k in columns]]
    for i in range(n):
        percentile = Formula(template.replace(_ROW, str(i + 2)), float(q[i]))
        rows.append([float(ascending[i]), percentile, float(ascending[n - 1 - i])])
    rows[1][0] = Formula(f"=SORTBY({refs.score},{refs.score},1)", rows[1][0], n)
    rows[1][2] = Formula(f"=SORTBY({refs.score},{refs.score},-1)", rows[1][2], n)
    return Block(layout.LIVE, f"{columns['ascending']}1", rows)


def _kpis(block: Block, refs: _Refs, calibrated: bool) -> Block:
    """The key figures (one cell per ``layout.KPI_FIELDS``) as formulas; ``calibrated``:
    "grades A+B" of the All Segments view from :func:`_share_grades`."""
    target, gp24 = refs.column("target_revenue"), refs.column("gp24")
    revenue = refs.column("annual_revenue")
    n_, total = _VIEW("view_accounts"), _VIEW("view_target")
    positive = f'{target},">0"'
    known = refs.criteria(f'{revenue},">0"')
    name = layout.KPI_NAMES
    top_target = "+".join(refs.sum(target, f'{refs.grade},"{g}"', positive) for g in TOP_GRADES)
    top_gp24 = "+".join(refs.sum(gp24, f'{refs.grade},"{g}"') for g in TOP_GRADES)
    high = f'{refs.score},">="&HighValueCutoff'
    top = _VIEW("top_count")
    ordered = _column_range("view_target", refs.n)
    portfolio = refs.column("ICP_score")
    formulas = {
        "customers": f"={n_}",
        "customer_share": f"={name['customers']}/ROWS({refs.segment})",
        "portfolio_average_score": (
            f"=AVERAGE({portfolio})"
            if refs.all
            else f'=IFERROR(AVERAGEIFS({portfolio},{refs.criteria()}),"")'
        ),
        "top_grades_target_share": f'=IFERROR(({top_target})/{total},"")',
        "top_grades_gp24_share": f'=IFERROR(({top_gp24})/{refs.sum(gp24)},"")',
        "top_decile_lift": (
            f'=IF({top}=0,"",IFERROR(SUM({layout.LIVE}!${layout.VIEW_COLUMNS["view_target"]}$2:'
            f'INDEX({ordered},{top}))/{total}/({top}/{n_}),""))'
        ),
        "high_value_customers": f"={refs.count(high)}",
        "high_value_gp24_share": f'=IFERROR({refs.sum(gp24, high)}/{refs.sum(gp24)},"")',
        "average_annual_revenue": f'=IFERROR(AVERAGEIFS({revenue},{known}),"")',
        "total_gp24": f"={refs.sum(gp24)}",
        "gp24_share": f'=IFERROR({name["total_gp24"]}/SUM({gp24}),"")',
        "average_gp24": f'=IFERROR({name["total_gp24"]}/{name["customers"]},"")',
    }
    if calibrated and refs.all:
        column = layout.SHARE_GRADE_COLUMNS["percentile"]
        best = f'{layout.LIVE}!${column}$2:${column}${refs.n + 1},">"&{_FIG("segment_cutoff_C")}'
        formulas["top_grades_target_share"] = (
            f'=IFERROR({refs.sum(target, best, positive)}/{total},"")'
        )
        formulas["top_grades_gp24_share"] = f'=IFERROR({refs.sum(gp24, best)}/{refs.sum(gp24)},"")'
    rows = [
        [_live(formulas[field], row[0])]
        for (field, *_), row in zip(layout.KPI_FIELDS, block.rows, strict=True)
    ]
    return Block(block.sheet, block.top_left, rows)


def _column_range(key: str, n: int) -> str:
    letter = layout.VIEW_COLUMNS[key]
    return f"{layout.LIVE}!${letter}$2:${letter}${n + 1}"


def _target_columns(
    refs: _Refs, scored: pd.DataFrame, mask: np.ndarray, in_view: np.ndarray
) -> Block:
    """Live N:O: the view's target revenue (0 outside it) ordered by the view's score, best
    first (ties by row order, as Python's lift and gains order them), and largest first."""
    n = refs.n
    target = refs.column("target_revenue")
    if refs.all:
        values, key = f"IF({target}>0,{target},0)", refs.score
        score = scored["ICP_score"].to_numpy(dtype=float)
    else:
        inside = f'({refs.segment}="{refs.view}")'
        values = f"IF(({target}>0)*{inside},{target},0)"
        key = f"IF({inside},{refs.score},-1)"
        score = np.where(mask, scored["segment_ICP_score"].to_numpy(dtype=float), -1.0)
    by_score = in_view[np.argsort(-score, kind="stable")]
    largest = np.sort(in_view)[::-1]
    rows: list[list[Any]] = [[layout.VIEW_HEADERS[k] for k in layout.VIEW_COLUMNS]]
    rows += [[float(a), float(b)] for a, b in zip(by_score, largest, strict=True)]
    seq = f"SEQUENCE({n})"
    rows[1] = [
        Formula(f"=SORTBY({values},{key},-1,{seq},1)", rows[1][0], n),
        Formula(f"=SORTBY({values},{values},-1)", rows[1][1], n),
    ]
    return Block(layout.LIVE, f"{layout.VIEW_COLUMNS['view_target']}1", rows)


def _one_decimal(value: float) -> str:
    """``value`` as Excel's TEXT(value, "0.0") shows it, "n/a" when it is not a number."""
    if value is None or not math.isfinite(value):
        return "n/a"
    return excel_fixed(value, 1)


def excel_fixed(value: float, decimals: int) -> str:
    """``value`` as Excel's TEXT(value, "0.00...") shows it with ``decimals`` decimals:
    rounded from its 15 significant digits, halves away from zero (Python's format rounds
    the binary value, so 0.125 gives 0.12 there and 0.13 in Excel)."""
    step = Decimal(1).scaleb(-decimals)
    return str(Decimal(f"{value:.15g}").quantize(step, ROUND_HALF_UP))


def weights_used(weights: Weights) -> Block:
    """The Dashboard's "Weights used" cell as a formula over the weight cells."""
    text = '&" / "&'.join(f'TEXT({layout.WEIGHT_NAMES[c]},"0.00")' for c in COMPONENTS)
    value = " / ".join(excel_fixed(getattr(weights, c), 2) for c in COMPONENTS)
    return Block(layout.DASHBOARD, layout.WEIGHTS_USED.ref, [[Formula(f"={text}", value)]])


def _rows(block: Block) -> list[list[Any]]:
    return [list(row) for row in block.rows]


def _score_hist(block: Block, refs: _Refs, stats: dict[str, float], height: float) -> Block:
    """Accounts per 5-point bin (the first x of each bin counts, the others repeat it) and
    the Q1, median, mean and Q3 markers and legend names from the view's figures
    (``stats``, the marker ``height``: Python's values of those figures)."""
    place, rows = section("score_hist"), _rows(block)
    x, accounts = place.letter("score"), place.letter("accounts")
    nbins = 100 // SCORE_BIN_WIDTH
    for j, key in enumerate(MARKERS):
        label = f"{MARKER_LABELS[key]} "
        rows[1][3 + j] = Formula(
            f'="{label}"&IF({_VIEW(key)}="","n/a",TEXT({_VIEW(key)},"0.0"))',
            label + _one_decimal(stats[key]),
        )
    for i in range(len(rows) - 2):
        r, row = FIRST_DATA_ROW + i, rows[2 + i]
        start = SCORE_BIN_WIDTH * min(i // SCORE_BIN_WIDTH, nbins - 1)
        if i == start:
            bounds = [f'{refs.score},">={start}"']
            if start // SCORE_BIN_WIDTH < nbins - 1:
                bounds.append(f'{refs.score},"<{start + SCORE_BIN_WIDTH}"')
            row[2] = Formula(f"=COUNTIFS({refs.criteria(*bounds)})", row[2])
        else:
            row[2] = Formula(f"={accounts}{FIRST_DATA_ROW + start}", row[2])
        for j, key in enumerate(MARKERS):
            value, figure = stats[key], _VIEW(key)
            shown = math.isfinite(value) and i == math.floor(value + 0.5)
            row[3 + j] = Formula(
                f'=IF({figure}="","",IF({x}{r}=ROUND({figure},0),{_VIEW("hist_height")},""))',
                height if shown else "",
            )
    return Block(block.sheet, block.top_left, rows)


def _raw_hist(block: Block, refs: _Refs) -> Block:
    """The raw score histogram's bins between the view's figures raw_low and raw_high (the
    same floating-point steps as numpy's linspace) and the accounts in each."""
    place, rows = section("raw_hist"), _rows(block)
    lower, upper = place.letter("lower"), place.letter("upper")
    low, high = _VIEW("raw_low"), _VIEW("raw_high")
    raw = refs.column("ICP_score_raw")
    for i in range(RAW_BINS):
        r, row = FIRST_DATA_ROW + i, rows[2 + i]
        last = i == RAW_BINS - 1
        row[0] = Formula(
            f'=TEXT({lower}{r},"0.0")&"-"&TEXT({upper}{r},"0.0")',
            f"{_one_decimal(row[1])}-{_one_decimal(row[2])}",
        )
        row[1] = Formula(f"={low}+{i}*(({high}-{low})/{RAW_BINS})", row[1])
        row[2] = Formula(f"={high}" if last else f"={low}+{i + 1}*(({high}-{low})/{RAW_BINS})",
                         row[2])  # fmt: skip
        above = f'{raw},">="&{lower}{r}'
        below = f'{raw},"{"<=" if last else "<"}"&{upper}{r}'
        row[3] = Formula(f"=COUNTIFS({refs.criteria(above, below)})", row[3])
    return Block(block.sheet, block.top_left, rows)


def _grades(block: Block, refs: _Refs) -> Block:
    """Each grade's share of the view's accounts and of its target revenue."""
    rows = _rows(block)
    n_, total = _VIEW("view_accounts"), _VIEW("view_target")
    target = refs.column("target_revenue")
    positive = f'{target},">0"'
    for row in rows[2:]:
        grade = f'{refs.grade},"{row[0]}"'
        row[1] = _live(f'=IF({n_}=0,"",{refs.count(grade)}/{n_})', row[1])
        row[2] = _live(f'=IF({total}>0,{refs.sum(target, grade, positive)}/{total},"")', row[2])
    return Block(block.sheet, block.top_left, rows)


def _view_box(block: Block, refs: _Refs) -> Block:
    """The view's box plot rows: quartiles, mean and Tukey whiskers of the portfolio-wide
    ICP score per segment in the view (other segments' rows stay blank)."""
    place, rows = section("view_box"), _rows(block)
    icp = refs.column("ICP_score")
    cell = {c: place.letter(c) for c in place.section.columns}
    for i, row in enumerate(rows[2 : 2 + len(SEGMENTS)]):
        name, r = row[0], FIRST_DATA_ROW + i
        if not refs.all and name != refs.view:
            continue
        inside = f'({refs.segment}="{name}")'
        values = f"IF({inside},{icp})"
        at = {c: f"{cell[c]}{r}" for c in cell}
        q1, q3, count = at["q1"], at["q3"], at["accounts"]
        low, high = f"{q1}-1.5*({q3}-{q1})", f"{q3}+1.5*({q3}-{q1})"
        formulas = {
            "q1": f'=IF({count}=0,"",PERCENTILE({values},0.25))',
            "median": f'=IF({count}=0,"",MEDIAN({values}))',
            "q3": f'=IF({count}=0,"",PERCENTILE({values},0.75))',
            "mean": f'=IF({count}=0,"",AVERAGE({values}))',
            "low": f'=IF({count}=0,"",MIN(IF({inside}*({icp}>={low}),{icp})))',
            "high": f'=IF({count}=0,"",MAX(IF({inside}*({icp}<={high}),{icp})))',
            "base": f'=IF({count}=0,"",{q1})',
            "lower_box": f'=IF({count}=0,"",{at["median"]}-{q1})',
            "upper_box": f'=IF({count}=0,"",{q3}-{at["median"]})',
            "whisker_down": f'=IF({count}=0,"",{q1}-{at["low"]})',
            "whisker_up": f'=IF({count}=0,"",{at["high"]}-{q3})',
            "accounts": f'=COUNTIF({refs.segment},"{name}")',
        }
        for column, text in formulas.items():
            j = place.section.columns.index(column)
            row[j] = _live(text, row[j], array=True)
    return Block(block.sheet, block.top_left, rows)


def _weights(block: Block) -> Block:
    """The current weights, read from the weight cells."""
    rows = _rows(block)
    for row, component in zip(rows[2:], COMPONENTS, strict=False):
        row[1] = Formula(f"={layout.WEIGHT_NAMES[component]}", row[1])
    return Block(block.sheet, block.top_left, rows)


def _industries(
    refs: _Refs,
    frame: pd.DataFrame,
    settings: Settings,
    mask: np.ndarray,
    scores: pd.Series,
    block: Block,
) -> tuple[Block, Block]:
    """The industry chart's rows, sorted live by average view score, and their helper table
    (Live Q:T): the industries Python found largest in the view, with live counts and
    averages (an account counts by the vertical-table industry it matched, Live column A)."""
    labels = pd.Series(resolve_industries(frame["industry"][mask], settings).label)
    table = largest_industries(labels, scores)
    m, n = len(table), refs.n
    label_col = f"{layout.LIVE}!$A$2:$A${n + 1}"
    q, cnt, avg, text = "QRST"
    helper: list[list[Any]] = [list(layout.INDUSTRY_HELPER_HEADERS)]
    for i, item in enumerate(table.itertuples()):
        r = 2 + i
        key = "" if item.industry == UNKNOWN_INDUSTRY_LABEL else item.industry
        same = f"EXACT({label_col},{q}{r})*1{refs.mask()}"
        helper.append(
            [
                key,
                Formula(f"=SUMPRODUCT({same})", int(item.size)),
                _live(f'=IFERROR(SUMPRODUCT({same}*{refs.score})/{cnt}{r},"")', float(item.mean)),
                Formula(
                    f'=IF({q}{r}="","{UNKNOWN_INDUSTRY_LABEL}",{q}{r})'
                    f'&" ("&TEXT({cnt}{r},"#,##0")&")"',
                    f"{item.industry} ({item.size:,})",
                ),
            ]
        )
    rows = _rows(block)
    column = {c: f"{layout.LIVE}!${c}$2:${c}${m + 1}" for c in (cnt, avg, text)}
    for i in range(m):
        row = rows[2 + i]
        for j, source in enumerate((text, avg, cnt)):
            order = f"SORTBY({column[source]},{column[avg]},-1,SEQUENCE({m}),1)"
            row[j] = _live(f"=INDEX({order},{i + 1})", row[j])
    return Block(block.sheet, block.top_left, rows), Block(
        layout.LIVE, layout.INDUSTRY_HELPER_TOP_LEFT, helper
    )


def _scatter(block: Block, mask: np.ndarray, x_field: str, y_field: str) -> Block:
    """A sampled scatter: the same accounts as Python's sample (the view's rows of
    ``mask``, evenly), each point's x and y read from its Scores cells."""
    rows = _rows(block)
    picked = np.flatnonzero(mask)[even_sample(int(mask.sum()), SCATTER_POINTS)]
    x, y = SCORES_LETTERS[x_field], SCORES_LETTERS[y_field]
    for row, position in zip(rows[2:], picked.tolist(), strict=False):
        r = position + 2
        for j, value in enumerate(row):
            if value is not None:
                row[j] = Formula(f"={layout.SCORES}!${x if j == 0 else y}${r}", value)
    return Block(block.sheet, block.top_left, rows)


def _gains(block: Block, n: int) -> Block:
    """The gains curves: at each share x of the view's accounts, the share of its target
    revenue held by the first x * N in score order (Live N) and largest first (Live O),
    interpolated between whole accounts as numpy's interp does."""
    place, rows = section("gains"), _rows(block)
    share = place.letter("account_share")
    n_, total = _VIEW("view_accounts"), _VIEW("view_target")
    for i in range(len(rows) - 2):
        r, row = FIRST_DATA_ROW + i, rows[2 + i]
        for j, key in ((1, "view_target"), (3, "best_target")):
            column = _column_range(key, n)
            first = column.split(":")[0]
            p = f"{share}{r}*{n_}"
            whole = f"MIN(INT({p}),{n_}-1)"  # accounts wholly in, then a part of the next
            row[j] = _live(
                f"=IF({total}>0,(IF({whole}=0,0,SUM({first}:INDEX({column},{whole})))"
                f'+({p}-{whole})*INDEX({column},{whole}+1))/{total},"")',
                row[j],
            )
    return Block(block.sheet, block.top_left, rows)
