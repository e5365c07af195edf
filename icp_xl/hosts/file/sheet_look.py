"""Column widths that follow a sheet's content, applied on every save of a table-like
sheet (:func:`icp_xl.workbook.layout.fitted_header_row`): computed from what the actions
wrote (:func:`fitted_widths_of`) and written into the worksheet part's ``<cols>`` by the
sheet writer. Columns the layout does not fit keep their ``<col>`` element as it was
(width, style, hidden). Row heights never change after the sheet is built: header rows
are as tall as the longest wrapped header can be (:mod:`icp_xl.hosts.file.looks`), so charts,
which sit at fixed positions, stay clear of the cells."""

from __future__ import annotations

import re
from collections.abc import Mapping

from icp_xl.hosts.file.sheet_edits import SheetEdits, Values
from icp_xl.workbook import layout
from icp_xl.workbook.fitting import fitted_columns

_COLS = re.compile(rb"<(\w+:)?cols\b[^>]*?(?:/>|>.*?</(?:\w+:)?cols>)", re.S)
_COL = re.compile(rb"<(?:\w+:)?col\b([^>]*?)/?>")
_ATTRIBUTE = re.compile(rb'([\w:]+)="([^"]*)"')
_SHEET_DATA = re.compile(rb"<(?:\w+:)?sheetData\b")


def fitted_widths_of(sheet: str, edits: SheetEdits) -> dict[int, float]:
    """Column number (1-based) -> width in characters of a fitted sheet's columns, from
    the header and body ``edits`` wrote (empty when the sheet is not fitted or its header
    row was not written)."""
    spec = layout.SHEETS_BY_NAME.get(sheet)
    header_row = layout.fitted_header_row(spec) if spec is not None else None
    values = [layer for layer in edits.layers if isinstance(layer, Values)]
    if header_row is None or not any(v.top <= header_row <= v.bottom for v in values):
        return {}
    right = max(v.right for v in values)
    rows = layout.FIT_SAMPLE_ROWS + 1  # the header and the rows measured below it
    grid = edits.overlay(header_row, 1, [[None] * right for _ in range(rows)])
    formats = [_column_format(values, header_row + 1, j + 1) for j in range(right)]
    return fitted_columns(sheet, header_row, 1, grid, formats)


def _column_format(values: list[Values], row: int, column: int) -> str | None:
    for layer in reversed(values):
        if layer.top <= row <= layer.bottom and layer.left <= column <= layer.right:
            index = column - layer.left
            if layer.formats and index < len(layer.formats):
                return layer.formats[index]
            return None
    return None


def with_column_widths(prefix: bytes, widths: Mapping[int, float], namespace: str) -> bytes:
    """The worksheet XML before ``sheetData`` (``prefix``) with ``widths`` set on their
    columns; the ``<cols>`` element is created when missing."""
    if not widths:
        return prefix
    match = _COLS.search(prefix)
    spans: list[tuple[int, int, dict[bytes, bytes]]] = []
    if match is not None:
        for col in _COL.finditer(match.group(0)):
            attributes = dict(_ATTRIBUTE.findall(col.group(1)))
            spans.append((int(attributes[b"min"]), int(attributes[b"max"]), attributes))
    for column, width in widths.items():
        spans = _with_width(spans, column, width)
    p = namespace.encode()
    body = b"".join(
        b"<" + p + b"col " + b" ".join(k + b'="' + v + b'"' for k, v in attrs.items()) + b"/>"
        for _, _, attrs in sorted(spans, key=lambda s: s[0])
    )
    element = b"<" + p + b"cols>" + body + b"</" + p + b"cols>"
    if match is not None:
        return prefix[: match.start()] + element + prefix[match.end() :]
    data = _SHEET_DATA.search(prefix)
    at = data.start() if data is not None else len(prefix)
    return prefix[:at] + element + prefix[at:]


def _with_width(
    spans: list[tuple[int, int, dict[bytes, bytes]]], column: int, width: float
) -> list[tuple[int, int, dict[bytes, bytes]]]:
    """``spans`` with ``column`` split out of the span that holds it (or added) at
    ``width``."""
    result, placed = [], False
    for first, last, attributes in spans:
        if not first <= column <= last:
            result.append((first, last, attributes))
            continue
        if first < column:
            result.append((first, column - 1, {**attributes, b"max": str(column - 1).encode()}))
        result.append((column, column, _col_attributes(attributes, column, width)))
        if column < last:
            result.append((column + 1, last, {**attributes, b"min": str(column + 1).encode()}))
        placed = True
    if not placed:
        result.append((column, column, _col_attributes({}, column, width)))
    return result


def _col_attributes(old: dict[bytes, bytes], column: int, width: float) -> dict[bytes, bytes]:
    number = str(column).encode()
    return {
        **old,
        b"min": number,
        b"max": number,
        b"width": repr(round(width, 2)).encode(),
        b"customWidth": b"1",
    }
