"""Shared Optuna studies on a real PostgreSQL server, SQLite and a journal file:
concurrent workers with a study-wide budget, a killed worker, a server restart,
SIGTERM and Ctrl-C, mismatched workers, connection errors, URLs and redaction.

PostgreSQL: ``.ci/run`` starts a throwaway cluster and sets ICP_XL_TEST_POSTGRES;
without it the ``postgres`` fixture starts its own (tests/support/pg_cluster.py).
In CI (CI=true) a missing server is a failure, never a skip. The suite's workers take a
file each (``--dist loadfile``), so no other test uses the server while these stop and
restart it.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import numpy as np
import optuna
import pytest

from icp_xl.cli import main
from icp_xl.core.errors import IcpError
from icp_xl.core.inputs.accounts import prepare_accounts
from icp_xl.core.model.settings import Settings
from icp_xl.core.optimization.objective import evaluate_weights, training_data
from icp_xl.core.optimization.search import RESULT_ATTR, trial_weights
from icp_xl.core.optimization.space import FeasibleWeights
from icp_xl.studies.connections import is_transient
from icp_xl.studies.optimize import make_storage, optimize_weights
from icp_xl.studies.urls import describe_error, normalize_url, redact
from icp_xl.studies.workers import worker_seed
from tests.support.pg_cluster import ENV, LOCKED_DATABASE, PASSWORD, Cluster, find_bindir

SETTINGS = Settings()
STATES = optuna.trial.TrialState
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory):
    """The test PostgreSQL server: the one .ci/run started, else a throwaway one."""
    if os.environ.get(ENV):
        yield Cluster.attach(Path(os.environ[ENV]))
        return
    if find_bindir() is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs a PostgreSQL server: {ENV} is not set and no initdb found")
        pytest.skip("PostgreSQL server binaries not installed (apt-get install postgresql)")
    cluster = Cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def accounts_file(sample_raw, tmp_path) -> Path:
    path = tmp_path / "accounts.csv"
    sample_raw.to_csv(path, index=False)
    return path


def _storage(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if kind == "journal":
        return str(tmp_path / "study.journal")
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'study.db'}"
    cluster = request.getfixturevalue("postgres")
    return cluster.url()


@pytest.fixture(params=["journal", "sqlite", "postgresql"])
def storage(request, tmp_path) -> str:
    return _storage(request.param, tmp_path, request)


def _study_name() -> str:
    return f"icp-{uuid.uuid4().hex[:10]}"


def _worker(source: Path, storage: str, study: str, *args: str) -> subprocess.Popen:
    """An ``icp-xl optimize`` worker process; the URL travels in ICP_XL_STORAGE."""
    path = os.pathsep.join(p for p in (os.environ.get("PYTHONPATH"), str(ROOT)) if p)
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "ICP_XL_STORAGE": storage,
           "PYTHONPATH": path}  # fmt: skip
    return subprocess.Popen(
        [sys.executable, "-m", "icp_xl", "optimize", str(source), "--study", study,
         "--folds", "0", "--quiet", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True, cwd=ROOT,
    )  # fmt: skip


def _finish(process: subprocess.Popen, timeout: float = 240) -> tuple[int, str]:
    _, err = process.communicate(timeout=timeout)
    return process.returncode, err


def _load(storage: str, study: str) -> optuna.Study:
    return optuna.load_study(study_name=study, storage=make_storage(storage))


def _search_trials(study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    return [
        t
        for t in study.get_trials(states=(STATES.COMPLETE,))
        if t.user_attrs[RESULT_ATTR]["phase"] == "search"
    ]


def _assert_feasible(study: optuna.Study, accounts) -> None:
    data = training_data(accounts, SETTINGS)
    space = FeasibleWeights()
    for trial in study.get_trials(states=(STATES.COMPLETE,)):
        w = trial_weights(trial)
        assert space.contains(w), w
        assert trial.value == pytest.approx(
            evaluate_weights(data, w, 0.25, SETTINGS).objective, abs=1e-12
        )


def _has_one_line(err: str) -> bool:
    lines = [line for line in err.splitlines() if line.strip()]
    return len(lines) == 1 and "Traceback" not in err


# ---------------------------------------------------------------- workers and budget


def test_three_workers_share_a_budget_and_report_writes_the_best(
    storage, accounts_file, sample_accounts, tmp_path
):
    study_name = _study_name()
    workers = [
        _worker(accounts_file, storage, study_name, "--trials", "24", "--seed", "7",
                "--json-out", str(tmp_path / f"w{k}.json"))
        for k in range(3)
    ]  # fmt: skip
    for process in workers:
        code, err = _finish(process)
        assert code == 0, err
        assert "--report" in err  # the worker says how to finish
    study = _load(storage, study_name)
    searched = _search_trials(study)
    assert len(searched) == 24  # the study-wide budget, whatever the number of workers
    assert not study.get_trials(states=(STATES.RUNNING, STATES.WAITING))
    assert set(study.trials[0].params) == {
        "vertical position", "size position", "adoption position"
    }  # fmt: skip
    # each worker has its own seed: no two trials proposed the same point
    points = {tuple(round(v, 12) for v in t.params.values()) for t in searched}
    assert len(points) == len(searched)
    _assert_feasible(study, sample_accounts)
    config = study.user_attrs["icp-xl configuration"]
    assert config["trial budget"] == 24 and config["lambda"] == 0.25

    report = tmp_path / "final.json"
    env_storage = {"ICP_XL_STORAGE": storage}
    code = _run_main(
        ["optimize", str(accounts_file), "--study", study_name, "--trials", "24",
         "--folds", "0", "--seed", "7", "--report", "--json-out", str(report), "--quiet"],
        env_storage,
    )  # fmt: skip
    assert code == 0
    document = json.loads(report.read_text())
    study = _load(storage, study_name)
    best = min(study.get_trials(states=(STATES.COMPLETE,)), key=lambda t: (t.value, t.number))
    assert document["best_objective_value"] == pytest.approx(best.value, abs=1e-12)
    assert list(document["weights"].values()) == pytest.approx(trial_weights(best), abs=1e-15)
    assert document["n_trials"] == 24  # the trials asked for
    assert document["study_trials"] == len(study.get_trials(states=(STATES.COMPLETE,)))
    assert len(_search_trials(study)) == 24  # the report added refinement steps only


def _run_main(argv: list[str], env: dict[str, str]) -> int:
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        return main(argv)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def test_report_validates_once_and_writes_the_workbook(postgres, sample_raw, tmp_path):
    from icp_xl.hosts.file.new_workbook import new_workbook
    from icp_xl.workbook.actions import stored_trial_history

    workbook = tmp_path / "ICP.xlsx"
    new_workbook(workbook, sample_raw, overwrite=True)
    csv = tmp_path / "accounts.csv"
    sample_raw.to_csv(csv, index=False)
    study_name = _study_name()
    storage_file = tmp_path / "storage.txt"
    storage_file.write_text(postgres.url() + "\n")
    options = ["--trials", "16", "--folds", "3", "--seed", "1", "--quiet"]
    worker = ["optimize", str(csv), "--storage-file", str(storage_file), "--study", study_name]
    assert main([*worker, *options]) == 0
    before = workbook.read_bytes()
    report = ["optimize", str(workbook), "--storage-file", str(storage_file)]
    assert main([*report, "--study", study_name, *options, "--report", "--apply"]) == 0
    assert workbook.read_bytes() != before
    from icp_xl.hosts.file.book import FileBook

    history = stored_trial_history(FileBook.open(workbook))
    study = _load(postgres.url(), study_name)
    assert len(history) == len(study.get_trials(states=(STATES.COMPLETE,)))


# ---------------------------------------------------------------- faults


def _wait_for_trials(storage: str, study_name: str, count: int) -> optuna.Study:
    """The study once it has ``count`` completed trials (workers are starting meanwhile)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            study = _load(storage, study_name)
            if len(study.get_trials(states=(STATES.COMPLETE,))) >= count:
                return study
        except KeyError:  # no worker has created the study yet
            pass
        time.sleep(0.2)
    raise AssertionError(f"study {study_name} never reached {count} completed trials")


