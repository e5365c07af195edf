"""Peak memory of ``icp-xl rescore`` on a workbook with a note in the last cell
(XFD1048576) of each input and history sheet (Accounts, Weights, Settings, Movers),
against the same workbook without the notes, in the same run.

    python benchmarks/bench_far_cell.py [--sizes 1000 10000] [--runs 2]

For each size a scored ICP workbook is built once (not timed); each measurement is a
fresh ``icp-xl rescore`` process on a copy (peak memory = its max RSS, CPU = its user +
system seconds). Reading a sheet's whole box, as the reader did before, a note in
XFD1048576 aborted the process (Rust: "memory allocation of 549755813888 bytes failed");
the ratio with/without notes is what memory proportional to the data means: about 1.
"""

from __future__ import annotations

import argparse
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


def rescore(path: Path) -> tuple[float, float, float, int]:
    """``icp-xl rescore path`` in a new process: (seconds, CPU seconds, peak MB, exit code)."""
    env = {**os.environ, "PYTHONPATH": str(_ROOT)}
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "icp_xl", "rescore", str(path)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, code


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
