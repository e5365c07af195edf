"""The reason of every account's score: its component furthest above the portfolio
average points, then the one furthest below, in words ("Adoption in the top 10%, no
software revenue"), and the short money and score texts the explanations share. Pure
functions over the prepared accounts and :func:`~icp_xl.core.model.scoring.score_accounts`
output."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd

from icp_xl.core.inputs.industries import BLANK, UNMATCHED, resolve_industries
from icp_xl.core.model.scoring import component_points
from icp_xl.core.model.settings import COMPONENTS, Settings

_TOP_BUCKETS = (1, 5, 10, 25)  # "in the top 10%" uses the smallest bucket that fits
_NEAR_AVERAGE = 0.05  # points: closer than this to the average is not worth a phrase


def money_text(value: float) -> str:
    """Short USD text: $950, $18.3k, $4.2M, $1.5B (blank for unknown)."""
    if value is None or not math.isfinite(value):
        return "unknown"
    sign, amount = ("-" if value < 0 else ""), abs(value)
    for factor, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if amount >= factor:
            shown = f"{amount / factor:.1f}".removesuffix(".0")
            return f"{sign}${shown}{suffix}"
    return f"{sign}${amount:,.0f}"


def score_text(value: float) -> str:
    """A component score (0-1) as text with at least one decimal: 1.0, 0.8, 0.65."""
    text = f"{value:.3f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def _top_share(values: np.ndarray) -> np.ndarray:
    """Share of the population whose value is at least each value's (1/n for the largest)."""
    ordered = np.sort(values)
    return (len(values) - np.searchsorted(ordered, values, side="left")) / len(values)


def _bottom_share(values: np.ndarray) -> np.ndarray:
    ordered = np.sort(values)
    return np.searchsorted(ordered, values, side="right") / len(values)


def _bucket(share: float, where: str, fallback: str) -> str:
    for bucket in _TOP_BUCKETS:
        if share <= bucket / 100:
            return f"in the {where} {bucket}%"
    return fallback


def reasons(frame: pd.DataFrame, scored: pd.DataFrame, settings: Settings) -> pd.Series:
    """One short reason per account: its component furthest above the portfolio average
    points, then the one furthest below, in words ("Adoption in the top 10%, no software
    revenue"). ``frame``: prepared accounts; ``scored``: score_accounts output (same
    index). Returns text indexed like ``scored``.

    Each phrase is made once per distinct set of the values it depends on (the same
    texts repeat across accounts): the accounts share their reason's str, and no Python
    float or str is made per account.
    """
    points = np.column_stack(
        [
            component_points(getattr(settings.weights, name), scored[f"{name}_score"].to_numpy())
            for name in COMPONENTS
        ]
    )
    gap = points - points.mean(axis=0)
    rows = np.arange(len(points))
    best, worst = gap.argmax(axis=1), gap.argmin(axis=1)
    strong_at = np.where(gap[rows, best] > _NEAR_AVERAGE, best, -1)
    weak_at = np.where(gap[rows, worst] < -_NEAR_AVERAGE, worst, -1)
    component = {name: scored[f"{name}_score"].to_numpy(dtype=float) for name in COMPONENTS}
    top = {name: _top_share(v) for name, v in component.items()}
    bottom = {name: _bottom_share(v) for name, v in component.items()}
    size = component["size"]
    industry_code, industry = pd.factorize(frame["industry"].astype(str).str.strip())
    revenue = frame["annual_revenue"].to_numpy(dtype=float)
    printers = frame["printer_count"].to_numpy(dtype=float)
    consumables = frame["consumable_revenue"].to_numpy(dtype=float)
    software = frame["software_revenue"].to_numpy(dtype=float)
    # The same matching as scoring and the Data Quality sheet (vertical table, then the
    # Industry map), so a reason never calls an industry unknown that the sheet matched.
    how_code, hows = pd.factorize(resolve_industries(frame["industry"], settings).how)

    def revenue_text(i: int) -> str:
        return f"{money_text(float(revenue[i]))} annual revenue (size {score_text(size[i])})"

    def strong(name: str, i: int) -> str:
        if name == "vertical":
            return f"strong vertical ({industry[industry_code[i]]})"
        if name == "size":
            return revenue_text(i)
        return f"{name} {_bucket(top[name][i], 'top', 'above average')}"

    def weak(name: str, i: int) -> str:
        if name == "vertical":
            if hows[how_code[i]] == BLANK:
                return "industry blank"
            if hows[how_code[i]] == UNMATCHED:
                return "industry not in the vertical table"
            return f"weak vertical ({industry[industry_code[i]]})"
        if name == "size":
            if not (math.isfinite(revenue[i]) and revenue[i] > 0):
                return "annual revenue unknown"
            return revenue_text(i)
        if name == "adoption" and printers[i] <= 0 and consumables[i] <= 0:
            return "no printers or consumables"
        if name == "adoption" and printers[i] <= 0:
            return "no printers"
        if name == "relationship" and software[i] <= 0:
            return "no software revenue"
        return f"{name} {_bucket(bottom[name][i], 'bottom', 'below average')}"

    # What each phrase depends on, per component (an account's values decide its text).
    strong_keys = {
        "vertical": (industry_code,),
        "size": (revenue, size),
        "adoption": (top["adoption"],),
        "relationship": (top["relationship"],),
    }
    weak_keys = {
        "vertical": (how_code, industry_code),
        "size": (revenue, size),
        "adoption": (printers, consumables, bottom["adoption"]),
        "relationship": (software, bottom["relationship"]),
    }
    texts: list[str] = []
    strong_code = _phrase_codes(strong_at, strong_keys, strong, texts)
    weak_code = _phrase_codes(weak_at, weak_keys, weak, texts)
    pair, first, inverse = np.unique(
        (strong_code + 1) * (len(texts) + 1) + weak_code + 1,
        return_index=True,
        return_inverse=True,
    )
    sentences = np.empty(len(pair), dtype=object)
    for j, i in enumerate(first.tolist()):
        parts = [texts[c] for c in (strong_code[i], weak_code[i]) if c >= 0]
        text = ", ".join(parts) or "close to the portfolio average on every component"
        sentences[j] = text[0].upper() + text[1:]
    return pd.Series(sentences[inverse.reshape(-1)], index=scored.index, dtype=object)


def _phrase_codes(
    at: np.ndarray,
    keys: dict[str, tuple[np.ndarray, ...]],
    phrase: Callable[[str, int], str],
    texts: list[str],
) -> np.ndarray:
    """Per account, the index into ``texts`` of ``phrase(COMPONENTS[at[i]], i)`` (-1 where
    ``at`` is -1). The phrase is made once per distinct bytes of the account's ``keys`` of
    that component (the values it depends on); new texts are appended to ``texts``."""
    code = np.full(len(at), -1, dtype=np.int64)
    known: dict[str, int] = {text: c for c, text in enumerate(texts)}
    for c, name in enumerate(COMPONENTS):
        members = np.flatnonzero(at == c)
        if not len(members):
            continue
        values = np.column_stack([np.asarray(k, dtype=float)[members] for k in keys[name]])
        row_bytes = np.ascontiguousarray(values).view(np.dtype((np.void, values.shape[1] * 8)))
        _, first, inverse = np.unique(row_bytes.reshape(-1), return_index=True, return_inverse=True)
        local = np.empty(len(first), dtype=np.int64)
        for j, i in enumerate(members[first].tolist()):
            text = phrase(name, i)
            local[j] = known.setdefault(text, len(texts))
            if local[j] == len(texts):
                texts.append(text)
        code[members] = local[inverse.reshape(-1)]
    return code