def _running_trials(storage: str, study_name: str) -> list[optuna.trial.FrozenTrial]:
    """The study's RUNNING trials. SQLite is read through a plain connection: the product's
    begins every transaction with BEGIN IMMEDIATE, so it would wait for the write lock a
    worker frozen mid-transaction holds; a plain reader sees the write-ahead log at once."""
    if not storage.startswith("sqlite"):
        return _load(storage, study_name).get_trials(states=(STATES.RUNNING,))
    reader = optuna.storages.RDBStorage(
        storage, skip_compatibility_check=True, skip_table_creation=True
    )
    try:
        study = optuna.load_study(study_name=study_name, storage=reader)
        return study.get_trials(states=(STATES.RUNNING,))
    finally:
        reader.engine.dispose()


def _freeze_inside_a_trial(process: subprocess.Popen, storage: str, study_name: str) -> int:
    """Stop ``process`` (SIGSTOP) at a moment it has a RUNNING trial; that trial's number."""
    _wait_for_trials(storage, study_name, 1)
    for attempt in range(2000):
        if process.poll() is not None:
            raise AssertionError("the worker finished before a RUNNING trial was caught")
        process.send_signal(signal.SIGSTOP)
        running = _running_trials(storage, study_name)
        if running:
            return running[0].number
        process.send_signal(signal.SIGCONT)
        time.sleep(0.003 * (1 + attempt % 7))
    raise AssertionError("the worker never had a RUNNING trial")


