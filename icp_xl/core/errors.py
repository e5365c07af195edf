"""The one exception type for mistakes a user can fix (bad input, bad settings)."""

from __future__ import annotations

from typing import Any


class IcpError(Exception):
    """A user error: its message is one clear sentence, shown without a traceback."""


def describe_value(value: Any) -> str:
    """Quote a cell value for an error message, shortening long text."""
    text = repr(value) if not isinstance(value, str) else repr(value.strip() or value)
    return text if len(text) <= 40 else text[:37] + "...'"


def cell_error(where: str, column: str, row: int, value: Any, problem: str) -> IcpError:
    """Build an error naming the place (sheet or file), column, 1-based row and the value."""
    return IcpError(f"{where}, column '{column}', row {row}: {problem} ({describe_value(value)})")
