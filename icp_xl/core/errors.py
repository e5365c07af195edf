"""The one exception type for mistakes a user can fix (bad input, bad settings)."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any


class IcpError(Exception):
    """A user error: its message is one clear sentence, shown without a traceback."""


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
