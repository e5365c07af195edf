"""Numbers as a worksheet stores them: the shortest text that reads back as the same double,
written exactly as Python's ``repr`` writes it (``0.1``, ``59.652172920520606``,
``1e+16``), for a whole column at once. orjson's formatter (Ryu) writes the same digits
about five times faster than ``repr``; it spells exponents differently (``1e16``,
``0.00002``), so the few numbers Python writes with an exponent (below 1e-4 or from 1e16
on) are written by ``repr`` itself."""

from __future__ import annotations

import numpy as np
import orjson

_SMALL, _LARGE = 1e-4, 1e16  # repr writes an exponent below and from these magnitudes


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
