"""Figures and read-outs a reader can trust: KPIs that move with the weights, insight
sentences true of their figures, the optimizer's target choice and bound notes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from icp_xl.core.errors import IcpError
from icp_xl.core.inputs.accounts import prepare_accounts
from icp_xl.core.inputs.sample import make_sample_accounts
from icp_xl.core.model.scoring import score_accounts
from icp_xl.core.model.segments import (
    ALL_SEGMENTS,
    recommendations,
    segment_summary,
    view_metrics,
    within_segment_scores,
)
from icp_xl.core.model.settings import Settings, Weights
from icp_xl.core.model.target import (
    DEFAULT_TARGET_FIELDS,
    bound_notes,
    target_fields,
    target_overlap,
    with_target,
)


@pytest.fixture(scope="module")
def accounts():
    return prepare_accounts(make_sample_accounts(800, seed=5))


def _scored(accounts, weights: Weights):
    settings = Settings(weights=weights)
    scored = score_accounts(accounts, settings)
    return settings, scored.join(within_segment_scores(scored, settings))


def test_dashboard_figures_move_with_the_weights(accounts):
    figures = []
    for weights in (Weights(0.3, 0.3, 0.2, 0.2), Weights(0.1, 0.1, 0.4, 0.4)):
        settings, scored = _scored(accounts, weights)
        figures.append(view_metrics(accounts.frame, scored, settings, ALL_SEGMENTS))
    first, second = figures
    assert first.portfolio_average_score == pytest.approx(50, abs=0.5)  # by construction
    assert first.top_grades_target_share != second.top_grades_target_share
    assert first.top_decile_lift != second.top_decile_lift
    assert first.top_grades_gp24_share != second.top_grades_gp24_share
    settings, scored = _scored(accounts, Weights(0.3, 0.3, 0.2, 0.2))
    target = accounts.frame["target_revenue"].clip(lower=0).to_numpy()
    top = np.isin(scored["ICP_grade"].to_numpy(), ["A", "B"])
    assert first.top_grades_target_share == pytest.approx(target[top].sum() / target.sum())
    best = np.argsort(-scored["ICP_score"].to_numpy(), kind="stable")[:80]
    assert first.top_decile_lift == pytest.approx(target[best].sum() / target.sum() / 0.1)


def test_a_segment_view_compares_its_portfolio_score_with_the_portfolio(accounts):
    settings, scored = _scored(accounts, Weights(0.3, 0.3, 0.2, 0.2))
    metrics = view_metrics(accounts.frame, scored, settings, "Large Enterprise")
    large = scored["customer_segment"] == "Large Enterprise"
    assert metrics.portfolio_average_score == pytest.approx(scored["ICP_score"][large].mean())
    assert metrics.average_score == pytest.approx(50, abs=1)  # within-segment: by construction


def test_every_insight_sentence_states_the_figure_it_rests_on(accounts):
    settings, scored = _scored(accounts, Weights(0.3, 0.3, 0.2, 0.2))
    summary = segment_summary(accounts.frame, scored, settings)
    advice = recommendations(summary, settings)
    overall = summary.loc[ALL_SEGMENTS]
    for segment, notes in advice.items():
        row = summary.loc[segment]
        ratio = row["average_gp24"] / overall["average_gp24"]
        concentrated = [n for n in notes if "GP24 per account is" in n]
        if ratio >= 1.2 or ratio <= 0.8:
            assert concentrated == [concentrated[0]] and f"{ratio:.1f}x" in concentrated[0]
        else:
            assert not concentrated
        assert any(f"{row['high_value_customers']:,.0f} accounts" in n for n in notes)
        assert not any(" 0% " in n or "Only 0%" in n for n in notes)


def test_target_columns_choice_and_overlap(accounts):
    assert target_fields(None) == target_fields(" ") == DEFAULT_TARGET_FIELDS
    assert target_fields("total hardware revenue, GP24") == ("hardware_revenue", "gp24")
    with pytest.raises(IcpError, match="Unknown target column 'Colour'"):
        target_fields("Colour")
    (warning,) = target_overlap(DEFAULT_TARGET_FIELDS)
    assert "'Total Consumable Revenue'" in warning and "adoption" in warning
    assert target_overlap(("hardware_revenue",)) == []
    assert target_overlap(("annual_revenue",), Weights(0.5, 0.0, 0.25, 0.25)) == []
    chosen = with_target(accounts, ("hardware_revenue",))
    assert chosen.frame["target_revenue"].tolist() == accounts.frame["hardware_revenue"].tolist()
    assert with_target(accounts, DEFAULT_TARGET_FIELDS) is accounts


def test_weights_on_a_bound_are_named():
    bounds = {"vertical": (0.1, 0.4), "size": (0.1, 0.4), "adoption": (0.1, 0.4),
              "relationship": (0.15, 0.4)}  # fmt: skip
    notes = bound_notes(Weights(0.25, 0.1, 0.4, 0.25), bounds)
    assert notes == [
        "size is at its lower bound 0.10: the data wants less",
        "adoption is at its upper bound 0.40: the data wants more",
    ]
    assert bound_notes(Weights(0.3, 0.0, 0.4, 0.3), bounds, include_size=False) == [
        "adoption is at its upper bound 0.40: the data wants more"
    ]


def test_top_customers_is_a_table_carrying_the_users_extra_columns(tmp_path):
    import openpyxl

    from icp_xl.hosts.file.book import FileBook
    from icp_xl.workbook import actions, layout

    raw = make_sample_accounts(300, seed=2)
    raw["Owner"] = [f"rep{i % 7}" for i in range(len(raw))]
    raw["Region"] = ["North" if i % 2 else "South" for i in range(len(raw))]
    book = FileBook.new(raw)
    book.set_name(layout.EXTRA_COLUMNS_NAME, "owner, REGION")
    actions.rescore(book)
    path = book.save(tmp_path / "ICP.xlsx")
    wb = openpyxl.load_workbook(path)
    top = wb[layout.TOP_CUSTOMERS]
    table = top.tables[layout.TOP_CUSTOMERS_TABLE.name]
    assert table.ref.startswith(f"A{layout.TOP_CUSTOMERS_HEADER_ROW}:")
    header = [c.value for c in top[layout.TOP_CUSTOMERS_HEADER_ROW]][-2:]
    assert header == ["Owner", "Region"]
    first_id = top[f"B{layout.TOP_CUSTOMERS_HEADER_ROW + 1}"].value
    expected = raw.loc[raw["Customer ID"] == first_id, ["Owner", "Region"]].iloc[0].tolist()
    row = [c.value for c in top[layout.TOP_CUSTOMERS_HEADER_ROW + 1]][-2:]
    assert row == expected
    scores = book.read_table(layout.SCORES_TABLE.name)
    assert scores["Owner"].tolist() == raw["Owner"].tolist()
    book.set_name(layout.EXTRA_COLUMNS_NAME, "Colour")
    with pytest.raises(IcpError, match=r"Settings!B19 \(ExtraColumns\).*no column 'Colour'"):
        actions.rescore(book)


def test_a_workbook_made_before_the_new_settings_still_validates_and_rescores(tmp_path):
    import openpyxl

    from icp_xl.hosts.file.book import FileBook
    from icp_xl.workbook import actions, layout
    from icp_xl.workbook.actions.optimization import target_columns_setting
    from icp_xl.workbook.inputs import input_problems

    path = tmp_path / "old.xlsx"
    FileBook.new(make_sample_accounts(120, seed=3)).save(path)
    wb = openpyxl.load_workbook(path)
    for name in layout.OPTIONAL_INPUT_NAMES:
        del wb.defined_names[name]
    wb.save(path)
    book = FileBook.open(path, status=lambda message: None)
    problems, _ = input_problems(book)
    assert problems == []
    assert target_columns_setting(book) is None
    assert actions.rescore(book).accounts == 120


def test_column_widths_follow_the_displayed_values():
    from icp_xl.workbook.widths import column_width, display_text, header_width

    assert display_text(12_345_678_901.0, '"$"#,##0') == "$12,345,678,901"
    assert display_text(0.1234, "0.0%") == "12.3%"
    assert display_text(5.2, '0.00"x"') == "5.20"
    assert header_width("High-value customers (portfolio score >= cutoff)") == 16  # 48 / 3
    wide = column_width("GP24", [(12_345_678_901.0, '"$"#,##0')], (6, 48))
    assert wide == len("$12,345,678,901") + 2
    assert column_width("Rank", [(1, "0")], (6, 48)) == 6
    assert column_width(None, [("x" * 100, None)], (6, 48)) == 48


_FORMATS = [None, "General", "0", "0.0", "#,##0", '"$"#,##0', "$#,##0.00", "0.0%", '0.00"x"']


@given(
    st.sampled_from(_FORMATS),
    st.lists(
        st.one_of(
            st.floats(allow_nan=True, allow_infinity=True),
            st.integers(-(10**15), 10**15),
            st.booleans(),
            st.none(),
            st.text(max_size=12),
        ),
        max_size=40,
    ),
)
@example("0.0%", [0.0, -1.0, -1.797693134862316e306])  # x100 overflows: '-inf%' is short
def test_fitted_widths_measure_only_the_candidates_but_equal_measuring_all(fmt, values):
    from icp_xl.workbook.widths import column_width, fitted_widths

    bounds = (0.0, 1e9)
    every = column_width("Head", [(v, fmt) for v in values], bounds)
    assert fitted_widths(["Head"], [[v] for v in values], [fmt], bounds) == [every]


def test_every_sheet_gets_a_print_setup_and_inputs_are_marked(tmp_path):
    import openpyxl

    from icp_xl.hosts.file.book import FileBook
    from icp_xl.workbook import actions, layout

    book = FileBook.new(make_sample_accounts(150, seed=4))
    actions.rescore(book)
    wb = openpyxl.load_workbook(book.save(tmp_path / "ICP.xlsx"))
    for spec in layout.SHEETS:
        ws = wb[spec.name]
        setup = layout.print_setup(spec)
        if setup.scale is None:
            assert ws.sheet_properties.pageSetUpPr.fitToPage
            assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == setup.fit_tall
        else:  # printed at a readable size over as many pages as it takes
            assert not ws.sheet_properties.pageSetUpPr.fitToPage
            assert ws.page_setup.scale == setup.scale
        assert ws.page_setup.orientation == ("landscape" if setup.landscape else "portrait")
    assert wb[layout.SCORES].print_title_rows == "$1:$1"
    assert wb[layout.CHART_DATA].sheet_state == "hidden"
    weights = wb[layout.WEIGHTS]
    assert weights["B5"].style == layout.INPUT_STYLE and weights["C5"].style != layout.INPUT_STYLE
    assert wb[layout.DASHBOARD][layout.SEGMENT_VIEW.ref].style == layout.INPUT_STYLE


def test_the_runs_table_header_wraps():
    from icp_xl.core.inputs.cells import parse_cell
    from icp_xl.workbook import layout

    movers = layout.SHEETS_BY_NAME[layout.MOVERS]
    assert parse_cell(layout.RUNS_TOP_LEFT)[0] in movers.wrapped_rows


def test_number_column_headers_sit_over_their_numbers(tmp_path):
    import openpyxl

    from icp_xl.hosts.file.book import FileBook
    from icp_xl.workbook import actions, layout

    book = FileBook.new(make_sample_accounts(60, seed=4))
    actions.rescore(book)
    wb = openpyxl.load_workbook(book.save(tmp_path / "ICP.xlsx"))
    header = {c.value: c for c in wb[layout.SCORES][1]}
    assert header["ICP score"].alignment.horizontal == "right"
    assert header["Annual Revenue"].alignment.horizontal == "right"
    assert header["Company Name"].alignment.horizontal in (None, "general", "left")
    runs = {c.value: c for c in wb[layout.MOVERS][41]}
    assert runs["Accounts"].alignment.horizontal == "right"
    assert runs["Mode"].alignment.horizontal in (None, "general", "left")
