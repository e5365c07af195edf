"""Headless rescore and ``icp-xl new``: this code against the code before the package-level
file host ("today", commit ``BASELINE``), and against the openpyxl floor, in one run.

    python benchmarks/bench_rescore.py [--sizes 10000 100000] [--baseline COMMIT]
        [--jobs rescore new ...]

"Today" is the same job run with the baseline's ``icp_xl`` package, exported with ``git
archive`` into a temporary folder, compiled to bytecode there (not timed, as this code's
is) and put first on the job's ``PYTHONPATH``, which ``-P`` keeps ahead of the current
folder (nothing else changes: same data, same machine, same run). For each size a scored
ICP workbook is built once (not timed), then each job runs in a fresh process.
``rescore`` and ``new`` are the commands a user types, ``python -m icp_xl rescore ...``,
timed from the start of that process to its exit (the interpreter's start and the
imports included); their peak memory and CPU seconds are that process's own
(``os.wait4``), started from a small process so that Linux's peak, carried across exec,
is not its starter's. The floor runs inside its process (peak = ``peak_memory.py``). The
load average is printed before and after:

- ``rescore`` / ``rescore today``: ``icp-xl rescore``: open, read
  Accounts/Weights/Settings, score, write Scores/Segments/Top Customers/Dashboard/chart
  data (and, this code, Data Quality, Movers and the run history), atomic save. "Today"
  rescores the workbook its own ``new`` made from the same accounts (the ``new today``
  job): it refuses this code's workbooks, whose Account and Movers charts it does not know;
- ``floor``: openpyxl alone on the same file and the same cells, no scoring: load the
  workbook, read every Accounts cell, read and write back every Scores cell, save;
- ``new`` / ``new today``: ``icp-xl new --force`` from a CSV of the same accounts.
"""

from __future__ import annotations

import argparse
import compileall
import io
import multiprocessing
import os
import queue as queue_module
import resource
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from peak_memory import own_peak_mb

JOBS = ["floor", "rescore", "rescore today", "new", "new today"]
BASELINE = "2027fbe"  # main before the package-level file host (openpyxl load + save)
_ROOT = Path(__file__).resolve().parent.parent


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _floor(path: str) -> None:
    from openpyxl import load_workbook

    from icp_xl.workbook import layout

    wb = load_workbook(path)
    accounts = wb[layout.ACCOUNTS]
    ref = accounts.tables[layout.ACCOUNTS_TABLE.name].ref
    cells = [[c.value for c in row] for row in accounts[ref]]
    scores = wb[layout.SCORES]
    ref = scores.tables[layout.SCORES_TABLE.name].ref
    rows = [[c.value for c in row] for row in scores[ref]]
    for i, row in enumerate(rows, start=1):
        for j, value in enumerate(row, start=1):
            scores.cell(row=i, column=j).value = value
    del cells
    wb.save(path)


def _made_by(job: str, path: str) -> str:
    """The workbook ``new`` (or ``new today``) writes, which ``rescore today`` rescores."""
    return path + (".today.xlsx" if job.endswith(" today") else ".new.xlsx")


def _command(job: str, path: str) -> list[str]:
    """The ``icp-xl`` command line of ``job`` (``rescore today`` rescores what ``new
    today`` made: the baseline refuses this code's workbooks)."""
    if job.startswith("new"):
        return ["new", path + ".csv", "-o", _made_by(job, path), "--force"]
    return ["rescore", _made_by(job, path) if job.endswith(" today") else path]


def _measure(job: str, path: str, baseline: str, queue: multiprocessing.Queue) -> None:
    if job == "floor":
        started, cpu = time.perf_counter(), _cpu_seconds()
        _floor(path)
        queue.put((time.perf_counter() - started, own_peak_mb(), _cpu_seconds() - cpu))
        return
    code = baseline if job.endswith(" today") else str(_ROOT)
    environment = dict(os.environ, PYTHONPATH=code)
    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, "-P", "-m", "icp_xl", *_command(job, path)],
            env=environment, stdout=subprocess.DEVNULL, stderr=errors,
        )  # fmt: skip
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)  # reaped: Popen must not wait
        if child.returncode:
            errors.seek(0)
            sys.stderr.write(errors.read().decode(errors="replace"))
            return  # run() reports the failure
    queue.put((seconds, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime))


def run(job: str, path: Path, baseline: Path) -> tuple[float, float, float]:
    """(seconds, peak MB, CPU seconds) of ``job`` on ``path`` in a fresh process."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_measure, args=(job, str(path), str(baseline), queue))
    process.start()
    while True:  # a job that dies (an error in its process) must not hang the benchmark
        try:
            result = queue.get(timeout=1)
            break
        except queue_module.Empty:
            if not process.is_alive():
                raise SystemExit(f"{job} failed (exit code {process.exitcode})") from None
    process.join()
    return result


def build(n: int, folder: Path) -> Path:
    from icp_xl.core.inputs.sample import make_sample_accounts
    from icp_xl.hosts.file.new_workbook import new_workbook

    path = folder / f"icp_{n}.xlsx"
    accounts = make_sample_accounts(n, seed=7)
    accounts.to_csv(f"{path}.csv", index=False)
    new_workbook(path, accounts)
    return path


def export_baseline(commit: str, folder: Path) -> Path:
    """The ``icp_xl`` package of ``commit`` in ``folder`` (``git archive``)."""
    archive = subprocess.run(
        ["git", "-C", str(_ROOT), "archive", commit, "icp_xl"], check=True, capture_output=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    compileall.compile_dir(folder / "icp_xl", quiet=1)  # as this code's is, not timed
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--baseline", default=BASELINE, help="commit measured as 'today'")
    parser.add_argument("--jobs", nargs="+", choices=JOBS, default=JOBS,
                        help="measure only these jobs (the ratios need their pairs)")  # fmt: skip
    args = parser.parse_args(argv)
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    print(f"{'accounts':>9} {'job':>14} {'seconds':>9} {'CPU s':>7} {'peak MB':>9} "
          f"{'vs floor':>9} {'today/this':>10}")  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        baseline = export_baseline(args.baseline, Path(folder) / "baseline")
        for n in args.sizes:
            path = build(n, Path(folder))
            results = {}
            if "rescore today" in args.jobs:  # it needs the workbook "new today" makes
                results["new today"] = run("new today", path, baseline)
            for job in args.jobs:
                if job not in results:
                    results[job] = run(job, path, baseline)
            floor = results.get("floor", (None,))[0]
            for job in [j for j in JOBS if j in results]:
                seconds, peak, cpu = results[job]
                today = results.get(f"{job} today", (None,))[0]
                speedup = f"{today / seconds:>9.1f}x" if today else ""
                versus = f"{seconds / floor:>8.2f}x" if floor else ""
                print(f"{n:>9,} {job:>14} {seconds:>9.2f} {cpu:>7.2f} {peak:>9.0f} "
                      f"{versus:>9} {speedup:>10}")  # fmt: skip
                sys.stdout.flush()
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
