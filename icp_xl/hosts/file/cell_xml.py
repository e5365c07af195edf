"""One cell as worksheet XML (``<c>``), from a cell value: exact doubles, text that is
always text, and Excel's date serial numbers. No formula is ever written from a value: only
a :class:`~icp_xl.workbook.blocks.Formula` becomes a formula, stored with its cached value."""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time, timedelta
from typing import Any

from icp_xl.workbook.blocks import Formula, cell_value

# Characters XML 1.0 cannot hold; openpyxl refuses them, Excel shows nothing for them.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_EPOCH = datetime(1899, 12, 30)
_EPOCH_1904 = datetime(1904, 1, 1)
# Functions newer than Excel 2007 are stored with a prefix (Excel shows them without):
# _xlfn., and for FILTER and SORT _xlfn._xlws. (a file with _xlfn.SORT is not computed).
_NEWER_FUNCTIONS = {
    **dict.fromkeys(("SORTBY", "SEQUENCE", "XMATCH", "XLOOKUP", "UNIQUE", "NORM.S.INV",
                     "RANK.EQ", "RANK.AVG", "UNICODE"), "_xlfn."),
    **dict.fromkeys(("FILTER", "SORT"), "_xlfn._xlws."),
}  # fmt: skip
DATETIME_FORMAT = "yyyy-mm-dd h:mm:ss"  # openpyxl's format for a datetime in a General cell
DATE_FORMAT = "yyyy-mm-dd"


def escape(text: str) -> str:
    """``text`` safe inside an XML element or a double-quoted attribute."""
    text = _ILLEGAL.sub("", text)
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def unescape(text: str) -> str:
    """The text an escaped XML string stands for (the five predefined entities)."""
    return (
        text.replace("&quot;", '"')
        .replace("&apos;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
    )


def excel_serial(value: datetime | date | time, date1904: bool = False) -> float:
    """A date or time as Excel's serial number: days since 1899-12-30 (the 1900 system),
    or since 1904-01-01 in a workbook with the 1904 date system (``date1904``)."""
    if isinstance(value, time):
        return (value.hour * 3600 + value.minute * 60 + value.second) / 86400 + (
            value.microsecond / 86400e6
        )
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    delta: timedelta = value.replace(tzinfo=None) - (_EPOCH_1904 if date1904 else _EPOCH)
    return delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400


def cell_xml(ref: str, value: Any, style: int | None, date1904: bool = False) -> str:
    """The ``<c>`` element of cell ``ref`` holding ``value`` (str, float, int, bool,
    datetime/date/time, or None for a blank that keeps its ``style``). Floats are written
    with ``repr`` (shortest exact round trip); text is an inline string, so text starting
    with ``=`` stays text; empty text, NaN and infinities are blank. Dates are serial
    numbers of the workbook's date system (``date1904``: the 1904 one)."""
    s = "" if style is None else f' s="{style}"'
    if type(value) is Formula:
        return formula_xml(ref, value, s, date1904)
    if value is None or value == "":
        return f'<c r="{ref}"{s}/>' if s else ""
    kind = type(value)
    if kind is str:
        space = ' xml:space="preserve"' if value[:1].isspace() or value[-1:].isspace() else ""
        return f'<c r="{ref}"{s} t="inlineStr"><is><t{space}>{escape(value)}</t></is></c>'
    if kind is float:
        if not math.isfinite(value):
            return f'<c r="{ref}"{s}/>' if s else ""
        return f'<c r="{ref}"{s}><v>{value!r}</v></c>'
    if kind is bool:
        return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
    if kind is int:
        return f'<c r="{ref}"{s}><v>{value}</v></c>'
    if isinstance(value, datetime | date | time):
        return f'<c r="{ref}"{s}><v>{excel_serial(value, date1904)!r}</v></c>'
    converted = cell_value(value)  # numpy scalars, pandas NA and Timestamp
    if converted is None or type(converted) is not kind:
        return cell_xml(ref, converted, style, date1904)
    return cell_xml(ref, str(value), style, date1904)


def is_temporal(value: Any) -> bool:
    """Whether ``value`` is written as a date serial (and needs a date number format)."""
    return isinstance(value, datetime | date | time)


def file_formula(text: str) -> str:
    """A formula as typed in Excel (``=SORTBY(...)``) as the file stores it: no leading
    ``=``, newer functions prefixed with ``_xlfn.`` or ``_xlfn._xlws.`` (plain string
    replacements: this runs once per formula cell, hundreds of thousands of times in a live
    workbook)."""
    body = text[1:] if text.startswith("=") else text
    for name, prefix in _NEWER_FUNCTIONS.items():
        call = name + "("
        if call in body:
            body = body.replace(prefix + call, call).replace(call, prefix + call)
    return body


def formula_xml(
    ref: str, formula: Formula, style_attribute: str = "", date1904: bool = False
) -> str:
    """The ``<c>`` element of a formula cell with its cached value (text as ``t="str"``,
    a date as a serial of the workbook's date system, a blank result as no value); an
    array formula spans ``formula.array_rows`` rows."""
    body = escape(file_formula(formula.text))
    if formula.array_rows:
        column = ref.rstrip("0123456789")
        last = f"{column}{int(ref[len(column) :]) + formula.array_rows - 1}"
        head = f'<f t="array" ref="{ref}:{last}">'
    else:
        head = "<f>"
    value, kind = cell_value(formula.value), ""
    if value is None:
        cached = ""
    elif type(value) is str:
        kind, cached = ' t="str"', f"<v>{escape(value)}</v>"
    elif type(value) is bool:
        kind, cached = ' t="b"', f"<v>{int(value)}</v>"
    elif isinstance(value, datetime | date | time):
        cached = f"<v>{excel_serial(value, date1904)!r}</v>"
    elif type(value) is float and not math.isfinite(value):
        kind, cached = ' t="e"', "<v>#NUM!</v>"
    else:
        cached = f"<v>{value!r}</v>"
    return f'<c r="{ref}"{style_attribute}{kind}>{head}{body}</f>{cached}</c>'
