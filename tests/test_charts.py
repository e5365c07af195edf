"""Native charts (icp_xl.hosts.file.charts) in a saved xlsx: read back from the package XML, because
openpyxl does not load charts. Each chart must sit on its sheet with its type and title, and
each series must point at a written, non-empty 'Chart Data' range of the section's length."""

from __future__ import annotations

import posixpath
import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import openpyxl
import pandas as pd
import pytest

from icp_xl.core.errors import IcpError
from icp_xl.core.inputs.accounts import prepare_accounts
from icp_xl.core.inputs.cells import column_number
from icp_xl.core.inputs.sample import make_sample_accounts
from icp_xl.core.model.scoring import score_accounts
from icp_xl.core.model.segments import within_segment_scores
from icp_xl.core.model.settings import Settings, Weights
from icp_xl.hosts.file.charts import add_charts
from icp_xl.workbook.chart_data import (
    CHART_DATA_SHEET,
    FIRST_DATA_ROW,
    SECTIONS,
    chart_blocks,
    section,
)
from icp_xl.workbook.layout import SHEET_NAMES

C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"

EXPECTED: dict[str, dict[str, set[str]]] = {
    "Dashboard": {
        "ICP score distribution": {"areaChart", "barChart"},
        "Accounts vs target revenue by grade": {"barChart"},
        "Target revenue captured by ICP rank (gains)": {"scatterChart"},
        "ICP score vs target revenue": {"scatterChart"},
        "Portfolio-wide ICP score spread of the view": {"barChart", "lineChart"},
        "Average ICP score by industry (15 largest)": {"barChart"},
        "Raw score distribution": {"barChart"},
        "ICP score vs printer count": {"scatterChart"},
        "Adoption score vs printer count": {"scatterChart"},
    },
    "Segments": {
        "Average ICP score": {"barChart"},
        "Share of customers": {"barChart"},
        "Average annual revenue": {"barChart"},
        "Share of GP24": {"barChart"},
        "ICP score spread by segment": {"barChart", "lineChart"},
    },
    "Optimization": {
        "Optimizer convergence": {"scatterChart"},
        "Weights: current vs optimized": {"barChart"},
    },
    # bound to the Account sheet's own table, not to Chart Data (tests/test_explain.py)
    "Account": {"Points per component vs averages": {"barChart"}},
    "Movers": {"KPIs over the runs": {"lineChart"}},
    "Outcomes": {
        "Win rate by grade (today's grades)": {"barChart"},
        "Won accounts captured by ICP rank": {"scatterChart"},
    },
}
OWN_DATA = {"Movers", "Outcomes"}  # charts that read their sheet's own block, not 'Chart Data'

TRIALS = pd.DataFrame({"Trial": range(40), "Objective": [1.0 / (i + 1) for i in range(40)]}).assign(
    **{"Best so far": lambda d: d["Objective"].cummin()}
)


def build_workbook(path: Path, weights: Weights, view: str = "All Segments") -> list:
    """Every layout sheet, the chart blocks of 400 sample accounts, the charts; saved."""
    accounts = prepare_accounts(make_sample_accounts(400, seed=8))
    settings = Settings().with_weights(weights)
    scored = score_accounts(accounts, settings)
    scored = scored.join(within_segment_scores(scored, settings))
    blocks = chart_blocks(
        accounts.frame, scored, settings, view, Weights(0.25, 0.1, 0.3, 0.35), TRIALS
    )
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name in SHEET_NAMES:
        wb.create_sheet(name)
    for block in blocks:
        first = wb[block.sheet][block.top_left]
        for i, row in enumerate(block.rows):
            for j, value in enumerate(row):
                wb[block.sheet].cell(first.row + i, first.column + j, value)
    add_charts(wb)
    wb.save(path)
    return blocks


def _rels(package: zipfile.ZipFile, part: str) -> dict[str, str]:
    folder, name = posixpath.split(part)
    tree = ET.fromstring(package.read(f"{folder}/_rels/{name}.rels"))
    return {
        r.get("Id"): posixpath.normpath(posixpath.join(folder, r.get("Target"))).lstrip("/")
        for r in tree.iter(f"{REL}Relationship")
    }


def drawings_by_sheet(path: Path) -> dict[str, list[str]]:
    """Sheet name -> the package parts of its drawings."""
    found: dict[str, list[str]] = {}
    with zipfile.ZipFile(path) as package:
        book = ET.fromstring(package.read("xl/workbook.xml"))
        book_rels = _rels(package, "xl/workbook.xml")
        for sheet in book.iter(f"{MAIN}sheet"):
            part = book_rels[sheet.get(R_ID)]
            found[sheet.get("name")] = [
                target
                for rid, target in _rels_or_empty(package, part).items()
                if "/drawings/" in target
            ]
    return found


def charts_by_sheet(path: Path) -> dict[str, list[ET.Element]]:
    """Sheet name -> the chartSpace XML of every chart drawn on it."""
    found: dict[str, list[ET.Element]] = {}
    with zipfile.ZipFile(path) as package:
        for sheet, drawings in drawings_by_sheet(path).items():
            found[sheet] = [
                ET.fromstring(package.read(target))
                for drawing in drawings
                for target in _rels_or_empty(package, drawing).values()
                if "/charts/" in target
            ]
    return found