def test_killed_worker_trial_is_failed_and_retried(storage, accounts_file, sample_accounts):
    study_name = _study_name()
    # a budget large enough that the first worker cannot finish before it is caught
    # (journal trials are the fastest and each look at the journal replays it)
    budget = 150 if storage.endswith(".journal") else 40
    options = ["--trials", str(budget), "--grace", "2", "--seed", "3"]
    first = _worker(accounts_file, storage, study_name, *options)
    try:
        killed = _freeze_inside_a_trial(first, storage, study_name)
    finally:
        first.kill()  # kill -9
        first.wait()
    time.sleep(2.5)  # the grace period passes
    others = [_worker(accounts_file, storage, study_name, *options) for _ in range(2)]
    for process in others:
        code, err = _finish(process)
        assert code == 0, err
    study = _load(storage, study_name)
    original = study.trials[killed]
    assert original.state == STATES.FAIL
    retries = [t for t in study.trials if t.system_attrs.get("failed_trial") == killed]
    assert len(retries) == 1 and retries[0].state == STATES.COMPLETE
    for name, value in original.params.items():  # the same point, evaluated again
        assert retries[0].params[name] == value
    assert len(_search_trials(study)) == budget
    assert not study.get_trials(states=(STATES.RUNNING, STATES.WAITING))
    _assert_feasible(study, sample_accounts)


def test_server_restart_mid_run(postgres, accounts_file, sample_accounts, tmp_path):
    storage = postgres.url()
    study_name = _study_name()
    outputs = [tmp_path / f"w{k}.json" for k in range(2)]
    workers = [
        _worker(accounts_file, storage, study_name, "--trials", "50", "--seed", "5",
                "--grace", "5", "--json-out", str(out))
        for out in outputs
    ]  # fmt: skip
    _wait_for_trials(storage, study_name, 5)
    postgres.restart(down_seconds=2.0)
    for process, out in zip(workers, outputs, strict=True):
        code, err = _finish(process)
        assert "Traceback" not in err, err
        # reconnected and finished, or stopped with one sentence; either way a result
        assert code == 0 or (code == 1 and "the best so far was written" in err), err
        assert json.loads(out.read_text())["weights"]
    study = _load(storage, study_name)
    assert 45 <= len(_search_trials(study)) <= 50
    _assert_feasible(study, sample_accounts)


