"""Live mode's formulas: every cell of the Scores table that the model computes, as a native
Excel formula over the Scores input columns, the Settings tables, the weight names and the
helper cells of the Live sheet, each with the value Python computed for it.

The formulas follow docs/scoring.md step by step, in the order Python adds and rounds:

- components: LN(1+MAX(x,0)) scaled with the population's (or, Calibrated, the frozen)
  min and max, 0 for a constant column; size tiers first match wins; the vertical score
  looked up by the industry label Python matched (Live!A), so editing a vertical score
  recalculates;
- points 100*(weight*component), raw = the four points added in component order;
- ranks in O(n log n): the row numbers ordered by (raw rounded to 9 decimals, row) with
  SORTBY, and that permutation inverted by a second SORTBY (two fixed-size array formulas
  on the Live sheet, outside the table: Excel allows no spilled array in a table);
- ICP score = clip(50 + 15 * NORM.S.INV((rank - 0.5) / n), 0, 100); grades from the
  average rank of the score, which only the accounts clipped to 0 or 100 share (two
  COUNTIF cells give their average rank);
- Calibrated mode: the percentile interpolated between the calibration's points (MATCH
  on the sorted points, then the same line numpy.interp draws), grades by its bounds.

Formulas are written as typed in English Excel; the file host adds the ``_xlfn.``
prefixes. Pure: nothing here reads or writes a workbook.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from icp_xl.core.inputs.cells import column_letter
from icp_xl.core.insight.explain import POINTS_COLUMNS
from icp_xl.core.model.calibration import Calibration
from icp_xl.core.model.scoring import rank_key
from icp_xl.core.model.settings import COMPONENTS, GRADES, SEGMENTS
from icp_xl.workbook import layout
from icp_xl.workbook.blocks import Block, Formula, cell_value, column_cells

# Scores fields the model computes (formulas in Live mode), and the inputs they read.
SCORES_LETTERS = {field: column_letter(i + 1) for i, (_, field) in enumerate(layout.SCORES_FIELDS)}
LIVE_FIELDS: tuple[str, ...] = (
    "customer_segment",
    "vertical_score",
    "size_score",
    "adoption_score",
    "relationship_score",
    *(POINTS_COLUMNS[c] for c in COMPONENTS),
    "ICP_score_raw",
    "ICP_score",
    "ICP_grade",
    "ICP_score_change",
    "segment_ICP_score",
    "segment_ICP_grade",
)
# Scores input columns that link to Accounts cells (where those cells are plain numbers):
# field -> the Accounts fields it is read from, tried in order (a sum when several).
LINKED_INPUTS: Mapping[str, tuple[tuple[str, ...], ...]] = MappingProxyType(
    {
        "annual_revenue": (("annual_revenue",),),
        "printer_count": (("printer_count",), ("big_box_count", "small_box_count")),
        "consumable_revenue": (("consumable_revenue",),),
        "software_revenue": (("software_license_revenue", "saas_revenue", "maintenance_revenue"),),
    }
)
_SCALED = {"printers": "printer_count", "consumables": "consumable_revenue",
           "software": "software_revenue"}  # fmt: skip
_L = layout.LIVE_COLUMNS
_S = layout.SEGMENT_COLUMNS
_ROW = "\x00"  # stands for the row number in a column's formula template
_FIG = layout.live_figure_ref


@dataclass(frozen=True)
class LiveScores:
    """What Live mode writes: the Scores rows with formulas in :data:`LIVE_FIELDS` (and links
    in the linked input columns), and the Live sheet's blocks."""

    rows: list[list[Any]]
    live_blocks: list[Block]


