"""Results an earlier action left in the workbook: optimized weights and the
optimizer's trial history."""

from __future__ import annotations

from typing import Any

import pandas as pd

from icp_xl.core.errors import IcpError
from icp_xl.core.inputs.cells import parse_cell, range_ref
from icp_xl.core.model.settings import COMPONENTS, Weights
from icp_xl.core.optimization.search import HISTORY_COLUMNS
from icp_xl.workbook import layout
from icp_xl.workbook.book import Book


def stored_optimized_weights(book: Book) -> Weights | None:
    """The optimized weights on the Weights sheet, or None when blank or not valid."""
    values = {c: book.read_name(layout.OPTIMIZED_WEIGHT_NAMES[c]) for c in COMPONENTS}
    try:
        return Weights(**values)
    except IcpError:
        return None


def stored_trial_history(book: Book, chunk: int = 2000) -> pd.DataFrame | None:
    """The trial history the optimizer wrote on the Optimization sheet (header row at
    :data:`icp_xl.workbook.layout.HISTORY_TOP`), or None when there is none."""

    if layout.OPTIMIZATION not in book.sheet_names():
        return None
    top, left = parse_cell(layout.HISTORY_TOP)
    right = left + len(HISTORY_COLUMNS) - 1
    header = book.read_range(layout.OPTIMIZATION, range_ref(top, left, top, right))[0]
    if [str(h) for h in header] != list(HISTORY_COLUMNS):
        return None
    rows: list[list[Any]] = []
    start = top + 1
    while True:
        part = book.read_range(
            layout.OPTIMIZATION, range_ref(start, left, start + chunk - 1, right)
        )
        filled = [r for r in part if r[0] is not None and r[0] != ""]
        rows += filled
        if len(filled) < chunk:
            break
        start += chunk
    return pd.DataFrame(rows, columns=list(HISTORY_COLUMNS)) if rows else None
