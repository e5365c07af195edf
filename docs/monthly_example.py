"""Run the monthly routine of docs/history.md on sample data and render its two images.

Usage (from the repository root, with the project's venv)::

    python docs/monthly_example.py            # writes docs/img/preview.png and movers.png

October: a new workbook from 1,500 sample accounts, optimized (the Optimization sheet
previews the optimized weights: ``preview.png``); the weights are applied and the scores
calibrated. November: a new export is imported (25 accounts gone, 40 new, 60 bought more
consumables): the Movers sheet shows what moved and why (``movers.png``); in Calibrated
mode only the accounts whose own data changed move.
Needs ``soffice`` and ``pdftoppm`` (see docs/render.py).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from icp_xl.core.inputs.sample import make_sample_accounts

HERE = Path(__file__).resolve().parent


def monthly_exports(folder: Path) -> tuple[Path, Path]:
    """October's and November's accounts files, written into ``folder``."""
    october = make_sample_accounts(1500, seed=11)
    november = october.iloc[25:].copy()  # 25 accounts gone
    grew = np.random.default_rng(5).choice(len(november), 60, replace=False)
    column = november.columns.get_loc("Total Consumable Revenue")
    november.iloc[grew, column] = november.iloc[grew, column].fillna(0) * 3 + 20_000
    new = make_sample_accounts(40, seed=99)
    new["Customer ID"] = [f"N{i:06d}" for i in range(40)]
    paths = folder / "accounts_2026_10.csv", folder / "accounts_2026_11.csv"
    october.to_csv(paths[0], index=False)
    pd.concat([november, new]).to_csv(paths[1], index=False)
    return paths


def icp_xl(*args: str | Path) -> None:
    subprocess.run([sys.executable, "-m", "icp_xl", *map(str, args)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip


def render(workbook: Path, sheet: str, target: Path) -> None:
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([sys.executable, str(HERE / "render.py"), str(workbook), "-o", out,
                        "--sheets", sheet], check=True, stdout=subprocess.DEVNULL)  # fmt: skip
        shutil.copy(Path(out) / f"{sheet.lower().replace(' ', '_')}.png", target)


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        october, november = monthly_exports(folder)
        book = folder / "ICP.xlsx"
        icp_xl("new", october, "-o", book)
        icp_xl("optimize", book, "--trials", "30", "--quiet")
        render(book, "Optimization", HERE / "img" / "preview.png")
        icp_xl("weights", book, "--use-optimized", "--rescore")
        icp_xl("calibrate", book)
        icp_xl("import", book, november)
        render(book, "Movers", HERE / "img" / "movers.png")
    print("docs/img/preview.png, docs/img/movers.png")


if __name__ == "__main__":
    main()
