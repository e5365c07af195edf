"""A fast engine for large accounts CSV files: pyarrow reads, parses and writes.

It gives the same results as the pandas reader and writer in :mod:`icp_xl.files.tables`,
and is used only where it can be exact:

* :func:`read_accounts_fast` reads a plain UTF-8 file (optionally with a UTF-8 byte-order
  mark) whose separator is judged from the header line as today. Any file it cannot
  read exactly the same way (another encoding, blank or separator-only lines, old Mac
  line ends, ragged rows, title rows above the header, repeated headers, a limit
  exceeded, ...) returns ``None`` and
  the caller uses today's reader, which also words every message.
* The cells go, as text, through the core's
  :func:`icp_xl.core.inputs.accounts.prepare_accounts`, so every rule of column matching and
  number parsing (money text, suffixes, decimal commas) and every message stays the same.
* :func:`write_csv_fast` writes text, integer and float columns byte for byte as pandas'
  ``to_csv`` does (shortest round-trip floats, ``50374000.0`` for whole floats, blanks
  for NaN, minimal quoting), with formula-like text neutralized as
  :func:`icp_xl.files.tables.neutralize_formulas` does.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections import deque
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from icp_xl.core.inputs.accounts import Accounts, prepare_accounts
from icp_xl.core.inputs.arrow_text import arrow_text, edge_bytes, has_byte, is_arrow_text
from icp_xl.core.inputs.columns import HEADER_SEARCH_ROWS, find_header_row
from icp_xl.files.atomic import atomic_write
from icp_xl.files.limits import MAX_ACCOUNTS, MAX_COLUMNS, MAX_CSV_BYTES
from icp_xl.files.neutralize import FORMULA_TRIGGERS, PLAIN_NUMBER, is_formula_like

# Below these sizes today's reader/writer are quick enough and keep being used.
FAST_READ_MIN_BYTES = 4 << 20  # 4 MiB, about 40,000 accounts
FAST_WRITE_MIN_ROWS = 40_000

_UTF8_BOM = b"\xef\xbb\xbf"
_FORMULA_TRIGGER_BYTES = np.frombuffer("".join(FORMULA_TRIGGERS).encode(), dtype=np.uint8)
_ASCII_PLAIN_NUMBER = f"^{PLAIN_NUMBER.replace(chr(92) + 'd', '[0-9]')}$"


def _quoted_by_python(char: str) -> bool:
    """Whether Python's csv writer (pandas' ``to_csv``, lines ended by "\\n") quotes a cell
    holding ``char``: a carriage return is quoted by some Python versions, not by others."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow([f"a{char}b", "c"])
    return out.getvalue().startswith('"')


_QUOTED_CHARS = "".join(c for c in ',"\n\r' if _quoted_by_python(c))
_NEEDS_QUOTES = "[" + re.escape(_QUOTED_CHARS) + "]"
_WRITE_CHUNK_ROWS = 200_000
_WRITE_THREADS = 4
TextCells = pa.Array | pa.ChunkedArray  # a column's cells as text, whole or in chunks
# A float column whose evenly spaced sample of _FEW_VALUES_SAMPLE values holds at most
# _FEW_VALUES distinct ones is formatted value by value only for its distinct values.
_FEW_VALUES_SAMPLE = 1_000
_FEW_VALUES = 64


def read_accounts_fast(
    path: Path,
    column_map: Mapping[str, str] | None = None,
    min_bytes: int = FAST_READ_MIN_BYTES,
) -> tuple[pd.DataFrame, Accounts] | None:
    """``(raw table, prepared accounts)`` of a CSV file, as
    :func:`icp_xl.files.tables.read_accounts` returns them, or ``None`` when the file is
    smaller than ``min_bytes`` or is not one this engine reads exactly like today's
    (also: a header that is not on the first line). ``column_map`` is field -> the
    file's header (``--column``). Raises what
    :func:`icp_xl.core.inputs.accounts.prepare_accounts` raises."""
    with _large_buffer_pool():
        return _read_accounts(path, column_map, min_bytes)


