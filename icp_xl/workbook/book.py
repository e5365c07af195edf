"""The seam between actions and hosts: the small interface every action is written against.

Actions (:mod:`icp_xl.workbook.actions`) never touch openpyxl or xlwings; they read and
write *values* through a :class:`Book`. Two adapters implement it:

- :class:`icp_xl.hosts.file.book.FileBook` over an ``.xlsx`` package (calamine reads,
  streamed writes of the parts the product owns; headless CLI, tests); it builds the
  structure from :mod:`icp_xl.workbook.layout` with openpyxl only for a new workbook or
  a missing output sheet, table or name;
- ``XlwingsBook`` over a live workbook through xlwings' ``Book``/``Sheet``/``Range``
  API (ribbon buttons); it only writes values into the structure that is already
  there.

Conventions shared by every adapter:

- Cell values are ``str``, ``float``, ``int``, ``bool``, ``datetime`` or ``None``
  (a blank cell). A formula cell reads as its value where the host knows it.
- Addresses are A1 style without a sheet (``"B3"``, ``"A1:D10"``); sheets are
  given separately by name. Rows in a rectangle are lists of equal length.
- *Names* are workbook-scope defined names that refer to one cell
  (e.g. ``W_Vertical``); *tables* are Excel tables (ListObjects, e.g.
  ``ScoresTable``) with one header row; a Total Row (Excel's Table Design › Total Row)
  is not part of the body: it is never read as data, and a rewritten table keeps it
  below its new body.
- A missing sheet, name or table raises :class:`icp_xl.core.errors.IcpError` with a
  sentence naming it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import pandas as pd

from icp_xl.workbook.blocks import Block


@dataclass(frozen=True)
class Location:
    """Where a name or table lives: ``sheet`` and ``ref`` (``"B3"`` for a name,
    ``"A1:M101"`` for a table including its header row)."""

    sheet: str
    ref: str

    def __str__(self) -> str:
        return f"{self.sheet}!{self.ref}"


@runtime_checkable
class Book(Protocol):
    """A workbook as actions see it: values in, values out, nothing host-specific."""

    def sheet_names(self) -> list[str]:
        """Names of every sheet, in workbook order."""
        ...

    def read_range(self, sheet: str, ref: str) -> list[list[Any]]:
        """Values of the rectangle ``ref`` (``"A1:C4"``, or one cell ``"B2"`` as ``[[v]]``)."""
        ...

    def read_name(self, name: str) -> Any:
        """Value of the one-cell defined name ``name``."""
        ...

    def locate(self, name: str) -> Location:
        """Sheet and address of a defined name or a table (for messages and follow-up reads)."""
        ...

    def read_table(self, table: str) -> pd.DataFrame:
        """The table's body as raw cells: its header cells become the columns (as text),
        every cell an ``object`` value as stored. A table whose body is one blank row
        reads as zero rows."""
        ...

    def read_table_columns(self, table: str, headers: Sequence[str]) -> pd.DataFrame:
        """The table's body in only the columns named ``headers`` (see
        :func:`table_columns`): a few columns of a large table (the previous Scores) read
        without the others."""
        ...

    def write_block(self, block: Block) -> None:
        """Write ``block.rows`` with its top-left cell at ``block.top_left`` on ``block.sheet``."""
        ...

    def write_table(self, table: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Replace the table's header and body with ``header`` and ``rows``, resizing the
        table in place (its top-left cell stays). Cells the old body covered outside the
        new one are cleared. With no rows the body is one blank row (Excel needs one)."""
        ...

    def clear_range(self, sheet: str, ref: str) -> None:
        """Blank the values of every cell in ``ref`` on ``sheet`` (formats stay)."""
        ...

    def set_name(self, name: str, value: Any) -> None:
        """Set the value of the one-cell defined name ``name``."""
        ...

    def status(self, message: str) -> None:
        """Show progress or a short status (Excel status bar, or stderr when headless)."""
        ...


def table_columns(frame: pd.DataFrame, headers: Sequence[str]) -> pd.DataFrame:
    """The columns of ``frame`` (a table as :meth:`Book.read_table` gives it) named
    ``headers``, in the table's order; a header the table lacks is left out, a header it
    holds twice gives its first column. Trailing rows blank in every column kept are
    dropped, as :meth:`Book.read_table_columns` promises."""
    wanted = set(headers)
    positions = [i for i, name in enumerate(frame.columns) if name in wanted]
    positions = [i for i in positions if list(frame.columns).index(frame.columns[i]) == i]
    picked = frame.iloc[:, positions]
    values = picked.to_numpy(dtype=object)
    end = len(values) if positions else 0
    while end and all(v is None or v == "" for v in values[end - 1]):
        end -= 1
    return picked.iloc[:end].reset_index(drop=True)
