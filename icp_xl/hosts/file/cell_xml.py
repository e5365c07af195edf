"""One cell as worksheet XML (``<c>``), from a cell value: exact doubles, text that is
always text, and Excel's date serial numbers. No formula is ever written from a value:
only a :class:`Formula` (a table's Total Row moved as it was) writes one."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from icp_xl.workbook.blocks import cell_value

# Characters XML 1.0 cannot hold; openpyxl refuses them, Excel shows nothing for them.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_EPOCH = datetime(1899, 12, 30)
_EPOCH_1904 = datetime(1904, 1, 1)
DATETIME_FORMAT = "yyyy-mm-dd h:mm:ss"  # openpyxl's format for a datetime in a General cell
DATE_FORMAT = "yyyy-mm-dd"


@dataclass(frozen=True)
class Formula:
    """A formula cell moved as it was: ``text`` without the leading ``=`` and ``cached``,
    the value it was last calculated to (str, number, bool or None)."""

    text: str
    cached: Any = None

    def __str__(self) -> str:  # what the cell shows (column widths measure it)
        return "" if self.cached is None else str(self.cached)


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
    if isinstance(value, Formula):
        return _formula_xml(ref, value, s, date1904)
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


def _formula_xml(ref: str, formula: Formula, style: str, date1904: bool) -> str:
    """A formula cell with the value it last calculated to (text as ``t="str"``, as Excel
    writes it; no value when it had none)."""
    cached, kind, last = formula.cached, "", ""
    if isinstance(cached, str):
        kind, last = ' t="str"', escape(cached)
    elif isinstance(cached, bool):
        kind, last = ' t="b"', str(int(cached))
    elif isinstance(cached, int):
        last = str(cached)
    elif isinstance(cached, float) and math.isfinite(cached):
        last = repr(cached)
    elif isinstance(cached, datetime | date | time):
        last = repr(excel_serial(cached, date1904))
    value = f"<v>{last}</v>" if last else ""
    return f'<c r="{ref}"{style}{kind}><f>{escape(formula.text)}</f>{value}</c>'
