"""Ctrl-C and SIGTERM during an optimization are never lost: real signals, sent while a
finalizer runs (where Python drops an exception raised by a signal handler), before the
first trial, while a storage retry waits, and from outside the main thread."""

from __future__ import annotations

import signal
import threading
import time

import pytest

from icp_xl.cli.study_options import Terminated, sigterm_as_interrupt
from icp_xl.core.model.settings import Settings
from icp_xl.core.optimization.interrupts import stop_on_signals, wait_unless_stopped
from icp_xl.core.optimization.optimize import optimize_weights

SETTINGS = Settings()


class SignalWhenFreed:
    """Sends ``signum`` to this process from its finalizer: Ctrl-C landing while the
    garbage collector frees a library's object (as SQLAlchemy's weak-reference callbacks
    do in the middle of a run), where an exception is printed and dropped."""

    def __init__(self, signum: int) -> None:
        self.signum = signum

    def __del__(self) -> None:
        signal.raise_signal(self.signum)


def _signal_at(phase: str, done: int, signum: int = signal.SIGINT):
    """A progress callback that frees a :class:`SignalWhenFreed` at ``phase`` ``done``."""
    calls: list[tuple[str, int]] = []

    def progress(now: str, count: int, total: int, best: float) -> None:
        calls.append((now, count))
        if (now, count) == (phase, done):
            SignalWhenFreed(signum)  # freed at once: the signal lands in its __del__

    return progress, calls


def _handlers() -> tuple[object, object]:
    return signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)


def test_ctrl_c_while_a_finalizer_runs_stops_the_search_after_that_trial(sample_accounts):
    before = _handlers()
    progress, _ = _signal_at("search", 3)
    result = optimize_weights(
        sample_accounts, SETTINGS, n_trials=60, folds=0, sampler="random", progress=progress
    )
    assert result.interrupted
    assert result.n_trials == 3
    assert _handlers() == before


def test_ctrl_c_while_a_finalizer_runs_stops_the_refinement(sample_accounts):
    progress, calls = _signal_at("refine", 1)
    result = optimize_weights(
        sample_accounts, SETTINGS, n_trials=8, folds=2, sampler="random", progress=progress
    )
    assert result.interrupted
    assert ("refine", 2) not in calls and not any("fold" in phase for phase, _ in calls)
    assert result.out_of_sample_spearman is None


def test_sigterm_while_a_finalizer_runs_stops_as_the_cli_expects(sample_accounts):
    before = _handlers()
    progress, _ = _signal_at("search", 2, signal.SIGTERM)
    with sigterm_as_interrupt() as terminated:
        result = optimize_weights(
            sample_accounts, SETTINGS, n_trials=60, folds=0, sampler="random", progress=progress
        )
    assert result.interrupted and result.n_trials == 2
    assert terminated == [True]  # the CLI's exit code 143
    assert _handlers() == before


def test_a_stop_before_the_first_trial_raises_keyboard_interrupt(sample_accounts):
    before = _handlers()
    with pytest.raises(KeyboardInterrupt), stop_on_signals():
        signal.raise_signal(signal.SIGINT)  # recorded, not raised here
        optimize_weights(sample_accounts, SETTINGS, n_trials=60, folds=0, sampler="random")
    assert _handlers() == before


def test_sigterm_before_the_first_trial_stays_a_sigterm(sample_accounts):
    with pytest.raises(Terminated), sigterm_as_interrupt() as terminated, stop_on_signals():
        signal.raise_signal(signal.SIGTERM)  # the CLI then exits with 143, not 130
        optimize_weights(sample_accounts, SETTINGS, n_trials=60, folds=0, sampler="random")
    assert terminated == [True]


def test_sigterm_not_acted_on_reaches_the_previous_handler_on_leaving():
    with pytest.raises(Terminated), sigterm_as_interrupt() as terminated:
        with stop_on_signals():
            signal.raise_signal(signal.SIGTERM)
            assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
        pytest.fail("SIGTERM was lost")
    assert terminated == [True]


def test_a_retry_wait_ends_at_once_on_ctrl_c():
    main = threading.main_thread().ident
    timer = threading.Timer(0.2, signal.pthread_kill, (main, signal.SIGINT))
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt), stop_on_signals():
        timer.start()
        assert wait_unless_stopped(30.0) is True
    assert time.monotonic() - start < 5.0
    assert wait_unless_stopped(0.01) is False  # the next run starts without a request


def test_outside_the_main_thread_a_progress_stop_still_keeps_the_best(sample_accounts):
    before = _handlers()
    outcome: dict[str, object] = {}

    def stop_at_three(phase: str, done: int, total: int, best: float) -> None:
        if done == 3:
            raise KeyboardInterrupt

    def run() -> None:
        outcome["result"] = optimize_weights(
            sample_accounts, SETTINGS, n_trials=60, folds=0, sampler="random",
            progress=stop_at_three,
        )  # fmt: skip

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(60)
    result = outcome["result"]
    assert result.interrupted and result.n_trials == 3  # type: ignore[attr-defined]
    assert _handlers() == before
