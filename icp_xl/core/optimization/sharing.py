"""What the optimizer asks of a study shared by several workers. The storage behind it
(journal file, SQLite, PostgreSQL) is opened at the edge, :mod:`icp_xl.studies`, which
implements :class:`SharedStudy`; the search only calls these methods."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from icp_xl.core.errors import IcpError


class StorageUnavailable(IcpError):  # noqa: N818 - reads as a sentence: "storage unavailable"
    """The storage stopped answering and retries with back-off did not bring it back."""


@dataclass(frozen=True)
class StudyFacts:
    """What a worker knows of its run, from which the study's shared configuration is made:
    every worker of one study must agree on all of it."""

    include_size: bool
    bounds: dict[str, list[float]]
    lam: float
    target_shares: dict[str, float]
    folds: int
    n_trials: int
    sampler: str
    components: np.ndarray
    target: np.ndarray


class SharedStudy(Protocol):
    """One worker's handle on a shared Optuna study (see :mod:`icp_xl.studies.workers`).

    ``name``: the study's name; ``report``: this worker only refines and validates the
    study's best (it adds no search trial)."""

    name: str
    report: bool

    def worker_seed(self, seed: int | None) -> int | None:
        """This worker's sampler seed, derived from the run's ``seed``."""
        ...

    def open(self, sampler: Any, facts: StudyFacts) -> Any:
        """The Optuna study, created or joined (IcpError when ``facts`` disagree with it)."""
        ...

    def check_stale(self, study: Any, force: bool = False) -> None:
        """Fail and queue again the trials of workers that stopped answering."""
        ...

    def heartbeat(self, study: Any, trial: Any) -> None:
        """Record that this worker is alive and evaluating ``trial``."""
        ...

    def budget_used(self, study: Any) -> int:
        """Search trials the study holds or runs, from every worker."""
        ...

    def has_waiting(self, study: Any) -> bool:
        """True when a failed trial waits to be retried."""
        ...

    def claim(self, study: Any, trial: Any, budget: int) -> tuple[bool, bool]:
        """(``trial`` is inside the study-wide ``budget``, the budget is full after it); a
        trial outside it is ended here."""
        ...

    def tell(self, study: Any, trial: Any, value: float, attributes: dict[str, Any]) -> bool:
        """Record ``trial``'s result; False when another worker failed it meanwhile."""
        ...

    def release(self, study: Any, trial: Any) -> None:
        """End an unfinished ``trial`` as failed and queue it for another worker."""
        ...

    def taken_over(self) -> tuple[type[BaseException], ...]:
        """What the storage raises when this worker updates a trial that another worker
        ended meanwhile (failed it as stale, and queued it again)."""
        ...

    def read(self, call: Callable[[], Any]) -> Any:
        """``call()`` (a read of the study), retried while the storage comes back."""
        ...
