"""Weight optimization: a feasible-only Optuna search plus a local refinement.

The search space is the bounded simplex of feasible weights — weights summing to 1 with
vertical, size, adoption in [0.10, 0.40] and relationship in [0.15, 0.40]
(size locked at 0 in no-size mode). :class:`FeasibleWeights` maps the unit cube
onto it one-to-one, so every Optuna trial is a feasible weight vector: no trial
is wasted, unlike the seed, which discarded almost all of its 5,000 trials.

:func:`optimize_weights` runs the search on a population of accounts:

1. Optuna (:data:`DEFAULT_SAMPLER`, seeded) proposes ``n_trials`` points;
2. a deterministic pattern search refines the best few (pairwise weight
   transfers, step halving), each accepted step recorded as a trial too;
3. k-fold cross-validation re-runs 1-2 on k-1 folds and measures the Spearman
   correlation on the held-out fold (the out-of-sample figure).

With ``storage`` (an Optuna RDB URL such as ``postgresql://...``/``sqlite:///...``,
or a journal file path) and ``study_name``, several workers share one study
(:mod:`icp_xl.core.studies`): each adds search trials until the study holds its
trial budget; ``report=True`` then refines and validates the study's best once.
Ctrl-C (KeyboardInterrupt) stops the run and returns the best trial so far.
"""

from __future__ import annotations

import math
import os
import socket
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import permutations
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from icp_xl.core.accounts import Accounts
from icp_xl.core.errors import IcpError
from icp_xl.core.objective import (
    BatchObjective,
    Evaluation,
    TrainingData,
    check_lambda,
    combined_scores,
    evaluate_weights,
    spearman,
    training_data,
)
from icp_xl.core.optimizer_defaults import (
    DEFAULT_FOLDS,
    DEFAULT_GRACE_SECONDS,
    DEFAULT_LAMBDA,
    DEFAULT_SAMPLER,
    DEFAULT_SEED,
    DEFAULT_TRIALS,
    MAX_FOLDS,
    MAX_SEED,
    SAMPLERS,
)
from icp_xl.core.settings import COMPONENTS, Settings, Weights
from icp_xl.core.studies import (
    OVER_BUDGET_ATTR,
    RESULT_ATTR,
    RETRY_SECONDS,
    StorageUnavailable,
    budget_slot,
    budget_used,
    data_fingerprint,
    deferred_interrupts,
    fail_stale_trials,
    has_waiting,
    join_study,
    open_storage,
    release_trial,
    reset_stop,
    study_config,
    tell_unless_failed,
    with_retries,
    worker_seed,
)

REFINE_START_STEP = 0.02
REFINE_MIN_STEP = 0.0005
REFINE_STARTS = 3
PARAM_SUFFIX = " position"
"""Optuna parameter names: "<component> position" = where that weight sits in the range
still feasible given the weights before it (0 lowest, 1 highest); the last free weight
is what remains."""
_FEASIBILITY_TOLERANCE = 1e-9
HISTORY_COLUMNS: tuple[str, ...] = ("Trial", "Objective", "Best so far", *COMPONENTS, "Phase")

Progress = Callable[[str, int, int, float], None]
"""``progress(phase, done, total, best objective so far)``, called after each trial
("search", done of total trials) and each refinement start ("refine"); during
validation the phase is prefixed with "fold i/k ". It may raise KeyboardInterrupt."""


@dataclass(frozen=True)
class WeightBounds:
    """Business bounds (lower, upper) per weight, applied after normalizing to sum 1."""

    vertical: tuple[float, float] = (0.10, 0.40)
    size: tuple[float, float] = (0.10, 0.40)
    adoption: tuple[float, float] = (0.10, 0.40)
    relationship: tuple[float, float] = (0.15, 0.40)

    def as_dict(self) -> dict[str, list[float]]:
        """``{"vertical": [lower, upper], ...}`` for metadata."""
        return {name: list(getattr(self, name)) for name in COMPONENTS}


