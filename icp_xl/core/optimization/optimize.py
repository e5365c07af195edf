"""Optimize the four scoring weights on a population of accounts.

1. Optuna (:data:`DEFAULT_SAMPLER`, seeded) proposes ``n_trials`` feasible points;
2. a deterministic pattern search refines the best few, each accepted step recorded as a
   trial too (:mod:`icp_xl.core.optimization.search`);
3. k-fold cross-validation re-runs 1-2 on k-1 folds and measures the Spearman correlation
   on the held-out fold (:mod:`icp_xl.core.optimization.validation`).

Given a :class:`~icp_xl.core.optimization.sharing.SharedStudy`, the run is one worker of a
study several workers share. Ctrl-C (KeyboardInterrupt) and SIGTERM stop the run between
two trials or refinement steps and return the best trial so far
(:mod:`icp_xl.core.optimization.interrupts`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from icp_xl.core.errors import IcpError
from icp_xl.core.inputs.accounts import Accounts
from icp_xl.core.model.settings import COMPONENTS, Settings, Weights
from icp_xl.core.optimization.defaults import (
    DEFAULT_FOLDS,
    DEFAULT_LAMBDA,
    DEFAULT_SAMPLER,
    DEFAULT_SEED,
    DEFAULT_TRIALS,
    MAX_FOLDS,
    MAX_SEED,
)
from icp_xl.core.optimization.interrupts import check_stop, stop_on_signals
from icp_xl.core.optimization.objective import (
    BatchObjective,
    check_lambda,
    evaluate_weights,
    training_data,
)
from icp_xl.core.optimization.search import (
    HISTORY_COLUMNS,
    Progress,
    SearchWorker,
    history_frame,
    make_sampler,
    new_study,
    trial_history,
)
from icp_xl.core.optimization.sharing import SharedStudy, StorageUnavailable, StudyFacts
from icp_xl.core.optimization.space import FeasibleWeights, WeightBounds
from icp_xl.core.optimization.validation import cross_validate

__all__ = ["HISTORY_COLUMNS", "OptimizationResult", "check_seed", "optimize_weights"]


@dataclass(frozen=True)
class OptimizationResult:
    """What an optimization run found.

    ``weights``: best feasible weights; ``objective``, ``spearman``, ``kl`` and
    ``grade_shares`` (fractions, F..A): the optimization objective and its parts at
    those weights on the training set; ``out_of_sample_spearman``: mean Spearman
    on held-out folds (None when validation was skipped or interrupted) and
    ``fold_spearman`` per fold; ``history``: one row per completed trial of the
    study (:data:`HISTORY_COLUMNS`); ``n_trials``: completed trials in the study
    (Optuna trials and accepted refinement steps, from every worker of a shared study);
    ``evaluations``: objective evaluations this run made on the full training set;
    ``interrupted``: the run was stopped by Ctrl-C (best so far returned).
    """

    weights: Weights
    objective: float
    spearman: float
    kl: float
    grade_shares: dict[str, float]
    out_of_sample_spearman: float | None
    fold_spearman: tuple[float, ...]
    history: pd.DataFrame
    n_trials: int
    interrupted: bool
    lam: float
    include_size: bool
    seed: int | None
    sampler: str
    training_accounts: int
    evaluations: int = 0
    bounds: WeightBounds = field(default_factory=WeightBounds)
    study_name: str | None = None
    target_shares: dict[str, float] = field(default_factory=dict)
    stop_reason: str | None = None
    """One sentence when the run stopped because the shared storage was lost for good."""
    shared_worker: bool = False
    """A worker of a shared study: neither refined nor validated (``report`` does that)."""
    requested_trials: int = 0  # the search trials asked for (n_trials counts the study's)
    target_columns: tuple[str, ...] = ()  # account fields summed into the target; () = default

    def metadata(self) -> dict[str, Any]:
        """The seed JSON's keys (``lambda_param``, ``n_trials``, ``best_objective_value``,
        ``include_size``) plus the validation figures and the settings used."""
        return {
            "lambda_param": self.lam,
            "n_trials": self.requested_trials or self.n_trials,
            "study_trials": self.n_trials,
            "best_objective_value": self.objective,
            "include_size": self.include_size,
            "spearman": self.spearman,
            "kl_divergence": self.kl,
            "grade_shares": dict(self.grade_shares),
            "target_grade_shares": dict(self.target_shares),
            "out_of_sample_spearman": self.out_of_sample_spearman,
            "holdout_spearman": self.out_of_sample_spearman,
            "fold_spearman": list(self.fold_spearman),
            "training_accounts": self.training_accounts,
            "evaluations": self.evaluations,
            "seed": self.seed,
            "sampler": self.sampler,
            "bounds": self.bounds.as_dict(),
            "study_name": self.study_name,
            "interrupted": self.interrupted,
        }


def check_seed(seed: Any) -> int | None:
    """``seed`` as an int, or None (a random seed); raises IcpError unless it is a whole
    number from 0 to :data:`MAX_SEED`."""
    if seed is None:
        return None
    if isinstance(seed, float) and seed.is_integer():
        seed = int(seed)
    if (
        isinstance(seed, bool)
        or not isinstance(seed, int | np.integer)
        or not (0 <= seed <= MAX_SEED)
    ):
        raise IcpError(f"The seed must be a whole number from 0 to {MAX_SEED:,}, got {seed!r}")
    return int(seed)


@stop_on_signals()
def optimize_weights(
    accounts: Accounts,
    settings: Settings,
    *,
    n_trials: int = DEFAULT_TRIALS,
    lam: float = DEFAULT_LAMBDA,
    include_size: bool = True,
    seed: int | None = DEFAULT_SEED,
    bounds: WeightBounds | None = None,
    sampler: str = DEFAULT_SAMPLER,
    refine: bool = True,
    folds: int = DEFAULT_FOLDS,
    progress: Progress | None = None,
    shared: SharedStudy | None = None,
    zero_targets: bool = False,
) -> OptimizationResult:
    """Optimize the four scoring weights on ``accounts`` (training set: target > 0;
    components scored over the whole population with ``settings``).

    ``n_trials`` Optuna trials (all feasible) then, if ``refine``, the local
    refinement; ``folds`` >= 2 runs k-fold validation for the out-of-sample
    Spearman (0 skips it). Same inputs and ``seed`` give the same result.

    ``shared`` makes this run a worker of a shared study (:mod:`icp_xl.studies` opens
    one): ``n_trials`` is then the study-wide budget — the worker adds search trials until
    the study holds that many, from all workers — its sampler seed is derived from
    ``seed``, and it neither refines nor validates; a ``shared.report`` worker adds no
    search trial: it refines from the study's best and validates once, for the final
    result.

    ``zero_targets``: train on every account with a known target, zeros included (a won
    flag or won amount, see :mod:`icp_xl.core.model.won_target`).

    On KeyboardInterrupt (Ctrl-C, SIGTERM as the caller handles it, a ``progress`` that
    raises it) returns the best trial so far with ``interrupted=True`` (re-raises if none
    finished); when the storage is lost for good, returns the best
    this worker saw with ``stop_reason`` set. Raises IcpError for fewer than 50
    training accounts, an all-zero target, infeasible ``bounds``, λ outside [0, 1], a
    seed outside 0 to :data:`MAX_SEED`, or a study whose configuration differs.
    """
    lam = check_lambda(lam)
    seed = check_seed(seed)
    space = FeasibleWeights(bounds, include_size)
    if folds == 1 or not 0 <= folds <= MAX_FOLDS:
        raise IcpError(f"Validation needs 2 to {MAX_FOLDS} folds (or 0 to skip), got {folds}")
    if n_trials < 1:
        raise IcpError(f"The number of trials must be at least 1, got {n_trials}")
    data = training_data(accounts, settings, zero_targets)
    search = {"lam": lam, "n_trials": n_trials, "space": space, "sampler": sampler}
    objective = BatchObjective(data, lam, settings)
    report = shared is not None and shared.report
    if shared is None:
        study = new_study(make_sampler(sampler, seed))
    else:
        seed = shared.worker_seed(seed)
        facts = StudyFacts(
            include_size=include_size, bounds=space.bounds.as_dict(), lam=lam,
            target_shares=dict(settings.grade_shares), folds=folds, n_trials=n_trials,
            sampler=sampler, components=data.components, target=data.target,
        )  # fmt: skip
        study = shared.open(make_sampler(sampler, seed), facts)
    run = SearchWorker(objective, space, study, progress, shared=shared)
    interrupted = False
    stopped: KeyboardInterrupt | None = None  # Ctrl-C, or the CLI's Terminated for SIGTERM
    stop_reason = None
    fold_rho: tuple[float, ...] = ()
    try:
        if not report:
            run.search(n_trials)
        if refine and (shared is None or report):
            run.refine()
        if folds and (shared is None or report):
            fold_rho = cross_validate(
                data, settings, folds=folds, seed=seed, refine=refine, progress=progress, **search
            )
    except KeyboardInterrupt as error:
        interrupted, stopped = True, error
    except StorageUnavailable as error:
        interrupted, stop_reason = True, str(error)
    try:
        history = (
            trial_history(study) if shared is None else shared.read(lambda: trial_history(study))
        )
    except StorageUnavailable as error:
        stop_reason = stop_reason or str(error)
        history = history_frame(
            [n for n, _, _, _ in run.local],
            [e.objective for _, _, e, _ in run.local],
            [w for _, w, _, _ in run.local],
            [phase for _, _, _, phase in run.local],
        )
    if history.empty:
        if interrupted and stop_reason is None:
            raise stopped or KeyboardInterrupt()
        raise IcpError(stop_reason or "No trial completed; nothing to report")
    best = history.loc[history["Objective"].idxmin(), list(COMPONENTS)].to_numpy(dtype=float)
    evaluation = evaluate_weights(data, best, lam, settings)
    if not interrupted:
        try:
            check_stop()  # a stop that came after the last trial or step: the run is done
        except KeyboardInterrupt:
            interrupted = True
    return OptimizationResult(
        weights=Weights(**dict(zip(COMPONENTS, (float(v) for v in best), strict=True))),
        objective=evaluation.objective,
        spearman=evaluation.spearman,
        kl=evaluation.kl,
        grade_shares=evaluation.shares,
        out_of_sample_spearman=float(np.mean(fold_rho)) if fold_rho else None,
        fold_spearman=fold_rho,
        history=history,
        n_trials=len(history),
        evaluations=objective.evaluations,
        interrupted=interrupted,
        lam=lam,
        include_size=include_size,
        seed=seed,
        sampler=sampler,
        training_accounts=len(data),
        bounds=space.bounds,
        study_name=None if shared is None else shared.name,
        target_shares=dict(settings.grade_shares),
        stop_reason=stop_reason,
        shared_worker=shared is not None and not report,
        requested_trials=n_trials,
    )
