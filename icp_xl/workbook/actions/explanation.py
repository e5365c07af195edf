"""The Account sheet: the account picked in its ``AccountPick`` cell, explained.

Called by every rescore and segment-view refresh (live Excel and the CLI alike), after
the scores are written: it reads the picked Customer ID, explains that account with
:func:`icp_xl.core.insight.explain.explain_account` (inputs, components, points against the
portfolio and segment averages, percentile, reason, the smallest change per input that
lifts it one grade) and writes :func:`icp_xl.core.insight.explain.explanation_grid` at
:data:`icp_xl.workbook.layout.ACCOUNT_GRID_REF`. A blank pick takes the top account; an
unknown ID leaves a one-sentence note on the sheet instead of failing the rescore.
"""

from __future__ import annotations

import numpy as np

from icp_xl.core.errors import IcpError
from icp_xl.core.insight.explain import Explanation, cell_text, explain_account, explanation_grid
from icp_xl.workbook import layout
from icp_xl.workbook.actions.scoring import Scored
from icp_xl.workbook.blocks import Block
from icp_xl.workbook.book import Book


def picked_customer_id(book: Book, result: Scored) -> str | None:
    """The Customer ID in AccountPick; a blank cell is set to the account with the
    highest ICP score. None when the workbook has no AccountPick (made before the
    Account sheet existed, opened in Excel)."""
    try:
        picked = cell_text(book.read_name(layout.ACCOUNT_PICK.name))
    except IcpError:
        return None
    if not picked:
        best = int(np.argmax(result.scored["ICP_score"].to_numpy()))
        picked = str(result.accounts.frame["customer_id"].iloc[best])
        book.set_name(layout.ACCOUNT_PICK.name, picked)
    return picked


def write_account_explanation(book: Book, result: Scored) -> Explanation | None:
    """Explain the picked account on the Account sheet; return the explanation, or None
    when nothing could be explained (no Account sheet, or an ID not in the accounts:
    then the sheet says so in one sentence)."""
    picked = picked_customer_id(book, result)
    if picked is None:
        book.status("This workbook has no Account sheet (AccountPick); skipped the explanation")
        return None
    book.clear_range(layout.ACCOUNT, layout.ACCOUNT_GRID_REF)
    book.status(f"Explaining account {picked}")
    try:
        explanation = explain_account(
            result.accounts.frame,
            result.settings,
            picked,
            scored=result.scored,
            calibration=result.calibration,
        )
    except IcpError as error:
        where = book.locate(layout.ACCOUNT_PICK.name)
        note = f"{error}; pick one from the dropdown in {where.ref}, then Rescore or Refresh."
        book.write_block(Block(layout.ACCOUNT, f"A{layout.ACCOUNT_GRID_TOP}", [[note]]))
        return None
    grid = explanation_grid(explanation)
    book.write_block(Block(layout.ACCOUNT, f"A{layout.ACCOUNT_GRID_TOP}", grid))
    return explanation
