"""A rectangle of values bound for one place in the workbook: the unit actions write,
and :func:`cell_value`, the one conversion of a computed value to a cell value."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd


def cell_value(value: Any) -> Any:
    """A value as stored in a cell: NaN/inf/NA/NaT -> None (blank), numpy scalars ->
    Python, pandas Timestamp -> datetime; anything else unchanged."""
    kind = type(value)
    if kind is str:
        return value
    if kind is float:
        return value if math.isfinite(value) else None
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


def column_cells(column: pd.Series) -> list[Any]:
    """:func:`cell_value` of every value of ``column``; a float column is converted whole
    (NaN and infinities blank), without a call per value."""
    if column.dtype == np.float64:
        return float_cells(column.to_numpy())
    return [cell_value(v) for v in column.tolist()]


def float_cells(values: np.ndarray) -> list[Any]:
    """A float array as cell values, converted whole: NaN and infinities blank (None)."""
    cells = values.tolist()
    for position in np.flatnonzero(~np.isfinite(values)).tolist():
        cells[position] = None
    return cells


@dataclass(frozen=True, slots=True)
class Formula:
    """A cell formula together with the value it computes, for hosts to write both.

    ``text`` is the formula as typed in English Excel (leading ``=``, no ``_xlfn.``
    prefixes); ``value`` the result Python computed (str, float, int, bool or None), which
    the file host stores as the cell's cached value so every reader sees it without
    recalculating. ``array_rows`` > 0 makes it a fixed-size array formula filling this
    cell and the ``array_rows - 1`` cells below it (whose cells in the block hold their
    values)."""

    text: str
    value: Any = None
    array_rows: int = 0

    def __str__(self) -> str:  # what the cell shows (column widths measure it)
        return "" if self.value is None else str(self.value)


def plain_value(value: Any) -> Any:
    """A cell value as a reader sees it: a :class:`Formula`'s cached value, else ``value``."""
    return value.value if type(value) is Formula else value


@dataclass(frozen=True)
class Block:
    """``rows`` (a list of equal-length rows) to write with its top-left cell at ``top_left``
    (A1 style, e.g. ``"B3"``) on sheet ``sheet``. Cell values are str, float, int, bool or
    None (blank)."""

    sheet: str
    top_left: str
    rows: Sequence[Sequence[Any]]

    @property
    def height(self) -> int:
        return len(self.rows)

    @property
    def width(self) -> int:
        return max((len(r) for r in self.rows), default=0)
