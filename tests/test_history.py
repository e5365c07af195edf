"""Run history, movers, calibration in the workbook, the candidate preview, stale results and
the monthly routine, on the file host and live through the openpyxl-backed xlwings engine."""

from __future__ import annotations

import math
import shutil
import subprocess
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import xlwings as xw
from hypothesis import given, settings
from hypothesis import strategies as st
from support.hosts import file_host, live_host
from support.openpyxl_engine import active_engine

from icp_xl.cli import main
from icp_xl.core.inputs.sample import make_sample_accounts
from icp_xl.core.insight.movers import BEST_FIRST
from icp_xl.hosts.file.book import FileBook
from icp_xl.hosts.file.new_workbook import new_workbook
from icp_xl.workbook import actions, layout
from icp_xl.workbook.actions.crm_export import GONE_REASON
from icp_xl.workbook.actions.history import (
    accounts_changed_since_last_rescore,
    accounts_fingerprint,
)
from icp_xl.workbook.book import Book

Opener = Callable[[Path], AbstractContextManager[Book]]
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.fixture(scope="module")
def months(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two monthly account files: month 2 drops 10 accounts, adds 40, and 25 accounts
    bought 5 more printers."""
    folder = tmp_path_factory.mktemp("months")
    accounts = make_sample_accounts(340, seed=21)
    month1, month2 = accounts.iloc[:300], accounts.iloc[10:340].copy()
    changed = month2.index[:25]
    month2.loc[changed, "Small Box Count"] = month2.loc[changed, "Small Box Count"] + 5
    paths = folder / "month1.csv", folder / "month2.csv"
    month1.to_csv(paths[0], index=False)
    month2.to_csv(paths[1], index=False)
    return paths


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, months: tuple[Path, Path]) -> Path:
    path = tmp_path_factory.mktemp("history") / "ICP.xlsx"
    new_workbook(path, months[0])
    return path


@pytest.fixture(params=["file", "live"])
def host(request: pytest.FixtureRequest) -> Opener:
    return file_host if request.param == "file" else live_host


def scores(path: Path) -> pd.DataFrame:
    return FileBook.open(path, for_writing=False).read_table(layout.SCORES_TABLE.name)


def runs(path: Path) -> pd.DataFrame:
    return FileBook.open(path, for_writing=False).read_table(layout.RUNS_TABLE.name)


def migration(path: Path) -> pd.DataFrame:
    book = FileBook.open(path, for_writing=False)
    rows = book.read_range(layout.MOVERS, "A5:G11")
    frame = pd.DataFrame([r[1:] for r in rows[1:]], index=[r[0] for r in rows[1:]],
                         columns=rows[0][1:])  # fmt: skip
    return frame


def test_two_rescores_with_a_weight_change_keep_the_previous_run(
    host: Opener, workbook: Path, months: tuple[Path, Path]
) -> None:
    first = scores(workbook).set_index("Customer ID")
    with host(workbook) as book:
        book.set_name(layout.WEIGHT_NAMES["vertical"], 0.45)
        book.set_name(layout.WEIGHT_NAMES["size"], 0.15)
        actions.import_accounts(book, months[1])  # new accounts, and a rescore
    second = scores(workbook).set_index("Customer ID")
    both = first.index.intersection(second.index)
    assert len(both) == 290
    assert (second.loc[both, "Previous grade"] == first.loc[both, "Grade"]).all()
    # equal to the last bit on the file host; the test engine saves 16 significant digits
    previous, was = second.loc[both, "Previous score"], first.loc[both, "ICP score"]
    assert ((previous - was).abs() <= 1e-13 * was.abs().clip(lower=1)).all()
    change = second.loc[both, "ICP score"] - first.loc[both, "ICP score"]
    assert (second.loc[both, "Change"] - change).abs().max() < 1e-11
    new = second.index.difference(first.index)
    assert len(new) == 40 and second.loc[new, "Previous grade"].isna().all()

    matrix = migration(workbook)
    assert list(matrix.columns) == [*BEST_FIRST, "Total"]
    assert matrix.loc[list(BEST_FIRST), list(BEST_FIRST)].to_numpy().sum() == len(both)
    assert matrix.loc["Total", "Total"] == len(both)
    for was in BEST_FIRST:
        for now in BEST_FIRST:
            expected = (
                (first.loc[both, "Grade"] == was) & (second.loc[both, "Grade"] == now)
            ).sum()
            assert matrix.loc[was, now] == expected, (was, now)
    book = FileBook.open(workbook, for_writing=False)
    new_listed = [r[0] for r in book.read_range(layout.MOVERS, "J15:J24")]
    assert new_listed == sorted(new, key=list(second.index).index)[:10]
    assert book.read_range(layout.MOVERS, "J25")[0][0] == "... and 30 more"
    gone = [r[0] for r in book.read_range(layout.MOVERS, "J28:J37")]
    assert gone == list(first.index.difference(second.index)) and len(gone) == 10
    up = book.read_range(layout.MOVERS, "A15:H24")
    assert all(row[5] > 0 for row in up) and "weights" in up[0][7]

    history = runs(workbook)
    assert history["Run"].tolist() == [1, 2]
    assert history["Changed since the run before"].tolist() == ["first run", "weights"]
    assert history["Accounts"].tolist() == [300, 330]
    assert history.loc[1, "In both runs"] == 290
    assert history.loc[1, "New"] == 40 and history.loc[1, "Gone"] == 10
    assert history.loc[1, "Weights (V / S / A / R)"] == "0.45 / 0.15 / 0.20 / 0.20"


def test_calibrated_scores_stay_put_when_other_accounts_arrive(
    workbook: Path, months: tuple[Path, Path], tmp_path: Path
) -> None:
    assert main(["calibrate", str(workbook)]) == 0
    calibrated = scores(workbook).set_index("Customer ID")
    assert FileBook.open(workbook, for_writing=False).read_name("ScoringMode") == "Calibrated"
    relative = calibrated["Previous score"]  # the run before Calibrate was Relative
    raw = calibrated["Raw score"]
    untied = ~raw.duplicated(keep=False)
    assert (calibrated.loc[untied, "ICP score"] == relative[untied]).all()
    assert (calibrated.loc[untied, "Grade"] == calibrated.loc[untied, "Previous grade"]).all()

    assert main(["import", str(workbook), str(months[1])]) == 0
    after = scores(workbook).set_index("Customer ID")
    book = FileBook.open(workbook, for_writing=False)
    assert book.read_name("ScoringMode") == "Calibrated"  # import keeps the calibration
    same_data = after.index.intersection(calibrated.index)
    same_data = [c for c in same_data if after.loc[c, "Printer Count"]
                 == calibrated.loc[c, "Printer Count"]]  # fmt: skip
    assert len(same_data) > 250
    pd.testing.assert_series_equal(
        after.loc[same_data, "ICP score"], calibrated.loc[same_data, "ICP score"]
    )
    assert (after.loc[same_data, "Grade"] == calibrated.loc[same_data, "Grade"]).all()
    reasons = {row[7] for row in book.read_range(layout.MOVERS, "A15:H24") if row[0]}
    assert reasons == {"data"}
    assert runs(workbook)["Mode"].tolist() == ["Relative", "Calibrated", "Calibrated"]


def test_preview_matches_use_optimized_weights_then_rescore(host: Opener, workbook: Path) -> None:
    with host(workbook) as book:
        result = actions.optimize_book(book, n_trials=12, folds=0)
        actions.store_optimization(book, result)
    book = FileBook.open(workbook, for_writing=False)
    top = int(layout.PREVIEW_TOP[1:])
    previewed = book.read_range(layout.OPTIMIZATION, f"K{top + 1}:Q{top + 7}")
    assert previewed[0][0] == "Now \\ Candidate"
    with host(workbook) as book:
        actions.use_optimized_weights(book)
        actions.rescore(book)
    applied = FileBook.open(workbook, for_writing=False).read_range(layout.MOVERS, "A5:G11")
    assert [r[1:] for r in previewed[1:]] == [r[1:] for r in applied[1:]]
    assert sum(r[-1] for r in applied[1:-1]) == 300


def test_candidate_weights_typed_in_are_previewed_and_bad_ones_explained(workbook: Path) -> None:
    book = FileBook.open(workbook, status=lambda m: None)
    for component, value in zip(
        layout.CANDIDATE_WEIGHT_NAMES.values(), (0.4, 0.1, 0.3, 0.2), strict=True
    ):
        book.set_name(component, value)
    actions.rescore(book)
    top = int(layout.PREVIEW_TOP[1:])
    block = book.read_range(layout.OPTIMIZATION, f"K{top}:M{top + 40}")
    labels = [r[0] for r in block]
    assert "Target revenue, top 10%" in labels and "GP24 share of A+B" in labels
    assert "Spearman with target" in labels
    assert any(str(label).startswith("Entering grade A") for label in labels)
    # optimizing for wins, the Spearman still ranks against revenue: its label says which
    book.set_name(layout.TARGET_COLUMNS_NAME, "won")
    actions.rescore(book)
    labels = [r[0] for r in book.read_range(layout.OPTIMIZATION, f"K{top}:K{top + 40}")]
    assert "Spearman with revenue" in labels and "Spearman with target" not in labels
    assert (
        "Spearman with revenue: ranked against Total Hardware + Consumable Revenue, not the "
        "optimizer's target"
    ) in labels
    book.set_name(layout.CANDIDATE_WEIGHT_NAMES["vertical"], 0.9)
    actions.rescore(book)
    note = book.read_range(layout.OPTIMIZATION, layout.PREVIEW_TOP)[0][0]
    assert note.startswith("No preview: ") and "sum to 1" in note


def test_import_prints_the_data_quality_warnings(
    workbook: Path, months: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """A misspelled industry in the month's file is said, as new and rescore say it."""
    month = pd.read_csv(months[1])
    month.loc[month.index[:18], "Industry"] = "Aerosapce and Defense"
    month.to_csv(tmp_path / "month2.csv", index=False)
    capsys.readouterr()
    assert main(["import", str(workbook), str(tmp_path / "month2.csv")]) == 0
    err = capsys.readouterr().err
    assert "icp-xl: warning: " in err and "Aerosapce and Defense (18)" in err
    assert "details on the workbook's Data Quality sheet" in err


def test_export_changed_writes_what_scores_holds_and_warns_when_stale(
    workbook: Path, months: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    assert main(["import", str(workbook), str(months[1])]) == 0
    out = tmp_path / "changed.csv"
    assert main(["export", str(workbook), "--changed", "-o", str(out)]) == 0
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    changed = pd.read_csv(out, encoding="utf-8-sig")
    sheet = scores(workbook)
    moved = sheet[sheet["Grade"] != sheet["Previous grade"]]  # new ones included
    still_here = changed[changed["ICP_change"] != "gone"]
    assert sorted(still_here["Customer ID"]) == sorted(moved["Customer ID"])
    changed = still_here
    boxes = pd.read_csv(out, encoding="utf-8-sig", dtype=str)["Big Box Count"].dropna()
    assert len(boxes) == len(changed) and boxes.str.isdigit().all()  # counts as integers
    assert (changed["ICP_score"] == changed["ICP_score"].round(2)).all()
    exact = tmp_path / "exact.csv"
    assert main(["export", str(workbook), "--exact", "-o", str(exact)]) == 0
    full = pd.read_csv(exact, encoding="utf-8-sig").set_index("Customer ID")
    assert full["ICP_score"].tolist() == sheet.set_index("Customer ID")["ICP score"].tolist()
    capsys.readouterr()

    book = FileBook.open(workbook)  # an account edited after the rescore
    raw = book.read_table(layout.ACCOUNTS_TABLE.name)
    raw.loc[0, "Small Box Count"] = raw.loc[0, "Small Box Count"] + 1
    book.write_table(layout.ACCOUNTS_TABLE.name, list(raw.columns), raw.values.tolist())
    book.save()
    assert main(["export", str(workbook), "-o", str(tmp_path / "edited.csv")]) == 0
    assert "out of date (the accounts changed since the last rescore)" in capsys.readouterr().err
    edited = pd.read_csv(tmp_path / "edited.csv", encoding="utf-8-sig")
    assert edited["ICP_score"].tolist() == sheet["ICP score"].round(2).tolist()
    assert main(["weights", str(workbook), "--from", str(_weights_json(tmp_path))]) == 0
    assert main(["export", str(workbook), "-o", str(tmp_path / "stale.csv")]) == 0
    err = capsys.readouterr().err
    assert "out of date (weights, the accounts changed since the last rescore)" in err
    stale = pd.read_csv(tmp_path / "stale.csv", encoding="utf-8-sig")
    assert stale["ICP_score"].tolist() == sheet["ICP score"].round(2).tolist()  # not recomputed


def _weights_json(folder: Path) -> Path:
    path = folder / "optimized_weights.json"
    path.write_text(
        '{"weights": {"vertical_score": 0.35, "size_score": 0.15, "adoption_score": 0.3, '
        '"relationship_score": 0.2}}'
    )
    return path


def test_weights_cli_and_new_with_weights(workbook: Path, tmp_path: Path, months) -> None:
    assert main(["weights", str(workbook), "--from", str(_weights_json(tmp_path)),
                 "--rescore"]) == 0  # fmt: skip
    book = FileBook.open(workbook, for_writing=False)
    assert book.read_name("W_Adoption") == 0.3
    assert actions.changed_since_last_rescore(book) == ()
    assert main(["weights", str(workbook), "--reset"]) == 0
    book = FileBook.open(workbook, for_writing=False)
    assert book.read_name("W_Adoption") == 0.2
    assert actions.changed_since_last_rescore(book) == ("weights",)
    assert main(["weights", str(workbook), "--use-optimized"]) == 1  # none yet
    new = tmp_path / "New.xlsx"
    assert main(["new", str(months[0]), "-o", str(new), "--weights",
                 str(_weights_json(tmp_path))]) == 0  # fmt: skip
    assert FileBook.open(new, for_writing=False).read_name("W_Vertical") == 0.35


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_stale_cells_are_computed_by_the_spreadsheet(workbook: Path, tmp_path: Path) -> None:
    """LibreOffice computes ResultsStatus and ScoresStatus: up to date after a rescore, out of
    date after a weight, a setting or an account changes, and in Calibrated mode with typed-in
    weights it asks for Calibrate (no Python involved)."""
    variants = {"fresh": None, "weights": ("W_Size", 0.25), "settings": ("HighValueCutoff", 75),
                "calibrated": ("W_Size", 0.25), "accounts": None, "same length": None,
                "rescored non-ASCII": None, "one column sorted": None,
                "text column sorted": None, "one more beside billions": None}  # fmt: skip
    expected = {"fresh": layout.FRESH_TEXT, "weights": layout.STALE_TEXT,
                "settings": layout.STALE_TEXT, "calibrated": layout.RECALIBRATE_TEXT,
                "accounts": layout.STALE_TEXT, "same length": layout.STALE_TEXT,
                "rescored non-ASCII": layout.FRESH_TEXT,
                "one column sorted": layout.STALE_TEXT,
                "text column sorted": layout.STALE_TEXT,
                "one more beside billions": layout.STALE_TEXT}  # fmt: skip
    paths = []
    for label, edit in variants.items():
        path = tmp_path / f"{label}.xlsx"
        shutil.copyfile(workbook, path)
        if label == "one more beside billions":  # the sum of all numbers hides one printer
            wb = openpyxl.load_workbook(path)
            header = [c.value for c in wb[layout.ACCOUNTS][1]]
            revenue = next(i for i, h in enumerate(header, start=1) if "Revenue" in str(h))
            wb[layout.ACCOUNTS].cell(5, revenue).value = 4e13
            wb.save(path)
            assert main(["rescore", str(path)]) == 0
            wb = openpyxl.load_workbook(path)
            wb[layout.ACCOUNTS]["F3"] = wb[layout.ACCOUNTS]["F3"].value + 1
            wb.save(path)
            assert accounts_changed_since_last_rescore(FileBook.open(path, for_writing=False))
        if label in ("same length", "rescored non-ASCII", "one column sorted",
                     "text column sorted"):  # fmt: skip
            wb = openpyxl.load_workbook(path)
            sheet = wb[layout.ACCOUNTS]
            header = [c.value for c in sheet[1]]
            if label == "same length":  # an industry replaced by one of as many letters
                cell = sheet.cell(3, header.index("Industry") + 1)
                cell.value = ("X" if cell.value[0] != "X" else "Y") + cell.value[1:]
            elif label.endswith("column sorted"):  # without its rows: same sums and counts
                sorted_header = "Small Box Count" if label.startswith("one") else "Industry"
                column = header.index(sorted_header) + 1
                cells = [row[0] for row in sheet.iter_rows(min_row=2, min_col=column,
                                                           max_col=column)]  # fmt: skip
                for cell, value in zip(
                    cells,
                    sorted((c.value for c in cells), key=lambda v: (v is None, str(v))),
                    strict=True,
                ):
                    cell.value = value
            else:  # first characters beyond ASCII, then a rescore (not beyond 16 bits:
                # LibreOffice's LEN counts such a character once, Excel's and ours twice)
                sheet.cell(3, header.index("Company Name") + 1).value = "Ünïcode GmbH"
                sheet.cell(4, header.index("Company Name") + 1).value = "東京 Trading"
            wb.save(path)
            if label == "rescored non-ASCII":
                assert main(["rescore", str(path)]) == 0
            book = FileBook.open(path, for_writing=False)
            changed = accounts_changed_since_last_rescore(book)
            assert changed == (label != "rescored non-ASCII")
        if label == "calibrated":  # a weight typed in after Calibrate
            assert main(["calibrate", str(path)]) == 0
            book = FileBook.open(path)
            book.set_name("W_Vertical", 0.25)
            book.save()
        if label == "accounts":  # one more printer for one account
            wb = openpyxl.load_workbook(path)
            wb[layout.ACCOUNTS]["F3"] = wb[layout.ACCOUNTS]["F3"].value + 1
            wb.save(path)
        if edit:
            wb = openpyxl.load_workbook(path)
            name = wb.defined_names[edit[0]]
            sheet, ref = next(iter(name.destinations))
            wb[sheet][ref.replace("$", "")] = edit[1]
            wb.save(path)
        paths.append(str(path))
    out = tmp_path / "computed"
    profile = (tmp_path / "profile").as_uri()
    subprocess.run(  # one LibreOffice process recalculates and saves every variant
        [SOFFICE, "--headless", "--norestore", f"-env:UserInstallation={profile}",
         "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out), *paths],
        check=True, capture_output=True, timeout=240,
    )  # fmt: skip
    for label in variants:
        computed = openpyxl.load_workbook(out / f"{label}.xlsx", data_only=True)
        dashboard = computed[layout.DASHBOARD][layout.RESULTS_STATUS.ref].value
        assert dashboard == expected[label], label
        assert computed[layout.SCORES][layout.SCORES_STATUS.ref].value == expected[label]


def test_monthly_routine_on_the_command_line(
    tmp_path: Path, months: tuple[Path, Path], capsys: pytest.CaptureFixture
) -> None:
    """The documented routine: new -> calibrate, then each month import -> movers ->
    export --changed."""
    workbook = tmp_path / "ICP.xlsx"
    assert main(["new", str(months[0]), "-o", str(workbook)]) == 0
    assert main(["calibrate", str(workbook)]) == 0
    assert main(["import", str(workbook), str(months[1])]) == 0
    assert main(["movers", str(workbook)]) == 0
    shown = capsys.readouterr().out
    assert "Run 3 against run 2: 290 accounts in both runs, 40 new, 10 gone" in shown
    assert main(["export", str(workbook), "--changed", "-o", str(tmp_path / "crm.csv")]) == 0
    crm = pd.read_csv(tmp_path / "crm.csv", encoding="utf-8-sig")
    assert len(crm) >= 40  # the new accounts, plus those whose own data moved their grade
    assert set(crm["previous_ICP_grade"].dropna()) <= set(BEST_FIRST)


def test_monthly_routine_from_the_ribbon(
    workbook: Path, months: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Calibrate, Import accounts (which rescores and fills Movers), Export changed: the
    ribbon buttons, through xlwings, on the live workbook."""
    from icp_xl.excel import ribbon

    monkeypatch.setenv(ribbon.LOG_FOLDER_ENV, str(tmp_path / "logs"))
    answers = iter([months[1], tmp_path / "crm.csv"])
    with active_engine():
        xw.Book()  # the add-in
        book = xw.Book(workbook)
        book.impl.activate()
        book.set_mock_caller()  # RunPython's caller: the workbook the button was clicked in
        for action in ("calibrate", "import_accounts", "export_changed"):
            chooser = lambda app, request: next(answers)  # noqa: E731
            assert ribbon.run_action(action, choose_file=chooser) is True, book.app.impl.alerts
        book.save()
    history = runs(workbook)
    assert history["Mode"].tolist() == ["Relative", "Calibrated", "Calibrated"]
    assert history["New"].tolist()[-1] == 40 and history["Gone"].tolist()[-1] == 10
    crm = pd.read_csv(tmp_path / "crm.csv", encoding="utf-8-sig")
    sheet = scores(workbook)
    moved = sheet[sheet["Grade"] != sheet["Previous grade"]]
    assert sorted(crm.loc[crm["ICP_change"] != "gone", "Customer ID"]) == sorted(
        moved["Customer ID"]
    )
    assert (crm["ICP_change"] == "gone").sum() == 10


def test_runs_chart_reads_the_last_runs_block(workbook: Path) -> None:
    import zipfile

    with file_host(workbook) as book:
        actions.rescore(book)
    book = FileBook.open(workbook, for_writing=False)
    block = book.read_range(layout.MOVERS, "AS2:AW5")
    assert block[0] == ["Run", *(label for _, label in layout.RUN_CHART_SERIES)]
    assert [r[0] for r in block[1:]] == ["Run 1", "Run 2", None]
    assert all(isinstance(v, float) for v in block[2][1:])
    with zipfile.ZipFile(workbook) as archive:
        charts = [archive.read(n).decode() for n in archive.namelist() if "charts/chart" in n]
    (runs_chart,) = [c for c in charts if "KPIs over the runs" in c]
    assert "'Movers'!$AT$3:$AT$26" in runs_chart and "<lineChart>" in runs_chart


@pytest.mark.parametrize(
    ("cell", "value", "said"),
    [
        ("A42", "first", "The Runs row at Movers!A42 has no readable run number; it is kept"),
        ("A41", "Run #", "Movers!A41: the Runs header 'Run #' is read as 'Run'"),
    ],
)
def test_a_run_cell_or_header_the_product_cannot_read_keeps_every_row(
    workbook: Path, capsys, cell: str, value: str, said: str
) -> None:
    """Text in a Run cell, or the Run header renamed: the rescore keeps every Runs row,
    numbers the new run after the readable ones and says what it found."""
    assert main(["rescore", str(workbook)]) == 0  # runs 1 and 2
    book = openpyxl.load_workbook(workbook)
    book[layout.MOVERS][cell] = value
    book.save(workbook)
    capsys.readouterr()
    assert main(["rescore", str(workbook)]) == 0
    assert said in capsys.readouterr().err
    table = runs(workbook)
    assert list(table.columns) == list(layout.RUNS_TABLE.header)
    expected = ["first", 2, 3] if value == "first" else [1, 2, 3]
    assert table["Run"].tolist() == expected
    assert table["Time"].notna().all() and table["Mode"].notna().all()


def test_the_spearman_header_of_older_workbooks_is_read_silently_and_renamed(
    workbook: Path, capsys
) -> None:
    """Workbooks made before the Runs table named the revenue its Spearman ranks against
    ('Spearman with target'): their figures are kept, nothing is reported, the new header
    is written."""
    assert main(["rescore", str(workbook)]) == 0
    position = [key for key, _ in layout.RUNS_COLUMNS].index("spearman_target")
    book = openpyxl.load_workbook(workbook)
    book[layout.MOVERS].cell(41, 1 + position).value = "Spearman with target"
    book.save(workbook)
    before = runs(workbook).iloc[:, position].tolist()
    capsys.readouterr()
    assert main(["rescore", str(workbook)]) == 0
    assert "Runs header" not in capsys.readouterr().err
    table = runs(workbook)
    assert list(table.columns) == list(layout.RUNS_TABLE.header)
    assert table["Spearman with revenue"].tolist()[:-1] == before
    assert isinstance(table["Spearman with revenue"].iloc[-1], float)


def test_a_runs_row_without_its_run_number_is_kept_and_reported(
    host: Opener, workbook: Path
) -> None:
    with file_host(workbook) as book:
        actions.rescore(book)  # run 2
    before = runs(workbook)
    wb = openpyxl.load_workbook(workbook)
    ws = wb[layout.MOVERS]
    top = ws.tables[layout.RUNS_TABLE.name].ref.split(":")[0]
    first_run = f"{top.rstrip('0123456789')}{int(top.lstrip('ABCDEFGHIJKLMNOPQRSTUVWXYZ')) + 1}"
    ws[first_run] = None  # the analyst clears run 1's number
    wb.save(workbook)
    with host(workbook) as book:
        actions.rescore(book)  # run 3
    after = runs(workbook)
    assert len(after) == 3 and pd.isna(after.loc[0, "Run"]) and after["Run"].tolist()[1:] == [2, 3]
    kept = [c for c in before.columns if c != "Run"]
    pd.testing.assert_frame_equal(after.loc[:1, kept], before.loc[:1, kept])
    summary = FileBook.open(workbook, for_writing=False).read_range(layout.MOVERS, "A2")[0][0]
    assert f"The Runs row at Movers!{first_run} has no readable run number" in summary
    with file_host(workbook) as book:
        actions.rescore(book)  # and again: still kept, numbers go on
    assert runs(workbook)["Run"].tolist()[1:] == [2, 3, 4]


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_a_1904_workbook_with_dates_in_accounts_is_up_to_date_after_a_rescore(
    tmp_path: Path,
) -> None:
    """The status formula sums the Accounts dates as the workbook counts them; Python
    counts from 1900, so a 1904 workbook's dates came 1,462 days short: "Out of date" right
    after a rescore. LibreOffice computes the status in both date systems."""
    from datetime import datetime, timedelta

    from support.file_safety import rewrite_part
    from support.libreoffice import recalculated

    accounts = make_sample_accounts(60, seed=3)
    accounts["Customer Since"] = [datetime(2015, 1, 1) + timedelta(days=37 * i) for i in range(60)]
    source = tmp_path / "accounts.xlsx"
    accounts.to_excel(source, index=False)
    paths = []
    for system in (1900, 1904):
        path = new_workbook(tmp_path / f"dates_{system}.xlsx", source)
        if system == 1904:
            rewrite_part(
                path,
                "xl/workbook.xml",
                lambda xml: xml.replace(b"<workbookPr />", b'<workbookPr date1904="1"/>'),
            )
            assert main(["rescore", str(path)]) == 0
        paths.append(path)
    computed = recalculated(paths, tmp_path / "lo")
    for path in paths:
        result = openpyxl.load_workbook(computed[path.name], data_only=True)
        assert result[layout.DASHBOARD][layout.RESULTS_STATUS.ref].value == layout.FRESH_TEXT
        assert result[layout.MOVERS]["AE5"].value == 60


def test_the_1904_date_system_is_honoured_and_old_run_times_stay_put(
    host: Opener, workbook: Path
) -> None:
    from datetime import datetime, timedelta

    from support.file_safety import rewrite_part

    from icp_xl.workbook.actions.calibrate import calibrate_book
    from icp_xl.workbook.calibration_table import read_calibration

    to_1904 = b'<workbookPr date1904="1"/>'
    rewrite_part(workbook, "xl/workbook.xml", lambda xml: xml.replace(b"<workbookPr />", to_1904))
    assert openpyxl.load_workbook(workbook).epoch == datetime(1904, 1, 1)
    when = datetime(2026, 3, 31, 17, 45, 12)
    with host(workbook) as book:
        calibrate_book(book, now=when)  # run 2
    first = runs(workbook)["Time"].tolist()
    book = FileBook.open(workbook, for_writing=False)
    assert read_calibration(book).calibrated_at == when
    now = datetime.now()
    assert abs(book.read_name(layout.LAST_RESCORED.name) - now) < timedelta(minutes=5)
    assert abs(first[-1] - now) < timedelta(minutes=5)
    # Excel (openpyxl reads the serial numbers with the workbook's epoch) sees the same
    sheet = openpyxl.load_workbook(workbook)
    named = sheet.defined_names[layout.LAST_RESCORED.name].destinations
    target, cell = next(iter(named))
    assert abs(sheet[target][cell.replace("$", "")].value - now) < timedelta(minutes=5)
    with host(workbook) as book:
        actions.rescore(book)  # run 3: the times of runs 1 and 2 do not move
    assert runs(workbook)["Time"].tolist()[:2] == first


def test_new_over_a_workbook_points_to_import_and_says_what_force_discards(
    workbook: Path, months: tuple[Path, Path], capsys: pytest.CaptureFixture
) -> None:
    assert main(["calibrate", str(workbook)]) == 0
    wb = openpyxl.load_workbook(workbook)
    wb.create_sheet("My pivot")
    wb.save(workbook)
    before = workbook.read_bytes()
    capsys.readouterr()
    assert main(["new", str(months[1]), "-o", str(workbook)]) == 1
    err = capsys.readouterr().err
    assert f"run icp-xl import {workbook} {months[1]}" in err
    assert "discard its calibration of " in err and "2 recorded run(s)" in err
    assert "'My pivot'" in err
    assert workbook.read_bytes() == before
    assert main(["new", str(months[1]), "-o", str(workbook), "--force"]) == 0
    assert "--force discarded its calibration" in capsys.readouterr().err


def test_import_that_drops_most_accounts_or_is_an_export_is_refused(
    workbook: Path, months: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    few = tmp_path / "few.csv"
    pd.read_csv(months[0]).head(40).to_csv(few, index=False)
    before = workbook.read_bytes()
    capsys.readouterr()
    assert main(["import", str(workbook), str(few)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "would drop 260 of the workbook's 300 accounts" in err
    assert "--replace-all" in err and workbook.read_bytes() == before
    exported = tmp_path / "scores.csv"
    assert main(["export", str(workbook), "-o", str(exported)]) == 0
    capsys.readouterr()
    assert main(["import", str(workbook), str(exported)]) == 1
    assert "looks like an icp-xl export" in capsys.readouterr().err
    assert workbook.read_bytes() == before
    assert main(["import", str(workbook), str(few), "--replace-all"]) == 0
    assert runs(workbook)["Gone"].tolist()[-1] == 260


def test_export_changed_reports_changed_new_and_gone_separately(
    workbook: Path, months: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    first = tmp_path / "first.csv"
    capsys.readouterr()
    assert main(["export", str(workbook), "--changed", "-o", str(first)]) == 0
    err = capsys.readouterr().err
    assert "no previous run to compare with" in err and "every account is new" in err
    assert set(pd.read_csv(first, encoding="utf-8-sig")["ICP_change"]) == {"new"}

    assert main(["import", str(workbook), str(months[1])]) == 0
    out = tmp_path / "crm.csv"
    capsys.readouterr()
    assert main(["export", str(workbook), "--changed", "-o", str(out)]) == 0
    err = capsys.readouterr().err
    last = runs(workbook).iloc[-1]
    crm = pd.read_csv(out, encoding="utf-8-sig")
    counts = crm["ICP_change"].value_counts()
    assert counts["new"] == last["New"] == 40 and counts["gone"] == last["Gone"] == 10
    assert counts["grade changed"] == last["Grade changes"]
    assert (
        f"Exported {len(crm):,} accounts to {out}: {last['Grade changes']:,} changed grade, "
        "40 new, 10 gone since the previous run" in err
    )
    gone = crm[crm["ICP_change"] == "gone"]
    before = pd.read_csv(months[0]).set_index("Customer ID")
    assert sorted(gone["Customer ID"]) == sorted(before.index[:10])
    assert gone["ICP_score"].isna().all() and gone["previous_ICP_grade"].notna().all()


def test_crm_changed_file_clears_the_gone_accounts(
    workbook: Path, months: tuple[Path, Path], tmp_path: Path
) -> None:
    grades_before = scores(workbook).set_index("Customer ID")["Grade"]
    assert main(["import", str(workbook), str(months[1])]) == 0
    out = tmp_path / "crm_changed.csv"
    assert main(["export", str(workbook), "--crm", "--changed", "-o", str(out)]) == 0
    crm = pd.read_csv(out, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    gone = crm[crm["ICP Reason"] == GONE_REASON]
    before = pd.read_csv(months[0]).set_index("Customer ID")
    assert sorted(gone["Customer ID"]) == sorted(before.index[:10])
    assert (gone["ICP Score"] == "").all() and (gone["ICP Grade"] == "").all()
    assert gone["Previous ICP Grade"].tolist() == grades_before[gone["Customer ID"]].tolist()
    assert len(set(crm["ICP Model Version"])) == 1 and len(set(crm["ICP Scored At"])) == 1
    still_here = crm[crm["ICP Reason"] != GONE_REASON]
    assert len(still_here) == runs(workbook).iloc[-1][["New", "Grade changes"]].sum()


def test_import_says_imported_only_after_the_save(
    template: Path, months: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """Open in Excel: the one sentence, before any work and without a word of success;
    then, once it is closed, the count of what was imported, after the save."""
    workbook = tmp_path / "ICP.xlsx"
    shutil.copyfile(template, workbook)
    lock = tmp_path / "~$ICP.xlsx"
    lock.write_bytes(b"\x08analyst")
    before = workbook.read_bytes()
    assert main(["import", str(workbook), str(months[1])]) == 1
    shown = capsys.readouterr()
    assert shown.out == ""
    assert shown.err.splitlines() == [
        "icp-xl: error: ICP.xlsx is open in Excel (lock file ~$ICP.xlsx beside it); close it "
        "there first, nothing was written"
    ]
    assert workbook.read_bytes() == before
    lock.unlink()
    assert main(["import", str(workbook), str(months[1])]) == 0
    shown = capsys.readouterr()
    assert shown.out.startswith(f"Imported 330 accounts from month2.csv into {workbook}\n")
    assert "Imported" not in shown.err
    assert shown.err.index("Saving ICP.xlsx") > shown.err.index("Scoring 330 accounts")


def test_preview_shows_only_figures_the_weights_can_move(workbook: Path) -> None:
    """Relative scores are ranks: the average, high-value count and grade shares are the
    same for any weights, so the preview says so once instead of listing equal pairs; in
    Calibrated mode they move and are listed."""
    fixed = ["Average ICP score", "High-value accounts", *(f"Share {g}" for g in BEST_FIRST)]
    top = int(layout.PREVIEW_TOP[1:])

    def previewed(book: Book) -> dict[str, tuple[object, object]]:
        for component, value in zip(
            layout.CANDIDATE_WEIGHT_NAMES.values(), (0.1, 0.1, 0.6, 0.2), strict=True
        ):
            book.set_name(component, value)
        actions.rescore(book)
        rows = book.read_range(layout.OPTIMIZATION, f"K{top}:M{top + 30}")
        start = next(i for i, r in enumerate(rows) if r[0] == "Figure") + 1
        end = next(i for i in range(start, len(rows)) if rows[i][0] is None)
        return {str(r[0]): (r[1], r[2]) for r in rows[start:end]}

    book = FileBook.open(workbook, status=lambda m: None)
    relative = previewed(book)
    assert not set(fixed) & set(relative)
    note = "Relative mode: the average (50), high-value count"
    assert any(label.startswith(note) for label in relative)
    moving = {k: v for k, v in relative.items() if not k.startswith("Relative mode")}
    assert len(moving) == 5 and all(len(set(v)) == 2 for v in moving.values()), moving
    actions.calibrate_book(book)
    calibrated = previewed(book)
    assert set(fixed) <= set(calibrated)
    assert not any(label.startswith("Relative mode") for label in calibrated)
    assert calibrated["Average ICP score"][0] != calibrated["Average ICP score"][1]


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_average_score_label_claims_50_only_in_relative_mode(
    workbook: Path, tmp_path: Path
) -> None:
    """The Dashboard's '(all accounts: 50)' is true for Relative scores only: computed by
    the spreadsheet, it is gone once the workbook scores in Calibrated mode."""
    calibrated = tmp_path / "calibrated.xlsx"
    shutil.copyfile(workbook, calibrated)
    assert main(["calibrate", str(calibrated)]) == 0
    row = layout.KPI_FIRST_ROW + [f for f, *_ in layout.KPI_FIELDS].index("portfolio_average_score")
    labels, values = {}, {}
    for path in (workbook, calibrated):
        out = tmp_path / f"lo_{path.stem}"
        profile = (tmp_path / "profile").as_uri()
        subprocess.run(
            [SOFFICE, "--headless", "--norestore", f"-env:UserInstallation={profile}",
             "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out), str(path)],
            check=True, capture_output=True, timeout=240,
        )  # fmt: skip
        sheet = openpyxl.load_workbook(out / path.name, data_only=True)[layout.DASHBOARD]
        labels[path], values[path] = sheet[f"A{row}"].value, sheet[f"B{row}"].value
    assert labels[workbook] == "Average portfolio-wide score (all accounts: 50)"
    assert values[workbook] == pytest.approx(50, abs=0.5)
    assert labels[calibrated] == "Average portfolio-wide ICP score"


def test_live_sheets_renamed_only_in_case_are_the_layout_sheets(workbook: Path) -> None:
    """In Excel, 'data quality' is the Data Quality sheet: the rescore writes it."""
    book = openpyxl.load_workbook(workbook)
    book[layout.DATA_QUALITY].title = "renaming"  # openpyxl takes the name as taken
    book["renaming"].title = "data quality"
    book["data quality"][layout.DATA_QUALITY_TIME_CELL] = None
    book.save(workbook)
    with live_host(workbook) as live:
        assert layout.DATA_QUALITY in live.sheet_names()
        actions.rescore(live)
    written = openpyxl.load_workbook(workbook)["data quality"][layout.DATA_QUALITY_TIME_CELL]
    assert written.value is not None


def test_compare_runs_gives_the_same_moves_whether_or_not_the_runs_list_accounts_alike() -> None:
    """Runs listing the same accounts in the same order take the fast path (no alignment);
    the same runs in another order are aligned by ID: both give the same comparison."""
    from icp_xl.core.insight.movers import compare_runs

    ids = pd.Index([f"C{i:03d}" for i in range(60)], name="customer_id")
    previous = pd.DataFrame(
        {
            "industry": ["Healthcare", " retail ", None] * 20,
            "annual_revenue": [1e6, None, 2e6, 0.0] * 15,
            "ICP_score": [float(i) for i in range(60)],
            "ICP_grade": list("ABCDF") * 12,
        },
        index=ids,
    )
    current = previous.copy()
    current["industry"] = ["healthcare", "Retail", None, "Finance"] * 15  # some changed
    current["annual_revenue"] = [1e6, None, 3e6, 0.0] * 15
    current["ICP_score"] = [float(60 - i) for i in range(60)]
    current["ICP_grade"] = list("FDCBA") * 12
    aligned = compare_runs(previous, current, ["weights"])
    shuffled = compare_runs(previous.iloc[::-1], current, ["weights"])
    pd.testing.assert_frame_equal(aligned.matrix, shuffled.matrix)
    assert aligned.moves.sort_index().equals(shuffled.moves.sort_index())
    assert set(aligned.moves["reason"]) == {"data, weights", "weights"}
    assert aligned.in_both == 60 and aligned.new == [] and aligned.gone == []


class _Label(str):
    """A text cell of a str subclass (as some readers give)."""


_CELLS = st.one_of(
    st.none(),
    st.text(max_size=6),
    st.text(max_size=3).map(_Label),
    st.floats(min_value=-1e12, max_value=1e12),
    st.just(math.nan),
    st.integers(-(10**9), 10**9),
    st.booleans(),
    st.datetimes(datetime(1950, 1, 1), datetime(2100, 1, 1)),
)


def _fingerprint_cell_by_cell(raw: pd.DataFrame) -> dict[str, float]:
    """The fingerprint's definition, one cell at a time in plain Python."""
    sums = {"cells": 0, "numbers": [], "text": 0, "dates": 0, "date_rows": 0,
            "initials": [], "by_row": []}  # fmt: skip
    below: dict[int, list[float]] = {limit: [] for limit, _ in layout.SMALL_NUMBERS}
    for name in raw.columns:
        for row, value in enumerate(raw[name].tolist(), start=1):
            if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
                continue
            sums["cells"] += 1
            if isinstance(value, bool):
                continue
            if isinstance(value, str):
                sums["text"] += len(value.encode("utf-16-le")) // 2
                sums["initials"] += [ord(value[0]) * row] if value else []
                sums["cells"] -= not value
                continue
            if isinstance(value, datetime):
                sums["dates"] += 1
                sums["date_rows"] += row
                value = (value - datetime(1899, 12, 30)).total_seconds() / 86400
            sums["numbers"].append(float(value))
            sums["by_row"].append(float(value) * row)
            for limit in below:
                below[limit] += [float(value)] if value < limit else []
    return {key: math.fsum(v) if isinstance(v, list) else v for key, v in sums.items()} | {
        f"below {limit}": math.fsum(v) for limit, v in below.items()
    }


@given(st.lists(st.lists(_CELLS, min_size=3, max_size=3), max_size=12))
@settings(max_examples=300, deadline=None)
def test_the_accounts_fingerprint_is_its_definition_summed_a_column_at_a_time(rows) -> None:
    """Mixed object columns, a float column and a text column (as the file and live hosts
    read them): every count and sum of the fingerprint as defined cell by cell."""
    raw = pd.DataFrame(rows, columns=["a", "b", "c"], dtype=object)
    raw["numbers"] = pd.Series([1.5 * i if i % 3 else np.nan for i in range(len(raw))],
                               dtype=float)  # fmt: skip
    raw["texts"] = pd.Series([f"é{i}" if i % 2 else None for i in range(len(raw))], dtype="str")
    found = accounts_fingerprint(raw)
    expected = _fingerprint_cell_by_cell(raw)
    assert found.keys() == expected.keys()
    for key, value in expected.items():
        assert found[key] == pytest.approx(value, rel=1e-12, abs=1e-6), key
