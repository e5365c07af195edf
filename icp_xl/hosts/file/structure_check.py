"""What a workbook's structure lacks, from its package index alone (no openpyxl): the
check a save runs before deciding whether the structure must be rebuilt
(:mod:`icp_xl.hosts.file.structure`, which imports openpyxl and is only loaded then)."""

from __future__ import annotations

from collections.abc import Sequence

from icp_xl.core.errors import IcpError
from icp_xl.workbook import layout

MACRO_SUFFIXES = (".xlsm", ".xltm")


def missing_structure(
    sheets: Sequence[str], names: Sequence[str], tables: Sequence[str], outcomes: bool = False
) -> list[str]:
    """What of the output structure a workbook lacks, one phrase each (empty when
    complete): output sheets, output tables, output named cells. ``sheets``, ``names``
    and ``tables`` are what it has. The optional Outcomes sheets
    (:data:`~icp_xl.workbook.layout.OPTIONAL_SHEETS`) count only with ``outcomes`` (an
    opportunities import), so a workbook made before them is not rebuilt for them.
    Raises IcpError when an input sheet is missing."""
    require_input_sheets(sheets)
    optional = set() if outcomes else layout.OPTIONAL_SHEETS
    lacking = [
        f"sheet '{s.name}'"
        for s in layout.SHEETS
        if s.role != "input" and s.name not in sheets and s.name not in optional
    ]
    lacking += [
        f"table {t.name}"
        for t in output_tables()
        if t.name not in tables and t.sheet not in optional
    ]
    lacking += [f"name {n}" for n in layout.BACKFILLED_NAMES if n not in names]
    lacking += [f"table {name}" for name in layout.DEFAULT_TABLE_ROWS if name not in tables]
    lacking += [
        f"name {n.name}"
        for n in layout.NAMES
        if n.sheet not in layout.INPUT_SHEETS and n.name not in names and n.sheet in sheets
    ]
    return lacking


def output_tables() -> list[layout.TableSpec]:
    """The tables a rebuild makes: those of output sheets, and input-sheet tables added to
    the layout after the first workbooks were made (empty until an action fills them)."""
    return [
        t
        for t in layout.TABLES
        if t.sheet not in layout.INPUT_SHEETS or t in layout.BACKFILLED_TABLES
    ]


def require_input_sheets(sheets: Sequence[str]) -> None:
    """Raise IcpError naming the input sheets (Accounts, Weights, Settings) not in ``sheets``."""
    missing_inputs = sorted(s for s in layout.INPUT_SHEETS if s not in sheets)
    if missing_inputs:
        raise IcpError(f"The workbook has no sheet {', '.join(missing_inputs)}")
