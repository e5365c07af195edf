"""Per-account explanation: points, reasons, the next-grade search, and the Account sheet,
ICP_EXPLAIN formula and ``icp-xl explain`` agreeing with each other."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest
import xlwings as xw
from hypothesis import given, settings
from hypothesis import strategies as st
from support.openpyxl_engine import active_engine

from icp_xl.cli import main
from icp_xl.core.errors import IcpError
from icp_xl.core.inputs.accounts import prepare_accounts
from icp_xl.core.inputs.sample import make_sample_accounts
from icp_xl.core.insight.explain import (
    EXPLANATION_COLUMNS,
    GRID_ROWS,
    GRID_WIDTH,
    LIFTS_HEADER_ROW,
    MONEY_STEP,
    NOT_REACHABLE,
    POINTS_COLUMNS,
    PRINTER_STEP,
    REVENUE_STEP,
    TOP_GRADE,
    contributions,
    explain_account,
    explanation_grid,
    explanation_text,
    grid_values,
    percentiles,
    reasons,
    scored_for_explanation,
    smallest_lifting_step,
)
from icp_xl.core.insight.quality import quality_report
from icp_xl.core.model.scoring import score_accounts
from icp_xl.core.model.settings import COMPONENTS, GRADES, Settings, Weights
from icp_xl.excel import ribbon as live
from icp_xl.excel.addin.udf_wrappers import import_udf_module
from icp_xl.hosts.file.book import FileBook
from icp_xl.hosts.file.new_workbook import new_workbook
from icp_xl.workbook import actions, layout

# ------------------------------------------------------------------ points sum to raw


weights_strategy = st.lists(st.floats(0.0, 1.0, allow_nan=False), min_size=4, max_size=4).filter(
    lambda w: sum(w) > 0.05
)


@settings(max_examples=150, deadline=None)
@given(
    data=st.data(),
    weights=weights_strategy,
)
def test_points_sum_to_the_raw_score_exactly(data: st.DataObject, weights: list[float]) -> None:
    total = sum(weights)
    normalized = Weights(*(w / total for w in weights))
    n = data.draw(st.integers(1, 40))
    money = st.one_of(st.just(0.0), st.floats(0, 1e9, allow_nan=False))
    raw = pd.DataFrame(
        {
            "Customer ID": [f"C{i}" for i in range(n)],
            "Industry": data.draw(
                st.lists(
                    st.sampled_from(["High Tech", "Energy", "Dental", "??", ""]),
                    min_size=n,
                    max_size=n,
                )
            ),  # fmt: skip
            "Annual Revenue": data.draw(st.lists(money, min_size=n, max_size=n)),
            "Printer Count": data.draw(st.lists(st.integers(0, 500), min_size=n, max_size=n)),
            "Total Consumable Revenue": data.draw(st.lists(money, min_size=n, max_size=n)),
            "Total SaaS Revenue": data.draw(st.lists(money, min_size=n, max_size=n)),
        }
    )
    chosen = Settings(weights=normalized)
    accounts = prepare_accounts(raw)
    scored = score_accounts(accounts, chosen)
    points = contributions(scored, chosen)
    for i in range(n):
        v, s, a, r = (points[POINTS_COLUMNS[c]].iloc[i] for c in COMPONENTS)
        assert ((v + s) + a) + r == scored["ICP_score_raw"].iloc[i]  # bit for bit
    expected = 100 * normalized.adoption * scored["adoption_score"]
    assert np.allclose(points["adoption_points"], expected, rtol=0, atol=1e-12)


# ------------------------------------------------------------------ reasons, percentile


@pytest.fixture(scope="module")
def population() -> pd.DataFrame:
    return prepare_accounts(make_sample_accounts(400, seed=5)).frame


@pytest.fixture(scope="module")
def scored(population: pd.DataFrame) -> pd.DataFrame:
    return scored_for_explanation(population, Settings())


def test_reasons_name_the_strongest_and_weakest_component(
    population: pd.DataFrame, scored: pd.DataFrame
) -> None:
    texts = reasons(population, scored, Settings())
    assert texts.str.len().max() < 90
    no_software = (population["software_revenue"] <= 0).to_numpy()
    points = scored[list(POINTS_COLUMNS.values())].to_numpy()
    weakest = (points - points.mean(axis=0)).argmin(axis=1)
    relationship_weakest = weakest == COMPONENTS.index("relationship")
    picked = no_software & relationship_weakest
    assert picked.any()
    assert texts[picked].str.lower().str.endswith("no software revenue").all()
    best = int(np.argmax(scored["adoption_points"].to_numpy()))
    if (points[best] - points.mean(axis=0)).argmax() == COMPONENTS.index("adoption"):
        assert texts.iloc[best].startswith("Adoption in the top 1%")
    unknown = population["industry"].str.lower().isin(["retail", "government"]).to_numpy()
    vertical_weakest = weakest == COMPONENTS.index("vertical")
    weak_industry = texts[unknown & vertical_weakest].str.lower()
    assert weak_industry.str.contains("industry not in the vertical table").all()


def test_percentile_is_the_grade_percentile(scored: pd.DataFrame) -> None:
    q = percentiles(scored["ICP_score"])
    assert q.max() == 1.0 and q.min() == pytest.approx(1 / len(q))
    assert (scored["ICP_grade"][q > 0.9] == "A").all()
    assert (scored["ICP_grade"][q <= 0.1] == "F").all()


# ------------------------------------------------------------------ next-grade search


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 100_000), st.integers(1, 100_000))
def test_smallest_lifting_step_matches_a_linear_scan(threshold: int, max_steps: int) -> None:
    calls: list[int] = []

    def lifted(k: np.ndarray) -> np.ndarray:
        calls.append(len(k))
        return np.asarray(k) >= threshold

    found = smallest_lifting_step(lifted, max_steps)
    assert found == (threshold if threshold <= max_steps else None)
    assert len(calls) <= 6 and max(calls) <= 32


def _grade_with(frame: pd.DataFrame, position: int, field: str, value: Any) -> str:
    """The account's grade when the whole population is rescored with one input changed."""
    changed = frame.copy()
    changed.iloc[position, changed.columns.get_loc(field)] = value
    return str(score_accounts(changed, Settings())["ICP_grade"].iloc[position])


