"""Stream a worksheet part with the edits of one sheet applied: only ``sheetData`` (and
the ``dimension`` it implies) changes. Everything around it (columns, views, merged cells,
conditional formatting, validation, page setup, drawing and table links, extensions) is
copied as it was, and so is every old row no edit touches. No cell objects: old rows are
byte ranges, new cells are written straight from the values."""

from __future__ import annotations

import bisect
import functools
import re
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import IO, Any

from icp_xl.core.inputs.cells import column_letter, column_number
from icp_xl.hosts.file.cell_xml import DATETIME_FORMAT, cell_xml, is_temporal
from icp_xl.hosts.file.column_xml import column_block, table_cell
from icp_xl.hosts.file.sheet_edits import Cleared, SheetEdits, Values
from icp_xl.hosts.file.sheet_look import with_column_widths
from icp_xl.hosts.file.styles_xml import StyleSheet
from icp_xl.workbook.columns import ColumnRows

_CHUNK = 1 << 22
_BLOCK_ROWS = 4096  # rows of a table body held as columns formatted at once
_SHEET_DATA = re.compile(rb"<(\w+:)?sheetData\b[^>]*?(/?)>")
_ROW_NUMBER = re.compile(rb'\br="(\d+)"')
_SPANS = re.compile(rb'\s+spans="[^"]*"')
_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
_CELL_REF = re.compile(rb'\br="([A-Z]+)(\d+)"')
_FIRST_REF = re.compile(rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]+)\d+"')
_PLAIN_FIRST_REF = re.compile(rb'<c r="([A-Z]+)\d+"')  # as applications write a cell
# "<f" (a formula element) found by a pattern: twice as fast as bytes' own search in XML
# full of "<"
_FORMULA_START = re.compile(rb"<f")
_STYLE = re.compile(rb'\bs="(\d+)"')
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
_DIMENSION = re.compile(rb'(<(?:\w+:)?dimension\b[^>]*?\bref=")[^"]*(")')
_letter = functools.cache(column_letter)
_LETTERS = re.compile(rb"([A-Z]+)")


@functools.cache
def _number(letters: bytes) -> int:
    return column_number(letters.decode())


@dataclass
class _Old:
    """An old cell: its XML, style index and whether it holds a formula."""

    xml: bytes
    style: int | None
    formula: bool


@dataclass
class _New:
    value: Any
    style: int | None


@dataclass
class SheetWriteResult:
    """``formulas_changed``: an old formula cell was overwritten or cleared (the
    calculation chain is stale)."""

    formulas_changed: bool = False


class _Bounds:
    def __init__(self) -> None:
        self.top = self.left = 1 << 30
        self.bottom = self.right = 0

    def add(self, row: int, first: int, last: int) -> None:
        self.top, self.bottom = min(self.top, row), max(self.bottom, row)
        self.left, self.right = min(self.left, first), max(self.right, last)

    def ref(self) -> bytes:
        if not self.bottom:
            return b"A1"
        first = f"{column_letter(self.left)}{self.top}"
        last = f"{column_letter(self.right)}{self.bottom}"
        return (first if first == last else f"{first}:{last}").encode()


def rewrite_sheet(
    source: IO[bytes],
    target: IO[bytes],
    edits: SheetEdits,
    styles: StyleSheet,
    widths: Mapping[int, float] | None = None,
    date1904: bool = False,
) -> SheetWriteResult:
    """Write worksheet part ``source`` to ``target`` with ``edits`` applied to its cells
    (styles added to ``styles`` where a number format is new) and ``widths`` (column
    number -> width in characters) set; dates as serial numbers of the 1904 date system
    when ``date1904`` (the workbook's ``workbookPr date1904``), else of the 1900 one."""
    return _SheetRewrite(source, target, edits, styles, widths or {}, date1904).run()


