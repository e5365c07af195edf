"""The floor for ``icp-xl score``: the least any Arrow-based tool does to score a CSV.

Run: ``python benchmarks/score_csv_floor.py ACCOUNTS.csv OUT.csv`` (``bench_score_csv.py``
runs it). It reads the file with pyarrow's multithreaded CSV reader (types inferred, no
check of any cell), computes nine score columns of the output's shape with numpy
(including the one sort the normal-curve ranking needs), and writes the input columns
plus those nine with pyarrow's CSV writer. No column matching, money text, messages,
data-quality checks, formula neutralization or Python-identical float text: what is left
is reading, one sort and writing, the part no scoring tool can skip.
"""

from __future__ import annotations

import sys

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv


def main(source: str, target: str) -> None:
    table = pa_csv.read_csv(source)
    numbers = [
        np.nan_to_num(table.column(i).to_numpy().astype(float))
        for i, field in enumerate(table.schema)
        if pa.types.is_floating(field.type) or pa.types.is_integer(field.type)
    ]
    points = [np.log1p(np.maximum(x, 0)) for x in numbers[:4]]
    raw = sum(points)
    ranks = np.empty(len(raw))
    ranks[np.argsort(raw, kind="stable")] = np.arange(1, len(raw) + 1)
    grades = np.array(list("FDCBA"))[np.minimum((ranks / len(raw) * 5).astype(int), 4)]
    segments = np.where(numbers[0] > 1e6, "Large Enterprise", "Small Business")
    extra = {
        **{f"score_{j}": p for j, p in enumerate(points)},
        "relationship_feature": numbers[3],
        "ICP_score_raw": raw,
        "ICP_score": ranks / len(raw) * 100,
        "ICP_grade": pa.array(grades),
        "customer_segment": pa.array(segments),
    }
    for name, column in extra.items():
        table = table.append_column(name, pa.array(column))
    pa_csv.write_csv(table, target)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
