"""Which of the user's headers fills which account field: built-in names, CRM aliases and
the user's *Column map*, plus finding the header row below title rows.

Headers match case-, space- and punctuation-insensitively (``Account_ID``, ``account id``
and ``Account-ID`` are the same). A field is found, in this order, through the column map
(``how = "map"``), its own header (``"exact"``) or one of its aliases (``"alias"``, which
include the common Salesforce, HubSpot and Dynamics account-export headers).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from icp_xl.core.errors import IcpError


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
        "Customer ID",
        "customer_id",
        ("Account ID", "customer_id", "id", "Account Number", "Customer Number", "Record ID",
         "Company ID", "Account ID (18)", "accountid", "Account Record ID"),
        numeric=False,
        required=True,
    ),
    AccountColumn(
        "Company Name",
        "company_name",
        ("company", "company_name", "Account Name", "Customer Name", "Organization Name",
         "Account"),
        numeric=False,
    ),
    AccountColumn(
        "Industry",
        "industry",
        ("vertical", "industry sub list", "Industry Sector", "Sector", "Industry Vertical",
         "industrycode"),
        numeric=False,
        required=True,
    ),
    AccountColumn(
        "Annual Revenue",
        "annual_revenue",
        ("revenue_estimate", "reliable_revenue", "revenue_exact", "Annual Revenue (USD)",
         "Company Revenue", "Revenue", "revenue (annual)", "annualrevenue"),
    ),
    AccountColumn("Big Box Count", "big_box_count", ("Big Boxes", "Big Box Printers")),
    AccountColumn("Small Box Count", "small_box_count", ("Small Boxes", "Small Box Printers")),
    AccountColumn(
        "Printer Count",
        "printer_count",
        ("printer_count", "Printers", "Number of Printers", "# Printers", "Installed Printers",
         "No. of Printers"),
    ),
    AccountColumn("Total Hardware Revenue", "hardware_revenue", ("Hardware Revenue",)),
    AccountColumn(
        "Total Consumable Revenue",
        "consumable_revenue",
        ("Consumable Revenue", "Consumables Revenue", "Total Consumables Revenue"),
    ),
    AccountColumn(
        "Total Software License Revenue",
        "software_license_revenue",
        ("Software License Revenue", "License Revenue", "Software Licence Revenue",
         "Total Software Licence Revenue"),
    ),
    AccountColumn(
        "Total SaaS Revenue", "saas_revenue", ("SaaS Revenue", "Subscription Revenue")
    ),
    AccountColumn(
        "Total Maintenance Revenue",
        "maintenance_revenue",
        ("Maintenance Revenue", "Software Maintenance Revenue"),
    ),
    AccountColumn(
        "GP24", "gp24", ("GP 24 Months", "Gross Profit 24M", "Gross Profit (24 months)",
                         "24 Month Gross Profit")
    ),
    AccountColumn(
        "Total Hardware + Consumable Revenue",
        "target_revenue",
        ("Hardware + Consumable Revenue", "Target Revenue"),
    ),
)  # fmt: skip
COLUMNS_BY_FIELD: Mapping[str, AccountColumn] = {c.field: c for c in ACCOUNT_COLUMNS}

# A CRM opportunity (deal) export: Salesforce, HubSpot and Dynamics headers. The account's
# ID fills ``customer_id`` like the accounts' Customer ID (the Column map's entry for
# Customer ID applies to both); a deal export's own "Record ID" / "Id" is the opportunity's.
OPPORTUNITY_COLUMNS: tuple[AccountColumn, ...] = (
    AccountColumn(
        "Opportunity ID", "opportunity_id",
        ("Opportunity ID (18)", "opportunityid", "Deal ID", "Record ID", "id", "Opportunity",
         "Opportunity Number", "Deal Number"),
        numeric=False,
    ),
    AccountColumn(
        "Account ID", "customer_id",
        ("Customer ID", "Associated Company ID", "Associated Company IDs", "Account",
         "accountid", "Account ID (18)", "Company ID", "Customer Number", "Account Number",
         "parentaccountid", "Potential Customer", "customer_id"),
        numeric=False,
        required=True,
    ),
    AccountColumn(
        "Stage", "stage",
        ("Stage Name", "StageName", "Deal Stage", "Sales Stage", "Status", "statecode",
         "Status Reason", "Outcome"),
        numeric=False,
    ),
    AccountColumn("IsWon", "is_won", ("Won", "Is Won"), numeric=False),
    AccountColumn("IsClosed", "is_closed", ("Closed", "Is Closed"), numeric=False),
    AccountColumn(
        "Amount", "amount",
        ("Deal Amount", "Opportunity Amount", "Amount (converted)", "Amount (USD)",
         "Est. Revenue", "estimatedvalue", "Actual Revenue", "actualvalue", "Value"),
    ),
    AccountColumn(
        "Created Date", "created_date",
        ("CreatedDate", "Create Date", "Created On", "createdon", "Date Created", "Created"),
        numeric=False,
    ),
    AccountColumn(
        "Close Date", "close_date",
        ("CloseDate", "Closed Date", "Actual Close Date", "actualclosedate", "Est. Close Date",
         "estimatedclosedate", "Date Closed"),
        numeric=False,
    ),
)  # fmt: skip
OPPORTUNITY_COLUMNS_BY_FIELD: Mapping[str, AccountColumn] = {
    c.field: c for c in OPPORTUNITY_COLUMNS
}

_ANY_COLUMN: Mapping[str, AccountColumn] = {**OPPORTUNITY_COLUMNS_BY_FIELD, **COLUMNS_BY_FIELD}

Match = Literal["exact", "alias", "map"]


def header_key(header: object) -> str:
    """A header as matched: accents, case, spaces and punctuation removed
    (``"Account_ID"`` -> ``"accountid"``, ``"# Printers"`` -> ``"printers"``); a header
    of punctuation only keeps it (``"+"``)."""
    text = unicodedata.normalize("NFKD", str(header))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    key = re.sub(r"[\W_]+", "", text)
    return key or re.sub(r"\s+", "", text)


@dataclass(frozen=True)
class ColumnMatch:
    """How one field was found: the user's ``header`` and ``how`` (exact, alias or map)."""

    field: str
    header: str
    how: Match


