"""Edits to the OOXML package (the zip) of the add-in, as pure functions over its parts.

A package is a ``dict[str, bytes]`` from part name (``xl/workbook.xml``) to bytes.
Relationship and content-type parts are rewritten with ElementTree (they use a single
default namespace); ``workbook.xml`` and ``core.xml`` get targeted text edits so that
their namespace prefixes (referenced by ``mc:Ignorable``) stay exactly as Excel wrote
them.
"""

from __future__ import annotations

import io
import posixpath
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from xml.sax.saxutils import escape, quoteattr

from icp_xl.core.errors import IcpError

Parts = dict[str, bytes]

PKG_RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPES_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
DOC_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_UI_EXTENSIBILITY = "/relationships/ui/extensibility"
_SHARED_STRINGS_TYPE = f"{DOC_REL_NS}/sharedStrings"
_ABS_PATH_BLOCK = re.compile(
    r"<mc:AlternateContent\b(?:(?!</mc:AlternateContent>).)*?absPath.*?</mc:AlternateContent>",
    re.DOTALL,
)
_XML_DECL = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def read_package(data: bytes) -> Parts:
    """Return the parts of a zip package, in archive order."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def write_package(parts: Mapping[str, bytes]) -> bytes:
    """Return a deflated zip of the parts, ``[Content_Types].xml`` first."""
    buffer = io.BytesIO()
    order = sorted(parts, key=lambda name: name != "[Content_Types].xml")
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in order:
            archive.writestr(name, parts[name])
    return buffer.getvalue()


def replace_custom_ui(parts: Parts, part_name: str, xml: bytes, rel_type: str) -> Parts:
    """Return parts whose only ribbon customization is ``xml`` at ``part_name``.

    Every customUI relationship of the template (2006 or 2007 type) is removed with its
    part and the part's own relationships; the new part is related from ``_rels/.rels``
    with ``rel_type`` and has the content type ``application/xml``.
    """
    rels = ET.fromstring(parts["_rels/.rels"])
    removed = []
    for rel in list(rels):
        if rel.get("Type", "").endswith(_UI_EXTENSIBILITY):
            removed.append(rel.get("Target", "").lstrip("/"))
            rels.remove(rel)
    used_ids = {rel.get("Id") for rel in rels}
    new_id = next(f"rId{n}" for n in range(1, len(used_ids) + 2) if f"rId{n}" not in used_ids)
    ET.SubElement(
        rels, f"{{{PKG_RELS_NS}}}Relationship", Id=new_id, Type=rel_type, Target=part_name
    )
    result = {
        name: data
        for name, data in parts.items()
        if name not in removed and name not in {_rels_part_of(part) for part in removed}
    }
    result["_rels/.rels"] = _serialize(rels, PKG_RELS_NS)
    result[part_name] = xml
    result["[Content_Types].xml"] = _set_content_type(
        result["[Content_Types].xml"], part_name, "application/xml", dropped=removed
    )
    return result


def content_type_of(parts: Mapping[str, bytes], part_name: str) -> str | None:
    """Return the content type ``[Content_Types].xml`` gives a part (Override, else Default)."""
    types = ET.fromstring(parts["[Content_Types].xml"])
    for override in types.iter(f"{{{CONTENT_TYPES_NS}}}Override"):
        if override.get("PartName") == "/" + part_name:
            return override.get("ContentType")
    extension = part_name.rsplit(".", 1)[-1].lower()
    for default in types.iter(f"{{{CONTENT_TYPES_NS}}}Default"):
        if default.get("Extension", "").lower() == extension:
            return default.get("ContentType")
    return None


def related_parts(parts: Mapping[str, bytes], source_part: str, rel_type: str) -> list[str]:
    """Return the parts related from ``source_part`` ("" for the package) with ``rel_type``."""
    rels_name = _rels_part_of(source_part) if source_part else "_rels/.rels"
    rels = ET.fromstring(parts[rels_name])
    base = posixpath.dirname(source_part)
    return [
        _resolve(base, rel.get("Target", ""))
        for rel in rels
        if rel.get("Type") == rel_type and rel.get("TargetMode") != "External"
    ]


def config_sheet(parts: Mapping[str, bytes], suffix: str = ".conf") -> tuple[str, str]:
    """Return ``(sheet name, part name)`` of the workbook's one sheet named ``*<suffix>``."""
    workbook = ET.fromstring(parts["xl/workbook.xml"])
    rels = ET.fromstring(parts["xl/_rels/workbook.xml.rels"])
    targets = {rel.get("Id"): rel.get("Target", "") for rel in rels}
    found = [
        (sheet.get("name", ""), _resolve("xl", targets[sheet.get(f"{{{DOC_REL_NS}}}id")]))
        for sheet in workbook.iter(f"{{{SHEET_NS}}}sheet")
        if sheet.get("name", "").endswith(suffix)
    ]
    if len(found) != 1:
        raise IcpError(f"The add-in template must have exactly one '*{suffix}' sheet.")
    return found[0]


