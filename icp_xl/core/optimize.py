"""Weight optimization (SPEC §6): a feasible-only Optuna search plus a local refinement.

The search space is the bounded simplex of SPEC §6 — weights summing to 1 with
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
or a journal file path) and ``study_name``, several processes share one study:
each adds its trials, and each finishes from the best trial of the whole study.
Ctrl-C (KeyboardInterrupt) stops the run and returns the best trial so far.
"""

from __future__ import annotations

import math
import os
import socket
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import permutations
from pathlib import Path
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
    DEFAULT_LAMBDA,
    DEFAULT_SAMPLER,
    DEFAULT_SEED,
    DEFAULT_TRIALS,
    MAX_FOLDS,
    MAX_SEED,
    SAMPLERS,
)
from icp_xl.core.settings import COMPONENTS, Settings, Weights

REFINE_START_STEP = 0.02
REFINE_MIN_STEP = 0.0005
REFINE_STARTS = 3
PARAM_PREFIX = "u"
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
    ``grade_shares`` (fractions, F..A): the SPEC §6 objective and its parts at
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

    def metadata(self) -> dict[str, Any]:
        """The seed JSON's keys (``lambda_param``, ``n_trials``, ``best_objective_value``,
        ``include_size``) plus the validation figures and the settings used."""
        return {
            "lambda_param": self.lam,
            "n_trials": self.n_trials,
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


def make_storage(url: str | None) -> Any:
    """An Optuna storage for ``url``: None (in memory), an RDB URL (``scheme://...``, e.g.
    ``postgresql://user@host/db`` or ``sqlite:///icp.db``) or a journal file path
    (optionally written ``journal:PATH``), which several processes can share."""
    if url is None:
        return None
    import optuna

    if "://" in url:
        # SQLite: wait for the file lock (workers write concurrently) instead of failing.
        connect = {"timeout": 60} if url.startswith("sqlite") else {}
        try:
            return _retry_races(
                lambda: optuna.storages.RDBStorage(url, engine_kwargs={"connect_args": connect})
            )
        except ImportError as error:
            raise IcpError(
                f"The Optuna storage needs a database driver ({error}); for PostgreSQL: "
                "pip install psycopg2-binary"
            ) from None
        except Exception as error:
            raise IcpError(f"Cannot open the Optuna storage {url}: {error}") from None

    path = Path(url.removeprefix("journal:")).expanduser()
    if not path.parent.is_dir():
        raise IcpError(f"The folder of the journal file {path} does not exist")
    backend = optuna.storages.journal.JournalFileBackend(str(path))
    return optuna.storages.JournalStorage(backend)


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
    ):
        import optuna

        self.optuna = optuna
        self.objective = objective
        self.space = space
        self.study = study
        self.progress = progress
        self.prefix = phase_prefix
        self.distributions = {
            f"{PARAM_PREFIX}{k}": optuna.distributions.FloatDistribution(0.0, 1.0)
            for k in range(space.dimension)
        }

    def _report(self, phase: str, done: int, total: int, best: float) -> None:
        if self.progress is not None:
            self.progress(self.prefix + phase, done, total, best)

    def search(self, n_trials: int) -> None:
        best = math.inf
        for done in range(1, n_trials + 1):
            trial = self.study.ask(self.distributions)
            try:
                u = [trial.params[name] for name in self.distributions]
                w = self.space.from_unit(u)
                evaluation = self.objective.one(w)
                _set_attrs(trial.set_user_attr, w, evaluation, "search")
                self.study.tell(trial, evaluation.objective)
            except BaseException:
                self.study.tell(trial, state=self.optuna.trial.TrialState.FAIL)
                raise
            best = min(best, evaluation.objective)
            self._report("search", done, n_trials, best)

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
        attrs: dict[str, Any] = {}
        _set_attrs(attrs.__setitem__, w, evaluation, "refine")
        params = dict(zip(self.distributions, self.space.to_unit(w), strict=True))
        self.study.add_trial(
            self.optuna.trial.create_trial(
                params={k: float(v) for k, v in params.items()},
                distributions=self.distributions,
                value=evaluation.objective,
                user_attrs=attrs,
            )
        )


