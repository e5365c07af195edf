"""The weight search: feasibility, reproducibility, errors, shared studies, interruption,
the CLI (--json-out, workbook) and the Optimization sheet blocks."""

from __future__ import annotations

import os

import numpy as np
import optuna
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from icp_xl.cli import main
from icp_xl.core.errors import IcpError
from icp_xl.core.inputs.accounts import prepare_accounts
from icp_xl.core.model.settings import COMPONENTS, Settings
from icp_xl.core.optimization.defaults import MAX_FOLDS, MAX_SEED
from icp_xl.core.optimization.objective import evaluate_weights, training_data
from icp_xl.core.optimization.search import (
    HISTORY_COLUMNS,
    grid_search,
    search_weights,
    trial_weights,
)
from icp_xl.core.optimization.space import FeasibleWeights, WeightBounds
from icp_xl.files.weights_json import read_weights_json
from icp_xl.studies.optimize import make_storage, optimize_weights
from icp_xl.workbook.actions import optimization_blocks
from icp_xl.workbook.layout import HISTORY_TOP
from icp_xl.workbook.layout import OPTIMIZATION as OPTIMIZATION_SHEET

SETTINGS = Settings()
QUICK = {"n_trials": 12, "folds": 0}


unit = st.floats(0.0, 1.0, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(u=st.lists(unit, min_size=3, max_size=3), include_size=st.booleans())
def test_every_unit_point_maps_to_feasible_weights(u, include_size):
    space = FeasibleWeights(None, include_size)
    w = space.from_unit(u[: space.dimension])
    assert space.contains(w)
    assert abs(w.sum() - 1.0) < 1e-12
    low = np.array([0.10, 0.10 if include_size else 0.0, 0.10, 0.15])
    high = np.array([0.40, 0.40 if include_size else 0.0, 0.40, 0.40])
    assert np.all(w >= low - 1e-12) and np.all(w <= high + 1e-12)
    if not include_size:
        assert w[1] == 0.0
    np.testing.assert_allclose(space.from_unit(space.to_unit(w)), w, atol=1e-12)


bound = st.tuples(st.floats(0.0, 0.6), st.floats(0.0, 0.6)).map(sorted).map(tuple)


@settings(max_examples=150, deadline=None)
@given(
    bounds=st.tuples(bound, bound, bound, bound),
    u=st.lists(unit, min_size=3, max_size=3),
    include_size=st.booleans(),
)
def test_any_feasible_bound_set_is_searched_only_inside(bounds, u, include_size):
    chosen = WeightBounds(*bounds)
    free = [b for name, b in zip(COMPONENTS, bounds, strict=True) if include_size or name != "size"]
    low_sum, high_sum = sum(b[0] for b in free), sum(b[1] for b in free)
    if low_sum > 1.0 + 1e-6 or high_sum < 1.0 - 1e-6:
        with pytest.raises(IcpError, match="No weights summing to 1 fit the bounds"):
            FeasibleWeights(chosen, include_size)
        return
    # sums within rounding of 1 (e.g. 0.6 + 0.2 + 0.2 = 0.9999999999999999) are accepted
    # by the tolerance; the property is checked where the feasible set has some room
    assume(low_sum < 1.0 - 1e-6 and high_sum > 1.0 + 1e-6)
    space = FeasibleWeights(chosen, include_size)
    assert space.contains(space.from_unit(u[: space.dimension]))


def test_grid_points_are_feasible_and_on_the_lattice():
    for include_size, count in ((False, None), (True, None)):
        space = FeasibleWeights(None, include_size)
        grid = space.grid(0.01)
        assert all(space.contains(w) for w in grid)
        np.testing.assert_allclose(grid * 100, np.round(grid * 100), atol=1e-9)
        assert len(np.unique(grid, axis=0)) == len(grid)
        del count
    # no size: vertical, adoption, relationship on a 0.05 lattice, summing to 1, by hand
    small = FeasibleWeights(None, include_size=False).grid(0.05)
    expected = {
        (v, 0, a, 20 - v - a) for v in range(2, 9) for a in range(2, 9) if 3 <= 20 - v - a <= 8
    }
    assert {tuple(int(x) for x in np.round(w * 20)) for w in small} == expected


def test_every_trial_of_a_run_is_feasible(sample_accounts):
    data = training_data(sample_accounts, SETTINGS)
    for include_size in (True, False):
        space = FeasibleWeights(None, include_size)
        study, evaluations = search_weights(data, SETTINGS, n_trials=15, space=space, seed=3)
        trials = study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))
        assert len(trials) > 15  # the refinement adds its accepted steps as trials
        assert evaluations > len(trials)  # and evaluates many more candidates
        for trial in trials:
            w = trial_weights(trial)
            assert space.contains(w), w
            assert trial.value == pytest.approx(
                evaluate_weights(data, w, 0.25, SETTINGS).objective, abs=1e-12
            )


