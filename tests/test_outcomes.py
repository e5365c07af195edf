"""Outcomes from CRM opportunities: reading, win rates, Wilson intervals, lift, AUC, gains,
and the backtest on grades logged before each deal, checked against independent
computations (closed-form Wilson, AUC from average ranks, counting pairs by hand)."""

from __future__ import annotations

import math
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from icp_xl.core.errors import IcpError
from icp_xl.core.inputs.dates import read_date_column
from icp_xl.core.inputs.opportunities import prepare_opportunities
from icp_xl.core.insight.grade_history import (
    LOG_FIELDS,
    grade_changes,
    grades_at_creation,
    latest_grades,
)
from icp_xl.core.insight.outcomes import (
    MIN_CLOSED,
    TOO_FEW,
    TOTAL,
    account_auc,
    auc_of,
    gains_curve,
    headlines,
    outcomes_by_grade,
    unknown_accounts,
    wilson_interval,
)


def _opps(rows: list[tuple[str, str, float | None]]) -> pd.DataFrame:
    """Opportunities (customer, status, amount) as prepare_opportunities types them."""
    return pd.DataFrame(
        {
            "opportunity_id": [f"o{i}" for i in range(len(rows))],
            "customer_id": [r[0] for r in rows],
            "stage": [r[1] for r in rows],
            "status": [r[1] for r in rows],
            "amount": [np.nan if r[2] is None else r[2] for r in rows],
            "created_date": pd.Series([pd.NaT] * len(rows), dtype="datetime64[ns]"),
            "close_date": pd.Series([pd.NaT] * len(rows), dtype="datetime64[ns]"),
            "row": np.arange(2, 2 + len(rows)),
        }
    )


