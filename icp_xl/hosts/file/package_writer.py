"""Write a new ``.xlsx`` package from an old one: the parts the product changed are
written anew, parts it drops are left out, and every other part is copied byte for byte
(its compressed bytes are copied as they are, so nothing is even re-encoded)."""

from __future__ import annotations

import shutil
import struct
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO

PartWriter = Callable[[IO[bytes]], None]
_DATA_DESCRIPTOR = 0x08
_ENCRYPTED = 0x01


def write_package(
    source: zipfile.ZipFile,
    target: Path,
    replaced: Mapping[str, bytes | PartWriter],
    dropped: frozenset[str] = frozenset(),
) -> None:
    """Write ``target``: each member of ``source`` in its order, as ``replaced[name]``
    (bytes, or a function writing the part to a stream) when given, left out when in
    ``dropped``, else copied unchanged."""
    # Level 1: the rewritten sheets compress 3x faster than at 6, and 10-20% larger.
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as package:
        for info in source.infolist():
            if info.filename in dropped:
                continue
            new = replaced.get(info.filename)
            if new is None:
                copy_member(source, package, info)
                continue
            fresh = zipfile.ZipInfo(info.filename, info.date_time)
            fresh.compress_type = zipfile.ZIP_DEFLATED
            fresh._compresslevel = 1  # writestr/open take the level from the ZipInfo
            fresh.external_attr = info.external_attr
            if isinstance(new, bytes):
                package.writestr(fresh, new)
            else:
                with package.open(fresh, "w", force_zip64=True) as stream:
                    new(stream)


def copy_member(source: zipfile.ZipFile, target: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Copy one member's stored (compressed) bytes from ``source`` into ``target``, with
    the same name, time, method and checksum; an encrypted member is copied by content."""
    if info.flag_bits & _ENCRYPTED or source.fp is None or target.fp is None:
        target.writestr(info, source.read(info.filename))
        return
    source.fp.seek(info.header_offset)
    header = struct.unpack(zipfile.structFileHeader, source.fp.read(zipfile.sizeFileHeader))
    skip = header[zipfile._FH_FILENAME_LENGTH] + header[zipfile._FH_EXTRA_FIELD_LENGTH]
    source.fp.seek(info.header_offset + zipfile.sizeFileHeader + skip)
    copy = zipfile.ZipInfo(info.filename, info.date_time)
    copy.compress_type = info.compress_type
    copy.flag_bits = info.flag_bits & ~_DATA_DESCRIPTOR
    copy.CRC, copy.compress_size, copy.file_size = info.CRC, info.compress_size, info.file_size
    copy.external_attr, copy.create_system = info.external_attr, info.create_system
    copy.header_offset = target.fp.tell()
    zip64 = max(copy.file_size, copy.compress_size) > zipfile.ZIP64_LIMIT
    target.fp.write(copy.FileHeader(zip64))
    remaining = info.compress_size
    while remaining:
        chunk = source.fp.read(min(remaining, 1 << 20))
        if not chunk:
            raise zipfile.BadZipFile(f"{info.filename} is cut short")
        target.fp.write(chunk)
        remaining -= len(chunk)
    target.filelist.append(copy)
    target.NameToInfo[copy.filename] = copy
    target.start_dir = target.fp.tell()
    target._didModify = True


def copy_stream(source: IO[bytes], target: IO[bytes]) -> None:
    """Copy a whole stream in 1 MB chunks."""
    shutil.copyfileobj(source, target, 1 << 20)