def test_same_seed_same_result_other_seed_other_trials(sample_accounts):
    first = optimize_weights(sample_accounts, SETTINGS, seed=7, **QUICK)
    again = optimize_weights(sample_accounts, SETTINGS, seed=7, **QUICK)
    other = optimize_weights(sample_accounts, SETTINGS, seed=8, **QUICK)
    pd.testing.assert_frame_equal(first.history, again.history)
    assert first.weights == again.weights
    assert first.objective == again.objective
    assert not first.history.head(12).equals(other.history.head(12))


def test_result_matches_the_reference_objective_and_history(sample_accounts):
    result = optimize_weights(sample_accounts, SETTINGS, n_trials=12, folds=3, include_size=False)
    data = training_data(sample_accounts, SETTINGS)
    w = [getattr(result.weights, c) for c in COMPONENTS]
    reference = evaluate_weights(data, w, 0.25, SETTINGS)
    assert result.objective == pytest.approx(reference.objective, abs=1e-12)
    assert result.spearman == reference.spearman and result.kl == reference.kl
    assert result.weights.size == 0.0
    history = result.history
    assert list(history.columns) == list(HISTORY_COLUMNS)
    assert history["Best so far"].is_monotonic_decreasing
    assert history["Best so far"].iloc[-1] == pytest.approx(result.objective, abs=1e-12)
    assert set(history["Phase"]) == {"search", "refine"}
    assert len(result.fold_spearman) == 3
    assert result.out_of_sample_spearman == pytest.approx(np.mean(result.fold_spearman))
    assert 0.3 < result.out_of_sample_spearman < 1
    meta = result.metadata()
    for key in ("lambda_param", "n_trials", "best_objective_value", "include_size"):
        assert key in meta
    assert meta["n_trials"] == QUICK["n_trials"] == result.requested_trials  # as asked
    assert meta["study_trials"] == len(history) == result.n_trials  # search + refinement steps
    assert meta["include_size"] is False


def test_default_search_reaches_the_grid_optimum(sample_accounts):
    """Within 5e-4 of the best 0.005-grid point (no size: a small grid)."""
    data = training_data(sample_accounts, SETTINGS)
    space = FeasibleWeights(None, include_size=False)
    _, best, _ = grid_search(data, SETTINGS, space=space, step=0.005)
    result = optimize_weights(sample_accounts, SETTINGS, include_size=False, folds=0)
    assert result.objective <= best.objective + 5e-4


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lam": 1.2}, "Lambda must be between 0 and 1"),
        ({"lam": -0.01}, "Lambda must be between 0 and 1"),
        ({"bounds": WeightBounds(vertical=(0.5, 0.6), adoption=(0.4, 0.5))}, "No weights"),
        (
            {
                "bounds": WeightBounds(
                    vertical=(0.1, 0.3), adoption=(0.1, 0.3), relationship=(0.15, 0.3)
                ),
                "include_size": False,
            },
            "upper bounds to 0.9",
        ),
        ({"bounds": WeightBounds(size=(0.3, 0.2))}, "size weight bounds"),
        ({"n_trials": 0}, "at least 1"),
        ({"folds": 1}, "folds"),
        ({"storage": "x.log"}, "study name"),
        ({"sampler": "cmaes"}, "Unknown sampler"),
        ({"seed": -1}, "seed must be a whole number from 0 to 4,294,967,285, got -1"),
        ({"seed": MAX_SEED + 1}, "from 0 to 4,294,967,285, got 4294967286"),
        ({"seed": 2.5}, "seed must be a whole number"),
    ],
)
def test_clear_errors(sample_accounts, kwargs, message):
    with pytest.raises(IcpError, match=message):
        optimize_weights(sample_accounts, SETTINGS, **{**QUICK, **kwargs})


