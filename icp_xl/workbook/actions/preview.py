"""Preview of candidate weights on the Optimization sheet: what they would do to the
grades and KPIs before anything is applied. Optimize fills the Candidate weights with
the optimized ones; any weights typed there are previewed on the next Rescore."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from icp_xl.core.errors import IcpError
from icp_xl.core.insight.movers import (
    BEST_FIRST,
    FIXED_BY_RANKS_NOTE,
    TOP_SHARES,
    Preview,
    preview,
)
from icp_xl.core.insight.outcomes import TOTAL, graded_outcomes
from icp_xl.core.model.calibration import RELATIVE, calibrate, score_in_mode
from icp_xl.core.model.settings import COMPONENTS, Weights
from icp_xl.core.model.target import DEFAULT_TARGET_FIELDS
from icp_xl.core.optimization.objective import TARGET_HEADER
from icp_xl.workbook import layout
from icp_xl.workbook.actions.scoring import Scored
from icp_xl.workbook.blocks import Block, cell_value
from icp_xl.workbook.book import Book
from icp_xl.workbook.inputs import read_weights


def candidate_weights(book: Book) -> Weights | None:
    """The Candidate weights on the Optimization sheet; None when all four are blank.
    Raises IcpError naming the cells when they are not four weights summing to 1."""
    names = layout.CANDIDATE_WEIGHT_NAMES
    if all(book.read_name(names[c]) in (None, "") for c in COMPONENTS):
        return None
    return read_weights(book, names)


def preview_weights(
    result: Scored,
    candidate: Weights,
    keep_calibration: bool = False,
    opportunities: pd.DataFrame | None = None,
    target: Sequence[str] = DEFAULT_TARGET_FIELDS,
) -> Preview:
    """Score ``result``'s accounts with ``candidate`` as applying them would, and compare
    with ``result``: in the same mode; in Calibrated mode against a calibration frozen anew
    with ``candidate`` on these accounts (as applying weights does), or against the current
    one with ``keep_calibration`` (or when the candidate is the current weights). With the
    CRM ``opportunities`` (typed, :mod:`icp_xl.core.inputs.opportunities`), also their
    win rates, lift and AUC under both. ``target``: the optimizer's target fields; when
    they are not the target revenue the figures rank against, the Spearman's label names
    that column."""
    settings = result.settings.with_weights(candidate)
    calibration = result.calibration
    if calibration is not None and not keep_calibration and candidate != result.settings.weights:
        calibration = calibrate(result.accounts, settings, calibration.calibrated_at)
    scored = score_in_mode(result.accounts, settings, result.mode, calibration)
    found = preview(result.accounts.frame, result.scored, scored, result.settings,
                    relative=result.mode == RELATIVE)  # fmt: skip
    if tuple(target) != DEFAULT_TARGET_FIELDS:
        column = result.accounts.source_columns.get("target_revenue", TARGET_HEADER)
        found = dataclasses.replace(found, spearman_column=column)
    if opportunities is None:
        return found
    ids = pd.Index(result.accounts.frame["customer_id"].astype(str))
    outcomes = tuple(graded_outcomes(ids, s, opportunities) for s in (result.scored, scored))
    return dataclasses.replace(found, outcomes=outcomes)


def preview_rows(found: Preview) -> list[list[Any]]:
    """The preview as rows for the Optimization sheet (7 columns, K-Q)."""
    width = 7
    rows: list[list[Any]] = [
        ["Grade migration: accounts by current grade (rows) and candidate grade"],
        ["Now \\ Candidate", *BEST_FIRST, "Total"],
    ]
    m = found.matrix
    rows += [[g, *(int(v) for v in m.loc[g]), int(m.loc[g].sum())] for g in BEST_FIRST]
    rows += [["Total", *(int(v) for v in m.sum()), int(m.to_numpy().sum())], []]
    rows += [
        ["Figure", "Candidate", "Current"],  # the columns of the weights above
        *([label, then, now] for label, now, then, _ in preview_figures(found)),
        *([[FIXED_BY_RANKS_NOTE]] if found.relative else []),
        *([note] for note in spearman_note(found)),
        [],
        [f"Entering grade A ({len(found.entering_a):,})", None,
         f"Leaving grade A ({len(found.leaving_a):,})"],
    ]  # fmt: skip
    shown = 15
    for i in range(min(max(len(found.entering_a), len(found.leaving_a)), shown)):
        enter = found.entering_a[i] if i < len(found.entering_a) else None
        leave = found.leaving_a[i] if i < len(found.leaving_a) else None
        rows.append([enter, None, leave])
    if max(len(found.entering_a), len(found.leaving_a)) > shown:
        rows.append([f"(first {shown} of each)"])
    return [[cell_value(v) for v in r] + [None] * (width - len(r)) for r in rows]


def write_preview(book: Book, result: Scored) -> Preview | None:
    """Write the preview of the Candidate weights (and the current weights beside them),
    with the Outcomes under both when the workbook has opportunities; a note instead when
    there are no candidate weights or they are not valid. Never fails the rescore for a
    bad candidate."""
    from icp_xl.workbook.actions.optimization import target_choice
    from icp_xl.workbook.actions.outcomes import read_stored_opportunities

    sheet = layout.OPTIMIZATION
    current = result.settings.weights
    book.write_block(
        Block(sheet, layout.PREVIEW_CURRENT_TOP, [[getattr(current, c)] for c in COMPONENTS])
    )
    book.clear_range(sheet, layout.PREVIEW_AREA)
    book.clear_range(sheet, layout.OUTCOMES_PREVIEW_AREA)
    try:
        candidate = candidate_weights(book)
    except IcpError as error:
        book.write_block(Block(sheet, layout.PREVIEW_TOP, [[f"No preview: {error}"]]))
        return None
    if candidate is None:
        note = "No candidate weights: run Optimize, or type four weights above, then Rescore."
        book.write_block(Block(sheet, layout.PREVIEW_TOP, [[note]]))
        return None
    opportunities = read_stored_opportunities(book)
    frame = opportunities.frame if opportunities is not None else None
    try:
        target = target_choice(book)
    except IcpError:  # a bad Settings target: Optimize says so; the figures are still right
        target = ()
    found = preview_weights(result, candidate, opportunities=frame, target=target)
    book.write_block(Block(sheet, layout.PREVIEW_TOP, preview_rows(found)))
    book.write_block(Block(sheet, layout.OUTCOMES_PREVIEW_TOP, outcomes_preview_rows(found)))
    return found


def outcomes_preview_rows(found: Preview) -> list[list[Any]]:
    """The Outcomes under the candidate weights beside the current ones, as rows for the
    Optimization sheet (7 columns, at :data:`~icp_xl.workbook.layout.OUTCOMES_PREVIEW_TOP`):
    win rate, lift and closed opportunities by grade, then the account-level AUC; one
    sentence when the workbook has no opportunities."""
    width = len(layout.OUTCOMES_PREVIEW_COLUMNS)
    if found.outcomes is None:
        rows = [["Outcomes: no opportunities yet (Import opportunities shows here the win "
                 "rates under the candidate weights)"]]  # fmt: skip
        return [r + [None] * (width - 1) for r in rows]
    now, then = found.outcomes
    total = then.table.loc[TOTAL]
    closed = int(total["won"] + total["lost"])
    rows: list[list[Any]] = [
        ["Outcomes of the CRM opportunities: candidate weights vs current", *[None] * (width - 1)],
        [None, None, "Candidate", None, None, "Current", None],
        list(layout.OUTCOMES_PREVIEW_COLUMNS),
    ]
    for grade in then.table.index:
        figures = []
        for outcome in (then, now):
            row = outcome.table.loc[grade]
            figures += [row["win_rate"], row["lift"], int(row["won"] + row["lost"])]
        rows.append([grade, *(cell_value(v) for v in figures)])
    notes = [
        f"Win rate = won / (won + lost) of the {closed:,} closed opportunities; grades of all "
        "segments.",
        f"AUC over the {then.auc_accounts:,} accounts with a closed opportunity (0.5 = chance).",
    ]
    rows += [
        [None] * width,
        ["AUC, won vs lost accounts", cell_value(then.auc), None, None, cell_value(now.auc),
         None, None],
        *([note, *[None] * (width - 1)] for note in notes),
    ]  # fmt: skip
    return rows


def preview_figures(found: Preview) -> list[tuple[str, Any, Any, str]]:
    """The figures that can differ between the current and the candidate weights, as
    (label, current, candidate, format): first those that move in any mode, then, in
    Calibrated mode only, those that ranks fix in Relative mode (:data:`FIXED_BY_RANKS`)."""
    now, then = found.current, found.candidate
    figures = [
        ("GP24 share of A+B", now.gp24_share_ab, then.gp24_share_ab, ".1%"),
        (spearman_label(found), now.spearman_target, then.spearman_target, ".3f"),
        *((f"Target revenue, top {x:.0%}", *found.captured[x], ".1%") for x in TOP_SHARES),
    ]
    if not found.relative:
        figures += [
            ("Average ICP score", now.average_score, then.average_score, ".1f"),
            ("High-value accounts", now.high_value_accounts, then.high_value_accounts, ","),
            *((f"Share {g}", now.grade_shares[g], then.grade_shares[g], ".1%") for g in BEST_FIRST),
        ]
    return figures


def spearman_label(found: Preview) -> str:
    """'Spearman with target', or 'Spearman with revenue' when the revenue it ranks against
    is not the optimizer's target (a won target); :func:`spearman_note` names the column."""
    return "Spearman with target" if found.spearman_column is None else "Spearman with revenue"