@dataclass(frozen=True)
class ColumnMatching:
    """The result of matching a header row: ``matches`` by field, ``notes`` (one sentence
    per ignored duplicate header or unused column-map entry)."""

    matches: Mapping[str, ColumnMatch]
    notes: tuple[str, ...] = ()

    @property
    def mapping(self) -> dict[str, str]:
        """Field -> the user's header."""
        return {f: m.header for f, m in self.matches.items()}


def column_for(name: object) -> AccountColumn | None:
    """The account column that ``name`` designates (its header, field name or an alias)."""
    key = header_key(name)
    for column in ACCOUNT_COLUMNS:
        if key in {header_key(n) for n in (column.header, column.field, *column.aliases)}:
            return column
    for column in OPPORTUNITY_COLUMNS:  # the account ID column is Customer ID, found above
        if key in {header_key(n) for n in (column.header, column.field)}:
            return column
    return None


def column_map_from_pairs(pairs: Iterable[tuple[object, object]], where: str) -> dict[str, str]:
    """A column map (field -> the user's header) from ``(our column, your header)`` pairs.

    Blank pairs are skipped; a pair with only one side blank, an unknown field, a field
    mapped twice or a header used for two fields raises IcpError naming ``where``."""
    result: dict[str, str] = {}
    used: dict[str, str] = {}
    for ours, theirs in pairs:
        ours_text = "" if ours is None else str(ours).strip()
        theirs_text = "" if theirs is None else str(theirs).strip()
        if not theirs_text:
            continue
        if not ours_text:
            raise IcpError(f"{where}: the header '{theirs_text}' is not mapped to any field")
        column = column_for(ours_text)
        if column is None:
            known = ", ".join(c.header for c in ACCOUNT_COLUMNS)
            known += "; for opportunities: " + ", ".join(
                c.header for c in OPPORTUNITY_COLUMNS if c.field != "customer_id"
            )
            raise IcpError(f"{where}: '{ours_text}' is not one of our columns ({known})")
        if column.field in result and header_key(result[column.field]) != header_key(theirs_text):
            raise IcpError(
                f"{where}: {column.header} is mapped twice ('{result[column.field]}' and "
                f"'{theirs_text}')"
            )
        other = used.get(header_key(theirs_text))
        if other is not None and other != column.field:
            raise IcpError(
                f"{where}: the header '{theirs_text}' is mapped to both "
                f"{_ANY_COLUMN[other].header} and {column.header}"
            )
        result[column.field] = theirs_text
        used[header_key(theirs_text)] = column.field
    return result


