"""Numbers as a worksheet stores them, a whole column at once: written as the shortest text
that reads back as the same double, exactly as Python's ``repr`` writes it (``0.1``,
``59.652172920520606``, ``1e+16``), and read back. orjson's formatter (Ryu) writes the
same digits about five times faster than ``repr``; it spells exponents differently
(``1e16``, ``0.00002``), so the few numbers Python writes with an exponent (below 1e-4 or
from 1e16 on) are written by ``repr`` itself. orjson's parser reads a column of ``<v>``
texts ten times faster than numpy's conversion from bytes, to the same doubles (both
round correctly)."""

from __future__ import annotations

import re

import numpy as np
import orjson

_SMALL, _LARGE = 1e-4, 1e16  # repr writes an exponent below and from these magnitudes
_NUMBERS_AND_NULLS = re.compile(rb"[-+.0-9eE,nul]*")  # what orjson may read here


def float_texts(values: np.ndarray) -> list[str]:
    """``repr`` of each value of the float array ``values`` (finite values only: any other
    gets a text of no use, which the caller replaces)."""
    values = np.ascontiguousarray(values, dtype=np.float64)
    texts = orjson.dumps(values, option=orjson.OPT_SERIALIZE_NUMPY).decode()[1:-1].split(",")
    if len(texts) != len(values):  # an empty array: "[]"
        return [repr(v) for v in values.tolist()]
    size = np.abs(values)
    with np.errstate(invalid="ignore"):
        spelled = np.flatnonzero(((size < _SMALL) & (size != 0)) | (size >= _LARGE))
    for i in spelled.tolist():
        texts[i] = repr(float(values[i]))
    return texts


def parse_numbers(texts: list[bytes]) -> np.ndarray:
    """The doubles the texts of numbers ``texts`` stand for (an empty text: NaN). Raises
    ValueError when one is not a number."""
    joined = b",".join([t or b"null" for t in texts])
    if _NUMBERS_AND_NULLS.fullmatch(joined):
        try:
            found = orjson.loads(b"[" + joined + b"]")
        except orjson.JSONDecodeError:
            found = None  # a number JSON spells otherwise (".5", "1."): numpy reads it
        if found is not None and len(found) == len(texts):
            values = np.array(found, dtype=np.float64)
            if b"-0" in joined:  # JSON reads "-0" as the integer 0, without its sign
                for i in np.flatnonzero(values == 0).tolist():
                    values[i] = -0.0 if texts[i][:1] == b"-" else 0.0
            return values
    return np.array([t or b"nan" for t in texts], dtype="S").astype(np.float64)
