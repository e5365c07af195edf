"""Render ICP workbook sheets to PNG with LibreOffice headless, to look at the charts.

Usage (from the repository root, with the project's venv)::

    python docs/render.py                      # build the demo workbook, render to docs/img/
    python docs/render.py ICP.xlsx -o /tmp/img # render an existing workbook
    python docs/render.py --sheets Dashboard Segments --dpi 70

Without a workbook it makes the demo one: ``icp-xl demo`` when that command exists,
else a chart-only workbook built here from the sample accounts (every sheet of the
layout, the 'Chart Data' blocks, the charts, and a short real optimization for the
convergence chart). Each sheet is exported as ONE PDF page (LibreOffice's
``SinglePageSheets`` option), and the pages asked for are turned into PNGs with
``pdftoppm``: ``<out>/<sheet-slug>.png``. Needs ``soffice`` and ``pdftoppm``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import openpyxl

from icp_xl.core.inputs.accounts import prepare_accounts
from icp_xl.core.inputs.sample import make_sample_accounts
from icp_xl.core.model.scoring import score_accounts
from icp_xl.core.model.segments import within_segment_scores
from icp_xl.core.model.settings import Settings
from icp_xl.hosts.file.charts import add_charts
from icp_xl.workbook.chart_data import chart_blocks
from icp_xl.workbook.layout import DASHBOARD, SEGMENT_VIEW, SHEETS

LONG_SHEETS = ("Accounts", "Scores")
DEFAULT_SHEETS = ("Dashboard", "Segments", "Optimization")
PDF_FILTER = 'pdf:calc_pdf_Export:{"SinglePageSheets":{"type":"boolean","value":"true"}}'


def build_chart_workbook(path: Path, n: int = 2000, view: str = "All Segments") -> Path:
    """A workbook with every layout sheet, the chart data of the sample accounts in ``view``
    and all charts; Accounts/Scores stay empty (the workbook engineer's actions fill them)."""
    from icp_xl.studies.optimize import optimize_weights

    accounts = prepare_accounts(make_sample_accounts(n))
    settings = Settings()
    result = optimize_weights(accounts, settings, n_trials=150, folds=0, seed=7)
    scored = score_accounts(accounts, settings)
    scored = scored.join(within_segment_scores(scored, settings))
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for spec in SHEETS:
        sheet = wb.create_sheet(spec.name)
        for letter, width in spec.widths.items():
            sheet.column_dimensions[letter].width = width
    wb[DASHBOARD][SEGMENT_VIEW.ref] = view
    blocks = chart_blocks(accounts.frame, scored, settings, view, result.weights, result.history)
    for block in blocks:
        sheet = wb[block.sheet]
        first = sheet[block.top_left]
        for i, row in enumerate(block.rows):
            for j, value in enumerate(row):
                sheet.cell(first.row + i, first.column + j, value)
    add_charts(wb)
    wb.save(path)
    return path


def demo_workbook(folder: Path) -> Path:
    """The real demo workbook (``icp-xl demo -o FOLDER``, its ``ICP.xlsx``) when the command
    exists, else :func:`build_chart_workbook`."""
    from icp_xl.cli import build_parser

    commands = build_parser()._subparsers._group_actions[0].choices
    if "demo" in commands:
        icp_xl = shutil.which("icp-xl") or str(Path(sys.executable).with_name("icp-xl"))
        subprocess.run([icp_xl, "demo", "-o", str(folder), "--force"], check=True)
        return folder / "ICP.xlsx"
    return build_chart_workbook(folder / "ICP_charts.xlsx")


def renderable_copy(workbook: Path, target: Path, keep_rows: int = 60) -> Path:
    """A copy of ``workbook`` that LibreOffice renders at 100%: sheets longer than
    ``keep_rows`` rows among Accounts and Scores are cut to ``keep_rows`` (the other sheets
    are kept whole: the stale check compares Settings with its copy on Movers).

    LibreOffice scales EVERY page of a ``SinglePageSheets`` export down when one sheet is
    taller than its page limit, which made the charts unreadable. openpyxl drops charts on
    load, so the copy gets them back from
    :func:`icp_xl.hosts.file.charts.add_charts`, exactly as the file host does on every write."""
    wb = openpyxl.load_workbook(workbook)
    live = str(wb.defined_names.get("LiveMode").value) if "LiveMode" in wb.defined_names else ""
    live_on = False
    if live:
        sheet, cell = live.replace("$", "").split("!")
        live_on = str(wb[sheet.strip("'")][cell].value).strip().lower() == "on"
    for ws in wb.worksheets:
        if ws.title in LONG_SHEETS and ws.max_row > keep_rows:
            if live_on:  # the live formulas need every row: print the first ones only
                ws.print_area = f"A1:{openpyxl.utils.get_column_letter(ws.max_column)}{keep_rows}"
            else:
                ws.delete_rows(keep_rows + 1, ws.max_row - keep_rows)
    add_charts(wb)
    wb.save(target)
    return target


def render(workbook: Path, out: Path, sheets: tuple[str, ...], dpi: int = 70) -> list[Path]:
    """PNG of each sheet in ``sheets`` (the whole sheet on one page) under ``out``.

    LibreOffice's ``SinglePageSheets`` export gives one page per sheet, in workbook order
    (hidden and empty sheets included), so page k is the k-th sheet."""
    names = openpyxl.load_workbook(workbook, read_only=True).sheetnames
    out.mkdir(parents=True, exist_ok=True)
    made = []
    with tempfile.TemporaryDirectory() as tmp:
        copy = renderable_copy(workbook, Path(tmp) / "render.xlsx")
        subprocess.run(
            ["soffice", "--headless", "--convert-to", PDF_FILTER, "--outdir", tmp, str(copy)],
            check=True,
            capture_output=True,
        )
        pdf = copy.with_suffix(".pdf")
        for sheet in sheets:
            page = str(names.index(sheet) + 1)
            target = out / sheet.lower().replace(" ", "_")
            subprocess.run(
                ["pdftoppm", "-png", "-r", str(dpi), "-f", page, "-l", page, "-singlefile"]
                + [str(pdf), str(target)],
                check=True,
            )
            made.append(target.with_suffix(".png"))
    return made


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("workbook", nargs="?", type=Path, help="ICP workbook (default: demo)")
    parser.add_argument("-o", "--out", type=Path, default=Path(__file__).parent / "img")
    parser.add_argument("--sheets", nargs="+", default=list(DEFAULT_SHEETS))
    parser.add_argument("--dpi", type=int, default=70)
    parser.add_argument("--view", default="All Segments", help="segment view (chart-only build)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        workbook = args.workbook
        if workbook is None:
            workbook = (
                demo_workbook(Path(tmp))
                if args.view == "All Segments"
                else build_chart_workbook(Path(tmp) / "ICP_charts.xlsx", view=args.view)
            )
        made = render(workbook, args.out, tuple(args.sheets), args.dpi)
    print(json.dumps({str(p): p.stat().st_size for p in made}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