def test_largest_seed_runs_every_fold(sample_accounts):
    # fold k is seeded seed + k: the largest seed must still be a valid NumPy seed
    result = optimize_weights(
        sample_accounts, SETTINGS, n_trials=2, refine=False, folds=MAX_FOLDS, seed=MAX_SEED
    )
    assert result.seed == MAX_SEED and len(result.fold_spearman) == MAX_FOLDS


def test_training_set_errors(sample_raw):
    few = sample_raw.copy()
    few["Total Hardware + Consumable Revenue"] = np.where(
        np.arange(len(sample_raw)) < 30, 100.0, 0.0
    )
    with pytest.raises(IcpError, match="at least 50"):
        optimize_weights(prepare_accounts(few), SETTINGS, **QUICK)
    zero = sample_raw.copy()
    zero["Total Hardware + Consumable Revenue"] = 0
    with pytest.raises(IcpError, match="zero for every account"):
        optimize_weights(prepare_accounts(zero), SETTINGS, **QUICK)


def test_keyboard_interrupt_keeps_the_best_so_far(sample_accounts):
    calls = []

    def stop_after_five(phase, done, total, best):
        calls.append(best)
        if len(calls) == 5:
            raise KeyboardInterrupt

    result = optimize_weights(sample_accounts, SETTINGS, n_trials=50, progress=stop_after_five)
    assert result.interrupted
    assert result.n_trials == 5
    assert result.objective == pytest.approx(min(result.history["Objective"]), abs=1e-12)
    assert result.objective == pytest.approx(calls[-1], abs=1e-12)
    assert result.out_of_sample_spearman is None


def test_keyboard_interrupt_before_any_trial_propagates(sample_accounts):
    def stop(*_):
        raise KeyboardInterrupt

    data = training_data(sample_accounts, SETTINGS)
    with pytest.raises(KeyboardInterrupt):
        search_weights(data, SETTINGS, n_trials=5, progress=stop)


def test_shared_journal_study_keeps_its_budget(sample_accounts, tmp_path):
    # In a shared study --trials is the study-wide budget: a second worker joining a
    # study that already holds its 12 search trials adds none (intended since issue 16).
    journal = tmp_path / "study.log"
    first = optimize_weights(
        sample_accounts, SETTINGS, storage=str(journal), study_name="s", seed=1, **QUICK
    )
    second = optimize_weights(
        sample_accounts, SETTINGS, storage=f"journal:{journal}", study_name="s", seed=2, **QUICK
    )
    assert first.n_trials == second.n_trials == 12
    assert second.objective == first.objective
    assert first.shared_worker and first.out_of_sample_spearman is None
    study = optuna.load_study(study_name="s", storage=make_storage(str(journal)))
    assert len(study.trials) == 12


