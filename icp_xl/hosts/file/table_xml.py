"""An Excel table part (``xl/tables/tableN.xml``) resized in place: its ``ref``, its
autoFilter's ``ref`` and, when the header changed, its column names."""

from __future__ import annotations

import re
from collections.abc import Sequence

from icp_xl.hosts.file.cell_xml import escape, unescape

_TABLE_TAG = re.compile(r"<(\w+:)?table\b[^>]*>")
_REF = re.compile(r'(\sref=")[^"]*(")')
_AUTO_FILTER = re.compile(r"<(?:\w+:)?autoFilter\b[^>]*>")
_COLUMNS = re.compile(r"<(\w+:)?tableColumns\b[^>]*?(?:/>|>.*?</(?:\w+:)?tableColumns>)", re.S)
_COLUMN_NAME = re.compile(r'<(?:\w+:)?tableColumn\b[^>]*?\bname="([^"]*)"')


def resized_table(text: str, ref: str, header: Sequence[str]) -> str:
    """``text`` (a table part) covering ``ref`` (``A1:S101``) with columns ``header``;
    the column list is rebuilt only when its names differ from ``header``."""
    tag = _TABLE_TAG.search(text)
    text = (
        text[: tag.start()]
        + _REF.sub(rf"\g<1>{ref}\g<2>", tag.group(0), count=1)
        + text[tag.end() :]
    )
    text = _AUTO_FILTER.sub(lambda m: _REF.sub(rf"\g<1>{ref}\g<2>", m.group(0), count=1), text)
    columns = _COLUMNS.search(text)
    names = [unescape(n) for n in _COLUMN_NAME.findall(columns.group(0))] if columns else []
    if columns is None or names == [str(h) for h in header]:
        return text
    p = columns.group(1) or ""
    rebuilt = f'<{p}tableColumns count="{len(header)}">' + "".join(
        f'<{p}tableColumn id="{i}" name="{escape(str(h))}"/>' for i, h in enumerate(header, 1)
    )
    rebuilt += f"</{p}tableColumns>"
    return text[: columns.start()] + rebuilt + text[columns.end() :]
