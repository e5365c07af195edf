"""The weight search: Optuna proposes feasible weights (:class:`FeasibleWeights` maps the unit
cube onto them), then a deterministic pattern search refines the best few (pairwise weight
transfers, step halving). Every trial and every accepted refinement step is a completed
trial of one Optuna study, so the study is the run's history. In a shared study
(:class:`~icp_xl.core.optimization.sharing.SharedStudy`) each worker adds search trials
until the study holds the budget."""

from __future__ import annotations

import contextlib
import math
import os
import socket
import sys
import warnings
from collections.abc import Callable
from itertools import permutations
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from icp_xl.core.errors import IcpError
from icp_xl.core.model.settings import COMPONENTS, Settings
from icp_xl.core.optimization.defaults import (
    DEFAULT_LAMBDA,
    DEFAULT_SAMPLER,
    DEFAULT_SEED,
    DEFAULT_TRIALS,
    SAMPLERS,
)
from icp_xl.core.optimization.interrupts import check_stop, stop_on_signals
from icp_xl.core.optimization.objective import BatchObjective, Evaluation, TrainingData
from icp_xl.core.optimization.sharing import SharedStudy, StorageUnavailable
from icp_xl.core.optimization.space import FEASIBILITY_TOLERANCE, FeasibleWeights

REFINE_START_STEP = 0.02
REFINE_MIN_STEP = 0.0005
REFINE_STARTS = 3
PARAM_SUFFIX = " position"
"""Optuna parameter names: "<component> position" = where that weight sits in the range
still feasible given the weights before it (0 lowest, 1 highest); the last free weight
is what remains."""
RESULT_ATTR = "result"
"""Trial user attribute: weights, Spearman, KL, phase and worker in one write."""
HISTORY_COLUMNS: tuple[str, ...] = ("Trial", "Objective", "Best so far", *COMPONENTS, "Phase")

Progress = Callable[[str, int, int, float], None]
"""``progress(phase, done, total, best objective so far)``, called after each trial
("search", done of total trials) and each refinement start ("refine"); during
validation the phase is prefixed with "fold i/k ". It may raise KeyboardInterrupt."""


def make_sampler(name: str, seed: int | None) -> Any:
    """The Optuna sampler called ``name`` (one of :data:`SAMPLERS`), seeded."""
    import optuna

    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed, multivariate=True, n_startup_trials=20)
    if name == "qmc":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return optuna.samplers.QMCSampler(qmc_type="sobol", scramble=True, seed=seed)
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    raise IcpError(f"Unknown sampler '{name}'; choose one of {', '.join(SAMPLERS)}")


