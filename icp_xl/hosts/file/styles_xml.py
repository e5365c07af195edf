"""The cell styles of a package (``xl/styles.xml``): find or add the style that is an
existing one with a given number format. Only ``numFmts`` and ``cellXfs`` are touched,
and only when a new style is needed; everything else in the part stays as it was."""

from __future__ import annotations

import re

from icp_xl.hosts.file.cell_xml import escape, unescape

# Excel's built-in number formats that the layout uses (others get custom ids from 164).
_BUILT_IN = {
    "General": 0, "0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4, "0%": 9, "0.00%": 10,
    "0.00E+00": 11, "mm-dd-yy": 14, "d-mmm-yy": 15, "h:mm": 20, "h:mm:ss": 21,
    "m/d/yy h:mm": 22, "@": 49,
}  # fmt: skip
_DATE_IDS = frozenset(range(14, 23)) | frozenset(range(45, 48))
_NUM_FMT = re.compile(r'<(\w+:)?numFmt\b[^>]*?numFmtId="(\d+)"[^>]*?formatCode="([^"]*)"[^>]*/>')
_NUM_FMTS = re.compile(r"<(\w+:)?numFmts\b.*?</(?:\w+:)?numFmts>", re.S)
_CELL_XFS = re.compile(r"<(\w+:)?cellXfs\b[^>]*>(.*?)</(?:\w+:)?cellXfs>", re.S)
_XF = re.compile(r"<(?:\w+:)?xf\b[^>]*?(?:/>|>.*?</(?:\w+:)?xf>)", re.S)
_NUM_FMT_ID = re.compile(r'\bnumFmtId="(\d+)"')


class StyleSheet:
    """``xl/styles.xml`` text with lookups: :meth:`with_number_format` gives the index
    of the style equal to a given one but for its number format, adding it when needed;
    :meth:`text` is the (possibly changed) part."""

    def __init__(self, text: str) -> None:
        self._text = text
        self.changed = False
        formats = _NUM_FMTS.search(text)
        self._formats = {
            int(m.group(2)): unescape(m.group(3))
            for m in _NUM_FMT.finditer(formats.group(0) if formats else "")
        }
        self._new_formats: list[tuple[int, str]] = []
        block = _CELL_XFS.search(text)
        self._prefix = (block.group(1) or "") if block else ""
        self._xfs = [m.group(0) for m in _XF.finditer(block.group(2))] if block else []
        self._cache: dict[tuple[int | None, str], int] = {}

    def number_format(self, style: int | None) -> str:
        """The format code of style ``style`` (None or unknown: ``General``)."""
        if style is None or style >= len(self._xfs):
            return "General"
        match = _NUM_FMT_ID.search(self._xfs[style])
        code_id = int(match.group(1)) if match else 0
        return self._formats.get(code_id) or next(
            (code for code, i in _BUILT_IN.items() if i == code_id), "General"
        )

    def is_date(self, style: int | None) -> bool:
        """Whether style ``style`` shows a number as a date or time."""
        if style is None or style >= len(self._xfs):
            return False
        match = _NUM_FMT_ID.search(self._xfs[style])
        code_id = int(match.group(1)) if match else 0
        if code_id in _DATE_IDS:
            return True
        code = re.sub(r'"[^"]*"|\[[^\]]*\]', "", self._formats.get(code_id, ""))
        return any(c in code.lower() for c in "dmyhs") and code_id >= 164

    def with_number_format(self, style: int | None, code: str) -> int:
        """Index of a style equal to ``style`` (None: the default style 0) except that
        its number format is ``code``; appended to ``cellXfs`` when there is none yet."""
        key = (style, code)
        if key in self._cache:
            return self._cache[key]
        base = 0 if style is None or style >= len(self._xfs) else style
        if self.number_format(base) == code:
            self._cache[key] = base
            return base
        code_id = self._format_id(code)
        xf = self._xfs[base] if self._xfs else f"<{self._prefix}xf/>"
        if _NUM_FMT_ID.search(xf):
            xf = _NUM_FMT_ID.sub(f'numFmtId="{code_id}"', xf, count=1)
        else:
            xf = re.sub(r"^<(\w+:)?xf\b", rf'<\g<1>xf numFmtId="{code_id}"', xf)
        if 'applyNumberFormat="' in xf:
            xf = re.sub(r'applyNumberFormat="\w+"', 'applyNumberFormat="1"', xf)
        else:
            xf = re.sub(r"^<(\w+:)?xf\b", r'<\g<1>xf applyNumberFormat="1"', xf)
        found = self._xfs.index(xf) if xf in self._xfs else None
        if found is None:
            self._xfs.append(xf)
            found = len(self._xfs) - 1
            self.changed = True
        self._cache[key] = found
        return found

    def _format_id(self, code: str) -> int:
        if code in _BUILT_IN:
            return _BUILT_IN[code]
        for code_id, known in self._formats.items():
            if known == code:
                return code_id
        code_id = max([163, *self._formats]) + 1
        self._formats[code_id] = code
        self._new_formats.append((code_id, code))
        self.changed = True
        return code_id

    def text(self) -> str:
        """The part with any added number formats and styles."""
        if not self.changed:
            return self._text
        text = self._text
        added = "".join(
            f'<{self._prefix}numFmt numFmtId="{i}" formatCode="{escape(c)}"/>'
            for i, c in self._new_formats
        )
        if added:
            block = re.search(r"<(\w+:)?numFmts\b[^>]*?(/>|>)", text)
            if block is None:
                head = re.search(r"<(\w+:)?styleSheet\b[^>]*>", text)
                text = (
                    text[: head.end()]
                    + f'<{self._prefix}numFmts count="{len(self._formats)}">{added}'
                    + f"</{self._prefix}numFmts>"
                    + text[head.end() :]
                )
            elif block.group(2) == "/>":
                p = block.group(1) or ""
                text = (
                    text[: block.start()]
                    + f'<{p}numFmts count="{len(self._formats)}">{added}</{p}numFmts>'
                    + text[block.end() :]
                )
            else:
                end = re.search(r"</(\w+:)?numFmts>", text)
                text = text[: end.start()] + added + text[end.start() :]
                text = re.sub(
                    r'(<(?:\w+:)?numFmts\b[^>]*?count=")\d+"',
                    rf'\g<1>{len(self._formats)}"',
                    text,
                    count=1,
                )
        p = self._prefix
        xfs = f'<{p}cellXfs count="{len(self._xfs)}">' + "".join(self._xfs) + f"</{p}cellXfs>"
        return _CELL_XFS.sub(lambda _: xfs, text, count=1)
