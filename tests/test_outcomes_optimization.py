"""Optimize with opportunities: the Optimization sheet shows the Outcomes under the candidate
weights beside the current ones (both hosts write the same cells), the won target's AUC
in-sample and on the time split and grade A's lift; the ribbon's Optimize honours the
Settings target and says those figures at the end."""

from __future__ import annotations

import math
import re
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from support.hosts import file_host, live_host
from support.live import alerts, excel, own_folders

from icp_xl.core.inputs.accounts import prepare_accounts
from icp_xl.core.inputs.sample_opportunities import make_sample_opportunities
from icp_xl.core.model.scoring import score_accounts
from icp_xl.core.model.settings import Settings
from icp_xl.excel import ribbon as live
from icp_xl.workbook import actions, layout
from icp_xl.workbook.actions.outcomes import import_opportunities

TEMPLATE_ACCOUNTS = (300, 5)  # the raw_accounts and template fixtures (conftest)


def _cells(path: Path, ref: str) -> list[list[object]]:
    sheet = openpyxl.load_workbook(path)[layout.OPTIMIZATION]
    return [[c.value for c in row] for row in sheet[ref]]


def _account_outcomes(deals: pd.DataFrame) -> pd.Series:
    """Won (True) or lost (False) per account with a closed deal: any closed deal won."""
    closed = deals[deals["Stage"].isin(["Closed Won", "Closed Lost"])]
    return closed.groupby("Account ID")["Stage"].agg(lambda s: (s == "Closed Won").any())


def _pairwise_auc(scores: pd.Series, won: pd.Series) -> float:
    """P(won account outscores a lost one), ties half: every pair counted."""
    hits = [
        1.0 if scores[w] > scores[lost] else 0.5 if scores[w] == scores[lost] else 0.0
        for w in won.index[won]
        for lost in won.index[~won]
    ]
    return sum(hits) / len(hits)


def _win_rates(grades: pd.Series, deals: pd.DataFrame) -> dict[str, float]:
    closed = deals[deals["Stage"].isin(["Closed Won", "Closed Lost"])]
    by_grade = closed.assign(grade=closed["Account ID"].map(grades))
    rates = by_grade.groupby("grade")["Stage"].agg(lambda s: (s == "Closed Won").mean())
    return {**rates.to_dict(), "Total": (closed["Stage"] == "Closed Won").mean()}