def _rels_or_empty(package: zipfile.ZipFile, part: str) -> dict[str, str]:
    folder, name = posixpath.split(part)
    return _rels(package, part) if f"{folder}/_rels/{name}.rels" in package.namelist() else {}


def title_of(chart: ET.Element) -> str:
    title = chart.find(f"{C}chart/{C}title")
    return "".join(t.text or "" for t in title.iter(f"{A}t"))


def plot_types(chart: ET.Element) -> set[str]:
    area = chart.find(f"{C}chart/{C}plotArea")
    return {el.tag.removeprefix(C) for el in area if el.tag.endswith("Chart")}


REF = re.compile(
    r"^'(?P<sheet>[^']+)'!\$(?P<c1>[A-Z]+)\$(?P<r1>\d+)(:\$(?P<c2>[A-Z]+)\$(?P<r2>\d+))?$"
)


def parse_ref(text: str) -> tuple[str, int, int, int, int]:
    m = REF.match(text)
    assert m, text
    c2, r2 = m["c2"] or m["c1"], m["r2"] or m["r1"]
    return m["sheet"], column_number(m["c1"]), int(m["r1"]), column_number(c2), int(r2)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    path = tmp_path_factory.mktemp("charts") / "icp.xlsx"
    build_workbook(path, Weights())
    return path


def test_every_chart_is_on_its_sheet_with_its_type_and_title(saved):
    charts = charts_by_sheet(saved)
    for sheet, expected in EXPECTED.items():
        found = {title_of(c): plot_types(c) for c in charts[sheet]}
        assert found == expected, sheet
        assert len(charts[sheet]) == len(expected)
    assert not any(charts[s] for s in charts if s not in EXPECTED)


def test_every_series_points_at_a_written_non_empty_chart_data_range(saved):
    data = openpyxl.load_workbook(saved)[CHART_DATA_SHEET]
    sections = {
        section(s.key).first_column + i: section(s.key)
        for s in SECTIONS
        for i in range(len(s.columns))
    }
    series_count = 0
    for sheet_name, charts in charts_by_sheet(saved).items():
        if sheet_name == "Account" or sheet_name in OWN_DATA:
            continue  # bound to their own sheet: tests/test_explain.py, tests/test_history.py
        for chart in charts:
            for ser in chart.iter(f"{C}ser"):
                series_count += 1
                name = parse_ref(ser.find(f"{C}tx/{C}strRef/{C}f").text)
                assert name[0] == CHART_DATA_SHEET and name[2] == FIRST_DATA_ROW - 1
                assert data.cell(name[2], name[1]).value, "series name cell is blank"
                for tag in ("val", "yVal", "xVal", "cat"):
                    ref = ser.find(f"{C}{tag}//{C}f")
                    if ref is None:
                        continue
                    sheet, c1, r1, c2, r2 = parse_ref(ref.text)
                    place = sections[c1]
                    assert sheet == CHART_DATA_SHEET and c1 == c2
                    assert (r1, r2) == (FIRST_DATA_ROW, place.last_row), ref.text
                    values = [data.cell(r, c1).value for r in range(r1, r2 + 1)]
                    assert any(v is not None for v in values), f"{ref.text} is empty"
                for err in ser.iter(f"{C}errBars"):
                    sheet, c1, r1, c2, r2 = parse_ref(err.find(f".//{C}f").text)
                    assert (sheet, r1, r2) == (
                        CHART_DATA_SHEET,
                        FIRST_DATA_ROW,
                        sections[c1].last_row,
                    )
    assert series_count >= 25


def test_box_plot_base_is_invisible_and_whiskers_are_custom_error_bars(saved):
    box = next(
        c
        for c in charts_by_sheet(saved)["Segments"]
        if title_of(c) == "ICP score spread by segment"
    )
    bar = box.find(f"{C}chart/{C}plotArea/{C}barChart")
    assert bar.find(f"{C}grouping").get("val") == "stacked"
    base, lower, upper = bar.findall(f"{C}ser")
    assert base.find(f"{C}spPr/{A}noFill") is not None
    assert base.find(f"{C}errBars/{C}errBarType").get("val") == "minus"
    assert upper.find(f"{C}errBars/{C}errBarType").get("val") == "plus"
    assert lower.find(f"{C}errBars") is None


