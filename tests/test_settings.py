"""Settings validation: every bad setting is one clear sentence."""

from __future__ import annotations

import pytest

from icp_xl.core.errors import IcpError
from icp_xl.core.model.settings import Settings, SizeTier, Weights


def test_defaults():
    assert Weights().as_dict() == {
        "vertical": 0.3,
        "size": 0.3,
        "adoption": 0.2,
        "relationship": 0.2,
    }
    assert Settings().grade_cutoffs == (0.1, 0.3, 0.7, 0.9)


def test_weights_within_tolerance_are_accepted():
    assert Weights(0.3, 0.3, 0.2, 0.205).total == pytest.approx(1.005)


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ((0.5, 0.3, 0.2, 0.2), "sum to 1.2000"),
        ((0.1, 0.1, 0.1, 0.1), "sum to 0.4000"),
        ((1.2, -0.2, 0.0, 0.0), "between 0 and 1"),
        (("0.3", 0.3, 0.2, 0.2), "must be a number"),
        ((float("nan"), 0.3, 0.2, 0.2), "must be a number"),
    ],
)
def test_bad_weights(weights, message):
    with pytest.raises(IcpError, match=message):
        Weights(*weights)


def test_weights_from_seed_mapping():
    w = Weights.from_mapping(
        {
            "vertical_score": 0.25,
            "size_score": 0.0,
            "adoption_score": 0.4,
            "relationship_score": 0.35,
        }
    )
    assert w.adoption == 0.4
    with pytest.raises(IcpError, match="missing for: relationship"):
        Weights.from_mapping({"vertical": 0.5, "size": 0.5, "adoption": 0.0})


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"small_business_max": 2e9}, "must be below the Mid-Market max"),
        ({"small_business_max": 0}, "positive number"),
        ({"grade_shares": {"F": 0.1, "D": 0.2, "C": 0.4, "B": 0.2, "A": 0.2}}, "sum to 1.1000"),
        ({"grade_shares": {"F": 0.5, "D": 0.5}}, "missing for: C, B, A"),
        ({"vertical_table": {"x": 1.5}}, "vertical score of 'x'"),
        ({"vertical_table": {"Dental": 0.5, " dental": 0.6}}, "twice"),
        ({"high_value_cutoff": 120}, "high-value cutoff"),
        ({"unknown_industry_score": 2}, "unknown-industry score"),
        ({"size_tiers": ()}, "At least one size tier"),
    ],
)
def test_bad_settings(kwargs, message):
    with pytest.raises(IcpError, match=message):
        Settings(**kwargs)


def test_bad_size_tier():
    with pytest.raises(IcpError, match="upper bound"):
        SizeTier(10e6, 5e6, 0.4)
