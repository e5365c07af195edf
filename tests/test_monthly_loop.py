"""Three months of an analyst's routine on the command line, as a new analyst runs it:
generated CRM exports (``icp-xl sample``) with misspelled industries, new and gone accounts
and changed inputs; import -> movers -> export --changed each month, calibrate in between,
optimize --apply. Every count printed must be what the workbook holds, and no output may
contradict another."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from icp_xl.cli import main
from icp_xl.core.model.settings import COMPONENTS
from icp_xl.hosts.file.book import FileBook
from icp_xl.workbook import layout
from icp_xl.workbook.actions.export import stale_warning

SUMMARY = re.compile(
    r"Run (\d+) against run (\d+): ([\d,]+) accounts in both runs, ([\d,]+) new, ([\d,]+) gone; "
    r"([\d,]+) changed grade"
)
EXPORTED = re.compile(r"Exported ([\d,]+) accounts to .*: ([\d,]+) changed grade, ([\d,]+) new, "
                      r"([\d,]+) gone since the previous run")  # fmt: skip


def _number(text: str) -> int:
    return int(text.replace(",", ""))


def _months(folder: Path) -> list[Path]:
    """Three monthly CRM exports from one generated portfolio: 50 accounts leave and 50
    arrive each month, 20 accounts get a misspelled industry in month 2, and 30 accounts
    buy more printers each month."""
    everything = folder / "crm.csv"
    assert main(["sample", "-n", "1100", "--seed", "7", "-o", str(everything)]) == 0
    accounts = pd.read_csv(everything)
    paths = []
    for month in range(3):
        frame = accounts.iloc[50 * month : 1000 + 50 * month].copy()
        frame.loc[frame.index[:30], "Small Box Count"] += 3 * month
        if month == 1:
            aerospace = frame.index[frame["Industry"] == "Aerospace & Defense"][:20]
            frame.loc[aerospace, "Industry"] = "Aerosapce and Defense"
        paths.append(folder / f"month{month + 1}.csv")
        frame.to_csv(paths[-1], index=False)
    return paths


def _runs(workbook: Path) -> pd.DataFrame:
    return FileBook.open(workbook, for_writing=False).read_table(layout.RUNS_TABLE.name)


def _check_month(workbook: Path, month: Path, previous: set[str], out: str, err: str) -> None:
    """The import's movers summary against the Runs table and against the two files."""
    now = set(pd.read_csv(month)["Customer ID"])
    run, against, both, new, gone, changed = (_number(g) for g in SUMMARY.search(out).groups())
    last = _runs(workbook).iloc[-1]
    assert (run, against) == (last["Run"], last["Run"] - 1)
    assert both == last["In both runs"] == len(now & previous)
    assert new == last["New"] == len(now - previous)
    assert gone == last["Gone"] == len(previous - now)
    assert changed == last["Grade changes"]
    assert last["Accounts"] == len(now)
    scores = FileBook.open(workbook, for_writing=False).read_table(layout.SCORES_TABLE.name)
    moved = scores["Previous grade"].notna() & (scores["Grade"] != scores["Previous grade"])
    assert moved.sum() == changed  # the Scores sheet agrees with the Movers sheet
    assert "icp-xl: error" not in err


def _check_export(workbook: Path, path: Path, err: str) -> None:
    """export --changed: the printed counts are the file's rows and the Runs table's."""
    rows, changed, new, gone = (_number(g) for g in EXPORTED.search(err).groups())
    crm = pd.read_csv(path, encoding="utf-8-sig")
    counts = crm["ICP_change"].value_counts()
    last = _runs(workbook).iloc[-1]
    assert rows == len(crm) == changed + new + gone
    assert changed == counts.get("grade changed", 0) == last["Grade changes"]
    assert new == counts.get("new", 0) == last["New"]
    assert gone == counts.get("gone", 0) == last["Gone"]


def test_three_months_on_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    months = _months(tmp_path)
    workbook = tmp_path / "ICP.xlsx"
    assert main(["new", str(months[0]), "-o", str(workbook)]) == 0
    ids = set(pd.read_csv(months[0])["Customer ID"])
    capsys.readouterr()

    # month 2: import (with a misspelled industry), movers, export --changed
    assert main(["import", str(workbook), str(months[1])]) == 0
    out, err = capsys.readouterr()
    _check_month(workbook, months[1], ids, out, err)
    assert "Aerosapce and Defense (20)" in err  # the misspelling is said, with its count
    assert main(["movers", str(workbook)]) == 0
    imported, movers = out.split("\n", 1)  # import says what it imported, then the movers
    assert imported.startswith("Imported 1,000 accounts from month2.csv")
    assert capsys.readouterr().out == movers  # movers prints what import printed
    assert main(["export", str(workbook), "--changed", "-o", str(tmp_path / "m2.csv")]) == 0
    _check_export(workbook, tmp_path / "m2.csv", capsys.readouterr().err)

    # calibrate, then optimize --apply: the calibration follows the weights
    assert main(["calibrate", str(workbook)]) == 0
    out = capsys.readouterr().out
    assert f"on {_runs(workbook).iloc[-1]['Accounts']:,} accounts" in out
    args = ["optimize", str(workbook), "--trials", "6", "--folds", "0", "--quiet", "--apply"]
    assert main(args) == 0
    out = capsys.readouterr().out
    book = FileBook.open(workbook, for_writing=False)
    made = [book.read_range(layout.SETTINGS, f"R{10 + i}")[0][0] for i in range(4)]
    assert made == [book.read_name(layout.WEIGHT_NAMES[c]) for c in COMPONENTS]
    last = _runs(workbook).iloc[-1]
    assert last["Mode"] == "Calibrated"
    assert last["Changed since the run before"] == "weights + calibration"
    candidate = {line[:28].strip(): line.split()[-1] for line in out.splitlines()
                 if line.startswith("  ") and len(line.split()) >= 3}  # fmt: skip
    assert candidate["High-value accounts"] == f"{int(last['High-value accounts']):,}"
    assert candidate["GP24 share of A+B"] == f"{last['GP24 share of A+B']:.1%}"
    assert candidate["Average ICP score"] == f"{last['Average ICP score']:.1f}"
    assert stale_warning(book) is None  # nothing says "out of date" after the apply

    # month 3: import into the calibrated workbook, export --changed
    ids = set(pd.read_csv(months[1])["Customer ID"])
    assert main(["import", str(workbook), str(months[2])]) == 0
    out, err = capsys.readouterr()
    _check_month(workbook, months[2], ids, out, err)
    assert "press Calibrate" not in err  # the calibration is the weights' own
    assert main(["export", str(workbook), "--changed", "-o", str(tmp_path / "m3.csv")]) == 0
    err = capsys.readouterr().err
    _check_export(workbook, tmp_path / "m3.csv", err)
    assert "out of date" not in err
    modes = _runs(workbook)["Mode"].tolist()
    assert modes == ["Relative", "Relative", "Calibrated", "Calibrated", "Calibrated"]
