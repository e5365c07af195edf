"""What the layout is made of: number formats, sheet names, and the kinds of part a sheet
holds (sheets, tables and their columns, named cells, formatted ranges, text cells)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

MONEY = '"$"#,##0'
ANNUAL_REVENUE = '"$"#,##0;-"$"#,##0;"unknown"'  # 0 is unknown revenue, never "$0"
SCORE = "0.0"
COMPONENT = "0.000"
WEIGHT = "0.00"
PERCENT = "0.0%"
COUNT = "#,##0"
INTEGER = "0"
TIMESTAMP = "yyyy-mm-dd hh:mm:ss"

ACCOUNTS = "Accounts"
WEIGHTS = "Weights"
SETTINGS = "Settings"
SCORES = "Scores"
DASHBOARD = "Dashboard"
SEGMENTS_SHEET = "Segments"
TOP_CUSTOMERS = "Top Customers"
OPTIMIZATION = "Optimization"
ACCOUNT = "Account"
CHART_DATA = "Chart Data"
DATA_QUALITY = "Data Quality"
MOVERS = "Movers"
MOVERS_WIDTHS: Mapping[str, float] = MappingProxyType(
    {"A": 16, "B": 20, "C": 11, "D": 20, "E": 17, "F": 12, "G": 26, "H": 34, "I": 9, "J": 16,
     "K": 26, **{c: 10 for c in "LMNOPQ"}}
)  # fmt: skip

Role = Literal["input", "output", "external"]


@dataclass(frozen=True)
class SheetSpec:
    """One sheet: its name, role, title in A1 (None = leave A1 to the content),
    column widths by letter, the top-left cell of the unfrozen area, a note, and the
    header rows whose text wraps (two lines high)."""

    name: str
    role: Role
    title: str | None = None
    widths: Mapping[str, float] = field(default_factory=dict)
    freeze: str | None = None
    note: str | None = None
    wrapped_rows: tuple[int, ...] = ()


@dataclass(frozen=True)
class Column:
    """A table or block column: header text, number format and width (None = default)."""

    header: str
    number_format: str | None = None
    width: float | None = None


@dataclass(frozen=True)
class TableSpec:
    """An Excel table (ListObject) with its header row starting at ``top_left``."""

    name: str
    sheet: str
    top_left: str
    columns: tuple[Column, ...]
    style: str = "TableStyleMedium2"

    @property
    def header(self) -> tuple[str, ...]:
        return tuple(c.header for c in self.columns)


@dataclass(frozen=True)
class NamedCell:
    """A workbook-scope defined name for one cell, with the label written to its left
    (``label`` None = no label), default value (a formula when text starts with '=')
    and number format."""

    name: str
    sheet: str
    ref: str
    label: str | None
    default: Any = None
    number_format: str | None = None


@dataclass(frozen=True)
class FormatRange:
    """A static range of an output sheet that always carries ``number_format``."""

    sheet: str
    ref: str
    number_format: str


@dataclass(frozen=True)
class TextCell:
    """A fixed caption (section header or column header) written when the sheet is built."""

    sheet: str
    ref: str
    text: str
    bold: bool = True
