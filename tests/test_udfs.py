"""ICP formulas (icp_xl.excel.formulas), called as Excel calls them through xlwings.

``call_like_excel`` follows ``xlwings.udfs.call_udf`` and ``XLPython.CallUDF``: an
omitted argument takes the Python default, every other argument goes through
xlwings' real conversion pipeline with the options recorded by ``@xw.arg``, and
the result through xlwings' write pipeline, 1x1 and 1xN results unwrapped. The
module is imported with xlwings' real decorators (off Windows they are no-ops), the
way the add-in builder imports it. The only stand-in is the cell-value cleaning of
the Windows engine (pywin32 is missing here): blanks -> None, NaN/None -> "".
"""

from __future__ import annotations

import math
import types
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import xlwings as xw
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import ndtri
from xlwings import conversion

from icp_xl.cli import main
from icp_xl.core.inputs.accounts import prepare_accounts
from icp_xl.core.inputs.sample import make_sample_accounts
from icp_xl.core.insight.explain import SUMMARY_LABELS
from icp_xl.core.model.calibration import Calibration, calibrate, score_calibrated
from icp_xl.core.model.scoring import SCORE_COLUMNS, grades, score_accounts
from icp_xl.core.model.settings import Settings, SizeTier, Weights
from icp_xl.excel import formula_cache
from icp_xl.excel.addin.registration import MACRO_OPTIONS_LIMIT, describe
from icp_xl.excel.addin.udf_wrappers import (
    generate_udf_wrapper_module,
    import_udf_module,
    udf_names,
)
from icp_xl.hosts.file.book import FileBook
from icp_xl.hosts.file.new_workbook import new_workbook
from icp_xl.workbook import layout
from icp_xl.workbook.calibration_table import calibration_rows

UDFS = {
    "ICP_SCORE_TABLE",
    "ICP_SCORE_ACCOUNT",
    "ICP_SCORE_PROSPECT",
    "ICP_VERTICAL",
    "ICP_SIZE",
    "ICP_SEGMENT",
    "ICP_GRADE",
    "ICP_EXPLAIN",
}
MISSING = object()  # an argument left out of the formula
W = (0.3, 0.3, 0.2, 0.2)


class _WindowsCellValues:
    """xlwings' Windows engine as the conversion pipeline sees it (xlwings._xlwindows)."""

    name = "excel"
    type = "desktop"

    @staticmethod
    def clean_value_data(data, datetime_builder, empty_as, number_builder, err_to_str):
        return [[empty_as if c in ("", None) else c for c in row] for row in data]

    @staticmethod
    def prepare_xl_data_element(x, options):
        if x is None or (isinstance(x, float) and math.isnan(x)):
            return ""
        return float(x) if isinstance(x, np.number) else x


@pytest.fixture(scope="module")
def udfs() -> types.ModuleType:
    return import_udf_module("icp_xl.excel.formulas")


@pytest.fixture(autouse=True)
def excel_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = xw.main.Engine(impl=_WindowsCellValues())
    monkeypatch.setitem(xw.engines.engines_by_name, "excel", engine)


def call_like_excel(module: types.ModuleType, name: str, *args: Any) -> Any:
    func = getattr(module, name)
    info = func.__xlfunc__
    args = list(args) + [MISSING] * (len(info["args"]) - len(args))
    converted = [
        arg_info.get("optional")
        if arg is MISSING
        else conversion.read(None, arg, arg_info["options"])
        for arg, arg_info in zip(args, info["args"], strict=True)
    ]
    result = conversion.write(func(*converted), None, info["ret"]["options"])
    if len(result) == 1 and len(result[0]) == 1:
        return result[0][0]
    if len(result) == 1:
        return result[0]
    return result


def excel_rows(frame: pd.DataFrame) -> list[list[Any]]:
    """A table as Excel hands a range over: header row, floats, text, None for blanks."""

    def cell(value: Any) -> Any:
        if isinstance(value, str):
            return value or None
        value = float(value)
        return None if math.isnan(value) else value

    return [list(frame.columns)] + [[cell(v) for v in row] for row in frame.itertuples(False)]


def prospect_fields(account: pd.Series) -> list[Any]:
    """A prepared account's industry ... software revenue, as ICP_SCORE_PROSPECT takes them
    from cells (blank for an unknown industry or revenue)."""
    revenue = account["annual_revenue"]
    return [
        account["industry"] or None,
        None if math.isnan(revenue) else revenue,
        account["printer_count"],
        account["consumable_revenue"],
        account["software_revenue"],
    ]


@pytest.fixture(scope="module")
def portfolio() -> pd.DataFrame:
    raw = make_sample_accounts(1500, seed=11)
    raw["Annual Revenue"] = raw["Annual Revenue"].astype(object)
    raw.loc[5, "Annual Revenue"] = "$1,200,000.50"  # text numbers, as typed in a sheet
    raw.loc[7, "Annual Revenue"] = "(300)"
    return raw


@pytest.fixture(scope="module")
def rows(portfolio: pd.DataFrame) -> list[list[Any]]:
    return excel_rows(portfolio)


@pytest.fixture(scope="module")
def scored(portfolio: pd.DataFrame) -> pd.DataFrame:
    accounts = prepare_accounts(portfolio)
    return score_accounts(accounts, Settings()).assign(
        customer_id=accounts.frame["customer_id"], **accounts.frame[["printer_count"]]
    )


