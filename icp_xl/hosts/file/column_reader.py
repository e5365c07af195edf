"""A few columns of a large table read straight from its worksheet XML, without parsing the
other cells: the run history needs 11 of the previous Scores' 27 columns, and a parser of
the whole sheet (calamine) holds every cell (about 110 MB for 100,000 accounts) while it
reads.

The reader takes the cells the product itself writes (numbers, inline strings, booleans,
formulas with their cached values, blanks) and gives the values calamine gives for them
(as :func:`~icp_xl.hosts.file.sheet_values.cell` normalises them). Anything else in the
columns read (shared strings, as Excel saves text; rich text; dates; errors; cells without
an address) makes it answer None, and the caller reads the sheet with calamine instead."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Sequence
from typing import Any

import numpy as np

from icp_xl.core.inputs.cells import column_letter, column_number, table_frame
from icp_xl.hosts.file.cell_xml import unescape
from icp_xl.hosts.file.number_text import parse_numbers
from icp_xl.hosts.file.part_stream import open_part
from icp_xl.hosts.file.styles_xml import StyleSheet

_CHUNK = 1 << 20
_ROW_END = b"</row>"
# The rest of a cell after its column letters: row number, attributes (no "/" or ">" in
# those of a cell), and what is inside, up to the first "</c>".
_REST = rb'(\d+)"([^>/]*)(?:/>|>([^<]*(?:<(?!/c>)[^<]*)*)</c>)'
_CELL = re.compile(rb'<c r="([A-Z]+)' + _REST, re.S)
_UNADDRESSED = re.compile(rb'<c(?:>| (?!r="))')  # a cell whose first attribute is not r
_END = re.compile(rb"</(?:\w+:)?worksheet>\s*$")
_TYPE = re.compile(rb'\bt="([^"]*)"')
_STYLE = re.compile(rb'\bs="(\d+)"')
_VALUE = re.compile(rb"<v>(.*?)</v>", re.S)
_INLINE = re.compile(rb'^<is><t(?: xml:space="preserve")?>([^<]*)</t></is>$')
_EXACT_INT = float(2**53)
# What a cell's attributes make of its content.
_NUMBER, _INLINE_TEXT, _FORMULA_TEXT, _BOOLEAN, _UNKNOWN = range(5)


class _Unsupported(Exception):
    """A cell this reader does not read (the caller falls back to calamine)."""


class _NotDense(Exception):
    """The body is not one plain cell per row and column (read it a cell at a time)."""


def read_columns(
    package: zipfile.ZipFile,
    part: str,
    styles: StyleSheet | None,
    ref: tuple[int, int, int, int],
    headers: Sequence[str] | None,
) -> list[tuple[str, list[Any]]] | None:
    """(header, body values) of each column of the table at ``ref`` (top, left, bottom,
    right: header row and body, 1-based) of worksheet ``part`` whose header is one of
    ``headers`` (every column when None; the first of a repeated header), as
    :meth:`~icp_xl.hosts.file.sheet_values.SheetValues.table_columns` gives them; None
    when the part holds cells this reader leaves to calamine. ``styles`` tells dates."""
    try:
        try:
            return _DenseReader(styles, ref, headers).read(package, part)
        except _NotDense:
            return _Reader(styles, ref, headers).read(package, part)
    except (_Unsupported, ValueError):  # ValueError: a number that is not one
        return None


class _Reader:
    def __init__(
        self,
        styles: StyleSheet | None,
        ref: tuple[int, int, int, int],
        headers: Sequence[str] | None,
    ) -> None:
        self.styles = styles
        self.top, self.left, self.bottom, self.right = ref
        self.headers = headers
        self.kinds: dict[bytes, int] = {}
        self.header: list[Any] = [None] * (self.right - self.left + 1)
        self.found: dict[bytes, np.ndarray] = {}  # column letters -> body values
        self.names: list[tuple[str, bytes]] = []
        self.pattern: re.Pattern[bytes] | None = None

    def read(self, package: zipfile.ZipFile, part: str) -> list[tuple[str, list[Any]]]:
        with open_part(package, part) as stream:
            rest = b""
            while chunk := stream.read(_CHUNK):
                data = rest + chunk
                end = data.rfind(_ROW_END)
                if end < 0:
                    rest = data
                    continue
                self._cells(data[: end + len(_ROW_END)])
                rest = data[end + len(_ROW_END) :]
            self._cells(rest)
        if not _END.search(rest[-64:] if rest else b""):
            raise _Unsupported  # cut short: calamine says the part is damaged
        self._choose()  # a table whose header row is its only row
        return self._result()

    def _result(self) -> list[tuple[str, list[Any]]]:
        return [(name, self.found[letters].tolist()) for name, letters in self.names]

    def _cells(self, data: bytes) -> None:
        if self.pattern is None:
            for match in _CELL.finditer(data):  # up to the first body cell only
                letters, number, attributes, inner = match.groups(b"")
                row = int(number)
                if row > self.top:
                    self._choose()
                    break
                if row == self.top:
                    column = column_number(letters.decode())
                    if self.left <= column <= self.right:
                        self.header[column - self.left] = self._value(attributes, inner)
            if self.pattern is None:
                self._check_addresses(data)
                return
        self._check_addresses(data)
        self._body(data)

    def _body(self, data: bytes) -> None:
        """Take the chosen columns' cells of ``data`` (whole rows)."""
        assert self.pattern is not None
        matches = self.pattern.findall(data)
        if not matches:
            return
        rows = np.array([m[1] for m in matches], dtype="S").astype(np.int64)
        inside = (rows > self.top) & (rows <= self.bottom)
        codes = np.array([m[0] for m in matches], dtype="S")
        attributes_of = np.array([m[2] for m in matches], dtype=object)
        inners_of = np.array([m[3] for m in matches], dtype=object)
        for column, values in self.found.items():
            mask = inside & (codes == column)
            if mask.any():
                cells = self._values(attributes_of[mask].tolist(), inners_of[mask].tolist())
                values[rows[mask] - self.top - 1] = cells

    def _values(self, attributes: list[bytes], inners: list[bytes]) -> np.ndarray:
        """The values of cells of one column (their attributes and contents), converted a
        column at a time where all that are not blank are numbers, or all inline text."""
        kinds = {self._kind(a) for a in set(attributes)}
        found = np.full(len(inners), None, dtype=object)
        filled = [i for i, inner in enumerate(inners) if inner]
        held = inners if len(filled) == len(inners) else [inners[i] for i in filled]
        converted = self._bulk(kinds, held)
        if converted is None:
            found[:] = [self._value(a, i) for a, i in zip(attributes, inners, strict=True)]
        elif len(held) == len(inners):
            found[:] = converted
        elif held:
            found[filled] = np.array(converted + [None], dtype=object)[:-1]  # stays 1-D
        return found

    def _bulk(self, kinds: set[int], inners: list[bytes]) -> list[Any] | None:
        """Values of cells that all hold ``<v>number</v>`` or all ``<is><t>text</t></is>``
        (a column at a time), else None."""
        joined = b"\x00".join(inners)
        count = len(inners)
        if kinds == {_NUMBER} and joined.count(b"<v>") == count == joined.count(b"<") // 2:
            return _numbers([i[3:-4] for i in inners])
        if (
            kinds == {_INLINE_TEXT}
            and joined.count(b"<") == 4 * count
            and joined.count(b"<is><t>") == count == joined.count(b"</t></is>")
        ):
            if not all(i[:7] == b"<is><t>" and i[-9:] == b"</t></is>" for i in inners):
                return None
            return _texts([i[7:-9] for i in inners])
        return None

    def _check_addresses(self, data: bytes) -> None:
        """Refuse cells without an address and namespace-prefixed cells (read by position
        or under another tag, which the patterns here do not see)."""
        if _UNADDRESSED.search(data) or (b":" in data and b":c " in data):  # ":": memchr
            raise _Unsupported

    def _choose(self) -> None:
        """Pick the columns once the header row has been read."""
        if self.pattern is not None:
            return
        texts = list(table_frame([self.header]).columns)
        wanted = None if self.headers is None else set(self.headers)
        for i, text in enumerate(texts):
            if (wanted is None or text in wanted) and texts.index(text) == i:
                self.names.append((text, column_letter(self.left + i).encode()))
        self.pattern = re.compile(  # also marks the header row as read
            rb'<c r="(' + _choice([letters for _, letters in self.names]) + rb")" + _REST, re.S
        )
        self._prepare(max(self.bottom - self.top, 0))

    def _prepare(self, height: int) -> None:
        """Make room for the ``height`` body values of each chosen column."""
        self.found = {letters: np.full(height, None, dtype=object) for _, letters in self.names}

    def _value(self, attributes: bytes, inner: bytes) -> Any:
        kind = self.kinds.get(attributes)
        if kind is None:
            kind = self.kinds[attributes] = self._kind(attributes)
        if not inner:
            return None
        if kind == _NUMBER:
            plain = inner[:3] == b"<v>" and inner[-4:] == b"</v>"
            value = inner[3:-4] if plain else _cached(inner)
            if not value:
                return None
            number = float(value)
            if number.is_integer() and -_EXACT_INT < number < _EXACT_INT:
                return int(number)
            return number
        if kind == _INLINE_TEXT:
            match = _INLINE.match(inner)
            if match is None:
                raise _Unsupported  # rich text runs, phonetic text, a formula
            return _text(match.group(1))
        if kind == _FORMULA_TEXT:
            return _text(_cached(inner))
        if kind == _BOOLEAN:
            value = _cached(inner)
            return None if not value else value.strip() == b"1"
        raise _Unsupported

    def _kind(self, attributes: bytes) -> int:
        found = _TYPE.search(attributes)
        kind = found.group(1) if found else b"n"
        if kind == b"n":
            style = _STYLE.search(attributes)
            if style is not None and (
                self.styles is None or self.styles.is_date(int(style.group(1)))
            ):
                return _UNKNOWN  # a date: calamine's
            return _NUMBER
        return {b"inlineStr": _INLINE_TEXT, b"str": _FORMULA_TEXT, b"b": _BOOLEAN}.get(
            kind, _UNKNOWN
        )


