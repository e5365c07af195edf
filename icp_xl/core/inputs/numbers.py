"""Numbers as CRM exports write them: ``$1,200.50``, ``(300)``, ``12.5M``, ``3.4 bn``,
``EUR 1.234,56``, ``1 200``, ``1'200``.

A column is read in one decimal style: decimal point (``1,234.5``) unless its text shows a
decimal comma (``12,5`` or ``1.234,56``) and no decimal point, as a European locale writes
it. Thousands separators are ``,`` (or ``.`` with a decimal comma), spaces, no-break spaces
and ``'``. Scale suffixes: ``K``/``thousand`` (1e3), ``M``/``MM``/``mn``/``million`` (1e6),
``B``/``bn``/``billion`` (1e9). Currency symbols and ISO codes before or after the number
are dropped. ``(300)`` is negative. Nothing here raises: :func:`read_number_column` says
which cells it could not read and which it read from text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from icp_xl.core.inputs.arrow_text import arrow_text, has_byte, is_arrow_text, only_bytes

BLANK_WORDS = frozenset({"", "-", "--", "—", "–", "na", "n/a", "nan", "null", "none", "#n/a"})
_CURRENCY = r"(?:US\$|C\$|A\$|[$€£¥₹]|USD|EUR|GBP|CHF|CAD|AUD|JPY|INR|SEK|NOK|DKK)"
_SCALES = {
    "k": 1e3, "thousand": 1e3, "m": 1e6, "mm": 1e6, "mn": 1e6, "mio": 1e6, "million": 1e6,
    "b": 1e9, "bn": 1e9, "billion": 1e9,
}  # fmt: skip
_NUMBER_TEXT = re.compile(
    rf"^(?P<open>\()?\s*(?P<sign1>[+-])?\s*(?:{_CURRENCY}\s*)?(?P<sign2>[+-])?\s*"
    r"(?P<digits>[0-9][0-9.,' \u00a0\u202f]*|[.,][0-9]+)"
    r"\s*(?P<scale>thousand|million|billion|mio|mm|mn|bn|k|m|b)?\.?"
    rf"\s*(?:{_CURRENCY})?\s*(?P<close>\))?$",
    re.IGNORECASE,
)
_GROUPS = "[ \u00a0\u202f']"
_POINT_STYLE = re.compile(
    rf"^(?:\d{{1,3}}(?:(?:,|{_GROUPS})\d{{3}})+(?:\.\d*)?|\d+(?:\.\d*)?|\.\d+)$"
)
_COMMA_STYLE = re.compile(
    rf"^(?:\d{{1,3}}(?:(?:\.|{_GROUPS})\d{{3}})+(?:,\d*)?|\d+(?:,\d*)?|,\d+)$"
)
# Text that only a decimal comma explains, and text that only a decimal point explains.
_COMMA_EVIDENCE = re.compile(
    r"^\d+,(?:\d{1,2}|\d{4,})$|^\d{1,3}(?:\.\d{3})+,\d*$|^\d{1,3}(?:\.\d{3}){2,}$"
)
_POINT_EVIDENCE = re.compile(
    r"^\d+\.(?:\d{1,2}|\d{4,})$|^\d{1,3}(?:,\d{3})+\.\d*$|^\d{1,3}(?:,\d{3}){2,}$"
)
# Plain number text that Arrow's cast and pandas' to_numeric both read as the nearest
# double: an optional minus, ASCII digits and at most one decimal point; with at most
# SHORT_DIGITS digits both readers are exact (the digits fit a double, scaled once).
_SHORT_PLAIN = r"^-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)$"
SHORT_DIGITS = 15


@dataclass(frozen=True)
class NumberColumn:
    """One column read as numbers.

    ``values`` floats (NaN = blank); ``bad`` positions of cells that are not numbers;
    ``from_text`` positions of cells whose number had to be read out of text (currency,
    separators, suffixes, parentheses, decimal comma), not plain ``1234.5``;
    ``decimal_comma`` whether the column was read with a decimal comma."""

    values: np.ndarray
    bad: np.ndarray
    from_text: np.ndarray
    decimal_comma: bool = False


def uses_decimal_comma(texts: pd.Series) -> bool:
    """Whether number texts are written with a decimal comma (``12,5``, ``1.234,56``): some
    text only a decimal comma explains and none that only a decimal point explains."""
    uniques = pd.Series(pd.unique(texts.astype(str)), dtype=object)
    digits = uniques.str.extract(_NUMBER_TEXT)["digits"].dropna().str.strip()
    digits = digits.str.replace(_GROUPS, "", regex=True)
    comma = digits.str.contains(_COMMA_EVIDENCE).any()
    return bool(comma and not digits.str.contains(_POINT_EVIDENCE).any())


def number_from_text(text: str, decimal_comma: bool = False) -> float | None:
    """One text cell as a number, or None when it is not one (blank words give NaN)."""
    stripped = text.strip()
    if stripped.lower() in BLANK_WORDS:
        return float("nan")
    match = _NUMBER_TEXT.match(stripped)
    if not match:
        return None
    parts = match.groupdict()
    if (parts["open"] is None) != (parts["close"] is None) or (parts["sign1"] and parts["sign2"]):
        return None
    digits = parts["digits"].strip()
    style = _COMMA_STYLE if decimal_comma else _POINT_STYLE
    if not style.match(digits):
        return None
    group, point = (".", ",") if decimal_comma else (",", ".")
    plain = re.sub(_GROUPS, "", digits).replace(group, "").replace(point, ".")
    value = float(plain) * _SCALES.get((parts["scale"] or "").lower(), 1.0)
    negative = (parts["open"] is not None) != ((parts["sign1"] or parts["sign2"]) == "-")
    return -value if negative else value


def read_number_column(values: pd.Series) -> NumberColumn:
    """Read a column of cells (numbers, number text, blanks) as floats; never raises.

    Booleans, dates and unreadable text are ``bad``; infinite values too."""
    cells = values.reset_index(drop=True)
    n = len(cells)
    if pd.api.types.is_bool_dtype(cells):
        return NumberColumn(np.full(n, np.nan), np.arange(n), np.array([], dtype=int))
    if pd.api.types.is_numeric_dtype(cells):
        result = cells.to_numpy(dtype=float, na_value=np.nan)
        bad = np.flatnonzero(np.isinf(result))
        return NumberColumn(result, bad, np.array([], dtype=int))
    blank = cells.isna().to_numpy()
    kind = pd.api.types.infer_dtype(cells, skipna=True)
    if kind in ("string", "empty"):
        is_text, is_number = ~blank, np.zeros(n, dtype=bool)  # a CSV column: all text
    elif kind in ("floating", "integer", "mixed-integer-float"):
        is_text, is_number = np.zeros(n, dtype=bool), ~blank  # a sheet's numbers, no text
    else:
        is_text = cells.map(lambda c: isinstance(c, str)).to_numpy(dtype=bool)
        is_number = cells.map(
            lambda c: (
                isinstance(c, int | float | np.integer | np.floating)
                and not isinstance(c, bool | np.bool_)
            )
        ).to_numpy(dtype=bool)
    result = np.full(n, np.nan)
    if is_number.any():
        result[is_number] = cells[is_number].astype(float).to_numpy()
    bad_mask = ~(is_text | is_number | blank)
    from_text = np.zeros(n, dtype=bool)
    decimal_comma = False
    if is_text.any():
        positions = np.flatnonzero(is_text)
        texts = (cells if is_text.all() else cells[is_text]).astype(str)
        plain = plain_numbers(texts)
        # Plain numbers ('1234.5') need no parsing; only a comma in some other cell can
        # change how they read ('1.234' with decimal commas is 1234).
        others = np.isnan(plain) | _has_comma(texts)
        decimal_comma = bool(others.any()) and uses_decimal_comma(texts[others])
        if decimal_comma and not others.all():  # a plain '1234.5' shows a decimal point
            decimal_comma = uses_decimal_comma(texts)
        if decimal_comma:
            others[:] = True
        result[positions] = plain
        todo = texts[others]
        codes, uniques = pd.factorize(todo, sort=False)
        parsed = np.empty(len(uniques))
        unreadable = np.zeros(len(uniques), dtype=bool)
        for i, text in enumerate(uniques):
            value = number_from_text(text, decimal_comma)
            unreadable[i] = value is None
            parsed[i] = np.nan if value is None else value
        where = positions[others]
        result[where] = parsed[codes]
        bad_mask[where] |= unreadable[codes]
        from_text[where] = ~unreadable[codes] & ~np.isnan(parsed[codes])
        if decimal_comma:  # plain-looking cells read the same are not 'from text'
            from_text[positions] &= ~(np.isclose(result[positions], plain) & ~np.isnan(plain))
    bad_mask |= np.isinf(result)
    result[bad_mask] = np.nan
    return NumberColumn(result, np.flatnonzero(bad_mask), np.flatnonzero(from_text), decimal_comma)


def plain_numbers(texts: pd.Series) -> np.ndarray:
    """Each text cell's plain number (``1234.5``, ``-12``, ``1e5``, `` 7``), NaN for any
    other text: exactly ``pd.to_numeric(texts, errors="coerce")`` as floats.

    Short plain cells (a minus, ASCII digits, a decimal point; at most
    :data:`SHORT_DIGITS` characters) are read with one Arrow cast; the rest, and a column
    holding a negative zero (which to_numeric reads as ``0.0`` or ``-0.0`` depending on
    the other cells), go to pandas."""
    array = arrow_text(texts)
    if array is None:
        return _to_numeric(texts)
    short, values = _short_plain(array)
    plain = np.full(len(array), np.nan)
    plain[short] = values
    rest = np.flatnonzero(~short)
    if len(rest):
        plain[rest] = _to_numeric(texts.iloc[rest])
    if _negative_zero(array, plain):
        return _to_numeric(texts)
    return plain


def _negative_zero(array: pa.ChunkedArray, plain: np.ndarray) -> bool:
    """Whether a cell read as zero has a minus sign."""
    zeros = np.flatnonzero(plain == 0)
    if not len(zeros) or not has_byte(array, b"-"):
        return False
    return pc.any(pc.match_substring(array.take(pa.array(zeros)), "-")).as_py()


def _short_plain(array: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """Which cells are short plain numbers (see :func:`plain_numbers`), as booleans, and
    their numbers."""
    lengths = pc.fill_null(pc.binary_length(array), 0).to_numpy()
    if np.all(lengths <= SHORT_DIGITS) and only_bytes(array, b"0123456789.-"):
        # Arrow's cast reads a cell of only these characters exactly when it has the
        # pattern _SHORT_PLAIN, so one cast of the non-blank cells checks them all.
        filled = lengths > 0
        try:
            values = pc.cast(array.filter(pa.array(filled)), pa.float64())
        except pa.ArrowInvalid:
            pass
        else:
            return filled, values.to_numpy()
    short = pc.and_(
        pc.match_substring_regex(array, _SHORT_PLAIN),
        pc.less_equal(pc.binary_length(array), SHORT_DIGITS),
    )
    short = pc.fill_null(short, False)
    values = pc.cast(array.filter(short), pa.float64())
    return short.to_numpy(zero_copy_only=False), values.to_numpy()


def _has_comma(texts: pd.Series) -> np.ndarray:
    """Which text cells contain a comma (one look at the bytes when none does)."""
    if is_arrow_text(texts) and not has_byte(arrow_text(texts), b","):
        return np.zeros(len(texts), dtype=bool)
    return texts.str.contains(",", regex=False).to_numpy(dtype=bool)


def _to_numeric(texts: pd.Series) -> np.ndarray:
    return pd.to_numeric(texts, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
