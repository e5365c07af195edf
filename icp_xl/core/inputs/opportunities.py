"""Turn a raw CRM opportunity (deal) export into clean, typed columns.

Headers are matched like the accounts' (:data:`~icp_xl.core.inputs.columns.OPPORTUNITY_COLUMNS`:
Salesforce, HubSpot and Dynamics names; the Column map applies, its Customer ID entry to the
account's ID). Amounts are read as the accounts' money is (:mod:`icp_xl.core.inputs.numbers`),
dates as :mod:`icp_xl.core.inputs.dates` reads them. Each deal is won, lost or open:

- ``IsWon`` and ``IsClosed`` flags (Salesforce), when both columns are there, decide;
- else the Stage: ``Closed Won`` / ``Won`` (and HubSpot's ``closedwon``) is won, ``Closed
  Lost`` / ``Lost`` / ``Canceled`` / ``Out-Sold`` is lost, any other stage is open.

Every problem of the table is collected and raised at once (:class:`OpportunitiesError`),
one sentence per problem naming the file, column, rows and values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from icp_xl.core.errors import IcpError, describe_value
from icp_xl.core.inputs.accounts import (
    FIRST_ROWS_SHOWN,
    RowNumbers,
    _bad_cells_problem,
    _check_unique_headers,
    _listed_headers,
    _number_problems,
    _rows_text,
    _shortlist,
    _text_column,
    row_number,
)
from icp_xl.core.inputs.columns import (
    OPPORTUNITY_COLUMNS,
    accepted_headers,
    header_key,
    match_headers,
)
from icp_xl.core.inputs.dates import read_date_column
from icp_xl.core.inputs.numbers import read_number_column

WON, LOST, OPEN = "won", "lost", "open"
STATUSES = (WON, LOST, OPEN)
WON_STAGES = frozenset({"closedwon", "won"})
LOST_STAGES = frozenset({"closedlost", "lost", "canceled", "cancelled", "outsold"})
TRUE_WORDS = frozenset({"true", "1", "yes", "y", "x"})
FALSE_WORDS = frozenset({"false", "0", "no", "n", ""})
OPPORTUNITY_FIELDS = ("opportunity_id", "customer_id", "stage", "status", "amount",
                      "created_date", "close_date", "row")  # fmt: skip


class OpportunitiesError(IcpError):
    """Every problem of an opportunities table, one sentence each in ``problems``."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = tuple(problems)
        message = problems[0] if len(problems) == 1 else (
            f"{len(problems)} problems: " + " | ".join(problems)
        )  # fmt: skip
        super().__init__(message)


@dataclass(frozen=True)
class Opportunities:
    """Clean opportunities: ``frame`` has :data:`OPPORTUNITY_FIELDS`: ``stage`` the stage
    text as written ('' without a Stage column), ``status`` won, lost or open, ``amount``
    float (NaN when blank), the dates datetime64 (NaT when blank or absent), ``row`` the row
    the user sees. ``source_columns`` maps each field to the user's header; ``warnings``
    holds one sentence per missing optional column or ignored header."""

    frame: pd.DataFrame
    source_columns: dict[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.frame)


def empty_opportunities() -> Opportunities:
    """No opportunities (a workbook whose Opportunities table is empty)."""
    frame = pd.DataFrame(
        {
            "opportunity_id": pd.Series(dtype=object),
            "customer_id": pd.Series(dtype=object),
            "stage": pd.Series(dtype=object),
            "status": pd.Series(dtype=object),
            "amount": pd.Series(dtype=float),
            "created_date": pd.Series(dtype="datetime64[ns]"),
            "close_date": pd.Series(dtype="datetime64[ns]"),
            "row": pd.Series(dtype=np.int64),
        }
    )
    return Opportunities(frame)


