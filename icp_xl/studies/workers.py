"""A worker of a shared Optuna study: :class:`SharedOptunaStudy` is what the core's optimizer
calls (:class:`~icp_xl.core.optimization.sharing.SharedStudy`).

* **Dead workers**: heartbeats (PostgreSQL/SQLite) and trial start times (every storage) let
  :func:`fail_stale_trials` fail the trial of a worker that stopped answering for ``grace``
  seconds and queue it again (a WAITING retry).
* **Configuration**: :func:`study_config` is what every worker of a study must share (mode,
  bounds, λ, target shares, folds, trial budget, sampler, a fingerprint of the training
  data); :func:`join_study` stores it in the new study and refuses a worker that differs,
  saying what differs.
* **Budget and seeds**: :func:`budget_slot` keeps the study-wide trial budget exact whatever
  the number of workers; :func:`worker_seed` gives each worker its own seed.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from icp_xl.core.errors import IcpError
from icp_xl.core.optimization.defaults import DEFAULT_GRACE_SECONDS, MAX_SEED
from icp_xl.core.optimization.interrupts import check_stop
from icp_xl.core.optimization.search import RESULT_ATTR
from icp_xl.core.optimization.sharing import StudyFacts
from icp_xl.studies.connections import finished_trial_error, retry_callback, with_retries

CONFIG_ATTR = "icp-xl configuration"
"""Study user attribute: the configuration every worker must share."""
OVER_BUDGET_ATTR = "over_budget"
CONFIG_WAIT_SECONDS = 15.0


def fail_stale_trials(study: Any, grace: int = DEFAULT_GRACE_SECONDS) -> int:
    """Fail the RUNNING trials of workers that stopped answering and queue each again
    (a WAITING copy with the same parameters, up to :data:`MAX_RETRIES_PER_TRIAL`).

    A trial is stale when its heartbeat is older than ``grace`` seconds (database
    storages, Optuna's own check) or, on every storage, when it started more than
    ``grace`` seconds ago (a worker killed while creating the trial never beat).
    Returns the number of trials this call failed."""
    import optuna

    states = optuna.trial.TrialState
    failed = 0
    before = {t.number for t in study.get_trials(deepcopy=False, states=(states.FAIL,))}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        optuna.storages.fail_stale_trials(study)
    after = study.get_trials(deepcopy=False, states=(states.FAIL,))
    failed += sum(1 for t in after if t.number not in before)
    limit = datetime.now() - timedelta(seconds=grace)
    callback = retry_callback()
    for trial in study.get_trials(deepcopy=False, states=(states.RUNNING,)):
        if trial.datetime_start is None or trial.datetime_start > limit:
            continue
        try:
            if not study._storage.set_trial_state_values(trial._trial_id, state=states.FAIL):
                continue
        except finished_trial_error():
            continue  # another worker failed (or finished) it first
        failed += 1
        callback(study, study._storage.get_trial(trial._trial_id))
    return failed


def tell_unless_failed(
    study: Any, trial: Any, value: float, attributes: Mapping[str, Any] | None = None
) -> bool:
    """Set ``trial``'s user ``attributes`` and tell its objective ``value``; False when
    another worker failed it as stale meanwhile (its heartbeat came late) and queued it
    again: the retry evaluates the same point, so this result is simply not recorded."""
    try:
        for key, attribute in (attributes or {}).items():
            trial.set_user_attr(key, attribute)
        study.tell(trial, value)
    except (ValueError, finished_trial_error()):
        return False
    return True


def release_trial(study: Any, trial: Any, retry: bool) -> None:
    """End ``trial`` (asked, not told) as FAIL; with ``retry`` queue it again so another
    worker evaluates it. A trial already finished (failed as stale meanwhile) is left."""
    import optuna

    try:
        study.tell(trial, state=optuna.trial.TrialState.FAIL)
    except (ValueError, finished_trial_error()):
        return
    if retry:
        retry_callback()(study, study._storage.get_trial(trial._trial_id))


def data_fingerprint(components: np.ndarray, target: np.ndarray) -> str:
    """16 hex digits identifying the training data (component scores and target)."""
    digest = hashlib.sha256()
    for array in (components, target):
        values = np.ascontiguousarray(array, dtype=np.float64)
        digest.update(str(values.shape).encode())
        digest.update(values.tobytes())
    return digest.hexdigest()[:16]


def study_config(
    *,
    include_size: bool,
    bounds: dict[str, list[float]],
    lam: float,
    target_shares: dict[str, float],
    folds: int,
    n_trials: int,
    sampler: str,
    data: str,
    training_accounts: int,
) -> dict[str, Any]:
    """What every worker of a study must share, in words a dashboard user reads."""
    return {
        "size included": include_size,
        "weight bounds": bounds,
        "lambda": lam,
        "target grade shares": dict(target_shares),
        "validation folds": folds,
        "trial budget": n_trials,
        "sampler": sampler,
        "accounts fingerprint": data,
        "training accounts": training_accounts,
    }


def config_differences(stored: dict[str, Any], mine: dict[str, Any]) -> list[str]:
    """Human-readable differences, e.g. ``"lambda 0.25 in the study, 0.4 here"``."""

    def shown(value: Any) -> str:
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, float):
            return f"{value:g}"
        if isinstance(value, dict):
            return json.dumps(value, sort_keys=True)
        return str(value)

    notes = []
    for key in mine:
        if key not in stored:
            notes.append(f"{key} missing in the study")
        elif json.dumps(stored[key], sort_keys=True) != json.dumps(mine[key], sort_keys=True):
            if key == "accounts fingerprint":
                notes.append("the accounts data differ (another file, filter or scoring settings)")
            else:
                notes.append(f"{key} {shown(stored[key])} in the study, {shown(mine[key])} here")
    return notes


def join_study(study: Any, created: bool, config: dict[str, Any]) -> None:
    """Store ``config`` in a study this worker ``created``; otherwise wait for the
    creator's configuration (up to :data:`CONFIG_WAIT_SECONDS`) and raise IcpError with
    one sentence if it differs from ``config``."""
    if created:
        study.set_user_attr(CONFIG_ATTR, config)
        return
    deadline = time.monotonic() + CONFIG_WAIT_SECONDS
    stored = study.user_attrs.get(CONFIG_ATTR)
    while stored is None and not study.trials and time.monotonic() < deadline:
        check_stop()
        time.sleep(0.2)  # the creator writes it right after creating the study
        stored = study.user_attrs.get(CONFIG_ATTR)
    if stored is None:
        raise IcpError(
            f"Study '{study.study_name}' was not made by this icp-xl (no '{CONFIG_ATTR}' "
            "attribute); use another study name",
            option="--study",
            hint=" (--study)",
        )
    differences = config_differences(stored, config)
    if differences:
        raise IcpError(
            f"This worker does not match study '{study.study_name}': "
            + "; ".join(differences)
            + ". Use the study's settings, or another study name",
            option="--study",
            hint=" (--study)",
        )


def worker_seed(seed: int | None, study_name: str, worker: str, max_seed: int) -> int | None:
    """The sampler seed of ``worker`` in ``study_name``: derived from the base ``seed``
    so that workers never share a seed (same inputs, same seed). None stays None."""
    if seed is None:
        return None
    digest = hashlib.sha256(f"{seed}\x1f{study_name}\x1f{worker}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % (max_seed + 1)


def _counted(trial: Any, states: Any) -> bool:
    """Trials that take a budget slot: searches done, running or queued for a retry."""
    if trial.state in (states.RUNNING, states.WAITING):
        return True
    result = trial.user_attrs.get(RESULT_ATTR)
    return trial.state == states.COMPLETE and bool(result) and result.get("phase") == "search"


def budget_used(study: Any, below: int | None = None) -> int:
    """Budget slots taken in ``study`` (by trials numbered below ``below``, if given)."""
    return _budget_count(study.get_trials(deepcopy=False), below)


def _budget_count(trials: list[Any], below: int | None) -> int:
    import optuna

    states = optuna.trial.TrialState
    return sum(1 for t in trials if (below is None or t.number < below) and _counted(t, states))


def has_waiting(study: Any) -> bool:
    """True when a failed trial waits to be retried."""
    import optuna

    return bool(study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.WAITING,)))


def budget_slot(study: Any, trial: Any, budget: int) -> tuple[bool, bool]:
    """For a freshly asked ``trial``: (inside the budget, budget full after it).

    A retry of a failed trial replaces it, so it is always inside. Otherwise the
    trials numbered below it decide: trial numbers are handed out atomically by the
    storage, so of two workers racing for the last slot exactly one gets it. A trial
    number counts every trial before it, so below ``budget - 1`` no read is needed."""
    if trial.number + 1 < budget:
        return True, False
    trials = study.get_trials(deepcopy=False)
    mine = next((t for t in trials if t.number == trial.number), None)
    if mine is not None and "failed_trial" in mine.system_attrs:
        return True, False
    used = _budget_count(trials, below=trial.number)
    return used < budget, used + 1 >= budget


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


def open_study(storage: Any, study_name: str, sampler: Any, report: bool) -> tuple[Any, bool]:
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
class SharedOptunaStudy:
    """One worker of the study ``name`` in ``storage`` (an opened Optuna storage, see
    :func:`~icp_xl.studies.connections.open_storage`; ``url`` as the user wrote it, for
    messages). Every ``grace``/3 seconds it fails (and queues again) trials whose worker
    stopped answering ``grace`` s ago. ``report``: refine and validate the study's best."""

    storage: Any
    name: str
    url: str
    worker: str
    report: bool = False
    grace: int = DEFAULT_GRACE_SECONDS
    last_check: float = field(default=-math.inf, repr=False)

    def worker_seed(self, seed: int | None) -> int | None:
        return worker_seed(seed, self.name, "report" if self.report else self.worker, MAX_SEED)

    def open(self, sampler: Any, facts: StudyFacts) -> Any:
        study, created = open_study(self.storage, self.name, sampler, self.report)
        config = study_config(
            include_size=facts.include_size, bounds=facts.bounds, lam=facts.lam,
            target_shares=facts.target_shares, folds=facts.folds, n_trials=facts.n_trials,
            sampler=facts.sampler, data=data_fingerprint(facts.components, facts.target),
            training_accounts=len(facts.target),
        )  # fmt: skip
        join_study(study, created, config)
        return study

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

    def budget_used(self, study: Any) -> int:
        return budget_used(study)

    def has_waiting(self, study: Any) -> bool:
        return has_waiting(study)

    def claim(self, study: Any, trial: Any, budget: int) -> tuple[bool, bool]:
        import optuna

        inside, full = budget_slot(study, trial, budget)
        if not inside:
            study._storage.set_trial_system_attr(trial._trial_id, OVER_BUDGET_ATTR, True)
            study.tell(trial, state=optuna.trial.TrialState.PRUNED)
        return inside, full

    def tell(self, study: Any, trial: Any, value: float, attributes: dict[str, Any]) -> bool:
        return tell_unless_failed(study, trial, value, attributes)

    def release(self, study: Any, trial: Any) -> None:
        release_trial(study, trial, retry=True)

    def taken_over(self) -> tuple[type[BaseException], ...]:
        return (finished_trial_error(),)

    def read(self, call: Callable[[], Any]) -> Any:
        return with_retries(call, self.url, 5.0)
