"""The inverse normal CDF of the ICP score returns SciPy's ``ndtri`` doubles, bit for bit."""

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from scipy.special import ndtri

from icp_xl.core.model.normal import inverse_normal_cdf


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.all((a == b) | (np.isnan(a) & np.isnan(b))))


@pytest.mark.parametrize("n", [1, 2, 3, 10, 997, 10_000, 100_003])
def test_score_percentiles_match_scipy_bit_for_bit(n):
    p = (np.arange(1, n + 1) - 0.5) / n
    assert _same(inverse_normal_cdf(p), ndtri(p))


def test_every_branch_and_edge_matches_scipy():
    rng = np.random.default_rng(7)
    p = np.concatenate(
        [
            rng.random(200_000),  # mostly the central approximation
            np.exp(-rng.random(50_000) * 32),  # tail, z < 8
            np.exp(-rng.random(50_000) * 700),  # far tail, z >= 8
            1 - np.exp(-rng.random(50_000) * 36),  # upper tail
            [0.0, 1.0, -0.5, 1.5, np.nan, 0.5, 5e-324, np.nextafter(1.0, 0.0)],
            [0.13533528323661269189, 1 - 0.13533528323661269189, np.exp(-32.0)],
        ]
    )
    assert _same(inverse_normal_cdf(p), ndtri(p))


@given(st.floats(min_value=-0.1, max_value=1.1) | st.just(float("nan")))
@example(0.0)
@example(1.0)
def test_any_probability_matches_scipy(p):
    assert _same(inverse_normal_cdf(np.array([p])), ndtri(np.array([p])))


def test_shape_is_kept():
    assert inverse_normal_cdf(np.array([[0.5, 0.975]])).shape == (1, 2)
    assert float(inverse_normal_cdf(0.5)) == 0.0
