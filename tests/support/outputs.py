"""What a workbook's outputs are, for comparing two runs: the output sheets' cell values and
number formats, the tables' ranges and the defined names, read back with openpyxl."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl

from icp_xl.workbook import layout


def output_snapshot(path: Path, sheets: tuple[str, ...] = ()) -> dict[str, dict[Any, Any]]:
    """``cells`` ((sheet, A1) -> (value, number format) of every non-blank cell of the
    output sheets and of ``sheets``, run times (date-time cells) left out), ``tables`` (name ->
    range) and ``names`` (defined name -> formula text)."""
    wb = openpyxl.load_workbook(path)
    cells = {}
    for spec in layout.SHEETS:
        if spec.role == "input" and spec.name not in sheets:
            continue
        for row in wb[spec.name].iter_rows():
            for cell in row:
                if cell.value is not None and not isinstance(cell.value, datetime):
                    cells[(spec.name, cell.coordinate)] = (cell.value, cell.number_format)
    tables = {name: ws.tables[name].ref for ws in wb.worksheets for name in ws.tables}
    names = {n: wb.defined_names[n].attr_text for n in wb.defined_names}
    return {"cells": cells, "tables": tables, "names": names}