def spearman_note(found: Preview) -> list[str]:
    """One sentence naming the column 'Spearman with revenue' ranks against; none when the
    Spearman is against the optimizer's target."""
    if found.spearman_column is None:
        return []
    return [f"Spearman with revenue: ranked against {found.spearman_column}, not the "
            "optimizer's target"]  # fmt: skip


def preview_text(found: Preview, title: str) -> str:
    """The preview as lines for a terminal (what ``icp-xl optimize`` prints), under
    ``title`` (which says whether the weights are applied)."""
    lines = [title,
             "  Grade migration, current (rows) -> candidate (columns):",
             "         " + "".join(f"{g:>7}" for g in BEST_FIRST)]  # fmt: skip
    for g in BEST_FIRST:
        lines.append(f"    {g:<5}" + "".join(f"{int(v):>7,}" for v in found.matrix.loc[g]))
    lines += [
        f"  Entering grade A: {len(found.entering_a):,}; leaving grade A: {len(found.leaving_a):,}",
        f"  {'':<26}{'current':>10}{'candidate':>11}",
    ]
    for label, now, then, fmt in preview_figures(found):
        lines.append(f"  {label:<26}{now:>10{fmt}}{then:>11{fmt}}")
    if found.relative:
        lines.append(f"  ({FIXED_BY_RANKS_NOTE})")
    lines += [f"  ({note})" for note in spearman_note(found)]
    if found.outcomes is not None:
        now, then = found.outcomes
        lines.append(f"  {'Outcomes (win rate, lift)':<26}{'current':>16}{'candidate':>17}")
        for grade in then.table.index:
            label = grade if grade == TOTAL else f"Grade {grade}"
            lines.append(f"  {label:<26}{_rate_lift(now.table.loc[grade]):>16}"
                         f"{_rate_lift(then.table.loc[grade]):>17}")  # fmt: skip
        lines.append(f"  {'AUC, won vs lost accounts':<26}{now.auc:>16.3f}{then.auc:>17.3f}")
    return "\n".join(lines)


def _rate_lift(row: pd.Series) -> str:
    if math.isnan(row["win_rate"]):
        return "no closed deal"
    lift = "" if math.isnan(row["lift"]) else f" {row['lift']:.2f}x"
    return f"{row['win_rate']:.0%}{lift}"
