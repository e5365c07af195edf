"""Where things are in an ``.xlsx`` package, read from its small parts only: sheets and
their worksheet parts, workbook-scope defined names, and tables with their parts and
ranges. Nothing here reads a worksheet's cells."""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from xml.etree import ElementTree

from icp_xl.hosts.file.package import relationships, sheet_parts

WORKBOOK_PART = "xl/workbook.xml"
STYLES_PART = "xl/styles.xml"
CALC_CHAIN_PART = "xl/calcChain.xml"
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_TABLE_TAG = re.compile(rb"<(?:\w+:)?table\b[^>]*>")


@dataclass
class TablePart:
    """An Excel table: ``name`` (display name), the ``sheet`` it is on, its ``part``
    (``xl/tables/table1.xml``), ``ref`` (``A1:S101``, header row included) and ``totals``
    (its ``totalsRowCount``: Total Rows at the bottom of ``ref``)."""

    name: str
    sheet: str
    part: str
    ref: str
    totals: int = 0


@dataclass(frozen=True)
class PackageIndex:
    """The map of a package: ``sheets`` (name -> worksheet part, in workbook order),
    ``names`` (workbook-scope defined name -> its formula text, e.g. ``Weights!$B$5``),
    ``tables`` (display name -> :class:`TablePart`), ``members`` (every part name) and
    ``date1904``: the workbook counts dates from 1904 (Excel's option "Use 1904 date
    system", ``workbookPr date1904``) instead of 1900."""

    sheets: dict[str, str]
    names: dict[str, str]
    tables: dict[str, TablePart]
    members: frozenset[str]
    date1904: bool = False

    @classmethod
    def read(cls, package: zipfile.ZipFile) -> PackageIndex:
        """Index an open package (raises ``KeyError`` when it has no workbook part)."""
        members = frozenset(package.namelist())
        sheets = sheet_parts(package, set(members))
        workbook = ElementTree.fromstring(package.read(WORKBOOK_PART))
        names = {}
        for defined in workbook.iter(f"{_MAIN}definedName"):
            if defined.get("localSheetId") is None and defined.get("name"):
                names[defined.get("name", "")] = defined.text or ""
        tables = {}
        for sheet, part in sheets.items():
            for target in relationships(package, part, set(members), kind="/table").values():
                if target not in members:
                    continue
                with package.open(target) as stream:
                    head = stream.read(4096)
                tag = _TABLE_TAG.search(head)
                if tag is None:
                    continue
                attributes = dict(re.findall(rb'(\w+)="([^"]*)"', tag.group(0)))
                name = attributes.get(b"displayName", attributes.get(b"name", b"")).decode()
                totals = int(attributes.get(b"totalsRowCount", b"0") or 0)
                tables[name] = TablePart(name, sheet, target, attributes[b"ref"].decode(), totals)
        properties = workbook.find(f"{_MAIN}workbookPr")
        flag = "" if properties is None else properties.get("date1904", "")
        return cls(sheets, names, tables, members, flag.strip().lower() in ("1", "true"))