class ColumnOptions(dict[str, str]):
    """A column map typed on the command line (``--column``, field -> your header): unlike
    the workbook's Column map, which falls back to a field's usual names with a note, a
    header it names must be in the file (see :func:`absent_option_headers`). ``typed``: the
    entries that came from the command line (all of them, unless :func:`over_column_map`
    laid them over a workbook's Column map)."""

    def __init__(
        self,
        mapping: Mapping[str, str] = (),
        typed: Mapping[str, str] | None = None,
        option: str = "",
    ):
        super().__init__(mapping)
        self.typed = dict(self if typed is None else typed)
        self.option = option  # how the command line spells it, for messages


def over_column_map(
    column_map: Mapping[str, str], options: Mapping[str, str] | None
) -> dict[str, str]:
    """``column_map`` (a workbook's) overridden by ``options``; when ``options`` were typed
    on the command line (:class:`ColumnOptions`) their headers must still be in the file."""
    merged = {**column_map, **(options or {})}
    if isinstance(options, ColumnOptions):
        return ColumnOptions(merged, typed=options.typed, option=options.option)
    return merged


def absent_option_headers(
    column_map: Mapping[str, str] | None, headers: Sequence[object]
) -> list[str]:
    """The ``--column`` options of ``column_map`` (when it is :class:`ColumnOptions`) whose
    header is not among ``headers``, as typed: ``"Industry=Sektor"`` (in any case and
    spacing, as headers match)."""
    if not isinstance(column_map, ColumnOptions):
        return []
    present = {header_key(h) for h in headers if h is not None and str(h).strip()}
    return [
        f"{COLUMNS_BY_FIELD[field].header}={wanted}"
        for field, wanted in column_map.typed.items()
        if header_key(wanted) not in present
    ]


def parse_column_option(text: str, option: str) -> tuple[str, str]:
    """``"Customer ID=Account ID"`` -> ``("Customer ID", "Account ID")`` (the value of the
    command-line ``option``, named in the error). Raises IcpError when there is no ``=``
    or a side is blank."""
    ours, sep, theirs = text.partition("=")
    if not sep or not ours.strip() or not theirs.strip():
        raise IcpError(
            f"{option} {text!r}: expected OUR COLUMN=YOUR HEADER, e.g. "
            f'{option} "Customer ID=Account ID"'
        )
    return ours.strip(), theirs.strip()


def match_headers(
    headers: Iterable[object],
    column_map: Mapping[str, str] | None = None,
    columns: Sequence[AccountColumn] = ACCOUNT_COLUMNS,
) -> ColumnMatching:
    """Match a header row to the fields of ``columns`` (default: the account columns; see
    the module docstring for the order).

    ``column_map`` is field -> the user's header (entries for fields not in ``columns`` are
    left alone). Within exact and alias matches the
    canonical header wins over aliases and earlier aliases over later ones; every other
    header that matches the same field is ignored with a note. A map entry whose header
    is absent is noted and the field falls back to its own names."""
    by_key: dict[str, str] = {}
    for header in headers:
        if header is None or str(header).strip() == "":
            continue
        by_key.setdefault(header_key(header), str(header))
    matches: dict[str, ColumnMatch] = {}
    notes: list[str] = []
    taken: set[str] = set()
    by_field = {c.field: c for c in columns}
    for field, wanted in (column_map or {}).items():
        if field not in by_field:
            continue
        key = header_key(wanted)
        if key in by_key:
            matches[field] = ColumnMatch(field, by_key[key], "map")
            taken.add(key)
        else:
            notes.append(
                f"Column map: there is no header '{wanted}' (mapped to "
                f"{by_field[field].header}); looking for its usual names instead"
            )
    for column in columns:
        if column.field in matches:
            continue
        keys = dict.fromkeys(header_key(n) for n in (column.header, *column.aliases))
        present = [k for k in keys if k in by_key and k not in taken]
        if not present:
            continue
        how: Match = "exact" if present[0] == header_key(column.header) else "alias"
        matches[column.field] = ColumnMatch(column.field, by_key[present[0]], how)
        taken.update(present[:1])
        if len(present) > 1:
            ignored = ", ".join(f"'{by_key[k]}'" for k in present[1:])
            notes.append(
                f"Using column '{by_key[present[0]]}' for {column.header}; ignoring {ignored}"
            )
    ordered = {c.field: matches[c.field] for c in columns if c.field in matches}
    return ColumnMatching(ordered, tuple(notes))


