"""Benchmark the weight optimizer against the seed's approach and an exhaustive grid.

One run, same data (sample accounts), for each mode (with size / no size):

(a) seed: Optuna TPE, 5,000 trials, each weight suggested independently in
    [0, 1]; a trial is discarded (pruned) unless the weights already sum to
    about 1 (|sum - 1| <= 1e-3 without size; 0.95-1.05 with size, then
    normalized) and meet the business bounds; the objective is the plain
    reference implementation (pandas grades, scipy Spearman), as the seed ran it;
(b) ours: :func:`icp_xl.studies.optimize.optimize_weights` at default settings (also
    timed without the k-fold validation, i.e. the search alone);
(c) grid: every feasible weight vector on a 0.005 lattice, vectorized.

Prints a table: objective reached, gap to the grid optimum, wall time, speed
ratio. ``--sweep`` instead measures, over several data sets and sampler seeds,
how close each sampler gets to the grid optimum for a number of trials, with and
without the refinement: the evidence for the default sampler and trial count.
``--storages`` measures the per-trial cost of a shared study on each storage
(journal file, SQLite, PostgreSQL) next to in memory, with SQL statements and
commits per trial, and the wall time of 1, 2 and 4 worker processes sharing one
budget (PostgreSQL URL from ``--postgres`` or ICP_XL_STORAGE, else a throwaway
local cluster from tests/support/pg_cluster.py).
Usage::

    python benchmarks/bench_optimize.py [--accounts 3000] [--data-seed 2026]
        [--seed-trials 5000] [--mode both|size|nosize]
    python benchmarks/bench_optimize.py --sweep [--data-seeds 11 12 13 14 15]
    python benchmarks/bench_optimize.py --storages [--trials 200] [--postgres URL]
"""

from __future__ import annotations

import argparse
import time
import warnings
from itertools import product

import numpy as np
import pandas as pd

from icp_xl.core.inputs.accounts import prepare_accounts
from icp_xl.core.inputs.sample import make_sample_accounts
from icp_xl.core.model.settings import COMPONENTS, Settings
from icp_xl.core.optimization.defaults import DEFAULT_LAMBDA, SAMPLERS
from icp_xl.core.optimization.objective import TrainingData, evaluate_weights, training_data
from icp_xl.core.optimization.search import grid_search, search_weights
from icp_xl.core.optimization.space import FeasibleWeights
from icp_xl.studies.optimize import optimize_weights


def seed_approach(
    data: TrainingData, settings: Settings, include_size: bool, n_trials: int, seed: int
) -> tuple[float, int, int]:
    """The seed's search; returns (best objective or NaN when every trial was discarded,
    trials whose weights summed to about 1, trials also inside the business bounds)."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    space = FeasibleWeights(None, include_size)

    def objective(trial: optuna.Trial) -> float:
        w = np.array(
            [
                trial.suggest_float(name, 0.0, 1.0) if include_size or name != "size" else 0.0
                for name in COMPONENTS
            ]
        )
        total = w.sum()
        if include_size:
            if not 0.95 <= total <= 1.05:
                raise optuna.TrialPruned()
            w = w / total
        elif abs(total - 1.0) > 1e-3:
            raise optuna.TrialPruned()
        trial.set_user_attr("sum_ok", True)
        if not space.contains(w, tolerance=1e-3):
            raise optuna.TrialPruned()
        return evaluate_weights(data, w, DEFAULT_LAMBDA, settings).objective

    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed))
    study.optimize(objective, n_trials=n_trials)
    kept = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    summed = sum(1 for t in study.trials if t.user_attrs.get("sum_ok"))
    return (min(t.value for t in kept) if kept else float("nan")), summed, len(kept)


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    value = function(*args, **kwargs)
    return value, time.perf_counter() - start


def sweep(
    n_accounts: int, data_seeds: list[int], trial_counts: list[int], run_seeds: list[int]
) -> None:
    """Worst and mean gap to the grid optimum per mode, sampler, trials and refinement."""
    settings = Settings()
    rows = []
    for data_seed in data_seeds:
        data = training_data(
            prepare_accounts(make_sample_accounts(n_accounts, data_seed)), settings
        )
        for include_size in (True, False):
            space = FeasibleWeights(None, include_size)
            _, best, _ = grid_search(data, settings, space=space)
            for sampler, n_trials, refine, seed in product(
                SAMPLERS, trial_counts, (False, True), run_seeds
            ):
                (study, evaluations), seconds = timed(
                    search_weights,
                    data,
                    settings,
                    n_trials=n_trials,
                    space=space,
                    sampler=sampler,
                    seed=seed,
                    refine=refine,
                )
                rows.append(
                    ("size" if include_size else "no size", sampler, n_trials, refine,
                     study.best_value - best.objective, seconds, evaluations)
                )  # fmt: skip
    frame = pd.DataFrame(
        rows, columns=["mode", "sampler", "trials", "refine", "gap", "seconds", "evaluations"]
    )
    table = frame.groupby(["mode", "refine", "sampler", "trials"]).agg(
        worst_gap=("gap", "max"),
        mean_gap=("gap", "mean"),
        seconds=("seconds", "mean"),
        evaluations=("evaluations", "mean"),
    )
    print(
        f"gap = best objective - grid optimum (0.005 step); {len(data_seeds)} data sets x "
        f"{len(run_seeds)} seeds of {n_accounts:,} accounts"
    )
    print(table.to_string(float_format=lambda v: f"{v:.2e}"))


def _count_sql() -> dict[str, int]:
    """Counters of SQL statements and commits of every SQLAlchemy engine from now on."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    counts = {"statements": 0, "commits": 0}

    def statement(*_):
        counts["statements"] += 1

    def commit(*_):
        counts["commits"] += 1

    event.listen(Engine, "before_cursor_execute", statement)
    event.listen(Engine, "commit", commit)
    return counts