def _one_step_smaller(frame: pd.DataFrame, position: int, field: str, new: Any) -> Any:
    if field == "printer_count":
        return new - PRINTER_STEP
    if field in ("consumable_revenue", "software_revenue"):
        return new - MONEY_STEP
    if field == "annual_revenue":
        return new - REVENUE_STEP
    # industry: the best vertical below the one found (or the account's own industry)
    table = Settings().vertical_table
    below = [name for name, v in table.items() if v < table[new.lower()]]
    best_below = max(below, key=lambda name: table[name])
    own = frame["industry"].iloc[position]
    own_score = table.get(own.strip().lower(), Settings().unknown_industry_score)
    return best_below if table[best_below] > own_score else own


@pytest.mark.parametrize("grade", ["F", "D", "C", "B"])
def test_next_grade_changes_lift_and_one_step_less_does_not(
    population: pd.DataFrame, scored: pd.DataFrame, grade: str
) -> None:
    position = int(np.flatnonzero(scored["ICP_grade"].to_numpy() == grade)[7])
    target = GRADES[GRADES.index(grade) + 1]
    explanation = explain_account(
        population, Settings(), population["customer_id"].iloc[position], scored
    )
    assert explanation.target_grade == target
    reachable = [lift for lift in explanation.lifts if lift.reachable]
    assert reachable, "every sample grade is liftable by some input"
    for lift in explanation.lifts:
        field = lift.input.field
        if not lift.reachable:
            assert lift.change == NOT_REACHABLE
            continue
        assert lift.grade_after == target
        assert _grade_with(population, position, field, lift.new_value) == target
        smaller = _one_step_smaller(population, position, field, lift.new_value)
        assert GRADES.index(_grade_with(population, position, field, smaller)) <= GRADES.index(
            grade
        ), f"{lift.change} is not the smallest change of {field}"


