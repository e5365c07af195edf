"""An Excel file before it is loaded: is it a workbook at all (not encrypted, not a
folder, not damaged), is it within the size limits, and where are the Total Rows of
its tables. Also the one sentence for a workbook that cannot be read."""

from __future__ import annotations

import posixpath
import zipfile
import zlib
from pathlib import Path
from xml.etree import ElementTree

from icp_xl.core.errors import IcpError
from icp_xl.core.inputs.cells import parse_range
from icp_xl.files.input_file import check_input_file
from icp_xl.files.limits import MAX_UNCOMPRESSED_BYTES, size_text

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # encrypted xlsx and old .xls files
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
# Everything a damaged package can raise while it is read.
READ_ERRORS: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile,
    zlib.error,
    ElementTree.ParseError,
    KeyError,
    EOFError,
    ValueError,
    TypeError,
    IndexError,
    OSError,
)


def check_workbook_file(path: str | Path) -> None:
    """Raise IcpError unless ``path`` is an Excel package within
    :data:`~icp_xl.files.limits.MAX_UNCOMPRESSED_BYTES`: it must be a file (not a
    folder), not encrypted (password-protected), a readable zip."""
    path = Path(path)
    check_input_file(path, "the workbook file")
    with open(path, "rb") as handle:
        head = handle.read(8)
    if head == _OLE_MAGIC:
        raise IcpError(
            f"{path.name} is password-protected (encrypted) or an old .xls file; save a copy "
            "without a password as .xlsx (File > Info > Protect Workbook) and use that"
        )
    try:
        with zipfile.ZipFile(path) as package:
            total = sum(member.file_size for member in package.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise IcpError(
            f"{path.name} is not a readable Excel workbook: it is not an Excel workbook "
            "package (it may be damaged, or another kind of file renamed)"
        ) from None
    if total > MAX_UNCOMPRESSED_BYTES:
        raise IcpError(
            f"{path.name} unpacks to {size_text(total)}, above the limit of "
            f"{size_text(MAX_UNCOMPRESSED_BYTES)}; split the accounts into smaller files"
        )


def unreadable_workbook(path: str | Path, error: BaseException) -> IcpError:
    """The one sentence for a workbook whose content cannot be read (``error`` raised
    while loading it): a damaged part, a malformed sheet."""
    name = Path(path).name
    if isinstance(error, IcpError):
        return error
    part = getattr(error, "filename", None)
    detail = f" (part {part} is damaged)" if isinstance(part, str) and part else ""
    return IcpError(
        f"{name} is damaged and cannot be read{detail}; open it in Excel or LibreOffice, "
        "which may repair it, and save a copy"
    )


def totals_rows(path: str | Path, sheet: str) -> set[int]:
    """Sheet row numbers (1-based) of the Total Rows (``totalsRowCount``) of the Excel
    tables on ``sheet``; those rows are sums, not data. Empty when there are none."""
    rows: set[int] = set()
    with zipfile.ZipFile(path) as package:
        sheet_part = _sheet_part(package, sheet)
        if sheet_part is None:
            return rows
        for table_part in _related(package, sheet_part, "/table"):
            table = ElementTree.fromstring(package.read(table_part))
            count = int(table.get("totalsRowCount") or 0)
            if count and table.get("ref"):
                _, _, bottom, _ = parse_range(table.get("ref"))
                rows.update(range(bottom - count + 1, bottom + 1))
    return rows


def _sheet_part(package: zipfile.ZipFile, sheet: str) -> str | None:
    workbook = ElementTree.fromstring(package.read("xl/workbook.xml"))
    targets = dict(_relationships(package, "xl/workbook.xml"))
    for element in workbook.iter(f"{_MAIN}sheet"):
        if element.get("name") == sheet:
            return targets.get(element.get(_R_ID) or "")
    return None


def _related(package: zipfile.ZipFile, part: str, kind: str) -> list[str]:
    return [
        target for _, target in _relationships(package, part, kind) if target in package.namelist()
    ]


def _relationships(package: zipfile.ZipFile, part: str, kind: str = "") -> list[tuple[str, str]]:
    folder, name = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", f"{name}.rels")
    if rels not in package.namelist():
        return []
    found = []
    for rel in ElementTree.fromstring(package.read(rels)).iter(f"{_REL}Relationship"):
        if not (rel.get("Type") or "").endswith(kind) or rel.get("TargetMode") == "External":
            continue
        target = rel.get("Target") or ""
        if target.startswith("/"):
            target = target[1:]
        else:
            target = posixpath.normpath(posixpath.join(folder, target))
        found.append((rel.get("Id") or "", target))
    return found
