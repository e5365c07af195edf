"""CRM write-back: the file a CRM field update takes as is.

One row per account, keyed by the user's own ID header (the Accounts table's header that
holds the Customer ID, e.g. ``Account ID``), with the ICP score, grade, previous grade and
reason the Scores sheet holds, when they were scored and a model version: a short
fingerprint of the weights, settings and calibration the last rescore used, so a CRM
report can tell scores of different models apart. Written as CSV (UTF-8 with BOM,
formula-injection safe) like every export.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from icp_xl.core.errors import IcpError
from icp_xl.core.inputs.accounts import match_columns
from icp_xl.core.model.segments import ALL_SEGMENTS, view_rows
from icp_xl.core.model.settings import COMPONENTS
from icp_xl.files.tables import write_csv
from icp_xl.workbook import layout
from icp_xl.workbook.actions.export import (
    export_file_name,
    free_path,
    gone_in_view,
    stale_warning,
    stored_scores,
)
from icp_xl.workbook.book import Book
from icp_xl.workbook.inputs import read_column_map

CRM_COLUMNS: tuple[str, ...] = (
    "ICP Score",
    "ICP Grade",
    "Previous ICP Grade",
    "ICP Reason",
    "ICP Scored At",
    "ICP Model Version",
)
VERSION_LENGTH = 8  # hex digits of the fingerprint
GONE_REASON = "No longer in the ICP workbook: removed at the last rescore"
_REASON_HEADER = next(c.header for c, f in layout.SCORES_FIELDS if f == layout.REASON_COLUMN)


def _canonical(value: Any) -> Any:
    """A cell as the same text on every host (Excel gives 3.0 where openpyxl gives 3)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return ""
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | float | np.number):
        number = float(value)
        return "" if np.isnan(number) else repr(number)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def model_version(book: Book) -> str:
    """The fingerprint (8 hex digits) of what the last rescore used: its weights and its
    copies of the Settings values, tables, maps and calibration (kept on the Movers sheet).
    Raises IcpError when the workbook records no rescore."""
    weights = [book.read_name(layout.LAST_WEIGHT_NAMES[c]) for c in COMPONENTS]
    if all(w is None for w in weights):
        raise IcpError("The workbook records no rescore yet; press Rescore before exporting")
    cells: list[Any] = [[_canonical(w) for w in weights]]
    for _, source, top_left in layout.SETTINGS_COPIES:
        rows = book.read_range(layout.MOVERS, layout.copy_ref(source, top_left))
        rows = [[_canonical(v) for v in row] for row in rows]
        cells.append([row for row in rows if any(v != "" for v in row)])
    text = json.dumps(cells, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:VERSION_LENGTH]


def id_header(book: Book) -> str:
    """The Accounts table's own header of the Customer ID (through the Column map), or
    ``Customer ID`` when none is found."""
    header = [str(c) for c in book.read_table(layout.ACCOUNTS_TABLE.name).columns]
    mapping, _ = match_columns(pd.Index(header), read_column_map(book))
    return mapping.get("customer_id", "Customer ID")


def crm_frame(book: Book, view: str = ALL_SEGMENTS, changed: bool = False) -> pd.DataFrame:
    """The write-back table: the user's ID header then :data:`CRM_COLUMNS`, one row per
    account of ``view`` in Scores order; scores to 2 decimals, scored-at as
    ``YYYY-MM-DDTHH:MM:SS``. ``changed``: only those whose grade differs from the
    previous run, new ones included, and last the accounts gone at the last rescore (that
    were in ``view``), with a blank score and grade, their previous grade and
    :data:`GONE_REASON`, so the CRM update clears their fields."""
    scores = stored_scores(book)
    reasons = book.read_table(layout.SCORES_TABLE.name)
    reason = reasons.get(_REASON_HEADER)
    scored_at = book.read_name(layout.LAST_RESCORED.name)
    when = scored_at.isoformat(timespec="seconds") if isinstance(scored_at, datetime) else ""
    version = model_version(book)
    frame = pd.DataFrame(
        {
            id_header(book): scores["customer_id"],
            "ICP Score": pd.to_numeric(scores["ICP_score"], errors="coerce").round(2),
            "ICP Grade": scores["ICP_grade"],
            "Previous ICP Grade": scores["previous_ICP_grade"],
            "ICP Reason": None if reason is None else reason.to_numpy(),
            "ICP Scored At": when,
            "ICP Model Version": version,
        }
    )
    keep = view_rows(scores, view)
    if not changed:
        return frame[keep].reset_index(drop=True)
    previous = scores["previous_ICP_grade"].to_numpy(dtype=object)
    grade = scores["ICP_grade"].to_numpy(dtype=object)
    keep &= np.array([p is None or p != g for p, g in zip(previous, grade, strict=True)])
    gone = gone_in_view(book, view)
    cleared = pd.DataFrame(
        {
            frame.columns[0]: gone["customer_id"].to_numpy(),
            "ICP Score": np.nan,
            "ICP Grade": None,
            "Previous ICP Grade": gone["ICP_grade"].to_numpy(),
            "ICP Reason": GONE_REASON,
            "ICP Scored At": when,
            "ICP Model Version": version,
        }
    )
    return pd.concat([frame[keep], cleared], ignore_index=True)


@dataclass(frozen=True)
class CrmExport:
    """What :func:`export_crm` wrote: the file, how many accounts, which model version."""

    path: Path
    accounts: int
    version: str


def export_crm(
    book: Book,
    folder: str | Path,
    view: str | None = None,
    output: str | Path | None = None,
    *,
    changed: bool = False,
) -> CrmExport:
    """Write :func:`crm_frame` (every account unless ``view`` names a segment) to
    ``output`` or ``folder/icp_crm_<segment>_<timestamp>.csv``. A stale Scores sheet is
    reported through ``book.status`` (the file holds the scores and model version of the
    last rescore)."""

    view = view or ALL_SEGMENTS
    frame = crm_frame(book, view, changed)
    name = export_file_name(view, kind="crm")
    path = Path(output) if output is not None else free_path(Path(folder) / name)
    write_csv(frame, path, encoding="utf-8-sig")
    warning = stale_warning(book)
    if warning:
        book.status(f"Warning: {warning}")
    version = str(frame["ICP Model Version"].iloc[0]) if len(frame) else model_version(book)
    return CrmExport(path, len(frame), version)