def config_sheet_rows(parts: Mapping[str, bytes]) -> dict[str, str]:
    """The ``key -> value`` rows (columns A and B, shared strings) of the config sheet."""
    _, sheet_part = config_sheet(parts)
    shared = related_parts(parts, "xl/workbook.xml", _SHARED_STRINGS_TYPE)
    strings = [
        "".join(t.text or "" for t in si.iter(f"{{{SHEET_NS}}}t"))
        for si in ET.fromstring(parts[shared[0]]).iter(f"{{{SHEET_NS}}}si")
    ] if shared else []  # fmt: skip
    cells: dict[str, str] = {}
    for cell in ET.fromstring(parts[sheet_part]).iter(f"{{{SHEET_NS}}}c"):
        value = cell.find(f"{{{SHEET_NS}}}v")
        if value is not None and value.text is not None:
            text = strings[int(value.text)] if cell.get("t") == "s" else value.text
            cells[cell.get("r", "")] = text
    rows = {}
    for ref, key in cells.items():
        if ref.startswith("A"):
            rows[key] = cells.get("B" + ref[1:], "")
    return rows


def set_config_sheet(parts: Parts, new_name: str, settings: Sequence[tuple[str, str]]) -> Parts:
    """Return parts whose config sheet is called ``new_name`` and holds ``settings``.

    Each setting is a row: key in column A, value in column B, from row 1, as xlwings'
    ``GetConfigFromSheet`` reads them. The sheet keeps its VBA code name; its strings go
    to a regenerated shared-strings part.
    """
    old_name, sheet_part = config_sheet(parts)
    workbook = parts["xl/workbook.xml"].decode("utf-8")
    old_attr = f"name={quoteattr(old_name)}"
    if workbook.count(old_attr) != 1:
        raise IcpError(f"Cannot rename the template's config sheet {old_name!r}.")
    result = dict(parts)
    result["xl/workbook.xml"] = workbook.replace(old_attr, f"name={quoteattr(new_name)}").encode()
    strings = [text for row in settings for text in row]
    code_name = re.search(rb'<sheetPr[^>]*codeName="([^"]+)"', parts[sheet_part])
    result[sheet_part] = _config_sheet_xml(len(settings), code_name.group(1) if code_name else None)
    shared = related_parts(parts, "xl/workbook.xml", _SHARED_STRINGS_TYPE)
    if len(shared) != 1:
        raise IcpError("The add-in template must have one shared-strings part.")
    result[shared[0]] = _shared_strings_xml(strings)
    return result


def set_core_properties(
    parts: Parts, title: str, description: str, author: str, when: datetime
) -> Parts:
    """Return parts with the document properties of this build: title and description
    (Excel's Add-ins dialog lists an add-in by its title and shows the description),
    ``author`` as creator and last editor, ``when`` (UTC) as created and modified."""
    core = related_parts(parts, "", f"{PKG_RELS_NS}/metadata/core-properties")
    if not core:
        return parts
    text = parts[core[0]].decode("utf-8")
    stamp = when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    for tag, value in (
        ("dc:title", title),
        ("dc:description", description),
        ("dc:creator", author),
        ("cp:lastModifiedBy", author),
    ):
        text = _set_element(text, tag, escape(value))
    for tag in ("dcterms:created", "dcterms:modified"):
        pattern = re.compile(rf"(<{tag}\b[^>]*>).*?(</{tag}>)", re.DOTALL)
        text = pattern.sub(lambda m: f"{m.group(1)}{stamp}{m.group(2)}", text, count=1)
    return {**parts, core[0]: text.encode("utf-8")}