class _SheetRewrite:
    def __init__(
        self,
        source: IO[bytes],
        target: IO[bytes],
        edits: SheetEdits,
        styles: StyleSheet,
        widths: Mapping[int, float],
        date1904: bool = False,
    ) -> None:
        self.source, self.target, self.edits, self.styles = source, target, edits, styles
        self.widths = widths
        self.date1904 = date1904
        self.result = SheetWriteResult()
        self.bounds = _Bounds()
        self.column_styles: dict[int, list[int | None]] = {}  # id(Values) -> styles

    def run(self) -> SheetWriteResult:
        head, self.tail = self._read_until(_SHEET_DATA)
        match = _SHEET_DATA.search(head)
        if match is None:
            raise ValueError("worksheet part without sheetData")
        prefix, open_tag = head[: match.start()], head[match.start() : match.end()]
        p = (match.group(1) or b"").decode()
        self.prefix_ns = p
        with tempfile.TemporaryFile() as body:
            self.body = body
            if match.group(2) == b"/":
                open_tag = open_tag[:-2].rstrip() + b">"
                rest = self.tail + self.source.read()
                self._merge(iter(()))
            else:
                rest = self._merge(self._old_rows())
            prefix = _DIMENSION.sub(lambda m: m.group(1) + self.bounds.ref() + m.group(2), prefix)
            prefix = with_column_widths(prefix, self.widths, p)
            self.target.write(prefix + open_tag)
            body.seek(0)
            while chunk := body.read(_CHUNK):
                self.target.write(chunk)
            self.target.write(f"</{p}sheetData>".encode())
            self.target.write(rest)
        return self.result

    # ---------------------------------------------------------------- reading old rows

    def _read_until(self, pattern: re.Pattern[bytes]) -> tuple[bytes, bytes]:
        data = b""
        while True:
            chunk = self.source.read(_CHUNK)
            data += chunk
            match = pattern.search(data)
            if match or not chunk:
                end = match.end() if match else len(data)
                return data[:end], data[end:]

    def _old_rows(self) -> Iterator[tuple[int, bytes, bytes | None]]:
        """(row number, attributes, inner XML or None) of each old row; afterwards
        ``self.rest`` is what follows the rows (``</sheetData>`` excluded). Rows are found
        with ``bytes.find`` (text inside a row cannot hold ``<``: it is escaped)."""
        p = self.prefix_ns.encode()
        open_row, close_row = b"<" + p + b"row", b"</" + p + b"row>"
        end_data = b"</" + p + b"sheetData>"
        data, number, position = self.tail, 0, 0
        while True:
            start = data.find(b"<", position)
            if start >= 0 and data.startswith(end_data, start):
                self.rest = data[start + len(end_data) :] + self.source.read()
                return
            if start >= 0 and data.startswith(open_row, start):
                tag_end = data.find(b">", start)
                if tag_end >= 0:
                    empty = data[tag_end - 1] == 0x2F  # "/>"
                    attributes = data[start + len(open_row) : tag_end - 1 if empty else tag_end]
                    close = -1 if empty else data.find(close_row, tag_end)
                    if empty or close >= 0:
                        found = _ROW_NUMBER.search(attributes)
                        number = int(found.group(1)) if found else number + 1
                        if empty:
                            position = tag_end + 1
                            yield number, attributes, None
                        else:
                            position = close + len(close_row)
                            yield number, attributes, data[tag_end + 1 : close]
                        continue
            elif start >= 0 and len(data) - start > len(end_data):
                raise ValueError("unexpected element in sheetData")
            chunk = self.source.read(_CHUNK)
            if not chunk:
                raise ValueError("worksheet part ends inside sheetData")
            data, position = data[position:] + chunk, 0

    # ---------------------------------------------------------------- merging

    def _merge(self, old_rows: Iterator[tuple[int, bytes, bytes | None]]) -> bytes:
        self.rest = b""
        new_rows = self.edits.value_rows()
        index = 0
        out = _Output(self.body)
        olds = _Lookahead(old_rows)
        while olds.next is not None or index < len(new_rows):
            old = olds.next
            new = new_rows[index] if index < len(new_rows) else None
            if new is not None and (old is None or new <= old[0]):
                run = self._table_run(new)
                if run is not None:
                    layer, last = run
                    index = bisect.bisect_right(new_rows, last, index)
                    out.add(self._run(new, last, layer, olds.take_through(last)))
                    continue
                index += 1
                if old is None or new < old[0]:
                    out.add(self._row(new, None, None))
                    continue
            assert old is not None
            olds.take()
            out.add(self._row(*old))
        out.flush()
        return self.rest

    def _table_run(self, number: int) -> tuple[Values, int] | None:
        """(layer, last row) when rows ``number``... are a table body held as columns and
        nothing else is written on them: they are written a block at a time. None for the
        first body row (it fixes the column styles) and for any other row."""
        layers, band_end = self.edits.band(number)
        if len(layers) != 1:
            return None
        layer = layers[0]
        if not (
            isinstance(layer, Values)
            and layer.table_body
            and isinstance(layer.rows, ColumnRows)
            and id(layer) in self.column_styles
        ):
            return None
        return layer, min(layer.bottom, band_end, number + _BLOCK_ROWS - 1)

    def _run(
        self,
        first: int,
        last: int,
        layer: Values,
        olds: list[tuple[int, bytes, bytes | None]],
    ) -> bytes:
        """Rows ``first``..``last`` of a table body held as columns (``olds``: the old rows
        among them), written from one block of each column. An old row with a cell outside
        the table's columns goes the general way, row by row, with its whole run."""
        attributes: dict[int, bytes | None] = {}
        for number, old_attributes, inner in olds:
            if number in attributes or (inner and not self._inside(inner, layer)):
                return self._rows_one_by_one(first, last, olds)
            attributes[number] = old_attributes
        styles = self.column_styles[id(layer)]
        texts = column_block(layer.rows, first - layer.top, last - first + 1, first, layer.left,
                             styles, self.styles, self.date1904)  # fmt: skip
        p = self.prefix_ns
        end = f"</{p}row>"
        parts: list[str] = []
        written: list[int] = []
        for number, text in enumerate(texts, start=first):
            old_attributes = attributes.get(number)
            if not text:
                parts.append(self._assemble(number, old_attributes, {}).decode())
                continue
            written.append(number)
            parts.append(self._row_head(number, old_attributes) + ">" + text + end)
        if written:
            self.bounds.add(written[0], layer.left, layer.right)
            self.bounds.add(written[-1], layer.left, layer.right)
        return "".join(parts).encode()

    def _inside(self, inner: bytes, layer: Values) -> bool:
        """Whether an old row's cells (``inner``) all lie in ``layer``'s columns (noting an
        old formula among them)."""
        first = _PLAIN_FIRST_REF.match(inner) or _FIRST_REF.match(inner)
        last = inner.rfind(b' r="')
        if first is None or last < 0:
            return False
        end = _LETTERS.match(inner, last + 4)
        if end is None:
            return False
        if _number(first.group(1)) < layer.left or _number(end.group(1)) > layer.right:
            return False
        if _FORMULA_START.search(inner) or (b":" in inner and (b":f>" in inner or b":f " in inner)):
            self.result.formulas_changed = True
        return True

    def _rows_one_by_one(
        self, first: int, last: int, olds: list[tuple[int, bytes, bytes | None]]
    ) -> bytes:
        """Rows ``first``..``last`` merged with their old rows ``olds`` a row at a time."""
        out: list[bytes] = []
        number = first
        for old in olds:
            while number < old[0]:
                out.append(self._row(number, None, None))
                number += 1
            number += number == old[0]
            out.append(self._row(*old))
        out.extend(self._row(n, None, None) for n in range(number, last + 1))
        return b"".join(out)

    def _row(self, number: int, attributes: bytes | None, inner: bytes | None) -> bytes:
        layers = self.edits.active(number)
        if not layers:
            return self._verbatim(number, attributes or b"", inner)
        if len(layers) == 1 and isinstance(layers[0], Values) and layers[0].table_body:
            fast = self._table_row(number, layers[0], attributes, inner)
            if fast is not None:
                return fast
        cells = self._old_cells(inner) if inner else {}
        for layer in layers:
            self._apply(layer, number, cells)
        return self._assemble(number, attributes, cells)

    def _verbatim(self, number: int, attributes: bytes, inner: bytes | None) -> bytes:
        p = self.prefix_ns.encode()
        if inner is None:
            return b"<" + p + b"row" + attributes + b"/>"
        first = _FIRST_REF.search(inner)
        if first:
            last = inner.rfind(b' r="', first.end())
            last_letters = (
                re.match(rb"([A-Z]+)", inner[last + 4 :]).group(1) if last >= 0 else first.group(1)
            )
            self.bounds.add(number, column_number(first.group(1).decode()),
                            column_number(last_letters.decode()))  # fmt: skip
        return b"<" + p + b"row" + attributes + b">" + inner + b"</" + p + b"row>"

    def _old_cells(self, inner: bytes) -> dict[int, _Old | _New]:
        cells: dict[int, _Old | _New] = {}
        column = 0
        for match in _CELL.finditer(inner):
            attributes = match.group(1)
            ref = _CELL_REF.search(attributes)
            column = _number(ref.group(1)) if ref else column + 1
            style = _STYLE.search(attributes)
            body = match.group(2) or b""
            cells[column] = _Old(
                match.group(0), int(style.group(1)) if style else None, bool(_FORMULA.search(body))
            )
        return cells

    def _apply(self, layer: Values | Cleared, number: int, cells: dict[int, _Old | _New]) -> None:
        if isinstance(layer, Cleared):
            for column in [c for c in cells if layer.left <= c <= layer.right]:
                old = cells[column]
                if isinstance(old, _Old) and old.formula:
                    self.result.formulas_changed = True
                cells[column] = _New(None, old.style)
            return
        row = layer.rows[number - layer.top]
        fixed = self._column_styles(layer, cells) if layer.table_body else None
        for j, value in enumerate(row):
            column = layer.left + j
            old = cells.get(column)
            if isinstance(old, _Old) and old.formula:
                self.result.formulas_changed = True
            if fixed is not None:
                style = fixed[j]
            else:
                style = old.style if old is not None else None
                if layer.formats and j < len(layer.formats) and layer.formats[j]:
                    style = self.styles.with_number_format(style, layer.formats[j])
            if is_temporal(value) and not self.styles.is_date(style):
                style = self.styles.with_number_format(style, DATETIME_FORMAT)
            cells[column] = _New(value, style)

    def _column_styles(self, layer: Values, cells: dict[int, _Old | _New]) -> list[int | None]:
        """The style of each column of a table body, fixed when its first row is written."""
        known = self.column_styles.get(id(layer))
        if known is not None:
            return known
        styles: list[int | None] = []
        for j in range(layer.width):
            old = cells.get(layer.left + j)
            style = old.style if old is not None else None
            fmt = layer.formats[j] if layer.formats and j < len(layer.formats) else None
            if fmt is None and self.styles.is_date(style):
                # a date shown in the first row (CalibrationTable's 'Calibrated at') is that
                # cell's own format, set by its value, never the column's
                fmt = "General"
            styles.append(self.styles.with_number_format(style, fmt) if fmt else style)
        self.column_styles[id(layer)] = styles
        return styles

    def _table_row(
        self, number: int, layer: Values, attributes: bytes | None, inner: bytes | None
    ) -> bytes | None:
        """A table body row written without reading its old cells, when they all lie in
        the table's columns (else None: the general merge keeps the others)."""
        styles = self.column_styles.get(id(layer))
        if styles is None:
            return None  # the first body row: read its old cells for the column styles
        if inner and not self._inside(inner, layer):
            return None
        row = layer.rows[number - layer.top]
        text = _row_cells(number, layer.left, row, styles, self.styles, self.date1904)
        if not text:
            return self._assemble(number, attributes, {})
        self.bounds.add(number, layer.left, layer.left + len(row) - 1)
        p = self.prefix_ns
        head = self._row_head(number, attributes)
        return (head + ">" + text + f"</{p}row>").encode()

    def _row_head(self, number: int, attributes: bytes | None) -> str:
        prefix = self.prefix_ns
        if attributes is None:
            return f'<{prefix}row r="{number}"'
        if b"spans" in attributes:
            attributes = _SPANS.sub(b"", attributes)
        return f"<{prefix}row" + attributes.decode()

    def _assemble(self, number: int, attributes: bytes | None, cells: dict) -> bytes:
        p = self.prefix_ns
        parts: list[str] = []
        first = last = 0
        for column in sorted(cells):
            cell = cells[column]
            if isinstance(cell, _Old):
                parts.append(cell.xml.decode())
            else:
                text = cell_xml(f"{_letter(column)}{number}", cell.value, cell.style,
                                self.date1904)  # fmt: skip
                if not text:
                    continue
                parts.append(text)
            first = first or column
            last = column
        if first:
            self.bounds.add(number, first, last)
        if not parts and attributes is None:
            return b""
        head = self._row_head(number, attributes)
        if not parts:
            return (head + "/>").encode()
        return (head + ">" + "".join(parts) + f"</{p}row>").encode()