def _wilson_closed_form(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def _auc_by_ranks(won: np.ndarray, lost: np.ndarray) -> float:
    """AUC from average ranks (the rank-sum form of Mann-Whitney), independent of scipy."""
    values = np.concatenate([won, lost])
    order = np.argsort(values, kind="stable")
    ranks = np.empty(len(values))
    sorted_values = values[order]
    i = 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and sorted_values[j + 1] == sorted_values[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    n1, n0 = len(won), len(lost)
    return (ranks[:n1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)


def _auc_by_pairs(won: np.ndarray, lost: np.ndarray) -> float:
    return float(np.mean([(w > x) + 0.5 * (w == x) for w in won for x in lost]))


# ---------------------------------------------------------------- reading


def test_salesforce_export_reads_stage_flags_money_and_dates() -> None:
    raw = pd.DataFrame(
        {
            "Opportunity ID": ["006A", "006B", "006C"],
            "Account ID": ["001", "001", "002"],
            "Stage": ["Closed Won", "Negotiation", "Closed Lost"],
            "IsWon": ["true", "false", "false"],
            "IsClosed": ["true", "false", "true"],
            "Amount": ["$1,200.50", "(300)", "12.5K"],
            "Created Date": ["2024-01-05", "2024-02-01T10:00:00Z", 45000],
            "Close Date": ["03/15/2024", "", "04/01/2024"],
        }
    )
    opps = prepare_opportunities(raw, "sf.csv").frame
    assert opps["status"].tolist() == ["won", "open", "lost"]
    assert opps["amount"].tolist() == [1200.5, -300.0, 12500.0]
    assert opps["created_date"].tolist()[2] == pd.Timestamp("2023-03-15")
    assert opps["close_date"].tolist()[0] == pd.Timestamp("2024-03-15")
    assert pd.isna(opps["close_date"].iloc[1])


def test_hubspot_and_plain_stage_words() -> None:
    raw = pd.DataFrame(
        {
            "Record ID": ["1", "2", "3", "4"],
            "Associated Company ID": ["c1", "c2", "c3", "c4"],
            "Deal Stage": ["closedwon", "closedlost", "Won", "appointmentscheduled"],
        }
    )
    prepared = prepare_opportunities(raw, "deals.csv")
    assert prepared.frame["status"].tolist() == ["won", "lost", "won", "open"]
    assert prepared.frame["opportunity_id"].tolist() == ["1", "2", "3", "4"]
    assert prepared.source_columns["customer_id"] == "Associated Company ID"
    assert any("Amount" in w for w in prepared.warnings)


def test_european_dates_are_read_day_first() -> None:
    column = read_date_column(pd.Series(["15/03/2024", "01/04/2024", "02.05.2024"]))
    assert column.day_first
    assert [str(v)[:10] for v in column.values] == ["2024-03-15", "2024-04-01", "2024-05-02"]


def test_column_map_names_the_account_id() -> None:
    raw = pd.DataFrame({"Acct Ref": ["a"], "Stage": ["Won"]})
    opps = prepare_opportunities(raw, "x.csv", column_map={"customer_id": "Acct Ref"})
    assert opps.frame["customer_id"].tolist() == ["a"]


def test_every_problem_is_one_sentence_naming_file_row_and_value() -> None:
    raw = pd.DataFrame(
        {
            "Opportunity ID": ["o1", "o1", "o3"],
            "Account ID": ["a", "", "c"],
            "Stage": ["Won", "Lost", "Open"],
            "Amount": ["12", "lots", "3"],
            "Close Date": ["2024-01-01", "31/02/2024", ""],
        }
    )
    with pytest.raises(IcpError) as error:
        prepare_opportunities(raw, "deals.csv")
    problems = error.value.problems
    assert len(problems) == 4
    assert "deals.csv, column 'Account ID', row 3: an account ID is required" in problems
    assert "deals.csv, column 'Amount', row 3: not a number ('lots')" in problems
    assert "deals.csv, column 'Close Date', row 3: not a date ('31/02/2024')" in problems
    assert any("duplicated: 'o1' (rows 2, 3)" in p for p in problems)


def test_missing_columns_and_contradicting_flags() -> None:
    with pytest.raises(IcpError, match="f.csv has no account ID column .* and no 'Stage' column"):
        prepare_opportunities(pd.DataFrame({"Name": ["x"]}), "f.csv")
    raw = pd.DataFrame({"Account": ["a"], "IsWon": [True], "IsClosed": [False]})
    with pytest.raises(IcpError, match="won but not closed"):
        prepare_opportunities(raw, "f.csv")


# ---------------------------------------------------------------- the by-grade table


def test_by_grade_hand_case_with_empty_grades_and_open_only_accounts() -> None:
    grades = pd.Series({"a1": "A", "a2": "A", "b1": "B", "c1": "C", "f1": "F", "f2": "F"})
    opps = _opps(
        [("a1", "won", 100.0), ("a1", "won", None), ("a2", "lost", 50.0), ("b1", "open", 10.0),
         ("f1", "lost", 5.0), ("f1", "won", 20.0), ("f2", "lost", 1.0)]
    )  # fmt: skip
    table = outcomes_by_grade(opps.assign(grade=opps["customer_id"].map(grades)), grades)
    a, b, d, f, total = (table.loc[g] for g in ("A", "B", "D", "F", TOTAL))
    assert (a["won"], a["lost"], a["open"], a["opportunities"]) == (2, 1, 0, 3)
    assert a["win_rate"] == pytest.approx(2 / 3)
    assert a["accounts"] == 2 and a["accounts_with_opportunity"] == 2
    assert b["opportunities"] == 1 and math.isnan(b["win_rate"])  # open only
    assert d["accounts"] == 0 and d["opportunities"] == 0 and math.isnan(d["win_rate_low"])
    assert f["win_rate"] == pytest.approx(1 / 3)
    assert total["win_rate"] == pytest.approx(3 / 6)
    assert a["lift"] == pytest.approx((2 / 3) / 0.5)
    assert a["won_amount"] == 100.0 and f["won_amount"] == 20.0  # blank amount counts 0
    assert a["share_of_won_amount"] == pytest.approx(100 / 120)
    assert a["share_of_won_deals"] == pytest.approx(2 / 3)
    assert a["share_of_accounts"] == pytest.approx(2 / 6)
    assert set(table["note"]) == {TOO_FEW}


def test_wilson_interval_matches_the_closed_form() -> None:
    for k, n in [(0, 1), (1, 3), (7, 30), (30, 30), (412, 1000)]:
        assert wilson_interval(k, n) == pytest.approx(_wilson_closed_form(k, n), abs=1e-9)
    assert all(math.isnan(v) for v in wilson_interval(0, 0))


def test_the_small_sample_flag_starts_at_thirty_closed() -> None:
    grades = pd.Series({"a": "A", "b": "B"})
    rows = [("a", "won" if i % 2 else "lost", 1.0) for i in range(MIN_CLOSED)]
    rows += [("b", "lost", 1.0)] * (MIN_CLOSED - 1) + [("b", "open", 1.0)] * 5
    opps = _opps(rows)
    table = outcomes_by_grade(opps.assign(grade=opps["customer_id"].map(grades)), grades)
    assert table.at["A", "note"] == "" and table.at["B", "note"] == TOO_FEW


def test_unknown_accounts_are_listed_not_graded() -> None:
    opps = _opps([("a", "won", 1.0), ("ghost", "won", 9.0)])
    assert unknown_accounts(opps, ["a"])["customer_id"].tolist() == ["ghost"]
    grades = pd.Series({"a": "A"})
    table = outcomes_by_grade(opps.assign(grade=opps["customer_id"].map(grades)), grades)
    assert table.at[TOTAL, "won"] == 1


# ---------------------------------------------------------------- AUC and gains


def test_auc_hand_case_with_ties_and_accounts_without_closed_deals() -> None:
    scores = pd.Series({"w1": 90.0, "w2": 50.0, "l1": 50.0, "l2": 10.0, "open": 99.0, "none": 1.0})
    opps = _opps([("w1", "won", 1.0), ("w1", "lost", 1.0), ("w2", "won", 1.0),
                  ("l1", "lost", 1.0), ("l2", "lost", 1.0), ("open", "open", 1.0)])  # fmt: skip
    auc = account_auc(scores, opps)
    # pairs: (90>50, 90>10, 50=50 -> 1/2, 50>10) over 4
    assert auc.auc == pytest.approx(3.5 / 4)
    assert (auc.accounts, auc.won_accounts) == (4, 2)
    assert auc.low <= auc.auc <= auc.high
    again = account_auc(scores, opps)
    assert (again.low, again.high) == (auc.low, auc.high)  # seeded


def test_auc_is_blank_without_both_won_and_lost_accounts() -> None:
    scores = pd.Series({"a": 1.0, "b": 2.0})
    assert math.isnan(account_auc(scores, _opps([("a", "won", 1.0)])).auc)
    assert math.isnan(account_auc(scores, _opps([("a", "open", 1.0)])).auc)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 8), min_size=1, max_size=25),
    st.lists(st.integers(0, 8), min_size=1, max_size=25),
)
def test_auc_equals_average_ranks_and_pair_counting(won: list[int], lost: list[int]) -> None:
    w, x = np.array(won, dtype=float), np.array(lost, dtype=float)
    assert float(auc_of(w, x)) == pytest.approx(_auc_by_ranks(w, x), abs=1e-12)
    assert float(auc_of(w, x)) == pytest.approx(_auc_by_pairs(w, x), abs=1e-12)
    assert float(auc_of(x, w)) == pytest.approx(1 - _auc_by_pairs(w, x), abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 5)), min_size=1, max_size=60))
