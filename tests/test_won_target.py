"""Optimize for wins: the won flag as target, the time split, and the optimizer reaching
the best AUC a 0.05 grid of feasible weights offers on data whose wins follow known
weights."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from icp_xl.cli import main
from icp_xl.core.errors import IcpError
from icp_xl.core.inputs.accounts import Accounts, prepare_accounts
from icp_xl.core.inputs.opportunities import prepare_opportunities
from icp_xl.core.inputs.sample import make_sample_accounts
from icp_xl.core.inputs.sample_opportunities import make_sample_opportunities
from icp_xl.core.insight.outcomes import auc_of
from icp_xl.core.model.settings import COMPONENTS, Settings
from icp_xl.core.model.won_target import split_date, split_opportunities, won_target
from icp_xl.core.optimization.objective import combined_scores, training_data
from icp_xl.core.optimization.optimize import optimize_weights
from icp_xl.core.optimization.space import FeasibleWeights
from icp_xl.hosts.file.book import FileBook
from icp_xl.workbook.actions.outcomes import import_opportunities_file


@pytest.fixture(scope="module")
def generated() -> tuple[pd.DataFrame, pd.DataFrame]:
    raw = make_sample_accounts(2000, seed=4)
    return raw, make_sample_opportunities(raw, seed=4)


@pytest.fixture(scope="module")
def prepared(generated: tuple[pd.DataFrame, pd.DataFrame]) -> tuple[Accounts, pd.DataFrame]:
    """The generated accounts prepared, and the opportunities' frame."""
    raw, deals = generated
    return prepare_accounts(raw), prepare_opportunities(deals).frame


def test_won_target_is_the_account_level_flag_over_closed_opportunities(
    prepared: tuple[Accounts, pd.DataFrame],
) -> None:
    accounts, opportunities = prepared
    target = won_target(accounts, opportunities).frame["target_revenue"]
    closed = opportunities[opportunities["status"] != "open"]
    expected = closed.groupby("customer_id")["status"].agg(lambda s: float((s == "won").any()))
    ids = accounts.frame["customer_id"]
    assert target[ids.isin(expected.index)].tolist() == expected.reindex(ids[ids.isin(
        expected.index)]).tolist()  # fmt: skip
    assert target[~ids.isin(expected.index)].isna().all()  # no closed deal: no target
    amount = won_target(accounts, opportunities, "won-amount").frame["target_revenue"]
    assert (amount[target == 0] == 0).all() and (amount[target == 1] > 0).all()
    with pytest.raises(IcpError, match="at least 10 of each"):
        won_target(accounts, opportunities.head(5))


def test_time_split_is_the_last_quarter_of_close_dates() -> None:
    deals = pd.DataFrame(
        {
            "customer_id": list("abcdefgh"),
            "status": ["won", "lost"] * 4,
            "close_date": pd.to_datetime([f"2024-0{m}-01" for m in range(1, 9)]),
        }
    )
    cutoff = split_date(deals)
    early, late = split_opportunities(deals, cutoff)
    assert cutoff == pd.Timestamp("2024-06-08 12:00") and len(early) == 6 and len(late) == 2