def _read_accounts(
    path: Path, column_map: Mapping[str, str] | None, min_bytes: int
) -> tuple[pd.DataFrame, Accounts] | None:
    table = _read_cells(path, min_bytes)
    if table is None:
        return None
    first_rows = [list(row.values()) for row in table.slice(0, HEADER_SEARCH_ROWS).to_pylist()]
    if any(all(cell == "" for cell in row) for row in first_rows):
        return None
    if find_header_row(first_rows, column_map) != 0:
        return None  # title rows above the header: today's reader finds it
    header = [str(cell) for cell in first_rows[0]]
    while header and header[-1].strip() == "":
        header.pop()
    named = [h.strip() for h in header if h.strip()]
    if not named or len(set(named)) != len(named):
        return None  # today's reader words the message for repeated or missing headers
    body = table.slice(1)
    filled_rows = _filled_rows(body)
    if not len(filled_rows):
        return None
    if len(filled_rows) < body.num_rows:
        body = body.take(pa.array(filled_rows))
    body = body.select(list(range(len(header))))
    row_numbers = np.asarray(filled_rows + 2, dtype=np.int64)  # the header is row 1
    raw = body.to_pandas()
    raw.columns = header
    raw.attrs["row_numbers"] = row_numbers
    raw.attrs["header_row"] = 1
    typed = raw.copy(deep=False)
    typed.attrs = {}  # pandas deep-copies attrs on every step; the rows are passed below
    accounts = prepare_accounts(
        typed, where=path.name, first_row=row_numbers, column_map=column_map
    )
    return raw, accounts


def _filled_rows(body: pa.Table) -> np.ndarray:
    """Positions of the rows with a non-empty cell. A row of empty cells starts with an
    empty cell, so only the rows whose first cell is empty are looked at across."""
    first_empty = pc.equal(body.column(0), "").to_numpy(zero_copy_only=False)
    candidates = np.flatnonzero(first_empty)
    if not len(candidates):
        return np.arange(body.num_rows)
    rows = body.take(pa.array(candidates))
    filled = None
    for column in rows.columns:
        present = pc.not_equal(column, "")
        filled = present if filled is None else pc.or_(filled, present)
    keep = np.ones(body.num_rows, dtype=bool)
    keep[candidates[~filled.to_numpy(zero_copy_only=False)]] = False
    return np.flatnonzero(keep)


