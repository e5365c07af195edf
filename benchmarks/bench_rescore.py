"""Headless rescore vs the openpyxl floor, at 10,000 and 100,000 accounts (one run each).

    python benchmarks/bench_rescore.py [--sizes 10000 100000]

For each size a scored ICP workbook is built once (not timed), then each measurement
runs in a fresh process (peak memory = that process's max RSS):

- ``rescore``: ``icp-xl rescore`` work: FileBook.open (package check + openpyxl load),
  read Accounts/Weights/Settings, score, write Scores/Segments/Top Customers/Dashboard/
  chart data, rebuild structure and charts, atomic save;
- ``floor``: openpyxl alone on the same file and the same cells, no scoring: load the
  workbook, read every Accounts cell, read and write back every Scores cell, save;
- ``streaming``: the lowest openpyxl cost for the same cells (context, not a target):
  read-only read of Accounts and Scores, write-only write of both into a new file.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rescore(path: str) -> None:
    from icp_xl.hosts.file.book import FileBook
    from icp_xl.workbook.actions import rescore

    book = FileBook.open(path, status=lambda message: None)
    rescore(book)
    book.save()


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


def _streaming(path: str) -> None:
    from openpyxl import Workbook, load_workbook

    from icp_xl.workbook import layout

    source = load_workbook(path, read_only=True)
    sheets = {
        name: list(source[name].iter_rows(values_only=True))
        for name in (layout.ACCOUNTS, layout.SCORES)
    }
    source.close()
    out = Workbook(write_only=True)
    for name, rows in sheets.items():
        sheet = out.create_sheet(name)
        for row in rows:
            sheet.append(row)
    out.save(path + ".streamed.xlsx")


def _measure(job: str, path: str, queue: multiprocessing.Queue) -> None:
    function = {"rescore": _rescore, "floor": _floor, "streaming": _streaming}[job]
    started = time.perf_counter()
    function(path)
    queue.put((time.perf_counter() - started, _peak_mb()))


def run(job: str, path: Path) -> tuple[float, float]:
    """(seconds, peak MB) of ``job`` on ``path`` in a fresh process."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_measure, args=(job, str(path), queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def build(n: int, folder: Path) -> Path:
    from icp_xl.core.sample import make_sample_accounts
    from icp_xl.hosts.file.new_workbook import new_workbook

    path = folder / f"icp_{n}.xlsx"
    new_workbook(path, make_sample_accounts(n, seed=7))
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args(argv)
    print(f"{'accounts':>9} {'job':>10} {'seconds':>9} {'peak MB':>9} {'vs floor':>9}")
    with tempfile.TemporaryDirectory() as folder:
        for n in args.sizes:
            path = build(n, Path(folder))
            results = {job: run(job, path) for job in ("floor", "rescore", "streaming")}
            floor = results["floor"][0]
            for job, (seconds, peak) in results.items():
                print(f"{n:>9,} {job:>10} {seconds:>9.2f} {peak:>9.0f} {seconds / floor:>8.2f}x")
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
