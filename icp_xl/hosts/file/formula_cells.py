"""The formula cells of a worksheet part, found without parsing its other cells: a quick
scan for ``<f`` tells whether there is any, and only then are those cells located."""

from __future__ import annotations

import re
import zipfile

import numpy as np

from icp_xl.core.inputs.cells import column_number
from icp_xl.hosts.file.cell_xml import unescape
from icp_xl.hosts.file.part_stream import open_part

_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
_CELL_START = re.compile(rb"<(?:\w+:)?c\b[^>]*>")
_REF = re.compile(rb'\br="([A-Z]+)(\d+)"')
_FORMULA_TEXT = re.compile(rb"<(?:\w+:)?f\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?f>)", re.S)


def formula_cells(package: zipfile.ZipFile, part: str) -> dict[tuple[int, int], str]:
    """(row, column) -> formula text with a leading ``=`` (``""`` for a cell that shares
    another cell's formula) of every formula cell in worksheet ``part``."""
    if not _has_formula(package, part):
        return {}
    data = package.read(part)
    start, end = data.find(b"sheetData"), data.rfind(b"sheetData")  # formulas live in cells
    found: dict[tuple[int, int], str] = {}
    for match in _FORMULA.finditer(data, max(start, 0), max(end, 0)):
        start = data.rfind(b"<c ", 0, match.start())
        alt = data.rfind(b":c ", 0, match.start())
        start = max(start, alt - 1 if alt >= 0 else -1)
        cell = _CELL_START.match(data, start) if start >= 0 else None
        ref = _REF.search(cell.group(0)) if cell else None
        if ref is None:
            continue
        text = _FORMULA_TEXT.match(data, match.start())
        body = text.group(1) if text and text.group(1) else b""
        formula = unescape(body.decode()) if body else ""
        key = (int(ref.group(2)), column_number(ref.group(1).decode()))
        found[key] = f"={formula}" if formula else ""
    return found


def _has_formula(package: zipfile.ZipFile, part: str) -> bool:
    tail = b""
    with open_part(package, part) as stream:
        for chunk in iter(lambda: stream.read(1 << 22), b""):
            text = tail + chunk
            if _may_hold_formula(text) and _FORMULA.search(text):
                return True
            tail = chunk[-16:]
    return False


def _may_hold_formula(text: bytes) -> bool:
    """Whether ``text`` holds "<f" or ":f" (every formula element does), looked for a whole
    block at a time: a byte search stops at every "<", which XML is full of."""
    data = np.frombuffer(text, dtype=np.uint8)
    follows_f = data[1:] == ord("f")
    return bool(np.any(follows_f & ((data[:-1] == ord("<")) | (data[:-1] == ord(":")))))
