"""Every scoring table and threshold in one validated, immutable settings object.

Weights, vertical table, size tiers, grade target shares, segment thresholds,
high-value cutoff and the scores for unknown industry / unknown revenue all live
here (docs/scoring.md). Constructing an object validates it; a bad value raises
:class:`~icp_xl.core.errors.IcpError` with a sentence that names it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from types import MappingProxyType

from icp_xl.core.errors import IcpError
from icp_xl.core.inputs.industries import DEFAULT_INDUSTRY_MAP, industry_key, industry_label

COMPONENTS: tuple[str, ...] = ("vertical", "size", "adoption", "relationship")
GRADES: tuple[str, ...] = ("F", "D", "C", "B", "A")
SEGMENTS: tuple[str, ...] = ("Small Business", "Mid-Market", "Large Enterprise")
WEIGHT_SUM_TOLERANCE = 0.01


def check_unit_interval(value: float, name: str) -> float:
    """``value`` as a float if it is a finite number in [0, 1]; else IcpError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise IcpError(f"{name} must be a number between 0 and 1, got {value!r}")
    if not 0.0 <= value <= 1.0:
        raise IcpError(f"{name} must be between 0 and 1, got {value}")
    return float(value)


@dataclass(frozen=True)
class Weights:
    """The four component weights, each in [0, 1], summing to 1 within 0.01."""

    vertical: float = 0.30
    size: float = 0.30
    adoption: float = 0.20
    relationship: float = 0.20

    def __post_init__(self) -> None:
        for name in COMPONENTS:
            object.__setattr__(
                self, name, check_unit_interval(getattr(self, name), f"The {name} weight")
            )
        total = self.total
        if abs(total - 1.0) > WEIGHT_SUM_TOLERANCE:
            shown = ", ".join(f"{n} {getattr(self, n):g}" for n in COMPONENTS)
            raise IcpError(
                f"The weights must sum to 1 (within {WEIGHT_SUM_TOLERANCE}); "
                f"they sum to {total:.4f} ({shown})"
            )

    @property
    def total(self) -> float:
        """Sum of the four weights."""
        return self.vertical + self.size + self.adoption + self.relationship

    def as_dict(self) -> dict[str, float]:
        """``{"vertical": ..., "size": ..., "adoption": ..., "relationship": ...}``."""
        return {name: getattr(self, name) for name in COMPONENTS}

    @classmethod
    def from_mapping(cls, values: Mapping[str, float]) -> Weights:
        """Build from a mapping keyed by component name, with or without a ``_score`` suffix."""
        found = {}
        for key, value in values.items():
            name = str(key).strip().lower().removesuffix("_score")
            if name in COMPONENTS:
                found[name] = value
        missing = [n for n in COMPONENTS if n not in found]
        if missing:
            raise IcpError(f"Weights are missing for: {', '.join(missing)}")
        return cls(**found)


DEFAULT_WEIGHTS = Weights()


@dataclass(frozen=True)
class SizeTier:
    """Annual revenue ``lower <= r < upper`` (USD; ``upper`` None = no limit) scores ``score``."""

    lower: float
    upper: float | None
    score: float

    def __post_init__(self) -> None:
        if not math.isfinite(self.lower) or self.lower < 0:
            raise IcpError(f"A size tier's lower bound must be 0 or more, got {self.lower!r}")
        if self.upper is not None and not self.upper > self.lower:
            raise IcpError(
                f"A size tier's upper bound ({self.upper:,.0f}) must be above its "
                f"lower bound ({self.lower:,.0f})"
            )
        check_unit_interval(self.score, "A size tier's score")


# Tiers are tried in this order, first match wins (as documented, unlike the seed's code,
# where later tiers overwrote earlier ones). A tier with lower 0
# matches every known revenue r > 0 below its upper bound.
DEFAULT_SIZE_TIERS: tuple[SizeTier, ...] = (
    SizeTier(250e6, 1e9, 1.0),
    SizeTier(1e9, None, 0.9),
    SizeTier(50e6, 250e6, 0.6),
    SizeTier(10e6, 50e6, 0.4),
    SizeTier(0.0, 10e6, 0.4),
)

_VERTICAL_GROUPS: dict[float, tuple[str, ...]] = {
    1.0: (
        "aerospace & defense",
        "automotive & transportation",
        "consumer goods",
        "high tech",
        "medical devices & life sciences",
    ),
    0.8: (
        "engineering services",
        "heavy equip & ind. components",
        "industrial machinery",
        "mold, tool & die",
        "other",
    ),
    0.6: (
        "building & construction",
        "chemicals & related products",
        "dental",
        "manufactured products",
        "services",
    ),
    0.4: (
        "education & research",
        "electromagnetic",
        "energy",
        "packaging",
        "plant & process",
        "shipbuilding",
    ),
}
DEFAULT_VERTICAL_TABLE: Mapping[str, float] = MappingProxyType(
    {name: score for score, names in _VERTICAL_GROUPS.items() for name in names}
)
DEFAULT_GRADE_SHARES: Mapping[str, float] = MappingProxyType(
    {"F": 0.10, "D": 0.20, "C": 0.40, "B": 0.20, "A": 0.10}
)


