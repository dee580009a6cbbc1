"""Percentiles, summaries, ratios and targets of the benchmark's figures."""

from __future__ import annotations

import math

import pytest

from bench.stats import Summary, Target, percentile, ratio


@pytest.mark.parametrize(
    ("samples", "fraction", "expected"),
    [
        ([5.0], 0.5, 5.0),
        ([5.0], 0.99, 5.0),
        ([1.0, 2.0, 3.0], 0.5, 2.0),
        ([3.0, 1.0, 2.0], 0.5, 2.0),  # order of arrival does not matter
        ([1.0, 2.0, 3.0, 4.0], 0.5, 2.5),  # interpolated between the middle two
        ([1.0, 2.0, 3.0, 4.0], 0.0, 1.0),
        ([1.0, 2.0, 3.0, 4.0], 1.0, 4.0),
        ([float(n) for n in range(1, 102)], 0.99, 100.0),
    ],
)
def test_percentile_interpolates_between_closest_ranks(
    samples: list[float], fraction: float, expected: float
) -> None:
    assert percentile(samples, fraction) == pytest.approx(expected)


def test_percentile_of_no_samples_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^percentile of no samples$"):
        percentile([], 0.5)


@pytest.mark.parametrize("fraction", [-0.1, 1.5])
def test_percentile_outside_zero_to_one_is_refused(fraction: float) -> None:
    with pytest.raises(ValueError, match=r"^fraction must be between 0 and 1, got"):
        percentile([1.0], fraction)


def test_summary_reports_count_median_and_p99() -> None:
    summary = Summary.of([float(n) for n in range(1, 102)])
    assert summary.to_json() == {"n": 101, "p50": 51.0, "p99": 100.0}


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [(23.0, 20.0, 1.15), (0.0, 5.0, 0.0), (1.0, 0.0, math.inf)],
)
def test_ratio_is_infinite_without_a_positive_denominator(
    numerator: float, denominator: float, expected: float
) -> None:
    assert ratio(numerator, denominator) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("target", "value", "met"),
    [
        (Target("at most", 1.15), 1.15, True),
        (Target("at most", 1.15), 1.151, False),
        (Target("at least", 0.5), 0.5, True),
        (Target("at least", 0.5), 0.49, False),
    ],
)
def test_target_includes_its_limit(target: Target, value: float, met: bool) -> None:
    assert target.met_by(value) is met


@pytest.mark.parametrize(
    ("target", "text"),
    [(Target("at most", 1.3), "<= 1.3"), (Target("at least", 0.5), ">= 0.5")],
)
def test_target_reads_as_a_bound(target: Target, text: str) -> None:
    assert str(target) == text
