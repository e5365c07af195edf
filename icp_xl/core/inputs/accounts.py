"""Turn a raw accounts table into clean, typed columns.

Headers are matched through the column map, the canonical names and their aliases
(:mod:`icp_xl.core.inputs.columns`); numeric cells may be numbers or text such as ``$1,200.50``,
``(300)``, ``12.5M`` or ``1.234,56`` (:mod:`icp_xl.core.inputs.numbers`). Every problem of the
table is collected and raised at once as :class:`AccountsError`, grouped by kind with a
count and the first rows of each.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from icp_xl.core.errors import IcpError, describe_value
from icp_xl.core.inputs.arrow_text import arrow_text, edge_bytes, is_arrow_text
from icp_xl.core.inputs.cells import column_letter
from icp_xl.core.inputs.columns import (
    ACCOUNT_COLUMNS,
    COLUMNS_BY_FIELD,
    AccountColumn,
    ColumnMatch,
    absent_option_headers,
    accepted_headers,
    header_key,
    match_headers,
    missing_column_effects,
)
from icp_xl.core.inputs.numbers import read_number_column

__all__ = [
    "ACCOUNT_COLUMNS",
    "COLUMNS_BY_FIELD",
    "AccountColumn",
    "Accounts",
    "AccountsError",
    "ParsedCell",
    "cell_text",
    "header_key",
    "match_columns",
    "parse_numbers",
    "prepare_accounts",
]
FIRST_ROWS_SHOWN = 5  # rows listed per problem group
# --- Input limits (file safety): numbers beyond this are typing or export errors, and
# sums of several of them would overflow to inf/NaN scores.
MAX_ABS_VALUE = 1e15
# Row numbers: an int (the row of the first data row, the next rows follow) or one
# row number per data row (files with blank rows in between).
RowNumbers = int | Sequence[int] | np.ndarray


def row_number(first_row: RowNumbers, position: int) -> int:
    """The row the user sees for the data row at 0-based ``position``."""
    if isinstance(first_row, int | np.integer):
        return int(first_row) + position
    return int(first_row[position])


class AccountsError(IcpError):
    """Every problem of an accounts table: ``problems`` holds one sentence per group
    (a column's unreadable cells, blank IDs, duplicate IDs, a missing column)."""

    def __init__(self, problems: list[str], option: str | None = None, hint: str = "") -> None:
        self.problems = tuple(problems)
        if len(problems) == 1:
            message = problems[0]
        else:
            message = f"{len(problems)} problems: " + " | ".join(problems)
        super().__init__(message, option=option, hint=hint)


@dataclass(frozen=True)
class ParsedCell:
    """A cell whose number was read out of text: sheet/file ``row``, ``text``, ``value``."""

    field: str
    row: int
    text: str
    value: float


@dataclass(frozen=True)
class Accounts:
    """Clean accounts: one row per account, internal field names, floats for numbers.

    ``frame`` has the fields of :data:`ACCOUNT_COLUMNS` plus ``software_revenue``
    (license + SaaS + maintenance). Unknown annual revenue is NaN; other missing
    numbers are 0. ``source_columns`` maps each field to the user's header,
    ``matches`` says how each was found, ``warnings`` holds one sentence per missing
    column that matters (with its effect on the score) or ignored duplicate header,
    ``parsed`` every cell whose number was read out of text and ``decimal_comma`` the
    fields read with a decimal comma.
    """

    frame: pd.DataFrame
    source_columns: dict[str, str]
    warnings: tuple[str, ...] = field(default=())
    matches: Mapping[str, ColumnMatch] = field(default_factory=dict)
    parsed: tuple[ParsedCell, ...] = ()
    decimal_comma: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.frame)


def match_columns(
    headers: Iterable[object], column_map: Mapping[str, str] | None = None
) -> tuple[dict[str, str], list[str]]:
    """Map internal fields to the user's headers; return ``(mapping, notes)``
    (see :func:`icp_xl.core.inputs.columns.match_headers`)."""
    matching = match_headers(headers, column_map)
    return matching.mapping, list(matching.notes)


