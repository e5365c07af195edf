"""The Outcomes sheet in the workbook: both hosts write the same sheet, a rescore refreshes
it, the backtest grades deals created after a rescore, older workbooks keep working, and
the CLI refuses bad opportunity files leaving the workbook byte-identical."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from support.hosts import file_host, live_host

from icp_xl.cli import main
from icp_xl.core.errors import IcpError
from icp_xl.core.inputs.sample_opportunities import hidden_fit, make_sample_opportunities
from icp_xl.core.insight.outcomes import auc_of
from icp_xl.files.limits import MAX_ACCOUNTS, MAX_COLUMNS
from icp_xl.hosts.file.book import FileBook
from icp_xl.workbook import actions, layout
from icp_xl.workbook.actions.outcomes import import_opportunities

TEMPLATE_ACCOUNTS = (300, 5)  # the raw_accounts and template fixtures (conftest)


def _deals(raw_accounts: pd.DataFrame) -> pd.DataFrame:
    deals = make_sample_opportunities(raw_accounts, seed=5).astype(object)
    deals.loc[len(deals)] = ["GHOST1", "NOPE-1", "Closed Won", "1200", "2024-05-01", "2024-06-01"]
    return deals


def _sheet(path: Path, sheet: str, ref: str) -> list[list[object]]:
    ws = openpyxl.load_workbook(path)[sheet]
    return [[c.value for c in row] for row in ws[ref]]


def test_both_hosts_write_the_same_outcomes_sheet(
    template: Path, raw_accounts: pd.DataFrame, tmp_path: Path
) -> None:
    written = {}
    for name, host in (("file", file_host), ("live", live_host)):
        path = tmp_path / f"{name}.xlsx"
        shutil.copy(template, path)
        with host(path) as book:
            import_opportunities(book, _deals(raw_accounts), "deals.csv")
            actions.rescore(book)
        written[name] = path
    refreshed = layout.NAMES_BY_NAME["Outcome_RefreshedAt"].ref
    for ref in ("A1:P80", "AA1:AI25"):
        file_cells, live_cells = (_sheet(written[h], layout.OUTCOMES, ref) for h in written)
        if ref.startswith("A1:"):
            row = int(refreshed[1:]) - 1
            for cells in (file_cells, live_cells):
                assert isinstance(cells[row][1], datetime)
                cells[row][1] = None
        assert file_cells == live_cells
    cells = _sheet(written["file"], layout.OUTCOMES, "A1:P80")
    text = "\n".join(str(c) for row in cells for c in row if c is not None)
    assert re.search(r"[ABCD] wins \d+\.\d× as often as [BCDF]|never won|Too few closed", text)
    assert "Grades A+B:" in text and "AUC 0." in text
    assert "GHOST1" in text and "NOPE-1" in text  # the unknown account's deal is listed
    book = openpyxl.load_workbook(written["file"])
    assert layout.OUTCOME_AUC.name in book.defined_names
    with zipfile.ZipFile(written["file"]) as package:
        charts = [package.read(n).decode() for n in package.namelist() if "charts/chart" in n]
    assert sum("'Outcomes'!$AB$2:$AB$6" in c for c in charts) == 1  # win rate, error bars
    assert sum("'Outcomes'!$AG$2:$AG$22" in c for c in charts) == 1  # gains


def test_the_backtest_grades_deals_created_after_a_rescore(
    template: Path, raw_accounts: pd.DataFrame, tmp_path: Path
) -> None:
    path = tmp_path / "backtest.xlsx"
    shutil.copy(template, path)
    with file_host(path) as book:  # run 2 (the template holds run 1)
        actions.rescore(book)
    tomorrow = (datetime.now() + timedelta(days=1)).strftime("%Y-%m-%d")
    ids = raw_accounts["Customer ID"].tolist()
    deals = pd.DataFrame(
        {
            "Opportunity ID": [f"N{i}" for i in range(40)],
            "Account ID": [ids[i] for i in range(40)],
            "Stage": ["Closed Won" if i % 3 else "Closed Lost" for i in range(40)],
            "Created Date": [tomorrow if i < 30 else "2020-01-01" for i in range(40)],
        }
    )
    with file_host(path) as book:
        import_opportunities(book, deals, "new.csv")
        actions.rescore(book)
    cells = _sheet(path, layout.OUTCOMES, f"{layout.BACKTEST_SUMMARY}:{layout.BACKTEST_SUMMARY}")
    assert cells[0][0].startswith("The backtest covers 30 of the view's opportunities")
    backtest = _sheet(path, layout.OUTCOMES, f"A{layout.BACKTEST_ROW}:F{layout.BACKTEST_ROW + 6}")
    assert backtest[-1][0] == "Total" and backtest[-1][4] == 30
    # graded as at the last rescore: the Grade History's latest grades, not recomputed
    scores = openpyxl.load_workbook(path, data_only=True)[layout.SCORES]
    grades = {r[0]: r[10] for r in scores.iter_rows(min_row=2, values_only=True)}
    expected = pd.Series([grades[ids[i]] for i in range(30)]).value_counts()
    got = {row[0]: row[4] for row in backtest[1:-1] if row[4]}
    assert got == expected.to_dict()


def test_a_workbook_made_before_outcomes_keeps_working(
    template: Path, raw_accounts: pd.DataFrame, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "old.xlsx"
    book = openpyxl.load_workbook(template)
    for name in (layout.OUTCOMES, layout.OPPORTUNITIES, layout.GRADE_HISTORY):
        del book[name]
    for name in [n for n in book.defined_names if n.startswith("Outcome_")]:
        del book.defined_names[name]
    book.save(path)
    with file_host(path) as workbook:
        actions.rescore(workbook)  # no rebuild, no outcomes, no error
    assert layout.OUTCOMES not in openpyxl.load_workbook(path).sheetnames
    with live_host(path) as workbook:
        actions.rescore(workbook)
    deals = tmp_path / "deals.csv"
    _deals(raw_accounts).to_csv(deals, index=False)
    assert main(["outcomes", str(path), str(deals)]) == 0  # adds the sheets
    assert layout.OUTCOMES in openpyxl.load_workbook(path).sheetnames
    out = capsys.readouterr().out
    assert out.startswith("Grades A+B: ")
    assert "By today's grade (view All Segments):\nGrade  Accounts  Opps  Won" in out
    assert re.search(
        r"\nAUC 0\.\d{3} \(95 % interval 0\.\d{3}-0\.\d{3}\) over [\d,]+ accounts", out
    )
    assert "1 opportunity of accounts not in Accounts" in out
    assert main(["outcomes", str(path)]) == 0  # refresh from the stored table
    assert capsys.readouterr().out == out


def test_bad_opportunity_files_leave_the_workbook_byte_identical(
    template: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "ICP.xlsx"
    shutil.copy(template, path)
    before = path.read_bytes()
    bad = tmp_path / "bad.csv"
    bad.write_text("Opportunity ID,Account ID,Stage,Amount\nO1,C000001,Closed Won,lots\n")
    assert main(["outcomes", str(path), str(bad)]) == 1
    error = capsys.readouterr().err
    assert "bad.csv, column 'Amount', row 2: not a number ('lots')" in error
    assert error.count("\n") == 1
    missing = tmp_path / "missing.csv"
    missing.write_text("Name,Value\nx,1\n")
    assert main(["outcomes", str(path), str(missing)]) == 1
    assert "no account ID column" in capsys.readouterr().err
    # oversized files: the limit's sentence says what the file holds
    wide = tmp_path / "wide.csv"
    wide.write_text(",".join(f"c{i}" for i in range(MAX_COLUMNS + 1)) + "\n")
    long = tmp_path / "long.csv"
    long.write_bytes(b"Opportunity ID,Account ID,Stage\n" + b"1,a,Open\n" * (MAX_ACCOUNTS + 1))
    for deals, expected in (
        (wide, f"wide.csv has {MAX_COLUMNS + 1:,} columns, above the limit of {MAX_COLUMNS:,}; "
               "an opportunities file has about 8 (is the separator right?)"),
        (long, f"long.csv has more than {MAX_ACCOUNTS:,} rows of opportunities (the most an "
               "Excel sheet holds); split it into smaller files"),
    ):  # fmt: skip
        assert main(["outcomes", str(path), str(deals)]) == 1
        assert capsys.readouterr().err == f"icp-xl: error: {expected}\n"
    assert path.read_bytes() == before


def test_sample_opportunities_are_deterministic_and_follow_the_hidden_fit(
    tmp_path: Path, raw_accounts: pd.DataFrame
) -> None:
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    for deals in (first, second):
        args = ["sample", "-n", "400", "--seed", "3", "-o", str(tmp_path / "acc.csv")]
        assert main([*args, "--opportunities", str(deals), "--force"]) == 0
    assert first.read_bytes() == second.read_bytes()
    deals = pd.read_csv(first)
    fit = pd.Series(hidden_fit(pd.read_csv(tmp_path / "acc.csv")))
    fit.index = pd.read_csv(tmp_path / "acc.csv")["Customer ID"]
    closed = deals[deals["Stage"].isin(["Closed Won", "Closed Lost"])]
    won = closed["Stage"] == "Closed Won"
    # the hidden fit separates won from lost deals (AUC well above chance)
    assert float(auc_of(fit[closed["Account ID"]][won.to_numpy()].to_numpy(),
                        fit[closed["Account ID"]][~won.to_numpy()].to_numpy())) > 0.7  # fmt: skip


def test_a_bad_opportunities_table_stops_a_rescore_with_one_sentence(
    template: Path, tmp_path: Path
) -> None:
    path = tmp_path / "ICP.xlsx"
    shutil.copy(template, path)
    book = FileBook.open(path)
    header = list(layout.OPPORTUNITIES_TABLE.header)
    row = ["O1", "C000001", "Closed Won", True, True, "lots", None, None]
    book.write_table(layout.OPPORTUNITIES_TABLE.name, header, [row])
    book.save()
    before = path.read_bytes()
    book = FileBook.open(path, rescoring=True)
    with pytest.raises(IcpError) as error:
        actions.rescore(book)
    assert str(error.value) == (
        "Opportunities sheet, column 'Amount', row 2: not a number ('lots')"
    )
    assert path.read_bytes() == before


def test_live_import_into_a_workbook_made_before_outcomes_says_what_to_do(
    template: Path, raw_accounts: pd.DataFrame, tmp_path: Path
) -> None:
    path = tmp_path / "old.xlsx"
    book = openpyxl.load_workbook(template)
    for name in (layout.OUTCOMES, layout.OPPORTUNITIES, layout.GRADE_HISTORY):
        del book[name]
    book.save(path)
    with live_host(path) as workbook, pytest.raises(IcpError, match="run `icp-xl outcomes"):
        import_opportunities(workbook, _deals(raw_accounts), "deals.csv")


def test_a_rescore_without_opportunities_does_not_import_scipy_stats(
    template: Path, tmp_path: Path
) -> None:
    path = tmp_path / "ICP.xlsx"
    shutil.copy(template, path)
    code = (
        "import sys; from icp_xl.cli import main; "
        f"assert main(['rescore', {str(path)!r}]) == 0; "
        "print('scipy.stats' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines()[-1] == "False"  # half a second saved on every rescore