def accepted_headers(
    field: str,
    column_map: Mapping[str, str] | None = None,
    columns: Sequence[AccountColumn] = ACCOUNT_COLUMNS,
) -> list[str]:
    """Every header that fills ``field`` of ``columns``: the mapped one first, then its own
    names."""
    column = next(c for c in columns if c.field == field)
    mapped = [column_map[field]] if column_map and field in column_map else []
    return list(dict.fromkeys([*mapped, column.header, *column.aliases]))


HEADER_SEARCH_ROWS = 30


def find_header_row(
    rows: Sequence[Sequence[Any]],
    column_map: Mapping[str, str] | None = None,
    columns: Sequence[AccountColumn] = ACCOUNT_COLUMNS,
) -> int:
    """0-based index of the header row of a table whose first rows may be titles or notes.

    The header is the first of the first :data:`HEADER_SEARCH_ROWS` rows that names the most
    account columns (at least one required column: Customer ID or Industry); when no row
    does, row 0 (the missing column is then reported by name)."""
    best, best_count = 0, 0
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        texts = [c for c in row if isinstance(c, str) and c.strip()]
        if not texts:
            continue
        matches = match_headers(texts, column_map, columns).matches
        required = {c.field for c in columns if c.required}
        if not required.intersection(matches):
            continue
        if len(matches) > best_count:
            best, best_count = index, len(matches)
    return best


def _quoted(fields: Sequence[str], joiner: str = "or") -> str:
    names = [f"'{COLUMNS_BY_FIELD[f].header}'" for f in fields]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} {joiner} {names[-1]}"


def missing_column_effects(present: Iterable[str]) -> list[tuple[tuple[str, ...], str]]:
    """For the columns that are absent *and matter*, ``(fields, sentence)`` saying what their
    absence does to the scores and figures, given the fields that are ``present``.

    A column that another one replaces says nothing (no Big/Small Box Count warning when
    Printer Count is there, no Total Hardware Revenue warning when the target column is)."""
    have = set(present)
    effects: list[tuple[tuple[str, ...], str]] = []

    def missing(*fields: str) -> tuple[str, ...]:
        return tuple(f for f in fields if f not in have)

    def add(fields: tuple[str, ...], effect: str) -> None:
        effects.append((fields, f"no {_quoted(fields)} column: {effect}"))

    if missing("company_name"):
        add(("company_name",), "company names are blank")
    if missing("annual_revenue"):
        add(("annual_revenue",), "annual revenue is unknown for every account, so size is the "
            "unknown-revenue score and every account is in Small Business")  # fmt: skip
    if "printer_count" not in have:
        boxes = missing("big_box_count", "small_box_count")
        if len(boxes) == 2:
            add(("printer_count", *boxes), "printer count is 0 for every account, so adoption "
                "comes from consumable revenue only")  # fmt: skip
        elif boxes:
            other = "small_box_count" if boxes[0] == "big_box_count" else "big_box_count"
            add(boxes, f"printer count is {_quoted((other,))} alone")
    if missing("consumable_revenue"):
        add(("consumable_revenue",), "consumable revenue is 0 for every account, so the "
            "consumables half of adoption is 0")  # fmt: skip
    software = ("software_license_revenue", "saas_revenue", "maintenance_revenue")
    absent = missing(*software)
    if len(absent) == len(software):
        add(absent, "software revenue is 0, so relationship is 0 for every account")
    elif absent:
        kept = _quoted([f for f in software if f not in absent], "and")
        add(absent, f"software revenue (for relationship) is the sum of {kept} only")
    if missing("gp24"):
        add(("gp24",), "GP24 is 0 for every account (GP24 figures on Dashboard and Segments)")
    if "target_revenue" not in have:
        parts = missing("hardware_revenue", "consumable_revenue")
        if len(parts) == 2:
            add(("target_revenue", *parts), "the optimization target is 0 for every account, "
                "so weights cannot be optimized")  # fmt: skip
        elif parts == ("hardware_revenue",):
            add(parts, "the optimization target (hardware + consumable revenue) is consumable "
                "revenue only")  # fmt: skip
    return effects
