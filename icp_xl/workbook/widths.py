"""Column widths from content: how wide a value reads once its number format is applied.

Pure: values and Excel format codes in, widths in characters (Excel's column width unit,
the width of one '0' of the default font) out. Used by the file host to fit the columns
of table-like sheets (:func:`icp_xl.workbook.layout.fitted_header_row`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

PADDING = 2.0  # characters added to the widest value so neighbours never touch
HEADER_LINES = 3  # a header may wrap onto this many lines


def display_text(value: Any, number_format: str | None) -> str:
    """``value`` roughly as Excel shows it with ``number_format`` (thousands separators,
    currency sign, decimals, percent, date-times); only its length matters."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "FALSE" if not value else "TRUE"
    if isinstance(value, datetime | date):
        return "0" * len(number_format or "yyyy-mm-dd hh:mm:ss")
    if not isinstance(value, int | float) or not math.isfinite(float(value)):
        return str(value)
    fmt = (number_format or "General").split(";")[0]
    decimals = len(fmt.split(".")[1].rstrip('%"x ')) if "." in fmt else 0
    number = float(value) * (100 if "%" in fmt else 1)
    if "E+" in fmt:
        text = f"{number:.{decimals}E}"
    elif "#,##" in fmt:
        text = f"{number:,.{decimals}f}"
    elif fmt == "General":
        text = f"{number:.10g}"
    else:
        text = f"{number:.{decimals}f}"
    return ("$" if "$" in fmt else "") + text + ("%" if "%" in fmt else "")


def header_width(text: str, lines: int = HEADER_LINES) -> float:
    """Width a header needs when it may wrap onto ``lines`` lines: its longest word, or
    its length shared evenly between the lines, whichever is wider."""
    words = str(text).split()
    if not words:
        return 0.0
    longest = max(len(w) for w in words)
    return float(max(longest, math.ceil(len(str(text)) / lines)))


def column_width(
    header: str | None,
    cells: Iterable[tuple[Any, str | None]],
    bounds: tuple[float, float],
    header_lines: int = HEADER_LINES,
) -> float:
    """Width of a column: the widest of its header (wrapping allowed) and its
    ``(value, number format)`` cells as displayed, plus :data:`PADDING`, within ``bounds``
    (low, high) in characters; the header may wrap onto ``header_lines`` lines."""
    widest = header_width(header, header_lines) if header else 0.0
    for value, number_format in cells:
        widest = max(widest, len(display_text(value, number_format)) * _glyph_factor(value))
    low, high = bounds
    return float(min(max(widest + PADDING, low), high))


def _glyph_factor(value: Any) -> float:
    """Text in a proportional font is a little wider than the same count of digits."""
    return 1.1 if isinstance(value, str) else 1.0


def fitted_widths(
    header: Sequence[Any],
    rows: Iterable[Sequence[Any]],
    formats: Sequence[str | None],
    bounds: tuple[float, float],
    header_lines: int = HEADER_LINES,
) -> list[float]:
    """Width of each column of a block: ``header`` (one cell per column), the ``rows``
    below it and each column's number format (None = General), in characters within
    ``bounds``; see :func:`column_width`."""
    body = list(rows)
    widths = []
    for index, head in enumerate(header):
        fmt = formats[index] if index < len(formats) else None
        values = [row[index] for row in body if index < len(row)]
        text = head if isinstance(head, str) else None
        cells = ((v, fmt) for v in _widest_candidates(values, fmt))
        widths.append(column_width(text, cells, bounds, header_lines))
    return widths


def _widest_candidates(values: list[Any], number_format: str | None) -> list[Any]:
    """The values of a column whose display can be the widest. Text shows as it is, so of
    the texts only the longest can be widest. With a fixed number format (decimals,
    thousands, percent, currency) a number's text grows with its size and a minus sign,
    so of the numbers only the largest and the smallest can be widest."""
    texts = [v for v in values if type(v) is str]
    if len(texts) > 1:
        values = [v for v in values if type(v) is not str] + [max(texts, key=len)]
    fmt = number_format or "General"
    if fmt == "General" or "E+" in fmt:
        return values
    numbers = [v for v in values if type(v) in (int, float) and math.isfinite(v)]
    if len(numbers) <= 2:
        return values
    largest, smallest = max(numbers), min(numbers)
    if "%" in fmt and not math.isfinite(100.0 * max(largest, -smallest)):
        return values  # times 100 it overflows and shows as 'inf', which is not the widest
    others = [v for v in values if not (type(v) in (int, float) and math.isfinite(v))]
    return [*others, largest, smallest]