@pytest.mark.parametrize("grade", ["F", "D", "C", "B"])
def test_calibrated_lifts_reach_the_next_grade_against_the_calibration(
    population: pd.DataFrame, grade: str
) -> None:
    from datetime import datetime

    from icp_xl.core.model.calibration import calibrate, score_calibrated

    calibration = calibrate(population.iloc[:150], Settings(), datetime(2026, 10, 1))
    calibrated = score_calibrated(population, Settings(), calibration)
    scored_now = scored_for_explanation(population, Settings(), calibrated)

    def grade_with(field: str, value: Any) -> str:  # the account alone, against the calibration
        changed = population.copy()
        changed.iloc[position, changed.columns.get_loc(field)] = value
        return str(score_calibrated(changed.iloc[[position]], Settings(), calibration)
                   ["ICP_grade"].iloc[0])  # fmt: skip

    position = int(np.flatnonzero(calibrated["ICP_grade"].to_numpy() == grade)[3])
    target = GRADES[GRADES.index(grade) + 1]
    explanation = explain_account(population, Settings(), population["customer_id"].iloc[position],
                                  scored_now, calibration)  # fmt: skip
    assert explanation.grade == grade
    reachable = [lift for lift in explanation.lifts if lift.reachable]
    assert reachable
    for lift in reachable:
        field = lift.input.field
        assert lift.grade_after == target and grade_with(field, lift.new_value) == target
        smaller = _one_step_smaller(population, position, field, lift.new_value)
        assert GRADES.index(grade_with(field, smaller)) <= GRADES.index(grade), lift.change
        changed = population.copy()
        changed.iloc[position, changed.columns.get_loc(field)] = lift.new_value
        score = score_calibrated(changed, Settings(), calibration)["ICP_score"].iloc[position]
        assert lift.score_after == score  # the whole portfolio agrees: nobody else matters


def test_unreachable_means_even_the_largest_change_searched_does_not_lift(
    population: pd.DataFrame, scored: pd.DataFrame
) -> None:
    found = 0
    for position in np.flatnonzero(scored["ICP_grade"].to_numpy() == "B")[:12]:
        explanation = explain_account(
            population, Settings(), population["customer_id"].iloc[position], scored
        )
        for lift in explanation.lifts:
            if lift.change == NOT_REACHABLE and lift.input.field == "software_revenue":
                cap = 10 * population["software_revenue"].max()
                assert _grade_with(population, int(position), "software_revenue", cap) == "B"
                found += 1
    assert found


def test_top_grade_has_nothing_to_lift(population: pd.DataFrame, scored: pd.DataFrame) -> None:
    best = population["customer_id"].iloc[int(np.argmax(scored["ICP_score"].to_numpy()))]
    explanation = explain_account(population, Settings(), best, scored)
    assert explanation.grade == "A" and explanation.target_grade is None
    assert {lift.change for lift in explanation.lifts} == {TOP_GRADE}
    assert "nothing to lift" in explanation_text(explanation)


def test_explanation_grid_shape_and_sums(population: pd.DataFrame, scored: pd.DataFrame) -> None:
    explanation = explain_account(population, Settings(), population["customer_id"].iloc[3])
    grid = explanation_grid(explanation)
    assert len(grid) == GRID_ROWS and {len(r) for r in grid} == {GRID_WIDTH}
    components = explanation.components
    assert math.fsum(components["points"]) == pytest.approx(explanation.raw_score, abs=1e-12)
    average_raw = scored["ICP_score_raw"].mean()
    assert explanation.portfolio_average_raw == pytest.approx(average_raw)
    assert grid[LIFTS_HEADER_ROW][0] == "Input"


def test_unknown_customer_id_is_one_sentence(population: pd.DataFrame) -> None:
    with pytest.raises(Exception, match="Customer ID 'nope' is not in the accounts$"):
        explain_account(population, Settings(), "nope")


