"""How far a worksheet's cells reach, and the worksheet cut to a window, read from its XML
in chunks without building its grid.

python-calamine builds a sheet's whole bounding box, from A1 to its farthest cell: one
note in XFD1048576 beside a 20-row table is 17 billion cells, and its allocation aborts
the process. :func:`sheet_reach` measures the box from the XML first (decompression and
a few searches in C, no per-cell Python work); a box far larger than the XML can hold
data for (:func:`is_far_reaching`) is read through :func:`write_window_package`: a
package holding only that sheet, cut to the rows and columns the product reads, which
calamine then reads as usual, so memory follows the data."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from icp_xl.core.inputs.cells import column_letter, column_number
from icp_xl.hosts.file.package import relationships
from icp_xl.hosts.file.part_stream import open_part

CHUNK = 1 << 22
# A cell of the box costs about 40 bytes (calamine's value and Python's reference); the
# XML spends at least 8 bytes on each cell it holds. A box of more cells than the data can
# fill, plus a million (40 MB) for sheets of scattered cells, is read by window.
_SLACK_CELLS = 1_000_000
_XML_BYTES_PER_CELL = 8
_ROW_NUMBER = re.compile(rb'<(?:\w+:)?row\b[^>]*?\sr="(\d+)"')
# Cell references beyond column AZ, and in AA..AZ: searched for by their literal start
# (' r="'), which only cells carry with letters (rows carry digits); a match inside cell
# text can only make the estimate larger, which costs a windowed read, never memory.
# One pattern for both: its group holds the letters beyond AZ, and is empty in AA..AZ.
_WIDE = re.compile(rb' r="(?:([A-Z]{3}|[B-Z][A-Z])|A[A-Z])[0-9]')
_ROW = re.compile(rb"<(?:\w+:)?row\b(?:[^>]*?/>|[^>]*>.*?</(?:\w+:)?row>)", re.S)
_ROW_R = re.compile(rb'^<(?:\w+:)?row\b[^>]*?\sr="(\d+)"')
_CELL = re.compile(
    rb'<(?:\w+:)?c\b[^>]*?\sr="([A-Z]+)[0-9]+"(?:[^>]*?/>|[^>]*>.*?</(?:\w+:)?c>)', re.S
)
_SHEET_DATA = re.compile(rb"<((?:\w+:)?)sheetData\b[^>]*>")
_DIMENSION = re.compile(rb'(<(?:\w+:)?dimension\b[^>]*?\bref=")[^"]*(")')
_OVERLAP = 64  # bytes kept between chunks, so no tag is missed where a chunk is cut


@dataclass(frozen=True)
class Reach:
    """A worksheet's extent: its last ``rows`` and ``columns`` holding a cell (1-based;
    ``columns`` is 26 for a sheet whose cells are all in A..Z, 52 for one reaching AA..AZ)
    and ``xml_bytes``, the size of its XML."""

    rows: int
    columns: int
    xml_bytes: int


def sheet_reach(package: zipfile.ZipFile, part: str) -> Reach:
    """The :class:`Reach` of the worksheet ``part`` of ``package``."""
    last_row, widest, within_az, tail = 0, "", False, b""
    with open_part(package, part) as stream:
        for chunk in iter(lambda: stream.read(CHUNK), b""):
            text = tail + chunk
            for start in (text.rfind(b"<row "), text.rfind(b":row ")):  # <row, <x:row
                if start >= 0:  # rows come in order: the chunk's last row is its farthest
                    for match in _ROW_NUMBER.finditer(text, max(start - 8, 0)):
                        last_row = max(last_row, int(match.group(1)))
            for letters in set(_WIDE.findall(text)):  # none in most sheets
                if letters:
                    widest = max(widest, letters.decode(), key=lambda t: (len(t), t))
                else:
                    within_az = True
            tail = text[-_OVERLAP:]
    columns = column_number(widest) if widest else 52 if within_az else 26
    return Reach(last_row, columns, package.getinfo(part).file_size)


def is_far_reaching(reach: Reach) -> bool:
    """Whether the sheet's box holds far more cells than its XML can fill (a value in a
    far cell), so reading it whole would cost memory out of proportion to its data."""
    cells = reach.rows * reach.columns
    return cells > _SLACK_CELLS + reach.xml_bytes // _XML_BYTES_PER_CELL


_KEPT_PARTS = ("[Content_Types].xml", "_rels/.rels", "xl/workbook.xml",
               "xl/_rels/workbook.xml.rels", "xl/styles.xml")  # fmt: skip


def write_window_package(
    package: zipfile.ZipFile, part: str, bottom: int, right: int, target: Path
) -> None:
    """Write at ``target`` a package calamine reads like ``package``, with the worksheet
    ``part`` cut to rows ``1..bottom`` and columns ``1..right`` (the other worksheets left
    out; the workbook, styles and shared strings kept), stored uncompressed."""
    names = set(package.namelist())
    strings = relationships(package, "xl/workbook.xml", names, kind="/sharedStrings").values()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as out:
        for name in [*_KEPT_PARTS, *strings]:
            if name in names:
                out.writestr(name, package.read(name))
        with out.open(part, "w", force_zip64=True) as sheet:
            for piece in _window_pieces(package, part, bottom, right):
                sheet.write(piece)


def _window_pieces(package: zipfile.ZipFile, part: str, bottom: int, right: int) -> Iterator[bytes]:
    """The worksheet XML of ``part`` cut to ``bottom`` x ``right``, in pieces."""
    prefix, buffer, row, head_done = b"", b"", 0, False
    with open_part(package, part) as stream:
        for chunk in iter(lambda: stream.read(CHUNK), b""):
            buffer += chunk
            if not head_done:
                opening = _SHEET_DATA.search(buffer)
                if opening is None:
                    continue
                prefix = opening.group(1)
                head = buffer[: opening.end()]
                window = rb"\g<1>A1:" + f"{column_letter(right)}{bottom}".encode() + rb"\g<2>"
                yield _DIMENSION.sub(window, head, count=1)
                buffer, head_done = buffer[opening.end() :], True
            end = 0
            for match in _ROW.finditer(buffer):
                number = _ROW_R.match(match.group(0))
                row = int(number.group(1)) if number else row + 1
                if row > bottom:
                    yield b"</" + prefix + b"sheetData></" + prefix + b"worksheet>"
                    return
                yield _cut_row(match.group(0), right)
                end = match.end()
            buffer = buffer[end:]
    yield b"</" + prefix + b"sheetData></" + prefix + b"worksheet>"


def _cut_row(text: bytes, right: int) -> bytes:
    """One ``<row>`` element without its cells right of column ``right``. Cells come in
    column order, so the last cell reference tells whether any is that far."""
    at = text.rfind(b' r="')
    letters = re.match(rb"[A-Z]+", text[at + 4 : at + 8]) if at > 0 else None
    if letters is None or column_number(letters.group(0).decode()) <= right:
        return text
    return _CELL.sub(
        lambda m: m.group(0) if column_number(m.group(1).decode()) <= right else b"", text
    )