def test_optimizing_for_wins_shows_the_outcomes_under_the_candidate_weights_on_both_hosts(
    template: Path, raw_accounts: pd.DataFrame, tmp_path: Path
) -> None:
    deals = make_sample_opportunities(raw_accounts, seed=5)
    written, fits = {}, {}
    for name, host in (("file", file_host), ("live", live_host)):
        path = tmp_path / f"{name}.xlsx"
        shutil.copy(template, path)
        with host(path) as book:
            import_opportunities(book, deals, "deals.csv")
            book.set_name(layout.TARGET_COLUMNS_NAME, "won")
            result = actions.optimize_book(book, n_trials=6, folds=0)
            fits[name] = actions.judge_won_fit(book, result)
            actions.store_optimization(book, result, won=fits[name])
        written[name] = path
    won_block = f"{layout.WON_TOP}:G{int(layout.WON_TOP[1:]) + 3}"
    for ref in (won_block, "A1:A22", layout.OUTCOMES_PREVIEW_AREA):
        assert _cells(written["file"], ref) == _cells(written["live"], ref), ref
    fit = fits["file"]
    # independent: score with the optimized and the current weights, judge every pair
    accounts = prepare_accounts(raw_accounts)
    ids = accounts.frame["customer_id"].astype(str).to_numpy()
    outcome = _account_outcomes(deals)
    optimized = score_accounts(accounts, Settings().with_weights(result.weights)).set_index(ids)
    current = score_accounts(accounts, Settings()).set_index(ids)
    auc = _pairwise_auc(optimized["ICP_score"], outcome)
    auc_now = _pairwise_auc(current["ICP_score"], outcome)
    assert fit.auc == pytest.approx(auc, abs=1e-12)
    assert fit.auc_current == pytest.approx(auc_now, abs=1e-12)
    block = _cells(written["file"], won_block)
    assert block[0] == ["Target: won", "Optimized", "Current", "Accounts"]
    assert [r[0] for r in block[1:]] == ["AUC in-sample", "AUC time split", "Lift of grade A"]
    assert block[1][1:3] == pytest.approx([auc, auc_now], abs=1e-12)
    assert block[1][3] == len(outcome)  # accounts with a closed opportunity
    assert 0 < block[2][1] < 1 and 0 < block[2][2] < 1  # measured on the later deals
    assert 0 < block[2][3] < len(outcome)
    rates, rates_now = (_win_rates(s["ICP_grade"], deals) for s in (optimized, current))
    assert block[3][1:3] == pytest.approx(
        [rates["A"] / rates["Total"], rates_now["A"] / rates_now["Total"]], abs=1e-12
    )
    notes = [r[0] for r in _cells(written["file"], "A20:A22") if r[0]]
    assert re.fullmatch(r"Time split: weights refitted on the [\d,]+ opportunities closed "
                        r"before \d{4}-\d\d-\d\d, tested on the [\d,]+ closed from then\.",
                        notes[-1])  # fmt: skip
    assert _cells(written["file"], "A2:A2")[0][0].endswith("Spearman(score, won flag)")
    # beside the preview: win rate, lift and closed deals by grade, candidate then current
    table = _cells(written["file"], layout.OUTCOMES_PREVIEW_AREA)
    assert table[2] == list(layout.OUTCOMES_PREVIEW_COLUMNS)
    closed = deals["Stage"].isin(["Closed Won", "Closed Lost"])
    for row in table[3:9]:
        grade = row[0]
        for rate, lift, count, grades, by in (
            (*row[1:4], optimized["ICP_grade"], rates),
            (*row[4:7], current["ICP_grade"], rates_now),
        ):
            assert rate == pytest.approx(by[grade], abs=1e-12)
            assert lift == pytest.approx(by[grade] / by["Total"], abs=1e-12)
            in_grade = deals["Account ID"].map(grades) == grade if grade != "Total" else closed
            assert count == int((closed & in_grade).sum())
    assert table[10][0] == "AUC, won vs lost accounts"
    assert (table[10][1], table[10][4]) == pytest.approx((auc, auc_now), abs=1e-12)
    assert (
        table[12][0]
        == f"AUC over the {len(outcome):,} accounts with a closed opportunity (0.5 = chance)."
    )


def test_without_opportunities_the_preview_says_where_they_come_from(
    template: Path, tmp_path: Path
) -> None:
    path = tmp_path / "ICP.xlsx"
    shutil.copy(template, path)
    with file_host(path) as book:
        result = actions.optimize_book(book, n_trials=4, folds=0)
        assert actions.judge_won_fit(book, result) is None  # not a won target
        actions.store_optimization(book, result)
    cells = _cells(path, layout.OUTCOMES_PREVIEW_AREA)
    assert cells[0][0].startswith("Outcomes: no opportunities yet")
    assert all(v is None for row in cells[1:] for v in row)
    assert all(v is None for row in _cells(path, "D16:G19") for v in row)


