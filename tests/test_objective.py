"""The SPEC §6 objective: hand-computed values, the fast batch path equal to the
reference, and the training-set rules."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from icp_xl.core.errors import IcpError
from icp_xl.core.inputs.accounts import prepare_accounts
from icp_xl.core.inputs.sample import make_sample_accounts
from icp_xl.core.model.settings import Settings
from icp_xl.core.optimization.objective import (
    KL_EPSILON,
    BatchObjective,
    TrainingData,
    check_lambda,
    evaluate_weights,
    grade_shares,
    kl_divergence,
    mix,
    spearman,
    training_data,
)

SETTINGS = Settings()
# s = vertical column (weights 1, 0, 0, 0): three tied lowest values, then distinct.
S = np.array([0, 0, 0, 1, 2, 3, 4, 5, 6, 7]) / 10
TARGET = np.arange(1, 11) * 10.0
X = np.column_stack([S, np.full(10, 0.5), np.zeros(10), np.zeros(10)])
TINY = TrainingData(X, TARGET, np.array([f"C{i}" for i in range(10)], dtype=object))
# Average ranks of s: 2, 2, 2, 4..10 -> q = 0.2, 0.2, 0.2 (D), 0.4-0.7 (C), 0.8, 0.9 (B), 1 (A)
TINY_SHARES = {"F": 0.0, "D": 0.3, "C": 0.4, "B": 0.2, "A": 0.1}
# KL: only D differs from its target: 0.3 * ln((0.3 + eps) / (0.2 + eps)); F contributes 0 * ln(.)
TINY_KL = 0.3 * math.log((0.3 + 1e-10) / (0.2 + 1e-10))
# Spearman = Pearson of ranks (2,2,2,4,...,10) vs (1..10): 80.5 / sqrt(80.5 * 82.5)
TINY_RHO = math.sqrt(80.5 / 82.5)


def test_spearman_hand_computed():
    # ranks (1..5) vs (2,1,4,3,5): 1 - 6 * 4 / (5 * 24) = 0.8
    assert spearman(np.arange(5.0), np.array([2.0, 1, 4, 3, 5])) == pytest.approx(0.8, abs=1e-12)
    assert spearman(S, TARGET) == pytest.approx(TINY_RHO, abs=1e-12)
    assert spearman(np.ones(5), np.arange(5.0)) == 0.0


def test_grade_shares_follow_the_percentile_rule_with_ties():
    assert grade_shares(S, SETTINGS) == pytest.approx(TINY_SHARES)
    assert grade_shares(np.arange(10.0), SETTINGS) == pytest.approx(
        {"F": 0.1, "D": 0.2, "C": 0.4, "B": 0.2, "A": 0.1}
    )


def test_kl_uses_the_epsilon_exactly():
    assert KL_EPSILON == 1e-10
    assert kl_divergence(TINY_SHARES, SETTINGS.grade_shares) == pytest.approx(TINY_KL, abs=1e-15)
    assert abs(TINY_KL - 0.3 * 0.405465108108) < 1e-10  # 0.3 * ln(1.5)
    # a target share of 0: 0.1 * ln((0.1 + 1e-10) / 1e-10) = 0.1 * ln(1e9 + 1)
    actual = {"F": 0.1, "D": 0.2, "C": 0.4, "B": 0.2, "A": 0.1}
    target = {"F": 0.0, "D": 0.3, "C": 0.4, "B": 0.2, "A": 0.1}
    expected = 0.1 * 20.72326583794641 + 0.2 * math.log((0.2 + 1e-10) / (0.3 + 1e-10))
    assert kl_divergence(actual, target) == pytest.approx(expected, abs=1e-9)
    assert kl_divergence(actual, actual) == 0.0


def test_lambda_mix():
    assert mix(0.2, 0.6, 0.25) == pytest.approx(0.25 * 0.2 - 0.75 * 0.6)
    assert mix(0.2, 0.6, 0.0) == pytest.approx(-0.6)
    assert mix(0.2, 0.6, 1.0) == pytest.approx(0.2)


def test_evaluate_weights_hand_computed():
    e = evaluate_weights(TINY, [1.0, 0.0, 0.0, 0.0], 0.25, SETTINGS)
    assert e.shares == pytest.approx(TINY_SHARES)
    assert e.kl == pytest.approx(TINY_KL, abs=1e-15)
    assert e.spearman == pytest.approx(TINY_RHO, abs=1e-12)
    assert e.objective == pytest.approx(0.25 * TINY_KL - 0.75 * TINY_RHO, abs=1e-12)
    # the constant size column adds 0.5 * w_s to every s: same ranks, same objective
    shifted = evaluate_weights(TINY, [0.5, 0.5, 0.0, 0.0], 0.25, SETTINGS)
    assert shifted.objective == pytest.approx(e.objective, abs=1e-12)


def test_batch_equals_hand_values():
    batch = BatchObjective(TINY, 0.25, SETTINGS)
    e = batch.one([1.0, 0.0, 0.0, 0.0])
    assert e.objective == pytest.approx(0.25 * TINY_KL - 0.75 * TINY_RHO, abs=1e-12)
    assert e.shares == pytest.approx(TINY_SHARES)


@pytest.fixture(scope="module")
def sample_training() -> TrainingData:
    return training_data(prepare_accounts(make_sample_accounts(400, seed=5)), SETTINGS)


@settings(max_examples=25, deadline=None)
@given(
    w=st.lists(st.floats(0.0, 1.0), min_size=4, max_size=4),
    lam=st.floats(0.0, 1.0),
)
def test_batch_equals_reference(sample_training, w, lam):
    batch = BatchObjective(sample_training, lam, SETTINGS).one(w)
    reference = evaluate_weights(sample_training, w, lam, SETTINGS)
    assert batch.objective == pytest.approx(reference.objective, abs=1e-12)
    assert batch.spearman == pytest.approx(reference.spearman, abs=1e-12)
    assert batch.kl == pytest.approx(reference.kl, abs=1e-12)
    assert batch.shares == pytest.approx(reference.shares, abs=1e-12)


def test_batch_with_grid_like_ties(sample_training):
    # weights on a coarse lattice create ties between different component vectors
    rows = np.array([[0.3, 0.3, 0.2, 0.2], [0.25, 0.25, 0.25, 0.25], [0.4, 0.0, 0.4, 0.2]])
    result = BatchObjective(sample_training, 0.25, SETTINGS, chunk=2)(rows)
    for i, w in enumerate(rows):
        assert result.objective[i] == pytest.approx(
            evaluate_weights(sample_training, w, 0.25, SETTINGS).objective, abs=1e-12
        )


@pytest.mark.parametrize("lam", [-0.1, 1.5, float("nan"), "0.3", True])
def test_lambda_outside_unit_interval_is_an_error(lam):
    with pytest.raises(IcpError, match="Lambda"):
        check_lambda(lam)


def _accounts(n: int, target: np.ndarray) -> pd.DataFrame:
    raw = make_sample_accounts(n, seed=9)
    raw["Total Hardware + Consumable Revenue"] = target
    return prepare_accounts(raw)


def test_training_set_is_accounts_with_positive_target():
    target = np.where(np.arange(120) % 2 == 0, np.arange(120) * 10.0, 0.0)
    data = training_data(_accounts(120, target), SETTINGS)
    assert len(data) == 59  # even rows except row 0 (target 0)
    assert (data.target > 0).all()
    assert data.components.shape == (59, 4)


def test_training_components_come_from_the_whole_population():
    accounts = _accounts(120, np.where(np.arange(120) < 60, np.arange(120) + 1.0, 0.0))
    data = training_data(accounts, SETTINGS)
    from icp_xl.core.model.scoring import component_scores

    whole = component_scores(accounts, SETTINGS).to_numpy()[:60]
    np.testing.assert_array_equal(data.components, whole)


def test_too_few_training_accounts():
    target = np.where(np.arange(100) < 49, 1000.0 + np.arange(100), 0.0)
    with pytest.raises(IcpError, match="Only 49 account.*at least 50"):
        training_data(_accounts(100, target), SETTINGS)


def test_all_zero_target():
    with pytest.raises(IcpError, match="zero for every account"):
        training_data(_accounts(80, np.zeros(80)), SETTINGS)


def test_constant_target():
    with pytest.raises(IcpError, match="same"):
        training_data(_accounts(80, np.full(80, 500.0)), SETTINGS)