def live_scores(
    rows: Sequence[Sequence[Any]],
    scored: pd.DataFrame,
    frame: pd.DataFrame,
    labels: np.ndarray,
    settings_cutoffs: Sequence[float],
    calibration: Calibration | None = None,
    links: dict[str, list[str | None]] | None = None,
) -> LiveScores:
    """Scores ``rows`` (values in :data:`~icp_xl.workbook.layout.SCORES_FIELDS` order, one per
    account, table header in row 1 of the Scores sheet) turned live.

    ``scored``: the scoring result (Python's values, cached with each formula); ``frame``:
    the prepared accounts; ``labels``: each account's vertical-table industry as matched (its
    own text when unmatched, '' when blank); ``settings_cutoffs``: the grade cutoffs of
    Relative mode; ``calibration``: the one Calibrated mode scores against (None:
    Relative); ``links``: per linked input field, the Accounts cell each account's value
    comes from (e.g. ``Accounts!D5``), None where the value is not that cell's number.
    """
    n = len(rows)
    out = [list(r) for r in rows]
    index = {field: i for i, (_, field) in enumerate(layout.SCORES_FIELDS)}
    for field, refs in (links or {}).items():
        column = index[field]
        for i, ref in enumerate(refs):
            if ref is not None:
                out[i][column] = Formula(f"={ref}", out[i][column])
    per_row = _row_formulas(n, calibration)
    for field in LIVE_FIELDS:
        column = index[field]
        make, array = per_row[field]
        # One template per column, the row number put in by replacement (the formula of
        # row r only differs by r): building each text anew cost more than writing it.
        template = make(_ROW)
        rows_of = 1 if array else 0
        for i in range(n):
            text = template.replace(_ROW, str(i + 2))
            out[i][column] = Formula(text, out[i][column], rows_of)
    blocks = _live_blocks(n, scored, frame, labels, settings_cutoffs, calibration)
    return LiveScores(out, blocks)


def _row_formulas(n: int, calibration: Calibration | None) -> dict[str, tuple[Any, bool]]:
    """Per field: (row number, or a placeholder for it -> formula text, whether it is a
    one-cell array formula)."""
    c = SCORES_LETTERS
    w = layout.WEIGHT_NAMES
    live = layout.LIVE

    def scaled(name: str, x: str) -> str:
        low, high = _FIG(f"{name}_min"), _FIG(f"{name}_max")
        value = f"(LN(1+MAX({x},0))-{low})/({high}-{low})"
        if calibration is not None:
            value = f"MIN(MAX({value},0),1)"
        return f"IF({high}>{low},{value},0)"

    tiers = "SizeTiers"
    size = (
        "=IF(AND(ISNUMBER({q}),{q}>0),IFERROR(INDEX({t}[Size score],MATCH(1,"
        '({q}>={t}[Lower (USD)])*((({t}[Upper (USD)]="")+({q}<{t}[Upper (USD)]))>0),0)),'
        "NeutralSizeScore),NeutralSizeScore)"
    )
    small, mid, large = SEGMENTS
    points = {comp: POINTS_COLUMNS[comp] for comp in COMPONENTS}
    formulas: dict[str, tuple[Any, bool]] = {
        "customer_segment": (
            lambda r: (
                f"=IF(AND(ISNUMBER({c['annual_revenue']}{r}),{c['annual_revenue']}{r}>0),"
                f'IF({c["annual_revenue"]}{r}>MidMarketMax,"{large}",IF({c["annual_revenue"]}{r}'
                f'>SmallBusinessMax,"{mid}","{small}")),"{small}")'
            ),
            False,
        ),
        "vertical_score": (
            lambda r: (
                f'=IF({live}!{_L["label"]}{r}="",UnknownIndustryScore,IFERROR(INDEX('
                f"VerticalTable[Vertical score],XMATCH({live}!{_L['label']}{r},"
                f"VerticalTable[Industry])),UnknownIndustryScore))"
            ),
            False,
        ),
        "size_score": (lambda r: size.format(q=f"{c['annual_revenue']}{r}", t=tiers), True),
        "adoption_score": (
            lambda r: (
                f"=0.5*{scaled('printers', c['printer_count'] + str(r))}"
                f"+0.5*{scaled('consumables', c['consumable_revenue'] + str(r))}"
            ),
            False,
        ),
        "relationship_score": (
            lambda r: f"={scaled('software', c['software_revenue'] + str(r))}",
            False,
        ),
        **{
            points[comp]: (
                lambda r, comp=comp: f"=100*({w[comp]}*{c[f'{comp}_score']}{r})",
                False,
            )
            for comp in COMPONENTS
        },
        "ICP_score_raw": (
            lambda r: "=" + "+".join(f"{c[points[p]]}{r}" for p in COMPONENTS),
            False,
        ),
        "ICP_score": (
            lambda r: f"=MIN(MAX(50+15*NORM.S.INV({_percentile(r, calibration)}),0),100)",
            False,
        ),  # fmt: skip
        "ICP_grade": (lambda r: _grade(f"{live}!{_Q}{r}"), False),
        "segment_ICP_score": (
            lambda r: (
                f"=MIN(MAX(50+15*NORM.S.INV(({live}!{_S['segment_rank']}{r}-0.5)/"
                f"{_by_segment(c['customer_segment'] + str(r), 'count')}),0),100)"
            ),
            False,
        ),
        "segment_ICP_grade": (
            lambda r: _grade(f"{live}!{_S['segment_percentile']}{r}", "segment_cutoff"),
            False,
        ),
        "ICP_score_change": (
            lambda r: (
                f"=IF(ISNUMBER({c['previous_ICP_score']}{r}),"
                f'{c["ICP_score"]}{r}-{c["previous_ICP_score"]}{r},"")'
            ),
            False,
        ),
    }
    return formulas


