"""ICP formulas for Excel: xlwings ``@xw.func`` functions, thin over the scoring core.

Excel calls these through the VBA wrappers that xlwings' own generator writes into
the add-in (one wrapper per ``@xw.func``; the Excel name is the Python name, hence
the upper-case names). xlwings hands every argument over as Excel holds it: numbers
as floats, blank cells as None, text as str, ranges as lists of lists (``ndim=2``).
Open-source xlwings UDFs run on Windows only.

Errors: a bad argument never raises into Excel (xlwings would show a Python
traceback as the cell's text). Every function returns instead one text cell
``"#ICP! <sentence>"``, e.g. ``#ICP! The weights must sum to 1 ...``; detect it with
``=LEFT(cell, 5) = "#ICP!"``.

Settings: a setting left out is the SPEC §4 default, not the workbook's Settings sheet;
pass the sheet's ranges (vertical_table, size_tiers, grade_shares, ...) to follow it.

Recalculation: the table and single-account formulas cache on the *content* of
the accounts range (not its address): the prepared accounts and their components
are computed once per distinct table; a change of weights redoes only the raw
score, the normal-curve score and the grades. See docs/formulas.md.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xlwings as xw

from icp_xl.accounts import Accounts, header_key, match_columns, parse_numbers, prepare_accounts
from icp_xl.errors import IcpError, describe_value
from icp_xl.scoring import (
    SCORE_COLUMNS,
    component_scores,
    grades,
    normal_scores,
    raw_scores,
    score_accounts,
    segments,
    size_scores,
    vertical_scores,
)
from icp_xl.settings import COMPONENTS, DEFAULT_WEIGHTS, GRADES, Settings, SizeTier, Weights

#: The start of every error text a formula returns.
ERROR_PREFIX = "#ICP!"

# xlwings turns argument and return annotations into converters, and only ``Any``
# (and a few containers) are converters it knows: every annotation a UDF carries is
# therefore ``Any``. These aliases only say what Excel passes.
Cell = Any  # one cell: float, str, bool, None (blank) or a 1x1 list of lists
Cells = Any  # a range: a list of row lists (``ndim=2``)
Result = Any  # a number, a text, or a list of row lists that spills

_DEFAULT = Settings()
_CACHE_SIZE = 8
# Fields of a prospect that are min-max scaled against the reference population.
_SCALED_FIELDS = ("printer_count", "consumable_revenue", "software_revenue")
_MISSING = object()


# --------------------------------------------------------------------------- caches


class ContentCache:
    """A small least-recently-used cache with hit and miss counters."""

    def __init__(self, size: int = _CACHE_SIZE) -> None:
        self.size = size
        self.hits = 0
        self.misses = 0
        self._items: OrderedDict[Hashable, Any] = OrderedDict()

    def get(self, key: Hashable, make: Callable[[], Any]) -> Any:
        """The value stored under ``key``, made with ``make()`` on a miss."""
        value = self._items.get(key, _MISSING)
        if value is not _MISSING:
            self._items.move_to_end(key)
            self.hits += 1
            return value
        value = make()
        self.misses += 1
        self._items[key] = value
        if len(self._items) > self.size:
            self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        """Forget every value and reset the counters."""
        self._items.clear()
        self.hits = self.misses = 0


#: The caches, by what they hold: prepared accounts, components, spilled tables,
#: reference raw scores per weights, grades of a score range.
CACHES: dict[str, ContentCache] = {
    name: ContentCache() for name in ("accounts", "components", "tables", "raw", "grades")
}


def cache_info() -> dict[str, tuple[int, int]]:
    """``{cache name: (hits, misses)}`` since the last :func:`clear_caches`."""
    return {name: (cache.hits, cache.misses) for name, cache in CACHES.items()}


def clear_caches() -> None:
    """Empty every formula cache (the next calls compute from scratch)."""
    for cache in CACHES.values():
        cache.clear()


class ContentKey:
    """An exact, hashable key of a range's values, hashed once.

    Equal keys mean equal cells: TRUE/FALSE cells are recorded apart, so that a
    TRUE is not taken for a 1 (Python's ``True == 1``).
    """

    __slots__ = ("_hash", "_values")

    def __init__(self, rows: Sequence[Sequence[Any]]) -> None:
        values: tuple[Any, ...] = tuple(map(tuple, rows))
        if bool in set(map(type, itertools.chain.from_iterable(values))):
            flags = tuple(
                (i, j)
                for i, row in enumerate(values)
                for j, cell in enumerate(row)
                if isinstance(cell, bool)
            )
            values = (*values, ("booleans at", flags))
        self._values = values
        self._hash = hash(values)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, ContentKey)
            and self._hash == other._hash
            and self._values == other._values
        )


# ------------------------------------------------------------------- argument reading


def _formula(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn any exception of a formula into a ``#ICP!`` text, never a traceback."""

    @functools.wraps(func)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except IcpError as error:
            return f"{ERROR_PREFIX} {error}"
        except Exception as error:  # a bug: still a readable cell, never a crash
            return f"{ERROR_PREFIX} unexpected {type(error).__name__}: {error} (please report)"

    return call


def _is_blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _single(value: Any, what: str) -> Any:
    """The one cell of a scalar argument; a 1x1 range counts as one cell."""
    if isinstance(value, list | tuple):
        cells = [c for row in value for c in (row if isinstance(row, list | tuple) else [row])]
        if len(cells) != 1:
            raise IcpError(f"{what} must be a single cell, got a range of {len(cells)} cells")
        return cells[0]
    return value


def _number(value: Any, what: str, blank: float | None = None) -> float:
    """A numeric argument as a float; number-like text is read as in the accounts table.

    A blank cell gives ``blank`` when one is given, otherwise an error.
    """
    cell = _single(value, what)
    if _is_blank(cell):
        if blank is None:
            raise IcpError(f"{what} is blank; it must be a number")
        return blank
    if isinstance(cell, bool) or not isinstance(cell, int | float | str):
        raise IcpError(f"{what} must be a number, got {describe_value(cell)}")
    if isinstance(cell, int | float):
        number = float(cell)
        if not math.isfinite(number):
            raise IcpError(f"{what} is not a finite number ({describe_value(cell)})")
        return number
    try:
        number = parse_numbers(pd.Series([cell], dtype=object), what, "formula").iloc[0]
    except IcpError:
        raise IcpError(f"{what} is not a number ({describe_value(cell)})") from None
    if not math.isfinite(number):
        raise IcpError(f"{what} is not a finite number ({describe_value(cell)})")
    return float(number)


def _text(value: Any, what: str) -> str:
    """A text argument (numbers become their text, 1001.0 -> '1001'; blank -> '')."""
    cell = _single(value, what)
    if _is_blank(cell):
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def _names(value: Any) -> list[str]:
    """Names from a text ('a, b; c') or from the non-blank cells of a range."""
    if isinstance(value, list | tuple):
        cells = [c for row in value for c in (row if isinstance(row, list | tuple) else [row])]
    else:
        cells = [value]
    names: list[str] = []
    for cell in cells:
        if not _is_blank(cell):
            names.extend(p.strip() for p in str(cell).replace(";", ",").split(",") if p.strip())
    return names


def _grid(value: Any) -> list[list[Any]]:
    """A range argument as a list of equal-length row lists (a scalar is 1x1)."""
    if not isinstance(value, list | tuple):
        return [[value]]
    if value and not isinstance(value[0], list | tuple):
        return [list(value)]
    return list(value)


def weights_from_cells(vertical: Cell, size: Cell, adoption: Cell, relationship: Cell) -> Weights:
    """The four weight cells as validated :class:`Weights` (sum 1 within 0.01)."""
    return Weights(
        vertical=_number(vertical, "The vertical weight"),
        size=_number(size, "The size weight"),
        adoption=_number(adoption, "The adoption weight"),
        relationship=_number(relationship, "The relationship weight"),
    )


def vertical_table_from_cells(table: Cells) -> dict[str, float]:
    """A two-column range (industry, score), optionally under a header row, as a dict.

    Rows with a blank industry are skipped; a first row whose score cell is text
    that is not a number is taken as the header.
    """
    rows = _grid(table)
    if not rows or len(rows[0]) < 2:
        raise IcpError("The vertical table must have two columns: industry and score")
    found: dict[str, float] = {}
    for number, row in enumerate(rows, start=1):
        name, score = row[0], row[1]
        if _is_blank(name) and _is_blank(score):
            continue
        if number == 1 and isinstance(score, str) and _looks_like_header(score):
            continue
        what = f"The vertical table, row {number} ({describe_value(name)}), score"
        if _is_blank(name):
            raise IcpError(f"The vertical table, row {number}: the industry name is blank")
        found[_text(name, "An industry name")] = _number(score, what)
    if not found:
        raise IcpError("The vertical table is empty")
    return found


def _looks_like_header(cell: str) -> bool:
    try:
        _number(cell, "header")
    except IcpError:
        return True
    return False


def size_tiers_from_cells(table: Cells) -> tuple[SizeTier, ...]:
    """A three-column range (lower, upper, score; blank upper = no limit), optionally
    under a header row, as size tiers in row order (first match wins, as in SPEC §4).

    Blank rows are skipped; a first row whose score cell is text that is not a number
    is taken as the header (so ``Settings!D4:F9`` and ``SizeTiers[#All]`` both work).
    """
    rows = _grid(table)
    if not rows or len(rows[0]) != 3:
        raise IcpError(
            "The size tiers must have three columns: lower (USD), upper (USD; blank = no "
            "limit) and score"
        )
    tiers = []
    for number, (lower, upper, score) in enumerate(rows, start=1):
        if all(_is_blank(c) for c in (lower, upper, score)):
            continue
        if number == 1 and isinstance(score, str) and _looks_like_header(score):
            continue
        what = f"The size tiers, row {number}"
        bound = None if _is_blank(upper) else _number(upper, f"{what}, upper bound")
        try:
            tiers.append(
                SizeTier(
                    _number(lower, f"{what}, lower bound"), bound, _number(score, f"{what}, score")
                )
            )
        except IcpError as error:
            message = str(error)
            raise IcpError(message if message.startswith(what) else f"{what}: {message}") from None
    if not tiers:
        raise IcpError("The size tiers range is empty")
    return tuple(tiers)


def grade_shares_from_cells(shares: Cells) -> dict[str, float]:
    """Grade target shares (fractions summing to 1) from a range: either two columns
    grade | share (grade 'A' or 'Grade A', any order, header row optional), or five
    cells in the Settings sheet's order A, B, C, D, F (e.g. ``Settings!B10:B14``)."""
    rows = [row for row in _grid(shares) if not all(_is_blank(c) for c in row)]
    if rows and len(rows[0]) == 2 and all(isinstance(row[0], str) for row in rows):
        found: dict[str, float] = {}
        for number, (label, share) in enumerate(rows, start=1):
            if number == 1 and isinstance(share, str) and _looks_like_header(share):
                continue
            grade = _text(label, "A grade").upper().removeprefix("GRADE").strip()
            if grade in found:
                raise IcpError(f"The grade shares, row {number}: grade {grade} is listed twice")
            found[grade] = _number(share, f"The grade shares, row {number} (grade {grade}), share")
        return found
    cells = [c for row in rows for c in row]
    order = sorted(GRADES)  # A, B, C, D, F: top to bottom on the Settings sheet
    if len(cells) != len(order):
        raise IcpError(
            f"The grade shares must be five cells (grades {', '.join(order)}, as on the "
            f"Settings sheet) or two columns grade | share; got {len(cells)} cells"
        )
    pairs = zip(order, cells, strict=True)
    return {g: _number(c, f"The target share of grade {g}") for g, c in pairs}


def _formula_settings(arguments: Mapping[str, Any]) -> Settings:
    """Settings, weights included, from a scoring formula's own arguments (its ``locals()``),
    read by the argument names the table, account and prospect formulas share."""
    weights = weights_from_cells(*(arguments[f"{name}_weight"] for name in COMPONENTS))
    return settings_from_cells(
        arguments["vertical_table"],
        arguments["unknown_industry_score"],
        arguments["small_business_max"],
        arguments["mid_market_max"],
        size_tiers=arguments["size_tiers"],
        neutral_size_score=arguments["neutral_size_score"],
        grade_shares=arguments["grade_shares"],
    ).with_weights(weights)


def settings_from_cells(
    vertical_table: Cells | None = None,
    unknown_industry_score: Cell | None = None,
    small_business_max: Cell | None = None,
    mid_market_max: Cell | None = None,
    *,
    size_tiers: Cells | None = None,
    neutral_size_score: Cell | None = None,
    grade_shares: Cells | None = None,
) -> Settings:
    """Default :class:`Settings` with the given parts replaced (None keeps the default).
    Raises IcpError naming the argument when a part is not valid."""
    changes: dict[str, Any] = {}
    if vertical_table is not None:
        changes["vertical_table"] = vertical_table_from_cells(vertical_table)
    if unknown_industry_score is not None:
        changes["unknown_industry_score"] = _number(
            unknown_industry_score, "The unknown-industry score"
        )
    if small_business_max is not None:
        changes["small_business_max"] = _number(small_business_max, "The Small Business max")
    if mid_market_max is not None:
        changes["mid_market_max"] = _number(mid_market_max, "The Mid-Market max")
    if size_tiers is not None:
        changes["size_tiers"] = size_tiers_from_cells(size_tiers)
    if neutral_size_score is not None:
        changes["neutral_size_score"] = _number(neutral_size_score, "The neutral size score")
    if grade_shares is not None:
        changes["grade_shares"] = grade_shares_from_cells(grade_shares)
    return Settings(**changes) if changes else _DEFAULT


def table_frame(values: Cells, what: str) -> pd.DataFrame:
    """A range with its header row as a raw DataFrame (cells as given, object dtype).

    Trailing blank rows and blank, unnamed trailing columns are dropped (a range
    selected larger than the table); blank header cells get 'Column N'; repeated
    headers get ' (2)', ' (3)'. Raises IcpError for an empty range.
    """
    rows = _grid(values)
    while rows and all(_is_blank(c) for c in rows[-1]):
        rows.pop()
    if not rows:
        raise IcpError(f"{what} is empty: select the table with its header row")
    width = len(rows[0])
    while width > 1 and all(_is_blank(row[width - 1]) for row in rows):
        width -= 1
    header: list[str] = []
    for i, cell in enumerate(rows[0][:width]):
        name = f"Column {i + 1}" if _is_blank(cell) else _text(cell, "A header")
        repeat, unique = 1, name
        while unique in header:
            repeat += 1
            unique = f"{name} ({repeat})"
        header.append(unique)
    return pd.DataFrame([row[:width] for row in rows[1:]], columns=header, dtype=object)


def _prepared(rows: Cells, what: str) -> tuple[Hashable, Accounts]:
    """``(content key, prepared accounts)`` of an accounts range, cached on its content."""
    grid = _grid(rows)
    key = ContentKey(grid)

    def build() -> Accounts:
        raw = table_frame(grid, what)
        mapping, _ = match_columns(raw.columns)
        if "customer_id" not in mapping or "industry" not in mapping:
            found = ", ".join(f"'{c}'" for c in raw.columns[:6])
            raise IcpError(
                f"{what} needs a header row with 'Customer ID' and 'Industry' "
                f"(its first row has {found}): select the table with its header row"
            )
        return prepare_accounts(raw, where=what, first_row=2)

    return key, CACHES["accounts"].get(key, build)


def _score_columns(value: Any) -> list[str]:
    """The SPEC §9 score columns named by ``value`` (all of them when None or blank)."""
    wanted = _names(value) if value is not None else []
    if not wanted:
        return list(SCORE_COLUMNS)
    by_key = {header_key(c): c for c in SCORE_COLUMNS}
    columns = []
    for name in wanted:
        column = by_key.get(header_key(name))
        if column is None:
            raise IcpError(
                f"Unknown score column {name!r}; choose from: {', '.join(SCORE_COLUMNS)}"
            )
        columns.append(column)
    return columns


def components_key(settings: Settings) -> Hashable:
    """A hashable key of the settings the component scores depend on."""
    return (
        tuple(sorted(settings.vertical_table.items())),
        settings.unknown_industry_score,
        settings.size_tiers,
        settings.neutral_size_score,
    )


def settings_key(settings: Settings) -> Hashable:
    """A hashable key of the settings the formulas take from cells."""
    return (
        settings.weights,
        components_key(settings),
        tuple(settings.grade_shares.items()),
        settings.small_business_max,
        settings.mid_market_max,
    )


def _settings_args(func: Callable[..., Any]) -> Callable[..., Any]:
    """xlwings metadata of the optional settings arguments the scoring formulas share."""
    for decorate in reversed(
        (
            xw.arg("unknown_industry_score", doc="Optional: score of an unknown industry (0.3)"),
            xw.arg("size_tiers", ndim=2, doc="Optional: size tiers range (lower, upper, score)"),
            xw.arg("neutral_size_score", doc="Optional: size score of unknown revenue (0.5)"),
            xw.arg("grade_shares", ndim=2, doc="Optional: grade target shares (A..F, or pairs)"),
        )
    ):
        func = decorate(func)
    return func


def _segment_args(func: Callable[..., Any]) -> Callable[..., Any]:
    """xlwings metadata of the optional segment thresholds of the single-account formulas."""
    func = xw.arg("mid_market_max", doc="Optional: Mid-Market max revenue (1,000,000,000)")(func)
    return xw.arg("small_business_max", doc="Optional: Small Business max revenue")(func)


# ------------------------------------------------------------------ the scored table


@xw.func(category="ICP")
@xw.arg("accounts", ndim=2, doc="Accounts table with its header row")
@xw.arg("vertical_weight", doc="Vertical weight (e.g. Weights!W_Vertical)")
@xw.arg("size_weight", doc="Size weight")
@xw.arg("adoption_weight", doc="Adoption weight")
@xw.arg("relationship_weight", doc="Relationship weight")
@xw.arg("score_columns", doc='Optional: score columns to return, e.g. "ICP_score, ICP_grade"')
@xw.arg("small_business_max", doc="Optional: Small Business max revenue (default 100,000,000)")
@xw.arg("mid_market_max", doc="Optional: Mid-Market max revenue (default 1,000,000,000)")
@xw.arg("vertical_table", ndim=2, doc="Optional: vertical table range (industry, score)")
@_settings_args
@_formula
def ICP_SCORE_TABLE(
    accounts: Cells,
    vertical_weight: Cell = DEFAULT_WEIGHTS.vertical,
    size_weight: Cell = DEFAULT_WEIGHTS.size,
    adoption_weight: Cell = DEFAULT_WEIGHTS.adoption,
    relationship_weight: Cell = DEFAULT_WEIGHTS.relationship,
    score_columns: Cell = None,
    small_business_max: Cell = None,
    mid_market_max: Cell = None,
    vertical_table: Cells = None,
    unknown_industry_score: Cell = None,
    size_tiers: Cells = None,
    neutral_size_score: Cell = None,
    grade_shares: Cells = None,
) -> Result:
    """Score every account of a range (SPEC §4): header row, then one row per account
    with the Customer ID and the score columns (default: vertical_score, size_score,
    adoption_score, relationship_score, relationship_feature, ICP_score_raw, ICP_score,
    ICP_grade, customer_segment). Spills as a dynamic array. Settings left out are
    the defaults (SPEC §4); give the Settings sheet's ranges to follow the workbook.
    """
    settings = _formula_settings(locals())
    columns = _score_columns(score_columns)
    key, prepared = _prepared(accounts, "The accounts range")

    def build() -> list[list[Any]]:
        scored = score_accounts(prepared, settings)
        header = [prepared.source_columns["customer_id"], *columns]
        body = zip(
            prepared.frame["customer_id"].tolist(),
            *(scored[c].tolist() for c in columns),
            strict=True,
        )
        return [header, *map(list, body)]

    return CACHES["tables"].get((key, settings_key(settings), tuple(columns)), build)


# ------------------------------------------------------------- one account vs portfolio


@dataclass(frozen=True)
class Reference:
    """A reference population: prepared accounts and their components (cached)."""

    key: Hashable
    accounts: Accounts
    components: pd.DataFrame
    positions: dict[str, int]

    def raw(self, weights: Weights) -> np.ndarray:
        """Raw scores (0-100) of the reference accounts for ``weights`` (cached)."""
        return CACHES["raw"].get((self.key, weights), lambda: raw_scores(self.components, weights))


def reference_population(rows: Cells, settings: Settings) -> Reference:
    """The reference population of an accounts range, computed once per content."""
    key, prepared = _prepared(rows, "The reference range")
    full_key = (key, components_key(settings))

    def build() -> Reference:
        components = component_scores(prepared, settings)
        ids = prepared.frame["customer_id"].tolist()
        return Reference(full_key, prepared, components, {cid: i for i, cid in enumerate(ids)})

    return CACHES["components"].get(full_key, build)


def components_against(
    reference: Reference, account: pd.DataFrame, settings: Settings
) -> pd.DataFrame:
    """Components of prepared ``account`` rows, min-max scaled on the reference population.

    Printer count, consumable revenue and software revenue are first clipped to the
    reference's [min, max] (so the scaled components are clipped to [0, 1]). The
    core's :func:`~icp_xl.scoring.component_scores` then scales them within a frame
    of the reference's minimum row, its maximum row and the accounts: their
    transforms are non-decreasing, so that frame has the reference's min and max.
    An account whose inputs are within the reference range gets exactly the
    components it gets inside the reference population.
    """
    ref = reference.accounts.frame
    low = {name: ref[name].min() for name in _SCALED_FIELDS}
    high = {name: ref[name].max() for name in _SCALED_FIELDS}
    frame = account.copy()
    for name in _SCALED_FIELDS:
        frame[name] = frame[name].clip(low[name], high[name])
    bounds = pd.concat([frame.iloc[[0]]] * 2, ignore_index=True)
    for name in _SCALED_FIELDS:
        bounds[name] = [low[name], high[name]]
    together = pd.concat([bounds, frame], ignore_index=True)
    return component_scores(together, settings).iloc[2:].reset_index(drop=True)


def score_against_reference(
    reference: Reference,
    account: Accounts,
    settings: Settings,
    columns: Sequence[str] = SCORE_COLUMNS,
) -> dict[str, Any]:
    """Score one prepared account against a reference population (SPEC §4, one row).

    Components: :func:`components_against`. Raw score: the core's formula. ICP score
    and grade: the account takes the place of the reference account with the same
    Customer ID (its row, its rank position); a new ID joins as the last row
    (n + 1 accounts). The core's normal-curve score (rank "first", ties by row order,
    p = (rank - 0.5) / n) and grade rule then run on that population of raw scores,
    the other accounts keeping their reference raw scores. Returns the requested
    :data:`~icp_xl.scoring.SCORE_COLUMNS` values.
    """
    frame = account.frame
    components = components_against(reference, frame, settings)
    raw = float(raw_scores(components, settings.weights)[0])
    result: dict[str, Any] = {name: float(components[name].iloc[0]) for name in components}
    result["relationship_feature"] = float(frame["software_revenue"].iloc[0])
    result["ICP_score_raw"] = raw
    result["customer_segment"] = str(segments(frame["annual_revenue"], settings)[0])
    if "ICP_score" in columns or "ICP_grade" in columns:
        population = reference.raw(settings.weights)
        position = reference.positions.get(frame["customer_id"].iloc[0])
        if position is None:
            position = len(population)
            population = np.append(population, raw)
        else:
            population = population.copy()
            population[position] = raw
        icp = normal_scores(population)
        result["ICP_score"] = float(icp[position])
        if "ICP_grade" in columns:
            result["ICP_grade"] = str(grades(icp, settings)[position])
    return {name: result[name] for name in columns}


def _scored_account(
    reference: Reference, account: Accounts, settings: Settings, result_column: Any
) -> Result:
    """The requested score columns of an account: one value, or one row of values."""
    columns = _score_columns(result_column if result_column is not None else "ICP_score")
    scores = score_against_reference(reference, account, settings, columns)
    values = [scores[c] for c in columns]
    return values[0] if len(values) == 1 else [values]


@xw.func(category="ICP")
@xw.arg("reference", ndim=2, doc="Reference accounts table (the portfolio) with its header row")
@xw.arg("account", ndim=2, doc="The account: one row (header row above it optional)")
@xw.arg("vertical_weight", doc="Vertical weight")
@xw.arg("size_weight", doc="Size weight")
@xw.arg("adoption_weight", doc="Adoption weight")
@xw.arg("relationship_weight", doc="Relationship weight")
@xw.arg("result_column", doc="Optional: ICP_score (default), ICP_grade, ICP_score_raw, ...")
@xw.arg("account_header", ndim=2, doc="Optional: header row of the account's columns")
@xw.arg("vertical_table", ndim=2, doc="Optional: vertical table range (industry, score)")
@_settings_args
@_segment_args
@_formula
def ICP_SCORE_ACCOUNT(
    reference: Cells,
    account: Cells,
    vertical_weight: Cell = DEFAULT_WEIGHTS.vertical,
    size_weight: Cell = DEFAULT_WEIGHTS.size,
    adoption_weight: Cell = DEFAULT_WEIGHTS.adoption,
    relationship_weight: Cell = DEFAULT_WEIGHTS.relationship,
    result_column: Cell = None,
    account_header: Cells = None,
    vertical_table: Cells = None,
    unknown_industry_score: Cell = None,
    size_tiers: Cells = None,
    neutral_size_score: Cell = None,
    grade_shares: Cells = None,
    small_business_max: Cell = None,
    mid_market_max: Cell = None,
) -> Result:
    """ICP score of one account row against a reference portfolio: equal to the
    account's row of ICP_SCORE_TABLE when the account (same Customer ID, same data)
    is in the portfolio. The row's headers: the first of two rows, else
    account_header, else the reference's header row.
    """
    settings = _formula_settings(locals())
    rows = [row for row in _grid(account) if not all(_is_blank(c) for c in row)]
    if account_header is not None:
        header = [c for row in _grid(account_header) for c in row]
    elif len(rows) == 2:
        header, rows = rows[0], rows[1:]
    else:
        header = _grid(reference)[0]
    if len(rows) != 1:
        raise IcpError(
            f"The account must be one row (with or without its header row above it); "
            f"got {len(rows)} non-blank rows"
        )
    if len(header) != len(rows[0]):
        raise IcpError(
            f"The account row has {len(rows[0])} cells but its header row has {len(header)}"
        )
    reference_accounts = reference_population(reference, settings)
    prospect = prepare_accounts(table_frame([header, rows[0]], "The account"), "The account")
    return _scored_account(reference_accounts, prospect, settings, result_column)


@xw.func(category="ICP")
@xw.arg("reference", ndim=2, doc="Reference accounts table (the portfolio) with its header row")
@xw.arg("industry", doc="Industry (text)")
@xw.arg("annual_revenue", doc="Company annual revenue, USD (blank = unknown)")
@xw.arg("printer_count", doc="Printers owned (blank = 0)")
@xw.arg("consumable_revenue", doc="Consumable revenue, USD (blank = 0)")
@xw.arg("software_revenue", doc="Software license + SaaS + maintenance revenue, USD (blank = 0)")
@xw.arg("vertical_weight", doc="Vertical weight")
@xw.arg("size_weight", doc="Size weight")
@xw.arg("adoption_weight", doc="Adoption weight")
@xw.arg("relationship_weight", doc="Relationship weight")
@xw.arg("result_column", doc="Optional: ICP_score (default), ICP_grade, ICP_score_raw, ...")
@xw.arg("customer_id", doc="Optional: Customer ID; a portfolio ID scores in that account's place")
@xw.arg("vertical_table", ndim=2, doc="Optional: vertical table range (industry, score)")
@_settings_args
@_segment_args
@_formula
def ICP_SCORE_PROSPECT(
    reference: Cells,
    industry: Cell,
    annual_revenue: Cell = None,
    printer_count: Cell = None,
    consumable_revenue: Cell = None,
    software_revenue: Cell = None,
    vertical_weight: Cell = DEFAULT_WEIGHTS.vertical,
    size_weight: Cell = DEFAULT_WEIGHTS.size,
    adoption_weight: Cell = DEFAULT_WEIGHTS.adoption,
    relationship_weight: Cell = DEFAULT_WEIGHTS.relationship,
    result_column: Cell = None,
    customer_id: Cell = None,
    vertical_table: Cells = None,
    unknown_industry_score: Cell = None,
    size_tiers: Cells = None,
    neutral_size_score: Cell = None,
    grade_shares: Cells = None,
    small_business_max: Cell = None,
    mid_market_max: Cell = None,
) -> Result:
    """ICP score of a prospect given by its fields, against a reference portfolio
    (min-max scaling and normal-curve ranking on the portfolio). With the Customer ID
    of a portfolio account and its data, equals that account's ICP score.
    """
    settings = _formula_settings(locals())
    nan = math.nan
    fields = {
        "Customer ID": _text(customer_id, "The Customer ID") or "(prospect)",
        "Industry": _text(industry, "The industry"),
        "Annual Revenue": _number(annual_revenue, "The annual revenue", blank=nan),
        "Printer Count": _number(printer_count, "The printer count", blank=0.0),
        "Total Consumable Revenue": _number(
            consumable_revenue, "The consumable revenue", blank=0.0
        ),
        "Total Software License Revenue": _number(
            software_revenue, "The software revenue", blank=0.0
        ),
    }
    reference_accounts = reference_population(reference, settings)
    if customer_id is None or _is_blank(_single(customer_id, "The Customer ID")):
        while fields["Customer ID"] in reference_accounts.positions:
            fields["Customer ID"] += "'"
    prospect = prepare_accounts(pd.DataFrame([fields], dtype=object), "The prospect")
    return _scored_account(reference_accounts, prospect, settings, result_column)


# ------------------------------------------------------------------------- helpers


def _cellwise(values: Any, what: str, compute: Callable[[list[Any]], Iterable[Any]]) -> Result:
    """Apply a vectorized ``compute`` to every cell of a scalar or range argument.

    A single cell gives a single value; a range gives the same shape (it spills).
    """
    grid = _grid(values)
    if not grid or not grid[0]:
        raise IcpError(f"{what} is empty")
    flat = [cell for row in grid for cell in row]
    results = list(compute(flat))
    if len(flat) == 1:
        return results[0]
    width = len(grid[0])
    return [results[i : i + width] for i in range(0, len(results), width)]


@xw.func(category="ICP")
@xw.arg("industry", ndim=2, doc="Industry name, or a range of them")
@xw.arg("vertical_table", ndim=2, doc="Optional: vertical table range (industry, score)")
@xw.arg("unknown_industry_score", doc="Optional: score of an unknown industry (default 0.3)")
@_formula
def ICP_VERTICAL(
    industry: Cells, vertical_table: Cells = None, unknown_industry_score: Cell = None
) -> Result:
    """Vertical score (0-1) of an industry: trimmed, case-insensitive lookup in the
    vertical table (default: SPEC §4); unknown or blank industries score 0.3.
    """
    settings = settings_from_cells(vertical_table, unknown_industry_score)

    def compute(cells: list[Any]) -> list[float]:
        names = pd.Series([_text(c, "The industry") for c in cells], dtype=object)
        return vertical_scores(names, settings).tolist()

    return _cellwise(industry, "The industry", compute)


@xw.func(category="ICP")
@xw.arg("annual_revenue", ndim=2, doc="Annual revenue in USD, or a range (blank = unknown)")
@xw.arg("size_tiers", ndim=2, doc="Optional: size tiers range (lower, upper, score)")
@xw.arg("neutral_size_score", doc="Optional: size score of unknown revenue (default 0.5)")
@_formula
def ICP_SIZE(
    annual_revenue: Cells, size_tiers: Cells = None, neutral_size_score: Cell = None
) -> Result:
    """Size score (0-1) of an annual revenue in USD by the size tiers (default: SPEC §4;
    first match wins); unknown (blank, 0 or negative) scores the neutral size score (0.5).
    """
    settings = settings_from_cells(size_tiers=size_tiers, neutral_size_score=neutral_size_score)

    def compute(cells: list[Any]) -> list[float]:
        revenue = [_number(c, "The annual revenue", blank=math.nan) for c in cells]
        return size_scores(np.array(revenue), settings).tolist()

    return _cellwise(annual_revenue, "The annual revenue", compute)


@xw.func(category="ICP")
@xw.arg("annual_revenue", ndim=2, doc="Annual revenue in USD, or a range (blank = unknown)")
@xw.arg("small_business_max", doc="Optional: Small Business max revenue (default 100,000,000)")
@xw.arg("mid_market_max", doc="Optional: Mid-Market max revenue (default 1,000,000,000)")
@_formula
def ICP_SEGMENT(
    annual_revenue: Cells, small_business_max: Cell = None, mid_market_max: Cell = None
) -> Result:
    """Revenue segment: unknown or up to the Small Business max -> Small Business;
    up to the Mid-Market max -> Mid-Market; above -> Large Enterprise.
    """
    settings = settings_from_cells(None, None, small_business_max, mid_market_max)

    def compute(cells: list[Any]) -> list[str]:
        revenue = [_number(c, "The annual revenue", blank=math.nan) for c in cells]
        return segments(np.array(revenue), settings).tolist()

    return _cellwise(annual_revenue, "The annual revenue", compute)


def _score_population(scores: Cells, settings: Settings) -> tuple[np.ndarray, np.ndarray]:
    """``(scores, their grades)`` of the non-blank cells of a range, cached on content
    and grade target shares."""
    cells = [c for row in _grid(scores) for c in row if not _is_blank(c)]
    if not cells:
        raise IcpError("The range of scores is empty")

    def build() -> tuple[np.ndarray, np.ndarray]:
        values = np.array([_number(c, "A cell in the range of scores") for c in cells])
        return values, grades(values, settings)

    key = (ContentKey([cells]), tuple(settings.grade_shares.items()))
    return CACHES["grades"].get(key, build)


@xw.func(category="ICP")
@xw.arg("score", ndim=2, doc="An ICP score, or a range of them")
@xw.arg("scores", ndim=2, doc="The range of scores the grade is relative to")
@xw.arg("grade_shares", ndim=2, doc="Optional: grade target shares (A..F, or grade | share)")
@_formula
def ICP_GRADE(score: Cells, scores: Cells, grade_shares: Cells = None) -> Result:
    """Grade (A-F) of a score within a range of scores by the percentile rule
    (average rank / n: with the default target shares <= 10% F, <= 30% D, <= 70% C,
    <= 90% B, else A). A score found in the range gets the grade of that entry;
    another score is graded as one more member of the range. Blank cells in the range
    are ignored.
    """
    settings = settings_from_cells(grade_shares=grade_shares)
    population, population_grades = _score_population(scores, settings)

    def compute(cells: list[Any]) -> list[str]:
        out = []
        for cell in cells:
            value = _number(cell, "The score")
            found = np.flatnonzero(population == value)
            if len(found):
                out.append(str(population_grades[found[0]]))
            else:
                out.append(str(grades(np.append(population, value), settings)[-1]))
        return out

    return _cellwise(score, "The score", compute)