def prepare_opportunities(
    raw: pd.DataFrame,
    where: str = "Opportunities",
    first_row: RowNumbers | None = None,
    column_map: Mapping[str, str] | None = None,
) -> Opportunities:
    """Validate and type a raw opportunities table.

    ``raw``: the table as read (any headers, cells as values or text); ``where`` names it
    in messages; ``first_row`` the row the user sees for the first data row, or one per
    row (default ``raw.attrs["row_numbers"]``, else 2); ``column_map`` field -> the user's
    header. Raises :class:`OpportunitiesError` listing every problem: repeated headers, no
    account ID column, no Stage (or IsWon + IsClosed) column, an empty table, blank account
    IDs or stages, unreadable flags, amounts or dates, duplicate opportunity IDs."""
    if first_row is None:
        first_row = raw.attrs.get("row_numbers", 2)
    _check_unique_headers(raw.columns, where)
    matching = match_headers(raw.columns, column_map, OPPORTUNITY_COLUMNS)
    mapping = matching.mapping
    flags = "is_won" in mapping and "is_closed" in mapping
    missing = []
    if "customer_id" not in mapping:
        missing.append(
            "account ID column (accepted: "
            f"{_shortlist(accepted_headers('customer_id', column_map, OPPORTUNITY_COLUMNS), 5)})"
        )
    if "stage" not in mapping and not flags:
        missing.append("'Stage' column (nor both 'IsWon' and 'IsClosed')")
    if missing:
        raise OpportunitiesError(
            [f"{where} has no {' and no '.join(missing)}; found {_listed_headers(raw.columns, 8)}"
             '; map yours in the Settings Column map']
        )  # fmt: skip
    if raw.empty:
        raise OpportunitiesError([f"{where} has no opportunities: the table is empty"])
    raw = raw.reset_index(drop=True)
    n = len(raw)
    problems: list[str] = []
    text = {f: _text_column(raw[h]) for f, h in mapping.items() if f in ("opportunity_id",
            "customer_id", "stage")}  # fmt: skip
    ids = text["customer_id"].astype(object)
    problems += _blank_problems(ids, mapping["customer_id"], where, first_row, "an account ID")
    if flags:
        status, flag_problems = _status_from_flags(raw, mapping, where, first_row)
        problems += flag_problems
    else:
        stages = text["stage"].astype(object)
        problems += _blank_problems(stages, mapping["stage"], where, first_row, "a stage")
        keys = stages.map(header_key)
        status = np.where(keys.isin(WON_STAGES), WON, np.where(keys.isin(LOST_STAGES), LOST, OPEN))
    amount = np.full(n, np.nan)
    if "amount" in mapping:
        read = read_number_column(raw[mapping["amount"]])
        problems += _number_problems(raw[mapping["amount"]], read.values, read.bad,
                                     mapping["amount"], where, first_row)  # fmt: skip
        amount = read.values
    dates = {}
    for name in ("created_date", "close_date"):
        dates[name] = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
        if name in mapping:
            column = read_date_column(raw[mapping[name]])
            if len(column.bad):
                problems.append(_bad_cells_problem(
                    raw[mapping[name]], column.bad, mapping[name], where, first_row,
                    "not a date", "are not dates",
                ))  # fmt: skip
            dates[name] = column.values
    opportunity_ids = (
        text["opportunity_id"].astype(object)
        if "opportunity_id" in text
        else pd.Series([""] * n, dtype=object)
    )
    problems += _duplicate_problems(opportunity_ids, where, first_row)
    if problems:
        raise OpportunitiesError(problems)
    rows = np.array([row_number(first_row, i) for i in range(n)], dtype=np.int64)
    frame = pd.DataFrame(
        {
            "opportunity_id": opportunity_ids.to_numpy(dtype=object),
            "customer_id": ids.to_numpy(dtype=object),
            "stage": (text["stage"] if "stage" in text else pd.Series([""] * n)).to_numpy(
                dtype=object
            ),
            "status": np.asarray(status, dtype=object),
            "amount": amount,
            "created_date": dates["created_date"],
            "close_date": dates["close_date"],
            "row": rows,
        }
    )
    notes = list(matching.notes)
    for name, effect in (
        ("amount", "won amounts are blank"),
        ("created_date", "the backtest (grades before each deal was created) cannot run"),
        ("close_date", "the optimizer's time split cannot run"),
    ):
        if name not in mapping:
            notes.append(f"{where} has no '{OPPORTUNITY_COLUMNS[_index(name)].header}' "
                         f"column: {effect}")  # fmt: skip
    return Opportunities(frame, mapping, tuple(notes))


