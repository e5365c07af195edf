"""CRM write-back (``icp-xl export --crm``, the ribbon's Export for CRM): the user's own
ID header, then score, grade, previous grade, reason, scored-at and model version, equal
to what the Scores sheet holds; the model version follows weights, settings and the
calibration, and is the same text on both hosts."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from support.hosts import file_host, live_host

from icp_xl.cli import main
from icp_xl.core.inputs.sample import make_sample_accounts
from icp_xl.hosts.file.book import FileBook
from icp_xl.hosts.file.new_workbook import new_workbook
from icp_xl.workbook import actions, layout
from icp_xl.workbook.actions.crm_export import CRM_COLUMNS


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    accounts = make_sample_accounts(150, seed=8).rename(columns={"Customer ID": "Account ID"})
    source = tmp_path / "crm.csv"
    accounts.to_csv(source, index=False)
    return new_workbook(tmp_path / "ICP.xlsx", source)


def crm_export(workbook: Path, tmp_path: Path, *options: str) -> pd.DataFrame:
    out = tmp_path / "crm_out.csv"
    assert main(["export", str(workbook), "--crm", "-o", str(out), "--force", *options]) == 0
    return pd.read_csv(out, encoding="utf-8-sig", dtype={"ICP Grade": str}, keep_default_na=False)


def test_crm_file_holds_what_the_scores_sheet_holds_under_the_users_id_header(
    workbook: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    assert main(["rescore", str(workbook)]) == 0  # a previous grade for every account
    crm = crm_export(workbook, tmp_path)
    assert list(crm.columns) == ["Account ID", *CRM_COLUMNS]
    book = FileBook.open(workbook, for_writing=False)
    scores = book.read_table(layout.SCORES_TABLE.name)
    assert crm["Account ID"].tolist() == scores["Customer ID"].tolist()
    assert crm["ICP Score"].tolist() == scores["ICP score"].astype(float).round(2).tolist()
    assert crm["ICP Grade"].tolist() == scores["Grade"].tolist()
    assert crm["Previous ICP Grade"].tolist() == scores["Previous grade"].tolist()
    assert crm["ICP Reason"].tolist() == scores["Reason"].tolist()
    scored_at = book.read_name(layout.LAST_RESCORED.name)
    assert set(crm["ICP Scored At"]) == {scored_at.isoformat(timespec="seconds")}
    (version,) = set(crm["ICP Model Version"])
    assert re.fullmatch("[0-9a-f]{8}", version)
    assert f"150 accounts, ICP model version {version}" in capsys.readouterr().err


def test_model_version_follows_weights_settings_and_calibration(
    workbook: Path, tmp_path: Path
) -> None:
    def version() -> str:
        (found,) = set(crm_export(workbook, tmp_path)["ICP Model Version"])
        return found

    first = version()
    assert main(["rescore", str(workbook)]) == 0
    assert version() == first  # the same model, scored again
    with file_host(workbook) as book:
        book.set_name(layout.WEIGHT_NAMES["vertical"], 0.25)
        book.set_name(layout.WEIGHT_NAMES["size"], 0.35)
    assert version() == first  # not rescored yet: the file holds the old scores' model
    assert main(["rescore", str(workbook)]) == 0
    weighted = version()
    assert main(["calibrate", str(workbook)]) == 0
    calibrated = version()
    with file_host(workbook) as book:
        book.set_name(layout.SCORING_MODE.name, "Relative")
        actions.rescore(book)
    assert len({first, weighted, calibrated, version()}) == 4


def test_model_version_is_the_same_on_both_hosts(workbook: Path) -> None:
    with file_host(workbook) as book:
        on_file = actions.model_version(book)
    with live_host(workbook) as book:
        assert actions.model_version(book) == on_file


def test_changed_and_segment_narrow_the_crm_file(workbook: Path, tmp_path: Path) -> None:
    with file_host(workbook) as book:
        book.set_name(layout.WEIGHT_NAMES["vertical"], 0.1)
        book.set_name(layout.WEIGHT_NAMES["adoption"], 0.4)
        actions.rescore(book)
    scores = FileBook.open(workbook, for_writing=False).read_table(layout.SCORES_TABLE.name)
    moved = scores.loc[scores["Grade"] != scores["Previous grade"], "Customer ID"]
    assert 0 < len(moved) < len(scores)
    changed = crm_export(workbook, tmp_path, "--changed")
    assert changed["Account ID"].tolist() == moved.tolist()
    segment = crm_export(workbook, tmp_path, "--segment", "Large Enterprise")
    enterprise = scores.loc[scores["Segment"] == "Large Enterprise", "Customer ID"]
    assert segment["Account ID"].tolist() == enterprise.tolist()
