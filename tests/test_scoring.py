"""SPEC §4 scoring against hand-computed values and properties."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm

from icp_xl.core.errors import IcpError
from icp_xl.core.inputs.accounts import prepare_accounts
from icp_xl.core.model.scoring import (
    SCORE_COLUMNS,
    average_ranks,
    grades,
    min_max,
    normal_scores,
    rank_key,
    raw_scores,
    score_accounts,
    size_scores,
    vertical_scores,
)
from icp_xl.core.model.settings import Settings, Weights

FOUR = pd.DataFrame(
    {
        "Customer ID": ["A", "B", "C", "D"],
        "Industry": ["High Tech", "dental ", "", "Unknown Inc"],
        "Annual Revenue": [300e6, 2e9, None, 20e6],
        "Printer Count": [3, 0, 1, -2],
        "Total Consumable Revenue": [1000, 0, 10, 0],
        "Total Software License Revenue": [4000, 0, 100, 0],
        "Total SaaS Revenue": [600, 0, 0, 0],
        "Total Maintenance Revenue": [400, 0, 0, 0],
    }
)


def test_four_accounts_by_hand():
    scored = score_accounts(prepare_accounts(FOUR), Settings())
    assert list(scored.columns) == list(SCORE_COLUMNS)
    assert scored["vertical_score"].tolist() == [1.0, 0.6, 0.3, 0.3]
    assert scored["size_score"].tolist() == [1.0, 0.9, 0.5, 0.4]
    consumable_c = math.log(11) / math.log(1001)
    adoption_c = 0.5 * (math.log(2) / math.log(4)) + 0.5 * consumable_c
    assert scored["adoption_score"].tolist() == pytest.approx(
        [1.0, 0.0, adoption_c, 0.0], abs=1e-12
    )
    relationship_c = math.log(101) / math.log(5001)
    assert scored["relationship_score"].tolist() == pytest.approx(
        [1.0, 0.0, relationship_c, 0.0], abs=1e-12
    )
    assert scored["relationship_feature"].tolist() == [5000.0, 0.0, 100.0, 0.0]
    raw_c = 100 * (0.3 * 0.3 + 0.3 * 0.5 + 0.2 * adoption_c + 0.2 * relationship_c)
    assert scored["ICP_score_raw"].tolist() == pytest.approx([100.0, 45.0, raw_c, 21.0], abs=1e-12)
    # ranks A4 B3 C2 D1 -> p = 0.875, 0.625, 0.375, 0.125
    expected = [50 + 15 * norm.ppf(p) for p in (0.875, 0.625, 0.375, 0.125)]
    assert scored["ICP_score"].tolist() == pytest.approx(expected, abs=1e-12)
    assert scored["ICP_score"].iloc[3] == pytest.approx(32.74476, abs=1e-5)
    assert scored["ICP_grade"].tolist() == ["A", "B", "C", "D"]
    assert scored["customer_segment"].tolist() == [
        "Mid-Market",
        "Large Enterprise",
        "Small Business",
        "Small Business",
    ]


def test_weights_change_raw_but_scores_follow_rank():
    accounts = prepare_accounts(FOUR)
    other = Settings(weights=Weights(0.1, 0.1, 0.4, 0.4))
    scored = score_accounts(accounts, other)
    assert scored["ICP_score_raw"].iloc[1] == pytest.approx(100 * (0.1 * 0.6 + 0.1 * 0.9))


def test_size_tiers_first_match_wins():
    revenue = [
        np.nan,
        0,
        -5,
        1,
        9_999_999,
        10e6,
        49_999_999,
        50e6,
        249_999_999,
        250e6,
        999_999_999,
        1e9,
        5e10,
    ]
    assert size_scores(revenue, Settings()).tolist() == [
        0.5,
        0.5,
        0.5,
        0.4,
        0.4,
        0.4,
        0.4,
        0.6,
        0.6,
        1.0,
        1.0,
        0.9,
        0.9,
    ]


def test_vertical_lookup_trims_and_lowers():
    industries = pd.Series(["  HIGH TECH ", "Mold, Tool & Die", None, "", "Shipbuilding", "Retail"])
    assert vertical_scores(industries, Settings()).tolist() == [1.0, 0.8, 0.3, 0.3, 0.4, 0.3]


def test_edited_vertical_table_and_unknown_score():
    settings = Settings(vertical_table={"Retail": 0.9}, unknown_industry_score=0.1)
    assert vertical_scores(pd.Series(["retail", "High Tech"]), settings).tolist() == [0.9, 0.1]


def test_grade_cutoffs_at_exact_boundaries():
    # n = 10 distinct scores: q = 0.1 .. 1.0; q <= 0.1 F, <= 0.3 D, <= 0.7 C, <= 0.9 B, else A
    assert "".join(grades(np.arange(10.0), Settings())) == "FDDCCCCBBA"


def test_grades_use_average_rank_for_ties():
    # two tied lowest of 10: average rank 1.5 -> q = 0.15 -> D for both
    scores = np.array([1.0, 1.0, 3, 4, 5, 6, 7, 8, 9, 10])
    assert grades(scores, Settings())[:2].tolist() == ["D", "D"]


def test_single_account_scores_50():
    scored = score_accounts(prepare_accounts(FOUR.iloc[:1]), Settings())
    assert scored["ICP_score"].tolist() == [50.0]
    assert scored["adoption_score"].tolist() == [0.0]  # constant columns scale to 0


def test_empty_population_is_an_error():
    with pytest.raises(IcpError, match="no accounts"):
        normal_scores(np.array([]))


def test_min_max_constant_is_zero():
    assert min_max(np.array([5.0, 5.0, 5.0])).tolist() == [0.0, 0.0, 0.0]


def test_scores_match_formula_on_sample(sample_accounts):
    scored = score_accounts(sample_accounts, Settings())
    raw = scored["ICP_score_raw"].to_numpy()
    order = pd.Series(raw.round(9)).rank(method="first").to_numpy()
    expected = np.clip(50 + 15 * norm.ppf((order - 0.5) / len(raw)), 0, 100)
    np.testing.assert_array_equal(scored["ICP_score"].to_numpy(), expected)
    q = pd.Series(expected).rank(method="average") / len(raw)
    bins = pd.cut(q, [0, 0.1, 0.3, 0.7, 0.9, 1.0], labels=list("FDCBA")).astype(str)
    assert scored["ICP_grade"].tolist() == bins.tolist()


raw_lists = st.lists(
    st.floats(min_value=0, max_value=100, allow_nan=False), min_size=1, max_size=300
)


@given(raw_lists)
def test_score_is_monotone_in_raw(raw):
    raw = np.array(raw)
    scores = normal_scores(raw)
    order = np.argsort(raw.round(9), kind="stable")
    assert np.all(np.diff(scores[order]) >= 0)
    assert np.all((scores >= 0) & (scores <= 100))


@given(st.integers(min_value=1, max_value=2000))
def test_grade_shares_match_targets_without_ties(n):
    scores = normal_scores(np.arange(n, dtype=float))
    counts = pd.Series(grades(scores, Settings())).value_counts()
    for grade, share in Settings().grade_shares.items():
        assert abs(counts.get(grade, 0) - share * n) <= 1


@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False))
def test_one_account_gives_50(value):
    assert normal_scores(np.array([value])).tolist() == [50.0]


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_shuffling_rows_changes_only_tie_order(data):
    n = data.draw(st.integers(min_value=2, max_value=60))
    values = st.floats(min_value=0, max_value=1e7, allow_nan=False)
    frame = pd.DataFrame(
        {
            "Customer ID": [f"id{i}" for i in range(n)],
            "Industry": data.draw(
                st.lists(
                    st.sampled_from(["High Tech", "Dental", "", "Other"]), min_size=n, max_size=n
                )
            ),
            "Annual Revenue": data.draw(
                st.lists(st.one_of(st.none(), values), min_size=n, max_size=n)
            ),
            "Printer Count": data.draw(st.lists(st.integers(0, 30), min_size=n, max_size=n)),
            "Total Consumable Revenue": data.draw(st.lists(values, min_size=n, max_size=n)),
            "Total Software License Revenue": data.draw(st.lists(values, min_size=n, max_size=n)),
        }
    )
    permutation = data.draw(st.permutations(range(n)))
    base = score_accounts(prepare_accounts(frame), Settings()).set_index(frame["Customer ID"])
    shuffled_frame = frame.iloc[list(permutation)].reset_index(drop=True)
    shuffled = score_accounts(prepare_accounts(shuffled_frame), Settings())
    shuffled = shuffled.set_index(shuffled_frame["Customer ID"]).loc[base.index]
    for column in (
        "vertical_score",
        "size_score",
        "adoption_score",
        "relationship_score",
        "ICP_score_raw",
        "customer_segment",
    ):
        pd.testing.assert_series_equal(base[column], shuffled[column])
    # within each group of equal raw scores the set of ICP scores is the same
    for _, group in base.groupby("ICP_score_raw"):
        assert sorted(group["ICP_score"]) == sorted(shuffled.loc[group.index, "ICP_score"])


tied_values = st.lists(
    st.one_of(st.sampled_from([0.0, 1.5, -2.0, 100.0]), st.floats(allow_infinity=False)),
    min_size=0,
    max_size=200,
)


@given(tied_values)
def test_average_ranks_equal_pandas(values):
    x = np.array(values, dtype=float)
    expected = pd.Series(x).rank(method="average").to_numpy()
    np.testing.assert_array_equal(average_ranks(x), expected)


@given(st.lists(st.floats(min_value=-1e3, max_value=1e3), min_size=1, max_size=3000))
def test_average_ranks_of_normal_scores_in_raw_order_equal_pandas(raw):
    # score_accounts ranks the ICP scores in the order of the raw scores (no second sort);
    # the clipped ends (0 and 100) and rounding make ties that pandas must agree with.
    raw = np.repeat(np.array(raw), 3)
    scores = normal_scores(raw)
    order = np.argsort(raw, kind="stable")
    expected = pd.Series(scores).rank(method="average").to_numpy()
    np.testing.assert_array_equal(average_ranks(scores, order), expected)
    shuffled = np.random.default_rng(0).permutation(len(raw))
    np.testing.assert_array_equal(average_ranks(scores, shuffled), expected)  # not sorted


def test_raw_scores_equal_to_9_decimals_tie_and_keep_row_order():
    # Equal in exact arithmetic, different in the last bits: ranked by row order.
    raw = np.array([50.0, 50.0 + 1e-13, 50.0 - 1e-13, 40.0, 50.0 + 2e-9])
    scores = normal_scores(raw)
    assert scores[3] < scores[0] < scores[1] < scores[2] < scores[4]
    np.testing.assert_array_equal(rank_key(raw)[:3], [50.0, 50.0, 50.0])


def test_weights_that_sum_points_in_another_order_do_not_reorder_equal_accounts():
    # Under 0.2/0.2/0.3/0.3 the same points reached through different components give raw
    # scores that differ in the last bit; the documented order (row order) must hold.
    settings = Settings(weights=Weights(0.2, 0.2, 0.3, 0.3))
    components = pd.DataFrame(
        {
            "vertical_score": [0.4, 0.8, 0.6, 0.3],
            "size_score": [0.8, 0.4, 0.6, 0.9],
            "adoption_score": [0.0, 0.0, 0.0, 0.0],
            "relationship_score": [0.0, 0.0, 0.0, 0.0],
        }
    )
    raw = raw_scores(components, settings.weights)  # 24 in exact arithmetic, every one
    assert raw.tolist() == [24.000000000000007, 24.000000000000007, 24.0, 24.000000000000004]
    scores = normal_scores(raw)
    assert np.all(np.diff(scores) > 0)  # row order, not floating-point noise
