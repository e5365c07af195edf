"""Reading formula arguments as Excel hands them over (floats, text, None for a blank,
lists of rows for a range) into settings, weights and tables, with one-sentence errors
that name the argument; and :func:`formula`, which turns any error into ``#ICP!`` text."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from icp_xl.core.errors import IcpError, describe_value
from icp_xl.core.inputs.accounts import (
    parse_numbers,
)
from icp_xl.core.inputs.columns import column_map_from_pairs, header_key
from icp_xl.core.model.calibration import Calibration
from icp_xl.core.model.settings import COMPONENTS, GRADES, Settings, SizeTier, Weights
from icp_xl.excel.addin.version import formula_version_mismatch
from icp_xl.workbook.calibration_table import calibration_from_rows

#: The start of every error text a formula returns.
ERROR_PREFIX = "#ICP!"
Cell = Any  # one cell: float, str, bool, None (blank) or a 1x1 list of lists
Cells = Any  # a range: a list of row lists (``ndim=2``)
_DEFAULT = Settings()
_CALIBRATION_FIX = (
    "select the whole CalibrationTable on the Settings sheet (CalibrationTable[#All]), "
    "or press Calibrate first"
)


def formula(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn any exception of a formula into a ``#ICP!`` text, never a traceback; refuse to
    compute under an add-in built for another xlwings version (one ``#ICP!`` sentence)."""

    @functools.wraps(func)
    def call(*args: Any, **kwargs: Any) -> Any:
        mismatch = formula_version_mismatch()
        if mismatch is not None:
            return f"{ERROR_PREFIX} {mismatch}"
        try:
            return func(*args, **kwargs)
        except IcpError as error:
            return f"{ERROR_PREFIX} {error}"
        except Exception as error:  # a bug: still a readable cell, never a crash
            return f"{ERROR_PREFIX} unexpected {type(error).__name__}: {error} (please report)"

    return call


def is_blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def single_cell(value: Any, what: str) -> Any:
    """The one cell of a scalar argument; a 1x1 range counts as one cell."""
    if isinstance(value, list | tuple):
        cells = [c for row in value for c in (row if isinstance(row, list | tuple) else [row])]
        if len(cells) != 1:
            raise IcpError(f"{what} must be a single cell, got a range of {len(cells)} cells")
        return cells[0]
    return value


def number_arg(value: Any, what: str, blank: float | None = None) -> float:
    """A numeric argument as a float; number-like text is read as in the accounts table.

    A blank cell gives ``blank`` when one is given, otherwise an error.
    """
    cell = single_cell(value, what)
    if is_blank(cell):
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


def text_arg(value: Any, what: str) -> str:
    """A text argument (numbers become their text, 1001.0 -> '1001'; blank -> '')."""
    cell = single_cell(value, what)
    if is_blank(cell):
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def name_list(value: Any) -> list[str]:
    """Names from a text ('a, b; c') or from the non-blank cells of a range."""
    if isinstance(value, list | tuple):
        cells = [c for row in value for c in (row if isinstance(row, list | tuple) else [row])]
    else:
        cells = [value]
    names: list[str] = []
    for cell in cells:
        if not is_blank(cell):
            names.extend(p.strip() for p in str(cell).replace(";", ",").split(",") if p.strip())
    return names


def grid(value: Any) -> list[list[Any]]:
    """A range argument as a list of equal-length row lists (a scalar is 1x1)."""
    if not isinstance(value, list | tuple):
        return [[value]]
    if value and not isinstance(value[0], list | tuple):
        return [list(value)]
    return list(value)


def weights_from_cells(vertical: Cell, size: Cell, adoption: Cell, relationship: Cell) -> Weights:
    """The four weight cells as validated :class:`Weights` (sum 1 within 0.01)."""
    return Weights(
        vertical=number_arg(vertical, "The vertical weight"),
        size=number_arg(size, "The size weight"),
        adoption=number_arg(adoption, "The adoption weight"),
        relationship=number_arg(relationship, "The relationship weight"),
    )