def test_lost_server_stops_with_one_sentence_and_the_best_so_far(postgres, accounts_file, tmp_path):
    study_name = _study_name()
    out = tmp_path / "w.json"
    process = _worker(accounts_file, postgres.url(), study_name, "--trials", "5000",
                      "--storage-wait", "3", "--json-out", str(out))  # fmt: skip
    _wait_for_trials(postgres.url(), study_name, 3)
    postgres.stop(remove=False)
    try:
        code, err = _finish(process)
    finally:
        postgres.resume()
    assert code == 1, err
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("icp-xl: error:")]
    assert len(errors) == 1, err
    assert errors[0].startswith(
        "icp-xl: error: Lost the Optuna storage postgresql://icp:***@127.0.0.1:"
    )
    assert errors[0].endswith("; the best so far was written")
    assert "did not come back within 3 s" in errors[0]
    assert "w0rd" not in err
    document = json.loads(out.read_text())
    assert document["interrupted"] is True and document["weights"]


def test_a_study_table_dropped_during_the_run_stops_with_one_sentence(accounts_file, tmp_path):
    """The storage breaks after trials ran (its trial_values table is dropped): one line
    saying it was lost, and the best so far is written; no traceback."""
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    study_name = _study_name()
    out = tmp_path / "w.json"
    process = _worker(accounts_file, storage, study_name, "--trials", "5000",
                      "--storage-wait", "2", "--json-out", str(out))  # fmt: skip
    _wait_for_trials(storage, study_name, 3)
    with sqlite3.connect(tmp_path / "study.db", timeout=30) as database:
        database.execute("DROP TABLE trial_values")
    code, err = _finish(process)
    assert code == 1, err
    assert "Traceback" not in err
    (line,) = [line for line in err.splitlines() if line.startswith("icp-xl: error:")]
    assert line.startswith(f"icp-xl: error: Lost the Optuna storage {storage} and it did not")
    assert line.endswith("(no such table: trial_values); the best so far was written")
    assert json.loads(out.read_text())["weights"]


def test_an_error_after_trials_ran_is_not_called_a_failure_to_open():
    error = RuntimeError("Trial#26 has already finished and can not be updated.")
    url = "postgresql://icp:secret@db.example.com:5432/icp_optuna"
    assert describe_error(error, url) == (
        "Cannot open the Optuna storage postgresql://icp:***@db.example.com:5432/icp_optuna: "
        "Trial#26 has already finished and can not be updated."
    )
    assert describe_error(error, url, during_run=True) == (
        "The Optuna storage postgresql://icp:***@db.example.com:5432/icp_optuna failed during "
        "the run: Trial#26 has already finished and can not be updated."
    )


def test_sigterm_stops_cleanly_and_writes_the_best_so_far(storage, accounts_file, tmp_path):
    study_name = _study_name()
    out = tmp_path / "w.json"
    process = _worker(accounts_file, storage, study_name, "--trials", "5000",
                      "--json-out", str(out))  # fmt: skip
    _wait_for_trials(storage, study_name, 3)
    process.send_signal(signal.SIGTERM)
    code, err = _finish(process)
    assert code == 143, err
    assert "Traceback" not in err
    document = json.loads(out.read_text())
    assert document["interrupted"] is True
    study = _load(storage, study_name)
    assert not study.get_trials(states=(STATES.RUNNING,))  # the trial in flight was failed


