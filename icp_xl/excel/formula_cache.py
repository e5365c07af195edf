"""The formulas' caches: results kept per distinct range *content* (not address), so a
recalculation that changes only the weights redoes only what depends on them."""

from __future__ import annotations

import itertools
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from typing import Any

from icp_xl.core.model.settings import Settings

_CACHE_SIZE = 8
_MISSING = object()


class ContentCache:
    """A small least-recently-used cache with hit and miss counters."""

    def __init__(self, size: int = _CACHE_SIZE) -> None:
        self.size = size
        self.hits = 0
        self.misses = 0
        self._items: OrderedDict[Hashable, Any] = OrderedDict()

    def get(self, key: Hashable, make: Callable[[], Any]) -> Any:
        """The value stored under ``key``, made with ``make()`` on a miss."""
        value = self._items.get(key, _MISSING)
        if value is not _MISSING:
            self._items.move_to_end(key)
            self.hits += 1
            return value
        value = make()
        self.misses += 1
        self._items[key] = value
        if len(self._items) > self.size:
            self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        """Forget every value and reset the counters."""
        self._items.clear()
        self.hits = self.misses = 0


#: The caches, by what they hold: prepared accounts, components, spilled tables,
#: reference raw scores per weights, grades of a score range, calibrations read from a
#: calibration range.
CACHES: dict[str, ContentCache] = {
    name: ContentCache()
    for name in ("accounts", "components", "tables", "raw", "grades", "calibrations")
}


def cache_info() -> dict[str, tuple[int, int]]:
    """``{cache name: (hits, misses)}`` since the last :func:`clear_caches`."""
    return {name: (cache.hits, cache.misses) for name, cache in CACHES.items()}


def clear_caches() -> None:
    """Empty every formula cache (the next calls compute from scratch)."""
    for cache in CACHES.values():
        cache.clear()


class ContentKey:
    """An exact, hashable key of a range's values, hashed once.

    Equal keys mean equal cells: TRUE/FALSE cells are recorded apart, so that a
    TRUE is not taken for a 1 (Python's ``True == 1``).
    """

    __slots__ = ("_hash", "_values")

    def __init__(self, rows: Sequence[Sequence[Any]]) -> None:
        values: tuple[Any, ...] = tuple(map(tuple, rows))
        if bool in set(map(type, itertools.chain.from_iterable(values))):
            flags = tuple(
                (i, j)
                for i, row in enumerate(values)
                for j, cell in enumerate(row)
                if isinstance(cell, bool)
            )
            values = (*values, ("booleans at", flags))
        self._values = values
        self._hash = hash(values)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, ContentKey)
            and self._hash == other._hash
            and self._values == other._values
        )


def components_key(settings: Settings) -> Hashable:
    """A hashable key of the settings the component scores depend on."""
    return (
        tuple(sorted(settings.vertical_table.items())),
        tuple(sorted(settings.industry_map.items())),
        settings.unknown_industry_score,
        settings.size_tiers,
        settings.neutral_size_score,
    )


def settings_key(settings: Settings) -> Hashable:
    """A hashable key of the settings the formulas take from cells."""
    return (
        settings.weights,
        components_key(settings),
        tuple(settings.grade_shares.items()),
        settings.small_business_max,
        settings.mid_market_max,
    )
