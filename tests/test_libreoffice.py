"""LibreOffice headless round trip of the demo workbook (runs where ``soffice`` exists;
``.ci/run`` installs it): LibreOffice opens it, computes its formulas and converts it,
and the result still has every sheet, table and name with the same scores."""

from __future__ import annotations

import shutil
import subprocess
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


def test_demo_workbook_renders_to_pdf(tmp_path: Path) -> None:
    assert main(["demo", "-o", str(tmp_path / "demo"), "-n", "200", "--trials", "5"]) == 0
    pdf = _convert(tmp_path / "demo" / "ICP.xlsx", tmp_path / "pdf", "pdf")
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 10_000