def _workers_wall_time(source: str, storage: str, workers: int, trials: int) -> float:
    """Wall seconds for ``workers`` processes to fill a study budget of ``trials``."""
    import os
    import subprocess
    import sys
    import uuid

    study = f"bench-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "ICP_XL_STORAGE": storage, "PYTHONWARNINGS": "ignore"}
    command = [sys.executable, "-m", "icp_xl", "optimize", source, "--study", study,
               "--trials", str(trials), "--folds", "0", "--quiet"]  # fmt: skip
    start = time.perf_counter()
    processes = [
        subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for _ in range(workers)
    ]
    for process in processes:
        _, err = process.communicate()
        if process.returncode != 0:
            raise SystemExit(err.decode())
    return time.perf_counter() - start


def storages(n_accounts: int, trials: int, postgres: str | None) -> None:
    """Per-trial cost of each storage next to in memory, one worker in this process; then
    1, 2, 4 worker processes sharing a budget (wall time includes ~1-2 s start-up each)."""
    import os
    import shutil
    import sys
    import tempfile
    import uuid
    from pathlib import Path

    cluster = None
    if postgres is None and not os.environ.get("ICP_XL_STORAGE"):
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        from tests.support.pg_cluster import Cluster

        cluster = Cluster.start()
        postgres = cluster.url()
    postgres = postgres or os.environ["ICP_XL_STORAGE"]
    folder = Path(tempfile.mkdtemp(prefix="icp-bench-"))
    settings = Settings()
    raw = make_sample_accounts(n_accounts, 2026)
    accounts = prepare_accounts(raw)
    source = folder / "accounts.csv"
    raw.to_csv(source, index=False)
    counts = _count_sql()
    kinds = {
        "in memory": None,
        "journal file": str(folder / "study.journal"),
        "SQLite": f"sqlite:///{folder / 'study.db'}",
        "PostgreSQL": postgres,
    }
    try:
        print(f"{n_accounts:,} sample accounts, one worker, {trials} search trials (folds 0)")
        print(f"{'storage':14} {'s/trial':>9} {'overhead':>9} {'x memory':>9} "
              f"{'SQL/trial':>10} {'commits/trial':>14}")  # fmt: skip
        base = None
        for name, storage in kinds.items():
            options = {"n_trials": trials, "folds": 0}
            if storage is not None:
                # open the study first so table creation is not timed
                optimize_weights(accounts, settings, storage=storage, study_name="warm-up",
                                 n_trials=1, folds=0)  # fmt: skip
                options.update(storage=storage, study_name=f"b-{uuid.uuid4().hex[:8]}")
            else:
                options["refine"] = False  # a worker of a shared study does not refine
            counts.update(statements=0, commits=0)
            _, seconds = timed(optimize_weights, accounts, settings, **options)
            per_trial = seconds / trials
            base = per_trial if base is None else base
            print(
                f"{name:14} {per_trial * 1000:8.1f}ms {(per_trial - base) * 1000:8.1f}ms "
                f"{per_trial / base:8.1f}x {counts['statements'] / trials:10.1f} "
                f"{counts['commits'] / trials:14.1f}"
            )
        print(f"\nWorker processes sharing one budget of {trials * 2} trials on PostgreSQL "
              "(wall seconds, including start-up):")  # fmt: skip
        for workers in (1, 2, 4):
            wall = _workers_wall_time(str(source), postgres, workers, trials * 2)
            print(f"  {workers} worker(s): {wall:6.1f} s")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        if cluster is not None:
            cluster.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=3000)
    parser.add_argument("--data-seed", type=int, default=2026)
    parser.add_argument("--seed-trials", type=int, default=5000)
    parser.add_argument("--mode", choices=("both", "size", "nosize"), default="both")
    parser.add_argument("--sweep", action="store_true", help="sampler / trial-count sweep")
    parser.add_argument("--data-seeds", type=int, nargs="+", default=[11, 12, 13, 14, 15])
    parser.add_argument("--trial-counts", type=int, nargs="+", default=[10, 20, 40, 80, 160])
    parser.add_argument("--storages", action="store_true", help="per-trial cost per storage")
    parser.add_argument("--trials", type=int, default=200, help="trials for --storages")
    parser.add_argument("--postgres", help="PostgreSQL URL for --storages")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    if args.storages:
        storages(args.accounts, args.trials, args.postgres)
        return
    if args.sweep:
        sweep(args.accounts, args.data_seeds, args.trial_counts, [1, 2, 3])
        return

    settings = Settings()
    accounts = prepare_accounts(make_sample_accounts(args.accounts, args.data_seed))
    data = training_data(accounts, settings)
    modes = {"both": (True, False), "size": (True,), "nosize": (False,)}[args.mode]
    print(
        f"{args.accounts:,} sample accounts (data seed {args.data_seed}), "
        f"{len(data):,} training accounts, lambda {DEFAULT_LAMBDA}"
    )
    header = f"{'mode':8} {'method':40} {'objective':>10} {'gap to grid':>12} {'time s':>8}"
    print(header)
    print("-" * len(header))
    for include_size in modes:
        mode = "size" if include_size else "no size"
        space = FeasibleWeights(None, include_size)
        (grid_w, grid_eval, points), grid_s = timed(grid_search, data, settings, space=space)
        (seed_value, summed, kept), seed_s = timed(
            seed_approach, data, settings, include_size, args.seed_trials, 0
        )
        ours, ours_s = timed(optimize_weights, accounts, settings, include_size=include_size)
        search, search_s = timed(
            optimize_weights, accounts, settings, include_size=include_size, folds=0
        )
        rows = [
            (f"grid 0.005 ({points:,} points)", grid_eval.objective, grid_s),
            (f"seed TPE {args.seed_trials:,} ({summed} sum~1, {kept} kept)", seed_value, seed_s),
            (f"ours default ({ours.evaluations} evals + 5-fold)", ours.objective, ours_s),
            ("ours, search only (no validation)", search.objective, search_s),
        ]
        for name, value, seconds in rows:
            gap = value - grid_eval.objective
            print(f"{mode:8} {name:40} {value:10.5f} {gap:12.2e} {seconds:8.2f}")
        print(
            f"{mode:8} speed ratio seed/ours: {seed_s / ours_s:.0f}x "
            f"(search only {seed_s / search_s:.0f}x); ours - grid = "
            f"{ours.objective - grid_eval.objective:.2e} (bar 5e-4); seed - ours = "
            + (
                f"{seed_value - ours.objective:.2e} (>= 0 expected)"
                if np.isfinite(seed_value)
                else "n/a (the seed approach kept no trial)"
            )
            + "; grid weights "
            f"{np.round(grid_w, 3).tolist()}, ours "
            f"{np.round(list(ours.weights.as_dict().values()), 4).tolist()}, "
            f"Spearman {ours.spearman:.4f}, out-of-sample {ours.out_of_sample_spearman:.4f}"
        )


if __name__ == "__main__":
    main()