def test_charts_follow_the_rescored_data(tmp_path):
    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    build_workbook(first, Weights())
    build_workbook(second, Weights(0.1, 0.1, 0.4, 0.4))
    a = openpyxl.load_workbook(first)[CHART_DATA_SHEET]
    b = openpyxl.load_workbook(second)[CHART_DATA_SHEET]
    gains = section("gains")
    col = gains.first_column + 1
    curve_a = [a.cell(r, col).value for r in range(FIRST_DATA_ROW, gains.last_row + 1)]
    curve_b = [b.cell(r, col).value for r in range(FIRST_DATA_ROW, gains.last_row + 1)]
    assert curve_a != curve_b
    weights = section("weights")
    assert b.cell(FIRST_DATA_ROW + 2, weights.first_column + 1).value == 0.4
    # the charts themselves are identical: they point at the same cells
    xml_a = [ET.tostring(c) for c in charts_by_sheet(first)["Dashboard"]]
    xml_b = [ET.tostring(c) for c in charts_by_sheet(second)["Dashboard"]]
    assert xml_a == xml_b


def test_add_charts_replaces_its_own_charts_and_keeps_others():
    from openpyxl.chart import PieChart

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name in SHEET_NAMES:
        wb.create_sheet(name)
    own = PieChart()
    wb["Dashboard"].add_chart(own, "A40")
    add_charts(wb)
    add_charts(wb)
    dashboard = wb["Dashboard"]._charts
    assert len(dashboard) == len(EXPECTED["Dashboard"]) + 1 and own in dashboard


def test_add_charts_names_a_missing_sheet():
    wb = openpyxl.Workbook()
    wb.active.title = "Dashboard"
    with pytest.raises(IcpError, match="'Chart Data'"):
        add_charts(wb)


def test_charts_on_a_sheet_do_not_overlap(saved):
    """Fixed positions, and cell-anchored charts placed with Excel's column widths (where
    columns are drawn wider, as in LibreOffice, they only move further apart)."""
    from icp_xl.hosts.file.charts import _column_px, _row_px

    X = "{http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing}"
    workbook = openpyxl.load_workbook(saved)  # column widths and row heights
    cell_anchored = set()
    with zipfile.ZipFile(saved) as package:
        for sheet, drawings in drawings_by_sheet(saved).items():
            ws, boxes = workbook[sheet], []
            for tree in (ET.fromstring(package.read(d)) for d in drawings):
                for anchor in tree.iter(f"{X}absoluteAnchor"):
                    pos = anchor.find(f"{X}pos")
                    boxes.append((int(pos.get("x")), int(pos.get("y")), anchor))
                for anchor in tree.iter(f"{X}oneCellAnchor"):
                    cell_anchored.add(sheet)
                    column = int(anchor.find(f"{X}from/{X}col").text)
                    row = int(anchor.find(f"{X}from/{X}row").text)
                    x = 9525 * sum(_column_px(ws, c) for c in range(1, column + 1))
                    y = 9525 * sum(_row_px(ws, r) for r in range(1, row + 1))
                    boxes.append((x, y, anchor))
            boxes = [
                (x, y, x + int(a.find(f"{X}ext").get("cx")), y + int(a.find(f"{X}ext").get("cy")))
                for x, y, a in boxes
            ]
            for i, p in enumerate(boxes):
                for q in boxes[i + 1 :]:
                    assert p[2] <= q[0] or q[2] <= p[0] or p[3] <= q[1] or q[3] <= p[1]
    assert cell_anchored == {"Movers", "Optimization"}


def test_grid_starts_after_the_other_engineers_columns_and_rows():
    from icp_xl.hosts.file.charts import CHARTS, _positions
    from icp_xl.workbook.layout import SHEETS_BY_NAME

    wb = openpyxl.Workbook()
    dashboard = wb.active
    dashboard.title = "Dashboard"
    for letter, width in SHEETS_BY_NAME["Dashboard"].widths.items():
        dashboard.column_dimensions[letter].width = width
    columns_a_to_e = sum(int(w * 7 + 5) for w in SHEETS_BY_NAME["Dashboard"].widths.values())
    columns_a_to_e += 64 * (5 - len(SHEETS_BY_NAME["Dashboard"].widths))
    placed = _positions(dashboard, [s for s in CHARTS if s.sheet == "Dashboard"])
    assert min(x for _, x, _ in placed) == columns_a_to_e
    segments = wb.create_sheet("Segments")
    placed = _positions(segments, [s for s in CHARTS if s.sheet == "Segments"])
    assert min(y for _, _, y in placed) == 25 * 20  # below row 25: rows 1-25 are the tables


def test_a_one_segment_view_lists_only_its_segment_in_scatter_legends(tmp_path):
    """Blank per-segment series are left out when the file host builds the charts."""
    build_workbook(tmp_path / "mid.xlsx", Weights(), view="Mid-Market")
    wb = openpyxl.load_workbook(tmp_path / "mid.xlsx")
    add_charts(wb)
    titles = {c.title.tx.rich.p[0].r[0].t: c for c in wb["Dashboard"]._charts}
    for title in ("ICP score vs printer count", "ICP score vs target revenue"):
        (series,) = titles[title].series
        assert series.tx.strRef.f.endswith(f"${column_letter_of('Mid-Market', title)}$2")
    assert len(titles["Target revenue captured by ICP rank (gains)"].series) == 3  # not per segment


def column_letter_of(segment: str, title: str) -> str:
    key = "printers_score_scatter" if "printer" in title else "target_scatter"
    return section(key).letter(segment)
