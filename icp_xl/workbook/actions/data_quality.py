"""The Data Quality sheet: what the last read of the accounts found, written by every rescore
and import (:func:`write_data_quality`), and the Column map kept in step with ``--column``
(:func:`store_column_map`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import pandas as pd

from icp_xl.core.errors import IcpError
from icp_xl.core.inputs.accounts import Accounts
from icp_xl.core.inputs.cells import column_letter
from icp_xl.core.inputs.columns import COLUMNS_BY_FIELD, column_for
from icp_xl.core.inputs.industries import industry_key
from icp_xl.core.insight.quality import Finding, QualityReport, quality_report
from icp_xl.core.model.settings import Settings
from icp_xl.workbook import layout
from icp_xl.workbook.blocks import Block
from icp_xl.workbook.book import Book
from icp_xl.workbook.inputs import accounts_origin, ignored_rows, unused_industry_map_rows


@dataclass(frozen=True)
class FileRead:
    """An accounts file as read for *New* or *Import*: the ``raw`` table (its
    ``attrs["header_row"]``), the prepared ``accounts`` and the file's name ``source``.
    Data Quality describes this read rather than the workbook table it was copied into,
    which holds the numbers but not the text they were read from."""

    raw: pd.DataFrame
    accounts: Accounts
    source: str | None


def data_quality_report(
    book: Book,
    accounts: Accounts,
    settings: Settings,
    raw: pd.DataFrame,
    source: str | None = None,
    notes: Sequence[Finding] = (),
) -> QualityReport:
    """The report of one read of the accounts: the workbook's Accounts table (``source``
    None) or an imported file (``source`` its name; ``raw.attrs["header_row"]`` the row its
    header was found in), plus the rows typed under the workbook's input tables, and
    ``notes`` (about settings, e.g. ExtraColumns) at the end."""
    if source is None:
        source, first_row = accounts_origin(book)
        header_row = first_row - 1
    else:
        header_row = raw.attrs.get("header_row")
    report = quality_report(
        accounts, settings, source, header_row, ignored_rows(book), list(raw.columns)
    )
    findings, summary = industry_map_findings(book, settings)
    return replace(report, findings=(*report.findings, *findings, *notes),
                   summary=(*report.summary, *summary))  # fmt: skip


def industry_map_findings(book: Book, settings: Settings) -> tuple[list[Finding], list[str]]:
    """Findings (and summary lines) for Industry map rows the vertical table overrides
    (:func:`~icp_xl.workbook.inputs.unused_industry_map_rows`): a warning when the row
    sends the spelling to another industry, a note when to the same one."""
    findings, summary = [], []
    for cell, spelling, industry in unused_industry_map_rows(book, settings):
        own = settings.vertical_labels[settings.vertical_keys[industry_key(spelling)]]
        same = industry_key(industry) == industry_key(own)
        effect = "" if same else f", not as {industry}"
        detail = (f"{cell} (Industry map): '{spelling}' is already an industry of the vertical "
                  f"table, which wins: its accounts count as {own}{effect}; the row is not "
                  "used")  # fmt: skip
        findings.append(Finding("Industry map", spelling, None, detail,
                                "info" if same else "warning"))  # fmt: skip
        if not same:
            summary.append(detail)
    return findings, summary


def data_quality_rows(report: QualityReport, when: datetime) -> list[list[object]]:
    """The sheet's rows from :data:`~icp_xl.workbook.layout.DATA_QUALITY_SOURCE_ROW` down:
    when and what was read (time, accounts, source and warning count), the column headers,
    then one row per finding with its status (OK, Note, Warning)."""
    warnings = sum(f.level == "warning" for f in report.findings)
    state = f"{warnings} finding(s) marked Warning" if warnings else "no warnings"
    source = ["Last read", None, when, report.rows_read,
              f"{report.source}: {report.rows_read:,} accounts; {state}"]  # fmt: skip
    header = [c.header for c in layout.DATA_QUALITY_COLUMNS]
    findings = [
        [check, layout.DATA_QUALITY_STATUS[level], item, count, detail]
        for check, level, item, count, detail in report.rows()
    ]
    return [source, header, *findings]


def write_data_quality(book: Book, report: QualityReport) -> bool:
    """Replace the Data Quality sheet's content with ``report``. Returns False (writing
    nothing) when the workbook has no such sheet (a live workbook made by an older version;
    the next headless rescore adds it)."""
    if layout.DATA_QUALITY not in book.sheet_names():
        return False
    book.status("Writing Data Quality")
    sheet, top = layout.DATA_QUALITY, layout.DATA_QUALITY_SOURCE_ROW
    width = len(layout.DATA_QUALITY_COLUMNS)
    book.clear_range(sheet, f"A{top}:{column_letter(width)}1048576")
    rows = data_quality_rows(report, datetime.now().replace(microsecond=0))
    book.write_block(Block(sheet, f"A{top}", rows))
    return True


def store_column_map(book: Book, column_map: Mapping[str, str]) -> None:
    """Write ``column_map`` (field -> the user's header, e.g. from ``--column``) into the
    Settings Column map, so later rescores read the same headers: a mapped field's row gets
    the header, a field without a row gets one. No-op for a workbook without the table."""
    table = layout.COLUMN_MAP_TABLE.name
    if not column_map:
        return
    try:
        frame = book.read_table(table)
    except IcpError:
        return
    rows = [list(r)[:2] for r in frame.astype(object).itertuples(index=False)]
    done = set()
    for row in rows:
        column = column_for(row[0]) if row[0] not in (None, "") else None
        if column is not None and column.field in column_map:
            row[1] = column_map[column.field]
            done.add(column.field)
    rows += [[COLUMNS_BY_FIELD[f].header, h] for f, h in column_map.items() if f not in done]
    book.write_table(table, layout.COLUMN_MAP_TABLE.header, rows)


def summary_lines(report: QualityReport | None, limit: int = 12) -> Sequence[str]:
    """At most ``limit`` warnings of ``report`` for a message box (a note when more)."""
    if report is None:
        return ()
    warnings = list(report.warnings())
    if len(warnings) > limit:
        warnings = [*warnings[:limit], f"... and {len(warnings) - limit} more on Data Quality"]
    return warnings