# ------------------------------------------------------------------- xlwings metadata


def test_every_udf_has_xlwings_metadata_and_a_generated_wrapper(udfs):
    assert set(udf_names(udfs)) == UDFS
    for name in UDFS:
        info = getattr(udfs, name).__xlfunc__
        assert info["name"] == name and not info["sub"] and info["category"] == "ICP"
        assert all("optional" in a for a in info["args"] if a["name"].endswith("_weight"))
        assert "expand" not in info["ret"]["options"]  # Excel 365 spills 2D results natively
    table_args = {a["name"]: a for a in udfs.ICP_SCORE_TABLE.__xlfunc__["args"]}
    assert table_args["accounts"]["options"]["ndim"] == 2
    wrappers = generate_udf_wrapper_module(["icp_xl.excel.formulas"], "ICP.xlam")
    for name in UDFS:
        assert f"Function {name}(" in wrappers.source
    assert "Optional vertical_weight" in wrappers.source


# --------------------------------------------------------------------- scored table


def test_table_equals_core_scores_exactly(udfs, rows, scored):
    table = call_like_excel(udfs, "ICP_SCORE_TABLE", rows, *W)
    assert table[0] == ["Customer ID", *SCORE_COLUMNS]
    assert len(table) == len(scored) + 1
    assert [r[0] for r in table[1:]] == scored["customer_id"].tolist()
    for j, column in enumerate(SCORE_COLUMNS, start=1):
        assert [r[j] for r in table[1:]] == scored[column].tolist(), column


def test_table_follows_weights_columns_and_thresholds(udfs, portfolio, rows):
    weights = Weights(0.4, 0.1, 0.25, 0.25)
    settings = Settings(weights=weights, small_business_max=50e6)
    expected = score_accounts(prepare_accounts(portfolio), settings)
    table = call_like_excel(
        udfs, "ICP_SCORE_TABLE", rows, 0.4, 0.1, 0.25, 0.25, "icp score; ICP_grade", 5e7
    )
    assert table[0] == ["Customer ID", "ICP_score", "ICP_grade"]
    assert [r[1] for r in table[1:]] == expected["ICP_score"].tolist()
    assert [r[2] for r in table[1:]] == expected["ICP_grade"].tolist()
    segment = call_like_excel(
        udfs, "ICP_SCORE_TABLE", rows, *W, [["customer_segment"]], 5e7, MISSING
    )
    assert [r[1] for r in segment[1:]] == expected["customer_segment"].tolist()


def test_table_with_weights_left_out_uses_default_weights(udfs, rows, scored):
    table = call_like_excel(udfs, "ICP_SCORE_TABLE", rows, MISSING, MISSING, MISSING, MISSING)
    assert [r[7] for r in table[1:]] == scored["ICP_score"].tolist()


def test_table_uses_a_vertical_table_range(udfs, portfolio, rows):
    vertical = [["Industry", "Score"], ["High Tech", 0.2], ["Retail", 1.0], [None, None]]
    settings = Settings(vertical_table={"high tech": 0.2, "retail": 1.0})
    expected = score_accounts(prepare_accounts(portfolio), settings)
    table = call_like_excel(
        udfs, "ICP_SCORE_TABLE", rows, *W, "vertical_score,ICP_score", None, None, vertical
    )
    assert [r[1] for r in table[1:]] == expected["vertical_score"].tolist()
    assert [r[2] for r in table[1:]] == expected["ICP_score"].tolist()


def test_range_larger_than_the_table_and_integer_ids(udfs):
    rows = [
        ["id", "Industry", "Annual Revenue", None],
        [1001.0, "Dental", 3e8, None],
        [1002.0, None, "1 200 000", None],
        [None, None, None, None],
        [None, None, None, None],
    ]
    table = call_like_excel(udfs, "ICP_SCORE_TABLE", rows, *W, "size_score")
    assert table == [["id", "size_score"], ["1001", 1.0], ["1002", 0.4]]


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("accounts", "weights", "message"),
    [
        (
            None,
            (0.5, 0.3, 0.3, 0.2),
            "#ICP! The weights must sum to 1 (within 0.01); they sum to 1.3",
        ),
        (None, (None, 0.3, 0.2, 0.2), "#ICP! The vertical weight is blank"),
        (None, ("thirty", 0.3, 0.2, 0.2), "#ICP! The vertical weight is not a number ('thirty')"),
        (None, ([[0.3, 0.3]], 0.3, 0.2, 0.2), "#ICP! The vertical weight must be a single cell"),
        ([[None, None], [None, None]], W, "#ICP! The accounts range is empty"),
        ([["C1", "Dental"], ["C2", "Energy"]], W, "needs a header row with 'Customer ID'"),
        ([["Customer ID", "Industry"]], W, "#ICP! The accounts range has no accounts"),
        (
            [["Customer ID", "Industry", "Annual Revenue"], ["C1", "Dental", "lots"]],
            W,
            "#ICP! The accounts range, column 'Annual Revenue', row 2: not a number ('lots')",
        ),
        (
            [["Customer ID", "Industry"], ["C1", "Dental"], ["C1", "Energy"]],
            W,
            "Customer IDs must be unique; duplicated: 'C1' (rows 2, 3)",
        ),
    ],
)
def test_table_errors_are_readable_error_texts(udfs, rows, accounts, weights, message):
    result = call_like_excel(udfs, "ICP_SCORE_TABLE", accounts or rows, *weights)
    assert isinstance(result, str) and result.startswith("#ICP! ")
    assert message in result


