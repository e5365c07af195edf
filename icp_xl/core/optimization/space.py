"""The feasible weights: four weights summing to 1 inside business bounds, and a one-to-one
map onto them from the unit cube, so that every search trial is a feasible weight vector."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from icp_xl.core.errors import IcpError
from icp_xl.core.model.settings import COMPONENTS

FEASIBILITY_TOLERANCE = 1e-9


@dataclass(frozen=True)
class WeightBounds:
    """Business bounds (lower, upper) per weight, applied after normalizing to sum 1."""

    vertical: tuple[float, float] = (0.10, 0.40)
    size: tuple[float, float] = (0.10, 0.40)
    adoption: tuple[float, float] = (0.10, 0.40)
    relationship: tuple[float, float] = (0.15, 0.40)

    def as_dict(self) -> dict[str, list[float]]:
        """``{"vertical": [lower, upper], ...}`` for metadata."""
        return {name: list(getattr(self, name)) for name in COMPONENTS}


class FeasibleWeights:
    """The feasible weight set: 4-vectors summing to 1 inside the bounds (size = 0 when
    ``include_size`` is false), and a one-to-one map onto it from the unit cube.

    The map fixes the free weights one at a time in component order: each takes
    the fraction ``u_i`` of the interval still feasible given those before it; the
    last free weight is what remains. So ``dimension`` = free weights - 1.
    Raises IcpError if a bound is outside [0, 1], reversed, or no weights fit.
    """

    def __init__(self, bounds: WeightBounds | None = None, include_size: bool = True):
        bounds = bounds or WeightBounds()
        self.bounds = bounds
        self.include_size = include_size
        lower, upper = [], []
        for name in COMPONENTS:
            low, high = (float(v) for v in getattr(bounds, name))
            if not (0.0 <= low <= high <= 1.0):
                raise IcpError(
                    f"The {name} weight bounds must satisfy 0 <= lower <= upper <= 1, "
                    f"got [{low:g}, {high:g}]"
                )
            if name == "size" and not include_size:
                low = high = 0.0
            lower.append(low)
            upper.append(high)
        self.lower = np.array(lower)
        self.upper = np.array(upper)
        self.free = tuple(i for i, name in enumerate(COMPONENTS) if include_size or name != "size")
        low_sum, high_sum = self.lower.sum(), self.upper.sum()
        if low_sum > 1.0 + FEASIBILITY_TOLERANCE or high_sum < 1.0 - FEASIBILITY_TOLERANCE:
            shown = ", ".join(
                f"{COMPONENTS[i]} [{self.lower[i]:g}, {self.upper[i]:g}]" for i in self.free
            )
            raise IcpError(
                f"No weights summing to 1 fit the bounds ({shown}"
                f"{'' if include_size else ', size 0'}): the lower bounds sum to "
                f"{low_sum:g} and the upper bounds to {high_sum:g}"
            )

    @property
    def dimension(self) -> int:
        """Number of unit-cube parameters (free weights minus one)."""
        return len(self.free) - 1

    def from_unit(self, u: Sequence[float]) -> np.ndarray:
        """Map ``u`` in [0, 1]^dimension to feasible weights (vertical, size, adoption,
        relationship)."""
        if len(u) != self.dimension:
            raise ValueError(f"expected {self.dimension} unit parameters, got {len(u)}")
        w = self.lower.copy()
        remaining = 1.0
        for k, i in enumerate(self.free[:-1]):
            low, high = self._interval(k, remaining)
            w[i] = low + min(max(float(u[k]), 0.0), 1.0) * (high - low)
            remaining -= w[i]
        last = self.free[-1]
        w[last] = min(max(remaining, self.lower[last]), self.upper[last])
        return w

    def to_unit(self, w: Sequence[float]) -> np.ndarray:
        """Inverse of :meth:`from_unit` for a feasible ``w`` (0 where an interval is a point)."""
        u = np.zeros(self.dimension)
        remaining = 1.0
        for k, i in enumerate(self.free[:-1]):
            low, high = self._interval(k, remaining)
            u[k] = 0.0 if high - low <= 0 else min(max((w[i] - low) / (high - low), 0.0), 1.0)
            remaining -= w[i]
        return u

    def _interval(self, k: int, remaining: float) -> tuple[float, float]:
        """Feasible range of the k-th free weight given ``remaining`` = 1 - earlier weights."""
        i, later = self.free[k], list(self.free[k + 1 :])
        low = max(self.lower[i], remaining - self.upper[later].sum())
        high = min(self.upper[i], remaining - self.lower[later].sum())
        return low, max(low, high)

    def contains(self, w: Sequence[float], tolerance: float = FEASIBILITY_TOLERANCE) -> bool:
        """True when ``w`` sums to 1 and lies inside the bounds (within ``tolerance``)."""
        w = np.asarray(w, dtype=float)
        return bool(
            abs(w.sum() - 1.0) <= tolerance
            and np.all(w >= self.lower - tolerance)
            and np.all(w <= self.upper + tolerance)
        )

    def grid(self, step: float) -> np.ndarray:
        """Every feasible weight vector whose weights are multiples of ``step`` (1/step an
        integer, e.g. 0.005): an (m, 4) array, for exhaustive search."""
        units = round(1.0 / step)
        if not math.isclose(units * step, 1.0):
            raise ValueError("1/step must be an integer")
        low = np.ceil(self.lower * units - 1e-9).astype(int)
        high = np.floor(self.upper * units + 1e-9).astype(int)
        axes = [np.arange(low[i], high[i] + 1) for i in self.free[:-1]]
        mesh = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, len(axes))
        last_value = units - mesh.sum(axis=1)
        last = self.free[-1]
        keep = (last_value >= low[last]) & (last_value <= high[last])
        counts = np.zeros((int(keep.sum()), len(COMPONENTS)), dtype=int)
        counts[:, list(self.free[:-1])] = mesh[keep]
        counts[:, last] = last_value[keep]
        return counts / units