_Q = "G"  # Live sheet: the percentile the grade is read from (average rank / n, or p)


def _percentile(r: int, calibration: Calibration | None) -> str:
    if calibration is not None:
        return f"{layout.LIVE}!{_L['percentile']}{r}"
    return f"({layout.LIVE}!{_L['rank']}{r}-0.5)/{_FIG('accounts')}"


def _grade(q: str, cutoffs: str = "cutoff") -> str:
    """Grade letter from percentile cell ``q``: the first grade whose cutoff (the Live
    figures ``cutoffs``_F ...) it does not exceed (F, D, C, B), else A."""
    text = f'"{GRADES[-1]}"'
    for grade in reversed(GRADES[:-1]):
        text = f'IF({q}<={_FIG(f"{cutoffs}_{grade}")},"{grade}",{text})'
    return "=" + text


def _by_segment(segment_cell: str, kind: str) -> str:
    """The Live figure ``kind``_<segment> of the segment named in ``segment_cell``."""
    small, mid, large = SEGMENTS
    return (
        f'IF({segment_cell}="{small}",{_FIG(f"{kind}_{small}")},'
        f'IF({segment_cell}="{mid}",{_FIG(f"{kind}_{mid}")},{_FIG(f"{kind}_{large}")}))'
    )


def _live_blocks(
    n: int,
    scored: pd.DataFrame,
    frame: pd.DataFrame,
    labels: np.ndarray,
    cutoffs: Sequence[float],
    calibration: Calibration | None,
) -> list[Block]:
    """The Live sheet: header row, per-account helper columns A-G and the figures H:I."""
    last = n + 1
    raw = scored["ICP_score_raw"].to_numpy(dtype=float)
    icp = scored["ICP_score"].to_numpy(dtype=float)
    scores_icp = (
        f"{layout.SCORES}!${SCORES_LETTERS['ICP_score']}$2:${SCORES_LETTERS['ICP_score']}${last}"
    )
    live = layout.LIVE
    columns: dict[str, list[Any]] = {"label": column_cells(pd.Series(labels, dtype=object))}
    q_column: list[Any]
    if calibration is None:
        order = np.argsort(rank_key(raw), kind="stable")
        ranks = np.empty(n, dtype=np.int64)
        ranks[order] = np.arange(1, n + 1)
        seq = f"SEQUENCE({n})"
        order_col, rank_col, key_col = _L["order"], _L["rank"], _L["key"]
        columns["key"] = _key_column(n, raw)
        columns["order"] = [
            Formula(
                f"=SORTBY({seq},{live}!${key_col}$2:${key_col}${last},1,{seq},1)",
                int(order[0]) + 1,
                n,
            ),
            *(int(v) + 1 for v in order[1:]),
        ]
        columns["rank"] = [
            Formula(
                f"=SORTBY({seq},{live}!${order_col}$2:${order_col}${last},1)", int(ranks[0]), n
            ),
            *(int(v) for v in ranks[1:]),
        ]
        zero, hundred = (icp == 0.0).sum(), (icp == 100.0).sum()
        q = (
            np.where(
                icp == 0.0, (1 + zero) / 2, np.where(icp == 100.0, (2 * n - hundred + 1) / 2, ranks)
            )
            / n
        )
        icp_col = SCORES_LETTERS["ICP_score"]
        q_column = [
            Formula(
                f"=IF({layout.SCORES}!{icp_col}{r}=0,(1+{_FIG('zero_count')})/2,"
                f"IF({layout.SCORES}!{icp_col}{r}=100,(2*{_FIG('accounts')}-{_FIG('hundred_count')}+1)/2,"
                f"{rank_col}{r}))/{_FIG('accounts')}",
                float(v),
            )
            for r, v in zip(range(2, last + 1), q, strict=True)
        ]
        figures = _relative_figures(n, frame, scores_icp, zero, hundred, cutoffs)
    else:
        q_column, figures = _calibrated_columns(n, raw, calibration, columns)
    rows = [[layout.LIVE_HEADERS[k] for k in layout.LIVE_COLUMNS] + ["Percentile (grades)"]]
    keys = list(layout.LIVE_COLUMNS)
    for i in range(n):
        rows.append([columns[k][i] if k in columns else None for k in keys] + [q_column[i]])
    segment_block, segment_figures = _segment_columns(n, scored, cutoffs)
    figures.update(segment_figures)
    figure_rows = [[layout.LIVE_FIGURE_LABELS[k], figures[k]] for k in layout.LIVE_FIGURES]
    return [
        Block(live, "A1", rows),
        segment_block,
        Block(live, layout.LIVE_NOTE_CELL, [[layout.LIVE_NOTE]]),
        Block(live, layout.LIVE_FIGURES_TOP_LEFT, figure_rows),
    ]


