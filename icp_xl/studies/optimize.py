"""The optimizer with its storage named by URL: :func:`optimize_weights` runs alone (no
storage) or as one worker of a shared study, opening the storage at the edge and handing
the core's optimizer a :class:`~icp_xl.studies.workers.SharedOptunaStudy`."""

from __future__ import annotations

from typing import Any

from icp_xl.core.errors import IcpError
from icp_xl.core.inputs.accounts import Accounts
from icp_xl.core.model.settings import Settings
from icp_xl.core.optimization import optimize as core
from icp_xl.core.optimization.defaults import DEFAULT_GRACE_SECONDS
from icp_xl.core.optimization.interrupts import stop_on_signals
from icp_xl.core.optimization.search import default_worker
from icp_xl.studies.connections import RETRY_SECONDS, open_storage
from icp_xl.studies.workers import SharedOptunaStudy


def make_storage(
    url: str | None, grace: int = DEFAULT_GRACE_SECONDS, storage_wait: float = RETRY_SECONDS
) -> Any:
    """An Optuna storage for ``url``: None (in memory), a database URL
    (``postgresql://user@host/db``, with or without a driver suffix, or
    ``sqlite:///icp.db``) or a journal file path (optionally written ``journal:PATH``),
    which several processes can share. See :func:`icp_xl.studies.connections.open_storage`."""
    return open_storage(url, grace, storage_wait)


@stop_on_signals()  # from the storage's opening on: Ctrl-C is a stop request
def optimize_weights(
    accounts: Accounts,
    settings: Settings,
    *,
    storage: str | None = None,
    study_name: str | None = None,
    worker: str | None = None,
    report: bool = False,
    grace: int = DEFAULT_GRACE_SECONDS,
    storage_wait: float = RETRY_SECONDS,
    **options: Any,
) -> core.OptimizationResult:
    """:func:`icp_xl.core.optimization.optimize.optimize_weights` (``options`` are its
    keywords) on ``accounts``, alone or, with ``storage`` and ``study_name``, as worker
    ``worker`` (default ``host:pid``) of a shared study.

    ``storage``: None, a database URL or a journal path (see :func:`make_storage`);
    ``report=True`` adds no search trial, it refines and validates the study's best. A
    trial whose worker fell silent for ``grace`` seconds is failed and retried by another
    worker; a storage that stops answering is retried with back-off for ``storage_wait``
    seconds. Raises IcpError for a storage without a study name, a report without a
    storage, a bad storage, and everything the core's optimizer refuses."""
    if storage is not None and not study_name:
        raise IcpError("A shared Optuna storage needs a study name", option="--study",
                       hint=" (--study)")  # fmt: skip
    if report and storage is None:
        raise IcpError("A report reads a shared study: give the storage and the study name")
    if storage is None:
        return core.optimize_weights(accounts, settings, **options)
    assert study_name is not None
    if options.get("n_trials", 1) < 1:  # before any connection
        raise IcpError(f"The number of trials must be at least 1, got {options['n_trials']}")
    shared = SharedOptunaStudy(
        storage=make_storage(storage, grace, storage_wait),
        name=study_name,
        url=storage,
        worker=worker or default_worker(),
        report=report,
        grace=grace,
    )
    return core.optimize_weights(accounts, settings, shared=shared, **options)
