"""Export CSV: the accounts of a segment view with their scores, safe against formula
injection."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd

from icp_xl.core.scoring import SCORE_COLUMNS
from icp_xl.core.segments import (
    segment_slug,
    view_rows,
)
from icp_xl.files.tables import write_csv
from icp_xl.workbook.actions.scoring import Scored, score_book, selected_view
from icp_xl.workbook.book import Book


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
