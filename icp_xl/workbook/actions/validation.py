"""Validate: every problem in the inputs, without writing, and the Data Quality report the
next rescore would write."""

from __future__ import annotations

from dataclasses import dataclass

from icp_xl.core.errors import IcpError
from icp_xl.core.insight.quality import QualityReport
from icp_xl.workbook.actions.data_quality import data_quality_report
from icp_xl.workbook.actions.scoring import selected_view
from icp_xl.workbook.book import Book
from icp_xl.workbook.inputs import input_problems, read_accounts, read_settings


@dataclass(frozen=True)
class Validation:
    """Problems (each one sentence naming sheet and cell), warnings (the Data Quality
    summary) and the Data Quality ``report`` (None when a problem stops reading)."""

    problems: tuple[str, ...]
    warnings: tuple[str, ...]
    report: QualityReport | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def validate(book: Book) -> Validation:
    """Every problem in the inputs (sheets, names, weights, settings, accounts), all at once,
    and the Data Quality report of the accounts when they can be read; writes nothing."""
    problems, warnings = input_problems(book)
    problems += [p for p in _action_problems(book) if p not in problems]
    if problems:
        return Validation(tuple(problems), tuple(warnings))
    raw, accounts = read_accounts(book)
    report = data_quality_report(book, accounts, read_settings(book), raw)
    return Validation((), (*warnings, *report.warnings()), report)


def _action_problems(book: Book) -> list[str]:
    """What every action checks beyond the inputs: the Dashboard's segment selector."""
    try:
        selected_view(book)
    except IcpError as error:
        return [str(error)]
    return []
