"""Where things are in an ``.xlsx`` package, read from its small parts only: sheets and
their worksheet parts, workbook-scope defined names, and tables with their parts and
ranges. Nothing here reads a worksheet's cells."""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from xml.etree import ElementTree

from icp_xl.core.inputs.cells import parse_range
from icp_xl.hosts.file.package import relationships, sheet_parts
from icp_xl.workbook import layout

WORKBOOK_PART = "xl/workbook.xml"
STYLES_PART = "xl/styles.xml"
CALC_CHAIN_PART = "xl/calcChain.xml"
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_TABLE_TAG = re.compile(rb"<(?:\w+:)?table\b[^>]*>")
_NAME_AREA = re.compile(
    r"^(?:'((?:[^']|'')+)'|([^'!]+))!(\$?[A-Za-z]{1,3}\$?\d+(?::\$?[A-Za-z]{1,3}\$?\d+)?)$"
)


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
    system", ``workbookPr date1904``) instead of 1900.

    Sheet names match as in Excel, whatever their case: a layout sheet renamed only in
    case (``Chart data``) is keyed by the layout's name (``Chart Data``) and ``titles``
    maps such a key to the name in the file."""

    sheets: dict[str, str]
    names: dict[str, str]
    tables: dict[str, TablePart]
    members: frozenset[str]
    titles: dict[str, str] = field(default_factory=dict)
    date1904: bool = False

    def sheet_key(self, name: str) -> str:
        """The key of ``sheets`` that is ``name`` in any case (``name`` when none is)."""
        if name in self.sheets:
            return name
        folded = name.casefold()
        return next((key for key in self.sheets if key.casefold() == folded), name)

    def owned_extents(self) -> dict[str, tuple[int, int]]:
        """Sheet key -> (last row, last column) of the tables and single-area defined names
        on it: the cells the product reads there."""
        extents: dict[str, tuple[int, int]] = {}

        def add(sheet: str, ref: str) -> None:
            try:
                _, _, bottom, right = parse_range(ref.replace("$", ""))
            except ValueError:
                return
            rows, columns = extents.get(sheet, (0, 0))
            extents[sheet] = (max(rows, bottom), max(columns, right))

        for table in self.tables.values():
            add(table.sheet, table.ref)
        for text in self.names.values():
            match = _NAME_AREA.match(text.strip())
            if match:
                sheet = (match.group(1) or "").replace("''", "'") or match.group(2)
                add(self.sheet_key(sheet), match.group(3))
        return extents

    def title(self, sheet: str) -> str:
        """The name in the file of the sheet keyed ``sheet``."""
        return self.titles.get(sheet, sheet)

    @classmethod
    def read(cls, package: zipfile.ZipFile) -> PackageIndex:
        """Index an open package (raises ``KeyError`` when it has no workbook part)."""
        members = frozenset(package.namelist())
        sheets, titles = _layout_keyed(sheet_parts(package, set(members)))
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
        date1904 = flag.strip().lower() in ("1", "true")
        return cls(sheets, names, tables, members, titles, date1904)


def _layout_keyed(parts: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """``parts`` (name in the file -> part) keyed by the layout's names where a name differs
    from one only in case, and the map of those keys back to the names in the file."""
    sheets, titles = {}, {}
    for title, part in parts.items():
        key = layout.layout_sheet_name(title)
        if key != title and key not in parts:
            titles[key] = title
        else:
            key = title
        sheets[key] = part
    return sheets, titles
