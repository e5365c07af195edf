"""Connections to a shared study's storage: :func:`open_storage` opens a journal file,
SQLite or PostgreSQL with pool pre-ping, connect and statement timeouts and TCP keepalives;
every storage call is retried with back-off on transient errors (server restart, dropped
connection, locked SQLite file) for up to :data:`RETRY_SECONDS`, then
:class:`~icp_xl.core.optimization.sharing.StorageUnavailable`."""

from __future__ import annotations

import inspect
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from icp_xl.core.errors import IcpError
from icp_xl.core.optimization.defaults import DEFAULT_GRACE_SECONDS
from icp_xl.core.optimization.interrupts import stop_requested, wait_unless_stopped
from icp_xl.core.optimization.sharing import StorageUnavailable
from icp_xl.studies.urls import (
    describe_error,
    error_chain,
    first_line,
    is_journal,
    normalize_url,
    redact,
    shown_url,
)

MAX_RETRIES_PER_TRIAL = 2
RETRY_SECONDS = 60.0
CONNECT_TIMEOUT_SECONDS = 10
STATEMENT_TIMEOUT_SECONDS = 60


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
    chain = error_chain(error)
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


def finished_trial_error() -> type[Exception]:
    """What Optuna raises when a finished trial is updated (RuntimeError before 4.x)."""
    import optuna

    return getattr(optuna.exceptions, "UpdateFinishedTrialError", RuntimeError)


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
            if stop_requested() or time.monotonic() + pause > deadline:
                raise StorageUnavailable(
                    f"Lost the Optuna storage {shown_url(url)} and it did not come back within "
                    f"{retry_seconds:g} s ({redact(first_line(_root(error)), url)})"
                ) from None
            wait_unless_stopped(pause)
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
            except finished_trial_error():
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
                    type(e).__name__ == "IntegrityError" for e in error_chain(error)
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
