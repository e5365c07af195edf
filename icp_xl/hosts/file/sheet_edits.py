"""What the actions wrote on one sheet and not yet saved: an ordered list of layers
(rectangles of values, cleared rectangles), read back through :meth:`SheetEdits.overlay`
and streamed into the worksheet part on save (:mod:`icp_xl.hosts.file.sheet_writer`)."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from icp_xl.workbook.blocks import plain_value
from icp_xl.workbook.columns import ColumnRows


@dataclass
class Values:
    """``rows`` written with their top-left cell at (``top``, ``left``), 1-based.

    ``formats``: a number format per column (None = keep the cell's own) applied to the
    cell's style. ``table_body``: the rows are a table body; every cell of a column gets
    one style, taken from the first body row's old cell in that column with ``formats``
    applied (the style the layout gave the column), without reading the old cells."""

    top: int
    left: int
    rows: Sequence[Sequence[Any]]
    formats: Sequence[str | None] | None = None
    table_body: bool = False
    width: int = field(init=False)

    def __post_init__(self) -> None:
        rows = self.rows
        self.width = rows.width if isinstance(rows, ColumnRows) else max(map(len, rows), default=0)

    @property
    def bottom(self) -> int:
        return self.top + len(self.rows) - 1

    @property
    def right(self) -> int:
        return self.left + self.width - 1


@dataclass(frozen=True)
class Cleared:
    """Cells whose values are blanked (their styles stay), 1-based and inclusive."""

    top: int
    left: int
    bottom: int
    right: int


Layer = Values | Cleared


class SheetEdits:
    """The layers written on one sheet, oldest first (a later layer wins)."""

    def __init__(self) -> None:
        self.layers: list[Layer] = []
        self._bands: tuple[list[int], list[list[Layer]]] | None = None

    def add(self, layer: Layer) -> None:
        """Append a layer (empty ``Values`` are ignored)."""
        if isinstance(layer, Values) and (not layer.rows or layer.width == 0):
            return
        self.layers.append(layer)
        self._bands = None

    def overlay(self, top: int, left: int, grid: list[list[Any]]) -> list[list[Any]]:
        """``grid`` (values read from the file for the rectangle starting at ``top``,
        ``left``) with every layer applied in order, changed in place and returned."""
        if not grid:
            return grid
        bottom, right = top + len(grid) - 1, left + len(grid[0]) - 1
        for layer in self.layers:
            first, last = max(top, layer.top), min(bottom, layer.bottom)
            lo, hi = max(left, layer.left), min(right, layer.right)
            if first > last or lo > hi:
                continue
            if isinstance(layer, Cleared):
                for row in range(first, last + 1):
                    grid[row - top][lo - left : hi - left + 1] = [None] * (hi - lo + 1)
                continue
            sources = layer.rows[first - layer.top : last - layer.top + 1]  # one slice: fast
            for row, source in enumerate(sources, start=first):
                end = min(hi, layer.left + len(source) - 1)
                if end >= lo:
                    grid[row - top][lo - left : end - left + 1] = [
                        plain_value(v) for v in source[lo - layer.left : end - layer.left + 1]
                    ]
        return grid

    def covers(self, row: int, column: int) -> bool:
        """Whether some layer writes or clears the cell (``row``, ``column``)."""
        return any(
            layer.left <= column <= layer.right
            and (
                isinstance(layer, Cleared) or column - layer.left < len(layer.rows[row - layer.top])
            )
            for layer in self.active(row)
        )

    def value_rows(self) -> list[int]:
        """Every row number some ``Values`` layer writes, ascending."""
        rows: set[int] = set()
        for layer in self.layers:
            if isinstance(layer, Values):
                rows.update(range(layer.top, layer.bottom + 1))
        return sorted(rows)

    def active(self, row: int) -> list[Layer]:
        """The layers that cover row ``row``, oldest first."""
        return self.band(row)[0]

    def band(self, row: int) -> tuple[list[Layer], int]:
        """(the layers that cover row ``row``, oldest first; the last row they all
        cover alike)."""
        if self._bands is None:
            edges = sorted({e for lay in self.layers for e in (lay.top, lay.bottom + 1)})
            bands = [[lay for lay in self.layers if lay.top <= e <= lay.bottom] for e in edges]
            self._bands = (edges, bands)
        edges, bands = self._bands
        index = bisect.bisect_right(edges, row) - 1
        last = edges[index + 1] - 1 if index + 1 < len(edges) else 1 << 30
        return (bands[index] if index >= 0 else []), last
