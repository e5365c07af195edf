"""Turn a raw accounts table into clean, typed columns (SPEC §3).

Headers are matched case-, space- and underscore-insensitively against the
canonical names and their aliases; numeric cells may be numbers or text such as
``$1,200.50``, ``1 200`` or ``(300)``. Anything unreadable raises
:class:`~icp_xl.core.errors.IcpError` naming the place, column, row and value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from icp_xl.core.cells import column_letter
from icp_xl.core.errors import IcpError, cell_error, describe_value


@dataclass(frozen=True)
class AccountColumn:
    """One input column: its canonical header, aliases and the internal field it fills."""

    header: str
    field: str
    aliases: tuple[str, ...] = ()
    numeric: bool = True
    required: bool = False


ACCOUNT_COLUMNS: tuple[AccountColumn, ...] = (
    AccountColumn(
        "Customer ID", "customer_id", ("customer_id", "id"), numeric=False, required=True
    ),
    AccountColumn("Company Name", "company_name", ("company", "company_name"), numeric=False),
    AccountColumn(
        "Industry", "industry", ("vertical", "industry sub list"), numeric=False, required=True
    ),
    AccountColumn(
        "Annual Revenue",
        "annual_revenue",
        ("revenue_estimate", "reliable_revenue", "revenue_exact"),
    ),
    AccountColumn("Big Box Count", "big_box_count"),
    AccountColumn("Small Box Count", "small_box_count"),
    AccountColumn("Printer Count", "printer_count", ("printer_count",)),
    AccountColumn("Total Hardware Revenue", "hardware_revenue"),
    AccountColumn("Total Consumable Revenue", "consumable_revenue"),
    AccountColumn("Total Software License Revenue", "software_license_revenue"),
    AccountColumn("Total SaaS Revenue", "saas_revenue"),
    AccountColumn("Total Maintenance Revenue", "maintenance_revenue"),
    AccountColumn("GP24", "gp24"),
    AccountColumn("Total Hardware + Consumable Revenue", "target_revenue"),
)
COLUMNS_BY_FIELD = {c.field: c for c in ACCOUNT_COLUMNS}
# Columns whose absence is normal and derived from others, so it is not worth a warning.
_DERIVED_WHEN_ABSENT = {"printer_count", "target_revenue"}
_BLANK_WORDS = frozenset({"", "-", "na", "n/a", "nan", "null", "none", "#n/a"})
_NUMBER_TEXT = re.compile(
    r"^(?P<open>\()?\s*(?P<sign1>[+-])?\s*[$€£]?\s*(?P<sign2>[+-])?\s*"
    r"(?P<digits>\d{1,3}(?:[,\s\u00a0\u202f]\d{3})+(?:\.\d*)?|\d+(?:\.\d*)?|\.\d+)"
    r"\s*(?P<close>\))?$"
)


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


def header_key(header: object) -> str:
    """Normalize a header for matching: lower case, spaces and underscores removed."""
    return re.sub(r"[\s_]+", "", str(header)).lower()


@dataclass(frozen=True)
class Accounts:
    """Clean accounts: one row per account, internal field names, floats for numbers.

    ``frame`` has the fields of :data:`ACCOUNT_COLUMNS` plus ``software_revenue``
    (license + SaaS + maintenance). Unknown annual revenue is NaN; other missing
    numbers are 0. ``source_columns`` maps each field to the user's header, and
    ``warnings`` holds one sentence per missing optional column or ignored alias.
    """

    frame: pd.DataFrame
    source_columns: dict[str, str]
    warnings: tuple[str, ...] = field(default=())

    def __len__(self) -> int:
        return len(self.frame)


def match_columns(headers: Iterable[object]) -> tuple[dict[str, str], list[str]]:
    """Map internal fields to the user's headers; return ``(mapping, warnings)``.

    The canonical header wins over aliases, and earlier aliases over later ones;
    every other header that matches the same field is ignored with a warning.
    """
    by_key: dict[str, str] = {}
    for header in headers:
        if header is None or str(header).strip() == "":
            continue
        by_key.setdefault(header_key(header), str(header))
    mapping: dict[str, str] = {}
    notes: list[str] = []
    for column in ACCOUNT_COLUMNS:
        present = [
            by_key[k]
            for k in dict.fromkeys(header_key(n) for n in (column.header, *column.aliases))
            if k in by_key
        ]
        if present:
            mapping[column.field] = present[0]
            if len(present) > 1:
                ignored = ", ".join(f"'{h}'" for h in present[1:])
                notes.append(f"Using column '{present[0]}' for {column.header}; ignoring {ignored}")
    return mapping, notes


def parse_numbers(
    values: pd.Series, column: str, where: str, first_row: RowNumbers = 2
) -> pd.Series:
    """Read a column of numbers or number-like text into floats (blank = NaN).

    ``first_row`` is the row number the user sees for ``values.iloc[0]`` (or one row
    number per value). Numbers beyond :data:`MAX_ABS_VALUE` are refused.
    Raises IcpError naming ``where``, ``column``, the row and the value of the
    first unreadable cell, with a count of any others.
    """
    if pd.api.types.is_bool_dtype(values):
        _raise_bad(values, np.arange(len(values)), column, where, first_row)
    if pd.api.types.is_numeric_dtype(values):
        result = values.astype(float)
    else:
        if pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty"):
            flags = values.map(lambda c: isinstance(c, bool | np.bool_)).to_numpy(dtype=bool)
            if flags.any():
                _raise_bad(values, np.flatnonzero(flags), column, where, first_row)
        result = pd.to_numeric(values, errors="coerce").astype(float)
        todo = result.isna() & values.notna()
        if todo.any():
            result[todo] = _parse_text(values[todo], column, where, first_row, values.index)
    bad = ~np.isfinite(result.to_numpy()) & result.notna().to_numpy()
    if bad.any():
        _raise_bad(values, np.flatnonzero(bad), column, where, first_row)
    huge = np.abs(result.to_numpy()) > MAX_ABS_VALUE
    if huge.any():
        problem = f"a number beyond {MAX_ABS_VALUE:,.0f} in size, surely a typing error"
        _raise_bad(values, np.flatnonzero(huge), column, where, first_row, problem)
    return result


def _parse_text(
    cells: pd.Series, column: str, where: str, first_row: RowNumbers, full_index: pd.Index
) -> pd.Series:
    is_text = cells.map(lambda c: isinstance(c, str)).to_numpy(dtype=bool)
    text = cells.where(is_text, "").astype(str).str.strip()
    blank = is_text & text.str.lower().isin(_BLANK_WORDS).to_numpy()
    parts = text.str.extract(_NUMBER_TEXT)
    well_formed = (
        parts["digits"].notna()
        & (parts["open"].notna() == parts["close"].notna())
        & ~(parts["sign1"].notna() & parts["sign2"].notna())
    ).to_numpy()
    bad = ~blank & ~(is_text & well_formed)
    if bad.any():
        positions = full_index.get_indexer(cells.index[bad])
        _raise_bad(cells.reindex(full_index), positions, column, where, first_row)
    digits = parts["digits"].fillna("").str.replace(r"[,\s\u00a0\u202f]", "", regex=True)
    number = pd.to_numeric(digits, errors="coerce").to_numpy(dtype=float)
    minus = (parts["sign1"].fillna("") + parts["sign2"].fillna("")).eq("-").to_numpy()
    negative = parts["open"].notna().to_numpy() != minus
    number = np.where(negative, -number, number)
    number[blank] = np.nan
    return pd.Series(number, index=cells.index, dtype=float)


def _raise_bad(
    values: pd.Series,
    positions: np.ndarray,
    column: str,
    where: str,
    first_row: RowNumbers,
    problem: str = "not a number",
) -> None:
    first = int(positions[0])
    error = cell_error(where, column, row_number(first_row, first), values.iloc[first], problem)
    others = len(positions) - 1
    if others:
        rows = ", ".join(str(row_number(first_row, int(p))) for p in positions[1:6])
        more = "..." if others > 5 else ""
        error = IcpError(f"{error}; {others} more unreadable cell(s) in rows {rows}{more}")
    raise error


def _text_column(values: pd.Series) -> pd.Series:
    """Cells as stripped text; whole-number floats (1001.0) lose the '.0'; blanks become ''."""
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        text = values.astype(object).where(values.notna(), "").astype(str).str.strip()
        return text.astype(object)
    return values.map(cell_text).astype(object)


def cell_text(cell: object) -> str:
    """A text cell's value as the accounts table reads it: stripped; a whole-number float
    (1001.0) loses its '.0'; blank or NaN -> ''."""
    if cell is None or (isinstance(cell, float) and np.isnan(cell)):
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def prepare_accounts(
    raw: pd.DataFrame, where: str = "Accounts", first_row: RowNumbers | None = None
) -> Accounts:
    """Validate and type a raw accounts table (SPEC §3).

    ``raw`` is the table as read (any headers, cells as numbers or text);
    ``where`` names it in messages (a file or sheet name); ``first_row`` is the
    row number the user sees for the first data row, or one row number per row
    (default: ``raw.attrs["row_numbers"]`` as set by the file readers, else 2).
    Returns :class:`Accounts`. Raises IcpError for an empty table, a missing
    Customer ID or Industry column, blank or duplicate Customer IDs, and
    unreadable numbers.
    """
    if first_row is None:
        first_row = raw.attrs.get("row_numbers", 2)
    _check_unique_headers(raw.columns, where)
    mapping, notes = match_columns(raw.columns)
    missing_required = [c.header for c in ACCOUNT_COLUMNS if c.required and c.field not in mapping]
    if missing_required:
        found = _listed_headers(raw.columns)
        raise IcpError(
            f"{where} has no {' or '.join(repr(h) for h in missing_required)} column "
            f"(found {found})"
        )
    if raw.empty:
        raise IcpError(f"{where} has no accounts: the table is empty")
    raw = raw.reset_index(drop=True)
    frame = pd.DataFrame(index=raw.index)
    for column in ACCOUNT_COLUMNS:
        header = mapping.get(column.field)
        if header is None:
            if not column.required and column.field not in _DERIVED_WHEN_ABSENT:
                unit = "unknown" if column.field == "annual_revenue" else "0"
                notes.append(f"{where} has no '{column.header}' column; counting it as {unit}")
            continue
        if column.numeric:
            frame[column.field] = parse_numbers(raw[header], header, where, first_row)
        else:
            frame[column.field] = _text_column(raw[header])
    _check_ids(frame["customer_id"], mapping["customer_id"], where, first_row)
    return Accounts(_fill_derived(frame), mapping, tuple(notes))


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


def _check_ids(ids: pd.Series, header: str, where: str, first_row: RowNumbers) -> None:
    blank = np.flatnonzero((ids == "").to_numpy())
    if len(blank):
        row = row_number(first_row, int(blank[0]))
        raise cell_error(where, header, row, "", "a Customer ID is required")
    duplicated = ids[ids.duplicated(keep=False)]
    if len(duplicated):
        listed = []
        for value, rows in duplicated.groupby(duplicated, sort=False).groups.items():
            numbers = ", ".join(str(row_number(first_row, r)) for r in rows[:4])
            listed.append(f"{describe_value(value)} (rows {numbers})")
        shown = "; ".join(listed[:5]) + ("; ..." if len(listed) > 5 else "")
        raise IcpError(f"{where}: Customer IDs must be unique; duplicated: {shown}")


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
            and column.field not in _DERIVED_WHEN_ABSENT
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
