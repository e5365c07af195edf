"""Live mode: Scores as native formulas with Python's values cached. LibreOffice 25.2 (the
engine these tests recalculate with; ``.ci/run`` installs it) recalculates a live workbook
after edits to weights, settings tables and an account's input, and must land on Python's
scores: ranks and grades exactly, scores within 1e-9 points. Both hosts write the same
formulas, and toggling Live off and on, Rescore, Import and Calibrate keep formulas and
values consistent."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pytest
from python_calamine import CalamineWorkbook
from support.hosts import live_host
from support.libreoffice import SOFFICE, libreoffice_version, recalculated

from icp_xl.cli import main
from icp_xl.core.errors import IcpError
from icp_xl.core.inputs.cells import parse_cell
from icp_xl.core.inputs.sample import make_sample_accounts
from icp_xl.core.model.scoring import rank_key
from icp_xl.hosts.file.book import FileBook
from icp_xl.hosts.file.new_workbook import new_workbook
from icp_xl.workbook import actions, layout
from icp_xl.workbook.actions.live import (
    DASHBOARD_NOTE,
    DASHBOARD_NOTE_CELL,
    MISSING_LIVE_SHEET,
    SNAPSHOT_NOTE,
    read_live_mode,
    set_live_mode,
)
from icp_xl.workbook.actions.rescoring import view_blocks
from icp_xl.workbook.actions.scoring import score_book, selected_view
from icp_xl.workbook.blocks import Block, Formula, plain_value
from icp_xl.workbook.live_formulas import LIVE_FIELDS, SCORES_LETTERS

ACCOUNTS = 300
needs_libreoffice = pytest.mark.skipif(
    SOFFICE is None or libreoffice_version()[:1] < (25,),
    reason="LibreOffice 25 or later (SORTBY, SEQUENCE, XMATCH) is not installed",
)
COMPARED = (
    ("Segment", "customer_segment"),
    ("Vertical score", "vertical_score"),
    ("Size score", "size_score"),
    ("Adoption score", "adoption_score"),
    ("Relationship score", "relationship_score"),
    ("Vertical points", "vertical_points"),
    ("Raw score", "ICP_score_raw"),
    ("ICP score", "ICP_score"),
    ("Grade", "ICP_grade"),
    ("Segment ICP score", "segment_ICP_score"),
    ("Segment grade", "segment_ICP_grade"),
)
SKIP = object()  # a cell not compared
TIES = {"W_Vertical": 0.2, "W_Size": 0.2, "W_Adoption": 0.3, "W_Relationship": 0.3}


@pytest.fixture(scope="module")
def live_workbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("live") / "ICP.xlsx"
    new_workbook(path, sample_size=ACCOUNTS, live=True)
    return path


def _copy(source: Path, folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    shutil.copyfile(source, target)
    return target


def _sheet(path: Path, sheet: str) -> list[list[Any]]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()


def _scores(path: Path) -> list[list[Any]]:
    """The Scores table without the columns of the run before (a rescore moves them)."""
    skip = {i for i, (_, f) in enumerate(layout.SCORES_FIELDS) if f in layout.HISTORY_SCORES_FIELDS}
    return [[v for i, v in enumerate(r) if i not in skip] for r in _sheet(path, layout.SCORES)]


def _formulas(path: Path, sheet: str = layout.SCORES) -> dict[str, Any]:
    """Cell -> formula (text, or openpyxl's ArrayFormula) of every formula cell."""
    wb = openpyxl.load_workbook(path)
    found = {}
    for row in wb[sheet].iter_rows():
        for cell in row:
            if cell.data_type == "f" or type(cell.value).__name__ == "ArrayFormula":
                found[cell.coordinate] = getattr(cell.value, "text", cell.value)
    return found


def _edit(path: Path, names: dict[str, Any] = {}, cells: tuple = ()) -> None:  # noqa: B006
    book = FileBook.open(path, status=lambda message: None)
    for name, value in names.items():
        book.set_name(name, value)
    for sheet, ref, value in cells:
        book.write_block(Block(sheet, ref, [[value]]))
    book.save()


def _assert_matches_python(computed: Path, edited: Path) -> None:
    """The Scores sheet LibreOffice computed equals Python's scoring of ``edited``: texts
    and ranks exactly, numbers within 1e-9 (LibreOffice writes 15 significant digits)."""
    expected = score_book(FileBook.open(edited, status=lambda message: None)).scored
    rows = _sheet(computed, layout.SCORES)
    header = rows[0]
    for title, field in COMPARED:
        got = [r[header.index(title)] for r in rows[1:]]
        want = expected[field].tolist()
        if isinstance(want[0], str):
            assert got == want, title
        else:
            np.testing.assert_allclose(np.array(got, float), want, rtol=0, atol=1e-9, err_msg=title)
    live = _sheet(computed, layout.LIVE)
    if read_live_mode(FileBook.open(edited, status=lambda message: None)):
        raw = expected["ICP_score_raw"].to_numpy()
        order = np.argsort(rank_key(raw), kind="stable")
        ranks = np.empty(len(raw))
        ranks[order] = np.arange(1, len(raw) + 1)
        column = "ABCDEFG".index(layout.LIVE_COLUMNS["rank"])
        got_ranks = [r[column] for r in live[1:]]
        if got_ranks[0] != "":  # Relative mode ranks; Calibrated mode has none
            assert got_ranks == ranks.tolist()


def test_live_scores_are_formulas_with_the_values_python_computes(
    live_workbook: Path, tmp_path: Path
) -> None:
    formulas = _formulas(live_workbook)
    for field in LIVE_FIELDS:
        cell = f"{SCORES_LETTERS[field]}2"
        assert str(formulas[cell]).startswith("="), field
    assert "NORM.S.INV" in formulas[f"{SCORES_LETTERS['ICP_score']}2"]
    assert "SizeTiers[Size score]" in formulas[f"{SCORES_LETTERS['size_score']}2"]
    live = _formulas(live_workbook, layout.LIVE)
    assert live["B2"].startswith("=_xlfn.SORTBY(_xlfn.SEQUENCE(300)")
    # the same accounts without Live mode: every Scores value identical
    plain = tmp_path / "plain.xlsx"
    new_workbook(plain, sample_size=ACCOUNTS)
    assert not {c for c in _formulas(plain) if c[:1] != "A" and c != layout.SCORES_STATUS.ref}
    values, expected = _sheet(live_workbook, layout.SCORES), _sheet(plain, layout.SCORES)
    assert values == expected


def test_live_off_and_on_keep_the_values(live_workbook: Path, tmp_path: Path) -> None:
    path = _copy(live_workbook, tmp_path, "toggle.xlsx")
    before = _scores(path)
    assert main(["live", str(path), "off"]) == 0
    off = _formulas(path)
    assert f"{SCORES_LETTERS['ICP_score']}2" not in off
    assert _scores(path) == before
    assert _sheet(path, layout.LIVE) in ([], [[]], [[""]])
    assert SNAPSHOT_NOTE not in _sheet(path, layout.TOP_CUSTOMERS)[1][0]
    assert _sheet(path, layout.ACCOUNT)[3][0] == ""
    assert _sheet(path, layout.SEGMENTS_SHEET)[1][0] == ""
    assert not _formulas(path, layout.CHART_DATA)
    plain = tmp_path / "plain.xlsx"  # never live: the Dashboard's formulas are its layout's
    new_workbook(plain, sample_size=ACCOUNTS)
    assert set(_formulas(path, layout.DASHBOARD)) == set(_formulas(plain, layout.DASHBOARD))
    dashboard = _sheet(path, layout.DASHBOARD)
    assert not any(DASHBOARD_NOTE[0] in str(cell) for row in dashboard for cell in row)
    assert main(["live", str(path), "ON"]) == 0
    assert _formulas(path).keys() == _formulas(live_workbook).keys()
    assert _scores(path) == before
    for sheet, row in ((layout.MOVERS, 1), (layout.TOP_CUSTOMERS, 1), (layout.ACCOUNT, 3),
                       (layout.SEGMENTS_SHEET, 1)):  # fmt: skip
        assert _sheet(path, sheet)[row][0].endswith(SNAPSHOT_NOTE), sheet
    note_row = parse_cell(DASHBOARD_NOTE_CELL)[0] - 1
    assert _sheet(path, layout.DASHBOARD)[note_row][0] == DASHBOARD_NOTE[0]


def test_a_bad_live_mode_value_is_one_sentence(live_workbook: Path, tmp_path: Path) -> None:
    path = _copy(live_workbook, tmp_path, "bad.xlsx")
    _edit(path, {layout.LIVE_MODE.name: "maybe"})
    with pytest.raises(IcpError) as error:
        actions.rescore(FileBook.open(path, status=lambda message: None))
    assert (
        str(error.value) == "Settings!B33 (LiveMode): Live formulas must be On or Off, got 'maybe'"
    )


def test_rescore_import_and_calibrate_rewrite_formulas_and_values(
    live_workbook: Path, tmp_path: Path
) -> None:
    path = _copy(live_workbook, tmp_path, "actions.xlsx")
    _edit(path, TIES)
    assert main(["rescore", str(path)]) == 0
    _assert_cached_values_are_python(path)
    accounts = tmp_path / "month2.csv"
    make_sample_accounts(ACCOUNTS + 20, seed=7).to_csv(accounts, index=False)
    assert main(["import", str(path), str(accounts)]) == 0
    assert f"{SCORES_LETTERS['ICP_score']}{ACCOUNTS + 21}" in _formulas(path)
    _assert_cached_values_are_python(path)
    assert main(["calibrate", str(path)]) == 0
    live = _formulas(path, layout.LIVE)
    assert "MATCH(D2,Settings!$R$24:" in live["E2"]
    after = _formulas(path)
    rows = range(2, ACCOUNTS + 22)
    assert all(f"{SCORES_LETTERS[f]}{r}" in after for f in LIVE_FIELDS for r in rows)
    _assert_cached_values_are_python(path)


def _assert_cached_values_are_python(path: Path) -> None:
    """The values stored with the formulas are what Python scores now."""
    expected = score_book(FileBook.open(path, status=lambda message: None)).scored
    rows = _sheet(path, layout.SCORES)
    for title, field in COMPARED:
        got = [r[rows[0].index(title)] for r in rows[1:]]
        assert got == expected[field].tolist(), title


@needs_libreoffice
def test_libreoffice_recalculates_a_live_workbook_to_pythons_scores(
    live_workbook: Path, tmp_path: Path
) -> None:
    """Weights (ties included), a settings table, settings cells and an account's input
    edited in the file; LibreOffice recalculates on load; Python scores the same file."""
    folder = tmp_path / "edited"
    variants = {
        "default": ({}, ()),
        "ties": (TIES, ()),
        "weights": ({"W_Vertical": 0.5, "W_Size": 0.0, "W_Adoption": 0.25,
                     "W_Relationship": 0.25}, ()),
        "settings": (
            {"UnknownIndustryScore": 0.25, "NeutralSizeScore": 0.45, "GradeShare_A": 0.15,
             "GradeShare_C": 0.35, "SmallBusinessMax": 50e6},
            ((layout.SETTINGS, "I5", 0.55), (layout.SETTINGS, "F5", 0.7)),
        ),
        "account": ({}, _account_edits(live_workbook)),
    }  # fmt: skip
    paths = {}
    for label, (names, cells) in variants.items():
        paths[label] = _copy(live_workbook, folder, f"{label}.xlsx")
        _edit(paths[label], names, cells)
    raw = score_book(FileBook.open(paths["ties"], status=lambda m: None)).scored["ICP_score_raw"]
    keys = rank_key(raw)
    assert len(np.unique(keys)) < len(keys), "the tie weights must create tied raw scores"
    computed = recalculated(list(paths.values()), tmp_path / "lo")
    for path in paths.values():
        _assert_matches_python(computed[path.name], path)
    status = _sheet(computed["ties.xlsx"], layout.DASHBOARD)
    assert status[5][1] == layout.LIVE_TEXT  # Dashboard B6: live Scores are never stale
    before = _sheet(live_workbook, layout.SCORES)
    after = _sheet(computed["account.xlsx"], layout.SCORES)
    assert all(before[i] != after[i] for i in (1, 2, 3))  # the edited accounts moved


def _account_edits(path: Path) -> tuple:
    """New annual revenue for the first account, big-box count (printers are the box counts
    here) for the second and SaaS revenue for the third, in Accounts cells the Scores
    inputs link to."""
    header = _sheet(path, layout.ACCOUNTS)[0]
    formulas = _formulas(path)

    def letter(title: str) -> str:
        return openpyxl.utils.get_column_letter(header.index(title) + 1)

    revenue, big, small = (
        letter("Annual Revenue"),
        letter("Big Box Count"),
        letter("Small Box Count"),
    )
    license_, saas, maintenance = (
        letter(f"Total {t} Revenue") for t in ("Software License", "SaaS", "Maintenance")
    )
    assert formulas[f"{SCORES_LETTERS['annual_revenue']}2"] == f"=Accounts!{revenue}2"
    assert formulas[f"{SCORES_LETTERS['printer_count']}3"] == f"=Accounts!{big}3+Accounts!{small}3"
    assert formulas[f"{SCORES_LETTERS['software_revenue']}4"] == (
        f"=Accounts!{license_}4+Accounts!{saas}4+Accounts!{maintenance}4"
    )
    return (
        (layout.ACCOUNTS, f"{revenue}2", 3e9),
        (layout.ACCOUNTS, f"{big}3", 250.0),
        (layout.ACCOUNTS, f"{saas}4", 1.5e6),
    )


@needs_libreoffice
def test_calibrated_live_workbook_recalculates_to_pythons_scores(
    live_workbook: Path, tmp_path: Path
) -> None:
    path = _copy(live_workbook, tmp_path, "calibrated.xlsx")
    assert main(["calibrate", str(path)]) == 0
    _edit(path, TIES, _account_edits(path))
    computed = recalculated([path], tmp_path / "lo")
    _assert_matches_python(computed[path.name], path)
    _assert_dashboard_is_python(computed[path.name], path, "calibrated")


@needs_libreoffice
def test_both_hosts_write_the_same_live_formulas(live_workbook: Path, tmp_path: Path) -> None:
    """A live rescore through xlwings (Excel's API on the test engine) writes the formulas
    the file host writes; LibreOffice recalculates the saved workbook to Python's scores.
    Turning Live off there leaves values only."""
    path = _copy(live_workbook, tmp_path, "excel.xlsx")
    _edit(path, TIES)
    with live_host(path) as book:
        actions.rescore(book)
    file_copy = _copy(path, tmp_path / "file", "file.xlsx")
    assert main(["rescore", str(file_copy)]) == 0
    for sheet in (layout.SCORES, layout.LIVE, layout.DASHBOARD, layout.CHART_DATA):
        assert _formulas(path, sheet) == _formulas(file_copy, sheet), sheet
    assert len(_formulas(path, layout.CHART_DATA)) > 1000
    computed = recalculated([path], tmp_path / "lo")
    _assert_matches_python(computed[path.name], path)
    with live_host(path) as book:
        set_live_mode(book, False)
        actions.rescore(book)
    assert f"{SCORES_LETTERS['ICP_score']}2" not in _formulas(path)
    _assert_cached_values_are_python(path)


def test_live_mode_in_excel_without_the_live_sheet_says_what_to_do(
    live_workbook: Path, tmp_path: Path
) -> None:
    """A workbook made before Live mode, open in Excel (which only writes values into the
    structure that is there): one sentence, nothing half-written."""
    path = _copy(live_workbook, tmp_path, "old.xlsx")
    wb = openpyxl.load_workbook(path)
    del wb[layout.LIVE]
    wb.save(path)
    before = _sheet(path, layout.DATA_QUALITY)
    with live_host(path) as book, pytest.raises(IcpError) as error:
        actions.rescore(book)
    assert str(error.value) == MISSING_LIVE_SHEET
    assert _sheet(path, layout.DATA_QUALITY) == before


@needs_libreoffice
def test_libreoffice_recalculates_the_dashboard_to_pythons_figures(
    live_workbook: Path, tmp_path: Path
) -> None:
    """The Dashboard's key figures and the Chart Data of its charts, recalculated by
    LibreOffice, equal what Python computes for the workbook as saved (unedited: the values
    cached with the formulas are their results) and after weight edits (ties included), a
    settings edit, and in a one-segment view."""
    folder = tmp_path / "edited"
    mid = _copy(live_workbook, tmp_path, "mid.xlsx")
    assert main(["rescore", str(mid), "--segment", "mid_market"]) == 0
    variants = {
        "ties": (live_workbook, TIES, ()),
        "weights": (live_workbook, {"W_Vertical": 0.5, "W_Size": 0.0, "W_Adoption": 0.25,
                                    "W_Relationship": 0.25}, ()),
        "settings": (live_workbook, {"UnknownIndustryScore": 0.25, "GradeShare_A": 0.15,
                                     "GradeShare_C": 0.35}, ((layout.SETTINGS, "I5", 0.55),)),
        "mid_ties": (mid, TIES, ()),
    }  # fmt: skip
    paths = {"saved": _copy(live_workbook, folder, "saved.xlsx"),
             "mid_saved": _copy(mid, folder, "mid_saved.xlsx")}  # fmt: skip
    for label, (source, names, cells) in variants.items():
        paths[label] = _copy(source, folder, f"{label}.xlsx")
        _edit(paths[label], names, cells)
    new_view = _copy(live_workbook, folder, "new_view.xlsx")  # picked, not yet rescored
    _edit(new_view, {layout.SEGMENT_VIEW.name: "Large Enterprise"})
    computed = recalculated([*paths.values(), new_view], tmp_path / "lo")
    status = _sheet(computed[new_view.name], layout.DASHBOARD)[5][1]
    assert status == layout.LIVE_RESCORE_TEXT  # the figures still filter All Segments
    for label, path in paths.items():
        file = computed[path.name]
        if label.endswith("saved"):  # cached values: the formulas' results
            for sheet in (layout.CHART_DATA, layout.LIVE):
                _assert_same_cells(_sheet(file, sheet), _sheet(path, sheet), f"{label} {sheet}")
        _assert_dashboard_is_python(file, path, label)
    kpis = slice(layout.KPI_FIRST_ROW - 1, layout.KPI_FIRST_ROW - 1 + len(layout.KPI_FIELDS))
    saved, ties = (
        _sheet(computed[paths[k].name], layout.DASHBOARD)[kpis] for k in ("saved", "ties")
    )
    assert saved != ties  # the figures moved with the weights


def _assert_dashboard_is_python(computed: Path, edited: Path, label: str) -> None:
    """The key figures and every Chart Data section with formulas in ``computed`` (LibreOffice's
    recalculation of ``edited``) equal Python's for ``edited``: texts exactly, numbers within
    1e-9."""
    book = FileBook.open(edited, status=lambda message: None)
    kpis, charts, _ = view_blocks(book, score_book(book), selected_view(book, None))
    dashboard, chart_data = _sheet(computed, layout.DASHBOARD), _sheet(computed, layout.CHART_DATA)
    live = [b for b in charts if any(type(v) is Formula for row in b.rows for v in row)]
    assert len(live) >= 9, label
    assert sum(type(row[0]) is Formula for row in kpis.rows) >= len(kpis.rows) - 2, label
    for block, rows in ((kpis, dashboard), *((b, chart_data) for b in live)):
        top, left = parse_cell(block.top_left)
        got = [row[left - 1 : left - 1 + len(block.rows[0])] for row in rows[top - 1 :]]
        # values Python leaves as of the last Rescore are not compared
        want = [[plain_value(v) if type(v) is Formula else SKIP for v in row] for row in block.rows]
        _assert_same_cells(got[: len(want)], want, f"{label} {block.sheet}!{block.top_left}")


def _assert_same_cells(got: list[list[Any]], want: list[list[Any]], where: str) -> None:
    """Cell by cell: blank and "" alike, texts equal, numbers within 1e-9 (absolute or
    relative); a reader leaves out blank rows at the end."""
    got = [*got, *([[]] * (len(want) - len(got)))]
    for r, (row, expected) in enumerate(zip(got, want, strict=False)):
        row = list(row) + [""] * (len(expected) - len(row))
        for c, (a, b) in enumerate(zip(row, expected, strict=False)):
            if b is SKIP:
                continue
            a, b = ("" if a is None else a), ("" if b is None else b)
            if isinstance(b, int | float) and not isinstance(b, bool):
                assert isinstance(a, int | float), f"{where} row {r + 1} col {c + 1}: {a!r} {b!r}"
                assert abs(a - b) <= 1e-9 * max(1.0, abs(b)), f"{where} row {r + 1} col {c + 1}"
            else:
                assert a == b, f"{where} row {r + 1} col {c + 1}: {a!r} != {b!r}"


def test_refreshing_the_segment_view_rewrites_the_live_dashboard(
    live_workbook: Path, tmp_path: Path
) -> None:
    """Refresh segment view in Live mode: the formulas filter by the new view, their values
    are Python's for it, and the Live sheet names the view (the Results formula compares
    it with the Dashboard's selector)."""
    path = _copy(live_workbook, tmp_path, "view.xlsx")
    book = FileBook.open(path, status=lambda message: None)
    actions.refresh_segment_view(book, "large_enterprise")
    book.save()
    live = _sheet(path, layout.LIVE)
    row, column = parse_cell(layout.LIVE_VIEW_CELL.split("!")[1].replace("$", ""))
    assert live[row - 1][column - 1] == "Large Enterprise"
    formulas = _formulas(path, layout.DASHBOARD)
    assert '"Large Enterprise"' in formulas[f"B{layout.KPI_FIRST_ROW + 4}"]
    book = FileBook.open(path, status=lambda message: None)
    kpis, charts, _ = view_blocks(book, score_book(book), "Large Enterprise")
    dashboard = _sheet(path, layout.DASHBOARD)
    got = [r[1:2] for r in dashboard[layout.KPI_FIRST_ROW - 1 :]]
    _assert_same_cells(got, [[plain_value(v) for v in r] for r in kpis.rows], "view")
