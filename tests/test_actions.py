"""Workbook actions, run through every Book backend: the file host (FileBook, openpyxl)
and the live host (XlwingsBook over xlwings' real API with the openpyxl-backed test
engine). Results are read back from the saved file with openpyxl."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.file_safety import rewrite_part
from support.hosts import file_host, live_host

from icp_xl.core.errors import IcpError
from icp_xl.core.inputs.accounts import prepare_accounts
from icp_xl.core.inputs.sample import make_sample_accounts
from icp_xl.core.insight.explain import explanation_columns
from icp_xl.core.model.scoring import score_accounts
from icp_xl.core.model.segments import view_metrics, within_segment_scores
from icp_xl.core.model.settings import Settings, Weights
from icp_xl.hosts.file.book import FileBook
from icp_xl.hosts.file.new_workbook import new_workbook
from icp_xl.workbook import actions, layout
from icp_xl.workbook.book import Book

Opener = Callable[[Path], AbstractContextManager[Book]]
N_ACCOUNTS = 300
TEMPLATE_ACCOUNTS = (N_ACCOUNTS, 11)  # the raw_accounts and template fixtures (conftest)


@pytest.fixture(params=["file", "live"])
def host(request: pytest.FixtureRequest) -> Opener:
    """Open a workbook path as a Book; leaving the block saves it."""
    return file_host if request.param == "file" else live_host


def scores_frame(path: Path) -> pd.DataFrame:
    sheet = openpyxl.load_workbook(path)[layout.SCORES]
    rows = list(sheet[sheet.tables[layout.SCORES_TABLE.name].ref])
    values = [[c.value for c in row] for row in rows]
    return pd.DataFrame(values[1:], columns=values[0])


def expected_scores(raw: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    accounts = prepare_accounts(raw)
    scored = score_accounts(accounts, settings)
    scored = scored.join(within_segment_scores(scored, settings))
    return scored.join(explanation_columns(accounts.frame, scored, settings)), accounts


def assert_scores_equal(path: Path, raw: pd.DataFrame, settings: Settings) -> None:
    expected, accounts = expected_scores(raw, settings)
    sheet = scores_frame(path)
    assert list(sheet.columns) == list(layout.SCORES_TABLE.header)
    assert len(sheet) == len(expected)
    for column, field in layout.SCORES_FIELDS:
        if field in layout.HISTORY_SCORES_FIELDS:  # the previous run's: tests/test_history.py
            continue
        source = expected if field in expected.columns else accounts.frame
        want = source[field].to_numpy()
        got = sheet[column.header].to_numpy()
        if pd.api.types.is_float_dtype(source[field]):
            got = np.array([np.nan if v is None else v for v in got], dtype=float)
            np.testing.assert_array_equal(got, want.astype(float), err_msg=column.header)
        else:
            assert [("" if pd.isna(v) else v) for v in got] == list(want), column.header


def test_rescore_writes_scores_equal_to_the_core(host: Opener, workbook: Path, raw_accounts):
    with host(workbook) as book:
        result = actions.rescore(book)
    assert result.accounts == N_ACCOUNTS
    assert_scores_equal(workbook, raw_accounts, Settings())


def test_edited_weight_threshold_and_vertical_row_take_effect(
    host: Opener, workbook: Path, raw_accounts: pd.DataFrame
) -> None:
    wb = openpyxl.load_workbook(workbook)
    weights = wb[layout.WEIGHTS]
    weights["B5"], weights["B6"], weights["B7"], weights["B8"] = 0.1, 0.2, 0.3, 0.4
    settings_sheet = wb[layout.SETTINGS]
    settings_sheet["B5"] = 50e6  # Small Business max
    table = settings_sheet.tables[layout.VERTICAL_TABLE.name]
    top = int(table.ref.split(":")[0][1:])
    assert settings_sheet[f"H{top + 1}"].value == "Aerospace & Defense"
    settings_sheet[f"I{top + 1}"] = 0.05
    wb.save(workbook)
    with host(workbook) as book:
        actions.rescore(book)
    vertical = dict(Settings().vertical_table) | {"aerospace & defense": 0.05}
    edited = Settings(
        weights=Weights(0.1, 0.2, 0.3, 0.4), small_business_max=50e6, vertical_table=vertical
    )
    assert_scores_equal(workbook, raw_accounts, edited)
    sheet = scores_frame(workbook)
    assert (sheet["Vertical score"] == 0.05).any()


def test_segment_view_fills_top_customers_and_kpis_from_within_segment_scores(
    host: Opener, workbook: Path, raw_accounts: pd.DataFrame
) -> None:
    with host(workbook) as book:
        actions.rescore(book, "mid_market")
    expected, accounts = expected_scores(raw_accounts, Settings())
    wb = openpyxl.load_workbook(workbook)
    assert wb.defined_names["SegmentView"].attr_text.endswith("$B$3")
    assert wb[layout.DASHBOARD]["B3"].value == "Mid-Market"
    metrics = view_metrics(accounts.frame, expected, Settings(), "Mid-Market").as_dict()
    dashboard = wb[layout.DASHBOARD]
    for i, (field, *_) in enumerate(layout.KPI_FIELDS):
        assert dashboard[f"B{layout.KPI_FIRST_ROW + i}"].value == pytest.approx(
            metrics[field], rel=1e-12, nan_ok=True
        )
    top = wb[layout.TOP_CUSTOMERS]
    mid = expected[expected["customer_segment"] == "Mid-Market"]
    order = mid.iloc[np.argsort(-mid["segment_ICP_score"].to_numpy(), kind="stable")]
    count = min(layout.TOP_CUSTOMERS_COUNT, len(mid))
    ids = [top.cell(row=5 + i, column=2).value for i in range(count)]
    assert ids == list(accounts.frame.loc[order.index[:count], "customer_id"])
    assert top["F5"].value == order["segment_ICP_score"].iloc[0]
    assert top.cell(row=5 + count, column=2).value is None
    assert "Mid-Market" in top["A1"].value


def test_refresh_segment_view_rewrites_only_the_view(host: Opener, workbook: Path) -> None:
    with host(workbook) as book:
        actions.rescore(book)
    before = scores_frame(workbook)
    with host(workbook) as book:
        result = actions.refresh_segment_view(book, "Large Enterprise")
    assert result.view == "Large Enterprise"
    assert scores_frame(workbook).equals(before)
    wb = openpyxl.load_workbook(workbook, data_only=True)
    assert wb[layout.DASHBOARD]["B3"].value == "Large Enterprise"
    assert wb[layout.DASHBOARD][f"B{layout.KPI_FIRST_ROW}"].value == result.metrics.customers


def test_segments_sheet_has_summary_and_recommendations(host: Opener, workbook: Path) -> None:
    with host(workbook) as book:
        actions.rescore(book)
    sheet = openpyxl.load_workbook(workbook)[layout.SEGMENTS_SHEET]
    assert [sheet.cell(row=r, column=1).value for r in range(4, 8)] == [
        "All Segments",
        "Small Business",
        "Mid-Market",
        "Large Enterprise",
    ]
    assert sheet["B4"].value == N_ACCOUNTS
    assert sheet["A10"].value == "Segment"
    texts = [sheet.cell(row=r, column=2).value for r in range(11, 31)]
    assert any(t and "GP24" in t for t in texts)


def test_reset_and_use_optimized_weights(host: Opener, workbook: Path) -> None:
    with host(workbook) as book:
        with pytest.raises(IcpError, match=r"no optimized weights yet \(Weights!C5"):
            actions.use_optimized_weights(book)
        actions.store_optimized_weights(
            book, Weights(0.25, 0.15, 0.35, 0.25), {"n_trials": 40, "lambda_param": 0.25}
        )
        actions.use_optimized_weights(book)
    wb = openpyxl.load_workbook(workbook)
    weights = wb[layout.WEIGHTS]
    assert [weights[f"B{r}"].value for r in range(5, 9)] == [0.25, 0.15, 0.35, 0.25]
    assert weights["B" + layout.NAMES_BY_NAME["Opt_Trials"].ref[1:]].value == 40
    with host(workbook) as book:
        assert actions.reset_weights(book) == Weights()
    weights = openpyxl.load_workbook(workbook)[layout.WEIGHTS]
    assert [weights[f"B{r}"].value for r in range(5, 9)] == [0.3, 0.3, 0.2, 0.2]


def test_import_accounts_replaces_the_table_and_rescores(
    host: Opener, workbook: Path, tmp_path: Path
) -> None:
    other = make_sample_accounts(120, seed=99)
    source = tmp_path / "new_accounts.csv"
    other.to_csv(source, index=False)
    with host(workbook) as book:
        result = actions.import_accounts(book, source, replace_all=True)
    assert result.accounts == 120
    read_back = pd.read_csv(source, dtype=str, keep_default_na=False)
    assert_scores_equal(workbook, read_back, Settings())


def add_total_row(path: Path, table_name: str, column: int, calculated: bool = True) -> str:
    """Give ``table_name`` an Excel Total Row: "Total" in its first column and a SUBTOTAL
    of its ``column``-th column (with a last value as Excel saves it, unless not
    ``calculated``). Returns the formula."""
    wb = openpyxl.load_workbook(path)
    ws = next(w for w in wb.worksheets if table_name in w.tables)
    table = ws.tables[table_name]
    first, last = table.ref.split(":")
    bottom = int(last.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")) + 1
    table.ref = f"{first}:{last.rstrip('0123456789')}{bottom}"
    table.autoFilter = None
    table.totalsRowCount = 1
    header = ws.cell(1, column).value
    formula = f"=SUBTOTAL(109,{table_name}[{header}])"
    ws.cell(bottom, 1, "Total")
    ws.cell(bottom, column, formula)
    wb.save(path)
    if calculated:
        part = f"xl/worksheets/sheet{wb.sheetnames.index(ws.title) + 1}.xml"
        rewrite_part(path, part, lambda xml: xml.replace(b"</f><v /></c>", b"</f><v>7</v></c>"))
    return formula


def test_a_total_row_never_calculated_is_moved_too(workbook: Path, tmp_path: Path) -> None:
    formula = add_total_row(workbook, layout.ACCOUNTS_TABLE.name, 4, calculated=False)
    source = tmp_path / "new_accounts.csv"
    make_sample_accounts(50, seed=99).to_csv(source, index=False)
    with file_host(workbook) as book:  # the body is written over the old Total Row's cells
        assert actions.import_accounts(book, source, replace_all=True).accounts == 50
    ws = openpyxl.load_workbook(workbook)[layout.ACCOUNTS]
    assert (ws["A52"].value, ws["D52"].value) == ("Total", formula)


def test_import_into_a_table_with_a_total_row_scores_every_account_and_keeps_it(
    host: Opener, workbook: Path, tmp_path: Path
) -> None:
    formula = add_total_row(workbook, layout.ACCOUNTS_TABLE.name, 4)
    other = make_sample_accounts(50, seed=99)
    source = tmp_path / "new_accounts.csv"
    other.to_csv(source, index=False)
    with host(workbook) as book:
        assert actions.import_accounts(book, source, replace_all=True).accounts == 50
    assert_scores_equal(workbook, pd.read_csv(source, dtype=str, keep_default_na=False),
                        Settings())  # fmt: skip
    ws = openpyxl.load_workbook(workbook)[layout.ACCOUNTS]
    table = ws.tables[layout.ACCOUNTS_TABLE.name]
    assert table.ref.endswith("52") and table.totalsRowCount == 1  # header, 50, Total Row
    assert ws["A51"].value == other["Customer ID"].iloc[-1]
    assert (ws["A52"].value, ws["D52"].value) == ("Total", formula)
    with host(workbook) as book:  # the next rescore reads 50 accounts, not the Total Row
        assert actions.rescore(book).accounts == 50


def test_a_total_row_under_the_scores_table_stays_below_every_score(
    host: Opener, workbook: Path
) -> None:
    formula = add_total_row(workbook, layout.SCORES_TABLE.name, 3)
    with host(workbook) as book:
        assert actions.rescore(book).accounts == N_ACCOUNTS
    ws = openpyxl.load_workbook(workbook)[layout.SCORES]
    assert ws.tables[layout.SCORES_TABLE.name].ref.endswith(str(N_ACCOUNTS + 2))
    assert len(scores_frame(workbook).dropna(how="all")) == N_ACCOUNTS + 1  # + Total Row
    assert ws.cell(N_ACCOUNTS + 2, 3).value == formula


def table_header(path: Path, table_name: str) -> list[str]:
    wb = openpyxl.load_workbook(path)
    ws = next(w for w in wb.worksheets if table_name in w.tables)
    return [c.value for c in ws[ws.tables[table_name].ref][0]]


def test_extra_columns_the_output_already_has_are_not_repeated_and_noted(
    host: Opener, workbook: Path
) -> None:
    with host(workbook) as book:
        book.set_name(layout.EXTRA_COLUMNS_NAME, "Industry, gp24, industry, Company Name")
        actions.rescore(book)
    scores = table_header(workbook, layout.SCORES_TABLE.name)
    top = table_header(workbook, layout.TOP_CUSTOMERS_TABLE.name)
    for header in (scores, top):
        assert len({h.casefold() for h in header}) == len(header), header
    assert scores == list(layout.SCORES_TABLE.header)
    assert top == [label for _, label, _ in layout.TOP_CUSTOMERS_COLUMNS]
    notes = openpyxl.load_workbook(workbook)[layout.DATA_QUALITY]
    lines = [" ".join(str(c.value) for c in row) for row in notes.iter_rows()]
    noted = [line for line in lines if "(ExtraColumns)" in line]
    assert (
        len(noted) == 3
        and "'Industry' is already a column of ScoresTable and "
        "TopCustomersTable, so it is not added there again"
        in noted[0]
    )


def test_validate_lists_every_problem_and_writes_nothing(host: Opener, workbook: Path) -> None:
    wb = openpyxl.load_workbook(workbook)
    wb[layout.WEIGHTS]["B5"] = "abc"
    wb[layout.SETTINGS]["B5"] = 2e9  # Small Business max above Mid-Market max
    wb[layout.SETTINGS]["B17"] = 1.5  # unknown-industry score out of range
    accounts = wb[layout.ACCOUNTS]
    accounts["D3"] = "lots"  # Annual Revenue of the second account
    accounts["L4"] = "n/a?"  # GP24
    wb.save(workbook)
    with host(workbook) as book:
        result = actions.validate(book)
    text = "\n".join(result.problems)
    assert not result.ok
    assert "Weights!B5 (W_Vertical): expected a number, found text 'abc'" in text
    assert "Settings!B5 (SmallBusinessMax) and Settings!B6 (MidMarketMax)" in text
    assert "Settings!B17 (UnknownIndustryScore)" in text
    assert "column 'Annual Revenue', row 3" in text
    assert "column 'GP24', row 4" in text


def test_validate_passes_a_good_workbook(host: Opener, workbook: Path) -> None:
    with host(workbook) as book:
        result = actions.validate(book)
    assert result.ok, result.problems


def test_export_names_the_segment_and_neutralizes_formulas(workbook: Path, tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(workbook)
    cell = wb[layout.ACCOUNTS]["B2"]
    cell.value, cell.data_type = '=HYPERLINK("http://x")', "s"
    wb.save(workbook)
    book = FileBook.open(workbook, status=lambda m: None)
    actions.rescore(book)  # Export writes what the Scores sheet holds
    path = actions.export_csv(book, tmp_path, "small business").path
    assert path.parent == tmp_path
    assert path.name.startswith("icp_scores_small_business_") and path.suffix == ".csv"
    exported = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert set(exported["customer_segment"]) == {"Small Business"}
    assert {"ICP_score", "ICP_grade", "segment_ICP_score"} <= set(exported.columns)
    first = exported[exported["Customer ID"] == "C000001"]
    if len(first):
        assert first["Company Name"].iloc[0].startswith("'=")


def test_export_file_name_format() -> None:
    from datetime import datetime

    name = actions.export_file_name("Mid-Market", datetime(2025, 1, 2, 3, 4, 5))
    assert name == "icp_scores_mid_market_20250102_030405.csv"


def test_exports_in_the_same_second_do_not_overwrite_each_other(
    workbook: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import datetime

    class SameSecond(datetime):
        @classmethod
        def now(cls, tz=None):  # noqa: ANN206 - mirrors datetime.now
            return cls(2025, 1, 2, 3, 4, 5)

    from icp_xl.workbook.actions import export

    monkeypatch.setattr(export, "datetime", SameSecond)
    book = FileBook.open(workbook, status=lambda m: None)
    actions.rescore(book)  # Export writes what the Scores sheet holds
    paths = [actions.export_csv(book, tmp_path, "all").path for _ in range(3)]
    stem = "icp_scores_all_segments_20250102_030405"
    assert [p.name for p in paths] == [f"{stem}.csv", f"{stem}_2.csv", f"{stem}_3.csv"]
    assert sorted(p.name for p in tmp_path.glob("icp_scores_*.csv")) == [p.name for p in paths]


def test_one_conversion_of_computed_values_to_cells() -> None:
    import datetime as dt

    from icp_xl.hosts import xlwings_book
    from icp_xl.hosts.file import book as file_book
    from icp_xl.workbook import blocks, chart_data
    from icp_xl.workbook.blocks import cell_value

    assert [cell_value(v) for v in (np.nan, np.inf, None, pd.NA, pd.NaT)] == [None] * 5
    converted = cell_value(np.float64(0.1)), cell_value(np.int64(3)), cell_value(np.bool_(True))
    assert converted == (0.1, 3, True)
    assert [type(v) for v in converted] == [float, int, bool]
    assert cell_value(pd.Timestamp("2025-01-02 03:04:05")) == dt.datetime(2025, 1, 2, 3, 4, 5)
    assert cell_value("007") == "007"
    from icp_xl.workbook.actions import rescoring

    for module in (rescoring, file_book, xlwings_book, chart_data):
        assert module.cell_value is blocks.cell_value, module.__name__
        assert not hasattr(module, "_number") and not hasattr(module, "_cells"), module.__name__


@given(
    st.lists(
        st.one_of(st.floats(), st.sampled_from([0.0, -0.0, float("nan"), float("inf")])),
        max_size=50,
    ),
    st.sampled_from(["float64", "object", "str", "Int64"]),
)
def test_whole_columns_convert_as_each_value_does(values, dtype) -> None:
    from icp_xl.workbook.blocks import cell_value, column_cells

    if dtype == "Int64":
        column = pd.Series([None if not np.isfinite(v) else int(v) % 1000 for v in values])
        column = column.astype("Int64")
    elif dtype == "str":
        column = pd.Series([None if np.isnan(v) else repr(v) for v in values], dtype="str")
    else:
        column = pd.Series(values, dtype=dtype)
    expected = [cell_value(v) for v in column.tolist()]
    converted = column_cells(column)
    assert converted == expected
    assert [type(v) for v in converted] == [type(v) for v in expected]


def _accounts_cells(path: Path) -> tuple[list[str], list[tuple]]:
    sheet = openpyxl.load_workbook(path)[layout.ACCOUNTS]
    rows = list(sheet[sheet.tables[layout.ACCOUNTS_TABLE.name].ref])
    return [c.value for c in rows[0]], [tuple(c.value for c in row) for row in rows[1:]]


def assert_accounts_typed(path: Path, source: Path) -> None:
    """Numeric account columns hold numbers equal to the CSV's text (blank = empty cell);
    text columns hold the CSV's text as is."""
    from icp_xl.core.inputs.accounts import ACCOUNT_COLUMNS

    text = pd.read_csv(source, dtype=str, keep_default_na=False)
    header, rows = _accounts_cells(path)
    assert header == list(text.columns)
    numeric = {c.header for c in ACCOUNT_COLUMNS if c.numeric}
    for j, name in enumerate(header):
        cells = [row[j] for row in rows]
        if name in numeric:
            want = [None if t == "" else float(t) for t in text[name]]
            assert all(v is None or type(v) in (int, float) for v in cells), name
            assert cells == want, name
        else:
            assert [("" if v is None else v) for v in cells] == list(text[name]), name


def test_imported_numbers_land_as_numbers_and_ids_stay_text(
    host: Opener, workbook: Path, tmp_path: Path
) -> None:
    other = make_sample_accounts(40, seed=5)
    other.loc[0, "Customer ID"] = "007"
    other["Annual Revenue"] = other["Annual Revenue"].astype(object)
    other.loc[1, "Annual Revenue"] = None  # a blank cell in the CSV
    source = tmp_path / "typed.csv"
    other.to_csv(source, index=False)
    with host(workbook) as book:
        actions.import_accounts(book, source, replace_all=True)
    assert_accounts_typed(workbook, source)
    header, rows = _accounts_cells(workbook)
    assert rows[0][header.index("Customer ID")] == "007"
    assert rows[1][header.index("Annual Revenue")] is None


def test_new_workbook_from_csv_writes_numbers(accounts_csv: Path, tmp_path: Path) -> None:
    path = new_workbook(tmp_path / "ICP.xlsx", accounts_csv)
    assert_accounts_typed(path, accounts_csv)
