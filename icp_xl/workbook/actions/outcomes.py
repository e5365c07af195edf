"""Outcomes: import CRM opportunities into the Opportunities sheet, keep each account's
grade per rescore (Grade History), and write the Outcomes sheet (win rate by grade, AUC,
gains, backtest) through the Book seam, so the file host and live Excel write the same.

Every rescore calls :func:`read_stored_opportunities` before it writes anything (a bad
Opportunities table stops it with one sentence) and :func:`record_outcomes` at the end.
A workbook made before the Outcomes sheets has no Opportunities table: nothing happens.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from icp_xl.core.errors import IcpError
from icp_xl.core.inputs.accounts import Accounts
from icp_xl.core.inputs.cells import parse_cell
from icp_xl.core.inputs.opportunities import (
    LOST,
    OPEN,
    WON,
    Opportunities,
    prepare_opportunities,
)
from icp_xl.core.insight.grade_history import LOG_FIELDS, grade_changes, grades_at_creation
from icp_xl.core.insight.outcomes import (
    BEST_FIRST,
    TOTAL,
    Auc,
    account_auc,
    gains_curve,
    headlines,
    outcomes_by_grade,
    unknown_accounts,
)
from icp_xl.workbook import layout
from icp_xl.workbook.actions.scoring import Scored, view_scores
from icp_xl.workbook.blocks import Block, cell_value, column_cells
from icp_xl.workbook.book import Book
from icp_xl.workbook.columns import ColumnRows

_STATUS_STAGE = {WON: "Closed Won", LOST: "Closed Lost", OPEN: "Open"}


@dataclass(frozen=True)
class OutcomesReport:
    """What the Outcomes sheet shows: the by-grade ``table`` and ``backtest``
    (:func:`~icp_xl.core.insight.outcomes.outcomes_by_grade`), the ``auc``, the ``headlines``,
    the count of opportunities of ``unknown`` accounts, the opportunities the backtest
    ``covered`` and the ``view`` the grades come from."""

    table: pd.DataFrame
    backtest: pd.DataFrame
    auc: Auc
    headlines: tuple[str, ...]
    opportunities: int
    unknown: int
    covered: int
    view: str
    gains: pd.DataFrame


def has_table(book: Book, table: str) -> bool:
    """Whether the workbook has ``table`` (older workbooks lack the Outcomes tables)."""
    try:
        book.locate(table)
    except IcpError:
        return False
    return True


def read_stored_opportunities(book: Book) -> Opportunities | None:
    """The Opportunities table, checked (raises one sentence per problem naming the sheet
    row); None when the workbook has no such table or it is empty."""
    name = layout.OPPORTUNITIES_TABLE.name
    if not has_table(book, name):
        return None
    raw = book.read_table(name)
    raw = raw[[c for c in raw.columns if str(c).strip()]]
    if raw.empty:
        return None
    top = parse_cell(book.locate(name).ref.split(":")[0])[0]
    where = f"{layout.OPPORTUNITIES} sheet"
    return prepare_opportunities(raw, where=where, first_row=top + 1)


def import_opportunities(
    book: Book, raw: pd.DataFrame, source: str, column_map: dict[str, str] | None = None
) -> Opportunities:
    """Check ``raw`` (a CRM export read by :func:`icp_xl.files.tables.read_table`; ``source``
    names it in messages) and, when it is clean, replace the Opportunities table with it in
    our columns. Raises IcpError (one sentence per problem) before writing anything."""
    if not has_table(book, layout.OPPORTUNITIES_TABLE.name):
        raise IcpError(
            "This workbook has no Opportunities sheet (it was made before outcomes existed); "
            "run `icp-xl outcomes ICP.xlsx DEALS.csv` once on the saved file to add it"
        )
    opportunities = prepare_opportunities(
        raw, where=source, first_row=raw.attrs.get("row_numbers", 2), column_map=column_map
    )
    book.status(f"Writing {len(opportunities):,} opportunities")
    book.write_table(
        layout.OPPORTUNITIES_TABLE.name,
        layout.OPPORTUNITIES_TABLE.header,
        opportunity_rows(opportunities.frame),
    )
    return opportunities


def opportunity_rows(frame: pd.DataFrame) -> list[list[Any]]:
    """Rows of the Opportunities table (our columns): the stage as written (or Closed
    Won / Closed Lost / Open), and IsWon / IsClosed, which decide when read back."""
    rows = []
    for row in frame.itertuples(index=False):
        stage = row.stage or _STATUS_STAGE[row.status]
        rows.append(
            [
                row.opportunity_id or None,
                row.customer_id,
                stage,
                row.status == WON,
                row.status != OPEN,
                cell_value(row.amount),
                cell_value(row.created_date),
                cell_value(row.close_date),
            ]  # fmt: skip
        )
    return rows


def read_grade_log(book: Book, fields: Sequence[str] = LOG_FIELDS) -> pd.DataFrame | None:
    """The Grade History table as :data:`~icp_xl.core.insight.grade_history.LOG_FIELDS`
    (None when the workbook has no such table). ``fields``: the columns read (``run``
    among them), e.g. without ``time``, whose date cells cost the most to read."""
    name = layout.GRADE_HISTORY_TABLE.name
    if not has_table(book, name):
        return None
    headers = [layout.GRADE_HISTORY_FIELDS[f] for f in fields]
    table = book.read_table_columns(name, headers)
    by_header = {h: f for f, h in layout.GRADE_HISTORY_FIELDS.items()}
    table = table.rename(columns=lambda h: by_header.get(str(h), str(h)))
    if table.empty or any(f not in table for f in fields):
        return pd.DataFrame(columns=list(fields))
    table = table[table["run"].notna()][list(fields)]
    texts = {f: table[f].map(_text_or_blank) for f in ("customer_id", "grade") if f in table}
    return table.assign(
        run=pd.to_numeric(table["run"], errors="coerce").astype("Int64"), **texts
    ).dropna(subset=["run"])


def _text_or_blank(value: Any) -> str:
    return "" if value is None else str(value)


def log_grades(book: Book, result: Scored, run: int, time: datetime) -> pd.DataFrame | None:
    """Append this run's grade changes to Grade History; return the whole log (None when
    the workbook has no Grade History table)."""
    return _log_grades(book, result, run, time, with_time=True)


def _log_grades(
    book: Book, result: Scored, run: int, time: datetime, with_time: bool
) -> pd.DataFrame | None:
    """:func:`log_grades`; ``with_time`` False: the whole log is read only when rows are
    appended (its 100,000 date cells are the table's costliest read), and None is
    returned whatever the table holds (the caller has no use for the log)."""
    log = read_grade_log(book, LOG_FIELDS if with_time else _LATEST_FIELDS)
    if log is None:
        return None
    grades = pd.Series(
        result.scored["ICP_grade"].to_numpy(dtype=object),
        index=result.accounts.frame["customer_id"].astype(str).to_numpy(),
    )
    added = grade_changes(log, grades, run, time)
    del grades
    if len(added):
        if not with_time:
            log = read_grade_log(book, LOG_FIELDS)  # the whole log, written back longer
        _write_log(book, log, added, run, time)
        if with_time:
            log = pd.concat([log.astype(object), added.astype(object)], ignore_index=True)
    return log if with_time else None


def _write_log(
    book: Book, log: pd.DataFrame, added: pd.DataFrame, run: int, time: datetime
) -> None:
    """Write Grade History as ``log`` followed by ``added`` (this ``run``'s rows, all of the
    same ``time``, which they share rather than a date object each)."""
    fresh = {"run": [run] * len(added), "time": [time] * len(added)}
    columns = [
        column_cells(log[f]) + (fresh[f] if f in fresh else added[f].tolist()) for f in LOG_FIELDS
    ]
    header = [layout.GRADE_HISTORY_FIELDS[f] for f in LOG_FIELDS]
    book.write_table(layout.GRADE_HISTORY_TABLE.name, header, ColumnRows(columns))


_LATEST_FIELDS = ("run", "customer_id", "grade")  # what the latest grades need


def outcomes_report(
    result: Scored, opportunities: Opportunities, view: str, log: pd.DataFrame | None
) -> OutcomesReport:
    """Compute the Outcomes figures of ``opportunities`` against ``result``'s grades in
    ``view`` (the Dashboard's segment view), with the backtest on the grade ``log``."""
    ids = result.accounts.frame["customer_id"].astype(str)
    mask, rows = view_scores(result.scored, view)
    in_view = ids[mask].to_numpy()
    grades = pd.Series(rows["view_grade"].to_numpy(dtype=object), index=in_view)
    scores = pd.Series(rows["view_score"].to_numpy(dtype=float), index=in_view)
    deals = opportunities.frame.assign(customer_id=opportunities.frame["customer_id"].astype(str))
    unknown = unknown_accounts(deals, ids.to_numpy())
    deals = deals[deals["customer_id"].isin(in_view)]
    table = outcomes_by_grade(deals.assign(grade=deals["customer_id"].map(grades)), grades)
    auc = account_auc(scores, deals)
    gains = gains_curve(scores, deals, layout.GAINS_POINTS - 1)
    graded = grades_at_creation(deals, log if log is not None else pd.DataFrame())
    backtest = outcomes_by_grade(deals.assign(grade=graded.to_numpy()))
    covered = int((graded != "").sum())
    return OutcomesReport(
        table,
        backtest,
        auc,
        tuple(headlines(table, auc, gains)),
        len(opportunities),
        len(unknown),
        covered,
        view,
        gains,
    )


def write_outcomes(
    book: Book, result: Scored, opportunities: Opportunities, view: str, log: pd.DataFrame | None
) -> OutcomesReport:
    """Compute and write the Outcomes sheet; return what it shows."""
    book.status("Writing Outcomes")
    report = outcomes_report(result, opportunities, view, log)
    sheet = layout.OUTCOMES
    for area in layout.OUTCOMES_AREAS:
        book.clear_range(sheet, area)
    total = report.table.loc[TOTAL]
    closed = int(total["won"] + total["lost"])
    summary = (
        f"{report.opportunities:,} opportunities on the Opportunities sheet; in the view "
        f"{view}: {int(total['opportunities']):,} ({closed:,} closed, {int(total['open']):,} "
        f"open) of {int(total['accounts_with_opportunity']):,} accounts"
        + (
            f"; {report.unknown:,} of accounts not in Accounts (listed below)."
            if report.unknown
            else "."
        )  # fmt: skip
    )
    book.write_block(Block(sheet, layout.OUTCOMES_SUMMARY, [[summary]]))
    lines = list(report.headlines[: layout.HEADLINE_ROWS])
    book.write_block(Block(sheet, layout.HEADLINES_TOP, [[line] for line in lines]))
    header = list(layout.OUTCOMES_BY_GRADE_TABLE.header)
    book.write_table(layout.OUTCOMES_BY_GRADE_TABLE.name, header, grade_rows(report.table))
    book.write_table(layout.OUTCOMES_BACKTEST_TABLE.name, header, grade_rows(report.backtest))
    auc = report.auc
    for named, value in zip(
        layout.OUTCOME_NAMES,
        (auc.auc, auc.low, auc.high, auc.accounts, datetime.now().replace(microsecond=0)),
        strict=True,
    ):
        book.set_name(named.name, cell_value(value))
    book.write_block(Block(sheet, layout.BACKTEST_SUMMARY, [[backtest_sentence(report, log)]]))
    book.write_block(Block(sheet, layout.UNKNOWN_TOP, unknown_rows(result, opportunities)))
    for block in chart_blocks(report):
        book.write_block(block)
    return report


def grade_rows(table: pd.DataFrame) -> list[list[Any]]:
    """Rows of an OutcomesByGrade-like table: the grade, then its figures."""
    fields = [f for f, _ in layout.OUTCOME_COLUMNS[1:]]
    return [
        [
            grade,
            *(
                cell_value(table.at[grade, f]) if f != "note" else table.at[grade, f] or None
                for f in fields
            ),
        ]  # fmt: skip
        for grade in table.index
    ]


def backtest_sentence(report: OutcomesReport, log: pd.DataFrame | None) -> str:
    """How many opportunities the backtest covers, and why the others are left out."""
    if log is None or log.empty:
        since = "Grade History is empty"
    else:
        first = log.loc[pd.to_numeric(log["run"]).idxmin()]
        when = pd.Timestamp(first["time"])
        since = f"Grade History starts at run {int(first['run'])}, {when:%Y-%m-%d}"
    if not report.covered:
        return (
            f"No opportunity was created after a recorded rescore yet ({since}): the backtest "
            "fills as deals are created after rescores."
        )
    closed = int(report.backtest.at[TOTAL, "won"] + report.backtest.at[TOTAL, "lost"])
    return (
        f"The backtest covers {report.covered:,} of the view's opportunities ({closed:,} "
        f"closed), each graded at the last rescore before it was created ({since}); the "
        "others were created before that or have no created date."
    )


def unknown_rows(result: Scored, opportunities: Opportunities) -> list[list[Any]]:
    """The list of opportunities of accounts not in Accounts (header first, at most
    :data:`~icp_xl.workbook.layout.UNKNOWN_ROWS`, then how many more)."""
    ids = result.accounts.frame["customer_id"].astype(str).to_numpy()
    deals = opportunities.frame.assign(customer_id=opportunities.frame["customer_id"].astype(str))
    unknown = unknown_accounts(deals, ids)
    rows: list[list[Any]] = [list(layout.UNKNOWN_COLUMNS)]
    if unknown.empty:
        return [*rows, ["None: every opportunity's account is in Accounts.", None, None, None,
                        None]]  # fmt: skip
    for row in unknown.head(layout.UNKNOWN_ROWS).itertuples(index=False):
        stage = row.stage or _STATUS_STAGE[row.status]
        rows.append(
            [row.opportunity_id or None, row.customer_id, stage, cell_value(row.amount), row.row]
        )
    if len(unknown) > layout.UNKNOWN_ROWS:
        rows.append([f"... and {len(unknown) - layout.UNKNOWN_ROWS:,} more", None, None, None,
                     None])  # fmt: skip
    return rows


def chart_blocks(report: OutcomesReport) -> list[Block]:
    """The cells the Outcomes charts read (hidden columns): win rate by grade with the
    Wilson error lengths, and the gains curve."""
    table = report.table
    win = [["Grade", "Win rate", "Below", "Above"]]
    for grade in BEST_FIRST:
        rate, low, high = (table.at[grade, f] for f in ("win_rate", "win_rate_low",
                                                        "win_rate_high"))  # fmt: skip
        win.append([grade, cell_value(rate), cell_value(rate - low), cell_value(high - rate)])
    gains = report.gains
    curve = [["Share of accounts", "Won accounts", "Won amount", "Random"]]
    curve += [
        [cell_value(v) for v in row]
        for row in gains[["share_of_accounts", "won_accounts", "won_amount", "random"]]
        .astype(float)
        .replace({np.nan: None})
        .itertuples(index=False)
    ]
    return [
        Block(layout.OUTCOMES, layout.WIN_CHART_TOP, win),
        Block(layout.OUTCOMES, layout.GAINS_CHART_TOP, curve),
    ]


def record_outcomes(
    book: Book,
    result: Scored,
    opportunities: Opportunities | None,
    view: str,
    run: int,
    time: datetime,
) -> OutcomesReport | None:
    """What a rescore adds: this run's grades to Grade History, and the Outcomes sheet
    when there are opportunities."""
    outcomes = opportunities is not None and has_table(book, layout.OUTCOMES_BY_GRADE_TABLE.name)
    log = _log_grades(book, result, run, time, with_time=outcomes)
    if not outcomes:
        return None
    return write_outcomes(book, result, opportunities, view, log)


def refresh_outcomes(book: Book, view: str | None = None) -> OutcomesReport | None:
    """Rewrite the Outcomes sheet from the stored Opportunities table and the current
    grades, for ``view`` (default the Dashboard's); None when there are no opportunities.
    Grade History is read, not extended (only a rescore records a run)."""
    from icp_xl.workbook.actions.scoring import score_book, selected_view

    view = selected_view(book, view)
    opportunities = read_stored_opportunities(book)
    if opportunities is None:
        return None
    result = score_book(book)
    return write_outcomes(book, result, opportunities, view, read_grade_log(book))


def import_opportunities_file(
    book: Book, path: str | Path, column_map: dict[str, str] | None = None, view: str | None = None
) -> tuple[Opportunities, OutcomesReport | None]:
    """Read an opportunities file (CSV, or the Opportunities else first sheet of an XLSX;
    the workbook's Column map and ``column_map`` apply), store it in the Opportunities
    table and write the Outcomes sheet. Raises IcpError before writing anything when the
    file has problems."""
    from icp_xl.core.inputs.columns import OPPORTUNITY_COLUMNS
    from icp_xl.files.tables import read_table
    from icp_xl.workbook.inputs import read_column_map

    path = Path(path)
    merged = {**read_column_map(book), **(column_map or {})}
    raw = read_table(path, merged, OPPORTUNITY_COLUMNS, layout.OPPORTUNITIES, "opportunities")
    opportunities = import_opportunities(book, raw, path.name, merged)
    return opportunities, refresh_outcomes(book, view)


def won_training_accounts(book: Book, accounts: Accounts, kind: str) -> Accounts:
    """``accounts`` with the won flag (``won``) or won amount (``won-amount``) of the stored
    opportunities as the optimizer's target (see :mod:`icp_xl.core.model.won_target`)."""
    from icp_xl.core.model.won_target import won_target

    opportunities = read_stored_opportunities(book)
    if opportunities is None:
        raise IcpError(
            f"The target '{kind}' needs opportunities: import them first (ribbon: Import "
            "opportunities, or icp-xl outcomes ICP.xlsx DEALS.csv)"
        )
    return won_target(
        accounts, opportunities.frame, "won-amount" if kind == "won-amount" else "won"
    )