def _segment_columns(
    n: int, scored: pd.DataFrame, cutoffs: Sequence[float]
) -> tuple[Block, dict[str, Any]]:
    """The within-segment score's helper columns (Live J:M) and figures: the row numbers
    ordered by (segment, rank key, row) with one SORTBY, each row's place in that order by a
    second one, minus the accounts of the segments before it: the rank inside its segment
    (:func:`icp_xl.core.model.segments.within_segment_scores`, ties by row order)."""
    live, last = layout.LIVE, n + 1
    segment = scored["customer_segment"].to_numpy(dtype=object)
    code = np.select([segment == s for s in SEGMENTS], range(len(SEGMENTS)), len(SEGMENTS))
    keys = rank_key(scored["ICP_score_raw"].to_numpy(dtype=float))
    order = np.lexsort((np.arange(n), keys, code))
    position = np.empty(n, dtype=np.int64)
    position[order] = np.arange(1, n + 1)
    counts = {s: int((segment == s).sum()) for s in SEGMENTS}
    before = np.cumsum([0, *counts.values()])[code]
    rank = position - before
    score = scored["segment_ICP_score"].to_numpy(dtype=float)
    figures: dict[str, Any] = {}
    sizes = np.zeros(n)
    q = rank.astype(float)
    seg_col, score_col = SCORES_LETTERS["customer_segment"], SCORES_LETTERS["segment_ICP_score"]
    segments = f"{layout.SCORES}!${seg_col}$2:${seg_col}${last}"
    segment_scores = f"{layout.SCORES}!${score_col}$2:${score_col}${last}"
    for name in SEGMENTS:
        inside = segment == name
        size, zero, hundred = counts[name], (score[inside] == 0).sum(), (score[inside] == 100).sum()
        sizes[inside] = size
        q[inside & (score == 0)] = (1 + zero) / 2
        q[inside & (score == 100)] = (2 * size - hundred + 1) / 2
        figures[f"count_{name}"] = Formula(f'=COUNTIF({segments},"{name}")', size)
        for kind, value, total in (("zero", 0, zero), ("hundred", 100, hundred)):
            figures[f"{kind}_{name}"] = Formula(
                f'=COUNTIFS({segments},"{name}",{segment_scores},{value})', int(total)
            )
    q = q / np.maximum(sizes, 1)
    shares = [layout.GRADE_SHARE_NAMES[g] for g in GRADES[:-1]]
    for i, grade in enumerate(GRADES[:-1]):
        figures[f"segment_cutoff_{grade}"] = Formula(
            f"=ROUND({'+'.join(shares[: i + 1])},12)", float(cutoffs[i])
        )
    seq = f"SEQUENCE({n})"
    codes = f'({segments}="{SEGMENTS[1]}")+2*({segments}="{SEGMENTS[2]}")'  # 0, 1, 2
    key_col = _L["key"]
    order_col, rank_col = _S["segment_order"], _S["segment_rank"]
    position_col = _S["segment_position"]
    body: list[list[Any]] = [[layout.SEGMENT_HEADERS[k] for k in layout.SEGMENT_COLUMNS]]
    # One template per column, the row number put in by replacement (as in live_scores).
    seg, seg_score = f"{layout.SCORES}!{seg_col}{_ROW}", f"{layout.SCORES}!{score_col}{_ROW}"
    first, second = (_FIG(f"count_{s}") for s in SEGMENTS[:2])
    offset = f'IF({seg}="{SEGMENTS[0]}",0,IF({seg}="{SEGMENTS[1]}",{first},{first}+{second}))'
    rank_text = f"={position_col}{_ROW}-{offset}"
    q_text = (
        f"=IF({seg_score}=0,(1+{_by_segment(seg, 'zero')})/2,IF({seg_score}=100,"
        f"(2*{_by_segment(seg, 'count')}-{_by_segment(seg, 'hundred')}+1)/2,"
        f"{rank_col}{_ROW}))/{_by_segment(seg, 'count')}"
    )
    for i in range(n):
        r = str(i + 2)
        body.append(
            [
                int(order[i]) + 1,
                int(position[i]),
                Formula(rank_text.replace(_ROW, r), int(rank[i])),
                Formula(q_text.replace(_ROW, r), float(q[i])),
            ]
        )
    body[1][0] = Formula(
        f"=SORTBY({seq},{codes},1,{live}!${key_col}$2:${key_col}${last},1,{seq},1)",
        body[1][0],
        n,
    )
    body[1][1] = Formula(
        f"=SORTBY({seq},{live}!${order_col}$2:${order_col}${last},1)", body[1][1], n
    )
    return Block(live, f"{order_col}1", body), figures