class SearchWorker:
    """One search on one training set: Optuna phase, then refinement, into one study
    (``shared``: a study other workers add to as well)."""

    def __init__(
        self,
        objective: BatchObjective,
        space: FeasibleWeights,
        study: Any,
        progress: Progress | None,
        phase_prefix: str = "",
        shared: SharedStudy | None = None,
    ):
        import optuna

        self.optuna = optuna
        self.objective = objective
        self.space = space
        self.study = study
        self.progress = progress
        self.prefix = phase_prefix
        self.shared = shared
        self.distributions = {
            f"{COMPONENTS[i]}{PARAM_SUFFIX}": optuna.distributions.FloatDistribution(0.0, 1.0)
            for i in space.free[:-1]
        }
        self.local: list[tuple[int, np.ndarray, Evaluation, str]] = []
        """This worker's completed trials (number, weights, evaluation, phase): the best
        so far when the storage is lost."""

    def _report(self, phase: str, done: int, total: int, best: float) -> None:
        if self.progress is not None:
            self.progress(self.prefix + phase, done, total, best)

    def search(self, n_trials: int) -> None:
        """``n_trials`` trials of this run, or in a shared study trials until the study
        holds ``n_trials`` search trials (from every worker). Ctrl-C and SIGTERM stop it
        between two trials (:func:`check_stop`)."""
        best = math.inf
        done = 0
        shared = self.shared
        if shared is not None:
            shared.check_stale(self.study, force=True)
            if shared.budget_used(self.study) >= n_trials and not shared.has_waiting(self.study):
                return
        taken_over = shared.taken_over() if shared is not None else ()
        while shared is not None or done < n_trials:
            check_stop()
            with warnings.catch_warnings():
                if shared is not None:
                    shared.check_stale(self.study)
                # Optuna warns that heartbeats are meant for Study.optimize; ours beat in ask.
                warnings.simplefilter("ignore", UserWarning)
                try:
                    trial = self.study.ask(self.distributions)
                    if shared is not None:
                        shared.heartbeat(self.study, trial)
                        inside, full = shared.claim(self.study, trial, n_trials)
                        if not inside:  # another worker took the last slot first
                            if shared.has_waiting(self.study):
                                continue
                            return
                    evaluation = self._evaluate_and_tell(trial)
                except taken_over:
                    # another worker failed this trial as stale (this one was slow, e.g.
                    # while the storage was down) and queued it again: go on without it
                    continue
            done += 1
            best = min(best, evaluation.objective)
            self._report("search", done, n_trials, best)
            if shared is not None and full and not shared.has_waiting(self.study):
                return

    def _evaluate_and_tell(self, trial: Any) -> Evaluation:
        told = False
        try:
            u = [trial.params[name] for name in self.distributions]
            w = self.space.from_unit(u)
            evaluation = self.objective.one(w)
            result = {RESULT_ATTR: _result_attr(w, evaluation, "search")}
            told = self._tell(trial, evaluation.objective, result)
            if not told:  # another worker failed it as stale and queued it again
                return evaluation
        except BaseException:
            if not told and not isinstance(sys.exc_info()[1], StorageUnavailable):
                self._release(trial)
            raise
        self.local.append((trial.number, w, evaluation, "search"))
        return evaluation

    def _tell(self, trial: Any, value: float, attributes: dict[str, Any]) -> bool:
        if self.shared is not None:
            return self.shared.tell(self.study, trial, value, attributes)
        for key, attribute in attributes.items():
            trial.set_user_attr(key, attribute)
        self.study.tell(trial, value)
        return True

    def _release(self, trial: Any) -> None:
        if self.shared is not None:
            self.shared.release(self.study, trial)
            return
        with contextlib.suppress(ValueError, RuntimeError):  # already finished
            self.study.tell(trial, state=self.optuna.trial.TrialState.FAIL)

    def refine(self, starts: int = REFINE_STARTS) -> None:
        """Pattern search from the ``starts`` best distinct trials of the study; Ctrl-C and
        SIGTERM stop it between two steps."""
        seeds = _best_weights(self.study, starts)
        best = min((f for _, f in seeds), default=math.inf)
        for index, (w, f) in enumerate(seeds, start=1):
            best = min(best, self._pattern_search(w, f))
            self._report("refine", index, len(seeds), best)

    def _pattern_search(self, w: np.ndarray, f: float) -> float:
        step = REFINE_START_STEP
        pairs = list(permutations(self.space.free, 2))
        while step >= REFINE_MIN_STEP:
            check_stop()
            candidates = []
            for gain, loss in pairs:
                delta = min(
                    step, self.space.upper[gain] - w[gain], w[loss] - self.space.lower[loss]
                )
                if delta > FEASIBILITY_TOLERANCE:
                    moved = w.copy()
                    moved[gain] += delta
                    moved[loss] -= delta
                    candidates.append(moved)
            if not candidates:
                break
            batch = self.objective(np.array(candidates))
            k = int(np.argmin(batch.objective))
            if batch.objective[k] < f - 1e-12:
                w, f = candidates[k], float(batch.objective[k])
                self._record(w, batch.at(k))
            else:
                step /= 2.0
        return f

    def _record(self, w: np.ndarray, evaluation: Evaluation) -> None:
        """Add an accepted refinement step to the study as a completed trial."""
        attrs = {RESULT_ATTR: _result_attr(w, evaluation, "refine")}
        self.local.append((-1, w, evaluation, "refine"))
        params = dict(zip(self.distributions, self.space.to_unit(w), strict=True))
        self.study.add_trial(
            self.optuna.trial.create_trial(
                params={k: float(v) for k, v in params.items()},
                distributions=self.distributions,
                value=evaluation.objective,
                user_attrs=attrs,
            )
        )


def _result_attr(w: np.ndarray, e: Evaluation, phase: str) -> dict[str, Any]:
    """A trial's one user attribute: its weights, Spearman, KL, phase and worker."""
    return {
        **{name: float(value) for name, value in zip(COMPONENTS, w, strict=True)},
        "spearman": float(e.spearman),
        "kl": float(e.kl),
        "phase": phase,
        "worker": default_worker(),  # who ran it, in a shared study
    }


