"""Run history: what every rescore keeps of the run before it.

Before a rescore writes Scores, :func:`read_previous_run` reads the previous run (the
Scores table as it stands, the Runs table, and what the last rescore used); after it,
:func:`record_run` writes the Movers sheet (grade migration, new and gone accounts,
largest moves with their reason), appends a row to the Runs table and stores what this
rescore used, which the stale-results formulas compare with the current inputs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import compress, repeat
from typing import Any

import numpy as np
import pandas as pd

from icp_xl.core.errors import describe_value
from icp_xl.core.inputs.cells import cell_ref, parse_range
from icp_xl.core.insight.movers import (
    BEST_FIRST,
    INPUT_FIELDS,
    Movers,
    compare_runs,
    row_shares,
    run_kpis,
)
from icp_xl.core.model.settings import COMPONENTS
from icp_xl.workbook import layout
from icp_xl.workbook.actions.scoring import Scored
from icp_xl.workbook.blocks import Block, cell_value
from icp_xl.workbook.book import Book
from icp_xl.workbook.calibration_table import EXCEL_EPOCH

FIRST_RUN = "first run"
WEIGHTS_AND_CALIBRATION = "weights + calibration"
_SCORES_FIELD = {column.header: field for column, field in layout.SCORES_FIELDS}
_RUNS_KEY = {column.header: key for key, column in layout.RUNS_COLUMNS} | {
    "Spearman with target": "spearman_target"
}  # its header before it named the revenue
_PREVIOUS_FIELDS = frozenset(
    {"customer_id", "company_name", "ICP_score", "ICP_grade", "customer_segment", *INPUT_FIELDS}
)

# The Scores headers the history reads of the previous run (a header spelled as its field
# is read as that field too).
PREVIOUS_RUN_HEADERS: tuple[str, ...] = (
    *(header for header, field in _SCORES_FIELD.items() if field in _PREVIOUS_FIELDS),
    *sorted(_PREVIOUS_FIELDS),
)


@dataclass(frozen=True)
class PreviousRun:
    """The run before this one: ``scores`` indexed by Customer ID (``ICP_score``,
    ``ICP_grade``, ``company_name`` and the inputs of
    :data:`icp_xl.core.insight.movers.INPUT_FIELDS` as the Scores sheet held them), ``runs``
    (the Runs table, keyed like :data:`icp_xl.workbook.layout.RUNS_COLUMNS`) and
    ``changes``: what changed for every account since then (``weights``, ``settings``,
    ``calibration``; ``first run`` when nothing was recorded); ``unreadable``: the cells
    (``Movers!A9``) of Runs rows without a readable run number, kept as they are."""

    scores: pd.DataFrame
    runs: pd.DataFrame
    changes: tuple[str, ...]
    unreadable: tuple[str, ...] = ()

    @property
    def exists(self) -> bool:
        return FIRST_RUN not in self.changes and not self.scores.empty


def _same_value(x: Any, y: Any) -> bool:
    """Equal cell values; blank equals ""; a date equals its Excel serial number (a copy may
    be shown as a number)."""
    if isinstance(x, datetime) or isinstance(y, datetime):
        serials = [
            (v - EXCEL_EPOCH).total_seconds() / 86400 if isinstance(v, datetime) else v
            for v in (x, y)
        ]
        if all(isinstance(v, int | float) for v in serials):
            return abs(serials[0] - serials[1]) < 1e-6
    return (None if x == "" else x) == (None if y == "" else y)


def _same_cells(a: list[list[Any]], b: list[list[Any]]) -> bool:
    return all(
        _same_value(x, y) for ra, rb in zip(a, b, strict=True) for x, y in zip(ra, rb, strict=True)
    )


def changed_since_last_rescore(book: Book) -> tuple[str, ...]:
    """What differs between the current inputs and those the last rescore used:
    ``weights``, ``settings`` (Settings values and tables), ``calibration`` (scoring mode
    or calibration); ``("first run",)`` when the workbook records no rescore. The same
    comparison the ResultsStatus formula makes."""
    last = [book.read_name(layout.LAST_WEIGHT_NAMES[c]) for c in COMPONENTS]
    if all(v is None for v in last):
        return (FIRST_RUN,)
    now = [book.read_name(layout.WEIGHT_NAMES[c]) for c in COMPONENTS]
    changes = ["weights"] if now != last else []
    for kind, source, top_left in layout.SETTINGS_COPIES:
        copy = layout.copy_ref(source, top_left)
        same = _same_cells(
            book.read_range(layout.SETTINGS, source), book.read_range(layout.MOVERS, copy)
        )
        if not same and kind not in changes:
            changes.append(kind)
    if "weights" in changes and "calibration" in changes:  # new weights, calibration re-made
        changes[changes.index("weights")] = WEIGHTS_AND_CALIBRATION
        changes.remove("calibration")
    return tuple(changes)


def _previous_scores(book: Book) -> pd.DataFrame:
    table = book.read_table_columns(layout.SCORES_TABLE.name, PREVIOUS_RUN_HEADERS)
    table = table.rename(columns=lambda h: _SCORES_FIELD.get(str(h), str(h)))
    if table.empty or "customer_id" not in table or "ICP_grade" not in table:
        return pd.DataFrame(columns=["ICP_score", "ICP_grade"])
    table = table[table["customer_id"].notna()]
    table = table[[c for c in table.columns if c in _PREVIOUS_FIELDS]]  # the rest is freed
    table.index = pd.Index(table["customer_id"].map(str), name="customer_id")
    return table


def read_runs(book: Book) -> pd.DataFrame:
    """The Runs table, one row per recorded rescore, keyed like
    :data:`icp_xl.workbook.layout.RUNS_COLUMNS`. A history row is never dropped: only rows
    with nothing in them are left out; a row whose run number cannot be read (cleared,
    text) is kept as it is."""
    runs = _read_runs(book)
    return runs[runs.map(lambda v: v is not None and v == v and v != "").any(axis=1)]


def read_previous_run(book: Book) -> PreviousRun:
    """The previous run, read before a rescore writes anything; Runs rows without a
    readable run number are reported (``unreadable``)."""
    runs = read_runs(book)
    numbers = _run_numbers(runs)
    top, left, *_ = parse_range(book.locate(layout.RUNS_TABLE.name).ref)
    column = left + (list(runs.columns).index("run") if "run" in runs else 0)
    unreadable = tuple(
        f"{layout.MOVERS}!{cell_ref(top + 1 + int(i), column)}" for i in runs.index[numbers.isna()]
    )
    return PreviousRun(_previous_scores(book), runs, changed_since_last_rescore(book), unreadable)


def _read_runs(book: Book) -> pd.DataFrame:
    """The Runs table keyed like :data:`~icp_xl.workbook.layout.RUNS_COLUMNS`. A renamed
    header (``Run #``) is read as the column the product put there, reported on the status
    line (the rescore writes the header back)."""
    table = book.read_table(layout.RUNS_TABLE.name)
    location = book.locate(layout.RUNS_TABLE.name)
    top, left, _, _ = parse_range(location.ref)
    keys = [key for key, _ in layout.RUNS_COLUMNS]
    named = {_RUNS_KEY.get(str(header)) for header in table.columns}
    names: list[Any] = []
    for position, header in enumerate(table.columns):
        key = _RUNS_KEY.get(str(header))
        if key is None and position < len(keys) and keys[position] not in named:
            key = keys[position]
            book.status(
                f"{location.sheet}!{cell_ref(top, left + position)}: the Runs header "
                f"{describe_value(header)} is read as '{layout.RUNS_TABLE.header[position]}' "
                "and written back so"
            )
        names.append(key if key is not None else header)
    table.columns = names
    return table


def _run_number(value: Any) -> int | None:
    """A Run cell's number (``3``, ``3.0``, text ``"3"``), or None when it holds none."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if isinstance(value, int | float) and math.isfinite(value) and float(value).is_integer():
        return int(value)
    return None


def _run_numbers(runs: pd.DataFrame) -> pd.Series:
    """Each Runs row's run number; NaN where it is blank, text or not a whole number."""
    if "run" not in runs:
        return pd.Series(np.nan, index=runs.index)
    numbers = [_run_number(value) for value in runs["run"]]
    return pd.Series([np.nan if n is None else n for n in numbers], index=runs.index, dtype=float)


def unreadable_runs_note(cells: tuple[str, ...]) -> str:
    """The sentence that reports Runs rows without a readable run number (``cells``)."""
    if len(cells) == 1:
        return f"The Runs row at {cells[0]} has no readable run number; it is kept as it is."
    return (
        f"The Runs rows at {', '.join(cells)} have no readable run number; they are kept as "
        "they are."
    )


def next_run_number(previous: PreviousRun) -> int:
    """The number of the run being recorded: one above every run before it (rows without
    a readable number count as runs too, so a number is never used twice)."""
    numbers = _run_numbers(previous.runs).dropna()
    highest = int(numbers.max()) if len(numbers) else 0
    return max(highest, len(previous.runs)) + 1


def with_previous(result: Scored, previous: PreviousRun) -> Scored:
    """``result`` with ``previous_ICP_score``, ``previous_ICP_grade`` and
    ``ICP_score_change`` (blank for accounts new since the previous run)."""
    ids = result.accounts.frame["customer_id"].astype(str)
    before = previous.scores.reindex(ids.to_numpy())
    score = pd.to_numeric(before["ICP_score"], errors="coerce").to_numpy(dtype=float)
    scored = result.scored.assign(
        previous_ICP_score=score,
        previous_ICP_grade=before["ICP_grade"].to_numpy(dtype=object),
        ICP_score_change=result.scored["ICP_score"].to_numpy(dtype=float) - score,
    )
    return replace(result, scored=scored)


def current_run(result: Scored) -> pd.DataFrame:
    """This run as :func:`icp_xl.core.insight.movers.compare_runs` takes it: indexed by
    Customer ID."""
    frame = result.accounts.frame
    run = (
        frame[["company_name", *INPUT_FIELDS]].copy()
        if "company_name" in frame
        else frame[list(INPUT_FIELDS)].copy()
    )
    run["ICP_score"] = result.scored["ICP_score"].to_numpy(dtype=float)
    run["ICP_grade"] = result.scored["ICP_grade"].to_numpy(dtype=object)
    run.index = pd.Index(frame["customer_id"].astype(str), name="customer_id")
    return run


def record_run(book: Book, result: Scored, previous: PreviousRun) -> Movers:
    """Write the Movers sheet and a Runs row for ``result`` (compared with ``previous``)
    and store what this rescore used. Returns the comparison."""
    current = current_run(result)
    run_changes = [c for c in previous.changes if c != FIRST_RUN]
    movers = compare_runs(
        previous.scores if previous.exists else current.iloc[:0],
        current,
        run_changes,
        relative=result.mode == "Relative",
    )
    if not previous.exists:
        movers = replace(movers, new=[])
    number = next_run_number(previous)
    if previous.unreadable:
        book.status(unreadable_runs_note(previous.unreadable))
    book.status("Writing Movers and Runs")
    for area in layout.MOVERS_AREAS:
        book.clear_range(layout.MOVERS, area)
    for block in movers_blocks(movers, current, previous, number):
        book.write_block(block)
    _write_gone(book, movers.gone, previous.scores)
    runs = _append_run(book, result, movers, previous, number)
    book.write_block(_run_chart_block(runs))
    _store_inputs(book, result.raw)
    return movers


def movers_blocks(
    movers: Movers, current: pd.DataFrame, previous: PreviousRun, number: int
) -> list[Block]:
    """The Movers sheet's blocks (summary, migration counts and shares, moves, lists)."""
    sheet = layout.MOVERS
    if previous.exists:
        changes = ", ".join(previous.changes) or "nothing but the accounts' own data"
        summary = (
            f"Run {number} against run {number - 1}: {movers.in_both:,} accounts in both runs, "
            f"{len(movers.new):,} new, {len(movers.gone):,} gone; {movers.grade_changes:,} "
            f"changed grade. Changed for everyone since run {number - 1}: {changes}."
        )
    else:
        summary = f"Run {number}: the first recorded run; the next rescore shows what moved."
    if previous.unreadable:
        summary += " " + unreadable_runs_note(previous.unreadable)
    counts = movers.matrix
    corner = "Previous \\ Now"
    migration = [[corner, *BEST_FIRST, "Total"]]
    migration += [
        [g, *(int(v) for v in counts.loc[g]), int(counts.loc[g].sum())] for g in BEST_FIRST
    ]
    migration.append(["Total", *(int(v) for v in counts.sum()), int(counts.to_numpy().sum())])
    shares = row_shares(counts)
    share_rows = [[corner, *BEST_FIRST]] + [
        [g, *(cell_value(v) for v in shares.loc[g])] for g in BEST_FIRST
    ]
    blocks = [
        Block(sheet, layout.MOVERS_SUMMARY, [[summary]]),
        Block(sheet, layout.MIGRATION_TOP, migration),
        Block(sheet, layout.MIGRATION_SHARES_TOP, share_rows),
        Block(sheet, layout.MOVES_UP_TOP, _move_rows(movers.up(layout.MOVERS_LIST_ROWS), current)),
        Block(
            sheet, layout.MOVES_DOWN_TOP, _move_rows(movers.down(layout.MOVERS_LIST_ROWS), current)
        ),
        Block(sheet, layout.NEW_ACCOUNTS_TOP, _id_rows(movers.new, current, "Grade")),
        Block(
            sheet,
            layout.GONE_ACCOUNTS_TOP,
            _id_rows(movers.gone, previous.scores, "Previous grade"),
        ),
    ]
    return blocks


def _move_rows(moves: pd.DataFrame, current: pd.DataFrame) -> list[list[Any]]:
    rows = [[label for _, label, _ in layout.MOVE_COLUMNS]]
    names = current.get("company_name")
    for customer, move in moves.iterrows():
        values = {**move.to_dict(), "customer_id": customer}
        values["company_name"] = None if names is None else names.get(customer)
        rows.append([cell_value(values[key]) for key, _, _ in layout.MOVE_COLUMNS])
    return rows


def _write_gone(book: Book, gone: list[str], previous: pd.DataFrame) -> None:
    """Every gone account (Customer ID, name, previous score, grade and segment) at
    :data:`~icp_xl.workbook.layout.GONE_ALL_TOP`, replacing the last rescore's."""
    book.clear_range(layout.MOVERS, layout.GONE_ALL_AREA)
    fields = ("company_name", "ICP_score", "ICP_grade", "customer_segment")
    rows: list[list[Any]] = [list(layout.GONE_ALL_COLUMNS)]
    for customer in gone:
        row = previous.loc[customer]
        rows.append([customer, *(cell_value(row.get(f)) for f in fields)])
    book.write_block(Block(layout.MOVERS, layout.GONE_ALL_TOP, rows))


def gone_accounts(book: Book) -> pd.DataFrame:
    """The accounts gone at the last rescore, as :func:`_write_gone` kept them: columns
    ``customer_id``, ``company_name``, ``ICP_score``, ``ICP_grade``, ``customer_segment``
    (empty in a workbook whose last rescore predates the list)."""
    from icp_xl.core.inputs.cells import parse_cell, range_ref

    columns = ["customer_id", "company_name", "ICP_score", "ICP_grade", "customer_segment"]
    top, left = parse_cell(layout.GONE_ALL_TOP)
    runs = read_runs(book)
    count = pd.to_numeric(runs["gone"], errors="coerce").iloc[-1] if len(runs) else None
    if count is None or pd.isna(count) or int(count) == 0:
        return pd.DataFrame(columns=columns)
    ref = range_ref(top, left, top + int(count), left + len(columns) - 1)
    rows = book.read_range(layout.MOVERS, ref)
    if [str(v) for v in rows[0]] != list(layout.GONE_ALL_COLUMNS):
        return pd.DataFrame(columns=columns)
    frame = pd.DataFrame([r for r in rows[1:] if r[0] is not None], columns=columns)
    frame["customer_id"] = frame["customer_id"].map(str)
    return frame


def _id_rows(ids: list[str], run: pd.DataFrame, grade_label: str) -> list[list[Any]]:
    rows: list[list[Any]] = [["Customer ID", "Company Name", "ICP score", grade_label]]
    for customer in ids[: layout.MOVERS_LIST_ROWS]:
        row = run.loc[customer]
        rows.append(
            [customer, cell_value(row.get("company_name")), cell_value(row.get("ICP_score")),
             cell_value(row.get("ICP_grade"))]
        )  # fmt: skip
    if len(ids) > layout.MOVERS_LIST_ROWS:
        rows.append([f"... and {len(ids) - layout.MOVERS_LIST_ROWS:,} more", None, None, None])
    return rows


def _append_run(
    book: Book, result: Scored, movers: Movers, previous: PreviousRun, number: int
) -> pd.DataFrame:
    from icp_xl.workbook.actions.rescoring import weights_text

    kpis = run_kpis(result.accounts.frame, result.scored, result.settings)
    calibration = result.calibration
    values: dict[str, Any] = {
        "run": number,
        "time": datetime.now().replace(microsecond=0),
        "mode": result.mode,
        "weights": weights_text(result.settings.weights),
        "calibrated_at": calibration.calibrated_at if calibration else None,
        "changes": ", ".join(previous.changes) if previous.exists else FIRST_RUN,
        "accounts": kpis.accounts,
        "in_both": movers.in_both if previous.exists else None,
        "new": len(movers.new) if previous.exists else None,
        "gone": len(movers.gone) if previous.exists else None,
        "grade_changes": movers.grade_changes if previous.exists else None,
        "average_score": kpis.average_score,
        "high_value_accounts": kpis.high_value_accounts,
        "gp24_share_ab": kpis.gp24_share_ab,
        "spearman_target": kpis.spearman_target,
        **{f"share_{g}": kpis.grade_shares[g] for g in BEST_FIRST},
    }
    keys = [key for key, _ in layout.RUNS_COLUMNS]
    old = [[cell_value(row.get(key)) for key in keys] for row in previous.runs.to_dict("records")]
    rows = [*old, [cell_value(values[key]) for key in keys]]
    book.write_table(layout.RUNS_TABLE.name, layout.RUNS_TABLE.header, rows)
    return pd.DataFrame(rows, columns=keys)


def _run_chart_block(runs: pd.DataFrame) -> Block:
    """The last :data:`~icp_xl.workbook.layout.RUN_CHART_ROWS` runs' KPIs for the chart."""
    last = runs.tail(layout.RUN_CHART_ROWS)
    accounts = pd.to_numeric(last["accounts"], errors="coerce").to_numpy(dtype=float)
    high = pd.to_numeric(last["high_value_accounts"], errors="coerce").to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        series = {**{k: last[k].to_numpy() for k, _ in layout.RUN_CHART_SERIES if k in last},
                  "high_value_rate": high / accounts}  # fmt: skip
    header = ["Run", *(label for _, label in layout.RUN_CHART_SERIES)]
    rows = [
        [_run_label(r), *(cell_value(series[k][i]) for k, _ in layout.RUN_CHART_SERIES)]
        for i, r in enumerate(last["run"])
    ]
    rows += [[None] * len(header) for _ in range(layout.RUN_CHART_ROWS - len(rows))]
    return Block(layout.MOVERS, layout.RUN_CHART_TOP, [header, *rows])


def _run_label(value: Any) -> str:
    """The chart's category for a Run cell: ``Run 3``; a cell that holds no number as it
    is (``Run first``)."""
    number = _run_number(value)
    return f"Run {number if number is not None else cell_value(value)}"


# cell value types: 1 text, 2 number, 3 blank, 0 any other (a date, a boolean...)
_KINDS = {str: 1, float: 2, int: 2, np.float64: 2, np.int64: 2, type(None): 3}


def accounts_fingerprint(raw: pd.DataFrame) -> dict[str, float]:
    """The fingerprint of the Accounts values ``raw`` (as read from the table), as the
    status formula computes it: ``cells`` non-blank cells (COUNTA), ``numbers`` the sum of
    the numbers, dates as days since 1899-12-30 (SUM in the 1900 date system), ``text`` the
    total length of the text cells in UTF-16 units (LEN); ``dates``, how many cells hold
    dates, and ``date_rows`` the sum of their rows (the formula's corrections in a
    workbook on the 1904 date system); ``initials``, the code point of each text cell's
    first character (UNICODE) times its row in the table, 1 for the first, summed;
    ``by_row``, each number times its row, summed (SUMPRODUCT);
    ``below 1000`` and ``below 100000000``, the sums of the numbers below those limits."""
    sums = _FingerprintSums()
    positions = np.arange(1, len(raw) + 1, dtype=float)
    for name in raw.columns:
        column = raw[name]
        if pd.api.types.is_bool_dtype(column):
            sums.cells += int(column.notna().sum())
            continue
        if pd.api.types.is_numeric_dtype(column):
            values = column.to_numpy(dtype=float)
            kept = ~np.isnan(values)
            sums.add_numbers(values[kept], positions[kept])
            continue
        if isinstance(column.dtype, pd.StringDtype):  # text and blanks only
            values = column.to_numpy(dtype=object, na_value=None)
            is_text = np.fromiter(map(bool, values), bool, len(values))
        else:
            values = column.to_numpy(dtype=object)
            types = map(type, values)
            kinds = np.fromiter(map(_KINDS.get, types, repeat(0)), np.int8, len(values))
            is_text, is_number = kinds == 1, kinds == 2
        held = values[is_text].tolist()
        filled = np.fromiter(map(bool, held), bool, len(held))
        sums.add_texts(list(compress(held, filled)), positions[is_text][filled])
        if isinstance(column.dtype, pd.StringDtype):
            continue
        found = values[is_number].astype(float)
        kept = ~np.isnan(found)
        sums.add_numbers(found[kept], positions[is_number][kept])
        others, other_rows = [], []
        for i in np.flatnonzero(kinds == 0).tolist():  # dates, booleans, other values
            value = values[i]
            if isinstance(value, bool | np.bool_):
                sums.cells += 1
            elif value is None or pd.isna(value) or value == "":
                continue
            elif isinstance(value, datetime):
                others.append((value - EXCEL_EPOCH).total_seconds() / 86400)
                other_rows.append(i + 1)
                sums.dates += 1
                sums.date_rows += i + 1
            elif isinstance(value, int | float | np.number):
                others.append(float(value))
                other_rows.append(i + 1)
            elif isinstance(value, str):  # a str subclass
                sums.add_texts([value], positions[i : i + 1])
            else:  # another value: a cell, summed nowhere
                sums.cells += 1
        sums.add_numbers(np.asarray(others, dtype=float), np.asarray(other_rows, dtype=float))
    return sums.fingerprint()


@dataclass
class _FingerprintSums:
    """The running sums of :func:`accounts_fingerprint`, a column at a time (no array of
    the whole table's numbers or first characters: 40 MB at 100,000 accounts)."""

    cells: int = 0
    text: int = 0
    dates: int = 0
    date_rows: int = 0
    initials: float = 0.0
    numbers: float = 0.0
    by_row: float = 0.0
    below: dict[int, float] = field(
        default_factory=lambda: dict.fromkeys((limit for limit, _ in layout.SMALL_NUMBERS), 0.0)
    )

    def add_numbers(self, values: np.ndarray, rows: np.ndarray) -> None:
        """Number cells ``values`` (no NaN) at table rows ``rows`` (1 for the first)."""
        self.cells += len(values)
        self.numbers += float(np.sum(values))  # pairwise: far inside NUMBERS_TOLERANCE
        self.by_row += float(np.sum(values * rows))
        for limit in self.below:
            self.below[limit] += float(np.sum(values[values < limit]))

    def add_texts(self, texts: list[str], rows: np.ndarray) -> None:
        """Non-empty text cells ``texts`` at table rows ``rows``."""
        self.cells += len(texts)
        self.text += len("".join(texts).encode("utf-16-le")) // 2
        codes = np.array([t[0] for t in texts], dtype="U1").view(np.uint32)
        self.initials += float(np.sum(codes * rows))

    def fingerprint(self) -> dict[str, float]:
        return {
            "cells": self.cells,
            "numbers": self.numbers,
            "text": self.text,
            "dates": self.dates,
            "date_rows": self.date_rows,
            "initials": self.initials,
            "by_row": self.by_row,
            **{f"below {limit}": total for limit, total in self.below.items()},
        }


def accounts_changed_since_last_rescore(book: Book, raw: pd.DataFrame | None = None) -> bool:
    """Whether the Accounts values (``raw``, default: read from the table) differ from
    those the last rescore scored, by :func:`accounts_fingerprint` and the status
    formula's rule. False when no fingerprint was kept (a workbook made before it)."""
    from icp_xl.core.errors import IcpError

    try:
        kept = {k: book.read_name(n) for k, n in layout.ACCOUNTS_FINGERPRINT_NAMES.items()}
    except IcpError:
        return False
    if not all(isinstance(v, int | float) for v in kept.values()):
        return False
    now = accounts_fingerprint(book.read_table(layout.ACCOUNTS_TABLE.name) if raw is None else raw)
    sums = {"numbers": kept["numbers"],
            "initials": _plain_cell(book, layout.ACCOUNT_INITIALS_CELL),
            "by_row": _plain_cell(book, layout.ACCOUNT_ROWS_CELL),
            **{f"below {limit}": _plain_cell(book, cell)
               for limit, cell in layout.ACCOUNT_BAND_CELLS.items()}}  # fmt: skip
    return (
        now["cells"] != kept["cells"]
        or now["text"] != kept["text"]
        or any(  # a sum the workbook did not keep yet (None) is not compared
            was is not None and abs(now[key] - was) > layout.NUMBERS_TOLERANCE * max(1.0, abs(was))
            for key, was in sums.items()
        )
    )


def _plain_cell(book: Book, cell: str) -> float | None:
    """The number in ``cell`` (``Movers!$AE$6``), None when it holds none (a workbook
    rescored before that part of the fingerprint was kept)."""
    sheet, ref = cell.split("!")
    value = book.read_range(sheet, ref.replace("$", ""))[0][0]
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _store_inputs(book: Book, raw: pd.DataFrame) -> None:
    """Keep what this rescore used: the weights, copies of the Settings areas and the
    fingerprint of the Accounts values ``raw`` (not kept in a live workbook made before it)."""
    from icp_xl.core.errors import IcpError

    for component in COMPONENTS:
        name = layout.WEIGHT_NAMES[component]
        book.set_name(layout.LAST_WEIGHT_NAMES[component], book.read_name(name))
    fingerprint = accounts_fingerprint(raw)
    dates = ["Accounts: date cells (count; sum of their rows)", fingerprint.pop("dates"),
             fingerprint.pop("date_rows")]  # fmt: skip
    for (sheet, label), row in (
        (layout.ACCOUNT_DATES_LABEL, dates),
        (
            layout.ACCOUNT_INITIALS_LABEL,
            ["Accounts: first characters by row", fingerprint.pop("initials")],
        ),
        (layout.ACCOUNT_ROWS_LABEL, ["Accounts: numbers by row", fingerprint.pop("by_row")]),
    ):
        book.write_block(Block(sheet, label, [row]))
    bands = [(f"Numbers below {limit:,}", fingerprint.pop(f"below {limit}"))
             for limit, _ in layout.SMALL_NUMBERS]  # fmt: skip
    first = layout.SMALL_NUMBERS[0][1]
    book.write_block(
        Block(
            layout.MOVERS,
            f"{first}{layout.ACCOUNT_BANDS_CAPTION_ROW}",
            [[caption for caption, _ in bands], [value for _, value in bands]],
        )
    )
    try:
        for key, value in fingerprint.items():
            book.set_name(layout.ACCOUNTS_FINGERPRINT_NAMES[key], value)
    except IcpError:
        pass
    for _, source, top_left in layout.SETTINGS_COPIES:
        book.write_block(Block(layout.MOVERS, top_left, book.read_range(layout.SETTINGS, source)))