def test_helper_and_account_errors(udfs, rows):
    assert "Unknown score column 'score'" in call_like_excel(
        udfs, "ICP_SCORE_TABLE", rows, *W, "score"
    )
    assert call_like_excel(udfs, "ICP_SIZE", "ten million") == (
        "#ICP! The annual revenue is not a number ('ten million')"
    )
    assert call_like_excel(udfs, "ICP_SIZE", True).startswith("#ICP! The annual revenue must")
    assert "A cell in the range of scores is not a number ('n/a!')" in call_like_excel(
        udfs, "ICP_GRADE", 50.0, [[10.0], ["n/a!"]]
    )
    assert "Small Business max (200,000,000) must be below" in call_like_excel(
        udfs, "ICP_SEGMENT", 5e7, 2e8, 1e8
    )
    assert "must be one row" in call_like_excel(udfs, "ICP_SCORE_ACCOUNT", rows, rows[:4], *W)
    assert "The vertical table, row 2" in call_like_excel(
        udfs, "ICP_VERTICAL", "Dental", [["Industry", "Score"], ["Dental", "high"]]
    )


# ------------------------------------------------------------------------- caching


def test_cache_prepares_a_table_once_and_reuses_it_across_weights(udfs, rows):
    # hit/miss counters, not timings: timed assertions are flaky on a loaded CI machine
    formula_cache.clear_caches()
    first = call_like_excel(udfs, "ICP_SCORE_TABLE", rows, *W)
    again = call_like_excel(udfs, "ICP_SCORE_TABLE", [list(r) for r in rows], *W)
    assert again == first
    assert formula_cache.cache_info()["accounts"] == (1, 1)
    assert formula_cache.cache_info()["tables"] == (1, 1)
    other = call_like_excel(udfs, "ICP_SCORE_TABLE", rows, 0.25, 0.25, 0.25, 0.25)
    assert other != first
    assert formula_cache.cache_info()["accounts"] == (2, 1)  # the weights changed, not the table
    changed = [list(r) for r in rows]
    changed[1][2] = "High Tech" if changed[1][2] != "High Tech" else "Dental"
    call_like_excel(udfs, "ICP_SCORE_TABLE", changed, *W)
    assert formula_cache.cache_info()["accounts"] == (2, 2)  # new content, prepared again


def test_cache_tells_true_from_one(udfs):
    rows = [["Customer ID", "Industry", "Annual Revenue"], ["C1", "Dental", 1.0]]
    assert call_like_excel(udfs, "ICP_SCORE_TABLE", rows, *W, "size_score")[1] == ["C1", 0.4]
    rows[1][2] = True
    assert "not a number (TRUE)" in call_like_excel(udfs, "ICP_SCORE_TABLE", rows, *W)


# ---------------------------------------------------------- one account vs portfolio


def test_account_row_equals_its_scores_row_including_ties(udfs, rows, scored):
    raw = scored["ICP_score_raw"]
    tied = np.flatnonzero(raw.duplicated(keep=False).to_numpy())
    assert len(tied) > 50  # the sample has large groups of equal raw scores
    some = np.unique(np.concatenate([tied[:120], tied[-40:], np.arange(0, len(raw), 37)]))
    for i in some:
        account = rows[i + 1]
        with_header = call_like_excel(udfs, "ICP_SCORE_ACCOUNT", rows, [rows[0], account], *W)
        assert with_header == scored["ICP_score"].iloc[i], i
        alone = call_like_excel(
            udfs, "ICP_SCORE_ACCOUNT", rows, account, *W, "ICP_grade,ICP_score_raw,adoption_score"
        )
        expected = scored.iloc[i]
        assert alone == [
            expected["ICP_grade"],
            expected["ICP_score_raw"],
            expected["adoption_score"],
        ]
    group = np.flatnonzero((raw == raw.iloc[tied[0]]).to_numpy())
    assert len(set(scored["ICP_score"].iloc[group])) == len(group)  # rank "first" keeps row order


def test_account_row_with_a_separate_header(udfs, rows, scored):
    header = [rows[0][2], rows[0][0], rows[0][3], rows[0][4]]  # other order, fewer columns
    account = [rows[11][2], rows[11][0], rows[11][3], rows[11][4]]
    weights = (0.5, 0.5, 0.0, 0.0)  # industry and revenue only: the other columns don't count
    expected = score_accounts(
        prepare_accounts(pd.DataFrame(rows[1:], columns=rows[0])),
        Settings(weights=Weights(*weights)),
    )
    result = call_like_excel(
        udfs, "ICP_SCORE_ACCOUNT", rows, [account], *weights, "ICP_score", [header]
    )
    assert result == expected["ICP_score"].iloc[10]


def test_prospect_fields_with_a_portfolio_id_equal_its_scores_row(udfs, portfolio, rows, scored):
    frame = prepare_accounts(portfolio).frame
    for i in range(0, len(frame), 29):
        account = frame.iloc[i]
        result = call_like_excel(
            udfs,
            "ICP_SCORE_PROSPECT",
            rows,
            *prospect_fields(account),
            *W,
            "ICP_score,ICP_grade,customer_segment",
            account["customer_id"],
        )
        expected = scored.iloc[i]
        assert result == [
            expected["ICP_score"],
            expected["ICP_grade"],
            expected["customer_segment"],
        ]