def test_optimizing_for_wins_reaches_the_best_auc_of_a_005_grid(
    generated: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    raw, deals = generated
    accounts = won_target(prepare_accounts(raw), prepare_opportunities(deals).frame)
    result = optimize_weights(accounts, Settings(), n_trials=60, folds=0, seed=3,
                              zero_targets=True)  # fmt: skip
    data = training_data(accounts, Settings(), zero_targets=True)
    won = data.target > 0
    assert 0 < won.sum() < len(won)  # lost accounts (target 0) are trained on too

    def auc(weights: np.ndarray) -> float:
        scores = combined_scores(data.components, weights)
        return float(auc_of(scores[won], scores[~won]))

    grid = FeasibleWeights().grid(0.05)
    best_grid = max(auc(w) for w in grid)
    found = auc(np.array([getattr(result.weights, c) for c in COMPONENTS]))
    assert found >= best_grid - 0.01
    assert best_grid > 0.7  # the hidden weights leave a real signal


def _book_with_deals(path: Path, generated: tuple[pd.DataFrame, pd.DataFrame]) -> tuple:
    """A new workbook of the generated accounts at ``path`` with their deals imported
    (open, not saved), and the imported opportunities."""
    raw, deals = generated
    FileBook.new(raw).save(path)
    deals_csv = path.with_name("deals.csv")
    deals.to_csv(deals_csv, index=False)
    book = FileBook.open(path, outcomes=True)
    opportunities, _ = import_opportunities_file(book, deals_csv)
    return book, opportunities


def test_cli_optimize_target_won_reports_auc_in_sample_and_on_a_time_split(
    tmp_path: Path, generated: tuple[pd.DataFrame, pd.DataFrame],
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    raw, _ = generated
    path = tmp_path / "ICP.xlsx"
    book, _ = _book_with_deals(path, generated)
    book.save()
    assert main(["optimize", str(path), "--target", "won", "--trials", "10", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "AUC in-sample: 0." in out and "AUC on a time split: 0." in out
    assert "Grade A under the optimized weights" in out
    assert "Outcomes by grade under the optimized weights:\nGrade  Accounts" in out
    # the preview shows the outcomes under the optimized weights beside the current ones
    assert "  Outcomes (win rate, lift)" in out and "\n  Grade A   " in out
    assert re.search(r"\n  AUC, won vs lost accounts +0\.\d{3} +0\.\d{3}\n", out)
    # the Spearman ranks against revenue, not the won flag: its label says so, a note which
    assert re.search(r"\n  Spearman with revenue +-?0\.\d{3} +-?0\.\d{3}\n", out)
    assert "Spearman with target" not in out
    assert (
        "  (Spearman with revenue: ranked against Total Hardware + Consumable Revenue, not the "
        "optimizer's target)\n"
    ) in out
    empty = tmp_path / "empty.xlsx"
    FileBook.new(raw).save(empty)
    assert main(["optimize", str(empty), "--target", "won", "--quiet"]) == 1
    assert "needs opportunities" in capsys.readouterr().err


def test_settings_target_columns_won_trains_on_accounts_with_closed_deals(
    tmp_path: Path, generated: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    from icp_xl.workbook import layout
    from icp_xl.workbook.actions import optimize_book

    book, opportunities = _book_with_deals(tmp_path / "ICP.xlsx", generated)
    book.set_name(layout.TARGET_COLUMNS_NAME, "won")
    result = optimize_book(book, n_trials=5, folds=0)
    closed = opportunities.frame[opportunities.frame["status"] != "open"]
    assert result.training_accounts == closed["customer_id"].nunique()
    assert result.target_columns == ("won",)


def test_won_fit_says_why_the_time_split_was_not_measured(
    prepared: tuple[Accounts, pd.DataFrame],
) -> None:
    from icp_xl.core.model.settings import Weights
    from icp_xl.core.model.won_target import won_fit, won_sentences

    accounts, opportunities = prepared
    weights = Weights(0.15, 0.2, 0.4, 0.25)
    stopped = won_fit(accounts, Settings(), weights, opportunities)  # no refit: stopped early
    undated = won_fit(accounts, Settings(), weights, opportunities.assign(close_date=pd.NaT),
                      refit=lambda train: weights)  # fmt: skip
    for fit, why in ((stopped, "stopped before the time split"),
                     (undated, "the opportunities have no close dates")):  # fmt: skip
        assert np.isnan(fit.split_auc) and fit.split_note == why
        assert won_sentences(fit)[1] == f"AUC on a time split: not measured ({why})"
        assert fit.auc == undated.auc > 0.5  # the in-sample AUC does not need the split
    fitted = won_fit(accounts, Settings(), weights, opportunities, refit=lambda train: weights)
    assert fitted.early + fitted.late == int((opportunities["status"] != "open").sum())
    assert 0.5 < fitted.split_auc < 1 and fitted.split_note == ""