def test_ctrl_c_at_any_moment_leaves_a_consistent_study(sample_accounts, tmp_path):
    """Real SIGINTs at random moments (in ask, between evaluation and tell, right after
    tell): every run returns the best so far, no trial stays RUNNING, none is told twice."""
    storage = str(tmp_path / "ctrl-c.journal")
    rng = np.random.default_rng(0)
    main_thread = threading.main_thread().ident
    lost: list[int] = []

    def rescue(attempt: int) -> None:  # a lost Ctrl-C fails in seconds, not 5,000 trials
        lost.append(attempt)
        signal.pthread_kill(main_thread, signal.SIGINT)

    for attempt in range(15):
        delay = float(rng.uniform(0.05, 0.4))
        timers = [
            threading.Timer(delay, signal.pthread_kill, (main_thread, signal.SIGINT)),
            threading.Timer(delay + 20.0, rescue, (attempt,)),
        ]
        for timer in timers:
            timer.start()
        try:
            result = optimize_weights(
                sample_accounts, SETTINGS, n_trials=5000, folds=0, storage=storage,
                study_name=f"c{attempt}", seed=attempt,
            )  # fmt: skip
        except KeyboardInterrupt:
            continue  # before the first trial finished: nothing to report
        finally:
            for timer in timers:
                timer.cancel()
            assert not lost, f"the Ctrl-C of run {lost[0]} was lost"
        assert result.interrupted
        study = _load(storage, f"c{attempt}")
        assert not study.get_trials(states=(STATES.RUNNING,))
        assert result.objective == pytest.approx(
            min(t.value for t in study.get_trials(states=(STATES.COMPLETE,))), abs=1e-12
        )


# ---------------------------------------------------------------- configuration


def test_mismatched_worker_is_refused(storage, sample_accounts, sample_raw):
    study_name = _study_name()
    quick = {"n_trials": 4, "folds": 0, "storage": storage, "study_name": study_name}
    optimize_weights(sample_accounts, SETTINGS, **quick)
    with pytest.raises(IcpError) as refused:
        optimize_weights(sample_accounts, SETTINGS, include_size=False, lam=0.3, **quick)
    assert str(refused.value) == (
        f"This worker does not match study '{study_name}': size included yes in the study, "
        "no here; lambda 0.25 in the study, 0.3 here. Use the study's settings, or another "
        "study name"
    )
    assert refused.value.for_options({"--study"}).endswith("or another study name (--study)")
    other = prepare_accounts(sample_raw.iloc[:500])
    with pytest.raises(IcpError, match="the accounts data differ"):
        optimize_weights(other, SETTINGS, **quick)
    with pytest.raises(IcpError, match="trial budget 4 in the study, 9 here"):
        optimize_weights(sample_accounts, SETTINGS, **{**quick, "n_trials": 9})
    # nothing was added by the refused workers
    assert len(_load(storage, study_name).trials) == 4


def test_mismatched_cli_worker_gets_one_line(accounts_file, tmp_path, capsys):
    storage = str(tmp_path / "m.journal")
    base = ["optimize", str(accounts_file), "--storage", storage, "--study", "m", "--quiet",
            "--trials", "3", "--folds", "0"]  # fmt: skip
    assert main(base) == 0
    capsys.readouterr()
    assert main([*base, "--no-size"]) == 1
    err = capsys.readouterr().err
    assert _has_one_line(err) and "size included yes in the study, no here" in err


# ---------------------------------------------------------------- connection errors