def _set_element(text: str, tag: str, content: str) -> str:
    pattern = re.compile(rf"<{tag}\s*/>|<{tag}>.*?</{tag}>", re.DOTALL)
    return pattern.sub(lambda _m: f"<{tag}>{content}</{tag}>", text, count=1)


def drop_absolute_path(parts: Parts) -> Parts:
    """Return parts without the ``x15ac:absPath`` block Excel writes into ``workbook.xml``
    (the folder the file was last saved in, on the machine that saved it)."""
    workbook = parts["xl/workbook.xml"].decode("utf-8")
    cleaned = _ABS_PATH_BLOCK.sub("", workbook)
    return {**parts, "xl/workbook.xml": cleaned.encode("utf-8")}


def _config_sheet_xml(rows: int, code_name: bytes | None) -> bytes:
    sheet_pr = f'<sheetPr codeName="{code_name.decode()}"/>' if code_name else ""
    cells = "".join(
        f'<row r="{r}"><c r="A{r}" t="s"><v>{2 * (r - 1)}</v></c>'
        f'<c r="B{r}" t="s"><v>{2 * (r - 1) + 1}</v></c></row>'
        for r in range(1, rows + 1)
    )
    dimension = f"A1:B{rows}" if rows else "A1"
    return (
        _XML_DECL
        + (
            f'<worksheet xmlns="{SHEET_NS}" xmlns:r="{DOC_REL_NS}">{sheet_pr}'
            f'<dimension ref="{dimension}"/>'
            '<sheetViews><sheetView tabSelected="1" workbookViewId="0"/></sheetViews>'
            '<sheetFormatPr defaultRowHeight="15"/>'
            '<cols><col min="1" max="1" width="24" customWidth="1"/>'
            '<col min="2" max="2" width="60" customWidth="1"/></cols>'
            f"<sheetData>{cells}</sheetData>"
            '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" '
            'header="0.3" footer="0.3"/>'
            "</worksheet>"
        ).encode()
    )


def _shared_strings_xml(strings: Sequence[str]) -> bytes:
    items = "".join(f'<si><t xml:space="preserve">{escape(s)}</t></si>' for s in strings)
    count = len(strings)
    return (
        _XML_DECL
        + (f'<sst xmlns="{SHEET_NS}" count="{count}" uniqueCount="{count}">{items}</sst>').encode()
    )


def _set_content_type(data: bytes, part_name: str, content_type: str, dropped: list[str]) -> bytes:
    types = ET.fromstring(data)
    gone = {"/" + name for name in dropped}
    for override in list(types.iter(f"{{{CONTENT_TYPES_NS}}}Override")):
        if override.get("PartName") in gone or override.get("PartName") == "/" + part_name:
            types.remove(override)
    if content_type_of({"[Content_Types].xml": _serialize(types, CONTENT_TYPES_NS)}, part_name) != (
        content_type
    ):
        ET.SubElement(
            types,
            f"{{{CONTENT_TYPES_NS}}}Override",
            PartName="/" + part_name,
            ContentType=content_type,
        )
    return _serialize(types, CONTENT_TYPES_NS)


def _serialize(element: ET.Element, default_namespace: str) -> bytes:
    # ElementTree's default_namespace option rejects unqualified attributes (Id, Type),
    # so the namespace is registered as the default prefix instead.
    ET.register_namespace("", default_namespace)
    return _XML_DECL + ET.tostring(element, encoding="unicode").encode("utf-8")


def _rels_part_of(part_name: str) -> str:
    folder, name = posixpath.split(part_name)
    return posixpath.join(folder, "_rels", name + ".rels")


def _resolve(base: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(base, target))
