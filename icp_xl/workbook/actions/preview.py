"""Preview of candidate weights on the Optimization sheet: what they would do to the
grades and KPIs before anything is applied. Optimize fills the Candidate weights with
the optimized ones; any weights typed there are previewed on the next Rescore."""

from __future__ import annotations

from typing import Any

from icp_xl.core.errors import IcpError
from icp_xl.core.insight.movers import BEST_FIRST, TOP_SHARES, Preview, preview
from icp_xl.core.model.calibration import score_in_mode
from icp_xl.core.model.settings import COMPONENTS, Weights
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


def preview_weights(result: Scored, candidate: Weights) -> Preview:
    """Score ``result``'s accounts with ``candidate`` in the same mode (and calibration)
    and compare with ``result``."""
    settings = result.settings.with_weights(candidate)
    scored = score_in_mode(result.accounts, settings, result.mode, result.calibration)
    return preview(result.accounts.frame, result.scored, scored, result.settings)


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
    now, then = found.current, found.candidate
    rows += [
        ["Figure", "Candidate", "Current"],  # the columns of the weights above
        ["Average ICP score", then.average_score, now.average_score],
        ["High-value accounts", then.high_value_accounts, now.high_value_accounts],
        ["GP24 share of A+B", then.gp24_share_ab, now.gp24_share_ab],
        ["Spearman with target", then.spearman_target, now.spearman_target],
        *([f"Share {g}", then.grade_shares[g], now.grade_shares[g]] for g in BEST_FIRST),
        *(
            [f"Target revenue, top {x:.0%}", *reversed(found.captured[x])]
            for x in TOP_SHARES
        ),
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
    """Write the preview of the Candidate weights (and the current weights beside them);
    a note instead when there are none or they are not valid. Never fails the rescore
    for a bad candidate."""
    sheet = layout.OPTIMIZATION
    current = result.settings.weights
    book.write_block(
        Block(sheet, layout.PREVIEW_CURRENT_TOP, [[getattr(current, c)] for c in COMPONENTS])
    )
    book.clear_range(sheet, layout.PREVIEW_AREA)
    try:
        candidate = candidate_weights(book)
    except IcpError as error:
        book.write_block(Block(sheet, layout.PREVIEW_TOP, [[f"No preview: {error}"]]))
        return None
    if candidate is None:
        note = "No candidate weights: run Optimize, or type four weights above, then Rescore."
        book.write_block(Block(sheet, layout.PREVIEW_TOP, [[note]]))
        return None
    found = preview_weights(result, candidate)
    book.write_block(Block(sheet, layout.PREVIEW_TOP, preview_rows(found)))
    return found


def preview_text(found: Preview, title: str) -> str:
    """The preview as lines for a terminal (what ``icp-xl optimize`` prints), under
    ``title`` (which says whether the weights are applied)."""
    now, then = found.current, found.candidate
    lines = [title,
             "  Grade migration, current (rows) -> candidate (columns):",
             "         " + "".join(f"{g:>7}" for g in BEST_FIRST)]  # fmt: skip
    for g in BEST_FIRST:
        lines.append(f"    {g:<5}" + "".join(f"{int(v):>7,}" for v in found.matrix.loc[g]))
    lines += [
        f"  Entering grade A: {len(found.entering_a):,}; leaving grade A: {len(found.leaving_a):,}",
        f"  {'':<26}{'current':>10}{'candidate':>11}",
        f"  {'Average ICP score':<26}{now.average_score:>10.1f}{then.average_score:>11.1f}",
        f"  {'High-value accounts':<26}{now.high_value_accounts:>10,}"
        f"{then.high_value_accounts:>11,}",
        f"  {'GP24 share of A+B':<26}{now.gp24_share_ab:>10.1%}{then.gp24_share_ab:>11.1%}",
        f"  {'Spearman with target':<26}{now.spearman_target:>10.3f}{then.spearman_target:>11.3f}",
    ]
    for x in TOP_SHARES:
        a, b = found.captured[x]
        lines.append(f"  {f'Target revenue, top {x:.0%}':<26}{a:>10.1%}{b:>11.1%}")
    return "\n".join(lines)
