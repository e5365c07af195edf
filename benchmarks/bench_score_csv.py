"""Benchmark: ``icp-xl score`` on a large CSV vs pandas' default read_csv + to_csv.

Run: ``python benchmarks/bench_score_csv.py [--accounts 1000000] [--csv FILE]``.
In one run it times, on the same sample accounts file, (1) pandas' default
``read_csv`` followed by ``to_csv`` (the floor any pandas-based tool pays to read and
rewrite the file) and (2) the whole ``icp-xl score FILE -o OUT`` command as a
subprocess (interpreter start, imports, reading, checking, scoring, writing), and
(3) the floor, ``benchmarks/score_csv_floor.py`` as a subprocess: pyarrow reads the file,
numpy computes columns of the output's shape with the one sort the ranking needs, pyarrow
writes them, and nothing is checked. It prints the wall-clock times, the ratios to pandas
(target for ``icp-xl score``: 0.3 or less) and of ``icp-xl score`` to the floor, and the
CPU seconds (user + system) each took. The machine's load affects both timings alike; the ratio is
what to compare, and the CPU seconds show what the other jobs on the machine took.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from icp_xl.core.inputs.sample import make_sample_accounts


def _cpu(who: int) -> float:
    """User + system CPU seconds of this process or of its finished children."""
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--csv", type=Path, help="an existing accounts CSV (else a sample)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        source = args.csv
        if source is None:
            source = Path(folder) / "accounts.csv"
            make_sample_accounts(args.accounts, seed=1).to_csv(source, index=False)
        start, cpu = time.perf_counter(), _cpu(resource.RUSAGE_SELF)
        pd.read_csv(source).to_csv(Path(folder) / "pandas.csv", index=False)
        pandas_seconds = time.perf_counter() - start
        pandas_cpu = _cpu(resource.RUSAGE_SELF) - cpu
        environment = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
        scored, floor = Path(folder) / "scored.csv", Path(folder) / "floor.csv"
        command = [sys.executable, "-m", "icp_xl", "score", str(source), "-o", str(scored)]
        score_seconds, score_cpu = _run(command, environment)
        floor_script = Path(__file__).with_name("score_csv_floor.py")
        floor_seconds, floor_cpu = _run(
            [sys.executable, str(floor_script), str(source), str(floor)], environment
        )
        rows = scored.read_bytes().count(b"\n") - 1
    print(f"accounts                               {rows:>10,}")
    print(f"pandas read_csv + to_csv seconds       {pandas_seconds:>10.1f}  (CPU {pandas_cpu:.1f})")
    print(f"icp-xl score (subprocess) seconds      {score_seconds:>10.1f}  (CPU {score_cpu:.1f})")
    print(f"floor (subprocess) seconds             {floor_seconds:>10.1f}  (CPU {floor_cpu:.1f})")
    print(f"ratio icp-xl score / pandas            {score_seconds / pandas_seconds:>10.2f}")
    print(f"ratio floor / pandas                   {floor_seconds / pandas_seconds:>10.2f}")
    print(f"ratio icp-xl score / floor             {score_seconds / floor_seconds:>10.2f}")


def _run(command: list[str], environment: dict[str, str]) -> tuple[float, float]:
    """Wall-clock and CPU seconds of ``command`` run to its end."""
    start, cpu = time.perf_counter(), _cpu(resource.RUSAGE_CHILDREN)
    subprocess.run(command, check=True, env=environment)
    return time.perf_counter() - start, _cpu(resource.RUSAGE_CHILDREN) - cpu


if __name__ == "__main__":
    main()