def test_new_prospect_joins_the_reference_as_one_more_account(udfs, rows, scored):
    reference_raw = scored["ICP_score_raw"].to_numpy()
    n = len(reference_raw)
    for i in (0, 3, 100, 777):
        account = rows[i + 1]
        raw = scored["ICP_score_raw"].iloc[i]
        prospect = [rows[0], ["NEW-1", *account[1:]]]
        score = call_like_excel(udfs, "ICP_SCORE_ACCOUNT", rows, prospect, *W)
        same_raw = call_like_excel(udfs, "ICP_SCORE_ACCOUNT", rows, prospect, *W, "ICP_score_raw")
        assert same_raw == raw
        rank = 1 + np.sum(reference_raw <= raw)  # after every equal reference account
        assert score == pytest.approx(np.clip(50 + 15 * ndtri((rank - 0.5) / (n + 1)), 0, 100))


def test_prospect_components_are_scaled_on_the_reference_and_clipped(udfs, rows, scored):
    top = call_like_excel(
        udfs,
        "ICP_SCORE_PROSPECT",
        rows,
        "High Tech",
        5e8,
        1e6,
        1e12,
        1e12,
        *W,
        "vertical_score,size_score,adoption_score,relationship_score",
    )
    assert top == [1.0, 1.0, 1.0, 1.0]
    bottom = call_like_excel(
        udfs,
        "ICP_SCORE_PROSPECT",
        rows,
        "Retail",
        None,
        -5.0,
        None,
        None,
        *W,
        "vertical_score,size_score,adoption_score,relationship_score,ICP_score",
    )
    assert bottom[:4] == [0.3, 0.5, 0.0, 0.0]
    best = call_like_excel(udfs, "ICP_SCORE_PROSPECT", rows, "High Tech", 5e8, 1e6, 1e12, 1e12)
    n = len(scored)
    assert best == pytest.approx(min(100.0, 50 + 15 * ndtri((n + 0.5) / (n + 1))))
    assert bottom[4] < 50 < best


# ------------------------------------------------------------------------- helpers


def test_vertical_size_segment_helpers(udfs):
    assert call_like_excel(udfs, "ICP_VERTICAL", "  HIGH tech ") == 1.0
    assert call_like_excel(udfs, "ICP_VERTICAL", None) == 0.3
    assert call_like_excel(udfs, "ICP_VERTICAL", "Retail", MISSING, 0.1) == 0.1
    assert call_like_excel(udfs, "ICP_VERTICAL", [["Dental"], ["Energy"], ["?"]]) == [
        [0.6],
        [0.4],
        [0.3],
    ]
    assert call_like_excel(udfs, "ICP_VERTICAL", "Retail", [["Retail", "0.9"]]) == 0.9
    revenues = [[3e8, 2e9, 6e7, 2e7, 5e6, None, 0.0, "$300,000,000"]]
    assert call_like_excel(udfs, "ICP_SIZE", revenues) == [1.0, 0.9, 0.6, 0.4, 0.4, 0.5, 0.5, 1.0]
    assert call_like_excel(udfs, "ICP_SEGMENT", [[None], [1e8], [1.5e8], [2e9]]) == [
        ["Small Business"],
        ["Small Business"],
        ["Mid-Market"],
        ["Large Enterprise"],
    ]
    assert call_like_excel(udfs, "ICP_SEGMENT", 1.5e8, 2e8, 1e9) == "Small Business"


def test_grade_of_scores_equals_core_grades(udfs, scored):
    column = [[s] for s in scored["ICP_score"].tolist()] + [[None]]
    spilled = call_like_excel(udfs, "ICP_GRADE", column[:-1], column)
    assert [r[0] for r in spilled] == scored["ICP_grade"].tolist()
    one = call_like_excel(udfs, "ICP_GRADE", scored["ICP_score"].iloc[4], column)
    assert one == scored["ICP_grade"].iloc[4]
    outside = call_like_excel(udfs, "ICP_GRADE", 101.0, column)
    assert outside == "A"
    assert call_like_excel(udfs, "ICP_GRADE", 55.0, [[40.0, 50.0, 60.0, 70.0]]) == str(
        grades(np.array([40.0, 50.0, 60.0, 70.0, 55.0]), Settings())[-1]
    )


# ------------------------------------------------- settings given as ranges (Settings sheet)

TIERS = [["Lower (USD)", "Upper (USD)", "Size score"], [0.0, 5e7, 0.2], [5e7, None, 0.8]]
SHARES_A_TO_F = [[0.05], [0.15], [0.3], [0.3], [0.2]]  # like Settings!B10:B14
CUSTOM = Settings(
    size_tiers=(SizeTier(0.0, 5e7, 0.2), SizeTier(5e7, None, 0.8)),
    neutral_size_score=0.1,
    grade_shares={"A": 0.05, "B": 0.15, "C": 0.3, "D": 0.3, "F": 0.2},
    unknown_industry_score=0.7,
)