def test_ribbon_optimize_honours_the_won_target_and_says_the_auc_and_lift(
    template: Path, raw_accounts: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    own_folders(tmp_path, monkeypatch)
    path = tmp_path / "ICP.xlsx"
    shutil.copy(template, path)
    with file_host(path) as book:
        import_opportunities(book, make_sample_opportunities(raw_accounts, seed=5), "d.csv")
        book.set_name(layout.TARGET_COLUMNS_NAME, "won-amount")
        book.set_name("Optimizer_Trials", 6)
    with excel(path) as book:
        assert live.run_action("optimize") is True
        (alert,) = alerts(book)
        book.save()
    message = alert["prompt"]
    lines = message.split("\n")
    assert lines[0] == "Optimized for 'won-amount' (Optimization sheet):"
    assert lines[1].startswith("AUC in-sample: 0.") and "with the current weights" in message
    assert re.match(r"AUC on a time split: 0\.\d{3} on the [\d,]+ accounts of the [\d,]+ "
                    r"opportunities closed from \d{4}-\d\d-\d\d", lines[2])  # fmt: skip
    assert re.match(r"Grade A under the optimized weights: win rate \d+%, lift \d\.\d\dx", lines[3])
    block = _cells(path, "D16:G19")
    assert block[0][0] == "Target: won-amount" and not math.isnan(block[1][1])
    assert f"{block[1][1]:.3f} with the optimized weights" in message
    assert f"{block[2][1]:.3f} on the" in message


def _target_validation(path: Path) -> object | None:
    sheet = openpyxl.load_workbook(path)[layout.SETTINGS]
    ref = layout.NAMES_BY_NAME[layout.TARGET_COLUMNS_NAME].ref
    found = [v for v in sheet.data_validations.dataValidation if ref in str(v.sqref).split()]
    return found[0] if found else None


def test_settings_target_cell_offers_the_choices_and_takes_typed_columns(
    template: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    validation = _target_validation(template)
    assert validation is not None and validation.type == "list"
    listed = validation.formula1.strip('"').split(",")
    assert listed[:2] == ["won", "won-amount"] and "Total Hardware Revenue" in listed
    assert not validation.showErrorMessage  # typed Accounts columns stay allowed
    assert validation.showInputMessage and validation.prompt.startswith("Blank = hardware")
    assert len(validation.prompt) <= 255 and len(validation.formula1) <= 257  # Excel's limits
    # a workbook made before the dropdown keeps working with typed columns
    old = tmp_path / "old.xlsx"
    book = openpyxl.load_workbook(template)
    book[layout.SETTINGS].data_validations.dataValidation = [
        v for v in book[layout.SETTINGS].data_validations.dataValidation
        if v.sqref != validation.sqref
    ]  # fmt: skip
    book.save(old)
    assert _target_validation(old) is None
    with file_host(old) as workbook:
        workbook.set_name(layout.TARGET_COLUMNS_NAME, "Total SaaS Revenue, GP24")
        assert actions.optimization.target_choice(workbook) == ("saas_revenue", "gp24")
    # a value it cannot read: one sentence naming the cell and the value, nothing written
    with file_host(old) as workbook:
        workbook.set_name(layout.TARGET_COLUMNS_NAME, "Colour")
    before = old.read_bytes()
    from icp_xl.cli import main

    assert main(["optimize", str(old), "--trials", "3", "--quiet"]) == 1
    error = capsys.readouterr().err.strip()  # before any scoring
    refused = (
        "Settings!B25 (Target columns) holds 'Colour': unknown target column "
        "'Colour'; leave it blank (hardware + consumables), choose won or won-amount (CRM "
        "opportunities), or Accounts columns among: Annual Revenue, Big Box Count, Small Box "
        "Count, Printer Count, Total Hardware Revenue, Total Consumable Revenue, Total "
        "Software License Revenue, Total SaaS Revenue, Total Maintenance Revenue, GP24"
    )
    assert error == f"icp-xl: error: {refused}"
    # Validate says the same sentence (it runs Optimize's check), and writes nothing either
    assert main(["validate", str(old)]) == 1
    assert f"problem: {refused}" in capsys.readouterr().out
    assert old.read_bytes() == before


def test_ribbon_optimize_names_the_settings_cell_of_a_bad_target(
    template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    own_folders(tmp_path, monkeypatch)
    path = tmp_path / "ICP.xlsx"
    shutil.copy(template, path)
    with file_host(path) as book:
        book.set_name(layout.TARGET_COLUMNS_NAME, "won, GP24")
    before = path.read_bytes()
    with excel(path) as book:
        assert live.run_action("optimize") is False
        (alert,) = alerts(book)
    assert alert["prompt"] == (
        "Settings!B25 (Target columns) holds 'won, GP24': 'won' is a target of its own (the "
        "outcome of the CRM opportunities) and cannot be added to other columns: choose won "
        "alone, or Accounts columns only"
    )
    assert path.read_bytes() == before