def test_table_counts_add_up(rows: list[tuple[int, int]]) -> None:
    statuses = ["won", "lost", "open", "lost"]
    grades = pd.Series({f"c{g}": "ABCDF"[g] for g in range(6) if g < 5})
    opps = _opps([(f"c{min(g, 4)}", statuses[s], 1.0) for s, g in rows])
    table = outcomes_by_grade(opps.assign(grade=opps["customer_id"].map(grades)), grades)
    grades_only = table.drop(index=TOTAL)
    for column in ("won", "lost", "open", "opportunities", "won_amount"):
        assert grades_only[column].sum() == table.at[TOTAL, column]
    rates = table["win_rate"].dropna()
    assert ((rates >= table["win_rate_low"].dropna() - 1e-12) & (rates <= 1)).all()


def test_gains_curve_random_line_and_perfect_order() -> None:
    scores = pd.Series({f"c{i}": float(100 - i) for i in range(10)})
    opps = _opps([("c0", "won", 30.0), ("c1", "won", 10.0), ("c9", "lost", 1.0)])
    gains = gains_curve(scores, opps, steps=10)
    assert gains["random"].tolist() == pytest.approx(np.linspace(0, 1, 11).tolist())
    assert gains["won_accounts"].tolist()[:3] == [0.0, 0.5, 1.0]
    assert gains["won_amount"].tolist()[1] == pytest.approx(0.75)
    assert gains["won_accounts"].iloc[-1] == 1.0


