"""An Excel table part (``xl/tables/tableN.xml``) resized in place: its ``ref``, its
autoFilter's ``ref`` and, when the header changed, its column names."""

from __future__ import annotations

import re
from collections.abc import Sequence

from icp_xl.core.inputs.cells import table_data_ref
from icp_xl.hosts.file.cell_xml import escape, unescape

_TABLE_TAG = re.compile(r"<(\w+:)?table\b[^>]*>")
_REF = re.compile(r'(\sref=")[^"]*(")')
_AUTO_FILTER = re.compile(r"<(?:\w+:)?autoFilter\b[^>]*>")
_COLUMNS = re.compile(r"<(\w+:)?tableColumns\b[^>]*?(?:/>|>.*?</(?:\w+:)?tableColumns>)", re.S)
_COLUMN = re.compile(r"<(?:\w+:)?tableColumn\b[^>]*?(?:/>|>.*?</(?:\w+:)?tableColumn>)", re.S)
_COLUMN_NAME = re.compile(r'<(?:\w+:)?tableColumn\b[^>]*?\bname="([^"]*)"')
_COLUMN_ID = re.compile(r'<(?:\w+:)?tableColumn\b[^>]*?\bid="(\d+)"')


def resized_table(text: str, ref: str, header: Sequence[str], totals: int = 0) -> str:
    """``text`` (a table part) covering ``ref`` (``A1:S101``, its ``totals`` Total Rows
    included) with columns ``header``. The autoFilter covers the header and the body, as
    Excel's does. The column list is rebuilt only when its names differ from ``header``;
    a column that keeps its name keeps its element (its Total Row function or label, its
    formats), a new one gets a new id."""
    tag = _TABLE_TAG.search(text)
    text = (
        text[: tag.start()]
        + _REF.sub(rf"\g<1>{ref}\g<2>", tag.group(0), count=1)
        + text[tag.end() :]
    )
    filtered = table_data_ref(ref, totals)
    text = _AUTO_FILTER.sub(lambda m: _REF.sub(rf"\g<1>{filtered}\g<2>", m.group(0), count=1), text)
    columns = _COLUMNS.search(text)
    if columns is None:
        return text
    old = {}
    for element in _COLUMN.findall(columns.group(0)):
        name = _COLUMN_NAME.search(element)
        if name is not None:
            old.setdefault(unescape(name.group(1)), element)
    if list(old) == [str(h) for h in header] and len(old) == len(_COLUMN.findall(columns.group(0))):
        return text
    p = columns.group(1) or ""
    ids = [int(i) for i in _COLUMN_ID.findall(columns.group(0))]
    next_id = max(ids, default=0) + 1
    elements = []
    for name in (str(h) for h in header):
        kept = old.pop(name, None)
        if kept is None:
            kept = f'<{p}tableColumn id="{next_id}" name="{escape(name)}"/>'
            next_id += 1
        elements.append(kept)
    rebuilt = f'<{p}tableColumns count="{len(header)}">' + "".join(elements)
    rebuilt += f"</{p}tableColumns>"
    return text[: columns.start()] + rebuilt + text[columns.end() :]