def test_size_and_grade_follow_size_tiers_and_grade_share_ranges(udfs, scored):
    revenues = [[3e8, 2e7, None, "$60,000,000"]]
    assert call_like_excel(udfs, "ICP_SIZE", revenues, TIERS, 0.1) == [0.8, 0.2, 0.1, 0.8]
    assert call_like_excel(udfs, "ICP_SIZE", revenues) == [1.0, 0.4, 0.5, 0.6]  # defaults
    column = [[s] for s in scored["ICP_score"].tolist()]
    expected = grades(scored["ICP_score"].to_numpy(), CUSTOM).tolist()
    assert expected != scored["ICP_grade"].tolist()
    pairs = [["Grade", "Share"], ["Grade F", 0.2], ["d", 0.3], ["C", 0.3], ["B", 0.15], ["A", 0.05]]
    for shares in (SHARES_A_TO_F, [[0.05, 0.15, 0.3, 0.3, 0.2]], pairs):
        spilled = call_like_excel(udfs, "ICP_GRADE", column, column, shares)
        assert [r[0] for r in spilled] == expected
    assert [r[0] for r in call_like_excel(udfs, "ICP_GRADE", column, column)] == (
        scored["ICP_grade"].tolist()  # the cache keeps grades per target shares
    )


def test_table_account_and_prospect_follow_the_settings_ranges(udfs, portfolio, rows):
    expected = score_accounts(prepare_accounts(portfolio), CUSTOM)
    table = call_like_excel(
        udfs, "ICP_SCORE_TABLE", rows, *W, *[MISSING] * 4, 0.7, TIERS, 0.1, SHARES_A_TO_F
    )
    assert table[0][1:] == list(SCORE_COLUMNS)
    for j, column in enumerate(SCORE_COLUMNS, start=1):
        assert [r[j] for r in table[1:]] == expected[column].tolist(), column
    assert [r[8] for r in table[1:]] != [
        r[8] for r in call_like_excel(udfs, "ICP_SCORE_TABLE", rows, *W)
    ]
    settings_args = (MISSING, 0.7, TIERS, 0.1, SHARES_A_TO_F, 5e7, 2e8)
    thresholds = Settings(**{**CUSTOM.__dict__, "small_business_max": 5e7, "mid_market_max": 2e8})
    with_thresholds = score_accounts(prepare_accounts(portfolio), thresholds)
    frame = prepare_accounts(portfolio).frame
    wanted = "ICP_score,ICP_grade,size_score,customer_segment"
    for i in (0, 13, 400, 1200):
        row = with_thresholds.iloc[i]
        expect = [row["ICP_score"], row["ICP_grade"], row["size_score"], row["customer_segment"]]
        account = call_like_excel(
            udfs, "ICP_SCORE_ACCOUNT", rows, rows[i + 1], *W, wanted, MISSING, *settings_args
        )
        assert account == expect, i
        fields = frame.iloc[i]
        prospect = call_like_excel(
            udfs, "ICP_SCORE_PROSPECT", rows, *prospect_fields(fields), *W, wanted,
            fields["customer_id"], *settings_args,
        )  # fmt: skip
        assert prospect == expect, i


@pytest.mark.parametrize(
    ("name", "args", "message"),
    [
        ("ICP_SIZE", (1e6, [[0.0, None]]), "The size tiers must have three columns"),
        (
            "ICP_SIZE",
            (1e6, [[0.0, 1e6, 0.5], [1e6, None, "high"]]),
            "The size tiers, row 2, score is not a number ('high')",
        ),
        ("ICP_SIZE", (1e6, [[5e6, 1e6, 0.5]]), "The size tiers, row 1: A size tier's upper"),
        ("ICP_SIZE", (1e6, TIERS, 2.0), "The neutral size score must be between 0 and 1"),
        ("ICP_GRADE", (50.0, [[40.0, 60.0]], [[0.1, 0.2]]), "must be five cells"),
        ("ICP_GRADE", (50.0, [[40.0, 60.0]], [[0.2]] * 5), ""),
        ("ICP_GRADE", (50.0, [[40.0, 60.0]], [[0.3]] * 5), "must sum to 1 (100%); they sum to 1.5"),
        ("ICP_GRADE", (50.0, [[40.0]], [["A", 0.5], ["a", 0.5]]), "grade A is listed twice"),
        ("ICP_GRADE", (50.0, [[40.0]], [["A", 0.5], ["E", 0.5]]), "Unknown grade(s)"),
    ],
)
def test_settings_range_errors(udfs, name, args, message):
    result = call_like_excel(udfs, name, *args)
    if message:
        assert result.startswith("#ICP! ") and message in result, result
    else:
        assert result in ("A", "B", "C", "D", "F")


def test_table_follows_a_column_map_and_an_industry_map(udfs):
    """The Settings Column map and Industry map ranges, passed to ICP_SCORE_TABLE, read a
    CRM-style header row and spelling as `icp-xl` does."""
    rows = [
        ["Account ID", "Industry", "Annual Revenue", "Printers", "Consumables Spend"],
        ["A1", "Électronique", "12.5M", 3.0, "1,200"],
        ["A2", "medical devices", "2 bn", 1.0, 300.0],
        ["A3", "Dental", None, 7.0, "$4,000"],
    ]
    column_map = [["Our column", "Your header"], ["Total Consumable Revenue", "Consumables Spend"]]
    industry_map = [["Data spelling", "Industry"], ["Électronique", "High Tech"]]
    table = call_like_excel(
        udfs, "ICP_SCORE_TABLE", rows, *[MISSING] * 12, column_map, industry_map
    )
    canonical = pd.DataFrame(
        {
            "Customer ID": ["A1", "A2", "A3"],
            "Industry": ["Électronique", "medical devices", "Dental"],
            "Annual Revenue": [12.5e6, 2e9, np.nan],
            "Printer Count": [3.0, 1.0, 7.0],
            "Total Consumable Revenue": [1200.0, 300.0, 4000.0],
        }
    )
    mapped = Settings(industry_map={"Électronique": "High Tech"})
    expected = score_accounts(prepare_accounts(canonical), mapped)
    assert table[0][0] == "Account ID"
    # the given map replaces the built-in spellings: 'medical devices' is unmatched
    assert [r[1] for r in table[1:]] == [1.0, 0.3, 0.6]
    for j, column in enumerate(SCORE_COLUMNS, start=1):
        assert [r[j] for r in table[1:]] == expected[column].tolist(), column
    unmapped = call_like_excel(udfs, "ICP_SCORE_TABLE", rows)
    assert [r[1] for r in unmapped[1:]] == [0.3, 1.0, 0.6]  # built-in spellings only