def test_customer_id_matches_case_blind_and_suggests_close_ids(population: pd.DataFrame) -> None:
    exact = explain_account(population, Settings(), "C000226")
    lower = explain_account(population, Settings(), " c000226")
    assert lower.customer_id == exact.customer_id == "C000226"
    with pytest.raises(IcpError, match=r"not in the accounts; did you mean 'C000226'"):
        explain_account(population, Settings(), "c00226")
    twins = population.copy()
    twins.loc[twins.index[:2], "customer_id"] = ["ab1", "AB1"]
    assert explain_account(twins, Settings(), "AB1").customer_id == "AB1"
    with pytest.raises(IcpError, match="'Ab1' matches 'ab1', 'AB1' but for case"):
        explain_account(twins, Settings(), "Ab1")


# ------------------------------------------------------------------ the workbook


@pytest.fixture(scope="module")
def explained_workbook(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A new workbook, with a C-grade account picked and rescored."""
    path = tmp_path_factory.mktemp("explain") / "ICP.xlsx"
    new_workbook(path, make_sample_accounts(300, seed=3))
    book = FileBook.open(path, status=lambda message: None)
    table = book.read_table(layout.SCORES_TABLE.name)
    picked = str(table.loc[table["Grade"] == "C", "Customer ID"].iloc[2])
    book.set_name(layout.ACCOUNT_PICK.name, picked)
    actions.rescore(book)
    book.save()
    return path, picked


def _account_grid(path: Path) -> list[list[Any]]:
    ws = openpyxl.load_workbook(path)[layout.ACCOUNT]
    return [[c.value for c in row] for row in ws[layout.ACCOUNT_GRID_REF]]


def test_new_workbook_has_the_account_sheet_points_and_reasons(
    explained_workbook: tuple[Path, str],
) -> None:
    path, picked = explained_workbook
    wb = openpyxl.load_workbook(path)
    assert layout.ACCOUNT in wb.sheetnames
    ws = wb[layout.ACCOUNT]
    assert ws[layout.ACCOUNT_PICK.ref].value == picked
    assert layout.ACCOUNT_PICK.name in wb.defined_names
    choices = [dv.formula1 for dv in ws.data_validations.dataValidation]
    assert choices == [layout.ACCOUNT_PICK_CHOICES]
    grid = _account_grid(path)
    assert grid[0][:2] == ["Customer ID", picked]
    assert "What would lift it from C to B" in grid[LIFTS_HEADER_ROW - 1][0]
    with zipfile_names(path) as names:
        assert sum(n.startswith("xl/charts/chart") for n in names) == sum(
            1 for _ in _layout_charts()
        )
    scores = pd.DataFrame(
        list(wb[layout.SCORES].values)[1:], columns=list(wb[layout.SCORES].values)[0]
    )
    for column in [layout.POINTS_LABELS[c] for c in COMPONENTS]:
        assert column in scores.columns
    total = ((scores["Vertical points"] + scores["Size points"]) + scores["Adoption points"]) + (
        scores["Relationship points"]
    )
    assert (total == scores["Raw score"]).all()  # exact, as written and read back
    assert scores["Reason"].str.len().min() > 5
    top = wb[layout.TOP_CUSTOMERS]
    header = [c.value for c in top[layout.TOP_CUSTOMERS_HEADER_ROW]]
    assert header[-4:] == [layout.POINTS_LABELS[c] for c in COMPONENTS]


def test_account_chart_plots_the_points_table(explained_workbook: tuple[Path, str]) -> None:
    from test_charts import C, charts_by_sheet, parse_ref, title_of

    path, _ = explained_workbook
    ws = openpyxl.load_workbook(path)[layout.ACCOUNT]
    (chart,) = charts_by_sheet(path)[layout.ACCOUNT]
    assert title_of(chart) == "Points per component vs averages"
    first, last = layout.ACCOUNT_COMPONENT_ROWS
    names = []
    for series in chart.iter(f"{C}ser"):
        sheet, column, top, _, _ = parse_ref(series.find(f"{C}tx/{C}strRef/{C}f").text)
        assert (sheet, top) == (layout.ACCOUNT, layout.ACCOUNT_COMPONENTS_HEADER_ROW)
        names.append(ws.cell(top, column).value)
        sheet, c1, r1, c2, r2 = parse_ref(series.find(f"{C}val//{C}f").text)
        assert (sheet, c1, r1, c2, r2) == (layout.ACCOUNT, column, first, column, last)
        assert all(isinstance(ws.cell(r, c1).value, float) for r in range(first, last + 1))
        categories = parse_ref(series.find(f"{C}cat//{C}f").text)
        assert categories == (layout.ACCOUNT, 1, first, 1, last)
    assert names == ["Points", "Portfolio average", "Segment average"]


def _layout_charts() -> list[Any]:
    from icp_xl.hosts.file.charts import CHARTS

    return list(CHARTS)


class zipfile_names:
    def __init__(self, path: Path) -> None:
        import zipfile

        self.archive = zipfile.ZipFile(path)

    def __enter__(self) -> list[str]:
        return self.archive.namelist()

    def __exit__(self, *exc: object) -> None:
        self.archive.close()


def test_old_workbook_gets_the_account_sheet(tmp_path: Path) -> None:
    path = tmp_path / "old.xlsx"
    new_workbook(path, make_sample_accounts(120, seed=2))
    wb = openpyxl.load_workbook(path)
    del wb[layout.ACCOUNT]
    del wb.defined_names[layout.ACCOUNT_PICK.name]
    wb.save(path)
    book = FileBook.open(path, status=lambda message: None)
    actions.rescore(book)
    book.save()
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames.index(layout.ACCOUNT) == wb.sheetnames.index(layout.TOP_CUSTOMERS) + 1
    picked = wb[layout.ACCOUNT][layout.ACCOUNT_PICK.ref].value
    top = wb[layout.TOP_CUSTOMERS]["B5"].value
    assert picked == top  # a blank pick takes the account with the highest ICP score


def test_unknown_pick_leaves_a_note_and_the_rescore_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "pick.xlsx"
    new_workbook(path, make_sample_accounts(80, seed=2))
    book = FileBook.open(path, status=lambda message: None)
    book.set_name(layout.ACCOUNT_PICK.name, "C999999")
    result = actions.rescore(book)
    assert result.accounts == 80
    book.save()
    grid = _account_grid(path)
    assert grid[0][0] == (
        "Customer ID 'C999999' is not in the accounts; pick one from the dropdown in B3, "
        "then Rescore or Refresh."
    )
    assert all(v is None for row in grid[1:] for v in row)


def test_sheet_formula_and_cli_agree(
    explained_workbook: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    path, picked = explained_workbook
    sheet = grid_values(_account_grid(path))
    wb = openpyxl.load_workbook(path)
    accounts = [[c for c in row] for row in wb[layout.ACCOUNTS].values]
    udfs = import_udf_module("icp_xl.excel.formulas")
    spilled = udfs.ICP_EXPLAIN(accounts, picked)
    assert isinstance(spilled, list), spilled
    assert grid_values(spilled) == sheet
    assert main(["explain", str(path), picked]) == 0
    text = capsys.readouterr().out
    summary = dict((row[0], row[1]) for row in sheet[:10])
    assert f"ICP score {summary['ICP score']:.1f}, grade {summary['Grade']}" in text
    assert f"Reason: {summary['Reason']}" in text
    for row in sheet[LIFTS_HEADER_ROW + 1 :]:
        assert row[2] in text
        if row[5] is not None:
            assert f"ICP score {row[4]:.1f}, grade {row[5]}" in text
    for row in sheet[12:16]:
        assert f"{row[3]:>8.1f}{row[4]:>11.1f}{row[5]:>9.1f}" in text


def test_formula_errors_are_icp_text(explained_workbook: tuple[Path, str]) -> None:
    path, _ = explained_workbook
    wb = openpyxl.load_workbook(path)
    accounts = [[c for c in row] for row in wb[layout.ACCOUNTS].values]
    udfs = import_udf_module("icp_xl.excel.formulas")
    assert udfs.ICP_EXPLAIN(accounts, "nope") == "#ICP! Customer ID 'nope' is not in the accounts"
    assert udfs.ICP_EXPLAIN(accounts, "C1", 0.5, 0.5, 0.5, 0.5).startswith(
        "#ICP! The weights must sum to 1"
    )


def test_cli_unknown_id_is_a_user_error(
    explained_workbook: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = explained_workbook
    assert main(["explain", str(path), "nope"]) == 1
    assert capsys.readouterr().err.strip() == (
        "icp-xl: error: Customer ID 'nope' is not in the accounts"
    )


def test_live_excel_shows_the_newly_picked_account(
    explained_workbook: tuple[Path, str], tmp_path: Path
) -> None:
    source, _ = explained_workbook
    path = tmp_path / "live.xlsx"
    path.write_bytes(source.read_bytes())
    table = FileBook.open(path, for_writing=False).read_table(layout.SCORES_TABLE.name)
    picked = str(table.loc[table["Grade"] == "D", "Customer ID"].iloc[0])
    with active_engine():
        xw.Book()  # the add-in
        book = xw.Book(path)
        book.impl.activate()
        book.set_mock_caller()  # RunPython's caller: the workbook the button was clicked in
        book.sheets[layout.ACCOUNT].range(layout.ACCOUNT_PICK.ref).value = picked
        assert live.run_action("refresh_segment_view") is True
        book.save()
    grid = _account_grid(path)
    assert grid[0][:2] == ["Customer ID", picked]
    assert "from D to C" in grid[LIFTS_HEADER_ROW - 1][0]


def test_scored_columns_include_the_explanation(explained_workbook: tuple[Path, str]) -> None:
    path, _ = explained_workbook
    result = actions.score_book(FileBook.open(path, for_writing=False))
    assert set(EXPLANATION_COLUMNS) <= set(result.scored.columns)


def test_reasons_and_the_data_quality_sheet_never_disagree() -> None:
    """Every account of a generated portfolio (every vertical-table industry, '&' names,
    Industry-map spellings, misspellings, blanks): a reason calls the industry unknown
    exactly when the Data Quality sheet lists it as unmatched, and blank when it is blank."""
    raw = make_sample_accounts(3000, seed=11)
    rng = np.random.default_rng(3)
    spellings = ["Aerosapce and Defense", "Plant and Process", "building & construction ",
                 "Constrution", "Oil & Gas", "Mold, Tool and Die", "Retial", "&"]  # fmt: skip
    picked = rng.random(len(raw)) < 0.15
    raw.loc[picked, "Industry"] = rng.choice(spellings, size=int(picked.sum()))
    accounts = prepare_accounts(raw)
    settings = Settings()
    texts = reasons(accounts.frame, scored_for_explanation(accounts.frame, settings), settings)
    report = quality_report(accounts, settings, "sample")
    unmatched = {f.item for f in report.findings if f.check == "Unmatched industry"}
    blank_reported = "(blank)" in unmatched
    unmatched.discard("(blank)")
    industry = accounts.frame["industry"].astype(object).fillna("").astype(str).str.strip()
    said_unknown = texts.str.contains("industry not in the vertical table").to_numpy()
    said_blank = texts.str.contains("industry blank").to_numpy()
    said_vertical = texts.str.contains(r"(?:strong|weak) vertical \(", regex=True).to_numpy()
    is_unmatched = industry.isin(unmatched).to_numpy()
    assert not (said_unknown & ~is_unmatched).any(), industry[said_unknown & ~is_unmatched]
    assert not (said_vertical & is_unmatched).any(), industry[said_vertical & is_unmatched]
    assert blank_reported and said_blank.any()
    assert not (said_blank & (is_unmatched | said_vertical)).any()
    # The vertical is named for every kind of industry, so the comparison covered them.
    named = industry[said_vertical]
    assert named.str.contains("&").sum() > 50
    assert {"Plant & Process", "Building & Construction", "Oil & Gas"} <= set(named)
    assert set(industry[said_unknown]) >= {"Aerosapce and Defense", "Constrution", "Retial"}