def _index(name: str) -> int:
    return next(i for i, c in enumerate(OPPORTUNITY_COLUMNS) if c.field == name)


def _blank_problems(
    values: pd.Series, header: str, where: str, first_row: RowNumbers, what: str
) -> list[str]:
    blank = np.flatnonzero((values == "").to_numpy())
    if len(blank) == 1:
        return [f"{where}, column '{header}', row {row_number(first_row, int(blank[0]))}: "
                f"{what} is required"]  # fmt: skip
    if len(blank):
        rows = _rows_text(row_number(first_row, int(b)) for b in blank)
        return [f"{where}, column '{header}': {len(blank)} rows have no value ({what} is "
                f"required), rows {rows}"]  # fmt: skip
    return []


def _flag_values(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(booleans, positions of cells that are not a yes/no flag) of a flag column."""
    out = np.zeros(len(values), dtype=bool)
    bad = []
    for i, cell in enumerate(values):
        number = isinstance(cell, int | float | np.integer | np.floating)
        if isinstance(cell, bool | np.bool_) or (number and cell in (0, 1)):
            out[i] = bool(cell)
        elif cell is None or isinstance(cell, str):
            word = (cell or "").strip().lower()
            if word in TRUE_WORDS:
                out[i] = True
            elif word not in FALSE_WORDS:
                bad.append(i)
        else:
            bad.append(i)
    return out, np.asarray(bad, dtype=int)


def _status_from_flags(
    raw: pd.DataFrame, mapping: Mapping[str, str], where: str, first_row: RowNumbers
) -> tuple[np.ndarray, list[str]]:
    problems = []
    read = {}
    for name in ("is_won", "is_closed"):
        header = mapping[name]
        values, bad = _flag_values(raw[header])
        if len(bad):
            problems.append(_bad_cells_problem(raw[header], bad, header, where, first_row,
                            "not true or false", "are not true or false"))  # fmt: skip
        read[name] = values
    won, closed = read["is_won"], read["is_closed"]
    status = np.where(closed & won, WON, np.where(closed, LOST, OPEN))
    contradiction = np.flatnonzero(won & ~closed)
    if len(contradiction):
        rows = _rows_text(row_number(first_row, int(p)) for p in contradiction)
        problems.append(f"{where}: {len(contradiction)} rows are won but not closed "
                        f"('{mapping['is_won']}' true, '{mapping['is_closed']}' false), rows "
                        f"{rows}")  # fmt: skip
    return status, problems


def _duplicate_problems(ids: pd.Series, where: str, first_row: RowNumbers) -> list[str]:
    filled = ids[ids != ""]
    duplicated = filled[filled.duplicated(keep=False)]
    if not len(duplicated):
        return []
    listed = []
    for value, rows in duplicated.groupby(duplicated, sort=False).groups.items():
        numbers = ", ".join(str(row_number(first_row, r)) for r in rows[:4])
        listed.append(f"{describe_value(value)} (rows {numbers})")
    more = len(listed) - FIRST_ROWS_SHOWN
    extra = f"; and {more} more duplicated IDs" if more > 0 else ""
    return [f"{where}: Opportunity IDs must be unique; duplicated: "
            f"{'; '.join(listed[:FIRST_ROWS_SHOWN])}{extra}"]  # fmt: skip