class _DenseReader(_Reader):
    """The fast path, for a body as the product writes it: the chosen columns' cells are
    all numbers, inline text or blanks, no number shown as a date, and no row lies below
    the table. One pattern over each block of whole rows; its values converted a column
    at a time and put in place a run of rows at a time. Anything else raises _NotDense."""

    def _prepare(self, height: int) -> None:
        choice = _choice([letters for _, letters in self.names])
        self.plain = re.compile(  # any other cell of these columns: its next byte, last;
            # a cell without an address (any column): the byte after "<c", in the last group
            rb'<c(?: r="(' + choice + rb')(\d+)"(?: s="(\d+)")?'
            rb'(?:/>|><v>([^<]*)</v></c>| t="inlineStr"><is><t>([^<]*)</t></is></c>|(.))'
            rb'|(>| (?!r=")))',
            re.S,
        )
        self.index = {letters: k for k, (_, letters) in enumerate(self.names)}
        self.columns: list[list[Any]] = [[None] * height for _ in self.names]

    def _body(self, data: bytes) -> None:
        matches = self.plain.findall(data)
        if any([m[5] or m[6] for m in matches]):
            raise _NotDense  # a cell of another kind (a formula, shared text, a date...)
        skip = 0
        while skip < len(matches) and int(matches[skip][1]) <= self.top:
            skip += 1  # the header row and any above it
        if skip == len(matches):
            return
        if int(matches[-1][1]) > self.bottom:
            raise _NotDense  # cells below the table
        for k, cells in enumerate(self._by_column(matches[skip:])):
            if cells:
                self._place(self.columns[k], cells)

    def _check_addresses(self, data: bytes) -> None:
        """As the general reader's; once the body's pattern is made, cells without an
        address are found by it, in the same scan (``data`` goes through it next)."""
        if self.pattern is None:
            super()._check_addresses(data)
        elif b":" in data and b":c " in data:  # ":": memchr
            raise _Unsupported

    def _by_column(self, cells: list[tuple[bytes, ...]]) -> list[list[tuple[bytes, ...]]]:
        """``cells`` (in sheet order) grouped by chosen column: by slicing, when each row
        holds every chosen column (as the product writes a table), else one by one."""
        count = len(self.names)
        columns = [cells[k::count] for k in range(count)]
        regular = count > 0 and len(cells) % count == 0
        if regular and all(
            {cell[0] for cell in column} == {letters}
            for column, (_, letters) in zip(columns, self.names, strict=True)
        ):
            return columns
        columns = [[] for _ in self.names]
        for cell in cells:
            columns[self.index[cell[0]]].append(cell)
        return columns

    def _place(self, target: list[Any], cells: list[tuple[bytes, ...]]) -> None:
        """Put one column's ``cells`` (letters, row, style, number, text, b"") in
        ``target``."""
        values = self._values_of(cells)
        first, last = int(cells[0][1]), int(cells[-1][1])
        if last - first + 1 == len(cells):  # a run of rows: no blank left out between
            target[first - self.top - 1 : last - self.top] = values
            return
        rows = np.array([c[1] for c in cells], dtype="S").astype(np.int64) - (self.top + 1)
        for row, value in zip(rows.tolist(), values, strict=True):
            target[row] = value

    def _values_of(self, cells: list[tuple[bytes, ...]]) -> list[Any]:
        numbers = [c[3] for c in cells]
        texts = [c[4] for c in cells]
        if any(numbers):
            styles = {c[2] for c in cells if c[3]} - {b""}
            dates = any(self.styles is None or self.styles.is_date(int(s)) for s in styles)
            if dates or any(texts):
                raise _NotDense  # dates, or text among numbers: a cell at a time
            return _numbers(numbers)
        if any(texts):
            return _texts(texts)
        return [None] * len(cells)

    def _result(self) -> list[tuple[str, list[Any]]]:
        return [(name, values) for (name, _), values in zip(self.names, self.columns, strict=True)]


