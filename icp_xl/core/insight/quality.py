"""The Data Quality report: what one read of the accounts found, as plain data.

:func:`quality_report` looks at prepared accounts and the settings they are scored with and
lists, as :class:`Finding` rows: the header row used, how every column was matched (exact,
alias, column map), missing columns and what that does to the score, industries neither the
vertical table nor the Industry map knows (with counts), unknown annual revenue and where it
went, values read out of text, duplicate IDs, and rows below a table that were ignored.
:meth:`QualityReport.warnings` is the short summary the CLI prints and Excel shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from icp_xl.core.inputs.accounts import Accounts
from icp_xl.core.inputs.columns import ACCOUNT_COLUMNS, COLUMNS_BY_FIELD, missing_column_effects
from icp_xl.core.inputs.industries import BLANK, UNMATCHED, industry_codes, resolve_industries
from icp_xl.core.model.settings import Settings

Level = Literal["ok", "info", "warning"]
PARSED_IN_WARNINGS = 10  # parsed values named per column in the short summary
PARSED_ON_SHEET = 500  # parsed values listed per column on the sheet
_HOW = {"exact": "exact header", "alias": "alias", "map": "column map"}


@dataclass(frozen=True)
class Finding:
    """One line of the report: ``check`` (the section), ``item`` (a column, industry,
    value...), ``count`` (accounts or cells, None when not a count), ``detail`` (a sentence)
    and ``level`` (ok, info or warning)."""

    check: str
    item: str
    count: int | None
    detail: str
    level: Level = "info"


@dataclass(frozen=True)
class IgnoredRows:
    """Rows typed below a table, outside it, so no action reads them: which ``table``, the
    sheet ``where`` (e.g. ``Settings!H27:I28``), their ``count`` and the ``first`` values."""

    table: str
    where: str
    count: int
    first: tuple[str, ...] = ()


@dataclass(frozen=True)
class QualityReport:
    """What the last read of the accounts found (see the module docstring)."""

    source: str
    rows_read: int
    header_row: int | None
    findings: tuple[Finding, ...]
    summary: tuple[str, ...] = field(default=())

    def warnings(self) -> tuple[str, ...]:
        """The short summary: one sentence per kind of problem that changes scores."""
        return self.summary

    def rows(self) -> list[list[object]]:
        """The findings as rows: check, level, item, count, detail."""
        return [[f.check, f.level, f.item, f.count, f.detail] for f in self.findings]


def _fmt_money(value: float) -> str:
    return f"{value:,.2f}".rstrip("0").rstrip(".") if value % 1 else f"{value:,.0f}"


def quality_report(
    accounts: Accounts,
    settings: Settings,
    source: str,
    header_row: int | None = None,
    ignored: Sequence[IgnoredRows] = (),
    headers: Sequence[object] = (),
) -> QualityReport:
    """Build the report of one read of ``accounts`` (``source`` names the table: a file
    or ``Sheet Accounts``; ``header_row`` the 1-based row its header was found in;
    ``ignored`` rows below tables; ``headers`` the table's headers, to list unused ones)."""
    findings: list[Finding] = []
    summary: list[str] = []
    frame = accounts.frame
    n = len(frame)
    findings.append(Finding("Source", source, n, f"{n:,} accounts read", "ok"))
    if header_row is not None:
        skipped = (
            f"; rows 1-{header_row - 1} above it were skipped as titles" if header_row > 1 else ""
        )
        findings.append(Finding("Source", "Header row", header_row,
                                f"The header was found in row {header_row}{skipped}",
                                "info" if header_row > 1 else "ok"))  # fmt: skip
        if header_row > 1:
            summary.append(f"{source}: the header was found in row {header_row} (rows "
                           f"1-{header_row - 1} skipped as titles)")  # fmt: skip
    findings += _column_findings(accounts, headers)
    for note in accounts.warnings:
        if " has no " not in note:
            findings.append(Finding("Columns", "Note", None, note, "info"))
    for fields, effect in missing_column_effects(accounts.source_columns):
        names = ", ".join(COLUMNS_BY_FIELD[f].header for f in fields)
        findings.append(Finding("Missing column", names, n, effect[0].upper() + effect[1:],
                                "warning"))  # fmt: skip
        summary.append(f"{source} has {effect}")
    industry, industry_summary = _industry_findings(frame["industry"], settings)
    findings += industry
    summary += industry_summary
    revenue, revenue_summary = _revenue_findings(frame["annual_revenue"], settings, accounts)
    findings += revenue
    summary += revenue_summary
    parsed, parsed_summary = _parsed_findings(accounts)
    findings += parsed
    summary += parsed_summary
    findings.append(Finding("Duplicate IDs", "Customer ID", 0,
                            "None: every Customer ID is unique (duplicates stop scoring and are "
                            "listed in the error)", "ok"))  # fmt: skip
    for rows in ignored:
        shown = ", ".join(rows.first)
        findings.append(Finding("Ignored rows", rows.table, rows.count,
                                f"{rows.where}: {rows.count} row(s) typed below the table are "
                                f"not part of it and were ignored ({shown}); extend the table "
                                "over them (drag its corner handle)", "warning"))  # fmt: skip
        summary.append(f"{rows.count} row(s) below {rows.table} ({rows.where}) were ignored: "
                       f"extend the table over them")  # fmt: skip
    return QualityReport(source, n, header_row, tuple(findings), tuple(summary))


def _column_findings(accounts: Accounts, headers: Sequence[object]) -> list[Finding]:
    findings = []
    for column in ACCOUNT_COLUMNS:
        match = accounts.matches.get(column.field)
        if match is None:
            continue
        how = _HOW[match.how]
        comma = " (decimal comma)" if column.field in accounts.decimal_comma else ""
        findings.append(Finding("Columns", column.header, None,
                                f"'{match.header}' ({how}){comma}", "ok"))  # fmt: skip
    used = {m.header for m in accounts.matches.values()}
    unused = [str(h) for h in headers if str(h).strip() and str(h) not in used]
    if unused:
        findings.append(Finding("Columns", "Not used", len(unused), ", ".join(unused), "info"))
    return findings


def _industry_findings(industry: pd.Series, settings: Settings) -> tuple[list[Finding], list[str]]:
    resolved = resolve_industries(industry, settings)
    findings, summary = [], []
    # One row per distinct industry cell (in order of first appearance): its text, how it
    # resolved, its label and how many accounts have it.
    codes, names = industry_codes(industry)
    first = np.flatnonzero(np.diff(np.maximum.accumulate(codes), prepend=-1) > 0)
    distinct = pd.DataFrame(
        {
            "text": [str(name).strip() for name in names],
            "how": resolved.how[first],
            "label": resolved.label[first],
            "size": np.bincount(codes, minlength=len(names)),
        }
    ).astype({"text": object, "how": object, "label": object})
    how = distinct["how"]
    unknown = f"{settings.unknown_industry_score:g}"
    unmatched = distinct[how == UNMATCHED].groupby("text", sort=False)["size"].sum()
    unmatched = unmatched.sort_values(ascending=False, kind="stable")
    mapped = (
        distinct[how == "map"].groupby("text").agg(first=("label", "first"), size=("size", "sum"))
    )
    table_count = int(distinct["size"][how == "table"].sum())
    findings.append(Finding("Industries", "In the vertical table", table_count,
                            "Matched an industry of the vertical table", "ok"))  # fmt: skip
    for spelling, row in mapped.iterrows():
        findings.append(Finding("Industries", spelling, int(row["size"]),
                                f"Industry map: counted as {row['first']}", "info"))  # fmt: skip
    for spelling, count in unmatched.items():
        findings.append(Finding("Unmatched industry", spelling, int(count),
                                f"Not in the vertical table or the Industry map: scores the "
                                f"unknown-industry score {unknown}", "warning"))  # fmt: skip
    blank = int(distinct["size"][how == BLANK].sum())
    if blank:
        findings.append(Finding("Unmatched industry", "(blank)", blank,
                                f"No industry: scores the unknown-industry score {unknown}",
                                "info"))  # fmt: skip
    if len(unmatched):
        accounts = int(unmatched.sum())
        listed = ", ".join(f"{s} ({c})" for s, c in unmatched.items())
        kinds = "industry" if len(unmatched) == 1 else "industries"
        summary.append(f"{len(unmatched)} {kinds} ({accounts:,} accounts) are in neither the "
                       f"vertical table nor the Industry map and score {unknown}: {listed}; add "
                       "them to the Industry map on Settings")  # fmt: skip
    return findings, summary


def _revenue_findings(
    revenue: pd.Series, settings: Settings, accounts: Accounts
) -> tuple[list[Finding], list[str]]:
    values = revenue.to_numpy(dtype=float)
    kinds = {"blank": np.isnan(values), "zero": values == 0, "negative": values < 0}
    counts = {k: int(v.sum()) for k, v in kinds.items()}
    total = sum(counts.values())
    where = (f"size score {settings.neutral_size_score:g} (unknown revenue) and segment "
             "Small Business")  # fmt: skip
    findings = []
    if "annual_revenue" not in accounts.source_columns:
        return findings, []  # said once, as a missing column
    if not total:
        findings.append(Finding("Annual revenue", "Unknown", 0, "Every account has a revenue",
                                "ok"))  # fmt: skip
        return findings, []
    for kind, count in counts.items():
        if count:
            findings.append(Finding("Annual revenue", f"Unknown ({kind})", count,
                                    f"{kind.capitalize()} annual revenue counts as unknown: "
                                    f"{where}", "warning"))  # fmt: skip
    parts = ", ".join(f"{c:,} {k}" for k, c in counts.items() if c)
    return findings, [f"{total:,} accounts have unknown annual revenue ({parts}): {where}"]


def _parsed_findings(accounts: Accounts) -> tuple[list[Finding], list[str]]:
    findings, summary = [], []
    by_field: dict[str, list] = {}
    for cell in accounts.parsed:
        by_field.setdefault(cell.field, []).append(cell)
    for column in ACCOUNT_COLUMNS:
        cells = by_field.get(column.field)
        if not cells:
            continue
        header = accounts.source_columns[column.field]
        for cell in cells[:PARSED_ON_SHEET]:
            findings.append(Finding("Parsed from text", header, None,
                                    f"Row {cell.row}: '{cell.text}' read as "
                                    f"{_fmt_money(cell.value)}", "info"))  # fmt: skip
        if len(cells) > PARSED_ON_SHEET:
            findings.append(Finding("Parsed from text", header, len(cells) - PARSED_ON_SHEET,
                                    "more values read from text (not listed)", "info"))  # fmt: skip
        examples = ", ".join(
            f"row {c.row} '{c.text}' -> {_fmt_money(c.value)}" for c in cells[:PARSED_IN_WARNINGS]
        )
        more = len(cells) - PARSED_IN_WARNINGS
        comma = ", with a decimal comma" if column.field in accounts.decimal_comma else ""
        summary.append(f"{len(cells):,} '{header}' values were read from text{comma}: "
                       f"{examples}" + (f" and {more:,} more" if more > 0 else ""))  # fmt: skip
    return findings, summary
