"""What is inside an ``.xlsx`` package, read from its zip parts without loading the
workbook: which parts and extensions a rewrite with openpyxl would lose.

The file host copies all of these byte for byte on a normal save; only the rare rebuild
of missing output structure goes through openpyxl, and it is refused when
:func:`foreign_content` finds any (:meth:`icp_xl.hosts.file.book.FileBook.open`)."""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from xml.etree import ElementTree

from icp_xl.core.errors import IcpError
from icp_xl.hosts.file.part_stream import open_part

_NS = {
    "main": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
    "xdr": "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing",
}
_CHART = "{http://schemas.openxmlformats.org/drawingml/2006/chart}chart"
_R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
# Package parts openpyxl drops or cannot keep faithfully; a file with any is refused.
_UNKEPT_PARTS = {
    "xl/pivotTables/": "pivot tables",
    "xl/pivotCache/": "pivot caches",
    "xl/chartsheets/": "chart sheets",
    "xl/embeddings/": "embedded objects",
    "xl/activeX/": "ActiveX controls",
    "xl/ctrlProps/": "form controls",
    "xl/slicers/": "slicers",
    "xl/timelines/": "timelines",
    "xl/threadedComments/": "threaded comments",
    "xl/persons/": "threaded comments",
    "xl/connections.xml": "data connections",
    "xl/queryTables/": "query tables",
}
# Worksheet extensions (extLst) that carry user content; openpyxl drops every worksheet
# extLst on load (it warns "... extension is not supported and will be removed").
_UNKEPT_EXTENSIONS = {
    "{05C60535-1F16-4FD2-B633-F4F36F0B64E0}": "sparklines",
    "{CCE6A557-97BC-4B89-ADB6-D9C93CAAB3DF}": "Excel 2010 data validation",
    "{78C0D931-6437-407D-A8EE-F0AAD7539E65}": "Excel 2010 conditional formatting",
}
_EXTENSION_URI = re.compile(rb'<(?:\w+:)?ext\b[^>]*?\buri="(\{[0-9A-Fa-f-]+\})"')
# Power Query keeps its queries in a custom XML part holding a DataMashup element.
_MASHUP_MARKERS = (b"DataMashup", "DataMashup".encode("utf-16-le"))


def foreign_content(path: str | Path, own_charts: Mapping[str, int]) -> list[str]:
    """What an openpyxl rewrite of the file would lose, one phrase per kind and place
    (empty when nothing): pivot tables, chart sheets, embedded objects, controls, slicers,
    timelines, threaded comments, data connections, query tables and Power Query queries
    anywhere; sparklines and Excel 2010 data validation or conditional formatting
    (worksheet extensions) on any sheet; pictures and shapes on any sheet; charts on a
    sheet the layout does not chart, or more charts than the layout's own on a sheet it
    does (``own_charts``: sheet name -> charts the product makes there). Legacy notes
    (comments) are kept by openpyxl and not listed."""
    try:
        with zipfile.ZipFile(path) as package:
            names = package.namelist()
            found = list(
                dict.fromkeys(
                    label
                    for prefix, label in _UNKEPT_PARTS.items()
                    if any(n.startswith(prefix) for n in names)
                )
            )
            if any(_is_mashup(package, n) for n in names):
                found.append("Power Query queries")
            for sheet, part in sheet_parts(package, set(names)).items():
                found += [f"{label} on sheet '{sheet}'" for label in _extensions(package, part)]
            for sheet, counts in _drawing_counts(package, set(names)).items():
                charts, others = counts
                if others:
                    found.append(f"{others} picture(s) or shape(s) on sheet '{sheet}'")
                extra = charts - own_charts.get(sheet, 0)
                if extra > 0:
                    found.append(f"{extra} chart(s) of your own on sheet '{sheet}'")
    except zipfile.BadZipFile:
        raise IcpError(f"{Path(path).name} is not an Excel workbook (not a zip package)") from None
    return found


def sheet_parts(package: zipfile.ZipFile, names: set[str]) -> dict[str, str]:
    """Sheet name -> its part in the package (e.g. ``xl/worksheets/sheet1.xml``)."""
    workbook = ElementTree.fromstring(package.read("xl/workbook.xml"))
    targets = relationships(package, "xl/workbook.xml", names)
    parts = {}
    for sheet in workbook.iterfind("main:sheets/main:sheet", _NS):
        part = targets.get(sheet.get(_R_ID, ""))
        if part is not None and part in names:
            parts[sheet.get("name", "")] = part
    return parts


def _extensions(package: zipfile.ZipFile, part: str) -> list[str]:
    """Labels of the unkept extensions in a worksheet part, read in 1 MB chunks (a large
    sheet is never held in memory whole; cell text cannot look like markup, it is escaped)."""
    uris: set[str] = set()
    tail = b""
    with open_part(package, part) as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            text = tail + chunk
            uris.update(m.group(1).decode().upper() for m in _EXTENSION_URI.finditer(text))
            tail = text[-200:]
    return [label for uri, label in _UNKEPT_EXTENSIONS.items() if uri in uris]


def _is_mashup(package: zipfile.ZipFile, name: str) -> bool:
    """Whether ``name`` is a custom XML part holding Power Query's DataMashup."""
    if not (name.startswith("customXml/item") and name.endswith(".xml")):
        return False
    with package.open(name) as stream:
        head = stream.read(4096)
    return any(marker in head for marker in _MASHUP_MARKERS)


def _drawing_counts(package: zipfile.ZipFile, names: set[str]) -> dict[str, tuple[int, int]]:
    """Sheet name -> (charts, other drawing objects) from each sheet's drawing part."""
    counts: dict[str, tuple[int, int]] = {}
    for name, part in sheet_parts(package, names).items():
        charts = others = 0
        for target in relationships(package, part, names, kind="/drawing").values():
            if target not in names:
                continue
            drawing = ElementTree.fromstring(package.read(target))
            for anchor in _anchors(drawing):
                chart = any(el.tag == _CHART for el in anchor.iter())
                charts += int(chart)
                others += int(not chart)
        if charts or others:
            counts[name] = (charts, others)
    return counts


def _anchors(drawing: ElementTree.Element) -> Iterable[ElementTree.Element]:
    for tag in ("twoCellAnchor", "oneCellAnchor", "absoluteAnchor"):
        yield from drawing.iterfind(f"xdr:{tag}", _NS)


def relationships(
    package: zipfile.ZipFile, part: str, names: set[str], kind: str = ""
) -> dict[str, str]:
    """Relationship id -> target part path of ``part`` (only types ending in ``kind``)."""
    folder, base = posixpath.split(part)
    rels = f"{folder}/_rels/{base}.rels"
    if rels not in names:
        return {}
    tree = ElementTree.fromstring(package.read(rels))
    found = {}
    for rel in tree.iterfind("rel:Relationship", _NS):
        if not rel.get("Type", "").endswith(kind) or rel.get("TargetMode") == "External":
            continue
        target = rel.get("Target", "")
        path = (
            target.lstrip("/")
            if target.startswith("/")
            else posixpath.normpath(posixpath.join(folder, target))
        )
        found[rel.get("Id", "")] = path
    return found
