"""Benchmark: vectorized scoring vs a straightforward row-by-row implementation.

Run: ``python benchmarks/bench_score.py [--accounts 1000000] [--naive-slice 20000]``.
Prints accounts per second for both, on the same sample data in one run, and
their ratio. The naive version computes the same scoring formulas one row at a
time with ``DataFrame.apply`` and plain Python, and is checked to agree.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import numpy as np
import pandas as pd

from icp_xl.core.inputs.accounts import prepare_accounts
from icp_xl.core.inputs.sample import make_sample_accounts
from icp_xl.core.model.scoring import score_accounts
from icp_xl.core.model.settings import Settings


def naive_score(frame: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """The scoring formulas row by row, as a first implementation with DataFrame.apply would."""
    table, weights = settings.vertical_table, settings.weights

    def features(row: pd.Series) -> pd.Series:
        industry = str(row["industry"]).strip().lower()
        revenue = row["annual_revenue"]
        size = settings.neutral_size_score
        if not math.isnan(revenue) and revenue > 0:
            for tier in settings.size_tiers:
                if revenue >= tier.lower and (tier.upper is None or revenue < tier.upper):
                    size = tier.score
                    break
        return pd.Series(
            {
                "vertical": table.get(industry, settings.unknown_industry_score),
                "size": size,
                "printers": math.log1p(max(row["printer_count"], 0)),
                "consumables": math.log1p(max(row["consumable_revenue"], 0)),
                "software": math.log1p(max(row["software_revenue"], 0)),
            }
        )

    f = frame.apply(features, axis=1)

    def scaled(column: str) -> pd.Series:
        low, high = f[column].min(), f[column].max()
        return f[column].apply(lambda x: (x - low) / (high - low) if high > low else 0.0)

    p, c, s = scaled("printers"), scaled("consumables"), scaled("software")
    out = pd.DataFrame(index=frame.index)
    out["adoption_score"] = [0.5 * a + 0.5 * b for a, b in zip(p, c, strict=True)]
    out["relationship_score"] = s
    # Each component's points 100 * (W * component), added in this order (docs/scoring.md):
    # another order gives other last bits, and near-equal raw scores would rank apart.
    out["ICP_score_raw"] = [
        ((100 * (weights.vertical * v) + 100 * (weights.size * z)) + 100 * (weights.adoption * a))
        + 100 * (weights.relationship * r)
        for v, z, a, r in zip(f["vertical"], f["size"], out["adoption_score"], s, strict=True)
    ]
    n = len(out)
    order = sorted(range(n), key=lambda i: out["ICP_score_raw"].iloc[i])
    normal = statistics.NormalDist()
    icp = [0.0] * n
    for rank, i in enumerate(order, start=1):
        icp[i] = min(max(50 + 15 * normal.inv_cdf((rank - 0.5) / n), 0.0), 100.0)
    out["ICP_score"] = icp
    return out


def timed(function, *args):
    start = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--naive-slice", type=int, default=20_000)
    args = parser.parse_args()
    settings = Settings()
    raw = make_sample_accounts(args.accounts, seed=1)
    accounts, prepare_seconds = timed(prepare_accounts, raw)
    score_accounts(prepare_accounts(raw.iloc[:1000]), settings)  # warm-up
    best = min(timed(score_accounts, accounts, settings)[1] for _ in range(3))
    sliced = prepare_accounts(raw.iloc[: args.naive_slice])
    naive, naive_seconds = timed(naive_score, sliced.frame, settings)
    fast = score_accounts(sliced, settings)
    np.testing.assert_allclose(naive["ICP_score_raw"], fast["ICP_score_raw"], atol=1e-9)
    np.testing.assert_allclose(naive["ICP_score"], fast["ICP_score"], atol=1e-6)
    fast_rate = args.accounts / best
    naive_rate = args.naive_slice / naive_seconds
    print(f"accounts                        {args.accounts:>12,}")
    print(f"prepare (typed import) seconds  {prepare_seconds:>12.2f}")
    print(f"score_accounts seconds (best/3) {best:>12.3f}")
    print(f"vectorized accounts/s           {fast_rate:>12,.0f}")
    print(f"row-by-row accounts/s           {naive_rate:>12,.0f}  (on {args.naive_slice:,} rows)")
    print(f"speed-up                        {fast_rate / naive_rate:>12,.0f}x")


if __name__ == "__main__":
    main()
