"""A column's numbers as the sheet stores them: exactly the text repr writes, read back
as numpy reads it."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from icp_xl.hosts.file.number_text import float_texts, parse_numbers


@given(
    arrays(
        np.float64, st.integers(0, 300), elements=st.floats(allow_nan=False, allow_infinity=False)
    )
)
def test_numbers_are_written_as_repr_writes_them(values: np.ndarray) -> None:
    assert float_texts(values) == [repr(v) for v in values.tolist()]


def test_a_million_doubles_of_every_magnitude_are_written_as_repr_writes_them() -> None:
    """Random bit patterns (every exponent), magnitudes around both places where repr
    turns to an exponent (1e-4 and 1e16), and money in cents."""
    rng = np.random.default_rng(7)
    bits = np.frombuffer(rng.bytes(8 * 400_000), dtype=np.float64)
    spread = 10.0 ** rng.uniform(-7, 19, 400_000) * rng.choice([-1.0, 1.0], 400_000)
    cents = np.round(rng.uniform(0, 1e10, 200_000), 2)
    edges = np.array([1e-4, -1e-4, np.nextafter(1e-4, 0), 1e16, np.nextafter(1e16, 0), 0.0, -0.0,
                      5e-324, 2.0**53, 2.0**53 + 2, 0.1 + 0.2, 1.7976931348623157e308])  # fmt: skip
    values = np.concatenate([bits[np.isfinite(bits)], spread, cents, edges]).tolist()
    written = float_texts(np.array(values))
    assert [(t, repr(v)) for t, v in zip(written, values, strict=True) if t != repr(v)] == []


def test_a_view_of_every_other_value_and_no_values() -> None:
    values = np.linspace(-3, 3, 21)
    assert float_texts(values[::2]) == [repr(v) for v in values[::2].tolist()]
    assert float_texts(np.zeros(0)) == []


_NUMBER_TEXTS = st.one_of(
    st.floats(allow_nan=False).map(lambda v: repr(v).encode()),
    st.integers(-(10**30), 10**30).map(lambda v: str(v).encode()),
    st.sampled_from(
        [
            b"",
            b"-0",
            b"-0.0",
            b"0",
            b"1E-3",
            b"2.5e+10",
            b".5",
            b"1.",
            b"1e400",
            b"-00",
            b"007",
            b"1_0",
        ]
    ),  # fmt: skip
)


@given(st.lists(_NUMBER_TEXTS, max_size=40))
def test_numbers_are_read_as_numpy_reads_them(texts: list[bytes]) -> None:
    """The same doubles as numpy's conversion from bytes (blank: NaN), the sign of a zero
    included; a text numpy cannot read raises ValueError either way."""
    try:
        expected = np.array([t or b"nan" for t in texts], dtype="S").astype(np.float64)
    except ValueError:
        with pytest.raises(ValueError):
            parse_numbers(texts)
        return
    found = parse_numbers(texts)
    assert found.tobytes() == expected.tobytes() or (
        np.array_equal(found, expected, equal_nan=True)
        and np.array_equal(np.signbit(found), np.signbit(expected))
    )
