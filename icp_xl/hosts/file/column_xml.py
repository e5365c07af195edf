"""Table body cells as worksheet XML, a block of rows at a time from columns
(:class:`~icp_xl.workbook.columns.ColumnRows`): a float column's numbers are written in
one pass over the block (:func:`~icp_xl.hosts.file.number_text.float_texts`), a text
column is checked for characters to escape once per block; every cell is the same bytes
:func:`~icp_xl.hosts.file.cell_xml.cell_xml` writes for its value."""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from icp_xl.core.inputs.cells import column_letter
from icp_xl.hosts.file.cell_xml import DATETIME_FORMAT, cell_xml, escape, formula_xml, is_temporal
from icp_xl.hosts.file.number_text import float_texts
from icp_xl.hosts.file.styles_xml import StyleSheet
from icp_xl.workbook.blocks import Formula
from icp_xl.workbook.columns import ColumnRows

_NEEDS_ESCAPE = re.compile(r'[&<>"\x00-\x08\x0b\x0c\x0e-\x1f]')
_letter = functools.cache(column_letter)


def table_cell(
    column: int,
    number: str,
    value: Any,
    style: int | None,
    sheet: StyleSheet,
    date1904: bool = False,
    escaped: bool = True,
) -> str:
    """The ``<c>`` element of a table body cell in ``column`` (1-based) of row ``number``
    with its column's ``style`` (a date gets a date format when the style has none);
    ``escaped=False`` when the caller knows text needs no escaping."""
    kind = type(value)
    s = "" if style is None else f' s="{style}"'
    if kind is float and math.isfinite(value):
        return f'<c r="{_letter(column)}{number}"{s}><v>{value!r}</v></c>'
    if kind is str and value and value[0] > " " and value[-1] > " ":
        text = escape(value) if escaped and _NEEDS_ESCAPE.search(value) else value
        return f'<c r="{_letter(column)}{number}"{s} t="inlineStr"><is><t>{text}</t></is></c>'
    if kind is Formula:
        return formula_xml(f"{_letter(column)}{number}", value, s)
    if is_temporal(value) and not sheet.is_date(style):
        style = sheet.with_number_format(style, DATETIME_FORMAT)
    return cell_xml(f"{_letter(column)}{number}", value, style, date1904)


def column_block(
    rows: ColumnRows,
    start: int,
    count: int,
    first_number: int,
    left: int,
    styles: Sequence[int | None],
    sheet: StyleSheet,
    date1904: bool = False,
) -> list[str]:
    """The cells (``<c>`` elements, joined) of each of ``count`` rows of ``rows`` from
    index ``start``, written as rows ``first_number``... with their first column at
    ``left`` (1-based) and ``styles`` the style of each column."""
    numbers = [str(n) for n in range(first_number, first_number + count)]
    template: list[str] = []  # one row's XML with %s where each row differs
    arguments: list[list[str]] = []
    for j, column in enumerate(rows.columns):
        values = column[start : start + count]
        style = styles[j]
        head = f'<c r="{_letter(left + j)}%s"' + ("" if style is None else f' s="{style}"')
        if isinstance(values, np.ndarray) and bool(np.isfinite(values).all()):
            template.append(head + "><v>%s</v></c>")
            arguments += [numbers, float_texts(values)]
        elif not isinstance(values, np.ndarray) and (texts := _inline_texts(values)) is not None:
            cell = head + ' t="inlineStr"><is><t>%s</t></is></c>'
            if None in texts:  # blanks: each cell whole, a blank as cell_xml writes it
                blank = head + "/>"  # with the style; none at all without one
                template.append("%s")
                arguments.append(
                    [
                        cell % (n, t) if t is not None else blank % n if style is not None else ""
                        for n, t in zip(numbers, texts, strict=True)
                    ]
                )
            else:
                template.append(cell)
                arguments += [numbers, texts]
        elif isinstance(values, np.ndarray):
            template.append("%s")
            arguments.append(_number_cells(left + j, numbers, values, style))
        else:
            template.append("%s")
            arguments.append(_value_cells(left + j, numbers, values, style, sheet, date1904))
    row = "".join(template)
    return [row % cells for cells in zip(*arguments, strict=True)]


def _inline_texts(values: list[Any]) -> list[str | None] | None:
    """A column of text written as it is (no text with a space at either end) and blanks
    (None or empty text): its texts, escaped in one pass where any needs it, None at the
    blanks; None for any other column (or one whose texts hold line breaks and need
    escaping: written cell by cell)."""
    if all(type(v) is str and v and v[0] > " " and v[-1] > " " for v in values):
        texts: list[Any] = values
    elif all(
        v is None or (type(v) is str and (not v or (v[0] > " " and v[-1] > " "))) for v in values
    ):
        texts = [v or "" for v in values]  # blanks as "" while joined
    else:
        return None
    joined = "\n".join(texts)
    if _NEEDS_ESCAPE.search(joined) is not None:
        if joined.count("\n") != len(values) - 1:
            return None
        texts = escape(joined).split("\n")
    return texts if texts is values else [t or None for t in texts]


def _number_cells(
    column: int, numbers: list[str], values: np.ndarray, style: int | None
) -> list[str]:
    """A float column's cells: its numbers (the shortest exact text), a blank
    keeping the style (or nothing) where a value is not finite."""
    head = f'<c r="{_letter(column)}'
    s = "" if style is None else f' s="{style}"'
    cells = [
        f'{head}{n}"{s}><v>{v}</v></c>' for n, v in zip(numbers, float_texts(values), strict=True)
    ]
    blank = ~np.isfinite(values)
    if blank.any():
        for i in np.flatnonzero(blank).tolist():
            cells[i] = f'{head}{numbers[i]}"{s}/>' if s else ""
    return cells


def _value_cells(
    column: int,
    numbers: list[str],
    values: list[Any],
    style: int | None,
    sheet: StyleSheet,
    date1904: bool,
) -> list[str]:
    """Cells of a column of cell values; its text is searched for characters to escape
    once, as a whole."""
    text = "\n".join(v for v in values if type(v) is str)
    escaped = _NEEDS_ESCAPE.search(text) is not None
    return [
        table_cell(column, n, v, style, sheet, date1904, escaped)
        for n, v in zip(numbers, values, strict=True)
    ]