def _numbers(raw: list[bytes]) -> list[Any]:
    """``<v>`` texts (empty: blank) as cell values: whole numbers as int, as calamine's
    values are normalised."""
    blank = [i for i, v in enumerate(raw) if not v]
    values = parse_numbers(raw)
    found: list[Any] = values.tolist()
    whole = (values == np.trunc(values)) & (np.abs(values) < _EXACT_INT)
    for i in np.flatnonzero(whole).tolist():
        found[i] = int(found[i])
    for i in blank:
        found[i] = None
    return found


def _texts(raw: list[bytes]) -> list[str | None]:
    """Inline texts (empty: blank) as cell values."""
    joined = b"\x00".join(raw)
    _text(joined)  # refuses what this reader does not read
    strings = joined.decode("utf-8").split("\x00")
    return [(unescape(t) if "&" in t else t) or None for t in strings]


def _choice(columns: list[bytes]) -> bytes:
    """A pattern matching exactly these column letters (a class for single letters: the
    scan is faster)."""
    single = [c for c in columns if len(c) == 1]
    longer = [re.escape(c) for c in columns if len(c) > 1]
    options = ([b"[" + b"".join(single) + b"]"] if single else []) + longer
    return b"|".join(options) or b"(?!)"


def _cached(inner: bytes) -> bytes:
    found = _VALUE.search(inner)
    return found.group(1) if found else b""


def _text(raw: bytes) -> str | None:
    if b"&#" in raw or b"\r" in raw:
        raise _Unsupported  # character references, line ends XML normalises
    text = raw.decode("utf-8")
    if "&" in text:
        text = unescape(text)
    return text or None
