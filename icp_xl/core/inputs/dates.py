"""Dates as CRM exports and spreadsheets hold them: date cells, Excel serial numbers, ISO
text (``2024-03-15``, ``2024-03-15T10:04:00Z``), US text (``03/15/2024``) and European text
(``15/03/2024``, ``15.03.2024``, ``15-03-2024``).

A column is read in one order for slashed dates: day first when some cell can only be
day-first (``15/03/2024``), month first otherwise (``03/15/2024``, and the ambiguous
``03/04/2024`` as a US export writes it). Dates with dots are always day first. Nothing
here raises: :func:`read_date_column` says which cells it could not read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from icp_xl.core.inputs.numbers import BLANK_WORDS

EXCEL_EPOCH = datetime(1899, 12, 30)
# Serial numbers of 1 Jan 1900 .. 31 Dec 2199: other numbers are not dates.
FIRST_SERIAL, LAST_SERIAL = 1.0, 109938.0
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?"
                  r"\s*(?:Z|[+-]\d{2}:?\d{2}|UTC)?$")  # fmt: skip
_PARTS = re.compile(r"^(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})"
                    r"(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?$")  # fmt: skip


@dataclass(frozen=True)
class DateColumn:
    """One column read as dates: ``values`` (datetime64[ns], NaT = blank), ``bad`` positions
    of cells that are not dates, ``day_first`` whether slashed text was read day first."""

    values: np.ndarray
    bad: np.ndarray
    day_first: bool = False


def _day_first(texts: list[str]) -> bool:
    """Whether slashed dates are written day first: some cell's first part is above 12."""
    for text in texts:
        match = _PARTS.match(text)
        if match and match.group(2) != "." and int(match.group(1)) > 12:
            return True
    return False


def date_from_text(text: str, day_first: bool = False) -> datetime | None:
    """One text cell as a datetime; None when it is not a date; blank words give
    ``datetime.min`` (the caller's blank)."""
    stripped = text.strip()
    if stripped.lower() in BLANK_WORDS:
        return datetime.min
    try:
        match = _ISO.match(stripped)
        if match:
            y, m, d, hh, mm, ss = (int(g) if g else 0 for g in match.groups())
            return datetime(y, m, d, hh, mm, ss)
        match = _PARTS.match(stripped)
        if match:
            a, sep, b, year, hh, mm, ss, half = match.groups()
            first, second = int(a), int(b)
            day, month = (first, second) if day_first or sep == "." else (second, first)
            y = int(year) + (2000 if len(year) == 2 else 0)
            hour = int(hh or 0)
            if half:  # 12:30 AM is 00:30, 1:00 PM is 13:00
                hour = hour % 12 + (12 if half.lower() == "pm" else 0)
            return datetime(y, month, day, hour, int(mm or 0), int(ss or 0))
    except ValueError:  # 31/02/2024, month 13
        return None
    return None


def read_date_column(values: pd.Series) -> DateColumn:
    """Read a column of cells (dates, Excel serials, date text, blanks) as datetimes."""
    cells = values.reset_index(drop=True).astype(object)
    texts = [c.strip() for c in cells if isinstance(c, str)]
    day_first = _day_first(texts)
    out = np.full(len(cells), np.datetime64("NaT"), dtype="datetime64[ns]")
    bad = []
    for i, cell in enumerate(cells):
        value = _date_of(cell, day_first)
        if value is None:
            bad.append(i)
        elif value is not datetime.min:
            out[i] = np.datetime64(value, "ns")
    return DateColumn(out, np.asarray(bad, dtype=int), day_first)


def _date_of(cell: object, day_first: bool) -> datetime | None:
    """A cell's datetime; ``datetime.min`` for blank; None when it is not a date."""
    if cell is None or (isinstance(cell, float) and np.isnan(cell)) or cell is pd.NaT:
        return datetime.min
    if isinstance(cell, bool | np.bool_):
        return None
    if isinstance(cell, pd.Timestamp):
        return cell.to_pydatetime().replace(tzinfo=None)
    if isinstance(cell, datetime):
        return cell.replace(tzinfo=None)
    if isinstance(cell, date):
        return datetime(cell.year, cell.month, cell.day)
    if isinstance(cell, int | float | np.integer | np.floating):
        serial = float(cell)
        if FIRST_SERIAL <= serial <= LAST_SERIAL:
            return EXCEL_EPOCH + timedelta(days=serial)
        return None
    if isinstance(cell, str):
        text = cell.strip()
        try:
            serial = float(text)
        except ValueError:
            return date_from_text(text, day_first)
        return _date_of(serial, day_first)
    return None
