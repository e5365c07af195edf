"""The documented limits of what icp-xl reads, checked before the work starts, so an
oversized or hostile file fails in a second with one sentence instead of exhausting
memory."""

from __future__ import annotations

# An Excel sheet holds 1,048,576 rows: one header row and this many accounts.
MAX_ACCOUNTS = 1_048_575
# Accounts tables have about 14 columns; a header wider than this is not one.
MAX_COLUMNS = 1_000
# A CSV file larger than this is refused before it is read.
MAX_CSV_BYTES = 1 << 30  # 1 GiB
# The unpacked size of an .xlsx package (all its parts), checked before it is loaded.
MAX_UNCOMPRESSED_BYTES = 1 << 30  # 1 GiB
# The longest text a message quotes from a file (a header, a cell).
MAX_QUOTED_CHARS = 200


def size_text(size: int) -> str:
    """Bytes as a short human size: ``1.5 GB``, ``300 MB``, ``12 KB``."""
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.3g} {unit}"
    return f"{size} bytes"


def quoted(text: object, limit: int = MAX_QUOTED_CHARS) -> str:
    """``text`` as a string of at most ``limit`` characters (``...`` marks a cut)."""
    text = str(text)
    return text if len(text) <= limit else text[: limit - 3] + "..."
