"""Validate: every problem in the inputs, without writing."""

from __future__ import annotations

from dataclasses import dataclass

from icp_xl.core.errors import IcpError
from icp_xl.workbook.actions.scoring import selected_view
from icp_xl.workbook.book import Book
from icp_xl.workbook.inputs import input_problems


@dataclass(frozen=True)
class Validation:
    """Problems (each one sentence naming sheet and cell) and warnings of the inputs."""

    problems: tuple[str, ...]
    warnings: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def validate(book: Book) -> Validation:
    """Every problem in the inputs (sheets, names, weights, settings, accounts); writes
    nothing."""
    problems, warnings = input_problems(book)
    problems += [p for p in _action_problems(book) if p not in problems]
    return Validation(tuple(problems), tuple(warnings))


def _action_problems(book: Book) -> list[str]:
    """What every action checks beyond the inputs: the Dashboard's segment selector."""
    try:
        selected_view(book)
    except IcpError as error:
        return [str(error)]
    return []