def _key_column(n: int, raw: np.ndarray) -> list[Formula]:
    """Live column D: each raw score rounded to 9 decimals, as it is ranked."""
    raw_col = SCORES_LETTERS["ICP_score_raw"]
    return [
        Formula(f"=ROUND({layout.SCORES}!{raw_col}{r},9)", float(v))
        for r, v in zip(range(2, n + 2), rank_key(raw), strict=True)
    ]


def _relative_figures(
    n: int, frame: pd.DataFrame, scores_icp: str, zero: int, hundred: int, cutoffs: Sequence[float]
) -> dict[str, Any]:
    """The Live figures of Relative mode: population min/max of each scaled input's log,
    the counts of accounts clipped to 0 and 100, and the grade cutoffs."""
    figures: dict[str, Any] = {"accounts": n}
    for name, field in _SCALED.items():
        letter = SCORES_LETTERS[field]
        cells = f"{layout.SCORES}!${letter}$2:${letter}${n + 1}"
        x = np.asarray(frame[field], dtype=float)
        for limit, pick in (("min", np.min), ("max", np.max)):
            value = math.log(1.0 + max(float(pick(x)), 0.0))
            figures[f"{name}_{limit}"] = Formula(f"=LN(1+MAX({limit.upper()}({cells}),0))", value)
    figures["zero_count"] = Formula(f"=COUNTIF({scores_icp},0)", int(zero))
    figures["hundred_count"] = Formula(f"=COUNTIF({scores_icp},100)", int(hundred))
    shares = [layout.GRADE_SHARE_NAMES[g] for g in GRADES[:-1]]
    for i, grade in enumerate(GRADES[:-1]):
        total = "+".join(shares[: i + 1])
        figures[f"cutoff_{grade}"] = Formula(f"=ROUND({total},12)", float(cutoffs[i]))
    return figures