def _rows_text(rows: Iterable[int], values: Iterable[object] | None = None) -> str:
    rows = list(rows)
    shown = rows[:FIRST_ROWS_SHOWN]
    if values is None:
        text = ", ".join(str(r) for r in shown)
    else:
        text = ", ".join(f"{r} ({describe_value(v)})" for r, v in zip(shown, values, strict=False))
    return text + (f" and {len(rows) - len(shown)} more" if len(rows) > len(shown) else "")


def _bad_cells_problem(
    values: pd.Series,
    positions: np.ndarray,
    column: str,
    where: str,
    first_row: RowNumbers,
    problem: str = "not a number",
    plural: str = "are not numbers",
) -> str:
    rows = [row_number(first_row, int(p)) for p in positions]
    cells = [values.iloc[int(p)] for p in positions[:FIRST_ROWS_SHOWN]]
    if len(rows) == 1:
        value = describe_value(cells[0])
        return f"{where}, column '{column}', row {rows[0]}: {problem} ({value})"
    return f"{where}, column '{column}': {len(rows)} cells {plural}, rows {_rows_text(rows, cells)}"


def _number_problems(
    values: pd.Series, read_values: np.ndarray, bad: np.ndarray, column: str, where: str,
    first_row: RowNumbers,
) -> list[str]:  # fmt: skip
    """Unreadable cells, and numbers beyond :data:`MAX_ABS_VALUE`, of one column."""
    problems = []
    if len(bad):
        problems.append(_bad_cells_problem(values, bad, column, where, first_row))
    huge = np.flatnonzero(np.abs(read_values) > MAX_ABS_VALUE)  # NaN is not huge, inf is
    if len(huge):
        problems.append(_bad_cells_problem(
            values, huge, column, where, first_row,
            f"a number beyond {MAX_ABS_VALUE:,.0f} in size, surely a typing error",
            f"hold numbers beyond {MAX_ABS_VALUE:,.0f} in size, surely typing errors",
        ))  # fmt: skip
    return problems


def parse_numbers(
    values: pd.Series, column: str, where: str, first_row: RowNumbers = 2
) -> pd.Series:
    """Read a column of numbers or number-like text into floats (blank = NaN).

    ``first_row`` is the row number the user sees for ``values.iloc[0]`` (or one row
    number per value). Numbers beyond :data:`MAX_ABS_VALUE` are refused.
    Raises IcpError naming ``where``, ``column``, the count of unreadable cells and
    the rows and values of the first ones."""
    read = read_number_column(values)
    problems = _number_problems(values, read.values, read.bad, column, where, first_row)
    if problems:
        raise IcpError("; ".join(problems))
    return pd.Series(read.values, index=values.index, dtype=float)