# ----------------------------------------- calibrated: the CalibrationTable range as argument

CALIBRATED_AT = datetime(2026, 1, 31, 9, 30)
POPULATION_UDFS = (
    "ICP_SCORE_TABLE",
    "ICP_SCORE_ACCOUNT",
    "ICP_SCORE_PROSPECT",
    "ICP_EXPLAIN",
    "ICP_GRADE",
)


def as_excel_hands_it(rows: list[list[Any]]) -> list[list[Any]]:
    """Cells as xlwings hands a range over: numbers as floats, blanks as None."""

    def cell(value: Any) -> Any:
        if value == "" or value is None:
            return None
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        return value

    return [[cell(v) for v in row] for row in rows]


def calibration_range(calibration: Calibration) -> list[list[Any]]:
    """CalibrationTable[#All] of a workbook holding ``calibration``, as Excel hands it over."""
    return as_excel_hands_it([["Item", "Value", "Percentile"], *calibration_rows(calibration)])


@pytest.fixture(scope="module")
def frozen(portfolio: pd.DataFrame) -> Calibration:
    """A calibration on the first 600 accounts of the portfolio, under the default settings."""
    return calibrate(prepare_accounts(portfolio.iloc[:600]), Settings(), CALIBRATED_AT)


def test_population_formulas_take_an_optional_calibration_range(udfs):
    for name in POPULATION_UDFS:
        arguments = {a["name"]: a for a in getattr(udfs, name).__xlfunc__["args"]}
        calibration = arguments["calibration"]
        assert calibration["options"]["ndim"] == 2 and calibration["optional"] is None, name
        assert "CalibrationTable[#All]" in calibration["doc"]
        assert len(describe(calibration["doc"])) <= MACRO_OPTIONS_LIMIT
    wrappers = generate_udf_wrapper_module(["icp_xl.excel.formulas"], "ICP.xlam").source
    assert wrappers.count("Optional calibration)") == len(POPULATION_UDFS)
    assert max(len(line) for line in wrappers.splitlines()) < 1023  # VBA's line limit


def test_calibrated_table_equals_the_core_calibrated_scores(udfs, portfolio, rows, frozen):
    expected = score_calibrated(prepare_accounts(portfolio), Settings(), frozen)
    table = call_like_excel(
        udfs, "ICP_SCORE_TABLE", rows, *[MISSING] * 14, calibration_range(frozen)
    )
    assert table[0][1:] == list(SCORE_COLUMNS)
    for j, column in enumerate(SCORE_COLUMNS, start=1):
        assert [r[j] for r in table[1:]] == expected[column].tolist(), column
    relative = call_like_excel(udfs, "ICP_SCORE_TABLE", rows)
    assert [r[7] for r in relative[1:]] != [r[7] for r in table[1:]]  # not the Relative table
    weights = Weights(0.1, 0.2, 0.3, 0.4)  # today's weights, not the calibration's
    reweighted = score_calibrated(prepare_accounts(portfolio), Settings(weights=weights), frozen)
    table = call_like_excel(
        udfs,
        "ICP_SCORE_TABLE",
        rows,
        0.1,
        0.2,
        0.3,
        0.4,
        "ICP_score",
        *[MISSING] * 9,
        calibration_range(frozen),
    )
    assert [r[1] for r in table[1:]] == reweighted["ICP_score"].tolist()


def test_calibrated_prospect_and_account_need_no_portfolio(udfs, portfolio, rows, frozen):
    expected = score_calibrated(prepare_accounts(portfolio), Settings(), frozen)
    frame = prepare_accounts(portfolio).frame
    calibration = calibration_range(frozen)
    wanted = "ICP_score,ICP_grade,ICP_score_raw,adoption_score"
    for i in range(0, len(frame), 41):
        row = expected.iloc[i]
        expect = [row["ICP_score"], row["ICP_grade"], row["ICP_score_raw"], row["adoption_score"]]
        prospect = call_like_excel(
            udfs,
            "ICP_SCORE_PROSPECT",
            MISSING,
            *prospect_fields(frame.iloc[i]),
            *[MISSING] * 4,
            wanted,
            *[MISSING] * 8,
            calibration,
        )
        assert prospect == expect, i
        account = call_like_excel(
            udfs,
            "ICP_SCORE_ACCOUNT",
            MISSING,
            [rows[0], rows[i + 1]],
            *[MISSING] * 4,
            wanted,
            *[MISSING] * 8,
            calibration,
        )
        assert account == expect, i
    best = call_like_excel(
        udfs,
        "ICP_SCORE_PROSPECT",
        None,
        "High Tech",
        5e8,
        1e6,
        1e12,
        1e12,
        *[MISSING] * 4,
        "adoption_score,relationship_score,ICP_grade",
        *[MISSING] * 8,
        calibration,
    )
    assert best == [1.0, 1.0, "A"]  # beyond the frozen range: clipped to 1


