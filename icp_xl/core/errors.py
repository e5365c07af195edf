"""The one exception type for mistakes a user can fix (bad input, bad settings)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, time
from typing import Any


class IcpError(Exception):
    """A user error: its message is one clear sentence, shown without a traceback.

    Layers below the command line never name a command-line option in the message: a
    suggestion of one goes in ``option`` (e.g. ``--force``) and ``hint`` (the words added
    to the message, e.g. ``" or pass --force to replace it"``), which the command line
    adds (:meth:`for_options`) only when the command running has that option; Excel and
    commands without it show the message alone."""

    def __init__(self, *args: object, option: str | None = None, hint: str = "") -> None:
        super().__init__(*args)
        self.option = option
        self.hint = hint

    def for_options(self, options: Collection[str]) -> str:
        """The message as a command with ``options`` (e.g. ``{"--force", "-o"}``) shows it:
        with the hint when the option is among them."""
        message, option = str(self), getattr(self, "option", None)
        return message + getattr(self, "hint", "") if option in options else message


def describe_value(value: Any) -> str:
    """Quote a cell value for an error message as the user sees it in the cell (text in
    quotes, shortened; dates as ``2024-01-01``; TRUE/FALSE), never a Python repr."""
    if isinstance(value, str):
        text = repr(value.strip() or value)
        return text if len(text) <= 40 else text[:37] + "...'"
    if isinstance(value, bool) or type(value).__name__ == "bool_":  # also numpy's
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d" if value.time() == time() else "%Y-%m-%d %H:%M:%S")
    if isinstance(value, date | time):
        return value.isoformat()
    if value is None:
        return "blank"
    text = repr(value) if isinstance(value, float) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def cell_error(where: str, column: str, row: int, value: Any, problem: str) -> IcpError:
    """Build an error naming the place (sheet or file), column, 1-based row and the value."""
    return IcpError(f"{where}, column '{column}', row {row}: {problem} ({describe_value(value)})")
