"""Export CSV: the accounts of a segment view with the scores the Scores sheet holds (never
recomputed with other weights), safe against formula injection, readable by Excel on
double-click (UTF-8 with BOM; counts as integers, money and scores rounded unless exact)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from icp_xl.core.errors import IcpError
from icp_xl.core.inputs.accounts import ACCOUNT_COLUMNS, match_columns
from icp_xl.core.model.scoring import COMPONENT_COLUMNS, SCORE_COLUMNS
from icp_xl.core.model.segments import ALL_SEGMENTS, segment_slug, view_rows
from icp_xl.files.tables import write_csv
from icp_xl.workbook import layout
from icp_xl.workbook.actions.scoring import selected_view
from icp_xl.workbook.book import Book

HISTORY_COLUMNS: tuple[str, ...] = ("previous_ICP_score", "previous_ICP_grade", "ICP_score_change")
EXPORT_SCORE_COLUMNS: tuple[str, ...] = (
    *SCORE_COLUMNS,
    "segment_ICP_score",
    "segment_ICP_grade",
    *HISTORY_COLUMNS,
)
_SCORE_SCALE = ("ICP_score_raw", "ICP_score", "segment_ICP_score", *HISTORY_COLUMNS[:1],
                "ICP_score_change")  # fmt: skip
_FIELD_OF_HEADER = {column.header: field for column, field in layout.SCORES_FIELDS}
_SCORES_SOURCE = {"relationship_feature": "software_revenue"}


def stored_scores(book: Book) -> pd.DataFrame:
    """The Scores table as the last rescore wrote it, under the export's column names
    (:data:`EXPORT_SCORE_COLUMNS`), plus ``customer_id``. Raises IcpError when empty."""
    table = book.read_table(layout.SCORES_TABLE.name)
    table = table.rename(columns=lambda h: _FIELD_OF_HEADER.get(str(h), str(h)))
    if table.empty or "customer_id" not in table or table["customer_id"].isna().all():
        raise IcpError("The Scores sheet is empty; press Rescore before exporting")
    out = pd.DataFrame({"customer_id": table["customer_id"].map(str)})
    for name in EXPORT_SCORE_COLUMNS:
        source = _SCORES_SOURCE.get(name, name)
        out[name] = table[source].to_numpy() if source in table else None
    return out.reset_index(drop=True)


CHANGE_COLUMN = "ICP_change"
CHANGED, NEW, GONE = "grade changed", "new", "gone"


def export_frame(book: Book, view: str, changed: bool = False) -> pd.DataFrame:
    """The view's accounts: the Accounts table columns (joined by Customer ID) plus the
    score columns the Scores sheet holds, in Scores order. ``changed``: what a CRM update
    needs since the previous run, with an :data:`CHANGE_COLUMN` column: the accounts whose
    grade changed, the new ones and, last, the gone ones (their previous score and grade;
    a view keeps those that were in it). With no previous run every account is new."""
    scores = stored_scores(book)
    raw = book.read_table(layout.ACCOUNTS_TABLE.name)
    mapping, _ = match_columns(raw.columns)
    id_header, name_header = mapping.get("customer_id"), mapping.get("company_name")
    raw = raw.drop(columns=[c for c in EXPORT_SCORE_COLUMNS if c in raw.columns])
    if id_header is not None and len(raw):
        keys = raw[id_header].map(lambda v: None if v is None else str(v).strip())
        raw = raw.set_axis(pd.Index(keys), axis=0)
        raw = raw[~raw.index.duplicated()]
        accounts = raw.reindex(scores["customer_id"].to_numpy()).reset_index(drop=True)
        accounts[id_header] = scores["customer_id"].to_numpy()
    else:
        id_header = "Customer ID"
        accounts = pd.DataFrame({id_header: scores["customer_id"]})
    table = pd.concat([accounts, scores[list(EXPORT_SCORE_COLUMNS)]], axis=1)
    keep = view_rows(scores, view)
    if not changed:
        return table[keep].reset_index(drop=True)
    previous = scores["previous_ICP_grade"].to_numpy(dtype=object)
    status = np.array(
        [NEW if pd.isna(p) else CHANGED if p != g else None
         for p, g in zip(previous, scores["ICP_grade"], strict=True)],
        dtype=object,
    )  # fmt: skip
    table[CHANGE_COLUMN] = status
    table = table[keep & pd.notna(status)]
    gone = _gone_rows(book, view, (id_header, name_header), list(table.columns))
    return (
        pd.concat([table, gone], ignore_index=True) if len(gone) else table.reset_index(drop=True)
    )


def gone_in_view(book: Book, view: str) -> pd.DataFrame:
    """The accounts gone at the last rescore that were in ``view`` (a segment or all), as
    :func:`~icp_xl.workbook.actions.history.gone_accounts` gives them: ``customer_id``,
    ``company_name``, ``customer_segment`` and their previous ``ICP_score``, ``ICP_grade``."""
    from icp_xl.workbook.actions.history import gone_accounts

    gone = gone_accounts(book)
    if view != ALL_SEGMENTS:
        gone = gone[gone["customer_segment"] == view]
    return gone.reset_index(drop=True)


def _gone_rows(
    book: Book, view: str, headers: tuple[str, str | None], columns: list[str]
) -> pd.DataFrame:
    """The accounts gone at the last rescore (in ``view``), as export rows: the ID, the
    company name, their previous score and grade, and :data:`CHANGE_COLUMN` ``gone``."""
    gone = gone_in_view(book, view)
    rows = pd.DataFrame(index=range(len(gone)), columns=columns, dtype=object)
    id_header, name_header = headers
    rows[id_header] = gone["customer_id"].to_numpy()
    if name_header in rows:
        rows[name_header] = gone["company_name"].to_numpy()
    rows["previous_ICP_score"] = gone["ICP_score"].to_numpy()
    rows["previous_ICP_grade"] = gone["ICP_grade"].to_numpy()
    rows[CHANGE_COLUMN] = GONE
    return rows


def change_counts(frame: pd.DataFrame) -> dict[str, int]:
    """How many rows of an ``export_frame(..., changed=True)`` are of each change."""
    column = frame[CHANGE_COLUMN] if CHANGE_COLUMN in frame else pd.Series([], dtype=object)
    return {kind: int((column == kind).sum()) for kind in (CHANGED, NEW, GONE)}


def readable_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """Numbers as Excel users expect them in a CSV: whole-number columns as integers,
    components to 4 decimals, scores and money to 2 decimals; other columns unchanged."""
    out = frame.copy()
    money = {c.header for c in ACCOUNT_COLUMNS if c.numeric} | {"relationship_feature"}
    for name in out.columns:
        values = pd.to_numeric(out[name], errors="coerce")
        present = out[name].notna()
        if not present.any() or values[present].isna().any() or out[name].dtype == bool:
            continue  # text, blank or mixed: as it is
        finite = values[present].to_numpy(dtype=float)
        if np.all(np.isfinite(finite)) and np.all(finite == np.round(finite)):
            out[name] = values.astype("Int64")
        elif name in COMPONENT_COLUMNS:
            out[name] = values.round(4)
        elif name in _SCORE_SCALE or name in money:
            out[name] = values.round(2)
    return out


def export_file_name(view: str, now: datetime | None = None, kind: str = "scores") -> str:
    """``icp_<kind>_<segment slug>_<YYYYmmdd_HHMMSS>.csv`` (kind ``scores`` or ``crm``)."""
    stamp = (now or datetime.now()).strftime("%Y%m%d_%H%M%S")
    return f"icp_{kind}_{segment_slug(view)}_{stamp}.csv"


def free_path(path: Path) -> Path:
    """``path`` if no file is there, else the first free ``<stem>_2<suffix>``,
    ``<stem>_3<suffix>``, ... beside it (two exports in the same second keep both)."""
    candidate, number = path, 1
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.stem}_{number}{path.suffix}")
    return candidate


def stale_warning(book: Book) -> str | None:
    """A sentence when the weights, settings or the Accounts values changed since the last
    rescore (the exported scores are then those of the last rescore), else None; None in
    Live mode, where Excel recalculates the scores themselves."""
    from icp_xl.workbook.actions.history import (
        FIRST_RUN,
        accounts_changed_since_last_rescore,
        changed_since_last_rescore,
    )
    from icp_xl.workbook.actions.live import read_live_mode

    if read_live_mode(book):  # live Scores recalculate in Excel: never stale
        return None
    changes = [c for c in changed_since_last_rescore(book) if c != FIRST_RUN]
    if accounts_changed_since_last_rescore(book):
        changes.append("the accounts")
    if not changes:
        return None
    return (
        f"The Scores sheet is out of date ({', '.join(changes)} changed since the last "
        "rescore); the export holds the scores of the last rescore. Rescore to update them"
    )


@dataclass(frozen=True)
class Exported:
    """What an export wrote: the file, its rows and, for ``--changed``, the rows of each
    change (:func:`change_counts`) and whether there was a previous run to compare with."""

    path: Path
    rows: int
    counts: dict[str, int] | None = None
    first_run: bool = False

    @property
    def message(self) -> str:
        """One sentence for the analyst: how many rows of what went where."""
        if self.counts is None:
            return f"Exported {self.rows:,} accounts to {self.path}"
        if self.first_run:
            return (
                f"Exported {self.rows:,} accounts to {self.path}: there is no previous run to "
                "compare with (the last rescore was the first), so every account is new"
            )
        c = self.counts
        return (
            f"Exported {self.rows:,} accounts to {self.path}: {c[CHANGED]:,} changed grade, "
            f"{c[NEW]:,} new, {c[GONE]:,} gone since the previous run"
        )


def export_csv(
    book: Book,
    folder: str | Path,
    view: str | None = None,
    output: str | Path | None = None,
    *,
    changed: bool = False,
    exact: bool = False,
) -> Exported:
    """Write the view's accounts with the scores the Scores sheet holds to CSV (UTF-8 with
    BOM, formula-injection safe). ``changed``: only what changed since the previous run
    (:func:`export_frame`); ``exact``: full precision instead of :func:`readable_numbers`.
    ``output`` names the file (replaced if it exists); default
    ``folder/icp_scores_<segment>_<timestamp>.csv``, with ``_2``, ``_3``, ... added when
    that name is taken. A stale Scores sheet and the counts are reported through
    ``book.status``."""
    from icp_xl.workbook.actions.history import FIRST_RUN, read_runs

    view = selected_view(book, view)
    frame = export_frame(book, view, changed)
    if not exact:
        frame = readable_numbers(frame)
    path = Path(output) if output is not None else free_path(Path(folder) / export_file_name(view))
    write_csv(frame, path, encoding="utf-8-sig")
    warning = stale_warning(book)
    if warning:
        book.status(f"Warning: {warning}")
    counts, first = None, False
    if changed:
        runs = read_runs(book)
        first = not len(runs) or runs["changes"].iloc[-1] == FIRST_RUN
        counts = change_counts(frame)
    exported = Exported(path, len(frame), counts, first)
    book.status(exported.message)
    return exported
