"""Never lose a file: the output policy, read-only and locked files, owners, symlinks,
concurrent edits, full disks, SIGTERM and stale temporary files. Each test builds the
smallest file that shows its case; the normal-user cases run without root's
privileges (see ``support.file_safety.normal_user_prefix``)."""

from __future__ import annotations

import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest
from support.file_safety import (
    REPO,
    cli,
    give_to_user,
    make_workbook,
    normal_user_prefix,
    remove_folder,
    temp_files,
    user_folder,
)

from icp_xl.cli import main
from icp_xl.core.errors import IcpError
from icp_xl.core.inputs.sample import make_sample_accounts
from icp_xl.files.atomic import (
    STALE_TEMP_SECONDS,
    TEMP_PREFIX,
    FileChangedError,
    Terminated,
    atomic_write,
    file_stamp,
)
from icp_xl.hosts.file.book import FileBook
from icp_xl.workbook import layout


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_workbook(tmp_path_factory.mktemp("writes") / "ICP.xlsx")


@pytest.fixture
def accounts(tmp_path: Path) -> Path:
    path = tmp_path / "a.csv"
    make_sample_accounts(60, seed=1).to_csv(path, index=False)
    return path


def _scores_rows(path: Path) -> int:
    book = openpyxl.load_workbook(path, read_only=False)
    for ws in book.worksheets:
        if layout.SCORES_TABLE.name in ws.tables:
            ref = ws.tables[layout.SCORES_TABLE.name].ref
            return int(ref.split(":")[1].lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")) - 1
    raise AssertionError("no Scores table")


def _error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    return err[-1] if err else ""


# ------------------------------------------------------------------ 1. output policy


@pytest.mark.parametrize(
    ("command", "fragment"),
    [
        (["export", "{wb}", "-o", "{wb}"], "must end in .csv"),
        (["export", "{wb}", "-o", "{dir}/e.xlsx"], "must end in .csv"),
        (["optimize", "{wb}", "--json-out", "{wb}", "--quiet"], "must end in .json"),
        (["optimize", "{csv}", "--json-out", "{csv}", "--quiet"], "must end in .json"),
        (["score", "{csv}", "-o", "{wb}"], "must end in .csv"),
        (["score", "{csv}", "-o", "{csv}"], "is an input of this command"),
        (["score", "{csv}", "-o", "{dir}/link.csv"], "is an input of this command"),
        (["score", "{csv}", "-o", "{dir}/hard.csv"], "is an input of this command"),
        (["sample", "-n", "10", "-o", "{wb}"], "already exists; choose another output"),
        (["sample", "-n", "10", "-o", "{wb}", "--force"], "is not an Excel workbook"),
        (["new", "{csv}", "-o", "{csv}"], "must end in .xlsx"),
        (["new", "{csv}", "-o", "{wb}"], "is already an ICP workbook"),
        (["addin", "build", "-o", "{dir}/ICP.xlsx"], "must end in .xlam"),
    ],
)
def test_output_policy_refuses_before_writing(
    command: list[str],
    fragment: str,
    template: Path,
    accounts: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    workbook = tmp_path / "ICP.xlsx"
    shutil.copyfile(template, workbook)
    if "--force" in command:  # an .xlsx that is really text: another kind of file
        workbook.write_text("not a workbook\n")
    (tmp_path / "link.csv").symlink_to(accounts)
    os.link(accounts, tmp_path / "hard.csv")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    args = [a.format(wb=workbook, csv=accounts, dir=tmp_path) for a in command]
    assert main(args) == 1
    assert fragment in _error(capsys)
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    assert after == before


def test_force_replaces_a_file_of_the_same_kind(accounts: Path, tmp_path: Path) -> None:
    out = tmp_path / "s.csv"
    out.write_text("old,scores\n")
    assert main(["score", str(accounts), "-o", str(out)]) == 1
    assert out.read_text() == "old,scores\n"
    assert main(["score", str(accounts), "-o", str(out), "--force"]) == 0
    assert "ICP_score" in out.read_text().splitlines()[0]


def test_demo_checks_its_options_before_writing(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "demo"
    assert main(["demo", "-o", str(folder), "-n", "60", "--trials", "2"]) == 1
    assert "-n 60 is too few sample accounts" in _error(capsys)
    assert main(["demo", "-o", str(folder), "-n", "200", "--trials", "0"]) == 1
    assert "--trials must be at least 1" in _error(capsys)
    assert not folder.exists()


def test_sample_seed_out_of_range_is_one_sentence(tmp_path: Path, capsys) -> None:
    assert main(["sample", "--seed", "-1", "-o", str(tmp_path / "s.csv")]) == 1
    assert _error(capsys).startswith("icp-xl: error: --seed must be a whole number")
    assert not (tmp_path / "s.csv").exists()


# ------------------------------------------------------------------ 3. permissions, locks


@pytest.fixture
def user_workbook(template: Path):
    folder = user_folder()
    path = folder / "ICP.xlsx"
    shutil.copyfile(template, path)
    give_to_user(path)
    yield path
    remove_folder(folder)


def test_read_only_workbook_is_refused_for_a_normal_user(user_workbook: Path) -> None:
    os.chmod(user_workbook, 0o444)
    before = user_workbook.read_bytes()
    run = cli(["rescore", str(user_workbook)], as_user=True)
    assert run.returncode == 1, run.stderr
    assert "ICP.xlsx is read-only; nothing was written" in run.stderr
    assert user_workbook.read_bytes() == before
    assert temp_files(user_workbook.parent) == []


def test_writable_workbook_is_rescored_by_the_normal_user(user_workbook: Path) -> None:
    """The control case: the same user and folder can write a writable file."""
    before = user_workbook.read_bytes()
    run = cli(["rescore", str(user_workbook)], as_user=True)
    assert run.returncode == 0, run.stderr
    assert user_workbook.read_bytes() != before


def test_read_only_bits_are_respected_even_by_root(workbook_copy: Path, capsys) -> None:
    os.chmod(workbook_copy, 0o444)
    before = workbook_copy.read_bytes()
    assert main(["rescore", str(workbook_copy)]) == 1
    assert "read-only" in _error(capsys)
    assert workbook_copy.read_bytes() == before


@pytest.fixture
def workbook_copy(template: Path, tmp_path: Path) -> Path:
    path = tmp_path / "ICP.xlsx"
    shutil.copyfile(template, path)
    return path


def test_excel_lock_file_refuses_naming_the_lock(workbook_copy: Path, capsys) -> None:
    (workbook_copy.parent / "~$ICP.xlsx").write_bytes(b"\x08analyst")
    before = workbook_copy.read_bytes()
    assert main(["rescore", str(workbook_copy)]) == 1
    assert "open in Excel (lock file ~$ICP.xlsx beside it)" in _error(capsys)
    assert workbook_copy.read_bytes() == before


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file to another user")
def test_owner_and_mode_of_the_replaced_file_are_kept(workbook_copy: Path) -> None:
    os.chown(workbook_copy, 65534, 65534)
    os.chmod(workbook_copy, 0o640)
    assert main(["rescore", str(workbook_copy)]) == 0
    info = workbook_copy.stat()
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (65534, 65534, 0o640)


def test_a_symlink_is_written_through_to_its_target(template: Path, tmp_path: Path) -> None:
    real = tmp_path / "real" / "ICP.xlsx"
    real.parent.mkdir()
    shutil.copyfile(template, real)
    link = tmp_path / "link.xlsx"
    link.symlink_to(real)
    before = real.read_bytes()
    assert main(["rescore", str(link)]) == 0
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert real.read_bytes() != before
    assert _scores_rows(real) == 200


# ------------------------------------------------------------------ 4. concurrent edits


def _edit_elsewhere(path: Path) -> bytes:
    """Save a change to ``path`` as another program would; return the new bytes."""
    book = openpyxl.load_workbook(path)
    book.create_sheet("Edited meanwhile")["A1"] = "my edit"
    book.save(path)
    return path.read_bytes()


def test_rescore_refuses_to_overwrite_edits_saved_meanwhile(workbook_copy: Path) -> None:
    from icp_xl.workbook.actions import rescore

    first = FileBook.open(workbook_copy, status=lambda m: None)
    second = FileBook.open(workbook_copy, status=lambda m: None)
    rescore(first)
    first.save()
    after_first = workbook_copy.read_bytes()
    rescore(second)
    with pytest.raises(FileChangedError, match="changed on disk since it was read"):
        second.save()
    assert workbook_copy.read_bytes() == after_first
    assert temp_files(workbook_copy.parent) == []


def test_optimize_keeps_edits_saved_meanwhile_and_its_results_beside(
    workbook_copy: Path,
) -> None:
    import json

    from icp_xl.cli.optimize import _save_or_keep
    from icp_xl.workbook.actions import optimize_book, store_optimization

    book = FileBook.open(workbook_copy, status=lambda m: None)
    result = optimize_book(book, n_trials=2, folds=0)
    edited = _edit_elsewhere(workbook_copy)
    store_optimization(book, result, apply=False)
    with pytest.raises(FileChangedError, match="kept in .*ICP_optimized_weights.json"):
        _save_or_keep(book, result, workbook_copy)
    assert workbook_copy.read_bytes() == edited
    kept = json.loads((workbook_copy.parent / "ICP_optimized_weights.json").read_text())
    assert kept["weights"]["vertical_score"] == pytest.approx(result.weights.vertical)


def test_same_bytes_with_a_new_time_is_not_a_change(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("a\n")
    stamp = file_stamp(path)
    os.utime(path, ns=(stamp.mtime_ns + 10**9, stamp.mtime_ns + 10**9))
    atomic_write(path, lambda tmp: tmp.write_text("b\n"), expected=stamp)
    assert path.read_text() == "b\n"


# ------------------------------------------------------------------ 7. disk full


def _file_size_limit(limit: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

    return apply


def test_disk_full_during_an_xlsx_write_is_one_sentence(workbook_copy: Path) -> None:
    before = workbook_copy.read_bytes()
    run = cli(["rescore", str(workbook_copy)], preexec=_file_size_limit(20_000))
    assert run.returncode == 1
    assert "Exception" not in run.stderr and "Traceback" not in run.stderr, run.stderr
    assert run.stderr.splitlines()[-1] == (
        "icp-xl: error: Cannot write ICP.xlsx: the disk is full (or the file is larger "
        "than allowed); nothing was changed"
    )
    assert workbook_copy.read_bytes() == before
    assert temp_files(workbook_copy.parent) == []


# ------------------------------------------------------------------ 11. SIGTERM, stale temps


def test_sigterm_during_a_save_removes_the_temp_file_and_says_so(tmp_path: Path) -> None:
    path = make_workbook(tmp_path / "ICP.xlsx", accounts=4000)
    before = path.read_bytes()
    process = subprocess.Popen(
        [sys.executable, "-m", "icp_xl", "rescore", str(path)],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    deadline = time.monotonic() + 120
    while not temp_files(tmp_path) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 143, err
    assert err.strip().splitlines()[-1] == "icp-xl: stopped (SIGTERM); no file was half-written"
    assert temp_files(tmp_path) == []
    assert path.read_bytes() == before


_SIGNAL_AT_MKSTEMP = """
import os, signal, sys
from pathlib import Path
from icp_xl.files.atomic import Terminated, atomic_write

def profile(frame, event, arg):  # the signal arrives the moment the file exists
    if event == "return" and frame.f_code.co_name == "mkstemp":
        os.kill(os.getpid(), getattr(signal, sys.argv[2]))

sys.setprofile(profile)
try:
    atomic_write(Path(sys.argv[1]), lambda p: p.write_bytes(b"new"))
except (Terminated, KeyboardInterrupt) as stop:
    sys.setprofile(None)
    print(type(stop).__name__)
"""


@pytest.mark.parametrize("name", ["SIGTERM", "SIGINT"])
def test_a_signal_as_the_temp_file_is_made_still_removes_it(tmp_path: Path, name: str) -> None:
    path = tmp_path / "f.csv"
    path.write_text("original\n")
    done = subprocess.run(
        [sys.executable, "-c", _SIGNAL_AT_MKSTEMP, str(path), name],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == {"SIGTERM": "Terminated", "SIGINT": "KeyboardInterrupt"}[name]
    assert temp_files(tmp_path) == []
    assert path.read_text() == "original\n"


def test_sigterm_inside_atomic_write_raises_terminated(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("original\n")

    def write(temporary: Path) -> None:
        temporary.write_text("half")
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)

    with pytest.raises(Terminated):
        atomic_write(path, write)
    assert path.read_text() == "original\n"
    assert temp_files(tmp_path) == []
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


def test_stale_temp_files_of_ours_are_removed_on_the_next_run(
    workbook_copy: Path, accounts: Path
) -> None:
    folder = workbook_copy.parent
    old = time.time() - STALE_TEMP_SECONDS - 60
    stale = folder / f"{TEMP_PREFIX}999999999-ICP-x1.xlsx"
    recent = folder / f"{TEMP_PREFIX}999999999-ICP-x2.xlsx"
    running = folder / f"{TEMP_PREFIX}{os.getpid()}-ICP-x3.xlsx"
    foreign = folder / ".ICP-x4.xlsx"  # not ours: never touched
    for path in (stale, recent, running, foreign):
        path.write_text("partial")
    for path in (stale, running, foreign):
        os.utime(path, (old, old))
    assert main(["rescore", str(workbook_copy)]) == 0
    assert not stale.exists()
    assert recent.exists() and running.exists() and foreign.exists()


def test_a_folder_that_takes_no_file_is_refused_up_front(tmp_path: Path, accounts) -> None:
    if not normal_user_prefix():
        pytest.skip("needs root to set up the other user")
    folder = user_folder()
    try:
        source = folder / "a.csv"
        shutil.copyfile(accounts, source)
        give_to_user(source)
        os.chmod(folder, 0o555)
        run = cli(["score", str(source), "-o", str(folder / "s.csv")], as_user=True)
        assert run.returncode == 1
        assert run.stderr.strip() == f"icp-xl: error: Cannot write in {folder}: permission denied"
    finally:
        os.chmod(folder, 0o755)
        remove_folder(folder)


def test_check_writable_refusals_are_icp_errors(tmp_path: Path) -> None:
    from icp_xl.files.atomic import check_writable

    with pytest.raises(IcpError, match="Folder not found"):
        check_writable(tmp_path / "missing" / "x.csv")
    with pytest.raises(IcpError, match="is a folder"):
        check_writable(tmp_path)
