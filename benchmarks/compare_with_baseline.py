"""Does this code write the same outputs as the code of commit ``--baseline`` (default
``HEAD``: the changes not yet committed)? Runs rescore and Import accounts with each on
copies of one workbook (made by this code) and compares every output sheet's cell values
and number formats, the tables' ranges and the defined names (read back with openpyxl;
run times are left out).

    python benchmarks/compare_with_baseline.py [--baseline COMMIT] [--accounts 500]

Each run is a fresh ``python -P`` process whose path starts with one version's package:
``-P`` keeps an ``icp_xl`` folder in the current directory (the repository's own) from
shadowing the baseline. A baseline that cannot open this code's workbooks (the openpyxl
host of ``bench_rescore.BASELINE`` refuses their charts) fails with its own message.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_rescore import export_baseline

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from support.outputs import output_snapshot  # noqa: E402

from icp_xl.workbook import layout  # noqa: E402

_JOB = """
import sys
from icp_xl.hosts.file.book import FileBook
from icp_xl.workbook import actions
book = FileBook.open(sys.argv[1], status=lambda m: None)
if len(sys.argv) > 2:
    actions.import_accounts(book, sys.argv[2])
else:
    actions.rescore(book)
book.save()
"""


def main(argv: list[str] | None = None) -> int:
    from icp_xl.core.inputs.sample import make_sample_accounts
    from icp_xl.hosts.file.new_workbook import new_workbook

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="HEAD", help="commit to compare with")
    parser.add_argument("--accounts", type=int, default=500)
    args = parser.parse_args(argv)
    differences = 0
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        baseline = export_baseline(args.baseline, root / "baseline")
        source = root / "source.xlsx"
        new_workbook(source, make_sample_accounts(args.accounts, seed=5))
        csv = root / "import.csv"
        make_sample_accounts(args.accounts // 2, seed=6).to_csv(csv, index=False)
        for action, extra in (("rescore", []), ("import", [str(csv)])):
            results = {}
            for host, path in (("this", None), ("baseline", baseline)):
                target = root / f"{action}-{host}.xlsx"
                shutil.copyfile(source, target)
                env = {"PYTHONPATH": str(path or Path(__file__).resolve().parent.parent)}
                subprocess.run([sys.executable, "-P", "-c", _JOB, str(target), *extra], check=True,
                               env=env)  # fmt: skip
                results[host] = output_snapshot(target, (layout.ACCOUNTS,))
            for key in ("cells", "tables", "names"):
                mine, theirs = results["this"][key], results["baseline"][key]
                diff = [k for k in mine.keys() | theirs.keys() if mine.get(k) != theirs.get(k)]
                differences += len(diff)
                print(f"{action:>8} {key:>6}: {len(mine):,} compared, {len(diff)} different")
                for k in sorted(diff, key=str)[:5]:
                    print(f"          {k}: this {mine.get(k)!r} / baseline {theirs.get(k)!r}")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