class FeasibleWeights:
    """The feasible weight set: 4-vectors summing to 1 inside the bounds (size = 0 when
    ``include_size`` is false), and a one-to-one map onto it from the unit cube.

    The map fixes the free weights one at a time in component order: each takes
    the fraction ``u_i`` of the interval still feasible given those before it; the
    last free weight is what remains. So ``dimension`` = free weights - 1.
    Raises IcpError if a bound is outside [0, 1], reversed, or no weights fit.
    """

    def __init__(self, bounds: WeightBounds | None = None, include_size: bool = True):
        bounds = bounds or WeightBounds()
        self.bounds = bounds
        self.include_size = include_size
        lower, upper = [], []
        for name in COMPONENTS:
            low, high = (float(v) for v in getattr(bounds, name))
            if not (0.0 <= low <= high <= 1.0):
                raise IcpError(
                    f"The {name} weight bounds must satisfy 0 <= lower <= upper <= 1, "
                    f"got [{low:g}, {high:g}]"
                )
            if name == "size" and not include_size:
                low = high = 0.0
            lower.append(low)
            upper.append(high)
        self.lower = np.array(lower)
        self.upper = np.array(upper)
        self.free = tuple(i for i, name in enumerate(COMPONENTS) if include_size or name != "size")
        low_sum, high_sum = self.lower.sum(), self.upper.sum()
        if low_sum > 1.0 + _FEASIBILITY_TOLERANCE or high_sum < 1.0 - _FEASIBILITY_TOLERANCE:
            shown = ", ".join(
                f"{COMPONENTS[i]} [{self.lower[i]:g}, {self.upper[i]:g}]" for i in self.free
            )
            raise IcpError(
                f"No weights summing to 1 fit the bounds ({shown}"
                f"{'' if include_size else ', size 0'}): the lower bounds sum to "
                f"{low_sum:g} and the upper bounds to {high_sum:g}"
            )

    @property
    def dimension(self) -> int:
        """Number of unit-cube parameters (free weights minus one)."""
        return len(self.free) - 1

    def from_unit(self, u: Sequence[float]) -> np.ndarray:
        """Map ``u`` in [0, 1]^dimension to feasible weights (vertical, size, adoption,
        relationship)."""
        if len(u) != self.dimension:
            raise ValueError(f"expected {self.dimension} unit parameters, got {len(u)}")
        w = self.lower.copy()
        remaining = 1.0
        for k, i in enumerate(self.free[:-1]):
            low, high = self._interval(k, remaining)
            w[i] = low + min(max(float(u[k]), 0.0), 1.0) * (high - low)
            remaining -= w[i]
        last = self.free[-1]
        w[last] = min(max(remaining, self.lower[last]), self.upper[last])
        return w

    def to_unit(self, w: Sequence[float]) -> np.ndarray:
        """Inverse of :meth:`from_unit` for a feasible ``w`` (0 where an interval is a point)."""
        u = np.zeros(self.dimension)
        remaining = 1.0
        for k, i in enumerate(self.free[:-1]):
            low, high = self._interval(k, remaining)
            u[k] = 0.0 if high - low <= 0 else min(max((w[i] - low) / (high - low), 0.0), 1.0)
            remaining -= w[i]
        return u

    def _interval(self, k: int, remaining: float) -> tuple[float, float]:
        """Feasible range of the k-th free weight given ``remaining`` = 1 - earlier weights."""
        i, later = self.free[k], list(self.free[k + 1 :])
        low = max(self.lower[i], remaining - self.upper[later].sum())
        high = min(self.upper[i], remaining - self.lower[later].sum())
        return low, max(low, high)

    def contains(self, w: Sequence[float], tolerance: float = _FEASIBILITY_TOLERANCE) -> bool:
        """True when ``w`` sums to 1 and lies inside the bounds (within ``tolerance``)."""
        w = np.asarray(w, dtype=float)
        return bool(
            abs(w.sum() - 1.0) <= tolerance
            and np.all(w >= self.lower - tolerance)
            and np.all(w <= self.upper + tolerance)
        )

    def grid(self, step: float) -> np.ndarray:
        """Every feasible weight vector whose weights are multiples of ``step`` (1/step an
        integer, e.g. 0.005): an (m, 4) array, for exhaustive search."""
        units = round(1.0 / step)
        if not math.isclose(units * step, 1.0):
            raise ValueError("1/step must be an integer")
        low = np.ceil(self.lower * units - 1e-9).astype(int)
        high = np.floor(self.upper * units + 1e-9).astype(int)
        axes = [np.arange(low[i], high[i] + 1) for i in self.free[:-1]]
        mesh = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, len(axes))
        last_value = units - mesh.sum(axis=1)
        last = self.free[-1]
        keep = (last_value >= low[last]) & (last_value <= high[last])
        counts = np.zeros((int(keep.sum()), len(COMPONENTS)), dtype=int)
        counts[:, list(self.free[:-1])] = mesh[keep]
        counts[:, last] = last_value[keep]
        return counts / units


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


