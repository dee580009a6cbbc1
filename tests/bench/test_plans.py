"""How the benchmarks order their variants and turn raw samples into figures."""

from __future__ import annotations

import os

import pytest

from bench.cold_start import Variant, cost_by_package, run_once
from bench.handoff_latency import OFF, ON, abba_order, delivery_delays_ms
from bench.run import evaluate
from bench.throughput import API, API_OFF, PUT, Round, ThroughputResult, round_order


def test_abba_order_alternates_which_variant_leads() -> None:
    assert abba_order(3) == [ON, OFF, OFF, ON, ON, OFF]


def test_round_order_rotates_which_variant_leads() -> None:
    assert round_order(3) == [
        *(API, API_OFF, PUT),
        *(API_OFF, PUT, API),
        *(PUT, API, API_OFF),
    ]


def test_round_order_of_two_variants_alternates() -> None:
    assert round_order(2, (API, PUT)) == [API, PUT, PUT, API]


def test_delivery_delay_is_publish_minus_send_for_delivered_tasks() -> None:
    delays, undelivered = delivery_delays_ms(
        {"a": 100.0, "b": 200.0, "c": 300.0}, {"a": 100.25, "b": 200.5}
    )
    assert delays == pytest.approx([250.0, 500.0])
    assert undelivered == 1


def test_throughput_ratio_uses_total_operations_over_total_time() -> None:
    result = ThroughputResult(
        clients=8,
        rounds=(
            Round(API, operations=100, seconds=10.0, drain_seconds=10.0),
            Round(PUT, operations=300, seconds=10.0),
            Round(PUT, operations=100, seconds=10.0),
            Round(API, operations=100, seconds=10.0, drain_seconds=0.0),
        ),
    )
    assert result.rate(API) == pytest.approx(10.0)
    assert result.rate(PUT) == pytest.approx(20.0)
    assert result.api_ratio == pytest.approx(0.5)
    assert result.end_to_end_ratio == pytest.approx(200 / 30 / 20)


IMPORTTIME = """\
import time: self [us] | cumulative | imported package
import time:      1000 |       1000 |   _io
import time:       500 |        500 |     botocore.compat
import time:      2500 |       3000 |   botocore
import time:      4000 |       4000 |   pydantic
"""


def test_import_cost_sums_self_time_per_top_level_package() -> None:
    assert cost_by_package(IMPORTTIME) == [
        ("pydantic", 4.0),
        ("botocore", 3.0),
        ("_io", 1.0),
    ]


def _results(p50_ratio: float, throughput_ratio: float) -> dict[str, object]:
    return {
        "handoff": {"p50Ratio": p50_ratio, "p99Ratio": 1.0},
        "throughput": {"ratio": throughput_ratio},
        "coldStart": {"handlers": {"TaskWriteFunction": {"ratio": 1.4}}},
        "assets": [{"kind": "task", "unzippedMb": 12.0}],
    }


def test_evaluate_marks_each_target_met_or_missed() -> None:
    evaluated = evaluate(_results(p50_ratio=1.2, throughput_ratio=0.5))
    assert {name: target["met"] for name, target in evaluated.items()} == {
        "handoff_p50_ratio": False,
        "handoff_p99_ratio": True,
        "throughput_ratio": True,
        "cold_start_ratio:TaskWriteFunction": False,
        "asset_mb:task": True,
    }
    assert evaluated["handoff_p50_ratio"] == {
        "value": 1.2,
        "target": "<= 1.15",
        "met": False,
    }


def test_cold_start_sample_holds_its_phases() -> None:
    environment = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": "services:."}
    variant = Variant("json", ("import json", "json.dumps({})"), environment)

    sample, errors = run_once(variant)

    assert errors == ""
    assert sample.import_ms > 0
    assert sample.init_ms > 0
    assert sample.import_ms + sample.init_ms < sample.ready_ms
