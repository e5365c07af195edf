"""The ICP workbook file: structure from the layout, CLI commands, bad inputs that
leave the file byte-for-byte unchanged, and parity with ``icp-xl score``."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from icp_xl.cli import main
from icp_xl.core.inputs.cells import column_letter
from icp_xl.hosts.file.book import FileBook, foreign_content, layout_chart_counts
from icp_xl.workbook import layout


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, accounts_csv: Path) -> Path:
    path = tmp_path_factory.mktemp("wb") / "ICP.xlsx"
    assert main(["new", str(accounts_csv), "-o", str(path)]) == 0
    return path


def test_new_workbook_has_every_sheet_table_and_name_of_the_layout(template: Path) -> None:
    wb = openpyxl.load_workbook(template)
    assert wb.sheetnames == list(layout.SHEET_NAMES)
    for table in layout.TABLES:
        assert table.name in wb[table.sheet].tables, table.name
    scores = wb[layout.SCORES].tables[layout.SCORES_TABLE.name]
    assert scores.ref == f"A1:{column_letter(len(layout.SCORES_TABLE.columns))}{260 + 1}"
    for named in layout.NAMES:
        sheet, ref = next(iter(wb.defined_names[named.name].destinations))
        assert (sheet, ref.replace("$", "")) == (named.sheet, named.ref), named.name
    assert wb[layout.WEIGHTS]["B5"].value == 0.3
    assert wb[layout.WEIGHTS]["B9"].value == "=SUM(B5:B8)"
    assert wb.active.title == layout.DASHBOARD


def test_formats_validation_and_conditional_formatting(template: Path) -> None:
    wb = openpyxl.load_workbook(template)
    dashboard = wb[layout.DASHBOARD]
    (validation,) = dashboard.data_validations.dataValidation
    assert str(validation.sqref) == "B3"
    assert validation.formula1 == '"' + ",".join(layout.SEGMENT_VIEW_CHOICES) + '"'
    weights_rules = [str(cf.sqref) for cf in wb[layout.WEIGHTS].conditional_formatting]
    assert layout.W_STATUS.ref in weights_rules
    grade_rules = [str(cf.sqref) for cf in wb[layout.SCORES].conditional_formatting]
    assert "K2:K1048576" in grade_rules
    scores = wb[layout.SCORES]
    assert scores["J2"].number_format == layout.SCORE
    revenue = column_letter(layout.SCORES_TABLE.header.index("Annual Revenue") + 1)
    assert scores[f"{revenue}2"].number_format == layout.ANNUAL_REVENUE  # 0 shows "unknown"
    assert scores.freeze_panes == "C2"
    assert dashboard["B9"].number_format == layout.PERCENT  # share of portfolio
    assert wb[layout.SETTINGS]["B10"].number_format == layout.PERCENT


def test_rescore_twice_keeps_one_set_of_structure(workbook: Path) -> None:
    for _ in range(2):
        assert main(["rescore", str(workbook)]) == 0
    wb = openpyxl.load_workbook(workbook)
    assert len(wb[layout.DASHBOARD].data_validations.dataValidation) == 1
    grade_rules = [str(cf.sqref) for cf in wb[layout.SCORES].conditional_formatting]
    assert len(grade_rules) == len(set(grade_rules))
    charts = {ws.title: len(ws._charts) for ws in wb.worksheets if ws._charts}
    assert charts.get(layout.DASHBOARD, 0) > 0
    assert charts == layout_chart_counts()  # recreated, not doubled
    assert foreign_content(workbook) == []


def test_scores_match_icp_xl_score_on_the_same_accounts(
    template: Path, accounts_csv: Path, tmp_path: Path
) -> None:
    scored_csv = tmp_path / "scored.csv"
    assert main(["score", str(accounts_csv), "-o", str(scored_csv)]) == 0
    cli = pd.read_csv(scored_csv)
    sheet = openpyxl.load_workbook(template)[layout.SCORES]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    header = [c.value for c in sheet[1]]
    table = pd.DataFrame(rows, columns=header)
    pairs = {
        "Raw score": "ICP_score_raw",
        "ICP score": "ICP_score",
        "Vertical score": "vertical_score",
        "Relationship score": "relationship_score",
    }
    for ours, theirs in pairs.items():
        np.testing.assert_array_equal(table[ours].to_numpy(float), cli[theirs].to_numpy(float))
    assert list(table["Grade"]) == list(cli["ICP_grade"])
    assert list(table["Segment"]) == list(cli["customer_segment"])


@pytest.mark.parametrize(
    ("sheet", "cell", "value", "message"),
    [
        (layout.WEIGHTS, "B5", 0.5, r"Weights!B5:B8: The weights must sum to 1 .*sum to 1\.2000"),
        (layout.WEIGHTS, "B6", "thirty", r"Weights!B6 \(W_Size\): expected a number, found text"),
        (layout.SETTINGS, "B6", 50e6, r"Settings!B5 \(SmallBusinessMax\) and Settings!B6 "),
        (layout.SETTINGS, "B10", 0.5, r"Settings!B10:B14 \(grade target shares\)"),
    ],
)
def test_bad_input_is_one_clear_error_and_the_file_is_unchanged(
    workbook: Path, capsys: pytest.CaptureFixture[str], sheet, cell, value, message
) -> None:
    wb = openpyxl.load_workbook(workbook)
    wb[sheet][cell] = value
    wb.save(workbook)
    before = workbook.read_bytes()
    assert main(["rescore", str(workbook)]) == 1
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith("icp-xl: error: ")
    assert re.search(message, error), error
    assert workbook.read_bytes() == before
    assert [p.name for p in workbook.parent.iterdir()] == [workbook.name]  # no temp file left


def test_bad_vertical_row_names_its_cell(workbook: Path, capsys) -> None:
    wb = openpyxl.load_workbook(workbook)
    wb[layout.SETTINGS]["I7"] = "high"
    wb.save(workbook)
    before = workbook.read_bytes()
    assert main(["rescore", str(workbook)]) == 1
    assert "Settings!I7 (vertical score of " in capsys.readouterr().err
    assert workbook.read_bytes() == before


def test_validate_cli_lists_problems_and_writes_nothing(workbook: Path, capsys) -> None:
    wb = openpyxl.load_workbook(workbook)
    wb[layout.WEIGHTS]["B5"] = "x"
    wb[layout.SETTINGS]["B7"] = 150
    wb.save(workbook)
    before = workbook.read_bytes()
    assert main(["validate", str(workbook)]) == 1
    out = capsys.readouterr().out
    assert "problem: Weights!B5 (W_Vertical)" in out
    assert "problem: Settings!B7 (HighValueCutoff)" in out
    assert workbook.read_bytes() == before
    assert main(["validate", str(workbook).replace("ICP", "missing")]) == 1


def test_export_cli_writes_the_named_csv(workbook: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "exports"
    out.mkdir()
    assert main(["export", str(workbook), "--segment", "large_enterprise", "-o", str(out)]) == 0
    (path,) = out.iterdir()
    assert path.name.startswith("icp_scores_large_enterprise_")
    assert set(pd.read_csv(path)["customer_segment"]) == {"Large Enterprise"}
    assert main(["export", str(workbook), "--segment", "nope"]) == 1
    error = capsys.readouterr().err
    assert "Unknown segment 'nope'" in error
    assert "Dashboard!B3" not in error  # the value came from --segment, not the cell


def test_a_bad_segment_selector_names_its_cell(workbook: Path, capsys) -> None:
    wb = openpyxl.load_workbook(workbook)
    wb[layout.DASHBOARD][layout.SEGMENT_VIEW.ref] = "Everyone"
    wb.save(workbook)
    assert main(["export", str(workbook)]) == 1
    assert "Dashboard!B3 (SegmentView): Unknown segment 'Everyone'" in capsys.readouterr().err


def test_new_refuses_to_replace_a_workbook(workbook: Path, capsys) -> None:
    before = workbook.read_bytes()
    assert main(["new", "-o", str(workbook)]) == 1
    assert "is already an ICP workbook" in capsys.readouterr().err
    assert workbook.read_bytes() == before


def test_changing_a_weight_with_openpyxl_changes_the_scores(workbook: Path) -> None:
    before = pd.DataFrame(
        openpyxl.load_workbook(workbook)[layout.SCORES].iter_rows(min_row=2, values_only=True)
    )
    wb = openpyxl.load_workbook(workbook)
    for row, weight in zip(range(5, 9), (0.1, 0.1, 0.4, 0.4), strict=True):
        wb[layout.WEIGHTS][f"B{row}"] = weight
    wb.save(workbook)
    assert main(["rescore", str(workbook)]) == 0
    after = pd.DataFrame(
        openpyxl.load_workbook(workbook)[layout.SCORES].iter_rows(min_row=2, values_only=True)
    )
    raw = before[8].to_numpy(float)
    assert not np.array_equal(raw, after[8].to_numpy(float))
    book = FileBook.open(workbook, for_writing=False)
    assert book.read_name("WeightsUsed") == ("0.10 / 0.10 / 0.40 / 0.40")
    components = after[[4, 5, 6, 7]].to_numpy(float)
    expected = 100 * components @ np.array([0.1, 0.1, 0.4, 0.4])
    np.testing.assert_allclose(after[8].to_numpy(float), expected, rtol=1e-12)


def test_a_weight_formula_is_refused_for_writing_and_named_when_read(
    workbook: Path, capsys
) -> None:
    wb = openpyxl.load_workbook(workbook)
    wb[layout.WEIGHTS]["B5"] = "=0.1+0.2"  # never calculated: openpyxl does not evaluate
    wb.save(workbook)
    before = workbook.read_bytes()
    assert main(["rescore", str(workbook)]) == 1
    error = capsys.readouterr().err
    assert "Weights!B5 holds a formula" in error and "nothing was written" in error, error
    assert workbook.read_bytes() == before
    assert main(["validate", str(workbook)]) == 1  # what rescore refuses, validate names
    assert "Weights!B5 holds a formula (=0.1+0.2) that the actions read" in (
        capsys.readouterr().out
    )


def test_demo_builds_an_optimized_workbook(tmp_path: Path, capsys) -> None:
    assert main(["demo", "-o", str(tmp_path / "demo"), "-n", "300", "--trials", "10"]) == 0
    out = capsys.readouterr().out
    path = tmp_path / "demo" / "ICP.xlsx"
    assert str(path) in out
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == list(layout.SHEET_NAMES)
    weights = wb[layout.WEIGHTS]
    optimized = [weights[f"C{r}"].value for r in range(5, 9)]
    assert all(isinstance(v, float) for v in optimized)
    assert sum(optimized) == pytest.approx(1.0)
    assert wb[layout.OPTIMIZATION]["A1"].value == "ICP weight optimization"
    assert main(["demo", "-o", str(tmp_path / "demo")]) == 1  # exists: needs --force
