"""Validate: every problem in the inputs, without writing, and the Data Quality report the
next rescore would write."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from icp_xl.core.errors import IcpError
from icp_xl.core.insight.quality import QualityReport
from icp_xl.core.model.calibration import RELATIVE
from icp_xl.workbook.actions.data_quality import data_quality_report
from icp_xl.workbook.actions.optimization import target_choice
from icp_xl.workbook.actions.rescoring import extra_column_notes
from icp_xl.workbook.actions.scoring import score_book, selected_view
from icp_xl.workbook.book import Book
from icp_xl.workbook.inputs import input_problems


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


def validate(book: Book, more_problems: Sequence[str] = ()) -> Validation:
    """Every problem in the inputs (sheets, names, weights, settings, accounts), all at once,
    and the Data Quality report of the accounts when they can be read; writes nothing.
    It runs the checks a rescore runs (scoring mode, calibration, the Dashboard selector,
    ExtraColumns), so what passes here rescores. ``more_problems``: what the host found
    (the file host's input formulas), listed first; a problem naming one of their cells
    again is left out."""
    problems, warnings = input_problems(book)
    problems += [p for p in _action_problems(book) if p not in problems]
    cells = {p.split(" ", 1)[0] for p in more_problems}
    problems = [*more_problems, *(p for p in problems if p.split(" ", 1)[0] not in cells)]
    if problems:
        return Validation(tuple(problems), tuple(warnings))
    try:
        result = score_book(book)  # the pass a rescore starts with
        notes = extra_column_notes(book, result)
    except IcpError as error:
        return Validation((str(error),), tuple(warnings))
    report = data_quality_report(book, result.accounts, result.settings, result.raw,
                                 notes=notes)  # fmt: skip
    return Validation((), (*warnings, *report.warnings()), report)


def _action_problems(book: Book) -> list[str]:
    """What the actions check beyond the inputs: the Dashboard's segment selector, the
    scoring mode, Optimize's target (Settings' Target columns) and, in Calibrated mode,
    the calibration."""
    from icp_xl.workbook.calibration_table import read_calibration, read_scoring_mode

    problems = []
    for check in (selected_view, read_scoring_mode, target_choice):
        try:
            check(book)
        except IcpError as error:
            problems.append(str(error))
    try:
        if read_scoring_mode(book) != RELATIVE:
            read_calibration(book)
    except IcpError as error:
        problems.append(str(error))
    return list(dict.fromkeys(problems))
