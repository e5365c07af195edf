"""Live mode as actions see it: the Settings switch, and the Scores rows and Live sheet a
rescore writes when it is on (:mod:`icp_xl.workbook.live_formulas`)."""

from __future__ import annotations

from typing import Any

from icp_xl.core.errors import IcpError
from icp_xl.core.inputs.cells import parse_range
from icp_xl.core.inputs.industries import resolve_industries
from icp_xl.core.model.calibration import RELATIVE
from icp_xl.workbook import layout
from icp_xl.workbook.actions.scoring import Scored
from icp_xl.workbook.blocks import Block
from icp_xl.workbook.book import Book
from icp_xl.workbook.live_formulas import input_links, live_scores

MISSING_LIVE_SHEET = (
    f"The workbook has no sheet '{layout.LIVE}', which Live mode needs (it was made before "
    "Live mode): run icp-xl rescore on the file once, which adds it, or set LiveMode on "
    "Settings to Off"
)
_ON_WORDS = {"on", "true", "yes", "1"}
_OFF_WORDS = {"off", "false", "no", "0", ""}


def parse_live_mode(value: Any) -> bool:
    """Whether a LiveMode cell value means On (On/Off in any case, TRUE/FALSE; blank = Off).
    Raises IcpError for anything else."""
    text = "" if value is None else str(value).strip().lower()
    if text in _ON_WORDS:
        return True
    if text in _OFF_WORDS:
        return False
    raise IcpError(f"Live formulas must be On or Off, got {value!r}")


def read_live_mode(book: Book) -> bool:
    """Whether the workbook is in Live mode (a workbook made before Live mode: Off). A bad
    value raises IcpError naming the cell."""
    try:
        value = book.read_name(layout.LIVE_MODE.name)
    except IcpError:
        return False
    try:
        return parse_live_mode(value)
    except IcpError as error:
        where = book.locate(layout.LIVE_MODE.name)
        raise IcpError(f"{where} ({layout.LIVE_MODE.name}): {error}") from None


def set_live_mode(book: Book, on: bool) -> None:
    """Set the Settings switch (the next rescore writes formulas, or values, accordingly)."""
    book.set_name(layout.LIVE_MODE.name, layout.LIVE_ON if on else layout.LIVE_OFF)


def require_live_sheet(book: Book) -> None:
    """Refuse, before anything is written, Live mode in a workbook without the Live sheet
    (a host that cannot add sheets, such as Excel through xlwings, has to refuse it)."""
    if read_live_mode(book) and layout.LIVE not in book.sheet_names():
        raise IcpError(MISSING_LIVE_SHEET)


def live_scores_rows(book: Book, result: Scored, rows: list[list[Any]]) -> list[list[Any]]:
    """``rows`` (the Scores table's values) as a rescore writes them: with formulas and the
    Live sheet's helper cells in Live mode; as they are, with the Live sheet cleared,
    otherwise."""
    live_sheet = layout.LIVE in book.sheet_names()
    if live_sheet:
        book.clear_range(layout.LIVE, "A1:Z1048576")
    if not read_live_mode(book) or not rows:
        return rows
    if not live_sheet:
        raise IcpError(MISSING_LIVE_SHEET)
    frame = result.accounts.frame
    labels = resolve_industries(frame["industry"], result.settings).label
    location = book.locate(layout.ACCOUNTS_TABLE.name)
    top, left, _, _ = parse_range(location.ref)
    links = input_links(
        result.raw, frame, result.accounts.source_columns, location.sheet, top, left
    )
    live = live_scores(
        rows,
        result.scored,
        frame,
        labels,
        result.settings.grade_cutoffs,
        result.calibration if result.mode != RELATIVE else None,
        links,
    )
    for block in live.live_blocks:
        book.write_block(block)
    return live.rows


SNAPSHOT_NOTE = "As of the last Rescore: in Live mode only Scores and the Dashboard recalculate."
# The Dashboard's note in Live mode, below the key figures' notes (left of the charts).
DASHBOARD_NOTE = (
    "Live mode: figures and charts recalculate",
    "when you edit weights, settings or inputs.",
    "As of the last Rescore: which accounts the",
    "scatters sample, which 15 industries show.",
)
DASHBOARD_NOTE_CELL = f"A{layout.KPI_NOTE_ROW + 5}"
# Python-written sheets that say so in Live mode: (sheet, cell whose text gets the note).
SNAPSHOT_CELLS: tuple[tuple[str, str], ...] = (
    (layout.MOVERS, layout.MOVERS_SUMMARY),
    (layout.TOP_CUSTOMERS, "A2"),
)
ACCOUNT_NOTE_CELL = "A4"  # the Account sheet's free row above its grid
# Free cells that hold the note in Live mode only: the Account sheet's row above its grid,
# the Segments sheet's row under its title.
NOTE_CELLS: tuple[tuple[str, str], ...] = (
    (layout.ACCOUNT, ACCOUNT_NOTE_CELL),
    (layout.SEGMENTS_SHEET, "A2"),
)


def _holds(book: Book, sheet: str, cell: str, lines: tuple[str, ...]) -> bool:
    """Whether ``cell`` holds our note: ``lines``' first line, or a note of an earlier
    version (it begins with the same words)."""
    value = book.read_range(sheet, cell)[0][0]
    return value == lines[0] or (isinstance(value, str) and value.startswith(SNAPSHOT_NOTE[:22]))


def mark_snapshots(book: Book) -> None:
    """In Live mode, append :data:`SNAPSHOT_NOTE` to the summaries of Movers and Top
    Customers (just written), put it in :data:`NOTE_CELLS` (Account, Segments) and
    :data:`DASHBOARD_NOTE` on the Dashboard; outside it, clear those notes where they are
    (Live mode was on before)."""
    live = read_live_mode(book)
    sheets = book.sheet_names()
    notes = [(sheet, cell, (SNAPSHOT_NOTE,)) for sheet, cell in NOTE_CELLS if sheet in sheets]
    for sheet, cell, lines in [*notes, (layout.DASHBOARD, DASHBOARD_NOTE_CELL, DASHBOARD_NOTE)]:
        if live:
            book.write_block(Block(sheet, cell, [[line] for line in lines]))
        elif _holds(book, sheet, cell, lines):  # a cell the user wrote stays as it is
            book.write_block(Block(sheet, cell, [[None] for _ in lines]))
    if not live:
        return
    for sheet, cell in SNAPSHOT_CELLS:
        text = book.read_range(sheet, cell)[0][0]
        if isinstance(text, str) and text and SNAPSHOT_NOTE not in text:
            book.write_block(Block(sheet, cell, [[f"{text} {SNAPSHOT_NOTE}"]]))