def prepare_accounts(
    raw: pd.DataFrame,
    where: str = "Accounts",
    first_row: RowNumbers | None = None,
    column_map: Mapping[str, str] | None = None,
) -> Accounts:
    """Validate and type a raw accounts table.

    ``raw`` is the table as read (any headers, cells as numbers or text);
    ``where`` names it in messages (a file or sheet name); ``first_row`` is the
    row number the user sees for the first data row, or one row number per row
    (default: ``raw.attrs["row_numbers"]`` as set by the file readers, else 2);
    ``column_map`` is field -> the user's header (the Settings *Column map* or
    ``--column``). Returns :class:`Accounts`. Raises :class:`AccountsError` listing
    every problem: repeated headers, a missing Customer ID or Industry column (with the
    headers it accepts), an empty table, unreadable numbers per column, blank and
    duplicate Customer IDs.
    """
    if first_row is None:
        first_row = raw.attrs.get("row_numbers", 2)
    _check_unique_headers(raw.columns, where)
    absent = absent_option_headers(column_map, raw.columns)
    if absent:
        spelled = getattr(column_map, "option", "")  # the command line's option name
        options = ", ".join(f'{spelled} "{option}"'.strip() for option in absent)
        headers = "header" if len(absent) == 1 else "headers"
        raise AccountsError([
            f"{options}: {where} has no such {headers}; its headers are "
            f"{_listed_headers(raw.columns)}"
        ])  # fmt: skip
    matching = match_headers(raw.columns, column_map)
    mapping = matching.mapping
    notes = list(matching.notes)
    missing_required = [c for c in ACCOUNT_COLUMNS if c.required and c.field not in mapping]
    if missing_required:
        names = " or ".join(f"'{c.header}'" for c in missing_required)
        n = len(missing_required)
        accepted = "; ".join(
            f"{c.header}: {_shortlist(accepted_headers(c.field, column_map), 4 - n)}"
            for c in missing_required
        )
        first = missing_required[0].header
        raise AccountsError(
            [
                f"{where} has no {names} column (found {_listed_headers(raw.columns, 8)}; "
                f"accepted {accepted}); map yours in the Settings Column map"
            ],
            option="--column",
            hint=f' or with --column "{first}=YOURS"',
        )
    if raw.empty:
        raise AccountsError([f"{where} has no accounts: the table is empty"])
    raw = raw.reset_index(drop=True)
    frame = pd.DataFrame(index=raw.index)
    problems: list[str] = []
    parsed: list[ParsedCell] = []
    decimal_comma: list[str] = []
    for column in ACCOUNT_COLUMNS:
        header = mapping.get(column.field)
        if header is None:
            continue
        if not column.numeric:
            frame[column.field] = _text_column(raw[header])
            continue
        read = read_number_column(raw[header])
        problems += _number_problems(raw[header], read.values, read.bad, header, where,
                                     first_row)  # fmt: skip
        frame[column.field] = read.values
        if read.decimal_comma:
            decimal_comma.append(column.field)
        parsed += [
            ParsedCell(
                column.field, row_number(first_row, int(p)), str(raw[header].iloc[p]), float(v)
            )  # fmt: skip
            for p, v in zip(read.from_text, read.values[read.from_text], strict=True)
        ]
    problems += _id_problems(frame["customer_id"], mapping["customer_id"], where, first_row)
    if problems:
        raise AccountsError(problems)
    notes += [f"{where} has {effect}" for _, effect in missing_column_effects(mapping)]
    parsed.sort(key=lambda c: (c.row, list(COLUMNS_BY_FIELD).index(c.field)))
    return Accounts(
        _fill_derived(frame),
        mapping,
        tuple(notes),
        matching.matches,
        tuple(parsed),
        tuple(decimal_comma),
    )


def _shortlist(names: Sequence[str], most: int = 3) -> str:
    """The first ``most`` names, then how many more."""
    more = f" (+{len(names) - most} more)" if len(names) > most else ""
    return ", ".join(names[:most]) + more


def _listed_headers(headers: Sequence[object], most: int = 20) -> str:
    """Headers quoted for a message: at most ``most``, each cut to 40 characters."""
    shown = [describe_value(str(h)) for h in list(headers)[:most]]
    more = f" and {len(headers) - most:,} more" if len(headers) > most else ""
    return (", ".join(shown) + more) or "no columns"


def _check_unique_headers(headers: Iterable[object], where: str) -> None:
    positions: dict[str, list[int]] = {}
    for index, header in enumerate(headers):
        if header is not None and str(header).strip():
            positions.setdefault(str(header).strip(), []).append(index)
    repeated = {h: p for h, p in positions.items() if len(p) > 1}
    if repeated:
        header, places = next(iter(repeated.items()))
        columns = " and ".join(column_letter(p + 1) for p in places)
        raise IcpError(
            f"{where}: the header {describe_value(header)} appears in more than one column "
            f"({columns}); rename or remove all but one"
        )


def _id_problems(ids: pd.Series, header: str, where: str, first_row: RowNumbers) -> list[str]:
    problems = []
    blank = np.flatnonzero((ids == "").to_numpy())
    if len(blank) == 1:
        problems.append(f"{where}, column '{header}', row {row_number(first_row, int(blank[0]))}: "
                        "a Customer ID is required")  # fmt: skip
    elif len(blank):
        rows = _rows_text(row_number(first_row, int(b)) for b in blank)
        problems.append(f"{where}, column '{header}': {len(blank)} rows have no Customer ID "
                        f"(a Customer ID is required), rows {rows}")  # fmt: skip
    if _all_distinct(ids):
        return problems
    duplicated = ids[ids.duplicated(keep=False) & (ids != "")]
    if len(duplicated):
        listed = []
        for value, rows in duplicated.groupby(duplicated, sort=False).groups.items():
            numbers = ", ".join(str(row_number(first_row, r)) for r in rows[:4])
            listed.append(f"{describe_value(value)} (rows {numbers})")
        shown = "; ".join(listed[:FIRST_ROWS_SHOWN])
        extra = len(listed) - FIRST_ROWS_SHOWN
        more = f"; and {extra} more duplicated IDs" if extra > 0 else ""
        problems.append(f"{where}: Customer IDs must be unique; duplicated: "
                        f"{shown}{more}")  # fmt: skip
    return problems