class _Lookahead:
    """An iterator of old rows with the next one in view (``next``, None at the end)."""

    def __init__(self, rows: Iterator[tuple[int, bytes, bytes | None]]) -> None:
        self._rows = rows
        self.next = next(rows, None)

    def take(self) -> tuple[int, bytes, bytes | None]:
        taken = self.next
        assert taken is not None
        self.next = next(self._rows, None)
        return taken

    def take_through(self, last: int) -> list[tuple[int, bytes, bytes | None]]:
        """The rows up to row number ``last``, taken."""
        taken = []
        while self.next is not None and self.next[0] <= last:
            taken.append(self.take())
        return taken


class _Output:
    """Rows of XML written to ``body`` about a megabyte at a time."""

    def __init__(self, body: IO[bytes]) -> None:
        self.body = body
        self.parts: list[bytes] = []
        self.size = 0

    def add(self, xml: bytes) -> None:
        self.parts.append(xml)
        self.size += len(xml)
        if self.size > _CHUNK // 4:
            self.flush()

    def flush(self) -> None:
        self.body.write(b"".join(self.parts))
        self.parts.clear()
        self.size = 0


def _row_cells(
    number: int,
    left: int,
    row: Any,
    styles: list[int | None],
    sheet: StyleSheet,
    date1904: bool = False,
) -> str:
    """The cells of one table row, each with its column's style."""
    suffix = str(number)
    return "".join(
        table_cell(left + j, suffix, value, styles[j], sheet, date1904)
        for j, value in enumerate(row)
    )