@dataclass(frozen=True)
class Settings:
    """All scoring and segmentation settings, validated on construction.

    Money is in USD; scores and shares are fractions in [0, 1] except
    ``high_value_cutoff``, which is on the 0-100 ICP score scale.
    """

    weights: Weights = DEFAULT_WEIGHTS
    vertical_table: Mapping[str, float] = field(default_factory=lambda: DEFAULT_VERTICAL_TABLE)
    unknown_industry_score: float = 0.3
    neutral_size_score: float = 0.5
    size_tiers: tuple[SizeTier, ...] = DEFAULT_SIZE_TIERS
    grade_shares: Mapping[str, float] = field(default_factory=lambda: DEFAULT_GRADE_SHARES)
    small_business_max: float = 100e6
    mid_market_max: float = 1e9
    high_value_cutoff: float = 70.0
    default_weights: Weights = field(default=DEFAULT_WEIGHTS)
    # Industry map: data spelling -> vertical-table industry. None: the built-in common
    # spellings of the industries the vertical table has.
    industry_map: Mapping[str, str] | None = None

    def __post_init__(self) -> None:
        table, keys = {}, set()
        for name, score in self.vertical_table.items():
            if not isinstance(name, str) or not industry_key(name):
                raise IcpError(f"The vertical table has a blank industry name (score {score!r})")
            if industry_key(name) in keys:
                raise IcpError(f"The vertical table lists industry '{name}' twice")
            keys.add(industry_key(name))
            table[name.strip().lower()] = check_unit_interval(
                score, f"The vertical score of '{name}'"
            )
        object.__setattr__(self, "vertical_table", MappingProxyType(table))
        object.__setattr__(self, "industry_map", MappingProxyType(self._checked_industry_map()))
        check_unit_interval(self.unknown_industry_score, "The unknown-industry score")
        check_unit_interval(self.neutral_size_score, "The neutral size score")
        if not self.size_tiers:
            raise IcpError("At least one size tier is needed")
        object.__setattr__(self, "size_tiers", tuple(self.size_tiers))
        object.__setattr__(
            self, "grade_shares", MappingProxyType(_checked_shares(self.grade_shares))
        )
        for name in ("small_business_max", "mid_market_max"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
                raise IcpError(f"The {name.replace('_', ' ')} threshold must be a positive number")
        if not self.small_business_max < self.mid_market_max:
            raise IcpError(
                f"The Small Business max ({self.small_business_max:,.0f}) must be below "
                f"the Mid-Market max ({self.mid_market_max:,.0f})"
            )
        cutoff = self.high_value_cutoff
        if (
            isinstance(cutoff, bool)
            or not isinstance(cutoff, int | float)
            or not 0 <= cutoff <= 100
        ):
            raise IcpError(
                f"The high-value cutoff must be an ICP score from 0 to 100, got {cutoff!r}"
            )

    @property
    def vertical_keys(self) -> Mapping[str, str]:
        """Matching key (:func:`~icp_xl.core.inputs.industries.industry_key`) -> vertical-table
        key."""
        return _vertical_keys(tuple(self.vertical_table))

    @property
    def vertical_labels(self) -> Mapping[str, str]:
        """Vertical-table key -> the industry name shown for it (title case)."""
        return {key: industry_label(key) for key in self.vertical_table}

    def _checked_industry_map(self) -> dict[str, str]:
        """The industry map: matching key of the spelling -> vertical-table key; spellings
        the vertical table already has are dropped (the table wins)."""
        given = self.industry_map
        strict = given is not None
        checked: dict[str, str] = {}
        for spelling, industry in (DEFAULT_INDUSTRY_MAP if given is None else given).items():
            key = industry_key(spelling)
            target = self.vertical_keys.get(industry_key(industry))
            if not key or key in self.vertical_keys:
                continue
            if target is None:
                if strict:
                    raise IcpError(
                        f"The industry map sends '{spelling}' to '{industry}', which is not "
                        "in the vertical table"
                    )
                continue
            if strict and checked.get(key, target) != target:
                raise IcpError(f"The industry map lists '{spelling}' twice, for two industries")
            checked[key] = target
        return checked

    def with_weights(self, weights: Weights) -> Settings:
        """A copy with other current weights."""
        return replace(self, weights=weights)

    @property
    def grade_cutoffs(self) -> tuple[float, ...]:
        """Upper percentile bounds of F, D, C and B (A takes the rest), e.g. 0.1, 0.3, 0.7, 0.9."""
        bounds, total = [], 0.0
        for grade in GRADES[:-1]:
            total += self.grade_shares[grade]
            bounds.append(round(total, 12))
        return tuple(bounds)


@lru_cache(maxsize=64)
def _vertical_keys(names: tuple[str, ...]) -> Mapping[str, str]:
    return MappingProxyType({industry_key(name): name for name in names})


def _checked_shares(shares: Mapping[str, float]) -> dict[str, float]:
    unknown = set(shares) - set(GRADES)
    if unknown:
        raise IcpError(f"Unknown grade(s) in the grade target shares: {', '.join(sorted(unknown))}")
    missing = [g for g in GRADES if g not in shares]
    if missing:
        raise IcpError(f"Grade target shares are missing for: {', '.join(missing)}")
    checked = {g: check_unit_interval(shares[g], f"The target share of grade {g}") for g in GRADES}
    total = sum(checked.values())
    if abs(total - 1.0) > 1e-6:
        raise IcpError(f"The grade target shares must sum to 1 (100%); they sum to {total:.4f}")
    return checked
