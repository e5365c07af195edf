"""Live mode at scale: file size, ``icp-xl new --live`` time, and LibreOffice's full
recalculation and recalculation after a weight edit, checked against Python.

    python benchmarks/bench_live.py [--sizes 10000 100000] [--uno-python /usr/bin/python3]

For each size, sample accounts (seed 42) become a workbook twice, with and without
``--live`` (file sizes and build times). LibreOffice (25.2 or later) then opens the live
workbook without recalculating, through its UNO API driven by a Python that has the
``uno`` module (the system one on Debian): it times a full recalculation
(``calculateAll``), then sets the four weights to 0.2/0.2/0.3/0.3 and times the
recalculation that follows (``calculate``: only what depends on the weights). The ICP
scores, grades and ranks it computed are compared with Python's scoring of the same
workbook with those weights: grades and ranks must be identical, scores within 1e-9.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(_ROOT / "tests"))  # the tests' LibreOffice profile
from support.libreoffice import libreoffice_profile  # noqa: E402

TIES = {"W_Vertical": 0.2, "W_Size": 0.2, "W_Adoption": 0.3, "W_Relationship": 0.3}

# Run by the UNO-capable Python: argv = workbook, profile folder, JSON of weight cells.
UNO_SCRIPT = r"""
import json, os, subprocess, sys, time
import uno
from com.sun.star.beans import PropertyValue

path, profile, weights = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
port = 20000 + os.getpid() % 20000
office = subprocess.Popen(
    ["soffice", "--headless", "--norestore", "--invisible",
     "-env:UserInstallation=" + uno.systemPathToFileUrl(profile),
     "--accept=socket,host=127.0.0.1,port=%d;urp;" % port],
    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
local = uno.getComponentContext()
resolver = local.ServiceManager.createInstanceWithContext(
    "com.sun.star.bridge.UnoUrlResolver", local)
for _ in range(240):
    try:
        ctx = resolver.resolve(
            "uno:socket,host=127.0.0.1,port=%d;urp;StarOffice.ComponentContext" % port)
        break
    except Exception:
        time.sleep(0.5)
desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
hidden = PropertyValue(); hidden.Name = "Hidden"; hidden.Value = True
start = time.perf_counter()
doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(path), "_blank", 0, (hidden,))
opened = time.perf_counter() - start
start = time.perf_counter(); doc.calculateAll(); full = time.perf_counter() - start
names = doc.NamedRanges
for name, value in weights.items():
    cell = names.getByName(name).getReferredCells().getCellByPosition(0, 0)
    cell.setValue(value)
start = time.perf_counter(); doc.calculate(); edit = time.perf_counter() - start
scores = doc.Sheets.getByName("Scores")
n = int(doc.Sheets.getByName("Live").getCellRangeByName("I2").getValue())
icp = [r[0] for r in scores.getCellRangeByName("J2:J%d" % (n + 1)).getDataArray()]
grade = [r[0] for r in scores.getCellRangeByName("K2:K%d" % (n + 1)).getDataArray()]
rank = [r[0] for r in doc.Sheets.getByName("Live").getCellRangeByName(
    "C2:C%d" % (n + 1)).getDataArray()]
doc.close(True)
try:
    desktop.terminate()
except Exception:
    pass
office.wait(timeout=120)
print(json.dumps({"open": opened, "full": full, "edit": edit, "icp": icp, "grade": grade,
                  "rank": rank}))
"""


def run(size: int, folder: Path, uno_python: str) -> dict[str, float | str]:
    """Build both workbooks of ``size`` accounts and measure LibreOffice on the live one."""
    from icp_xl.core.inputs.sample import make_sample_accounts
    from icp_xl.core.model.scoring import rank_key
    from icp_xl.hosts.file.book import FileBook
    from icp_xl.hosts.file.new_workbook import new_workbook
    from icp_xl.workbook.actions.scoring import score_book

    accounts = make_sample_accounts(size, seed=42)
    figures: dict[str, float | str] = {"accounts": size}
    for live in (False, True):
        path = folder / f"{'live' if live else 'plain'}_{size}.xlsx"
        start = time.perf_counter()
        new_workbook(path, accounts, live=live)
        figures[f"new {'live' if live else 'plain'} s"] = time.perf_counter() - start
        figures[f"{'live' if live else 'plain'} MB"] = path.stat().st_size / 1e6
    live_path = folder / f"live_{size}.xlsx"
    edited = folder / f"edited_{size}.xlsx"
    shutil.copyfile(live_path, edited)
    book = FileBook.open(edited, status=lambda message: None)
    for name, value in TIES.items():
        book.set_name(name, value)
    expected = score_book(book).scored
    profile = libreoffice_profile(folder / f"profile_{size}", recalculate_on_load=False)
    out = subprocess.run(
        [uno_python, "-c", UNO_SCRIPT, str(live_path), str(profile), json.dumps(TIES)],
        capture_output=True, text=True, check=True, timeout=3600,
    )  # fmt: skip
    measured = json.loads(out.stdout.strip().splitlines()[-1])
    raw = expected["ICP_score_raw"].to_numpy()
    ranks = np.empty(len(raw))
    ranks[np.argsort(rank_key(raw), kind="stable")] = np.arange(1, len(raw) + 1)
    icp_error = float(np.max(np.abs(np.array(measured["icp"]) - expected["ICP_score"])))
    same = (
        measured["grade"] == expected["ICP_grade"].tolist() and measured["rank"] == ranks.tolist()
    )
    figures.update(
        {
            "LO open s": measured["open"],
            "LO full recalc s": measured["full"],
            "LO recalc after weights s": measured["edit"],
            "max |ICP - Python|": icp_error,
            "ranks and grades": "identical" if same else "DIFFER",
        }
    )
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--uno-python", default="/usr/bin/python3")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            figures = run(size, Path(tmp), args.uno_python)
            print(
                "; ".join(
                    f"{k}: {v:.3g}" if isinstance(v, float) else f"{k}: {v}"
                    for k, v in figures.items()
                ),
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
