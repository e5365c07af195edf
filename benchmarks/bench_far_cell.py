"""Peak memory of ``icp-xl rescore`` on a workbook with a note in the last cell
(XFD1048576) of each input and history sheet (Accounts, Weights, Settings, Movers),
against the same workbook without the notes, in the same run.

    python benchmarks/bench_far_cell.py [--sizes 1000 10000] [--runs 2]

For each size a scored ICP workbook is built once (not timed); each measurement is a
fresh ``icp-xl rescore`` process on a copy (peak memory = its own peak RSS, see
``peak_memory.py``; CPU = its user + system seconds). Reading a sheet's whole box, as the
reader did before, a note in XFD1048576 aborted the process (Rust: "memory allocation of
549755813888 bytes failed"); the ratio with/without notes is what memory proportional to
the data means: about 1.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(_ROOT / "tests"))  # the tests' workbook helpers

from support.file_safety import add_far_cell, make_workbook  # noqa: E402

FAR_SHEETS = ("Accounts", "Weights", "Settings", "Movers")


# ``icp-xl rescore PATH``, then its own peak memory (MB) and CPU seconds on stdout.
_RESCORE = """
import resource, sys
from icp_xl.cli import main
from peak_memory import own_peak_mb
code = main(["rescore", sys.argv[1]])
usage = resource.getrusage(resource.RUSAGE_SELF)
print(own_peak_mb(), usage.ru_utime + usage.ru_stime)
sys.exit(code)
"""


def rescore(path: Path) -> tuple[float, float, float, int]:
    """``icp-xl rescore path`` in a new process: (seconds, CPU seconds, peak MB, exit code)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(_ROOT), str(_ROOT / "benchmarks")])}
    started = time.perf_counter()
    run = subprocess.run(
        [sys.executable, "-c", _RESCORE, str(path)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    seconds = time.perf_counter() - started
    figures = run.stdout.split()[-2:]
    peak, cpu = (float(f) for f in figures) if len(figures) == 2 else (math.nan, math.nan)
    return seconds, cpu, peak, run.returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--runs", type=int, default=2, help="measurements of each workbook")
    args = parser.parse_args(argv)
    print(f"{'accounts':>9} {'workbook':>12} {'seconds':>8} {'CPU s':>7} {'peak MB':>8} "
          f"{'exit':>5} {'peak ratio':>11}")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="icp-xl-bench-") as folder:
        for n in args.sizes:
            plain = make_workbook(Path(folder) / f"plain{n}.xlsx", accounts=n)
            far = Path(folder) / f"far{n}.xlsx"
            shutil.copyfile(plain, far)
            for sheet in FAR_SHEETS:
                add_far_cell(far, sheet)
            peaks: dict[str, float] = {}
            for _ in range(args.runs):
                for name, source in (("plain", plain), ("far notes", far)):
                    copy = Path(folder) / "run.xlsx"
                    shutil.copyfile(source, copy)
                    seconds, cpu, peak, code = rescore(copy)
                    peaks[name] = max(peaks.get(name, 0.0), peak)
                    ratio = f"{peak / peaks['plain']:>10.2f}x" if name != "plain" else ""
                    print(f"{n:>9,} {name:>12} {seconds:>8.2f} {cpu:>7.2f} {peak:>8.0f} "
                          f"{code:>5} {ratio:>11}")  # fmt: skip
                    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