def default_worker() -> str:
    """This process as a worker name: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def trial_weights(trial: Any) -> np.ndarray:
    """The weights (vertical, size, adoption, relationship) of a completed trial."""
    result = trial.user_attrs[RESULT_ATTR]
    return np.array([result[name] for name in COMPONENTS], dtype=float)


def _completed(study: Any) -> list[Any]:
    import optuna

    trials = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    return sorted(
        (t for t in trials if isinstance(t.user_attrs.get(RESULT_ATTR), dict)),
        key=lambda t: t.number,
    )


def _best_weights(study: Any, count: int) -> list[tuple[np.ndarray, float]]:
    """The ``count`` best completed trials with distinct weights, best first."""
    chosen: list[tuple[np.ndarray, float]] = []
    for trial in sorted(_completed(study), key=lambda t: (t.value, t.number)):
        w = trial_weights(trial)
        if all(np.abs(w - other).max() > 1e-6 for other, _ in chosen):
            chosen.append((w, float(trial.value)))
        if len(chosen) == count:
            break
    return chosen


def trial_history(study: Any) -> pd.DataFrame:
    """One row per completed trial of ``study``, in trial order: :data:`HISTORY_COLUMNS`."""
    trials = _completed(study)
    return history_frame(
        [t.number for t in trials],
        [t.value for t in trials],
        [trial_weights(t) for t in trials],
        [t.user_attrs[RESULT_ATTR].get("phase", "search") for t in trials],
    )


def history_frame(
    numbers: list[int], values: list[float], weights: list[np.ndarray], phases: list[str]
) -> pd.DataFrame:
    objective = np.array(values, dtype=float)
    matrix = np.array(weights, dtype=float).reshape(len(weights), len(COMPONENTS))
    frame = pd.DataFrame(
        {
            "Trial": numbers,
            "Objective": objective,
            "Best so far": np.minimum.accumulate(objective) if len(objective) else objective,
            **{name: matrix[:, i] for i, name in enumerate(COMPONENTS)},
            "Phase": phases,
        }
    )
    return frame[list(HISTORY_COLUMNS)]


def new_study(sampler: Any) -> Any:
    """A new in-memory Optuna study that minimizes, with ``sampler``."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna.create_study(sampler=sampler, direction="minimize")


class SearchRun(NamedTuple):
    """The study of a search and how many objective evaluations it made."""

    study: Any
    evaluations: int


@stop_on_signals()
def search_weights(
    data: TrainingData,
    settings: Settings,
    *,
    lam: float = DEFAULT_LAMBDA,
    n_trials: int = DEFAULT_TRIALS,
    space: FeasibleWeights | None = None,
    seed: int | None = DEFAULT_SEED,
    sampler: str = DEFAULT_SAMPLER,
    refine: bool = True,
    study: Any = None,
    progress: Progress | None = None,
    phase_prefix: str = "",
    objective: BatchObjective | None = None,
) -> SearchRun:
    """Run the Optuna phase (``n_trials`` feasible trials) and the refinement on ``data``
    in ``study`` (a new in-memory one if None). Every trial and every accepted refinement
    step is a completed trial of the study. Stops early, keeping the study, on
    KeyboardInterrupt (Ctrl-C, acted on between trials and refinement steps) — which it
    re-raises so the caller can tell. ``objective``: an
    existing :class:`BatchObjective` on ``data`` and ``lam`` (its evaluation counter
    keeps counting)."""
    if n_trials < 1:
        raise IcpError(f"The number of trials must be at least 1, got {n_trials}")
    space = space or FeasibleWeights()
    objective = objective or BatchObjective(data, lam, settings)
    if study is None:
        study = new_study(make_sampler(sampler, seed))
    run = SearchWorker(objective, space, study, progress, phase_prefix)
    run.search(n_trials)
    if refine:
        run.refine()
    return SearchRun(study, objective.evaluations)


def grid_search(
    data: TrainingData,
    settings: Settings,
    *,
    lam: float = DEFAULT_LAMBDA,
    space: FeasibleWeights | None = None,
    step: float = 0.005,
    progress: Progress | None = None,
) -> tuple[np.ndarray, Evaluation, int]:
    """Exhaustive search over :meth:`FeasibleWeights.grid`; returns (best weights, its
    evaluation, number of grid points). For benchmarks: the best achievable on the grid."""
    space = space or FeasibleWeights()
    objective = BatchObjective(data, lam, settings)
    points = space.grid(step)
    best_value, best_index = math.inf, -1
    block = 4096
    for start in range(0, len(points), block):
        values = objective(points[start : start + block]).objective
        k = int(np.argmin(values))
        if values[k] < best_value:
            best_value, best_index = float(values[k]), start + k
        if progress is not None:
            progress("grid", min(start + block, len(points)), len(points), best_value)
    return points[best_index], objective.one(points[best_index]), len(points)