def test_headlines_compare_judged_grades() -> None:
    grades = pd.Series({"a": "A", "f": "F"})
    opps = _opps([("a", "won", 1.0)] * 18 + [("a", "lost", 1.0)] * 12
                 + [("f", "won", 1.0)] * 3 + [("f", "lost", 1.0)] * 27)  # fmt: skip
    table = outcomes_by_grade(opps.assign(grade=opps["customer_id"].map(grades)), grades)
    lines = headlines(table, None, None)
    assert "A wins 6.0× as often as F (60 % vs 10 % of closed opportunities)." in lines
    assert lines[0].startswith("Grades A+B: 50 % of accounts, 86 % of won deals")


# ---------------------------------------------------------------- backtest


def test_backtest_grades_each_deal_as_at_the_run_before_it_was_created() -> None:
    empty = pd.DataFrame(columns=list(LOG_FIELDS))
    run1 = grade_changes(empty, pd.Series({"a": "A", "b": "C"}), 1, datetime(2024, 1, 1))
    assert len(run1) == 2
    run2 = grade_changes(run1, pd.Series({"a": "B", "b": "C", "n": "F"}), 2, datetime(2024, 2, 1))
    assert sorted(run2["customer_id"]) == ["a", "n"]  # b unchanged: not logged again
    log = pd.concat([run1, run2], ignore_index=True)
    run3 = grade_changes(log, pd.Series({"n": "F"}), 3, datetime(2024, 3, 1))
    assert dict(zip(run3["customer_id"], run3["grade"], strict=True)) == {"a": "", "b": ""}
    log = pd.concat([log, run3], ignore_index=True)
    assert latest_grades(log).to_dict() == {"a": "", "b": "", "n": "F"}
    opps = _opps([("a", "won", 1.0)] * 6).assign(
        created_date=pd.to_datetime(
            ["2023-12-01", "2024-01-15", "2024-02-01", "2024-02-10", "2024-03-05", None]
        )  # fmt: skip
    )
    graded = grades_at_creation(opps, log)
    # before run 1: none; after run 1: A; exactly at run 2: still run 1's A; after: B; gone
    assert graded.tolist() == ["", "A", "A", "B", "", ""]


@settings(max_examples=60, deadline=None)
@given(st.dates(min_value=date(1950, 1, 1), max_value=date(2150, 12, 31)))
def test_a_date_reads_the_same_in_every_written_form(day: date) -> None:
    expected = np.datetime64(day, "ns")
    serial = (datetime(day.year, day.month, day.day) - datetime(1899, 12, 30)).days
    forms = {
        "iso": [day.isoformat()],
        "us": [day.strftime("%m/%d/%Y"), "12/31/2024"],  # a cell only month-first explains
        "eu": [day.strftime("%d/%m/%Y"), "31/12/2024"],  # a cell only day-first explains
        "dots": [day.strftime("%d.%m.%Y")],
        "serial": [serial],
        "cell": [datetime(day.year, day.month, day.day)],
    }
    for form, cells in forms.items():
        column = read_date_column(pd.Series(cells, dtype=object))
        assert not len(column.bad), form
        assert column.values[0] == expected, form
