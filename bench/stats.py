"""Summaries of timing samples: percentiles, ratios and targets."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal


def percentile(samples: Sequence[float], fraction: float) -> float:
    """The ``fraction`` quantile by linear interpolation between closest ranks.

    Raises
    ------
    ValueError
        When there are no samples or ``fraction`` lies outside [0, 1].
    """
    if not samples:
        raise ValueError("percentile of no samples")
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction must be between 0 and 1, got {fraction}")
    ordered = sorted(samples)
    position = fraction * (len(ordered) - 1)
    below = math.floor(position)
    above = math.ceil(position)
    weight = position - below
    return ordered[below] + (ordered[above] - ordered[below]) * weight


@dataclass(frozen=True)
class Summary:
    """The p50, p99 and count of one set of samples (in the samples' unit)."""

    n: int
    p50: float
    p99: float

    @classmethod
    def of(cls, samples: Sequence[float]) -> Summary:
        return cls(
            n=len(samples),
            p50=percentile(samples, 0.5),
            p99=percentile(samples, 0.99),
        )

    def to_json(self) -> dict[str, float]:
        return {"n": self.n, "p50": self.p50, "p99": self.p99}


@dataclass(frozen=True)
class Target:
    """A bound a measured figure must respect: ``at most`` or ``at least``."""

    bound: Literal["at most", "at least"]
    limit: float

    def met_by(self, value: float) -> bool:
        if self.bound == "at most":
            return value <= self.limit
        return value >= self.limit

    def __str__(self) -> str:
        sign = "<=" if self.bound == "at most" else ">="
        return f"{sign} {self.limit:g}"


def ratio(numerator: float, denominator: float) -> float:
    """``numerator / denominator``; infinite when the denominator is not positive."""
    return numerator / denominator if denominator > 0 else math.inf