def vertical_table_from_cells(table: Cells) -> dict[str, float]:
    """A two-column range (industry, score), optionally under a header row, as a dict.

    Rows with a blank industry are skipped; a first row whose score cell is text
    that is not a number is taken as the header.
    """
    rows = grid(table)
    if not rows or len(rows[0]) < 2:
        raise IcpError("The vertical table must have two columns: industry and score")
    found: dict[str, float] = {}
    for number, row in enumerate(rows, start=1):
        name, score = row[0], row[1]
        if is_blank(name) and is_blank(score):
            continue
        if number == 1 and isinstance(score, str) and _looks_like_header(score):
            continue
        what = f"The vertical table, row {number} ({describe_value(name)}), score"
        if is_blank(name):
            raise IcpError(f"The vertical table, row {number}: the industry name is blank")
        found[text_arg(name, "An industry name")] = number_arg(score, what)
    if not found:
        raise IcpError("The vertical table is empty")
    return found


def _map_pairs(table: Cells, what: str, header: str) -> list[tuple[Any, Any]]:
    """The (left, right) pairs of a two-column map range; a first row whose left cell is
    ``header`` (the Settings table's header) is skipped."""
    rows = grid(table)
    if not rows or len(rows[0]) < 2:
        raise IcpError(f"{what} must have two columns")
    if header_key(rows[0][0]) == header_key(header):
        rows = rows[1:]
    return [(row[0], row[1]) for row in rows]


def column_map_from_cells(table: Cells) -> dict[str, str]:
    """A two-column range (our column, your header), e.g. ``Settings!K4:L18`` (the Column
    map with its header row), as field -> your header; blank headers are skipped."""
    return column_map_from_pairs(_map_pairs(table, "The column map", "Our column"),
                                 "The column map")  # fmt: skip


def industry_map_from_cells(table: Cells) -> dict[str, str]:
    """A two-column range (data spelling, vertical-table industry), e.g. the Industry map
    with its header row, as a dict; blank rows are skipped."""
    found: dict[str, str] = {}
    for number, (spelling, industry) in enumerate(
        _map_pairs(table, "The industry map", "Data spelling"), start=1
    ):
        if is_blank(spelling) and is_blank(industry):
            continue
        if is_blank(spelling) or is_blank(industry):
            raise IcpError(f"The industry map, row {number}: fill both cells or neither")
        found[text_arg(spelling, "A data spelling")] = text_arg(industry, "An industry")
    return found


def _looks_like_header(cell: str) -> bool:
    try:
        number_arg(cell, "header")
    except IcpError:
        return True
    return False


