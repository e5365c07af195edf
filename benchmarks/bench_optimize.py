"""Benchmark the weight optimizer against the seed's approach and an exhaustive grid.

One run, same data (sample accounts), for each mode (with size / no size):

(a) seed: Optuna TPE, 5,000 trials, each weight suggested independently in
    [0, 1]; a trial is discarded (pruned) unless the weights already sum to
    about 1 (|sum - 1| <= 1e-3 without size; 0.95-1.05 with size, then
    normalized) and meet the business bounds; the objective is the plain
    reference implementation (pandas grades, scipy Spearman), as the seed ran it;
(b) ours: :func:`icp_xl.core.optimize.optimize_weights` at default settings (also
    timed without the k-fold validation, i.e. the search alone);
(c) grid: every feasible weight vector on a 0.005 lattice, vectorized.

Prints a table: objective reached, gap to the grid optimum, wall time, speed
ratio. ``--sweep`` instead measures, over several data sets and sampler seeds,
how close each sampler gets to the grid optimum for a number of trials, with and
without the refinement: the evidence for the default sampler and trial count.
Usage::

    python benchmarks/bench_optimize.py [--accounts 3000] [--data-seed 2026]
        [--seed-trials 5000] [--mode both|size|nosize]
    python benchmarks/bench_optimize.py --sweep [--data-seeds 11 12 13 14 15]
"""

from __future__ import annotations

import argparse
import time
import warnings
from itertools import product

import numpy as np
import pandas as pd

from icp_xl.core.accounts import prepare_accounts
from icp_xl.core.objective import TrainingData, evaluate_weights, training_data
from icp_xl.core.optimize import FeasibleWeights, grid_search, optimize_weights, search_weights
from icp_xl.core.optimizer_defaults import DEFAULT_LAMBDA, SAMPLERS
from icp_xl.core.sample import make_sample_accounts
from icp_xl.core.settings import COMPONENTS, Settings


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=3000)
    parser.add_argument("--data-seed", type=int, default=2026)
    parser.add_argument("--seed-trials", type=int, default=5000)
    parser.add_argument("--mode", choices=("both", "size", "nosize"), default="both")
    parser.add_argument("--sweep", action="store_true", help="sampler / trial-count sweep")
    parser.add_argument("--data-seeds", type=int, nargs="+", default=[11, 12, 13, 14, 15])
    parser.add_argument("--trial-counts", type=int, nargs="+", default=[10, 20, 40, 80, 160])
    args = parser.parse_args()
    warnings.simplefilter("ignore")
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
