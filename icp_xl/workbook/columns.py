"""A table body held as columns: the rows of a large output table (Scores) without a Python
list per row or a Python float per number, for hosts to write a column block at a time.

:class:`ColumnRows` is a read-only sequence of rows, so every host and every helper that
takes rows (``Book.write_table``, Live mode's formulas, column fitting) takes it as it
is; a host that knows it (the file host's sheet writer) formats whole blocks of each
column instead of one cell at a time."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, overload

import numpy as np
import pandas as pd

from icp_xl.workbook.blocks import column_cells, float_cells

Column = np.ndarray | list[Any]


def as_column(values: pd.Series) -> Column:
    """A DataFrame column as :class:`ColumnRows` keeps it: a float64 column as its array
    (NaN and infinities read as blank), any other as its cell values
    (:func:`~icp_xl.workbook.blocks.column_cells`)."""
    if values.dtype == np.float64:
        return values.to_numpy(copy=True)  # not a view that would keep its frame's block
    return column_cells(values)


class ColumnRows(Sequence[list[Any]]):
    """Rows made of ``columns`` (equal lengths): each a float64 array (a non-finite number
    is a blank cell) or a list of cell values. ``rows[i]`` is row ``i`` as a list of cell
    values, as :func:`~icp_xl.workbook.blocks.cell_value` gives them."""

    def __init__(self, columns: Sequence[Column]) -> None:
        self.columns: list[Column] = list(columns)
        lengths = {len(c) for c in self.columns}
        if len(lengths) > 1:
            raise ValueError(f"columns of different lengths: {sorted(lengths)}")
        self._length = lengths.pop() if lengths else 0

    @property
    def width(self) -> int:
        return len(self.columns)

    def __len__(self) -> int:
        return self._length

    @overload
    def __getitem__(self, index: int) -> list[Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[list[Any]]: ...

    def __getitem__(self, index: int | slice) -> list[Any] | list[list[Any]]:
        if isinstance(index, slice):
            start, stop, step = index.indices(self._length)
            if step != 1:
                return [self[i] for i in range(start, stop, step)]
            return [
                list(row)
                for row in zip(*(_cells(c, start, stop) for c in self.columns), strict=True)
            ]
        if index < 0:
            index += self._length
        if not 0 <= index < self._length:
            raise IndexError("row index out of range")
        return [_cell(column, index) for column in self.columns]

    def __iter__(self) -> Iterator[list[Any]]:
        for index in range(self._length):
            yield [_cell(column, index) for column in self.columns]

    def with_columns(self, more: Sequence[Column]) -> ColumnRows:
        """These rows followed, to the right, by the columns ``more``."""
        return ColumnRows([*self.columns, *more])


def _cells(column: Column, start: int, stop: int) -> list[Any]:
    """The cell values of ``column[start:stop]``, a float array's converted whole."""
    if not isinstance(column, np.ndarray):
        return column[start:stop]
    return float_cells(column[start:stop])


def _cell(column: Column, index: int) -> Any:
    if isinstance(column, np.ndarray):
        value = float(column[index])
        return value if np.isfinite(value) else None
    return column[index]
