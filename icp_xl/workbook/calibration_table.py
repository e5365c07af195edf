"""The calibration as the rows of ``CalibrationTable`` (Settings sheet) and back, and the
scoring mode cell. The table has three columns, Item, Value and Percentile:

- ``Calibrated at`` (date and time), ``Accounts``, ``Weight vertical`` ... ``Weight
  relationship`` (rows 8-13 of the sheet, which the status formula reads);
- ``<input> log1p min`` / ``<input> log1p max`` for printers, consumables and software;
- ``Grade F up to`` ... ``Grade B up to``: the grade bounds, in the Percentile column;
- one ``Raw score`` row per point: raw score in Value, its percentile in Percentile.

The same rows are what the formulas take as their ``calibration`` argument.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

import pandas as pd

from icp_xl.core.errors import IcpError, describe_value
from icp_xl.core.inputs.cells import cell_ref, parse_range
from icp_xl.core.model.calibration import SCALED_INPUTS, Calibration, parse_scoring_mode
from icp_xl.core.model.settings import COMPONENTS, GRADES, Weights
from icp_xl.workbook import layout
from icp_xl.workbook.book import Book

POINT = "Raw score"
EXCEL_EPOCH = datetime(1899, 12, 30)  # day 0 of Excel's date serial numbers (1900 system)
_LIMITS = ("min", "max")
T = TypeVar("T")


def calibration_rows(calibration: Calibration) -> list[list[Any]]:
    """Item, Value, Percentile rows of ``calibration`` (see the module docstring)."""
    rows: list[list[Any]] = [
        ["Calibrated at", calibration.calibrated_at, None],
        ["Accounts", calibration.accounts, None],
    ]
    rows += [[f"Weight {c}", getattr(calibration.weights, c), None] for c in COMPONENTS]
    for name in SCALED_INPUTS:
        low, high = calibration.log_ranges[name]
        rows += [
            [f"{name.title()} log1p min", low, None],
            [f"{name.title()} log1p max", high, None],
        ]
    rows += [
        [f"Grade {g} up to", None, b]
        for g, b in zip(GRADES[:-1], calibration.grade_bounds, strict=True)
    ]
    rows += [[POINT, raw, p] for raw, p in calibration.points]
    return rows


def calibration_from_rows(
    rows: Sequence[Sequence[Any]],
    where: str = "The calibration",
    fix: str = "press Calibrate again",
    cell: Callable[[int, int], str] | None = None,
) -> Calibration:
    """A :class:`Calibration` from Item, Value, Percentile rows (as :func:`calibration_rows`
    writes them; other rows, such as the header row, are ignored). Serves the workbook's
    scoring and the formulas' ``calibration`` argument alike. Raises IcpError naming
    ``where`` and the item when one is missing or bad; ``fix`` ends the missing-row
    sentence; ``cell(row index, column index)``, when given, names a bad value's cell."""
    items: dict[str, Any] = {}
    places: dict[str, int] = {}
    points = []
    for index, row in enumerate(rows):
        item = "" if row[0] is None else str(row[0]).strip()
        if not item:
            continue
        if item.lower() == POINT.lower():
            points.append((_number(row[1], where, POINT), _number(row[2], where, POINT)))
        else:
            items[item.lower()] = row
            places[item.lower()] = index

    def value(item: str, column: int = 1) -> Any:
        row = items.get(item.lower())
        if row is None or row[column] is None:
            raise IcpError(f"{where} has no '{item}' row; {fix}")
        return row[column]

    when = _timestamp(value("Calibrated at"))
    if not isinstance(when, datetime):
        found = describe_value(value("Calibrated at"))
        place = f"{cell(places['calibrated at'], 1)} " if cell else f"{where}: "
        raise IcpError(f"{place}('Calibrated at') must be a date and time, found {found}")
    weights = _checked(
        where,
        lambda: Weights(
            **{c: _number(value(f"Weight {c}"), where, f"Weight {c}") for c in COMPONENTS}
        ),
    )
    ranges = {
        name: tuple(
            _number(value(f"{name.title()} log1p {limit}"), where, f"{name} log1p {limit}")
            for limit in _LIMITS
        )
        for name in SCALED_INPUTS
    }
    bounds = tuple(
        _number(value(f"Grade {g} up to", 2), where, f"Grade {g} up to") for g in GRADES[:-1]
    )
    accounts = _number(value("Accounts"), where, "Accounts")
    when = when.replace(microsecond=0)
    return _checked(
        where,
        lambda: Calibration(when, int(accounts), weights, ranges, tuple(points), bounds),  # type: ignore[arg-type]
    )


def _timestamp(value: Any) -> Any:
    """A date shown as a number (Excel's serial days) as a datetime; a number no date can
    be (1e300) or any other value unchanged."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return EXCEL_EPOCH + timedelta(days=float(value))
        except (OverflowError, ValueError):
            return value
    return value


def _checked(where: str, build: Callable[[], T]) -> T:
    """``build()``, its IcpError (which names no place) prefixed with ``where``."""
    try:
        return build()
    except IcpError as error:
        text = str(error)
        if text.startswith(where):
            raise
        raise IcpError(f"{where}: {text[:1].lower()}{text[1:]}") from None


def _number(value: Any, where: str, item: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise IcpError(f"{where}: '{item}' must be a number, got {value!r}")
    return float(value)


def read_calibration(book: Book) -> Calibration | None:
    """The workbook's calibration, or None when CalibrationTable is empty."""
    table = book.read_table(layout.CALIBRATION_TABLE.name)
    if table.empty or table.iloc[:, 0].isna().all():
        return None
    location = book.locate(layout.CALIBRATION_TABLE.name)
    top, left, _, _ = parse_range(location.ref)

    def cell(row: int, column: int) -> str:  # the rows start below the header row
        return f"{location.sheet}!{cell_ref(top + 1 + row, left + column)}"

    return calibration_from_rows(table.astype(object).values.tolist(), str(location), cell=cell)


def read_scoring_mode(book: Book) -> str:
    """'Relative' or 'Calibrated' from the ScoringMode cell (Relative when the workbook
    has none, e.g. made by an older version)."""
    try:
        value = book.read_name(layout.SCORING_MODE.name)
    except IcpError:
        return "Relative"
    try:
        return parse_scoring_mode(value)
    except IcpError as error:
        raise IcpError(f"{book.locate(layout.SCORING_MODE.name)}: {error}") from None


def write_calibration(book: Book, calibration: Calibration) -> None:
    """Replace CalibrationTable with ``calibration``."""
    book.write_table(
        layout.CALIBRATION_TABLE.name,
        layout.CALIBRATION_TABLE.header,
        calibration_rows(calibration),
    )


def calibration_frame(calibration: Calibration) -> pd.DataFrame:
    """The calibration rows as a DataFrame with the table's headers (for printing)."""
    return pd.DataFrame(
        calibration_rows(calibration), columns=list(layout.CALIBRATION_TABLE.header)
    )
