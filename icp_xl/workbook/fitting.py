"""Columns that follow their content: which, and how wide. One rule for both hosts.

A table-like sheet (:func:`icp_xl.workbook.layout.fitted_header_row`) has its columns
fitted whenever an action writes its header row: each column gets the width of its
header (wrapped onto up to three lines; on the input sheets, whose header the user owns
and which is not wrapped, on one line) or of its widest value below, as displayed with
the column's number format, within :data:`icp_xl.workbook.layout.FIT_WIDTH_BOUNDS`. The
values measured are the header row and the rows below it, down to the first empty row
and at most :data:`icp_xl.workbook.layout.FIT_SAMPLE_ROWS` of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from icp_xl.workbook import layout
from icp_xl.workbook.widths import HEADER_LINES, fitted_widths


def fitted_columns(
    sheet: str,
    top: int,
    left: int,
    rows: Sequence[Sequence[Any]],
    formats: Sequence[str | None] = (),
) -> dict[int, float]:
    """Column number (1-based) -> width in characters for ``rows`` written at ``top``,
    ``left`` (1-based) of ``sheet``, with ``formats`` the number format of each column's
    values (None = General). Empty unless ``sheet`` is fitted and ``rows`` hold its
    header row."""
    spec = layout.SHEETS_BY_NAME.get(sheet)
    header_row = layout.fitted_header_row(spec) if spec is not None else None
    if header_row is None or not top <= header_row < top + len(rows):
        return {}
    header = list(rows[header_row - top])
    while header and header[-1] is None:
        header.pop()
    body = []
    for row in rows[header_row - top + 1 : header_row - top + 1 + layout.FIT_SAMPLE_ROWS]:
        if all(value is None for value in row):
            break
        body.append(row)
    # An input sheet's header row is the user's own, not wrapped: it needs its full width.
    lines = 1 if sheet in layout.INPUT_SHEETS else HEADER_LINES
    widths = fitted_widths(header, body, formats, layout.FIT_WIDTH_BOUNDS, lines)
    return {left + j: width for j, width in enumerate(widths)}
