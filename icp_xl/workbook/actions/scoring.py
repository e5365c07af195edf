"""Reading the inputs of a workbook and scoring every account: the pass every
action starts with."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from icp_xl.core.errors import IcpError
from icp_xl.core.inputs.accounts import (
    Accounts,
)
from icp_xl.core.insight.explain import explanation_columns
from icp_xl.core.model.calibration import RELATIVE, Calibration, score_in_mode
from icp_xl.core.model.segments import (
    ALL_SEGMENTS,
    parse_segment_view,
    view_rows,
    within_segment_scores,
)
from icp_xl.core.model.settings import Settings
from icp_xl.workbook import layout
from icp_xl.workbook.book import Book
from icp_xl.workbook.inputs import read_accounts, read_settings


@dataclass(frozen=True)
class Scored:
    """Everything one scoring pass produces: the raw Accounts table, prepared accounts,
    settings, :func:`~icp_xl.core.model.scoring.score_accounts` output joined with the
    within-segment score and grade (``segment_ICP_score``, ``segment_ICP_grade``) and each
    component's points and the reason (:data:`~icp_xl.core.insight.explain.EXPLANATION_COLUMNS`)."""

    raw: pd.DataFrame
    accounts: Accounts
    settings: Settings
    scored: pd.DataFrame
    mode: str = RELATIVE
    calibration: Calibration | None = None  # the one Calibrated mode scored against


def score_book(book: Book) -> Scored:
    """Read Accounts, Weights and Settings, score every account and assign its segment, in the
    workbook's scoring mode (Relative, or Calibrated against its calibration)."""
    from icp_xl.workbook.calibration_table import read_calibration, read_scoring_mode

    settings = read_settings(book)
    mode = read_scoring_mode(book)
    calibration = read_calibration(book) if mode != RELATIVE else None
    raw, accounts = read_accounts(book)
    book.status(f"Scoring {len(accounts):,} accounts ({mode})")
    scored = score_in_mode(accounts, settings, mode, calibration)
    scored = scored.join(within_segment_scores(scored, settings))
    scored = scored.join(explanation_columns(accounts.frame, scored, settings))
    return Scored(raw, accounts, settings, scored, mode, calibration)


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
