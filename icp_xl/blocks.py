"""A rectangle of values bound for one place in the workbook: the unit actions write."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


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