def make_storage(
    url: str | None, grace: int = DEFAULT_GRACE_SECONDS, storage_wait: float = RETRY_SECONDS
) -> Any:
    """An Optuna storage for ``url``: None (in memory), a database URL
    (``postgresql://user@host/db``, with or without a driver suffix, or
    ``sqlite:///icp.db``) or a journal file path (optionally written ``journal:PATH``),
    which several processes can share. See :func:`icp_xl.core.studies.open_storage`."""
    return open_storage(url, grace, storage_wait)


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


class _Run:
    """One search on one training set: Optuna phase, then refinement, into one study."""

    def __init__(
        self,
        objective: BatchObjective,
        space: FeasibleWeights,
        study: Any,
        progress: Progress | None,
        phase_prefix: str = "",
        shared: SharedWork | None = None,
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
        holds ``n_trials`` search trials (from every worker)."""
        best = math.inf
        done = 0
        shared = self.shared
        if shared is not None:
            with deferred_interrupts():  # a storage write is never cut in half
                shared.check_stale(self.study, force=True)
                if budget_used(self.study) >= n_trials and not has_waiting(self.study):
                    return
        while shared is not None or done < n_trials:
            with deferred_interrupts(), warnings.catch_warnings():  # no trial left RUNNING
                if shared is not None:
                    shared.check_stale(self.study)
                # Optuna warns that heartbeats are meant for Study.optimize; ours beat in ask.
                warnings.simplefilter("ignore", UserWarning)
                trial = self.study.ask(self.distributions)
                if shared is not None:
                    shared.heartbeat(self.study, trial)
                    inside, full = budget_slot(self.study, trial, n_trials)
                    if not inside:  # another worker took the last slot first
                        self.study._storage.set_trial_system_attr(
                            trial._trial_id, OVER_BUDGET_ATTR, True
                        )
                        self.study.tell(trial, state=self.optuna.trial.TrialState.PRUNED)
                        if has_waiting(self.study):
                            continue
                        return
                evaluation = self._evaluate_and_tell(trial)
            done += 1
            best = min(best, evaluation.objective)
            self._report("search", done, n_trials, best)
            if shared is not None and full:
                with deferred_interrupts():
                    if not has_waiting(self.study):
                        return

    def _evaluate_and_tell(self, trial: Any) -> Evaluation:
        told = False
        try:
            u = [trial.params[name] for name in self.distributions]
            w = self.space.from_unit(u)
            evaluation = self.objective.one(w)
            result = {RESULT_ATTR: _result_attr(w, evaluation, "search")}
            told = tell_unless_failed(self.study, trial, evaluation.objective, result)
            if not told:  # another worker failed it as stale and queued it again
                return evaluation
        except BaseException:
            if not told and not isinstance(sys.exc_info()[1], StorageUnavailable):
                release_trial(self.study, trial, retry=self.shared is not None)
            raise
        self.local.append((trial.number, w, evaluation, "search"))
        return evaluation

    def refine(self, starts: int = REFINE_STARTS) -> None:
        """Pattern search from the ``starts`` best distinct trials of the study."""
        seeds = _best_weights(self.study, starts)
        best = min((f for _, f in seeds), default=math.inf)
        for index, (w, f) in enumerate(seeds, start=1):
            best = min(best, self._pattern_search(w, f))
            self._report("refine", index, len(seeds), best)

    def _pattern_search(self, w: np.ndarray, f: float) -> float:
        step = REFINE_START_STEP
        pairs = list(permutations(self.space.free, 2))
        while step >= REFINE_MIN_STEP:
            candidates = []
            for gain, loss in pairs:
                delta = min(
                    step, self.space.upper[gain] - w[gain], w[loss] - self.space.lower[loss]
                )
                if delta > _FEASIBILITY_TOLERANCE:
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
    return _history_frame(
        [t.number for t in trials],
        [t.value for t in trials],
        [trial_weights(t) for t in trials],
        [t.user_attrs[RESULT_ATTR].get("phase", "search") for t in trials],
    )


def _history_frame(
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


def _retry_races(create: Callable[[], Any], attempts: int = 4) -> Any:
    """Call ``create``; retry a database error (workers starting together race to create
    the same tables or study), after a short pause."""
    for attempt in range(1, attempts + 1):
        try:
            return create()
        except Exception as error:
            if attempt == attempts or not type(error).__module__.startswith("sqlalchemy"):
                raise
            time.sleep(0.3 * attempt)
    raise AssertionError("unreachable")


def _new_study(storage: Any, study_name: str | None, sampler: Any) -> Any:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        return _retry_races(
            lambda: optuna.create_study(
                storage=storage,
                study_name=study_name,
                sampler=sampler,
                direction="minimize",
                load_if_exists=study_name is not None,
            )
        )
    except ValueError as error:
        raise IcpError(f"Cannot open the Optuna study: {error}") from None


def _shared_study(storage: Any, study_name: str, sampler: Any, report: bool) -> tuple[Any, bool]:
    """(the study called ``study_name`` in ``storage``, True if this call created it).
    ``report``: the study must exist."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)

    def load() -> Any:
        return optuna.load_study(study_name=study_name, storage=storage, sampler=sampler)

    if report:
        try:
            return _retry_races(load), False
        except KeyError:
            raise IcpError(
                f"Study '{study_name}' does not exist in this storage; run the workers first "
                "(icp-xl optimize ... --storage ... --study NAME)"
            ) from None
    try:
        study = optuna.create_study(
            storage=storage, study_name=study_name, sampler=sampler, direction="minimize"
        )
        return study, True
    except optuna.exceptions.DuplicatedStudyError:
        return _retry_races(load), False
    except Exception as error:
        if type(error).__module__.startswith("sqlalchemy"):  # racing creators
            return _retry_races(load), False
        raise


@dataclass
class SharedWork:
    """How a worker of a shared study looks after the others: every ``grace``/3 seconds
    it fails (and queues again) trials whose worker stopped answering ``grace`` s ago."""

    grace: int = DEFAULT_GRACE_SECONDS
    last_check: float = -math.inf

    def check_stale(self, study: Any, force: bool = False) -> None:
        """Fail stale trials of dead workers, at most every ``grace``/3 s unless ``force``."""
        now = time.monotonic()
        if force or now - self.last_check >= max(1.0, self.grace / 3):
            self.last_check = now
            fail_stale_trials(study, self.grace)

    @staticmethod
    def heartbeat(study: Any, trial: Any) -> None:
        """Record that this worker is alive and evaluating ``trial`` (database storages)."""
        storage = study._storage
        interval = getattr(storage, "get_heartbeat_interval", lambda: None)()
        if interval is not None:
            storage.record_heartbeat(trial._trial_id)


class SearchRun(NamedTuple):
    """The study of a search and how many objective evaluations it made."""

    study: Any
    evaluations: int


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
    KeyboardInterrupt — which it re-raises so the caller can tell. ``objective``: an
    existing :class:`BatchObjective` on ``data`` and ``lam`` (its evaluation counter
    keeps counting)."""
    if n_trials < 1:
        raise IcpError(f"The number of trials must be at least 1, got {n_trials}")
    space = space or FeasibleWeights()
    objective = objective or BatchObjective(data, lam, settings)
    if study is None:
        study = _new_study(None, None, make_sampler(sampler, seed))
    run = _Run(objective, space, study, progress, phase_prefix)
    run.search(n_trials)
    if refine:
        run.refine()
    return SearchRun(study, objective.evaluations)


def fold_indices(n: int, folds: int, seed: int | None) -> list[np.ndarray]:
    """Split positions 0..n-1 into ``folds`` shuffled, near-equal held-out sets."""
    order = np.random.default_rng(seed).permutation(n)
    return [np.sort(part) for part in np.array_split(order, folds)]


def cross_validate(
    data: TrainingData,
    settings: Settings,
    *,
    folds: int = DEFAULT_FOLDS,
    progress: Progress | None = None,
    **search: Any,
) -> tuple[float, ...]:
    """Out-of-sample Spearman per fold: optimize on the other folds with
    :func:`search_weights` (``search`` = its keyword arguments), then correlate
    the held-out accounts' ``s = X·w`` with their target."""
    results = []
    seed = search.pop("seed", DEFAULT_SEED)
    for k, held_out in enumerate(fold_indices(len(data), folds, seed), start=1):
        keep = np.setdiff1d(np.arange(len(data)), held_out)
        study, _ = search_weights(
            data.subset(keep),
            settings,
            seed=None if seed is None else seed + k,
            progress=progress,
            phase_prefix=f"fold {k}/{folds} ",
            **search,
        )
        w = trial_weights(study.best_trial)
        test = data.subset(held_out)
        results.append(spearman(combined_scores(test.components, w), test.target))
    return tuple(results)


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
    storage: str | None = None,
    study_name: str | None = None,
    progress: Progress | None = None,
    worker: str | None = None,
    report: bool = False,
    grace: int = DEFAULT_GRACE_SECONDS,
    storage_wait: float = RETRY_SECONDS,
) -> OptimizationResult:
    """Optimize the four scoring weights on ``accounts`` (training set: target > 0;
    components scored over the whole population with ``settings``).

    ``n_trials`` Optuna trials (all feasible) then, if ``refine``, the local
    refinement; ``folds`` >= 2 runs k-fold validation for the out-of-sample
    Spearman (0 skips it). Same inputs and ``seed`` give the same result.

    ``storage``/``study_name`` make this run a worker of a shared study (see
    :func:`make_storage`): ``n_trials`` is then the study-wide budget — the worker adds
    search trials until the study holds that many, from all workers — its sampler seed
    is derived from ``seed``, the study and ``worker`` (default ``host:pid``), and it
    neither refines nor validates. ``report=True`` adds no search trial: it refines
    from the study's best and validates once, for the final result. Every worker must
    match the study's configuration (IcpError saying what differs). A trial whose
    worker fell silent for ``grace`` seconds is failed and retried by another worker.
    A storage that stops answering is retried with back-off for ``storage_wait`` seconds.

    On KeyboardInterrupt returns the best trial so far with ``interrupted=True``
    (re-raises if none finished); when the storage is lost for good, returns the best
    this worker saw with ``stop_reason`` set. Raises IcpError for fewer than 50
    training accounts, an all-zero target, infeasible ``bounds``, λ outside [0, 1], a
    seed outside 0 to :data:`MAX_SEED`, or a bad storage.
    """
    lam = check_lambda(lam)
    seed = check_seed(seed)
    space = FeasibleWeights(bounds, include_size)
    if folds == 1 or not 0 <= folds <= MAX_FOLDS:
        raise IcpError(f"Validation needs 2 to {MAX_FOLDS} folds (or 0 to skip), got {folds}")
    if storage is not None and not study_name:
        raise IcpError("A shared Optuna storage needs a study name (--study)")
    if report and storage is None:
        raise IcpError("A report reads a shared study: give the storage and the study name")
    if n_trials < 1:
        raise IcpError(f"The number of trials must be at least 1, got {n_trials}")
    reset_stop()
    data = training_data(accounts, settings)
    search = {"lam": lam, "n_trials": n_trials, "space": space, "sampler": sampler}
    objective = BatchObjective(data, lam, settings)
    shared = None
    if storage is None:
        study = _new_study(None, None, make_sampler(sampler, seed))
    else:
        assert study_name is not None
        shared = SharedWork(grace)
        seed = worker_seed(seed, study_name, "report" if report else (worker or default_worker()),
                           MAX_SEED)  # fmt: skip
        with deferred_interrupts():  # creating the study is never cut in half
            study, created = _shared_study(
                make_storage(storage, grace, storage_wait),
                study_name,
                make_sampler(sampler, seed),
                report,
            )
            config = study_config(
                include_size=include_size, bounds=space.bounds.as_dict(), lam=lam,
                target_shares=dict(settings.grade_shares), folds=folds, n_trials=n_trials,
                sampler=sampler, data=data_fingerprint(data.components, data.target),
                training_accounts=len(data),
            )  # fmt: skip
            join_study(study, created, config)
    run = _Run(objective, space, study, progress, shared=shared)
    interrupted = False
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
    except KeyboardInterrupt:
        interrupted = True
    except StorageUnavailable as error:
        interrupted, stop_reason = True, str(error)
    try:
        with deferred_interrupts():
            history = with_retries(lambda: trial_history(study), storage or "", 5.0)
    except StorageUnavailable as error:
        stop_reason = stop_reason or str(error)
        history = _history_frame(
            [n for n, _, _, _ in run.local],
            [e.objective for _, _, e, _ in run.local],
            [w for _, w, _, _ in run.local],
            [phase for _, _, _, phase in run.local],
        )
    if history.empty:
        if interrupted and stop_reason is None:
            raise KeyboardInterrupt
        raise IcpError(stop_reason or "No trial completed; nothing to report")
    best = history.loc[history["Objective"].idxmin(), list(COMPONENTS)].to_numpy(dtype=float)
    evaluation = evaluate_weights(data, best, lam, settings)
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
        study_name=study_name,
        target_shares=dict(settings.grade_shares),
        stop_reason=stop_reason,
        shared_worker=shared is not None and not report,
        requested_trials=n_trials,
    )


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
