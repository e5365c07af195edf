"""Chart data blocks (icp_xl.workbook.chart_data): fixed shapes, and figures checked against
the data."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from icp_xl.core.inputs.accounts import prepare_accounts
from icp_xl.core.inputs.sample import make_sample_accounts
from icp_xl.core.model.scoring import score_accounts
from icp_xl.core.model.segments import SEGMENT_VIEWS, within_segment_scores
from icp_xl.core.model.settings import SEGMENTS, Settings, Weights
from icp_xl.workbook.chart_data import (
    CHART_DATA_SHEET,
    CONVERGENCE_POINTS,
    FIRST_DATA_ROW,
    SCATTER_POINTS,
    SECTIONS,
    box_plot_block,
    chart_blocks,
    convergence_block,
    even_sample,
    score_histogram_block,
    section,
)


def scored_of(frame: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    scored = score_accounts(frame, settings)
    return scored.join(within_segment_scores(scored, settings))


@pytest.fixture(scope="module")
def population():
    accounts = prepare_accounts(make_sample_accounts(700, seed=11))
    settings = Settings()
    return accounts.frame, scored_of(accounts.frame, settings), settings


def by_key(blocks) -> dict:
    return {s.key: b for s, b in zip(SECTIONS, blocks, strict=False)}


def body(block) -> list[list]:
    return [list(r) for r in block.rows[FIRST_DATA_ROW - 1 :]]


def column(block, key: str, name: str) -> list:
    index = section(key).section.columns.index(name)
    return [r[index] for r in body(block)]


TRIALS = pd.DataFrame(
    {"number": [0, 1, 2, 3], "objective": [0.5, 0.7, 0.2, 0.3], "best_so_far": [0.5, 0.5, 0.2, 0.2]}
)


def expected_shape(key: str) -> tuple[str, int, int]:
    place = section(key)
    return place.top_left, FIRST_DATA_ROW - 1 + place.section.rows, len(place.section.columns)


def assert_fixed_shapes(blocks) -> None:
    assert [b.sheet for b in blocks] == [CHART_DATA_SHEET] * len(SECTIONS)
    for spec, block in zip(SECTIONS, blocks, strict=True):
        assert (block.top_left, block.height, block.width) == expected_shape(spec.key)
        assert all(len(r) == block.width for r in block.rows)


def test_sections_do_not_overlap_and_leave_a_blank_column():
    spans = sorted(
        (section(s.key).first_column, section(s.key).first_column + len(s.columns) - 1)
        for s in SECTIONS
    )
    for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
        assert start == end + 2


@pytest.mark.parametrize("view", SEGMENT_VIEWS)
def test_blocks_have_fixed_shapes_in_every_view(population, view):
    frame, scored, settings = population
    assert_fixed_shapes(chart_blocks(frame, scored, settings, view, Weights(), TRIALS))


@pytest.mark.parametrize("n", [1, 2, 5])
def test_blocks_have_fixed_shapes_for_tiny_populations(n):
    frame = prepare_accounts(make_sample_accounts(n, seed=5)).frame
    settings = Settings()
    scored = scored_of(frame, settings)
    for view in SEGMENT_VIEWS:
        assert_fixed_shapes(chart_blocks(frame, scored, settings, view, None, TRIALS))


def test_an_empty_segment_gives_blank_series_of_the_same_shape(population):
    frame, _, _ = population
    settings = Settings(small_business_max=1e11, mid_market_max=1e12)  # everyone is small
    scored = scored_of(frame, settings)
    blocks = chart_blocks(frame, scored, settings, "Large Enterprise", None, TRIALS)
    assert_fixed_shapes(blocks)
    b = by_key(blocks)
    assert sum(column(b["score_hist"], "score_hist", "accounts")) == 0
    assert all(v is None for v in column(b["score_hist"], "score_hist", "mean"))
    assert b["score_hist"].rows[1][5] == "Mean n/a"
    assert all(v is None for v in column(b["grades"], "grades", "actual"))
    assert all(v is None for v in column(b["gains"], "gains", "icp_rank"))
    assert all(r[0] is None for r in body(b["industries"]))
    large = body(b["box"])[SEGMENTS.index("Large Enterprise")]
    assert large[0] == "Large Enterprise" and large[-1] == 0 and set(large[1:-1]) == {None}


def test_without_trials_the_convergence_block_is_left_out(population):
    frame, scored, settings = population
    blocks = chart_blocks(frame, scored, settings, "All Segments")
    assert [b.top_left for b in blocks] == [section(s.key).top_left for s in SECTIONS[:-1]]


def test_score_histogram_counts_every_account_and_marks_the_statistics():
    scores = np.array([3.0, 12.0, 12.5, 50.0, 51.0, 99.0, 100.0])
    block = score_histogram_block(scores)
    accounts = column(block, "score_hist", "accounts")
    x = column(block, "score_hist", "score")
    assert x == list(range(101))
    assert sum(accounts[i] for i in range(0, 100, 5)) == len(scores)
    assert accounts[0:5] == [1] * 5 and accounts[10:15] == [2] * 5 and accounts[100] == 2
    mean = column(block, "score_hist", "mean")
    marked = [i for i, v in enumerate(mean) if v is not None]
    assert marked == [round(scores.mean())]
    assert mean[marked[0]] >= max(accounts)
    assert block.rows[1][4] == f"Median {np.median(scores):.1f}"
    assert block.rows[1][3] == f"Q1 {np.percentile(scores, 25):.1f}"
    ticks = column(block, "score_hist", "tick")
    assert [t for t in ticks if t] == [str(v) for v in range(0, 101, 10)]


def test_grade_shares_follow_the_view_grades_and_the_target_revenue(population):
    frame, scored, settings = population
    for view in SEGMENT_VIEWS:
        b = by_key(chart_blocks(frame, scored, settings, view))
        rows = body(b["grades"])
        assert [r[0] for r in rows] == ["A", "B", "C", "D", "F"]
        assert sum(r[1] for r in rows) == pytest.approx(1.0)
        assert sum(r[2] for r in rows) == pytest.approx(1.0)
    all_rows = body(by_key(chart_blocks(frame, scored, settings, "All Segments"))["grades"])
    target = frame["target_revenue"].clip(lower=0)
    share_a = target[scored["ICP_grade"] == "A"].sum() / target.sum()
    assert all_rows[0][2] == pytest.approx(share_a)  # moves with the weights, unlike row[1]
    mid = scored[scored["customer_segment"] == "Mid-Market"]
    b = by_key(chart_blocks(frame, scored, settings, "Mid-Market"))
    share_a = float((mid["segment_ICP_grade"] == "A").mean())
    assert body(b["grades"])[0][1] == pytest.approx(share_a)


def test_one_segment_view_uses_within_segment_scores(population):
    frame, scored, settings = population
    b = by_key(chart_blocks(frame, scored, settings, "Small Business"))
    small = scored[scored["customer_segment"] == "Small Business"]
    mean = column(b["score_hist"], "score_hist", "mean")
    assert [i for i, v in enumerate(mean) if v is not None] == [
        round(small["segment_ICP_score"].mean())
    ]
    assert sum(r[2] for r in body(b["industries"]) if r[2]) <= len(small)


def test_box_plot_parts_stack_to_the_quartiles():
    scored = pd.DataFrame(
        {
            "ICP_score": [10.0, 20, 30, 40, 50, 95, 60, 70],
            "customer_segment": ["Small Business"] * 6 + ["Mid-Market"] * 2,
        }
    )
    rows = body(box_plot_block(scored))
    small = rows[0]
    values = np.array([10.0, 20, 30, 40, 50, 95])
    q1, median, q3 = np.percentile(values, [25, 50, 75])
    base, lower, upper, down, up, mean = small[1:7]
    assert base == pytest.approx(q1)
    assert base + lower == pytest.approx(median)
    assert base + lower + upper == pytest.approx(q3)
    assert base - down == pytest.approx(10.0)  # 10 is within 1.5 IQR below Q1
    assert q3 + up == pytest.approx(50.0)  # 95 is an outlier: the whisker stops at 50
    assert mean == pytest.approx(values.mean())
    assert small[-1] == 6 and rows[1][-1] == 2 and rows[2][-1] == 0


def test_industries_are_the_15_largest_with_counts_best_first(population):
    frame, scored, settings = population
    b = by_key(chart_blocks(frame, scored, settings, "All Segments"))
    rows = body(b["industries"])
    names = frame["industry"].map(lambda s: s.strip() or "(unknown)")
    sizes = names.value_counts()
    assert all(r[0] == f"{r[0].rsplit(' (', 1)[0]} ({r[2]:,})" for r in rows)
    assert sorted((r[2] for r in rows), reverse=True) == sorted(sizes, reverse=True)[:15]
    averages = [r[1] for r in rows]
    assert averages == sorted(averages, reverse=True)
    first = rows[0][0].rsplit(" (", 1)[0]
    assert rows[0][1] == pytest.approx(scored["ICP_score"][names == first].mean())


def test_scatters_sample_at_most_500_points_one_segment_each(population):
    frame, scored, settings = population
    b = by_key(chart_blocks(frame, scored, settings, "All Segments"))
    for key in ("adoption_scatter", "target_scatter", "printers_score_scatter"):
        rows = [r for r in body(b[key]) if r[0] is not None]
        assert 0 < len(rows) <= SCATTER_POINTS
        assert all(sum(v is not None for v in r[1:]) == 1 for r in rows)
    target = [r[0] for r in body(b["target_scatter"]) if r[0] is not None]
    assert min(target) > 0  # log axis: accounts without target revenue are left out
    adoption = [r for r in body(b["adoption_scatter"]) if r[0] is not None]
    first = scored.iloc[0]
    assert adoption[0][0] == frame["printer_count"].iloc[0]
    segment_column = 1 + SEGMENTS.index(first["customer_segment"])
    assert adoption[0][segment_column] == pytest.approx(first["adoption_score"])


def test_even_sample_is_deterministic_and_keeps_the_ends():
    assert list(even_sample(3, 500)) == [0, 1, 2]
    picked = even_sample(10_000, 500)
    assert len(picked) == 500 and picked[0] == 0 and picked[-1] == 9_999
    assert list(picked) == list(even_sample(10_000, 500))


def test_gains_curve_by_hand():
    frame = pd.DataFrame({"target_revenue": [0.0, 30.0, 10.0, 60.0]})
    scores = pd.Series([90.0, 80.0, 70.0, 60.0])  # ranked: 0, 30, 10, 60
    from icp_xl.workbook.chart_data import gains_block

    rows = body(gains_block(scores, frame["target_revenue"]))
    x = [r[0] for r in rows]
    captured = dict(zip(x, (r[1] for r in rows), strict=True))
    assert captured[0.25] == pytest.approx(0.0)
    assert captured[0.5] == pytest.approx(0.3)
    assert captured[0.75] == pytest.approx(0.4)
    assert captured[1.0] == pytest.approx(1.0)
    best = dict(zip(x, (r[3] for r in rows), strict=True))
    assert best[0.25] == pytest.approx(0.6) and best[0.5] == pytest.approx(0.9)
    assert all(r[2] == r[0] for r in rows)


def test_convergence_accepts_the_optimizer_history_and_samples_down():
    history = pd.DataFrame(
        {
            "Trial": np.arange(1200),
            "Objective": np.linspace(1.0, 0.0, 1200),
            "Best so far": np.linspace(1.0, 0.0, 1200),
        }
    )
    history.loc[5, "Objective"] = math.nan  # a failed trial is left out
    rows = [r for r in body(convergence_block(history)) if r[0] is not None]
    assert len(rows) == CONVERGENCE_POINTS
    assert rows[0][0] == 0 and rows[-1][0] == 1199 and 5 not in [r[0] for r in rows]
    no_best = TRIALS.drop(columns="best_so_far")
    assert [r[2] for r in body(convergence_block(no_best))[:4]] == [0.5, 0.5, 0.2, 0.2]


def test_rescoring_with_other_weights_changes_the_chart_data(population):
    frame, scored, settings = population
    before = by_key(chart_blocks(frame, scored, settings, "All Segments"))
    other = settings.with_weights(Weights(0.1, 0.1, 0.4, 0.4))
    after = by_key(chart_blocks(frame, scored_of(frame, other), other, "All Segments"))
    for key in ("raw_hist", "industries", "gains", "printers_score_scatter", "box", "segments"):
        assert body(before[key]) != body(after[key]), key
    assert column(after["weights"], "weights", "current") == [0.1, 0.1, 0.4, 0.4]
    # the ICP score histogram is a normal curve by construction: same bell either way
    assert body(before["score_hist"]) == body(after["score_hist"])
