"""Native Excel charts (openpyxl.chart) bound to the 'Chart Data' sheet: the file host's part.

:func:`add_charts` (re)creates every native chart of the workbook on the Dashboard, Segments,
Optimization and Account sheets of an openpyxl workbook. openpyxl drops charts when it loads a
file, so the file host calls it on every write, after the values. Every series points
at the fixed ranges of :mod:`icp_xl.workbook.chart_data`, so in live Excel the same charts
update when an action rewrites those cells; nothing here runs in live Excel.

Techniques (Excel and LibreOffice render both):

- *Histogram with markers*: an area chart over x = 0..100 draws the 5-point-bin
  histogram as a filled step, and a clustered column chart on the same axes adds one
  very thin column per marker (Q1, median, mean, Q3) at x = round(value), as tall as the
  histogram; the legend names carry the exact values (from the header cells).
- *Box plot*: a stacked column chart of three series per segment: an invisible base
  (Q1), Q1 -> median and median -> Q3 (the box; its middle edge is the median). Custom
  minus error bars on the base draw the lower whisker, custom plus error bars on the
  top part the upper whisker (Tukey: furthest score within 1.5 IQR). A line series
  with markers only adds the mean.
- *Segment colours*: :data:`SEGMENT_COLORS`, set per data point on category charts and
  per series on scatters (one y column per segment).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from openpyxl.chart import AreaChart, BarChart, LineChart, ScatterChart
from openpyxl.chart import Series as make_series
from openpyxl.chart._chart import ChartBase
from openpyxl.chart.axis import ChartLines
from openpyxl.chart.data_source import AxDataSource, NumDataSource, NumRef, StrRef
from openpyxl.chart.error_bar import ErrorBars
from openpyxl.chart.label import DataLabelList
from openpyxl.chart.legend import Legend
from openpyxl.chart.marker import DataPoint, Marker
from openpyxl.chart.series import SeriesLabel
from openpyxl.chart.shapes import GraphicalProperties
from openpyxl.chart.text import RichText, Text
from openpyxl.chart.title import Title
from openpyxl.drawing.line import LineProperties
from openpyxl.drawing.spreadsheet_drawing import AbsoluteAnchor, AnchorMarker, OneCellAnchor
from openpyxl.drawing.text import (
    CharacterProperties,
    Paragraph,
    ParagraphProperties,
    RegularTextRun,
)
from openpyxl.drawing.xdr import XDRPoint2D, XDRPositiveSize2D
from openpyxl.utils.cell import column_index_from_string
from openpyxl.utils.units import cm_to_EMU, pixels_to_EMU
from openpyxl.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from icp_xl.core.errors import IcpError
from icp_xl.core.inputs.cells import parse_range
from icp_xl.core.model.settings import GRADES, SEGMENTS
from icp_xl.workbook.chart_data import CHART_DATA_SHEET, MARKERS, PlacedSection, section
from icp_xl.workbook.layout import (
    ACCOUNT,
    ACCOUNT_CHART_ROW,
    ACCOUNT_COMPONENT_ROWS,
    ACCOUNT_COMPONENTS_HEADER_ROW,
    CHARTS_ROW,
    DASHBOARD,
    GAINS_CHART_TOP,
    GAINS_POINTS,
    MOVERS,
    OPTIMIZATION,
    OUTCOMES,
    SEGMENTS_SHEET,
    WIN_CHART_TOP,
)

SEGMENT_COLORS: dict[str, str] = {
    "Small Business": "4E79A7",
    "Mid-Market": "F28E2B",
    "Large Enterprise": "59A14F",
}
PRIMARY = "2F5597"
SECONDARY = "A5A5A5"
MARKER_COLORS = {"q1": "7F7F7F", "median": "000000", "mean": "C00000", "q3": "7F7F7F"}
_ICP_CHART = "_icp_xl_chart"  # attribute marking the charts this module made


# --- styling helpers -------------------------------------------------------------------------


def _text(size: float, bold: bool = False) -> RichText:
    """Text properties: ``size`` in points."""
    props = CharacterProperties(sz=int(size * 100), b=bold, solidFill="404040")
    return RichText(p=[Paragraph(pPr=ParagraphProperties(defRPr=props), endParaRPr=props)])


def _title(text: str, size: float = 11) -> Title:
    props = CharacterProperties(sz=int(size * 100), b=True, solidFill="262626")
    title = Title()
    title.tx = _rich_title(text, props)
    title.overlay = False
    return title


def _rich_title(text: str, props: CharacterProperties) -> Text:
    paragraph = Paragraph(
        pPr=ParagraphProperties(defRPr=props), r=[RegularTextRun(rPr=props, t=text)]
    )
    return Text(rich=RichText(p=[paragraph]))


def _axis(
    axis,
    title: str | None,
    number_format: str | None = None,
    low: float | None = None,
    high: float | None = None,
    major_unit: float | None = None,
    gridlines: bool = True,
) -> None:
    """Show an axis (openpyxl 3.1 hides them by default) with a title, format and scale."""
    axis.delete = False
    if title:
        axis.title = _title(title, 9)
    if number_format:
        axis.number_format = number_format
        axis.numFmt.sourceLinked = False
    axis.scaling.min = low
    axis.scaling.max = high
    if major_unit is not None:
        axis.majorUnit = major_unit
    axis.majorGridlines = ChartLines(spPr=_line_props("D9D9D9", 0.75)) if gridlines else None
    axis.txPr = _text(8)


def _line_props(color: str, width_pt: float, dash: str | None = None) -> GraphicalProperties:
    line = LineProperties(solidFill=color, w=int(width_pt * 12700), prstDash=dash)
    return GraphicalProperties(ln=line)


def _fill(series, color: str, outline: str | None = None) -> None:
    series.graphicalProperties = GraphicalProperties(solidFill=color)
    if outline:
        series.graphicalProperties.line.solidFill = outline
        series.graphicalProperties.line.width = 9525


def _hide(series) -> None:
    series.graphicalProperties = GraphicalProperties(noFill=True)
    series.graphicalProperties.line.noFill = True


def _legend(position: str = "b") -> Legend:
    legend = Legend(legendPos=position)
    legend.overlay = False
    legend.txPr = _text(8)
    return legend


def _series(
    place: PlacedSection,
    column: str,
    categories: str | None = None,
    text_categories: bool = True,
    x: str | None = None,
):
    """A series of ``column`` of section ``place``, named by its header cell, with
    categories (bar/line/area/radar) or x values (scatter) from another column."""
    series = make_series(place.data_ref(column), title_from_data=False)
    series.tx = SeriesLabel(strRef=StrRef(f=place.header_ref(column)))
    if categories is not None:
        ref = place.data_ref(categories)
        series.cat = (
            AxDataSource(strRef=StrRef(f=ref))
            if text_categories
            else AxDataSource(numRef=NumRef(f=ref))
        )
    if x is not None:
        series.xVal = AxDataSource(numRef=NumRef(f=place.data_ref(x)))
        series.yVal = series.val
        series.val = None
    return series


def _color_points(series, colors: list[str], outline: str | None = None) -> None:
    """Colour each data point (category) of a series."""
    points = []
    for i, color in enumerate(colors):
        point = DataPoint(idx=i, invertIfNegative=False)
        point.graphicalProperties = GraphicalProperties(solidFill=color)
        if outline:
            point.graphicalProperties.line.solidFill = outline
        points.append(point)
    series.dPt = points


def _finish(chart: ChartBase, title: str, width_cm: float, height_cm: float) -> ChartBase:
    chart.title = _title(title)
    chart.width, chart.height = width_cm, height_cm
    chart.style = 2
    chart.roundedCorners = False
    setattr(chart, _ICP_CHART, True)
    return chart


# --- the charts ------------------------------------------------------------------------------


def score_histogram_chart() -> ChartBase:
    """ICP score distribution: filled step histogram + thin marker columns (see module doc)."""
    place = section("score_hist")
    area = AreaChart()
    hist = _series(place, "accounts", categories="tick")
    _fill(hist, "BDD7EE", outline=PRIMARY)
    area.series.append(hist)
    markers = BarChart()
    markers.type = "col"
    markers.grouping = "clustered"
    markers.gapWidth = 500
    markers.overlap = 100
    for key in MARKERS:
        mark = _series(place, key, categories="tick")
        _fill(mark, MARKER_COLORS[key], outline=MARKER_COLORS[key])
        markers.series.append(mark)
    _axis(area.x_axis, "ICP score (labels every 10; bins of 5 points)", gridlines=False)
    area.x_axis.tickLblSkip = 1  # blank labels between the tens (chart_data.TICK_EVERY)
    area.x_axis.tickMarkSkip = 5
    _axis(area.y_axis, "Accounts per 5-point bin", "#,##0", low=0)
    markers.x_axis, markers.y_axis = area.x_axis, area.y_axis
    area += markers
    area.legend = _legend("r")
    return area


def raw_histogram_chart() -> ChartBase:
    """Raw score distribution: columns over 20 equal bins."""
    place = section("raw_hist")
    chart = BarChart()
    chart.type = "col"
    chart.gapWidth = 10
    series = _series(place, "accounts", categories="bin")
    _fill(series, PRIMARY)
    chart.series.append(series)
    _axis(chart.x_axis, "Raw score (0-100, weighted components)", gridlines=False)
    chart.x_axis.tickLblSkip = 2
    _axis(chart.y_axis, "Accounts", "#,##0", low=0)
    chart.legend = None
    return chart


def grade_shares_chart() -> ChartBase:
    """Per grade, its share of the accounts and of their target revenue (clustered columns):
    revenue above the account share in A and B means the score finds the revenue."""
    place = section("grades")
    chart = BarChart()
    chart.type = "col"
    chart.gapWidth = 60
    for column, color in (("actual", SECONDARY), ("revenue", PRIMARY)):
        series = _series(place, column, categories="grade")
        _fill(series, color)
        chart.series.append(series)
    _axis(chart.x_axis, "Grade", gridlines=False)
    _axis(chart.y_axis, "Share of the view", "0%", low=0)
    chart.legend = _legend()
    return chart


def _segment_bar_chart(
    column: str, axis_title: str, number_format: str, log: bool = False
) -> ChartBase:
    place = section("segments")
    chart = BarChart()
    chart.type = "col"
    chart.gapWidth = 50
    series = _series(place, column, categories="segment")
    _color_points(series, [SEGMENT_COLORS[s] for s in SEGMENTS])
    chart.series.append(series)
    _axis(chart.x_axis, None, gridlines=False)
    _axis(chart.y_axis, axis_title, number_format, low=None if log else 0)
    if log:
        chart.y_axis.scaling.logBase = 10
    chart.legend = None
    return chart


def box_plot_chart(key: str = "box") -> ChartBase:
    """Score spread by segment: stacked columns + error-bar whiskers (see module doc), from
    chart data section ``key`` (``box``: all accounts; ``view_box``: the Dashboard's view)."""
    place = section(key)
    chart = BarChart()
    chart.type = "col"
    chart.grouping = "stacked"
    chart.overlap = 100
    chart.gapWidth = 120
    colors = [SEGMENT_COLORS[s] for s in SEGMENTS]
    base = _series(place, "base", categories="segment")
    _hide(base)
    base.errBars = _whiskers("minus", place.data_ref("whisker_down"))
    lower = _series(place, "lower_box", categories="segment")
    upper = _series(place, "upper_box", categories="segment")
    for part in (lower, upper):
        _color_points(part, colors, outline="262626")
    upper.errBars = _whiskers("plus", place.data_ref("whisker_up"))
    chart.series.extend([base, lower, upper])
    mean = LineChart()
    dots = _series(place, "mean", categories="segment")
    dots.graphicalProperties = GraphicalProperties()
    dots.graphicalProperties.line.noFill = True
    dots.marker = Marker(symbol="diamond", size=8)
    dots.marker.graphicalProperties = GraphicalProperties(solidFill="FFFFFF")
    dots.marker.graphicalProperties.line.solidFill = "262626"
    mean.series.append(dots)
    _axis(
        chart.x_axis,
        "Box: Q1 to Q3, line: median, diamond: mean, whiskers: furthest score within 1.5 IQR",
        gridlines=False,
    )
    _axis(chart.y_axis, "ICP score (portfolio-wide)", "0", low=0, high=100, major_unit=10)
    mean.x_axis, mean.y_axis = chart.x_axis, chart.y_axis
    chart += mean
    chart.legend = None
    return chart


def _whiskers(direction: str, ref: str) -> ErrorBars:
    values = NumDataSource(numRef=NumRef(f=ref))
    bars = ErrorBars(errDir="y", errBarType=direction, errValType="cust", noEndCap=False)
    if direction == "plus":
        bars.plus = values
    else:
        bars.minus = values
    bars.graphicalProperties = _line_props("262626", 1.25)
    return bars


def weights_chart() -> ChartBase:
    """Current vs optimized weights per component, side by side (horizontal bars with their
    values): unlike a radar, equal weights never hide each other and labels never overlap."""
    place = section("weights")
    chart = BarChart()
    chart.type = "bar"
    chart.gapWidth = 60
    for column, color in (("current", PRIMARY), ("optimized", "C00000")):
        series = _series(place, column, categories="component")
        _fill(series, color)
        series.dLbls = DataLabelList(showVal=True)  # shown in the cells' format (0.00)
        series.dLbls.txPr = _text(8)
        for flag in ("showSerName", "showCatName", "showLegendKey", "showPercent"):
            setattr(series.dLbls, flag, False)
        chart.series.append(series)
    _axis(chart.x_axis, None, gridlines=False)
    chart.x_axis.scaling.orientation = "maxMin"
    _axis(chart.y_axis, "Weight", "0.00", low=0, high=0.5, major_unit=0.1)
    chart.y_axis.crosses = "max"
    chart.legend = _legend()
    return chart


def industry_chart() -> ChartBase:
    """Average ICP score of the 15 largest industries, best first, counts in the labels."""
    place = section("industries")
    chart = BarChart()
    chart.type = "bar"
    chart.gapWidth = 40
    series = _series(place, "average_score", categories="label")
    _fill(series, PRIMARY)
    chart.series.append(series)
    _axis(chart.x_axis, None, gridlines=False)
    chart.x_axis.scaling.orientation = "maxMin"
    chart.x_axis.tickLblSkip = 1
    _axis(chart.y_axis, "Average ICP score", "0", low=0, high=100, major_unit=10)
    chart.y_axis.crosses = "max"  # keep the value axis at the bottom when categories flip
    chart.legend = None
    return chart


def _scatter_chart(
    key: str,
    x_title: str,
    y_title: str,
    x_format: str,
    y_format: str,
    y_high: float,
    x_log: bool = False,
) -> ChartBase:
    place = section(key)
    chart = ScatterChart()
    chart.scatterStyle = "marker"
    x_column = place.section.columns[0]
    for name in SEGMENTS:
        series = _series(place, name, x=x_column)
        series.graphicalProperties = GraphicalProperties()
        series.graphicalProperties.line.noFill = True
        series.marker = Marker(symbol="circle", size=4)
        series.marker.graphicalProperties = GraphicalProperties(solidFill=SEGMENT_COLORS[name])
        series.marker.graphicalProperties.line.noFill = True
        chart.series.append(series)
    _axis(chart.x_axis, x_title, x_format, low=1 if x_log else 0)
    if x_log:
        chart.x_axis.scaling.logBase = 10
    _axis(chart.y_axis, y_title, y_format, low=0, high=y_high)
    chart.legend = _legend()
    return chart


def adoption_scatter_chart() -> ChartBase:
    return _scatter_chart("adoption_scatter", "Printer count", "Adoption score", "0", "0.0", 1.0)


def target_scatter_chart() -> ChartBase:
    """What the optimizer fits: the view's ICP score against the target revenue."""
    return _scatter_chart(
        "target_scatter",
        "Target revenue: hardware + consumables (USD, log scale; zero not shown)",
        "ICP score (view)",
        "$#,##0",
        "0",
        100.0,
        x_log=True,
    )


def printers_score_scatter_chart() -> ChartBase:
    return _scatter_chart("printers_score_scatter", "Printer count", "ICP score", "0", "0", 100.0)


def gains_chart() -> ChartBase:
    """Cumulative share of target revenue vs share of accounts ranked by ICP score."""
    place = section("gains")
    chart = ScatterChart()
    chart.scatterStyle = "line"
    styles = (
        ("icp_rank", PRIMARY, 2.5, None),
        ("best_possible", "59A14F", 1.25, "dash"),
        ("random", "7F7F7F", 1.25, "sysDash"),
    )
    lines = [(_series(place, column, x="account_share"), *style) for column, *style in styles]
    return _gains_lines(chart, lines, "Share of target revenue captured")


def _gains_lines(
    chart: ScatterChart, lines: list[tuple[object, str, float, str | None]], y_title: str
) -> ScatterChart:
    """A gains chart: each (series, colour, width in pt, dash) as a plain line over the
    share of accounts (x, 0-100 %), the y axis titled ``y_title``, a legend below."""
    for series, color, width, dash in lines:
        series.graphicalProperties = _line_props(color, width, dash)
        series.marker = Marker(symbol="none")
        series.smooth = False
        chart.series.append(series)
    _axis(chart.x_axis, "Share of accounts, highest ICP score first", "0%", 0, 1, 0.1)
    _axis(chart.y_axis, y_title, "0%", 0, 1, 0.2)
    chart.legend = _legend()
    return chart


def convergence_chart() -> ChartBase:
    """Objective of each optimizer trial (dots) and the best so far (line), as the distance
    above the best objective found, so the axis starts at 0 whatever the objective's sign."""
    place = section("convergence")
    chart = ScatterChart()
    chart.scatterStyle = "lineMarker"
    objective = _series(place, "gap", x="trial")
    objective.graphicalProperties = GraphicalProperties()
    objective.graphicalProperties.line.noFill = True
    objective.marker = Marker(symbol="circle", size=3)
    objective.marker.graphicalProperties = GraphicalProperties(solidFill=SECONDARY)
    objective.marker.graphicalProperties.line.noFill = True
    objective.smooth = False
    best = _series(place, "best_gap", x="trial")
    best.graphicalProperties = _line_props("C00000", 2.25)
    best.marker = Marker(symbol="none")
    best.smooth = False  # straight segments: a smoothed curve overshoots and seems to rise
    chart.series.extend([objective, best])
    _axis(chart.x_axis, "Trial", "#,##0", low=0)
    _axis(chart.y_axis, "Objective above the best found", "0.000", low=0)
    chart.legend = _legend()
    return chart


# --- Account sheet: one account's points against the averages -------------------------------


def account_points_chart() -> ChartBase:
    """The explained account's points per component beside the portfolio and segment
    averages (clustered bars), bound to the components table of the Account sheet itself."""
    first, last = ACCOUNT_COMPONENT_ROWS
    header = ACCOUNT_COMPONENTS_HEADER_ROW
    chart = BarChart()
    chart.type = "bar"
    chart.gapWidth = 60
    categories = f"'{ACCOUNT}'!$A${first}:$A${last}"
    for letter, color in (("D", PRIMARY), ("E", SECONDARY), ("F", SEGMENT_COLORS["Mid-Market"])):
        series = make_series(f"'{ACCOUNT}'!${letter}${first}:${letter}${last}")
        series.tx = SeriesLabel(strRef=StrRef(f=f"'{ACCOUNT}'!${letter}${header}"))
        series.cat = AxDataSource(strRef=StrRef(f=categories))
        _fill(series, color)
        chart.series.append(series)
    _axis(chart.x_axis, None, gridlines=False)
    chart.x_axis.scaling.orientation = "maxMin"  # components top to bottom, as in the table
    _axis(chart.y_axis, "Points of the raw score (100 x weight x component)", "0", low=0)
    chart.y_axis.crosses = "max"
    chart.legend = _legend()
    return chart


# --- KPIs over the runs (Movers sheet) ------------------------------------------------------

RUN_COLORS = ("2F5597", "C00000", "59A14F", "F28E2B")


def runs_chart() -> ChartBase:
    """KPIs of the last runs (Movers sheet, written by every rescore): GP24 share of A+B,
    Spearman with revenue, share of grade A and the high-value rate, one line each."""
    from icp_xl.core.inputs.cells import column_letter, parse_cell
    from icp_xl.workbook.layout import MOVERS, RUN_CHART_ROWS, RUN_CHART_SERIES, RUN_CHART_TOP

    row, column = parse_cell(RUN_CHART_TOP)
    first, last = row + 1, row + RUN_CHART_ROWS

    def ref(offset: int, top: int, bottom: int) -> str:
        letter = column_letter(column + offset)
        return f"'{MOVERS}'!${letter}${top}:${letter}${bottom}"

    chart = LineChart()
    for i, _ in enumerate(RUN_CHART_SERIES, start=1):
        series = make_series(ref(i, first, last), title_from_data=False)
        series.tx = SeriesLabel(strRef=StrRef(f=ref(i, row, row)))
        series.cat = AxDataSource(strRef=StrRef(f=ref(0, first, last)))
        series.graphicalProperties = _line_props(RUN_COLORS[i - 1], 2.0)
        series.marker = Marker(symbol="circle", size=5)
        series.smooth = False
        chart.series.append(series)
    _axis(chart.x_axis, "Run", None)
    _axis(chart.y_axis, "Share / correlation", "0%", low=0)
    chart.legend = _legend()
    chart.visible_cells_only = False  # its data sits in hidden helper columns
    return chart


def _outcomes_ref(top_left: str, offset: int, first: int, last: int) -> str:
    """An absolute reference to rows ``first..last`` (0 = the header) of the column
    ``offset`` right of ``top_left`` on the Outcomes sheet."""
    from icp_xl.core.inputs.cells import column_letter, parse_cell

    row, column = parse_cell(top_left)
    letter = column_letter(column + offset)
    return f"'{OUTCOMES}'!${letter}${row + first}:${letter}${row + last}"


def win_rate_chart() -> ChartBase:
    """Win rate by grade (Outcomes sheet) with the 95 % Wilson interval as error bars."""
    grades = len(GRADES)
    chart = BarChart()
    chart.type = "col"
    chart.gapWidth = 60
    series = make_series(_outcomes_ref(WIN_CHART_TOP, 1, 1, grades), title_from_data=False)
    series.tx = SeriesLabel(strRef=StrRef(f=_outcomes_ref(WIN_CHART_TOP, 1, 0, 0)))
    series.cat = AxDataSource(strRef=StrRef(f=_outcomes_ref(WIN_CHART_TOP, 0, 1, grades)))
    _fill(series, PRIMARY)
    bars = ErrorBars(errDir="y", errBarType="both", errValType="cust", noEndCap=False)
    bars.minus = NumDataSource(numRef=NumRef(f=_outcomes_ref(WIN_CHART_TOP, 2, 1, grades)))
    bars.plus = NumDataSource(numRef=NumRef(f=_outcomes_ref(WIN_CHART_TOP, 3, 1, grades)))
    bars.graphicalProperties = _line_props("262626", 1.25)
    series.errBars = bars
    chart.series.append(series)
    _axis(chart.x_axis, "Grade (bars: 95 % Wilson interval)", gridlines=False)
    _axis(chart.y_axis, "Win rate of closed opportunities", "0%", low=0)
    chart.legend = None
    chart.visible_cells_only = False  # its data sits in hidden helper columns
    return chart


def outcome_gains_chart() -> ChartBase:
    """Share of won accounts and won amount held by the top x % of accounts by ICP score,
    with the random line (Outcomes sheet)."""
    points = GAINS_POINTS
    chart = ScatterChart()
    chart.scatterStyle = "line"
    styles = ((1, PRIMARY, 2.5, None), (2, "F28E2B", 2.0, None), (3, "7F7F7F", 1.25, "sysDash"))
    lines = []
    for offset, *style in styles:
        series = make_series(
            _outcomes_ref(GAINS_CHART_TOP, offset, 1, points), title_from_data=False
        )
        series.tx = SeriesLabel(strRef=StrRef(f=_outcomes_ref(GAINS_CHART_TOP, offset, 0, 0)))
        series.xVal = AxDataSource(numRef=NumRef(f=_outcomes_ref(GAINS_CHART_TOP, 0, 1, points)))
        series.yVal, series.val = series.val, None
        lines.append((series, *style))
    _gains_lines(chart, lines, "Share of won accounts / won amount")
    chart.visible_cells_only = False  # its data sits in hidden helper columns
    return chart


# --- layout ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChartSpec:
    """One chart: how to build it, its title and size (cm), and its place on a grid of
    ``sheet`` (``row`` and ``column`` index the grid, not the sheet)."""

    sheet: str
    build: Callable[[], ChartBase]
    title: str
    row: int
    column: int
    width_cm: float = 15.5
    height_cm: float = 8.0


# Where each sheet's grid starts (1-based sheet column and row): the cells left of and
# above it belong to other engineers' tables (Dashboard A-D, Segments rows 1-25,
# Optimization A-J, the Account explanation grid).
GRID_ORIGIN: dict[str, tuple[int, int]] = {
    DASHBOARD: (6, 2),
    SEGMENTS_SHEET: (1, 26),
    OPTIMIZATION: (11, 2),
    ACCOUNT: (1, ACCOUNT_CHART_ROW),  # below the explanation grid
    MOVERS: (22, 2),
    OUTCOMES: (1, CHARTS_ROW),
}
# Sheets whose charts sit right of tables: each anchored to the first cell at or right of
# and below its grid position, so that they start after the tables' columns in every
# application (LibreOffice draws columns wider than Excel, and there a fixed position fell
# on the tables' last columns: Movers' Runs, Optimization's folds).
CELL_ANCHORED: frozenset[str] = frozenset({MOVERS, OPTIMIZATION})
GAP_PX = 12


def _segment_charts() -> list[ChartSpec]:
    figures = (
        ("average_score", "Average ICP score", "ICP score", "0", False),
        ("customer_share", "Share of customers", "% of customers", "0%", False),
        (
            "average_revenue_m",
            "Average annual revenue",
            "USD millions (log scale)",
            '$#,##0"M"',
            True,
        ),
        ("gp24_share", "Share of GP24", "% of GP24", "0%", False),
    )
    return [
        ChartSpec(
            SEGMENTS_SHEET,
            lambda c=column, a=axis, f=fmt, g=log: _segment_bar_chart(c, a, f, g),
            title,
            0,
            i,
            width_cm=9.0,
            height_cm=7.0,
        )
        for i, (column, title, axis, fmt, log) in enumerate(figures)
    ]


CHARTS: tuple[ChartSpec, ...] = (
    ChartSpec(DASHBOARD, score_histogram_chart, "ICP score distribution", 0, 0),
    ChartSpec(DASHBOARD, grade_shares_chart, "Accounts vs target revenue by grade", 0, 1),
    ChartSpec(DASHBOARD, gains_chart, "Target revenue captured by ICP rank (gains)", 0, 2),
    ChartSpec(DASHBOARD, target_scatter_chart, "ICP score vs target revenue", 1, 0, 15.5, 9.5),
    ChartSpec(
        DASHBOARD,
        lambda: box_plot_chart("view_box"),
        "Portfolio-wide ICP score spread of the view",
        1,
        1,
        15.5,
        9.5,
    ),
    ChartSpec(
        DASHBOARD, industry_chart, "Average ICP score by industry (15 largest)", 1, 2, 15.5, 9.5
    ),
    ChartSpec(DASHBOARD, raw_histogram_chart, "Raw score distribution", 2, 0),
    ChartSpec(DASHBOARD, printers_score_scatter_chart, "ICP score vs printer count", 2, 1),
    ChartSpec(DASHBOARD, adoption_scatter_chart, "Adoption score vs printer count", 2, 2),
    *_segment_charts(),
    ChartSpec(
        SEGMENTS_SHEET,
        box_plot_chart,
        "ICP score spread by segment",
        1,
        0,
        width_cm=18.5,
        height_cm=9.0,
    ),
    ChartSpec(OPTIMIZATION, convergence_chart, "Optimizer convergence", 0, 0, 17.0, 9.0),
    ChartSpec(OPTIMIZATION, weights_chart, "Weights: current vs optimized", 0, 1, 12.0, 9.0),
    ChartSpec(ACCOUNT, account_points_chart, "Points per component vs averages", 0, 0, 18.0, 9.0),
    ChartSpec(MOVERS, runs_chart, "KPIs over the runs", 0, 0, 17.0, 8.0),
    ChartSpec(OUTCOMES, win_rate_chart, "Win rate by grade (today's grades)", 0, 0, 14.0, 9.0),
    ChartSpec(OUTCOMES, outcome_gains_chart, "Won accounts captured by ICP rank", 0, 1, 16.0, 9.0),
)


def _column_px(ws: Worksheet, column: int) -> int:
    """Width of a sheet column in pixels at 100% zoom (Calibri 11: 7 px per character + 5)."""
    width = None
    for key, dim in ws.column_dimensions.items():
        low = dim.min or column_index_from_string(key)
        high = dim.max or low
        if low <= column <= high and dim.customWidth:
            width = dim.width
    if width is None:
        width = ws.sheet_format.defaultColWidth or 8.43
    return 0 if width <= 0 else int(width * 7 + 5)


def _row_px(ws: Worksheet, row: int) -> int:
    """Height of a sheet row in pixels at 100% zoom (points * 4/3)."""
    dim = ws.row_dimensions.get(row)
    height = dim.ht if dim is not None and dim.ht else (ws.sheet_format.defaultRowHeight or 15)
    return int(round(height * 4 / 3))


def _cm_to_px(cm: float) -> int:
    return int(round(cm / 2.54 * 96))


def _positions(ws: Worksheet, specs: list[ChartSpec]) -> list[tuple[ChartSpec, int, int]]:
    """Top-left pixel position (at 100% zoom) of each chart: the grid starts at the sheet's
    :data:`GRID_ORIGIN` cell; each grid row flows left to right with :data:`GAP_PX` between
    charts and is as tall as its tallest chart."""
    origin_column, origin_row = GRID_ORIGIN[ws.title]
    left = sum(_column_px(ws, c) for c in range(1, origin_column))
    top = sum(_row_px(ws, r) for r in range(1, origin_row))
    heights: dict[int, int] = {}
    for spec in specs:
        heights[spec.row] = max(heights.get(spec.row, 0), _cm_to_px(spec.height_cm))
    placed = []
    for spec in specs:
        x = sum(
            _cm_to_px(s.width_cm) + GAP_PX
            for s in specs
            if s.row == spec.row and s.column < spec.column
        )
        y = sum(heights[r] + GAP_PX for r in heights if r < spec.row)
        placed.append((spec, left + x, top + y))
    return placed


def _cell_at(ws: Worksheet, x_px: int, y_px: int) -> tuple[int, int]:
    """The (column, row) of the first cell whose top-left corner is at or right of
    ``x_px`` and at or below ``y_px`` (pixels at 100% zoom, as :func:`_positions` gives)."""
    column, left = 1, 0
    while left < x_px:
        left += _column_px(ws, column)
        column += 1
    row, top = 1, 0
    while top < y_px:
        top += _row_px(ws, row)
        row += 1
    return column, row


def _cell_anchor(cell: tuple[int, int], width_cm: float, height_cm: float) -> OneCellAnchor:
    """A chart of a fixed size whose top-left corner is the (column, row) ``cell``."""
    column, row = cell
    return OneCellAnchor(
        _from=AnchorMarker(col=column - 1, colOff=0, row=row - 1, rowOff=0),
        ext=XDRPositiveSize2D(cx=cm_to_EMU(width_cm), cy=cm_to_EMU(height_cm)),
    )


def _anchor(x_px: int, y_px: int, width_cm: float, height_cm: float) -> AbsoluteAnchor:
    """A fixed position and size: charts keep their grid whatever the cell sizes (Excel and
    LibreOffice size default cells differently, so cell anchors would not line up)."""
    return AbsoluteAnchor(
        pos=XDRPoint2D(x=pixels_to_EMU(x_px), y=pixels_to_EMU(y_px)),
        ext=XDRPositiveSize2D(cx=cm_to_EMU(width_cm), cy=cm_to_EMU(height_cm)),
    )


def _format_labelled_cells(data: Worksheet) -> None:
    """Data labels show their cells' number format: the weights read 0.20, not 0.2000001."""
    place = section("weights")
    for column in ("current", "optimized"):
        ref = place.data_ref(column).split("!")[-1].replace("$", "")
        for row in data[ref]:
            for cell in row:
                cell.number_format = "0.00"


def _drop_blank_series(chart: ChartBase, data: Worksheet) -> None:
    """Leave out the series whose cells are all blank (the segments outside a one-segment
    view), so the legend lists only the segments shown; all are kept when all are blank.
    In live Excel the charts are not rebuilt, so there the legend keeps every segment."""

    def has_values(series) -> bool:
        ref = (series.yVal or series.val).numRef.f.split("!")[-1].replace("$", "")
        top, left, bottom, right = parse_range(ref)
        cells = data.iter_rows(min_row=top, max_row=bottom, min_col=left, max_col=right)
        return any(c.value is not None for row in cells for c in row)

    shown = [series for series in chart.series if has_values(series)]
    if shown:  # by identity: openpyxl series compare equal when their options match
        chart.series[:] = shown


def add_charts(workbook: Workbook) -> None:
    """(Re)create every chart of :data:`CHARTS` on its sheet, bound to 'Chart Data'.

    Call after the chart data blocks are written. Charts this function made earlier in
    the same workbook object are replaced, other charts are kept. Raises IcpError when
    'Chart Data' or a chart sheet is missing.
    """
    needed = [CHART_DATA_SHEET, *GRID_ORIGIN]
    missing = [name for name in needed if name not in workbook.sheetnames]
    if missing:
        raise IcpError(
            f"The workbook has no {', '.join(repr(m) for m in missing)} sheet; "
            "create a new ICP workbook (icp-xl new) to get the charts"
        )
    _format_labelled_cells(workbook[CHART_DATA_SHEET])
    for name in GRID_ORIGIN:
        ws = workbook[name]
        ws._charts = [c for c in ws._charts if not getattr(c, _ICP_CHART, False)]
        for spec, x, y in _positions(ws, [s for s in CHARTS if s.sheet == name]):
            chart = _finish(spec.build(), spec.title, spec.width_cm, spec.height_cm)
            if isinstance(chart, ScatterChart) and chart.legend is not None:
                _drop_blank_series(chart, workbook[CHART_DATA_SHEET])
            if name in CELL_ANCHORED:
                anchor = _cell_anchor(_cell_at(ws, x, y), spec.width_cm, spec.height_cm)
            else:
                anchor = _anchor(x, y, spec.width_cm, spec.height_cm)
            ws.add_chart(chart, anchor)
