"""LibreOffice headless round trip of the demo workbook (runs where ``soffice`` exists;
``.ci/run`` installs it): LibreOffice opens it, computes its formulas and converts it,
and the result still has every sheet, table and name with the same scores."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import openpyxl
import pytest

from icp_xl.cli import main
from icp_xl.workbook import layout

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")


def _convert(source: Path, folder: Path, target: str) -> Path:
    folder.mkdir(exist_ok=True)
    profile = (folder / "profile").as_uri()
    subprocess.run(
        [SOFFICE, "--headless", "--norestore", f"-env:UserInstallation={profile}",
         "--convert-to", target, "--outdir", str(folder), str(source)],
        check=True, capture_output=True, timeout=240,
    )  # fmt: skip
    converted = folder / f"{source.stem}.{target.split(':')[0]}"
    assert converted.is_file(), f"LibreOffice did not write {converted}"
    return converted


def test_demo_workbook_round_trips_through_libreoffice(tmp_path: Path) -> None:
    assert main(["demo", "-o", str(tmp_path / "demo"), "-n", "400", "--trials", "10"]) == 0
    source = tmp_path / "demo" / "ICP.xlsx"
    converted = _convert(source, tmp_path / "lo", "xlsx:Calc MS Excel 2007 XML")

    ours = openpyxl.load_workbook(source)
    theirs = openpyxl.load_workbook(converted, data_only=True)
    assert theirs.sheetnames == list(layout.SHEET_NAMES)
    for table in layout.TABLES:
        assert table.name in theirs[table.sheet].tables
    assert {n.name for n in layout.NAMES} <= set(theirs.defined_names)
    weights = theirs[layout.WEIGHTS]
    assert weights[layout.W_SUM.ref].value == pytest.approx(1.0)  # computed by LibreOffice
    assert weights[layout.W_STATUS.ref].value == "OK"
    scores_ours = list(ours[layout.SCORES].iter_rows(min_row=2, max_col=11, values_only=True))
    scores_lo = list(theirs[layout.SCORES].iter_rows(min_row=2, max_col=11, values_only=True))
    assert len(scores_lo) == 400
    for mine, lo in zip(scores_ours, scores_lo, strict=True):
        assert mine[:4] == lo[:4]
        assert mine[4:10] == pytest.approx(lo[4:10], rel=1e-14)
        assert mine[10] == lo[10]


PDFTOTEXT = shutil.which("pdftotext")
FOOTER = re.compile(r"^(?P<sheet>.+) - page \d+ of \d+$", re.MULTILINE)


@pytest.mark.slow
@pytest.mark.skipif(PDFTOTEXT is None, reason="poppler (pdftotext) is not installed")
def test_demo_workbook_prints_readably(tmp_path: Path) -> None:
    """The full demo workbook (2,000 accounts) printed by LibreOffice: no '###' (a number too
    wide for its column) anywhere, the Dashboard and Segments on one page each (their print
    setup fits them), Top Customers on at most 3 pages, under 250 pages in all (Scores prints
    readable at 70 % over several pages across, about 130 pages for 2,000 accounts). Slow-ish
    (20-60 s, marked ``slow``) but in the default suite: it is the only check of printing."""
    assert main(["demo", "-o", str(tmp_path / "demo"), "--trials", "5"]) == 0
    pdf = _convert(tmp_path / "demo" / "ICP.xlsx", tmp_path / "pdf", "pdf")
    text = subprocess.run(
        [PDFTOTEXT, "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    pages = text.split("\f")[:-1] if text.endswith("\f") else text.split("\f")
    assert "###" not in text
    assert len(pages) < 250
    per_sheet = Counter(m.group("sheet").strip() for m in FOOTER.finditer(text))
    assert sum(per_sheet.values()) == len(pages)  # every page carries its sheet's footer
    assert per_sheet[layout.DASHBOARD] == 1 and per_sheet[layout.SEGMENTS_SHEET] == 1
    assert 1 <= per_sheet[layout.TOP_CUSTOMERS] <= 3
    assert layout.CHART_DATA not in per_sheet  # hidden helper sheet: not printed
