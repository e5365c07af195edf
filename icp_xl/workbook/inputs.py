"""Read the user's inputs from an ICP workbook: weights, settings, optimizer settings
and accounts, through the :class:`~icp_xl.workbook.book.Book` interface.

Every problem names the sheet and cell (``Settings!B5 (SmallBusinessMax): ...``).
Readers collect *all* problems they find; :func:`read_settings` and friends raise
:class:`~icp_xl.core.errors.IcpError` with the first (and a count of the rest), while
:func:`input_problems` returns the whole list for *Validate*.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from icp_xl.core.errors import IcpError, describe_value
from icp_xl.core.inputs.accounts import Accounts, AccountsError, prepare_accounts
from icp_xl.core.inputs.cells import cell_ref, parse_range, range_ref
from icp_xl.core.inputs.columns import column_map_from_pairs
from icp_xl.core.inputs.industries import industry_key
from icp_xl.core.insight.quality import IgnoredRows
from icp_xl.core.model.settings import COMPONENTS, GRADES, Settings, SizeTier, Weights
from icp_xl.core.optimization.defaults import DEFAULT_TRIALS
from icp_xl.workbook import layout
from icp_xl.workbook.book import Book


@dataclass(frozen=True)
class OptimizerSettings:
    """Optimizer settings from the Settings sheet (docs/optimizer.md).

    ``trials`` Optuna trials; ``lambda_param`` weight of the grade-shape (KL) term in
    [0, 1]; ``include_size`` False locks the size weight at 0; ``seed`` None = random;
    ``bounds`` component -> (min, max) weight after normalizing to sum 1.
    """

    trials: int = DEFAULT_TRIALS
    lambda_param: float = 0.25
    include_size: bool = True
    seed: int | None = 42
    bounds: Mapping[str, tuple[float, float]] = field(
        default_factory=lambda: dict(layout.DEFAULT_WEIGHT_BOUNDS)
    )


class _Reader:
    """Reads named cells and tables, collecting one sentence per problem."""

    def __init__(self, book: Book) -> None:
        self.book = book
        self.problems: list[str] = []

    def where(self, name: str) -> str:
        try:
            return f"{self.book.locate(name)} ({name})"
        except IcpError:
            return name

    def value(self, name: str) -> tuple[bool, Any]:
        try:
            return True, self.book.read_name(name)
        except IcpError as error:
            self.problems.append(str(error))
            return False, None

    def number(
        self,
        name: str,
        low: float | None = None,
        high: float | None = None,
        *,
        blank_ok: bool = False,
        whole: bool = False,
    ) -> float | None:
        """The number in a named cell, or None (problem recorded) when it is not one."""
        ok, value = self.value(name)
        if not ok:
            return None
        if value is None or value == "":
            if not blank_ok:
                self.problems.append(f"{self.where(name)}: the cell is blank; enter a number")
            return None
        problem = _number_problem(value, low, high, whole)
        if problem:
            self.problems.append(f"{self.where(name)}: {problem}")
            return None
        return float(value)

    def flag(self, name: str) -> bool | None:
        ok, value = self.value(name)
        if not ok:
            return None
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().upper() in ("TRUE", "FALSE"):
            return value.strip().upper() == "TRUE"
        found = describe_value(value)
        self.problems.append(f"{self.where(name)}: expected TRUE or FALSE, found {found}")
        return None

    def attempt(self, where: str, build: Any) -> Any:
        """Run ``build()``; a core IcpError becomes a problem prefixed with ``where``."""
        try:
            return build()
        except IcpError as error:
            self.problems.append(f"{where}: {error}")
            return None

    def first_error(self) -> None:
        if self.problems:
            more = len(self.problems) - 1
            extra = f" (and {more} more problem(s); run Validate to list them)" if more else ""
            raise IcpError(self.problems[0] + extra)


def _number_problem(value: Any, low: float | None, high: float | None, whole: bool) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        kind = "text " if isinstance(value, str) else "a date " if hasattr(value, "year") else ""
        return f"expected a number, found {kind}{describe_value(value)}"
    if value != value or value in (float("inf"), float("-inf")):
        return f"expected a number, found {value!r}"
    if whole and float(value) != int(value):
        return f"expected a whole number, found {value!r}"
    if low is not None and value < low or high is not None and value > high:
        span = f"from {low:g} to {high:g}" if high is not None else f"of at least {low:g}"
        return f"expected a number {span}, found {value!r}"
    return ""


def _range_of(names: Mapping[str, str], reader: _Reader) -> str:
    """'Weights!B5:B8' for a column of named cells (for messages about them together)."""
    first, last = (reader.book.locate(n) for n in (names[COMPONENTS[0]], names[COMPONENTS[-1]]))
    return f"{first.sheet}!{first.ref}:{last.ref}"


def _read_weights(reader: _Reader, names: Mapping[str, str]) -> Weights | None:
    values = {c: reader.number(names[c], 0.0, 1.0) for c in COMPONENTS}
    if any(v is None for v in values.values()):
        return None
    return reader.attempt(_range_of(names, reader), lambda: Weights(**values))


def _table_rows(reader: _Reader, table: str) -> tuple[pd.DataFrame, int, int] | None:
    """A settings table as raw cells plus the sheet row and column of its first body cell."""
    try:
        frame = reader.book.read_table(table)
        top, left, *_ = parse_range(reader.book.locate(table).ref)
    except IcpError as error:
        reader.problems.append(str(error))
        return None
    return frame, top + 1, left


def _read_size_tiers(reader: _Reader) -> tuple[SizeTier, ...] | None:
    found = _table_rows(reader, layout.SIZE_TIERS_TABLE.name)
    if found is None:
        return None
    frame, first_row, left = found
    sheet = layout.SIZE_TIERS_TABLE.sheet
    tiers, before = [], len(reader.problems)
    for i, (lower, upper, score) in enumerate(frame.iloc[:, :3].itertuples(index=False)):
        row = first_row + i
        cells = {"lower": (lower, left), "upper": (upper, left + 1), "score": (score, left + 2)}
        for label, (value, column) in cells.items():
            if label == "upper" and (value is None or value == ""):
                continue
            problem = _number_problem(value, 0.0, 1.0 if label == "score" else None, False)
            if problem:
                reader.problems.append(f"{sheet}!{cell_ref(row, column)} (size tier {label}): "
                                       f"{problem}")  # fmt: skip
        if len(reader.problems) == before:
            upper = None if upper is None or upper == "" else float(upper)
            tier = reader.attempt(
                f"{sheet}!{cell_ref(row, left)}:{cell_ref(row, left + 2)}",
                lambda lo=lower, up=upper, sc=score: SizeTier(float(lo), up, float(sc)),
            )
            tiers.append(tier)
    if not tiers and len(reader.problems) == before:
        reader.problems.append(f"{sheet}: the {layout.SIZE_TIERS_TABLE.name} table has no rows")
    return tuple(tiers) if len(reader.problems) == before else None


def _read_vertical_table(reader: _Reader) -> dict[str, float] | None:
    found = _table_rows(reader, layout.VERTICAL_TABLE.name)
    if found is None:
        return None
    frame, first_row, left = found
    sheet = layout.VERTICAL_TABLE.sheet
    table: dict[str, float] = {}
    seen: dict[str, int] = {}
    before = len(reader.problems)
    for i, (industry, score) in enumerate(frame.iloc[:, :2].itertuples(index=False)):
        row = first_row + i
        if (industry is None or str(industry).strip() == "") and score in (None, ""):
            continue
        if not isinstance(industry, str) or not industry.strip():
            reader.problems.append(
                f"{sheet}!{cell_ref(row, left)}: the industry name is blank "
                f"(vertical score {describe_value(score)})"
            )
            continue
        key = industry.strip().lower()
        if key in seen:
            reader.problems.append(
                f"{sheet}!{cell_ref(row, left)}: industry '{industry.strip()}' is listed twice "
                f"(also row {seen[key]})"
            )
            continue
        seen[key] = row
        problem = _number_problem(score, 0.0, 1.0, False)
        if problem:
            reader.problems.append(
                f"{sheet}!{cell_ref(row, left + 1)} (vertical score of '{industry.strip()}'): "
                f"{problem}"
            )
            continue
        table[industry] = float(score)
    return table if len(reader.problems) == before else None


def _optional_table(reader: _Reader, table: str) -> tuple[pd.DataFrame, int, int] | None:
    """Like :func:`_table_rows`, but a workbook made before the table existed reads as None
    without a problem."""
    try:
        reader.book.locate(table)
    except IcpError:
        return None
    return _table_rows(reader, table)


def _read_industry_map(
    reader: _Reader, verticals: Mapping[str, float] | None
) -> dict[str, str] | None:
    """The Industry map (data spelling -> vertical-table industry); None when the workbook
    has no IndustryMap table (then the built-in common spellings apply)."""
    found = _optional_table(reader, layout.INDUSTRY_MAP_TABLE.name)
    if found is None:
        return None
    frame, first_row, left = found
    sheet = layout.INDUSTRY_MAP_TABLE.sheet
    known = {industry_key(n) for n in verticals or {}}
    result: dict[str, str] = {}
    seen: dict[str, tuple[str, int]] = {}  # spelling key -> (industry key, row)
    for i, (spelling, industry) in enumerate(frame.iloc[:, :2].itertuples(index=False)):
        row = first_row + i
        spelling = "" if spelling is None else str(spelling).strip()
        industry = "" if industry is None else str(industry).strip()
        if not spelling and not industry:
            continue
        if not spelling or not industry:
            blank, ref = ("spelling", cell_ref(row, left)) if not spelling else (
                "industry", cell_ref(row, left + 1))  # fmt: skip
            reader.problems.append(f"{sheet}!{ref} (Industry map): the {blank} is blank; "
                                   "fill it or clear the row")  # fmt: skip
            continue
        if verticals is not None and industry_key(industry) not in known:
            reader.problems.append(
                f"{sheet}!{cell_ref(row, left + 1)} (Industry map): '{industry}' is not an "
                f"industry of the vertical table; use one of its names (for '{spelling}')"
            )
            continue
        key = industry_key(spelling)
        if key in seen and seen[key][0] != industry_key(industry):
            reader.problems.append(
                f"{sheet}!{cell_ref(row, left)} (Industry map): '{spelling}' is mapped twice, "
                f"to two industries (also row {seen[key][1]})"
            )
            continue
        seen.setdefault(key, (industry_key(industry), row))
        result[spelling] = industry
    return result


def unused_industry_map_rows(book: Book, settings: Settings) -> list[tuple[str, str, str]]:
    """``(cell, spelling, industry)`` of each Industry map row whose spelling already is an
    industry of the vertical table (any case or accents, e.g. ``Retail``): the vertical
    table wins, so the row is never used. Empty without an IndustryMap table."""
    reader = _Reader(book)
    found = _optional_table(reader, layout.INDUSTRY_MAP_TABLE.name)
    if found is None:
        return []
    frame, first_row, left = found
    unused = []
    for i, (spelling, industry) in enumerate(frame.iloc[:, :2].itertuples(index=False)):
        spelling = "" if spelling is None else str(spelling).strip()
        if industry_key(spelling) in settings.vertical_keys:
            cell = f"{layout.INDUSTRY_MAP_TABLE.sheet}!{cell_ref(first_row + i, left)}"
            unused.append((cell, spelling, "" if industry is None else str(industry).strip()))
    return unused


def read_column_map(book: Book) -> dict[str, str]:
    """The Column map of the Settings sheet: field -> the user's header (rows with a blank
    header are skipped; a workbook without the table has an empty map). Raises IcpError
    naming the table for an unknown column or a header mapped twice."""
    reader = _Reader(book)
    found = _optional_table(reader, layout.COLUMN_MAP_TABLE.name)
    reader.first_error()
    if found is None:
        return {}
    frame, first_row, left = found
    where = f"{layout.COLUMN_MAP_TABLE.sheet}!" + range_ref(
        first_row, left, first_row + max(len(frame), 1) - 1, left + 1
    )
    pairs = frame.iloc[:, :2].itertuples(index=False)
    return column_map_from_pairs(pairs, f"{where} (Column map)")


def rows_below(book: Book, table: str, depth: int = 500) -> IgnoredRows | None:
    """Non-blank rows typed directly under ``table`` (within ``depth`` rows, in the table's
    columns): they are not part of it and no action reads them. None when there are none or
    the workbook has no such table."""
    try:
        location = book.locate(table)
    except IcpError:
        return None
    _, left, bottom, right = parse_range(location.ref)
    ref = range_ref(bottom + 1, left, bottom + depth, right)
    values = book.read_range(location.sheet, ref)
    filled = [
        (bottom + 1 + i, row)
        for i, row in enumerate(values)
        if any(c is not None and str(c).strip() for c in row)
    ]
    if not filled:
        return None
    first = tuple(
        " / ".join(str(c) for c in row if c is not None and str(c).strip()) for _, row in filled[:3]
    )
    span = range_ref(filled[0][0], left, filled[-1][0], right)
    return IgnoredRows(table, f"{location.sheet}!{span}", len(filled), first)


def ignored_rows(book: Book) -> list[IgnoredRows]:
    """Rows typed under any input table of the workbook (see :func:`rows_below`)."""
    tables = [t.name for t in layout.TABLES if t.sheet in layout.INPUT_SHEETS]
    return [found for t in tables if (found := rows_below(book, t)) is not None]


def _read_settings(reader: _Reader) -> Settings | None:
    weights = _read_weights(reader, layout.WEIGHT_NAMES)
    defaults = _read_weights(reader, layout.DEFAULT_WEIGHT_NAMES)
    small = reader.number("SmallBusinessMax", 0.0)
    mid = reader.number("MidMarketMax", 0.0)
    if small is not None and mid is not None and not small < mid:
        reader.problems.append(
            f"{reader.where('SmallBusinessMax')} and {reader.where('MidMarketMax')}: "
            f"the Small Business max (${small:,.0f}) must be below the Mid-Market max "
            f"(${mid:,.0f})"
        )
    cutoff = reader.number("HighValueCutoff", 0.0, 100.0)
    shares = {g: reader.number(layout.GRADE_SHARE_NAMES[g], 0.0, 1.0) for g in GRADES}
    if all(v is not None for v in shares.values()):
        total = sum(shares.values())
        if abs(total - 1.0) > 1e-6:
            first = reader.book.locate(layout.GRADE_SHARE_NAMES["A"])
            last = reader.book.locate(layout.GRADE_SHARE_NAMES["F"])
            reader.problems.append(
                f"{first.sheet}!{first.ref}:{last.ref} (grade target shares): they must sum "
                f"to 100%, they sum to {total:.2%}"
            )
    unknown = reader.number("UnknownIndustryScore", 0.0, 1.0)
    neutral = reader.number("NeutralSizeScore", 0.0, 1.0)
    tiers = _read_size_tiers(reader)
    verticals = _read_vertical_table(reader)
    industry_map = _read_industry_map(reader, verticals)
    if reader.problems:
        return None
    return reader.attempt(
        layout.SETTINGS,
        lambda: Settings(
            weights=weights,
            vertical_table=verticals,
            unknown_industry_score=unknown,
            neutral_size_score=neutral,
            size_tiers=tiers,
            grade_shares=shares,
            small_business_max=small,
            mid_market_max=mid,
            high_value_cutoff=cutoff,
            default_weights=defaults,
            industry_map=industry_map,
        ),
    )


def _read_optimizer_settings(reader: _Reader) -> OptimizerSettings | None:
    before = len(reader.problems)
    trials = reader.number("Optimizer_Trials", 1.0, whole=True)
    lam = reader.number("Optimizer_Lambda", 0.0, 1.0)
    include_size = reader.flag("Optimizer_IncludeSize")
    seed = reader.number("Optimizer_Seed", 0.0, blank_ok=True, whole=True)
    bounds = {}
    for c in COMPONENTS:
        low = reader.number(layout.MIN_WEIGHT_NAMES[c], 0.0, 1.0)
        high = reader.number(layout.MAX_WEIGHT_NAMES[c], 0.0, 1.0)
        if low is not None and high is not None:
            if low > high:
                reader.problems.append(
                    f"{reader.where(layout.MIN_WEIGHT_NAMES[c])}: the minimum {c} weight "
                    f"({low:g}) is above the maximum ({high:g})"
                )
            bounds[c] = (low, high)
    if len(reader.problems) > before:
        return None
    return OptimizerSettings(
        trials=int(trials),
        lambda_param=lam,
        include_size=include_size,
        seed=None if seed is None else int(seed),
        bounds=bounds,
    )


def read_settings(book: Book) -> Settings:
    """Weights (current and default) and every scoring/segment setting of the workbook.
    Raises IcpError naming the sheet and cell of the first problem."""
    reader = _Reader(book)
    settings = _read_settings(reader)
    reader.first_error()
    return settings


def read_weights(book: Book, names: Mapping[str, str] = layout.WEIGHT_NAMES) -> Weights:
    """The four weights in the named cells ``names`` (component -> name; default: the
    current weights, ``W_*``). Raises IcpError naming the cell."""
    reader = _Reader(book)
    weights = _read_weights(reader, names)
    reader.first_error()
    return weights


def read_optimizer_settings(book: Book) -> OptimizerSettings:
    """The optimizer settings of the Settings sheet; raises IcpError naming the cell."""
    reader = _Reader(book)
    settings = _read_optimizer_settings(reader)
    reader.first_error()
    return settings


def accounts_origin(book: Book) -> tuple[str, int]:
    """(``where`` for messages, sheet row of the first account) of the Accounts table."""
    location = book.locate(layout.ACCOUNTS_TABLE.name)
    top, *_ = parse_range(location.ref)
    return f"Sheet {location.sheet}", top + 1


def read_accounts(book: Book) -> tuple[pd.DataFrame, Accounts]:
    """(raw Accounts table, prepared accounts), read through the Settings Column map;
    raises IcpError naming sheet, column, row (every problem at once)."""
    column_map = read_column_map(book)
    raw = book.read_table(layout.ACCOUNTS_TABLE.name)
    where, first_row = accounts_origin(book)
    return raw, prepare_accounts(raw, where=where, first_row=first_row, column_map=column_map)


def input_problems(book: Book) -> tuple[list[str], list[str]]:
    """Every problem in the workbook's inputs, and the warnings: ``(problems, warnings)``.

    Checks the sheets, names and tables of the layout, every weight and setting cell,
    the optimizer settings and the Accounts table (each unreadable numeric column once).
    Writes nothing.
    """
    reader = _Reader(book)
    sheets = set(book.sheet_names())
    reader.problems += [
        f"The workbook has no sheet '{s.name}'"
        for s in layout.SHEETS
        if s.name not in sheets and s.name != layout.DATA_QUALITY  # added by the next rescore
    ]
    for named in (*layout.NAMES, *layout.TABLES):
        # the map tables and the optional names: an older workbook may lack them
        optional = (
            named.name in layout.DEFAULT_TABLE_ROWS or named.name in layout.OPTIONAL_INPUT_NAMES
        )
        if named.sheet in layout.INPUT_SHEETS and not optional:
            reader.attempt(named.name, lambda n=named.name: book.locate(n))
    reader.problems = list(dict.fromkeys(reader.problems))
    if reader.problems:
        return reader.problems, []
    _read_settings(reader)
    _read_optimizer_settings(reader)
    try:
        read_accounts(book)
    except AccountsError as error:
        reader.problems += list(error.problems)
    except IcpError as error:
        reader.problems.append(str(error))
    return reader.problems, []
