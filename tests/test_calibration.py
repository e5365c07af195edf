"""Calibrated scoring: stable against other accounts, equal to Relative on its own accounts."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from icp_xl.cli import main
from icp_xl.core.errors import IcpError
from icp_xl.core.inputs.accounts import prepare_accounts
from icp_xl.core.inputs.sample import make_sample_accounts
from icp_xl.core.model.calibration import (
    Calibration,
    calibrate,
    parse_scoring_mode,
    score_calibrated,
    score_in_mode,
)
from icp_xl.core.model.scoring import SCORE_COLUMNS, score_accounts
from icp_xl.core.model.settings import COMPONENTS, Settings, Weights
from icp_xl.hosts.file.book import FileBook
from icp_xl.workbook import layout

WHEN = datetime(2026, 11, 1, 9, 30)
INDUSTRIES = ["High Tech", "Dental", "Energy", "Other", "", "Unknown Co"]

money = st.one_of(st.just(0.0), st.floats(min_value=0, max_value=5e6, allow_nan=False))
account = st.fixed_dictionaries(
    {
        "Industry": st.sampled_from(INDUSTRIES),
        "Annual Revenue": st.one_of(st.just(0.0), st.floats(1e5, 5e9)),
        "Printer Count": st.integers(0, 400),
        "Total Consumable Revenue": money,
        "Total Software License Revenue": money,
        "Total SaaS Revenue": money,
        "Total Maintenance Revenue": money,
    }
)


def frame_of(rows: list[dict], prefix: str) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    frame.insert(0, "Customer ID", [f"{prefix}{i}" for i in range(len(rows))])
    return frame


def untied(raw: pd.Series) -> np.ndarray:
    return ~raw.duplicated(keep=False).to_numpy()


@settings(max_examples=60, deadline=None)
@given(
    base=st.lists(account, min_size=1, max_size=40),
    extra=st.lists(account, min_size=1, max_size=40),
    vertical=st.floats(0.0, 0.5),
)
def test_appending_accounts_changes_no_existing_calibrated_score(base, extra, vertical):
    weights = Weights(vertical, 0.5 - vertical, 0.25, 0.25)
    s = Settings(weights=weights)
    accounts = prepare_accounts(frame_of(base, "B"))
    calibration = calibrate(accounts, s, WHEN)
    alone = score_calibrated(accounts, s, calibration)
    both = prepare_accounts(pd.concat([frame_of(base, "B"), frame_of(extra, "X")]))
    together = score_calibrated(both, s, calibration).iloc[: len(base)]
    pd.testing.assert_frame_equal(alone.reset_index(drop=True), together.reset_index(drop=True))

    # On the calibration's own accounts both modes agree, bit for bit, wherever the raw
    # score is not shared (Relative breaks ties by row order; no score of an account's own
    # data can do that).
    relative = score_accounts(accounts, s)
    for column in SCORE_COLUMNS[:6]:
        assert alone[column].tolist() == relative[column].tolist(), column
    keep = untied(relative["ICP_score_raw"])
    assert alone["ICP_score"][keep].tolist() == relative["ICP_score"][keep].tolist()
    assert alone["ICP_grade"][keep].tolist() == relative["ICP_grade"][keep].tolist()
    assert alone["customer_segment"].tolist() == relative["customer_segment"].tolist()


def test_tied_accounts_get_the_score_of_their_middle_rank():
    rows = [{"Industry": "Other", "Printer Count": 0}] * 3 + [{"Industry": "High Tech"}]
    accounts = prepare_accounts(frame_of(rows, "T"))
    calibration = calibrate(accounts, Settings(), WHEN)
    calibrated = score_calibrated(accounts, Settings(), calibration)
    relative = score_accounts(accounts, Settings())
    assert relative["ICP_score"].iloc[:3].nunique() == 3  # row order breaks the tie
    assert calibrated["ICP_score"].iloc[:3].nunique() == 1
    assert calibrated["ICP_score"].iloc[0] == pytest.approx(relative["ICP_score"].iloc[1])
    assert calibrated["ICP_score"].iloc[3] == relative["ICP_score"].iloc[3]


def test_sample_portfolio_calibrated_equals_relative_and_grades_are_exact():
    accounts = prepare_accounts(make_sample_accounts(1500, seed=5))
    s = Settings()
    calibration = calibrate(accounts, s, WHEN)
    relative = score_accounts(accounts, s)
    calibrated = score_calibrated(accounts, s, calibration)
    keep = untied(relative["ICP_score_raw"])
    assert keep.mean() > 0.6
    assert (calibrated["ICP_score"][keep] == relative["ICP_score"][keep]).all()
    assert (calibrated["ICP_grade"][keep] == relative["ICP_grade"][keep]).all()


def test_few_points_keep_grades_exact_and_scores_close():
    accounts = prepare_accounts(make_sample_accounts(1500, seed=5))
    s = Settings()
    calibration = calibrate(accounts, s, WHEN, max_points=60)
    assert len(calibration.points) <= 70
    relative = score_accounts(accounts, s)
    calibrated = score_calibrated(accounts, s, calibration)
    keep = untied(relative["ICP_score_raw"])
    assert (calibrated["ICP_grade"][keep] == relative["ICP_grade"][keep]).all()
    gap = np.abs(calibrated["ICP_score"][keep] - relative["ICP_score"][keep])
    assert gap.mean() < 0.5  # interpolated between points; exact at the points


def test_values_beyond_the_frozen_range_clip():
    base = prepare_accounts(make_sample_accounts(300, seed=2))
    s = Settings()
    calibration = calibrate(base, s, WHEN)
    huge = frame_of(
        [{"Industry": "High Tech", "Annual Revenue": 5e8, "Printer Count": 10**6,
          "Total Consumable Revenue": 1e12, "Total Software License Revenue": 1e12}],
        "H",
    )  # fmt: skip
    scored = score_calibrated(prepare_accounts(huge), s, calibration)
    assert scored["adoption_score"].iloc[0] == 1.0
    assert scored["relationship_score"].iloc[0] == 1.0
    top = score_calibrated(base, s, calibration)["ICP_score"].max()
    assert scored["ICP_score"].iloc[0] == top  # clipped to the highest calibration point
    assert scored["ICP_grade"].iloc[0] == "A"


def test_one_account_scores_fifty_in_both_modes():
    accounts = prepare_accounts(frame_of([{"Industry": "Other"}], "O"))
    calibration = calibrate(accounts, Settings(), WHEN)
    assert score_calibrated(accounts, Settings(), calibration)["ICP_score"].tolist() == [50.0]


def test_mode_parsing_and_missing_calibration():
    assert parse_scoring_mode(" calibrated ") == "Calibrated"
    assert parse_scoring_mode(None) == "Relative"
    with pytest.raises(IcpError, match="Relative or Calibrated, got 'Frozen'"):
        parse_scoring_mode("Frozen")
    accounts = prepare_accounts(frame_of([{"Industry": "Other"}], "O"))
    with pytest.raises(IcpError, match="run Calibrate first"):
        score_in_mode(accounts, Settings(), "Calibrated", None)


def test_bad_calibration_is_refused_with_a_sentence():
    good = calibrate(prepare_accounts(make_sample_accounts(100, seed=1)), Settings(), WHEN)
    with pytest.raises(IcpError, match="increasing order"):
        Calibration(WHEN, 100, good.weights, good.log_ranges, ((5.0, 0.2), (4.0, 0.3)),
                    good.grade_bounds)  # fmt: skip
    with pytest.raises(IcpError, match="four grade bounds"):
        Calibration(WHEN, 100, good.weights, good.log_ranges, good.points, (0.5, 0.1, 0.7, 0.9))


# ---------------------------------------------------------------- new weights in Calibrated mode


def _calibration_weights(path: Path) -> list[float]:
    book = FileBook.open(path, for_writing=False)
    return [book.read_range(layout.SETTINGS, f"R{10 + i}")[0][0] for i in range(4)]


def _current_weights(path: Path) -> list[float]:
    book = FileBook.open(path, for_writing=False)
    return [book.read_name(layout.WEIGHT_NAMES[c]) for c in COMPONENTS]


def test_optimize_apply_in_calibrated_mode_makes_the_calibration_anew(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """What optimize --apply prints as the candidate is what the workbook ends up with, and
    the Movers run says why everyone moved."""
    accounts = tmp_path / "accounts.csv"
    make_sample_accounts(400, seed=8).to_csv(accounts, index=False)
    workbook = tmp_path / "ICP.xlsx"
    assert main(["new", str(accounts), "-o", str(workbook)]) == 0
    assert main(["calibrate", str(workbook)]) == 0
    capsys.readouterr()
    args = ["optimize", str(workbook), "--trials", "8", "--folds", "0", "--quiet", "--apply"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert _calibration_weights(workbook) == _current_weights(workbook)
    runs = FileBook.open(workbook, for_writing=False).read_table(layout.RUNS_TABLE.name)
    last = runs.iloc[-1]
    assert last["Changed since the run before"] == "weights + calibration"
    printed = {
        line[:28].strip(): line[28:].split()[-1]
        for line in out.splitlines()
        if line.startswith("  ") and len(line.split()) >= 3
    }
    assert printed["High-value accounts"] == f"{int(last['High-value accounts']):,}"
    assert printed["GP24 share of A+B"] == f"{last['GP24 share of A+B']:.1%}"
    assert printed["Spearman with target"] == f"{last['Spearman with revenue']:.3f}"
    assert printed["Average ICP score"] == f"{last['Average ICP score']:.1f}"
    reasons = FileBook.open(workbook, for_writing=False).read_range(layout.MOVERS, "H15:H16")
    assert all("weights + calibration" in r[0] for r in reasons)


def test_keep_calibration_keeps_the_old_scale_and_every_rescore_warns(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    accounts = tmp_path / "accounts.csv"
    make_sample_accounts(200, seed=4).to_csv(accounts, index=False)
    workbook = tmp_path / "ICP.xlsx"
    assert main(["new", str(accounts), "-o", str(workbook)]) == 0
    assert main(["calibrate", str(workbook)]) == 0
    made = _calibration_weights(workbook)
    weights = tmp_path / "w.json"
    weights.write_text(
        '{"weights": {"vertical_score": 0.4, "size_score": 0.2, "adoption_score": 0.2, '
        '"relationship_score": 0.2}}'
    )
    capsys.readouterr()
    assert main(["weights", str(workbook), "--from", str(weights), "--keep-calibration",
                 "--rescore"]) == 0  # fmt: skip
    assert _calibration_weights(workbook) == made
    assert "press Calibrate" in capsys.readouterr().err
    # a weight typed into the cell: every rescore says so
    book = FileBook.open(workbook)
    book.set_name(layout.WEIGHT_NAMES["vertical"], 0.35)
    book.set_name(layout.WEIGHT_NAMES["size"], 0.25)
    book.save()
    for _ in range(2):
        assert main(["rescore", str(workbook)]) == 0
        err = capsys.readouterr().err
        assert "icp-xl: warning: The weights (0.35 / 0.25 / 0.20 / 0.20) differ from those the " \
               "calibration was made with (0.30 / 0.30 / 0.20 / 0.20)" in err  # fmt: skip
    assert main(["weights", str(workbook), "--reset", "--rescore"]) == 0  # made anew
    assert _calibration_weights(workbook) == _current_weights(workbook)
    assert "press Calibrate" not in capsys.readouterr().err


def test_calibrating_twice_keeps_the_calibration_numbers_numbers(tmp_path: Path) -> None:
    """The second Calibrate once gave the whole Value column the date format of its first
    row ('Calibrated at'), and the next rescore read the raw scores as dates."""
    accounts = tmp_path / "accounts.csv"
    make_sample_accounts(120, seed=2).to_csv(accounts, index=False)
    workbook = tmp_path / "ICP.xlsx"
    assert main(["new", str(accounts), "-o", str(workbook)]) == 0
    assert main(["calibrate", str(workbook)]) == 0
    assert main(["calibrate", str(workbook)]) == 0
    assert main(["rescore", str(workbook)]) == 0
    assert all(isinstance(w, float) for w in _calibration_weights(workbook))
