"""Shared Optuna studies: storage URLs, resilient connections, study configuration, budgets.

Several workers (analysts, machines) share one Optuna study through a storage:
a journal file, SQLite or PostgreSQL. This module is everything about that
sharing that is not the search itself:

* **URLs**: :func:`normalize_url` accepts ``postgresql://`` with or without a driver
  suffix (it picks psycopg 3, the ``postgres`` extra), refuses ``postgres://`` and an
  unencoded ``@`` in the password with a sentence saying the fix; :func:`redact`
  hides the password in every message.
* **Connections**: :func:`open_storage` opens the storage with pool pre-ping,
  connect and statement timeouts and TCP keepalives; every storage call is retried
  with back-off on transient errors (server restart, dropped connection, locked
  SQLite file) for up to :data:`RETRY_SECONDS`, then :class:`StorageUnavailable`.
  :func:`describe_error` turns a connection error into one line naming the cause
  (wrong password, unknown host, missing database, no rights on schema public...).
* **Dead workers**: heartbeats (PostgreSQL/SQLite) and trial start times (every
  storage) let :func:`fail_stale_trials` fail the trial of a worker that stopped
  answering for ``grace`` seconds and queue it again (a WAITING retry).
* **Configuration**: :func:`study_config` is what every worker of a study must share
  (mode, bounds, λ, target shares, folds, trial budget, sampler, a fingerprint of
  the training data); :func:`join_study` stores it in the new study and refuses a
  worker that differs, saying what differs.
* **Budget and seeds**: :func:`budget_slot` keeps the study-wide trial budget exact
  whatever the number of workers; :func:`worker_seed` gives each worker its own seed.
* **Signals**: :func:`deferred_interrupts` holds Ctrl-C / SIGTERM while a trial is
  being created or told, so no trial is left RUNNING or told twice.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import json
import re
import signal
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import numpy as np

from icp_xl.core.errors import IcpError
from icp_xl.core.optimizer_defaults import DEFAULT_GRACE_SECONDS

MAX_RETRIES_PER_TRIAL = 2
RETRY_SECONDS = 60.0
"""How long a worker keeps retrying a storage that went away before it gives up."""
CONNECT_TIMEOUT_SECONDS = 10
STATEMENT_TIMEOUT_SECONDS = 60
CONFIG_ATTR = "icp-xl configuration"
"""Study user attribute holding :func:`study_config` (a JSON object the dashboard shows)."""
RESULT_ATTR = "result"
"""Trial user attribute: weights, Spearman, KL, phase and worker in one write."""
OVER_BUDGET_ATTR = "over_budget"
CONFIG_WAIT_SECONDS = 15.0
POSTGRES_DRIVER = "postgresql+psycopg"


class StorageUnavailable(IcpError):  # noqa: N818 - reads as a sentence: "storage unavailable"
    """The storage stopped answering and retries with back-off did not bring it back."""


# ---------------------------------------------------------------- URLs and messages


def is_journal(url: str) -> bool:
    """True for a journal file (a path, or ``journal:PATH``), False for a database URL."""
    return "://" not in url


def normalize_url(url: str) -> str:
    """``url`` ready for SQLAlchemy: ``postgresql://`` gets the psycopg 3 driver suffix
    (``postgresql+psycopg://``; an explicit suffix such as ``+psycopg2`` is kept); a
    journal path is returned stripped. Raises IcpError for ``postgres://`` and for a
    password with an unencoded ``@``."""
    url = url.strip()
    if is_journal(url):
        return url
    scheme, _, rest = url.partition("://")
    if scheme.lower() == "postgres":
        raise IcpError(
            "The storage URL starts with postgres://, which SQLAlchemy does not accept; "
            "write postgresql:// instead"
        )
    userinfo = "" if scheme.lower().startswith("sqlite") else rest.rpartition("@")[0]
    unsafe = next((c for c in "@/#" if c in userinfo), None)
    if unsafe is not None:
        raise IcpError(
            f"The user name or password in the storage URL contains '{unsafe}': write it as "
            f'{quote(unsafe, safe="")} (URL-encode the password, e.g. python -c "import '
            "urllib.parse; print(urllib.parse.quote(input(), safe=''))\")"
        )
    if scheme.lower() == "postgresql":
        return f"{POSTGRES_DRIVER}://{rest}"
    return url


def _password(url: str) -> str | None:
    if is_journal(url):
        return None
    authority = url.partition("://")[2].split("/", 1)[0]
    if "@" not in authority:
        return None
    userinfo = authority.rsplit("@", 1)[0]
    if ":" not in userinfo:
        return None
    return userinfo.split(":", 1)[1] or None


def redact(text: str, url: str | None) -> str:
    """``text`` with the password of ``url`` (as written, decoded or encoded) replaced by
    ``***``; also hides ``password=...`` pairs and ``user:secret@`` in any URL."""
    secret = _password(url) if url else None
    if secret:
        for form in {secret, unquote(secret), quote(unquote(secret), safe="")}:
            if len(form) >= 1:
                text = text.replace(form, "***")
    text = re.sub(r"(://[^:/@\s]+:)[^@\s]+@", r"\1***@", text)
    return re.sub(r"(password\s*=\s*)\S+", r"\1***", text, flags=re.IGNORECASE)


def shown_url(url: str) -> str:
    """``url`` as shown in messages: the password replaced by ``***``."""
    return redact(url, url)


def _url_parts(url: str) -> dict[str, str]:
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:
        return {"host": "?", "port": "", "database": "?", "user": "?"}
    return {
        "host": parsed.host or "localhost",
        "port": str(parsed.port or 5432),
        "database": parsed.database or "",
        "user": parsed.username or "",
    }


def describe_error(error: BaseException, url: str) -> str:
    """One line: why the storage at ``url`` failed and what to do, never the password."""
    chain = _chain(error)
    text = " ".join(str(e) for e in chain)
    parts = _url_parts(url)
    where = f"Cannot open the Optuna storage {shown_url(url)}"
    host, database, user = parts["host"], parts["database"], parts["user"]
    if isinstance(error, ModuleNotFoundError) or "No module named" in text:
        return (
            f"{where}: its database driver is not installed ({_first_line(text)}); for "
            "PostgreSQL: pip install 'icp_xl[postgres]'"
        )
    causes = [
        (
            ("password authentication failed", "no password supplied", "authentication failed"),
            f"the server refused user '{user}' or its password; check the user name and "
            "the password (in the URL, PGPASSWORD or ~/.pgpass)",
        ),
        (
            ("could not translate host name", "name or service not known",
             "nodename nor servname", "failed to resolve host", "temporary failure in name"),
            f"unknown host '{host}'; check the host name in the URL",
        ),
        (
            (f'database "{database}" does not exist',),
            f"database '{database}' does not exist on {host}; create it once with: "
            f"createdb -h {host} -U {user or 'USER'} {database}",
        ),
        (
            ("permission denied for schema public",),
            f"user '{user}' may not create tables in schema public of '{database}' "
            "(PostgreSQL 15 and later); as the database owner run: GRANT CREATE ON SCHEMA "
            f"public TO {user or 'USER'};  or create the database with createdb -O "
            f"{user or 'USER'}",
        ),
        (
            ("permission denied",),
            f"user '{user}' lacks a permission ({_first_line(text)}); ask the database owner "
            "for the grants in docs/optimizer.md",
        ),
        (
            ("connection refused",),
            f"nothing is listening at {host}:{parts['port']}; check the host and port and "
            "that the PostgreSQL server is running",
        ),
        (
            ("timeout expired", "timed out", "statement timeout"),
            f"the server at {host}:{parts['port']} did not answer in time; check the host, "
            "the port and the network (firewall)",
        ),
        (
            ("unable to open database file",),
            "the SQLite file cannot be created or opened; check that its folder exists and "
            "is writable",
        ),
        (
            ("can't load plugin",),
            "unknown database type in the URL; use postgresql://, sqlite:/// or a journal "
            "file path",
        ),
    ]  # fmt: skip
    lowered = text.lower()
    for needles, cause in causes:
        if any(needle.lower() in lowered for needle in needles):
            return redact(f"{where}: {cause}", url)
    return redact(f"{where}: {_first_line(str(chain[-1]) or type(chain[-1]).__name__)}", url)


def _first_line(text: str) -> str:
    line = next((s.strip() for s in text.splitlines() if s.strip()), text.strip())
    return re.sub(r"\s*\(Background on this error at:.*", "", line)


# ---------------------------------------------------------------- transient errors, retries

_PERMANENT = (
    "password authentication failed",
    "does not exist",
    "permission denied",
    "could not translate host name",
    "name or service not known",
    "no password supplied",
)


def is_transient(error: BaseException) -> bool:
    """True for an error a retry can cure: a dropped or refused connection (server
    restart), an administrator shutdown, a locked SQLite file; False for a wrong
    password, a missing database or a missing permission."""
    chain = _chain(error)
    text = " ".join(str(e) for e in chain).lower()
    if any(needle in text for needle in _PERMANENT):
        return False
    return bool({type(e).__name__ for e in chain} & _TRANSIENT_TYPES)


_TRANSIENT_TYPES = {
    "OperationalError",  # SQLAlchemy / DB-API: connection lost or refused, server shutdown
    "InterfaceError",
    "DisconnectionError",
    "PendingRollbackError",
    "AdminShutdown",
    "ConnectionTimeout",
}


def _chain(error: BaseException) -> list[BaseException]:
    """``error`` and the errors it was raised from or during, outermost first."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _finished_trial_error() -> type[Exception]:
    """What Optuna raises when a finished trial is updated (RuntimeError before 4.x)."""
    import optuna

    return getattr(optuna.exceptions, "UpdateFinishedTrialError", RuntimeError)


_stopping = threading.Event()
"""Set once Ctrl-C / SIGTERM arrived: storage calls then stop retrying."""


def with_retries(call: Callable[[], Any], url: str, retry_seconds: float = RETRY_SECONDS) -> Any:
    """``call()``, retried with back-off (0.25 s doubling to 4 s) on transient errors
    for up to ``retry_seconds``; then :class:`StorageUnavailable` with one line."""
    deadline = time.monotonic() + retry_seconds
    pause = 0.25
    while True:
        try:
            return call()
        except Exception as error:
            if not is_transient(error):
                raise
            if _stopping.is_set() or time.monotonic() + pause > deadline:
                raise StorageUnavailable(
                    f"Lost the Optuna storage {shown_url(url)} and it did not come back within "
                    f"{retry_seconds:g} s ({redact(_first_line(_root(error)), url)})"
                ) from None
            _stopping.wait(pause)
            pause = min(pause * 2, 4.0)


def _root(error: BaseException) -> str:
    while error.__cause__ is not None:
        error = error.__cause__
    return str(error) or type(error).__name__


_RETRIED_METHODS = (
    "create_new_study", "delete_study", "set_study_user_attr", "set_study_system_attr",
    "get_study_id_from_name", "get_study_name_from_id", "get_study_directions",
    "get_study_user_attrs", "get_study_system_attrs", "get_all_studies", "create_new_trial",
    "set_trial_param", "get_trial_id_from_study_id_trial_number", "get_trial_number_from_id",
    "get_trial_param", "set_trial_intermediate_value", "set_trial_user_attr",
    "set_trial_system_attr", "get_trial", "get_all_trials", "get_n_trials", "get_best_trial",
    "record_heartbeat", "_get_stale_trial_ids", "_get_trials", "get_trial_user_attrs",
    "get_trial_system_attrs",
    # called directly by Optuna's cache in front of every RDBStorage:
    "_create_new_trial", "_set_trial_param", "_get_best_trial_id",
)  # fmt: skip


def _resilient_rdb_class() -> type:
    """RDBStorage whose calls are retried on transient errors (built lazily: importing
    Optuna and SQLAlchemy takes a second)."""
    import optuna

    base = optuna.storages.RDBStorage
    namespace: dict[str, Any] = {"retry_seconds": RETRY_SECONDS, "written_url": None}

    def retried(name: str) -> Callable[..., Any]:
        method = getattr(base, name)

        def call(self: Any, *args: Any, **kwargs: Any) -> Any:
            return with_retries(
                lambda: method(self, *args, **kwargs),
                self.written_url or self.url,
                self.retry_seconds,
            )

        call.__name__ = name
        return call

    for name in _RETRIED_METHODS:
        if hasattr(base, name):
            namespace[name] = retried(name)

    def set_trial_state_values(self: Any, trial_id: int, state: Any, values: Any = None) -> bool:
        attempts = [0]

        def once() -> bool:
            attempts[0] += 1
            try:
                return base.set_trial_state_values(self, trial_id, state, values)
            except _finished_trial_error():
                # A retry after a commit whose answer was lost: the trial already is done.
                if attempts[0] > 1 and base.get_trial(self, trial_id).state == state:
                    return True
                raise

        return with_retries(once, self.written_url or self.url, self.retry_seconds)

    namespace["set_trial_state_values"] = set_trial_state_values
    return type("ResilientRDBStorage", (base,), namespace)


_RESILIENT: list[type] = []


def engine_options(url: str) -> dict[str, Any]:
    """SQLAlchemy engine options for ``url``: pool pre-ping everywhere; for PostgreSQL
    connect timeout, TCP keepalives and a statement timeout; for SQLite a 60 s wait for
    the file lock."""
    if url.startswith("sqlite"):
        return {"pool_pre_ping": True, "connect_args": {"timeout": 60}}
    if url.startswith("postgresql"):
        return {
            "pool_pre_ping": True,
            "pool_recycle": 3600,
            "connect_args": {
                "connect_timeout": CONNECT_TIMEOUT_SECONDS,
                "keepalives": 1,
                "keepalives_idle": 30,
                "keepalives_interval": 10,
                "keepalives_count": 3,
                "application_name": "icp-xl optimize",
                "options": f"-c statement_timeout={STATEMENT_TIMEOUT_SECONDS * 1000}",
            },
        }
    return {"pool_pre_ping": True}


def _sqlite_write_ahead_log(engine: Any) -> None:
    """SQLite in write-ahead-log mode with normal sync: a commit no longer waits for the
    disk twice (an Optuna trial is about 14 commits). Safe for one machine's workers; a
    power cut may lose the last trials.

    Every transaction begins with ``BEGIN IMMEDIATE``, so one worker at a time reads and
    writes: Python's sqlite3 otherwise begins one only at the first write, and a worker
    could read a trial as RUNNING, wait for the lock while another worker failed it as
    stale, and fail it again (queuing a second retry of the same point)."""
    from sqlalchemy import event

    def pragmas(connection: Any, _: Any) -> None:
        connection.isolation_level = None  # sqlite3 emits no BEGIN; "begin" below does
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    def begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    event.listen(engine, "connect", pragmas)
    event.listen(engine, "begin", begin)
    engine.dispose()  # connections opened while creating the tables get the pragmas too


def retry_callback(max_retry: int = MAX_RETRIES_PER_TRIAL) -> Any:
    """Optuna's callback that queues a failed trial again (a WAITING copy), up to
    ``max_retry`` times per original trial."""
    import optuna

    cls = getattr(optuna.storages, "RetryHeartbeatStaleTrialCallback", None)
    if cls is None:  # Optuna < 4.9
        cls = optuna.storages.RetryFailedTrialCallback
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cls(max_retry=max_retry)


def open_storage(
    url: str | None, grace: int = DEFAULT_GRACE_SECONDS, retry_seconds: float = RETRY_SECONDS
) -> Any:
    """An Optuna storage for ``url`` (None: in memory), ready for several workers.

    A database URL gets :func:`engine_options`, heartbeats every ``grace``/3 s with
    failed trials retried, and its calls retried on transient errors for up to
    ``retry_seconds``. A journal path (``journal:PATH`` or any path) gets a file
    journal. Raises IcpError with one line (:func:`describe_error`)."""
    if url is None:
        return None
    import optuna

    written, url = url, normalize_url(url)
    if is_journal(url):
        path = Path(url.removeprefix("journal:")).expanduser()
        if not path.parent.is_dir():
            raise IcpError(f"The folder of the journal file {path} does not exist")
        backend = optuna.storages.journal.JournalFileBackend(str(path))
        return optuna.storages.JournalStorage(backend)
    if not _RESILIENT:
        _RESILIENT.append(_resilient_rdb_class())
    storage_class = _RESILIENT[0]
    heartbeat: dict[str, Any] = {
        "heartbeat_interval": max(1, grace // 3),
        "grace_period": max(1, grace),
    }
    parameters = inspect.signature(optuna.storages.RDBStorage).parameters
    key = (
        "heartbeat_stale_trial_callback"
        if "heartbeat_stale_trial_callback" in parameters
        else "failed_trial_callback"
    )
    heartbeat[key] = retry_callback()

    def create() -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # heartbeat_interval is "experimental"
            storage = storage_class(url, engine_kwargs=engine_options(url), **heartbeat)
        storage.retry_seconds = retry_seconds
        storage.written_url = written  # messages show the URL as the user wrote it
        if url.startswith("sqlite"):
            _sqlite_write_ahead_log(storage.engine)
        return storage

    def create_racing() -> Any:
        # Workers starting together race to create the tables (unique-key errors).
        for attempt in range(1, 6):
            try:
                return create()
            except Exception as error:
                racing = any(
                    type(e).__name__ == "IntegrityError" for e in _chain(error)
                ) or "already exists" in str(error)
                if not racing or attempt == 5:
                    raise
                time.sleep(0.2 * attempt)
        raise AssertionError("unreachable")

    try:
        return with_retries(create_racing, url, min(retry_seconds, 10.0))
    except StorageUnavailable as error:
        cause = error.__context__ or error
        raise IcpError(describe_error(cause, written)) from None
    except IcpError:
        raise
    except Exception as error:
        raise IcpError(describe_error(error, written)) from None


# ---------------------------------------------------------------- dead workers


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
        except _finished_trial_error():
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
    except (ValueError, _finished_trial_error()):
        return False
    return True


def release_trial(study: Any, trial: Any, retry: bool) -> None:
    """End ``trial`` (asked, not told) as FAIL; with ``retry`` queue it again so another
    worker evaluates it. A trial already finished (failed as stale meanwhile) is left."""
    import optuna

    try:
        study.tell(trial, state=optuna.trial.TrialState.FAIL)
    except (ValueError, _finished_trial_error()):
        return
    if retry:
        retry_callback()(study, study._storage.get_trial(trial._trial_id))


# ---------------------------------------------------------------- configuration


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
        time.sleep(0.2)  # the creator writes it right after creating the study
        stored = study.user_attrs.get(CONFIG_ATTR)
    if stored is None:
        raise IcpError(
            f"Study '{study.study_name}' was not made by this icp-xl (no '{CONFIG_ATTR}' "
            "attribute); use another --study name"
        )
    differences = config_differences(stored, config)
    if differences:
        raise IcpError(
            f"This worker does not match study '{study.study_name}': "
            + "; ".join(differences)
            + ". Use the study's settings, or another --study name"
        )


def worker_seed(seed: int | None, study_name: str, worker: str, max_seed: int) -> int | None:
    """The sampler seed of ``worker`` in ``study_name``: derived from the base ``seed``
    so that workers never share a seed (same inputs, same seed). None stays None."""
    if seed is None:
        return None
    digest = hashlib.sha256(f"{seed}\x1f{study_name}\x1f{worker}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % (max_seed + 1)


# ---------------------------------------------------------------- study-wide budget


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


# ---------------------------------------------------------------- Ctrl-C and SIGTERM


def stop_requested() -> bool:
    """True once Ctrl-C or SIGTERM arrived during :func:`deferred_interrupts`."""
    return _stopping.is_set()


def reset_stop() -> None:
    """Forget an earlier stop request (at the start of a run)."""
    _stopping.clear()


@contextlib.contextmanager
def deferred_interrupts() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM while the block runs (creating or telling a trial), then
    deliver them; storage retries stop at once meanwhile. Outside the main thread
    (signals cannot be caught there) the block simply runs."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []

    def hold(signum: int, frame: Any) -> None:
        pending.append(signum)
        _stopping.set()

    caught = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.signal(sig, hold) for sig in caught}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if pending:
            signal.raise_signal(pending[0])