def test_cli_json_out_round_trips(sample_raw, tmp_path, capsys):
    source = tmp_path / "accounts.csv"
    sample_raw.to_csv(source, index=False)
    out = tmp_path / "optimized_weights.json"
    code = main(
        ["optimize", str(source), "--trials", "10", "--folds", "2", "--no-size",
         "--lambda", "0.4", "--seed", "5", "--json-out", str(out), "--quiet"]
    )  # fmt: skip
    assert code == 0
    weights, document = read_weights_json(out)
    assert weights.size == 0.0
    assert document["lambda_param"] == 0.4
    assert document["include_size"] is False
    assert document["seed"] == 5
    assert document["n_trials"] >= 10
    result = optimize_weights(
        prepare_accounts(sample_raw),
        SETTINGS,
        n_trials=10,
        folds=2,
        include_size=False,
        lam=0.4,
        seed=5,
    )
    assert weights == result.weights
    assert document["best_objective_value"] == pytest.approx(result.objective, abs=1e-15)
    assert "(mean of 2 folds)" in capsys.readouterr().out


def test_cli_errors(sample_raw, tmp_path, capsys):
    source = tmp_path / "accounts.csv"
    sample_raw.to_csv(source, index=False)
    assert main(["optimize", str(source), "--lambda", "2", "--quiet"]) == 1
    assert "Lambda must be between 0 and 1" in capsys.readouterr().err
    assert main(["optimize", str(source), "--apply", "--quiet"]) == 1
    assert "--apply needs an ICP workbook" in capsys.readouterr().err
    assert main(["optimize", str(source), "--study", "x", "--quiet"]) == 1
    assert "--study needs --storage" in capsys.readouterr().err
    assert main(["optimize", str(source), "--seed", "-1", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "The seed must be a whole number from 0 to 4,294,967,285, got -1" in err
    assert "Traceback" not in err and err.count("\n") == 1


def test_cli_checks_every_output_before_optimizing(sample_raw, tmp_path, capsys):
    from icp_xl.hosts.file.new_workbook import new_workbook

    workbook = tmp_path / "ICP.xlsx"
    new_workbook(workbook, sample_raw, overwrite=True)
    before = workbook.read_bytes()
    bad = {
        str(tmp_path / "missing" / "w.json"): f"Folder not found: {tmp_path / 'missing'}",
        str(tmp_path): f"{tmp_path} is a folder; give a file name to write",
    }
    for json_out, message in bad.items():
        args = ["optimize", str(workbook), "--trials", "5", "--folds", "0", "--apply"]
        assert main([*args, "--json-out", json_out]) == 1
        err = capsys.readouterr().err
        assert message in err, err
        assert "trial" not in err  # the error came before the progress bar started
        assert workbook.read_bytes() == before  # and before the workbook was rewritten


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes anywhere")
def test_cli_refuses_a_workbook_in_a_read_only_folder(sample_raw, tmp_path, capsys):
    from icp_xl.hosts.file.new_workbook import new_workbook

    folder = tmp_path / "locked"
    folder.mkdir()
    workbook = new_workbook(folder / "ICP.xlsx", sample_raw)
    folder.chmod(0o500)
    try:
        assert main(["optimize", str(workbook), "--trials", "100000", "--quiet"]) == 1
    finally:
        folder.chmod(0o700)
    assert f"Cannot write in {folder}" in capsys.readouterr().err


def test_optimization_blocks_layout(sample_accounts):
    result = optimize_weights(sample_accounts, SETTINGS, n_trials=10, folds=2)
    blocks = optimization_blocks(result)
    assert {b.sheet for b in blocks} == {OPTIMIZATION_SHEET}
    history = next(b for b in blocks if b.top_left == HISTORY_TOP)
    assert list(history.rows[0]) == list(HISTORY_COLUMNS)
    assert history.height == len(result.history) + 1
    assert history.rows[1][0] == result.history["Trial"].iloc[0]
    from icp_xl.core.inputs.cells import parse_cell

    for block in blocks:
        row, column = parse_cell(block.top_left)
        assert column + block.width - 1 <= 10, block.top_left  # columns A-J only
        if block is not history:
            assert row + block.height - 1 < parse_cell(HISTORY_TOP)[0]
    summary = {r[0]: r[1] for b in blocks if b.top_left == "A3" for r in b.rows}
    assert summary["Objective (lower is better)"] == result.objective
    assert summary["Out-of-sample Spearman (mean)"] == result.out_of_sample_spearman


def test_cli_on_an_icp_workbook(sample_raw, tmp_path, capsys):
    from icp_xl.hosts.file.book import FileBook
    from icp_xl.hosts.file.new_workbook import new_workbook
    from icp_xl.workbook import layout
    from icp_xl.workbook.actions import stored_trial_history

    source = tmp_path / "accounts.csv"
    sample_raw.to_csv(source, index=False)
    workbook = tmp_path / "ICP.xlsx"
    new_workbook(workbook, source, overwrite=True)
    book = FileBook.open(workbook)
    book.set_name("Optimizer_Seed", 2**32)  # the Settings sheet's seed cell, too large
    book.save()
    before = workbook.read_bytes()
    assert main(["optimize", str(workbook), "--trials", "10", "--quiet"]) == 1
    assert "seed must be a whole number from 0 to 4,294,967,285" in capsys.readouterr().err
    assert workbook.read_bytes() == before
    code = main(["optimize", str(workbook), "--trials", "10", "--folds", "2", "--apply", "--quiet",
                 "--seed", "42"])  # fmt: skip
    assert code == 0
    book = FileBook.open(workbook, for_writing=False)
    optimized = {c: book.read_name(layout.OPTIMIZED_WEIGHT_NAMES[c]) for c in COMPONENTS}
    current = {c: book.read_name(layout.WEIGHT_NAMES[c]) for c in COMPONENTS}
    assert optimized == pytest.approx(current)
    assert sum(optimized.values()) == pytest.approx(1.0)
    history = stored_trial_history(book)
    assert history is not None and len(history) >= 10
    assert list(history.columns) == list(HISTORY_COLUMNS)
    assert book.read_name("Opt_Trials") == 10  # the trials asked for, not the study's count


def test_cli_on_an_accounts_xlsx(sample_raw, tmp_path):
    source = tmp_path / "accounts.xlsx"
    sample_raw.to_excel(source, index=False, sheet_name="Accounts")
    out = tmp_path / "w.json"
    assert main(["optimize", str(source), "--trials", "5", "--folds", "0", "--quiet",
                 "--json-out", str(out)]) == 0  # fmt: skip
    weights, document = read_weights_json(out)
    assert document["n_trials"] >= 5 and abs(weights.total - 1) < 1e-9
    assert main(["optimize", str(source), "--apply", "--quiet"]) == 1  # not an ICP workbook


def test_cli_apply_never_says_nothing_was_applied(sample_raw, tmp_path, capsys):
    """``optimize --apply`` applies and rescores, so neither the preview title nor the
    status lines may say that nothing is applied or that a rescore is still needed."""
    from icp_xl.hosts.file.new_workbook import new_workbook

    workbook = new_workbook(tmp_path / "ICP.xlsx", sample_raw)
    args = ["optimize", str(workbook), "--trials", "3", "--folds", "0", "--quiet"]
    assert main(args) == 0
    shown = capsys.readouterr()
    assert "not applied: add --apply" in shown.out
    # a Relative workbook: figures the ranks fix are said once, not listed as results
    assert "Average ICP score" not in shown.out and "High-value accounts" not in shown.out
    assert "(Relative mode: the average (50), high-value count and grade shares" in shown.out
    assert "Spearman with target" in shown.out
    assert main([*args, "--apply"]) == 0
    shown = capsys.readouterr()
    said = shown.out + shown.err
    assert "applying them and rescoring now" in shown.out
    assert "nothing applied" not in said and "not applied" not in said
    assert "Rescore to apply" not in said
    assert "they are now the current weights" in shown.err