def test_calibrated_grade_needs_no_range_of_scores(udfs, portfolio, frozen):
    expected = score_calibrated(prepare_accounts(portfolio), Settings(), frozen)
    column = [[s] for s in expected["ICP_score"].tolist()]
    spilled = call_like_excel(
        udfs, "ICP_GRADE", column, MISSING, MISSING, calibration_range(frozen)
    )
    assert [r[0] for r in spilled] == expected["ICP_grade"].tolist()
    assert call_like_excel(udfs, "ICP_GRADE", 100.0, None, None, calibration_range(frozen)) == "A"
    assert call_like_excel(udfs, "ICP_GRADE", 0.0, None, None, calibration_range(frozen)) == "F"


def test_calibrated_explanation_uses_the_calibrated_scores(udfs, portfolio, rows, frozen):
    expected = score_calibrated(prepare_accounts(portfolio), Settings(), frozen)
    for i in (3, 700):
        grid = call_like_excel(
            udfs, "ICP_EXPLAIN", rows, rows[i + 1][0], *[MISSING] * 11, calibration_range(frozen)
        )
        summary = {r[0]: r[1] for r in grid[: len(SUMMARY_LABELS)]}
        assert summary["ICP score"] == expected["ICP_score"].iloc[i]
        assert summary["Grade"] == expected["ICP_grade"].iloc[i]


FIELDS = (
    "customer_id",
    "industry",
    "annual_revenue",
    "printer_count",
    "consumable_revenue",
    "software_revenue",
)
HEADER = [
    "Customer ID",
    "Industry",
    "Annual Revenue",
    "Printer Count",
    "Total Consumable Revenue",
    "Total Software License Revenue",
]
account_fields = st.tuples(
    st.sampled_from(["High Tech", "Dental", "Retail", "Energy", None]),
    st.one_of(st.none(), st.floats(0, 5e10)),
    st.floats(0, 1e5),
    st.floats(0, 1e9),
    st.floats(0, 1e9),
)


@pytest.fixture(scope="module")
def field_rows(portfolio: pd.DataFrame) -> list[list[Any]]:
    """The portfolio's scored fields as rows under :data:`HEADER`, as Excel hands them."""
    frame = prepare_accounts(portfolio).frame[list(FIELDS)]
    return excel_rows(frame)[1:]


@given(
    base=st.integers(1, 40),
    offset=st.integers(0, 1400),
    extra=st.lists(account_fields, min_size=1, max_size=12),
)
@settings(max_examples=25, deadline=None)
def test_adding_accounts_changes_no_existing_calibrated_formula_score(
    udfs, field_rows, frozen, base, offset, extra
):
    present = field_rows[offset : offset + base]
    new = [[f"NEW-{k}", *fields] for k, fields in enumerate(extra)]
    calibration = calibration_range(frozen)
    wanted = "ICP_score,ICP_grade,ICP_score_raw"

    def table(accounts: list[list[Any]]) -> list[list[Any]]:
        return call_like_excel(
            udfs,
            "ICP_SCORE_TABLE",
            [HEADER, *accounts],
            *[MISSING] * 4,
            wanted,
            *[MISSING] * 9,
            calibration,
        )

    before, after = table(present), table([*present, *new])
    assert after[: len(before)] == before
    assert len(after) == len(before) + len(new)
    assert all(isinstance(row[1], float) for row in after[1:])  # scores, not #ICP! texts