def _set_attrs(setter: Callable[[str, Any], None], w: np.ndarray, e: Evaluation, phase: str):
    for name, value in zip(COMPONENTS, w, strict=True):
        setter(name, float(value))
    setter("spearman", e.spearman)
    setter("kl", e.kl)
    setter("phase", phase)
    setter("worker", f"{socket.gethostname()}:{os.getpid()}")  # who ran it, in a shared study


def _completed(study: Any) -> list[Any]:
    import optuna

    trials = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    return sorted(
        (t for t in trials if all(name in t.user_attrs for name in COMPONENTS)),
        key=lambda t: t.number,
    )


def _best_weights(study: Any, count: int) -> list[tuple[np.ndarray, float]]:
    """The ``count`` best completed trials with distinct weights, best first."""
    chosen: list[tuple[np.ndarray, float]] = []
    for trial in sorted(_completed(study), key=lambda t: (t.value, t.number)):
        w = np.array([trial.user_attrs[name] for name in COMPONENTS])
        if all(np.abs(w - other).max() > 1e-6 for other, _ in chosen):
            chosen.append((w, float(trial.value)))
        if len(chosen) == count:
            break
    return chosen


def trial_history(study: Any) -> pd.DataFrame:
    """One row per completed trial of ``study``, in trial order: :data:`HISTORY_COLUMNS`."""
    trials = _completed(study)
    values = np.array([t.value for t in trials], dtype=float)
    frame = pd.DataFrame(
        {
            "Trial": [t.number for t in trials],
            "Objective": values,
            "Best so far": np.minimum.accumulate(values) if len(values) else values,
            **{name: [t.user_attrs[name] for t in trials] for name in COMPONENTS},
            "Phase": [t.user_attrs.get("phase", "search") for t in trials],
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
        w = np.array([study.best_trial.user_attrs[name] for name in COMPONENTS])
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
) -> OptimizationResult:
    """Optimize the weights of SPEC §6 on ``accounts`` (training set: target > 0;
    components scored over the whole population with ``settings``).

    ``n_trials`` Optuna trials (all feasible) then, if ``refine``, the local
    refinement; ``folds`` >= 2 runs k-fold validation for the out-of-sample
    Spearman (0 skips it). ``storage``/``study_name`` share one Optuna study
    between processes (see :func:`make_storage`). Same inputs and ``seed`` give
    the same result when the study is not shared. On KeyboardInterrupt returns
    the best trial so far with ``interrupted=True`` (re-raises if none finished).
    Raises IcpError for fewer than 50 training accounts, an all-zero target,
    infeasible ``bounds``, λ outside [0, 1], a seed outside 0 to :data:`MAX_SEED`,
    or a bad storage.
    """
    lam = check_lambda(lam)
    seed = check_seed(seed)
    space = FeasibleWeights(bounds, include_size)
    if folds == 1 or not 0 <= folds <= MAX_FOLDS:
        raise IcpError(f"Validation needs 2 to {MAX_FOLDS} folds (or 0 to skip), got {folds}")
    if storage is not None and not study_name:
        raise IcpError("A shared Optuna storage needs a study name (--study)")
    data = training_data(accounts, settings)
    study = _new_study(make_storage(storage), study_name, make_sampler(sampler, seed))
    search = {"lam": lam, "n_trials": n_trials, "space": space, "sampler": sampler}
    objective = BatchObjective(data, lam, settings)
    interrupted = False
    fold_rho: tuple[float, ...] = ()
    try:
        search_weights(
            data,
            settings,
            seed=seed,
            refine=refine,
            study=study,
            progress=progress,
            objective=objective,
            **search,
        )
        if folds:
            fold_rho = cross_validate(
                data, settings, folds=folds, seed=seed, refine=refine, progress=progress, **search
            )
    except KeyboardInterrupt:
        interrupted = True
        if not _completed(study):
            raise
    (best, _), *_ = _best_weights(study, 1)
    evaluation = evaluate_weights(data, best, lam, settings)
    history = trial_history(study)
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
