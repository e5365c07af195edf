"""A column's numbers as the sheet stores them: exactly the text repr writes."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from icp_xl.hosts.file.number_text import float_texts


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
