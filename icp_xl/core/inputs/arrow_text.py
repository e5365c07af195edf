"""Whole-column checks on text held in Arrow (pandas' ``str`` dtype on pyarrow).

The accounts readers hand large CSV columns over as Arrow strings. Looking at their
bytes as one numpy buffer answers "does any cell contain X" or "which cells start with
Y" without making a Python string per cell; the callers then treat only the few cells
that need it one by one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa


def arrow_text(values: pd.Series) -> pa.ChunkedArray | None:
    """The cells of a text column as Arrow strings (no copy for Arrow-backed text), or
    ``None`` when a cell is not text or not valid Unicode."""
    try:
        if is_arrow_text(values):
            array = pa.array(values.array)
        else:
            array = pa.array(values.to_numpy(dtype=object), type=pa.large_string())
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeEncodeError):
        return None
    return pa.chunked_array([array]) if isinstance(array, pa.Array) else array


def is_arrow_text(values: pd.Series) -> bool:
    """Whether ``values`` are text stored in Arrow."""
    dtype = values.dtype
    if isinstance(dtype, pd.StringDtype):
        return dtype.storage == "pyarrow"
    if isinstance(dtype, pd.ArrowDtype):
        kind = dtype.pyarrow_dtype
        return pa.types.is_string(kind) or pa.types.is_large_string(kind)
    return False


def only_bytes(array: pa.ChunkedArray, allowed: bytes) -> bool:
    """Whether every byte of every cell's UTF-8 text is one of ``allowed``."""
    for chunk in array.chunks:
        offsets, data = _offsets_and_data(chunk)
        text = data[offsets[0] : offsets[-1]].tobytes()
        if text.translate(None, allowed):
            return False
    return True


def has_byte(array: pa.ChunkedArray, wanted: bytes) -> bool:
    """Whether any cell's UTF-8 text contains one of the bytes in ``wanted``."""
    for chunk in array.chunks:
        offsets, data = _offsets_and_data(chunk)
        text = data[offsets[0] : offsets[-1]].tobytes()
        if any(text.find(byte) >= 0 for byte in (bytes([b]) for b in wanted)):
            return True
    return False


def edge_bytes(array: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """The first and the last byte of each cell's UTF-8 text (0 for an empty or null
    cell), as two uint8 arrays."""
    firsts, lasts = [], []
    for chunk in array.chunks:
        offsets, data = _offsets_and_data(chunk)
        starts, ends = offsets[:-1], offsets[1:]
        filled = ends > starts
        if chunk.null_count:
            filled &= chunk.is_valid().to_numpy(zero_copy_only=False)
        if not len(data):
            firsts.append(np.zeros(len(chunk), np.uint8))
            lasts.append(np.zeros(len(chunk), np.uint8))
            continue
        top = len(data) - 1  # an empty cell may sit at the end: read any byte, then zero it
        first = np.where(filled, data[np.minimum(starts, top)], 0)
        last = np.where(filled, data[np.clip(ends - 1, 0, top)], 0)
        firsts.append(first.astype(np.uint8))
        lasts.append(last.astype(np.uint8))
    if not firsts:
        return np.zeros(0, np.uint8), np.zeros(0, np.uint8)
    return np.concatenate(firsts), np.concatenate(lasts)


def _offsets_and_data(chunk: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """A string chunk's ``len + 1`` offsets and its data bytes (uint8)."""
    offset_type = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
    buffers = chunk.buffers()
    if buffers[1] is None:  # an empty chunk
        return np.zeros(1, np.int64), np.zeros(0, np.uint8)
    offsets = np.frombuffer(buffers[1], dtype=offset_type)[
        chunk.offset : chunk.offset + len(chunk) + 1
    ]
    data = buffers[2]
    data = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    return offsets.astype(np.int64, copy=False), data
