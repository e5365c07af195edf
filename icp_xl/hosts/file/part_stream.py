"""A part of a package read as a stream, inflated by Intel's ISA-L where it is installed
(:mod:`~icp_xl.hosts.file.deflate`'s engine): a 12 MB Scores sheet inflates in about 14 ms
instead of zipfile's 33, and a rescore reads it twice (the previous run's columns, then
its old rows while it is rewritten). The CRC-32 and size are checked at the end, as
zipfile checks them; a member zipfile reads differently (stored, encrypted, another
method) is read by zipfile."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from typing import IO

from icp_xl.hosts.file.deflate import ENGINE

_ENCRYPTED = 0x01
_COMPRESSED_PIECE = 1 << 17  # inflated to about 1-2 MB of sheet XML


def data_offset(fp: IO[bytes], info: zipfile.ZipInfo) -> int:
    """Where the stored (compressed) bytes of member ``info`` start in the package file
    ``fp``: after its local header, whose name and extra field may differ in length from
    those of the central directory."""
    fp.seek(info.header_offset)
    header = struct.unpack(zipfile.structFileHeader, fp.read(zipfile.sizeFileHeader))
    if header[zipfile._FH_SIGNATURE] != zipfile.stringFileHeader:
        raise zipfile.BadZipFile(f"Bad magic number for file header of {info.filename}")
    skip = header[zipfile._FH_FILENAME_LENGTH] + header[zipfile._FH_EXTRA_FIELD_LENGTH]
    return info.header_offset + zipfile.sizeFileHeader + skip


def open_part(package: zipfile.ZipFile, name: str) -> IO[bytes]:
    """A binary stream of part ``name`` of ``package`` (KeyError when missing); ``read(n)``
    may give fewer than ``n`` bytes before the end, as a raw stream does. Read errors are
    zipfile's: BadZipFile for a wrong CRC-32 or size, zlib.error for damaged compressed
    data, EOFError for data cut short."""
    info = package.getinfo(name)
    if (
        info.compress_type != zipfile.ZIP_DEFLATED
        or info.flag_bits & _ENCRYPTED
        or package.fp is None
    ):
        return package.open(info)
    return _Inflating(package.fp, info)


class _Inflating(io.RawIOBase):
    """The inflated bytes of a deflated member, read from ``fp`` a piece at a time (the
    file position is set before each read, so other readers of ``fp`` may come between);
    a read gives the rest of the piece inflated last, without copying it, up to the size
    asked for."""

    def __init__(self, fp: IO[bytes], info: zipfile.ZipInfo) -> None:
        super().__init__()
        self._fp, self._info = fp, info
        self._position = data_offset(fp, info)
        self._left = info.compress_size
        self._inflater = ENGINE.decompressobj(-zlib.MAX_WBITS)
        self._out = b""
        self._crc = self._size = 0
        self._done = False

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            return self.readall()
        while not self._out:
            if self._done or not size:
                return b""
            self._inflate_piece()
        if len(self._out) <= size:
            piece, self._out = self._out, b""
            return piece
        piece, self._out = self._out[:size], self._out[size:]
        return piece

    def readall(self) -> bytes:
        pieces = []
        while piece := self.read(1 << 30):
            pieces.append(piece)
        return b"".join(pieces)

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        piece = self.read(len(buffer))
        buffer[: len(piece)] = piece
        return len(piece)

    def _inflate_piece(self) -> None:
        """Inflate the next piece of stored bytes into ``_out``; after the last, the end of
        the stream and the member's checks."""
        try:
            if self._left:
                out = self._inflater.decompress(self._stored_piece())
            else:
                out = self._inflater.flush()
                self._done = True
        except ENGINE.error as error:  # ISA-L's is not zlib.error, which the callers know
            raise zlib.error(f"Error while inflating {self._info.filename}: {error}") from None
        self._crc = ENGINE.crc32(out, self._crc)
        self._size += len(out)
        self._out = out
        if self._done:
            self._check()

    def _stored_piece(self) -> bytes:
        self._fp.seek(self._position)
        data = self._fp.read(min(self._left, _COMPRESSED_PIECE))
        if not data:
            raise EOFError(f"{self._info.filename} is cut short")
        self._position += len(data)
        self._left -= len(data)
        return data

    def _check(self) -> None:
        name = self._info.filename
        if not self._inflater.eof:
            raise EOFError(f"Compressed data of {name} ended before the end-of-stream marker")
        if self._size != self._info.file_size:
            raise zipfile.BadZipFile(f"Wrong size for file {name!r}")
        if self._crc != self._info.CRC:
            raise zipfile.BadZipFile(f"Bad CRC-32 for file {name!r}")