@pytest.fixture(scope="module")
def calibrated_workbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workbook calibrated on 300 accounts, then given 330 others (40 new, 10 gone, 25 with
    more printers) and rescored in Calibrated mode, as the monthly routine does."""
    folder = tmp_path_factory.mktemp("calibrated")
    accounts = make_sample_accounts(340, seed=21)
    month2 = accounts.iloc[10:340].copy()
    month2.loc[month2.index[:25], "Small Box Count"] += 5
    accounts.iloc[:300].to_csv(folder / "month1.csv", index=False)
    month2.to_csv(folder / "month2.csv", index=False)
    path = folder / "ICP.xlsx"
    new_workbook(path, folder / "month1.csv")
    assert main(["calibrate", str(path)]) == 0
    assert main(["import", str(path), str(folder / "month2.csv")]) == 0
    return path


def test_calibrated_formulas_equal_the_scores_sheet_in_calibrated_mode(udfs, calibrated_workbook):
    book = FileBook.open(calibrated_workbook, for_writing=False)
    assert book.read_name(layout.SCORING_MODE.name) == "Calibrated"

    def table_range(name: str) -> list[list[Any]]:
        where = book.locate(name)
        return as_excel_hands_it(book.read_range(where.sheet, where.ref))

    accounts, calibration = table_range("AccountsTable"), table_range("CalibrationTable")
    assert calibration[0] == ["Item", "Value", "Percentile"]
    scores = book.read_table(layout.SCORES_TABLE.name).set_index("Customer ID")
    columns = {"ICP_score_raw": "Raw score", "ICP_score": "ICP score", "ICP_grade": "Grade"}
    table = call_like_excel(
        udfs,
        "ICP_SCORE_TABLE",
        accounts,
        *[MISSING] * 4,
        ",".join(columns),
        *[MISSING] * 9,
        calibration,
    )
    ids = [row[0] for row in table[1:]]
    assert len(ids) == 330 and table[0][1:] == list(columns)
    for j, column in enumerate(columns.values(), start=1):
        assert [row[j] for row in table[1:]] == scores.loc[ids, column].tolist(), column
    grades_column = [[row[2]] for row in table[1:]]
    spilled = call_like_excel(udfs, "ICP_GRADE", grades_column, None, None, calibration)
    assert [row[0] for row in spilled] == scores.loc[ids, "Grade"].tolist()
    for row in accounts[1::37]:  # one account row at a time, no portfolio
        score = call_like_excel(
            udfs, "ICP_SCORE_ACCOUNT", None, [accounts[0], row], *[MISSING] * 13, calibration
        )
        assert score == scores.loc[row[0], "ICP score"], row[0]
    picked = book.read_name(layout.ACCOUNT_PICK.name)
    sheet = as_excel_hands_it(book.read_range(layout.ACCOUNT, layout.ACCOUNT_GRID_REF))
    explained = call_like_excel(udfs, "ICP_EXPLAIN", accounts, picked, *[MISSING] * 11, calibration)
    labels = dict(zip(SUMMARY_LABELS, range(len(SUMMARY_LABELS)), strict=True))
    for label in ("ICP score", "Grade", "Percentile", "Reason"):
        assert explained[labels[label]][1] == sheet[labels[label]][1], label


def _without(rows: list[list[Any]], item: str) -> list[list[Any]]:
    return [row for row in rows if row[0] != item]


def _with(rows: list[list[Any]], item: str, value: Any, column: int = 1) -> list[list[Any]]:
    return [[*row[:column], value, *row[column + 1 :]] if row[0] == item else row for row in rows]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda rows: [[None, None, None]] * 3, "The calibration range is empty: select the whole"),
        (
            lambda rows: [row[:2] for row in rows],
            "must have three columns (Item, Value, "
            "Percentile); it has 2: select the whole CalibrationTable",
        ),
        (lambda rows: rows[:12], "The calibration range has no 'Software log1p max' row; select"),
        (lambda rows: _without(rows, "Accounts"), "The calibration range has no 'Accounts' row"),
        (
            lambda rows: _without(rows, "Raw score"),
            "The calibration range: the calibration has no raw-score points",
        ),
        (
            lambda rows: _with(rows, "Printers log1p max", "high"),
            "The calibration range: 'printers log1p max' must be a number, got 'high'",
        ),
        (
            lambda rows: _with(rows, "Grade C up to", 0.95, 2),
            "four grade bounds between 0 and 1, in order F, D, C, B",
        ),
        (
            lambda rows: _with(rows, "Weight size", 0.9),
            "The calibration range: the weights must sum to 1",
        ),
    ],
)
def test_a_bad_calibration_range_is_one_sentence_naming_it(udfs, rows, frozen, change, message):
    calibration = change(calibration_range(frozen))
    for result in (
        call_like_excel(udfs, "ICP_SCORE_TABLE", rows, *[MISSING] * 14, calibration),
        call_like_excel(udfs, "ICP_SCORE_PROSPECT", None, "Dental", *[MISSING] * 17, calibration),
        call_like_excel(udfs, "ICP_GRADE", 50.0, None, None, calibration),
    ):
        assert result.startswith("#ICP! ") and message in result, result
        assert "\n" not in result and len(result) < 300


def test_without_a_calibration_the_population_is_required(udfs, rows):
    assert call_like_excel(udfs, "ICP_SCORE_PROSPECT", MISSING, "Dental") == (
        "#ICP! The reference range is missing: give the portfolio's accounts with their "
        "header row, or a calibration range (CalibrationTable[#All])"
    )
    assert "The reference range is missing" in call_like_excel(
        udfs, "ICP_SCORE_ACCOUNT", MISSING, [rows[0], rows[1]]
    )
    assert "The range of scores is missing" in call_like_excel(udfs, "ICP_GRADE", 50.0)
    alone = call_like_excel(udfs, "ICP_SCORE_ACCOUNT", None, rows[1], *[MISSING] * 13, [[1.0]])
    assert alone.startswith("#ICP! The calibration range must have three columns")


def test_cache_keeps_tables_apart_per_calibration(udfs, portfolio, rows, frozen):
    formula_cache.clear_caches()
    other = calibrate(prepare_accounts(portfolio.iloc[600:]), Settings(), CALIBRATED_AT)

    def icp_scores(calibration: Any) -> list[float]:
        table = call_like_excel(
            udfs, "ICP_SCORE_TABLE", rows, *[MISSING] * 4, "ICP_score", *[MISSING] * 9, calibration
        )
        return [row[1] for row in table[1:]]

    first, second = icp_scores(calibration_range(frozen)), icp_scores(calibration_range(other))
    assert first != second
    assert icp_scores(calibration_range(frozen)) == first
    assert icp_scores(MISSING) not in (first, second)
    assert formula_cache.cache_info()["calibrations"] == (1, 2)  # read once per content
    assert formula_cache.cache_info()["accounts"] == (3, 1)
    assert formula_cache.cache_info()["tables"] == (1, 3)