def size_tiers_from_cells(table: Cells) -> tuple[SizeTier, ...]:
    """A three-column range (lower, upper, score; blank upper = no limit), optionally
    under a header row, as size tiers in row order (first match wins, as in scoring).

    Blank rows are skipped; a first row whose score cell is text that is not a number
    is taken as the header (so ``Settings!D4:F9`` and ``SizeTiers[#All]`` both work).
    """
    rows = grid(table)
    if not rows or len(rows[0]) != 3:
        raise IcpError(
            "The size tiers must have three columns: lower (USD), upper (USD; blank = no "
            "limit) and score"
        )
    tiers = []
    for number, (lower, upper, score) in enumerate(rows, start=1):
        if all(is_blank(c) for c in (lower, upper, score)):
            continue
        if number == 1 and isinstance(score, str) and _looks_like_header(score):
            continue
        what = f"The size tiers, row {number}"
        bound = None if is_blank(upper) else number_arg(upper, f"{what}, upper bound")
        try:
            tiers.append(
                SizeTier(
                    number_arg(lower, f"{what}, lower bound"),
                    bound,
                    number_arg(score, f"{what}, score"),
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
    rows = [row for row in grid(shares) if not all(is_blank(c) for c in row)]
    if rows and len(rows[0]) == 2 and all(isinstance(row[0], str) for row in rows):
        found: dict[str, float] = {}
        for number, (label, share) in enumerate(rows, start=1):
            if number == 1 and isinstance(share, str) and _looks_like_header(share):
                continue
            grade = text_arg(label, "A grade").upper().removeprefix("GRADE").strip()
            if grade in found:
                raise IcpError(f"The grade shares, row {number}: grade {grade} is listed twice")
            found[grade] = number_arg(
                share, f"The grade shares, row {number} (grade {grade}), share"
            )
        return found
    cells = [c for row in rows for c in row]
    order = sorted(GRADES)  # A, B, C, D, F: top to bottom on the Settings sheet
    if len(cells) != len(order):
        raise IcpError(
            f"The grade shares must be five cells (grades {', '.join(order)}, as on the "
            f"Settings sheet) or two columns grade | share; got {len(cells)} cells"
        )
    pairs = zip(order, cells, strict=True)
    return {g: number_arg(c, f"The target share of grade {g}") for g, c in pairs}


def formula_settings(arguments: Mapping[str, Any]) -> Settings:
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
        industry_map=arguments.get("industry_map"),
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
    industry_map: Cells | None = None,
) -> Settings:
    """Default :class:`Settings` with the given parts replaced (None keeps the default).
    Raises IcpError naming the argument when a part is not valid."""
    changes: dict[str, Any] = {}
    if vertical_table is not None:
        changes["vertical_table"] = vertical_table_from_cells(vertical_table)
    if unknown_industry_score is not None:
        changes["unknown_industry_score"] = number_arg(
            unknown_industry_score, "The unknown-industry score"
        )
    if small_business_max is not None:
        changes["small_business_max"] = number_arg(small_business_max, "The Small Business max")
    if mid_market_max is not None:
        changes["mid_market_max"] = number_arg(mid_market_max, "The Mid-Market max")
    if size_tiers is not None:
        changes["size_tiers"] = size_tiers_from_cells(size_tiers)
    if neutral_size_score is not None:
        changes["neutral_size_score"] = number_arg(neutral_size_score, "The neutral size score")
    if grade_shares is not None:
        changes["grade_shares"] = grade_shares_from_cells(grade_shares)
    if industry_map is not None:
        changes["industry_map"] = industry_map_from_cells(industry_map)
    return Settings(**changes) if changes else _DEFAULT


def table_frame(values: Cells, what: str) -> pd.DataFrame:
    """A range with its header row as a raw DataFrame (cells as given, object dtype).

    Trailing blank rows and blank, unnamed trailing columns are dropped (a range
    selected larger than the table); blank header cells get 'Column N'; repeated
    headers get ' (2)', ' (3)'. Raises IcpError for an empty range.
    """
    rows = grid(values)
    while rows and all(is_blank(c) for c in rows[-1]):
        rows.pop()
    if not rows:
        raise IcpError(f"{what} is empty: select the table with its header row")
    width = len(rows[0])
    while width > 1 and all(is_blank(row[width - 1]) for row in rows):
        width -= 1
    header: list[str] = []
    for i, cell in enumerate(rows[0][:width]):
        name = f"Column {i + 1}" if is_blank(cell) else text_arg(cell, "A header")
        repeat, unique = 1, name
        while unique in header:
            repeat += 1
            unique = f"{name} ({repeat})"
        header.append(unique)
    return pd.DataFrame([row[:width] for row in rows[1:]], columns=header, dtype=object)


def calibration_from_cells(table: Cells) -> Calibration:
    """The calibration from a range of the Settings sheet's CalibrationTable (three columns
    Item, Value, Percentile; its header row and blank rows allowed), e.g.
    ``CalibrationTable[#All]``, read by the same code as the workbook's Calibrated scoring.
    Raises IcpError naming what is missing or wrong."""
    rows = [list(row) for row in grid(table) if not all(is_blank(c) for c in row)]
    if not rows:
        raise IcpError(f"The calibration range is empty: {_CALIBRATION_FIX}")
    if len(rows[0]) != 3:
        raise IcpError(
            f"The calibration range must have three columns (Item, Value, Percentile); "
            f"it has {len(rows[0])}: {_CALIBRATION_FIX}"
        )
    return calibration_from_rows(rows, "The calibration range", fix=_CALIBRATION_FIX)