def _all_distinct(ids: pd.Series) -> bool:
    """Whether no two IDs are equal (sorted in Arrow for Arrow-held text)."""
    if not is_arrow_text(ids):
        return False  # the caller's pandas check decides
    ordered = arrow_text(ids).take(pc.sort_indices(arrow_text(ids)))
    if len(ordered) < 2:
        return True
    return not pc.any(pc.equal(ordered.slice(1), ordered.slice(0, len(ordered) - 1))).as_py()


def _text_column(values: pd.Series) -> pd.Series:
    """Cells as stripped text; whole-number floats (1001.0) lose the '.0'; blanks become ''."""
    if is_arrow_text(values):
        return _stripped_arrow_text(values)
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        # str.strip returns the cell's own text when there is nothing to strip: no second
        # copy of every text (pandas' .str.strip went through Arrow and back, 19 MB at
        # 100,000 accounts)
        stripped = [v.strip() if isinstance(v, str) else "" for v in values.tolist()]
        return pd.Series(stripped, index=values.index, dtype=object)
    return values.map(cell_text).astype(object)


def _stripped_arrow_text(values: pd.Series) -> pd.Series:
    """Arrow-held text cells stripped as ``str.strip`` does, blanks as '' (text stays in
    Arrow): only cells that begin or end with something other than a visible ASCII
    character are stripped one by one."""
    array = arrow_text(values).combine_chunks().fill_null("")
    first, last = edge_bytes(pa.chunked_array([array]))
    visible = (first >= 0x21) & (first <= 0x7E) & (last >= 0x21) & (last <= 0x7E)
    filled = pc.binary_length(array).to_numpy(zero_copy_only=False) > 0
    edges = np.flatnonzero(~visible & filled)  # an empty cell's edge bytes read as 0
    if len(edges):
        stripped = [cell.strip() for cell in array.take(pa.array(edges)).to_pylist()]
        mask = np.zeros(len(array), dtype=bool)
        mask[edges] = True
        array = pc.replace_with_mask(array, pa.array(mask), pa.array(stripped, array.type))
    return pd.Series(array.to_pandas().array, index=values.index)


def cell_text(cell: object) -> str:
    """A text cell's value as the accounts table reads it: stripped; a whole-number float
    (1001.0) loses its '.0'; blank or NaN -> ''."""
    if cell is None or (isinstance(cell, float) and np.isnan(cell)):
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def _fill_derived(frame: pd.DataFrame) -> pd.DataFrame:
    n = len(frame)
    zeros = np.zeros(n)
    for name in ("company_name", "industry"):
        if name not in frame:
            frame[name] = ""
    for column in ACCOUNT_COLUMNS:
        if (
            column.numeric
            and column.field not in frame
            and column.field not in ("printer_count", "target_revenue")
        ):
            frame[column.field] = np.nan if column.field == "annual_revenue" else zeros
    for name in (
        "big_box_count",
        "small_box_count",
        "hardware_revenue",
        "consumable_revenue",
        "software_license_revenue",
        "saas_revenue",
        "maintenance_revenue",
        "gp24",
    ):
        frame[name] = frame[name].fillna(0.0)
    box_sum = frame["big_box_count"] + frame["small_box_count"]
    if "printer_count" in frame:
        frame["printer_count"] = frame["printer_count"].fillna(box_sum)
    else:
        frame["printer_count"] = box_sum
    frame["software_revenue"] = (
        frame["software_license_revenue"] + frame["saas_revenue"] + frame["maintenance_revenue"]
    )
    default_target = frame["hardware_revenue"] + frame["consumable_revenue"]
    if "target_revenue" in frame:
        frame["target_revenue"] = frame["target_revenue"].fillna(default_target)
    else:
        frame["target_revenue"] = default_target
    ordered = [c.field for c in ACCOUNT_COLUMNS] + ["software_revenue"]
    return frame[ordered]
