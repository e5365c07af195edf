"""The rule that keeps text written to CSV from running as a formula in Excel or Sheets."""

from __future__ import annotations

import re

# Text starting with one of these runs as a formula when a spreadsheet opens the file...
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# ...unless the whole cell is a plain number such as -300.
PLAIN_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_PLAIN_NUMBER_RE = re.compile(PLAIN_NUMBER)


def is_formula_like(text: str) -> bool:
    """True when the text cell ``text`` needs a leading apostrophe to stay text."""
    return text.startswith(FORMULA_TRIGGERS) and _PLAIN_NUMBER_RE.fullmatch(text) is None