def _read_cells(path: Path, min_bytes: int) -> pa.Table | None:
    """Every cell of the file as text (the header is the first row), or ``None``."""
    if path.suffix.lower() not in (".csv", ".txt", "") or not path.is_file():
        return None
    size = path.stat().st_size
    if size < min_bytes or size > MAX_CSV_BYTES:
        return None
    data = path.read_bytes()
    start = len(_UTF8_BOM) if data.startswith(_UTF8_BOM) else 0
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or data[start : start + 1] in (b"\r", b"\n"):
        return None
    if data.count(b"\n") > MAX_ACCOUNTS + 1 or (b"\r" in data and re.search(b"\r(?!\n)", data)):
        return None
    try:
        header = data[start : data.find(b"\n", start)].decode("utf-8")
    except UnicodeDecodeError:
        return None
    separator = max((",", ";", "\t"), key=header.count)
    if not header.count(separator):
        separator = ","
    width = header.count(separator) + 1
    if width > MAX_COLUMNS:
        return None
    # Blank and separator-only lines are rows today's reader numbers and skips.
    if re.search(b"\n[\n\r \t" + re.escape(separator.encode()) + b"]", data):
        return None
    names = [f"f{i}" for i in range(width)]
    try:
        return pa_csv.read_csv(
            pa.py_buffer(data),
            read_options=pa_csv.ReadOptions(column_names=names, block_size=1 << 24),
            parse_options=pa_csv.ParseOptions(
                delimiter=separator,
                quote_char='"',
                double_quote=True,
                escape_char=False,
                newlines_in_values=True,
                ignore_empty_lines=False,
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types={name: pa.large_string() for name in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                check_utf8=True,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeDecodeError):
        return None  # ragged rows, bad quotes, not UTF-8: today's reader decides


def write_csv_fast(
    frame: pd.DataFrame, path: str | Path, min_rows: int = FAST_WRITE_MIN_ROWS, bom: bool = False
) -> bool:
    """Write ``frame`` as :func:`icp_xl.files.tables.write_csv` does (UTF-8, with a
    byte-order mark when ``bom``, atomic, formula-like text neutralized) and return True,
    or return False without writing when it has fewer than ``min_rows`` rows or a column
    this engine does not write (anything but text, int64 and float64 columns with text
    headers).

    Columns are rendered, and blocks of rows joined, on one thread per core, at most
    :data:`_WRITE_THREADS` (Arrow's kernels run without the interpreter lock; each
    thread holds a rendered column or a block of lines)."""
    if len(frame) < min_rows or frame.shape[1] < 2:
        return False
    if not all(isinstance(name, str) for name in frame.columns):
        return False
    with _large_buffer_pool(), ThreadPoolExecutor(_write_threads()) as pool:
        columns = list(pool.map(_rendered, (column for _, column in frame.items())))
        if any(column is None for column in columns):
            return False
        columns[-1] = pc.binary_join_element_wise(columns[-1], _text("\n"), _text(""))
        header = ",".join(
            _quote_texts(pa.array(list(frame.columns), pa.large_string())).to_pylist()
        )

        def lines(start: int) -> TextCells:
            parts = [c.slice(start, _WRITE_CHUNK_ROWS) for c in columns]
            return pc.binary_join_element_wise(*parts, _text(","))

        def write(tmp: Path) -> None:
            with open(tmp, "wb") as handle:
                mark = "\ufeff" if bom else ""
                handle.write(mark.encode("utf-8") + header.encode("utf-8") + b"\n")
                # Blocks are joined ahead on the pool, a few at a time, and written in order.
                waiting: deque[Future[TextCells]] = deque()
                for start in range(0, len(frame), _WRITE_CHUNK_ROWS):
                    waiting.append(pool.submit(lines, start))
                    if len(waiting) > _write_threads():
                        _write_lines(handle, waiting.popleft().result())
                while waiting:
                    _write_lines(handle, waiting.popleft().result())

        atomic_write(path, write)
    return True


def _write_lines(handle: BinaryIO, lines: TextCells) -> None:
    for part in _joined_bytes(lines):
        handle.write(part)


def _write_threads() -> int:
    return max(1, min(_WRITE_THREADS, os.cpu_count() or 1))


@contextmanager
def _large_buffer_pool() -> Iterator[None]:
    """Allocate Arrow buffers from jemalloc where pyarrow has it: writing a million rows
    with pyarrow's default mimalloc spent over a second in the kernel (returning and
    re-zeroing pages), against a third of that with jemalloc."""
    try:
        pool = pa.jemalloc_memory_pool()
    except NotImplementedError:
        yield
        return
    previous = pa.default_memory_pool()
    pa.set_memory_pool(pool)
    try:
        yield
    finally:
        pa.set_memory_pool(previous)


def _rendered(column: pd.Series) -> TextCells | None:
    """A column's cells as the CSV text pandas writes for them, quoted as needed."""
    dtype = column.dtype
    if dtype == np.float64:
        return format_floats(column.to_numpy())
    if dtype == np.int64:
        return pc.cast(pa.array(column.to_numpy()), pa.large_string())
    if is_arrow_text(column):
        text = arrow_text(column)  # Arrow's own buffers, no copy while nothing changes
        if not pa.types.is_large_string(text.type):
            text = text.cast(pa.large_string())
    elif dtype.kind == "O":
        try:
            text = pa.array(column.to_numpy(), type=pa.large_string(), from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            return None  # mixed cells (numbers among text): today's writer
    else:
        return None
    if text.null_count:
        text = text.fill_null("")
    return _quote_texts(_neutralized(text))


def format_floats(values: np.ndarray) -> pa.Array:
    """Floats as pandas' ``to_csv`` writes them (Python's shortest round-trip repr:
    ``0.5``, ``50374000.0``, ``1e-05``, ``1e+16``), NaN as blank. A column of few
    distinct values (grades' points, tiers) formats each value once."""
    if len(values) > _FEW_VALUES_SAMPLE:
        sample = values[:: len(values) // _FEW_VALUES_SAMPLE]
        negative_zero = np.any(np.signbit(values) & (values == 0))  # factorize: -0.0 == 0.0
        if len(np.unique(sample)) <= _FEW_VALUES and not negative_zero:
            codes, uniques = pd.factorize(values, use_na_sentinel=False)
            if len(uniques) <= _FEW_VALUES * 4:
                return _format_each_float(np.asarray(uniques, dtype=float)).take(codes)
    return _format_each_float(values)


def _format_each_float(values: np.ndarray) -> pa.Array:
    """:func:`format_floats` value by value."""
    text = pc.cast(pa.array(values), pa.large_string())
    magnitude = np.abs(values)
    missing = np.isnan(values)
    exponent = np.zeros(len(values), dtype=bool)
    if has_byte(pa.chunked_array([text]), b"e"):
        exponent = pc.match_substring(text, "e").to_numpy(zero_copy_only=False)
    # Python writes numbers from 1e-4 up to 1e16 without an exponent, pyarrow fewer.
    ordinary = (((magnitude >= 1e-4) & (magnitude < 1e16)) | (values == 0)) & ~exponent
    whole = ordinary & (values == np.floor(values))  # pyarrow writes 3.0 as "3"
    if whole.any():
        dotted = pc.binary_join_element_wise(text.filter(pa.array(whole)), _text(".0"), _text(""))
        text = pc.replace_with_mask(text, pa.array(whole), dotted)
    if missing.any():
        text = pc.if_else(pa.array(missing), _text(""), text)
    special = np.flatnonzero(~ordinary & ~missing)  # tiny, huge, infinite: Python's repr
    if len(special):
        replacements = [str(value) for value in values[special]]
        mask = np.zeros(len(values), dtype=bool)
        mask[special] = True
        text = pc.replace_with_mask(text, pa.array(mask), pa.array(replacements, text.type))
    return text


def _neutralized(text: TextCells) -> TextCells:
    """``text`` with an apostrophe before cells that would run as formulas (see
    :func:`icp_xl.files.tables.neutralize_formulas`)."""
    first, _ = edge_bytes(_chunked(text))
    starts = np.flatnonzero(np.isin(first, _FORMULA_TRIGGER_BYTES))
    if not len(starts):
        return text
    text = _combined(text)
    # Cells that are plain ASCII numbers (-300) are fine; Python's rule decides the rest.
    plain = pc.match_substring_regex(text.take(pa.array(starts)), _ASCII_PLAIN_NUMBER)
    candidates = starts[~plain.to_numpy(zero_copy_only=False)]
    if not len(candidates):
        return text
    cells = text.take(pa.array(candidates)).to_pylist()
    risky = np.zeros(len(text), dtype=bool)
    replacements = []
    for position, cell in zip(candidates, cells, strict=True):
        if is_formula_like(cell):
            risky[position] = True
            replacements.append("'" + cell)
    if not replacements:
        return text
    return pc.replace_with_mask(text, pa.array(risky), pa.array(replacements, text.type))


def _quote_texts(text: TextCells) -> TextCells:
    """Cells quoted as Python's csv writer quotes them (minimal quoting, ``""`` inside)."""
    if not has_byte(_chunked(text), _QUOTED_CHARS.encode()):
        return text
    text = _combined(text)
    needs = pc.fill_null(pc.match_substring_regex(text, _NEEDS_QUOTES), False)
    chosen = text.filter(needs)
    if not len(chosen):
        return text
    quote, nothing = _text('"'), _text("")
    quoted = pc.binary_join_element_wise(
        quote, pc.replace_substring(chosen, '"', '""'), quote, nothing
    )
    return pc.replace_with_mask(text, needs, quoted)


def _chunked(text: TextCells) -> pa.ChunkedArray:
    return text if isinstance(text, pa.ChunkedArray) else pa.chunked_array([text])


def _combined(text: TextCells) -> pa.Array:
    return text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text


def _text(value: str) -> pa.Scalar:
    """A text scalar of the type every written column has."""
    return pa.scalar(value, pa.large_string())


def _joined_bytes(lines: TextCells) -> Iterator[memoryview]:
    """The UTF-8 bytes of all ``lines`` one after another, as views of their data
    buffers (one per chunk, nothing copied)."""
    for chunk in _chunked(lines).chunks:
        if not len(chunk):
            continue
        chunk = chunk.cast(pa.large_string())
        offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int64)
        first, last = offsets[chunk.offset], offsets[chunk.offset + len(chunk)]
        yield memoryview(chunk.buffers()[2])[first:last]
