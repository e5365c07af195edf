"""Parts read through ISA-L (icp_xl.hosts.file.part_stream) give zipfile's bytes, and
zipfile's errors for a damaged member: a wrong CRC, a wrong size, damaged or cut-short
compressed data."""

from __future__ import annotations

import io
import zipfile
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from icp_xl.hosts.file.part_stream import data_offset, open_part


def _package(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as package:
        for name, data in members.items():
            package.writestr(name, data)
    return buffer.getvalue()


def _read_all(stream, size: int) -> bytes:  # noqa: ANN001
    pieces = []
    while piece := stream.read(size):
        pieces.append(piece)
    return b"".join(pieces)


@settings(max_examples=60, deadline=None)
@given(
    data=st.one_of(
        st.binary(max_size=3000),
        st.builds(lambda b, n: b * n, st.binary(min_size=1, max_size=40), st.integers(0, 90_000)),
    ),
    size=st.sampled_from([1, 7, 4096, 1 << 20, -1]),
)
def test_a_part_reads_as_zipfile_reads_it(data: bytes, size: int) -> None:
    package = zipfile.ZipFile(io.BytesIO(_package({"a.xml": b"<x/>", "b.xml": data})))
    with open_part(package, "b.xml") as stream:
        read = stream.read() if size < 0 else _read_all(stream, size)
    assert read == package.read("b.xml")


def test_two_parts_read_by_turns_from_one_package() -> None:
    """Each stream sets the file position before it reads: interleaved reads stay right."""
    first, second = b"<row/>" * 200_000, bytes(range(256)) * 5000
    package = zipfile.ZipFile(io.BytesIO(_package({"1.xml": first, "2.xml": second})))
    with open_part(package, "1.xml") as one, open_part(package, "2.xml") as two:
        got = [b"", b""]
        while True:
            a, b = one.read(5000), two.read(3000)
            if not a and not b:
                break
            got[0] += a
            got[1] += b
    assert got == [first, second]


def test_stored_members_are_read_by_zipfile() -> None:
    package = zipfile.ZipFile(io.BytesIO(_package({"s.xml": b"stored"}, zipfile.ZIP_STORED)))
    with open_part(package, "s.xml") as stream:
        assert isinstance(stream, zipfile.ZipExtFile) and stream.read() == b"stored"


def _damaged(change) -> zipfile.ZipFile:  # noqa: ANN001
    data = bytearray(_package({"ok.xml": b"fine", "sheet.xml": b'<c r="A1"><v>1</v></c>' * 3000}))
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("sheet.xml")
    start = data_offset(io.BytesIO(bytes(data)), info)
    change(data, info, start)
    return zipfile.ZipFile(io.BytesIO(bytes(data)))


def test_a_wrong_checksum_is_zipfiles_bad_crc() -> None:
    def recorded_crc_off_by_one(data: bytearray, info: zipfile.ZipInfo, start: int) -> None:
        central = data.rfind(b"PK\x01\x02")  # the last member's directory entry
        crc = int.from_bytes(data[central + 16 : central + 20], "little")
        data[central + 16 : central + 20] = ((crc + 1) % 2**32).to_bytes(4, "little")

    package = _damaged(recorded_crc_off_by_one)
    with pytest.raises(zipfile.BadZipFile, match="Bad CRC-32 for file 'sheet.xml'"):
        open_part(package, "sheet.xml").read()
    with pytest.raises(zipfile.BadZipFile, match="Bad CRC-32"):
        package.read("sheet.xml")  # the same words as zipfile's


def test_damaged_compressed_data_is_a_zlib_error() -> None:
    def garbage_in_the_middle(data: bytearray, info: zipfile.ZipInfo, start: int) -> None:
        data[start : start + 40] = b"\xff" * 40

    with pytest.raises(zlib.error, match="sheet.xml"):
        open_part(_damaged(garbage_in_the_middle), "sheet.xml").read()


def test_a_member_cut_short_is_an_eof_error() -> None:
    def shorter(data: bytearray, info: zipfile.ZipInfo, start: int) -> None:
        central = data.rfind(b"PK\x01\x02")
        size = int.from_bytes(data[central + 20 : central + 24], "little")
        data[central + 20 : central + 24] = (size // 2).to_bytes(4, "little")

    with pytest.raises(EOFError, match="sheet.xml"):
        open_part(_damaged(shorter), "sheet.xml").read()


def test_a_wrong_size_is_zipfiles_bad_size() -> None:
    def recorded_size_larger(data: bytearray, info: zipfile.ZipInfo, start: int) -> None:
        central = data.rfind(b"PK\x01\x02")
        size = int.from_bytes(data[central + 24 : central + 28], "little")
        data[central + 24 : central + 28] = (size + 1).to_bytes(4, "little")

    with pytest.raises(zipfile.BadZipFile, match="Wrong size for file 'sheet.xml'"):
        open_part(_damaged(recorded_size_larger), "sheet.xml").read()


def test_a_missing_part_is_a_key_error() -> None:
    package = zipfile.ZipFile(io.BytesIO(_package({"a.xml": b"<x/>"})))
    with pytest.raises(KeyError):
        open_part(package, "b.xml")