def _calibrated_columns(
    n: int, raw: np.ndarray, calibration: Calibration, columns: dict[str, list]
) -> tuple[list[Any], dict[str, Any]]:
    """Calibrated mode's helper columns (rank key, point, percentile) and figures (the
    frozen log ranges and grade bounds of the calibration table)."""
    from icp_xl.workbook.calibration_table import calibration_rows

    items = [row[0] for row in calibration_rows(calibration)]
    top = int(layout.CALIBRATION_TABLE.top_left[1:]) + 1  # first body row
    value_col, p_col = "R", "S"

    def cell(item: str, column: str) -> str:
        return f"{layout.SETTINGS}!${column}${top + items.index(item)}"

    first = top + items.index("Raw score")
    m = len(calibration.points)
    end = first + m - 1
    xs = f"{layout.SETTINGS}!${value_col}${first}:${value_col}${end}"
    ps = f"{layout.SETTINGS}!${p_col}${first}:${p_col}${end}"
    point_x = np.array([x for x, _ in calibration.points])
    keys = rank_key(raw)
    points = np.searchsorted(point_x, keys, side="right")
    p = calibration.percentiles(raw)
    k, j, f = _L["key"], _L["point"], _L["percentile"]
    columns["key"] = _key_column(n, raw)
    columns["point"] = [
        Formula(f"=IFERROR(MATCH({k}{r},{xs},1),0)", int(v))
        for r, v in zip(range(2, n + 2), points, strict=True)
    ]
    first_x, first_p = (
        f"{layout.SETTINGS}!${value_col}${first}",
        f"{layout.SETTINGS}!${p_col}${first}",
    )
    last_x, last_p = f"{layout.SETTINGS}!${value_col}${end}", f"{layout.SETTINGS}!${p_col}${end}"
    columns["percentile"] = [
        Formula(
            f"=IF({k}{r}<={first_x},{first_p},IF({k}{r}>={last_x},{last_p},"
            f"(INDEX({ps},{j}{r}+1)-INDEX({ps},{j}{r}))/(INDEX({xs},{j}{r}+1)-INDEX({xs},{j}{r}))"
            f"*({k}{r}-INDEX({xs},{j}{r}))+INDEX({ps},{j}{r})))",
            float(v),
        )
        for r, v in zip(range(2, n + 2), p, strict=True)
    ]
    q_column = [Formula(f"={f}{r}", float(v)) for r, v in zip(range(2, n + 2), p, strict=True)]
    figures: dict[str, Any] = {"accounts": n}
    for name in _SCALED:
        low, high = calibration.log_ranges[name]
        figures[f"{name}_min"] = Formula(f"={cell(f'{name.title()} log1p min', value_col)}", low)
        figures[f"{name}_max"] = Formula(f"={cell(f'{name.title()} log1p max', value_col)}", high)
    figures["zero_count"] = figures["hundred_count"] = None
    for grade, bound in zip(GRADES[:-1], calibration.grade_bounds, strict=True):
        figures[f"cutoff_{grade}"] = Formula(f"={cell(f'Grade {grade} up to', p_col)}", bound)
    return q_column, figures


def input_links(
    raw: pd.DataFrame,
    frame: pd.DataFrame,
    source_columns: dict[str, str],
    sheet: str,
    top: int,
    left: int,
) -> dict[str, list[str | None]]:
    """Per :data:`LINKED_INPUTS` field, the formula each account's value is in the Accounts
    sheet (``Accounts!D5``, or a sum such as ``Accounts!E5+Accounts!F5`` for the box counts
    and the three software revenues), or None where it is not: a cell read out of text,
    unknown revenue, a value that differs from the cells' sum. ``raw``: the Accounts table
    as read; its header row is sheet row ``top``, its first column ``left``."""
    headers = [str(h) for h in raw.columns]
    cells = {}
    for field, header in source_columns.items():
        if header in headers:
            position = headers.index(header)
            cells[field] = (column_letter(left + position), raw.iloc[:, position].tolist())
    links: dict[str, list[str | None]] = {}
    for field, choices in LINKED_INPUTS.items():
        values = np.asarray(frame[field], dtype=float)
        refs: list[str | None] = [None] * len(values)
        for sources in choices:
            if not all(s in cells for s in sources):
                continue
            for i, value in enumerate(values):
                if refs[i] is None:
                    refs[i] = _link(sheet, top + 1 + i, [cells[s] for s in sources], i, value)
        links[field] = refs
    return links


def _link(
    sheet: str, row: int, sources: list[tuple[str, list]], i: int, value: float
) -> str | None:
    """``=Accounts!A5+...`` when the cells at position ``i`` are numbers (or blank, counted 0,
    when summed) adding up, in order, to ``value`` exactly; else None."""
    total, refs = None, []
    for letter, column in sources:
        cell = cell_value(column[i])
        if cell is None and len(sources) > 1:
            cell = 0.0
        if type(cell) not in (int, float) or not math.isfinite(cell):
            return None
        total = float(cell) if total is None else total + float(cell)
        refs.append(f"{sheet}!{letter}{row}")
    if total != value or not refs:
        return None
    return "+".join(refs)