@pytest.mark.parametrize(
    ("url_of", "expected"),
    [
        (lambda c: c.url(password="wrong-" + PASSWORD), "refused user 'icp' or its password"),
        (lambda c: c.url().replace("127.0.0.1", "no-such-host.invalid"), "unknown host"),
        (lambda c: c.url("no_such_db"), "database 'no_such_db' does not exist"),
        (lambda c: c.url(LOCKED_DATABASE), "GRANT CREATE ON SCHEMA public TO icp"),
        (lambda c: c.url().replace(f"{c.port}", "1"), "nothing is listening at 127.0.0.1:1"),
        (lambda c: c.url().replace("%40", "@"), "contains '@': write it as %40"),
        (lambda c: c.url().replace("postgresql://", "postgres://"), "write postgresql://"),
    ],
)
def test_connection_errors_are_one_line_without_the_password(
    postgres, accounts_file, capsys, url_of, expected
):
    url = url_of(postgres)
    code = main(["optimize", str(accounts_file), "--storage", url, "--study", "e", "--quiet",
                 "--trials", "2", "--folds", "0"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 1
    assert _has_one_line(err), err
    assert expected in err, err
    for secret in (PASSWORD, "pa%40ss%2Fw0rd", "ss/w0rd", "w0rd"):
        assert secret not in err, err


def test_driver_suffixes_are_accepted(postgres, sample_accounts):
    plain = postgres.url()
    for url in (plain, plain.replace("postgresql://", "postgresql+psycopg://")):
        result = optimize_weights(
            sample_accounts, SETTINGS, n_trials=2, folds=0, storage=url, study_name=_study_name()
        )
        assert result.n_trials == 2


# ---------------------------------------------------------------- URLs, seeds, pure parts


def test_urls_are_normalized_and_redacted():
    assert normalize_url("postgresql://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert normalize_url("postgresql+psycopg2://u@h/db") == "postgresql+psycopg2://u@h/db"
    assert normalize_url(" runs/icp.journal ") == "runs/icp.journal"
    assert normalize_url("sqlite:////tmp/a@b/x.db") == "sqlite:////tmp/a@b/x.db"
    with pytest.raises(IcpError, match="contains '/': write it as %2F"):
        normalize_url("postgresql://u:pa/ss@h/db")
    url = "postgresql://icp:s%40cret@db.example/icp"
    text = f"could not connect to {url} (password=s@cret) s%40cret s@cret"
    assert "cret" not in redact(text, url)
    assert "icp:***@db.example" in redact(text, url)


def test_worker_seeds_differ_per_worker_and_repeat():
    seeds = {worker_seed(42, "study", f"w{k}", 2**32 - 11) for k in range(50)}
    assert len(seeds) == 50
    assert worker_seed(42, "study", "w1", 2**32 - 11) == worker_seed(42, "study", "w1", 2**32 - 11)
    assert worker_seed(None, "study", "w1", 2**32 - 11) is None


def test_transient_errors_are_told_apart_from_permanent_ones():
    import sqlalchemy.exc

    dropped = sqlalchemy.exc.OperationalError(
        "SELECT 1", {}, Exception("server closed the connection unexpectedly")
    )
    wrong = sqlalchemy.exc.OperationalError(
        "", {}, Exception('password authentication failed for user "icp"')
    )
    assert is_transient(dropped)
    assert not is_transient(wrong)
    assert "Background on this error" not in describe_error(dropped, "postgresql://a:b@h/d")


def test_storage_from_the_environment_and_a_file(accounts_file, tmp_path, capsys):
    journal = tmp_path / "env.journal"
    code = _run_main(
        ["optimize", str(accounts_file), "--study", "env", "--trials", "2", "--folds", "0",
         "--quiet"],
        {"ICP_XL_STORAGE": str(journal)},
    )  # fmt: skip
    assert code == 0 and journal.exists()
    empty = tmp_path / "empty.txt"
    empty.write_text("\n")
    assert main(["optimize", str(accounts_file), "--storage-file", str(empty), "--study", "x"]) == 1
    assert f"The storage file {empty} is empty" in capsys.readouterr().err


def test_a_trial_failed_as_stale_meanwhile_is_not_told_and_nothing_raises():
    import optuna

    from icp_xl.studies.workers import tell_unless_failed

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study()
    live, late = study.ask(), study.ask()
    # another worker saw no heartbeat from `late` in time, failed it and queued it again
    study._storage.set_trial_state_values(late._trial_id, state=STATES.FAIL)
    assert tell_unless_failed(study, live, 0.5, {"result": "kept"})
    assert not tell_unless_failed(study, late, 0.25, {"result": "dropped"})
    assert study.trials[live.number].state == STATES.COMPLETE
    assert study.trials[live.number].user_attrs == {"result": "kept"}
    assert study.trials[late.number].state == STATES.FAIL
    assert study.trials[late.number].value is None


@pytest.mark.filterwarnings("ignore:Heartbeat of storage is supposed to be used")
def test_two_workers_failing_the_same_stale_trial_on_sqlite_queue_one_retry(tmp_path):
    # Another worker holds the write lock and fails the trial; this worker's attempt
    # waits for the lock, then must see the trial already failed (before transactions
    # began with BEGIN IMMEDIATE it had read RUNNING and failed it a second time).
    import sqlite3
    import threading

    import optuna

    from icp_xl.studies.connections import open_storage

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    path = tmp_path / "study.db"
    storage = open_storage(f"sqlite:///{path}", grace=30)
    study = optuna.create_study(storage=storage, study_name="race")
    trial = study.ask()
    other = sqlite3.connect(path, isolation_level=None, timeout=60)
    other.execute("BEGIN IMMEDIATE")
    other.execute("UPDATE trials SET state = 'FAIL' WHERE trial_id = ?", (trial._trial_id,))
    outcome: dict[str, object] = {}

    def fail_it() -> None:
        try:
            outcome["failed"] = storage.set_trial_state_values(trial._trial_id, STATES.FAIL)
        except Exception as error:
            outcome["error"] = type(error).__name__

    worker = threading.Thread(target=fail_it)
    worker.start()
    time.sleep(1.0)  # the worker now waits for the lock
    other.execute("COMMIT")
    worker.join(30)
    other.close()
    assert outcome == {"error": "UpdateFinishedTrialError"}


@pytest.mark.filterwarnings("ignore:Heartbeat of storage is supposed to be used")
def test_a_trial_failed_by_another_worker_while_it_is_asked_is_left_to_its_retry(
    sample_accounts, tmp_path
):
    """This worker was slow (its storage was down, say) and another worker failed its
    trial as stale and queued it again while this one was still setting its parameters:
    the worker goes on with the next trial, and the retry is evaluated once."""
    import optuna

    from icp_xl.core.optimization.optimize import optimize_weights as optimize_here
    from icp_xl.studies.connections import open_storage, retry_callback
    from icp_xl.studies.workers import SharedOptunaStudy

    optuna.logging.set_verbosity(optuna.logging.WARNING)

    class OtherWorkerFailsTrialTwo(optuna.samplers.RandomSampler):
        failed = False

        def sample_independent(self, study, trial, param_name, param_distribution):
            if trial.number == 2 and not self.failed:
                self.failed = True  # what the other worker's stale check does
                study._storage.set_trial_state_values(trial._trial_id, state=STATES.FAIL)
                retry_callback()(study, study._storage.get_trial(trial._trial_id))
            return super().sample_independent(study, trial, param_name, param_distribution)

    class Worker(SharedOptunaStudy):
        def open(self, sampler, facts):
            return super().open(OtherWorkerFailsTrialTwo(seed=1), facts)

    url = f"sqlite:///{tmp_path / 'study.db'}"
    worker = Worker(storage=open_storage(url), name="slow", url=url, worker="w1")
    result = optimize_here(sample_accounts, SETTINGS, n_trials=8, folds=0, shared=worker)
    assert result.weights is not None
    study = _load(url, "slow")
    assert study.trials[2].state == STATES.FAIL
    retries = [t for t in study.trials if t.system_attrs.get("failed_trial") == 2]
    assert len(retries) == 1 and retries[0].state == STATES.COMPLETE
    assert len(_search_trials(study)) == 8
