"""Fault plans and route matching, without a running stage."""

from __future__ import annotations

import re
from typing import Any

import pytest

from infra.local.faults import FaultInjector, FaultPlan
from infra.local.gateway import RouteMatch, RouteTable
from infra.local.templates import Route

FUNCTION = "NotificationFunction"


def test_counted_faults_are_consumed_timeouts_first() -> None:
    faults = FaultInjector()
    faults.set(FUNCTION, FaultPlan(fail_first=2, timeout_first=1))
    outcomes = [faults.attempt_fault(FUNCTION) for _ in range(4)]
    assert outcomes == ["timeout", "fail", "fail", None]
    assert faults.snapshot()[FUNCTION]["fail_first"] == 0


def test_fail_rate_repeats_with_the_same_seed() -> None:
    def run() -> list[str | None]:
        faults = FaultInjector(seed=7)
        faults.set(FUNCTION, FaultPlan(fail_rate=0.5))
        return [faults.attempt_fault(FUNCTION) for _ in range(20)]

    first = run()
    assert first == run()
    assert 0 < first.count("fail") < 20


def test_reset_clears_every_plan() -> None:
    faults = FaultInjector()
    faults.set(FUNCTION, FaultPlan(throttle=True, duplicate_rate=1.0))
    faults.reset()
    assert (faults.refuses(FUNCTION), faults.duplicates(FUNCTION)) == (False, False)
    assert faults.snapshot() == {}


def test_plan_reads_camel_case_keys() -> None:
    plan = FaultPlan.from_json({"failFirst": 3, "eventAgeSeconds": 60})
    assert plan == FaultPlan(fail_first=3, event_age_seconds=60)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            {"explode": True},
            "unknown fault 'explode'; expected one of duplicate_rate, "
            "event_age_seconds, fail_first, fail_rate, throttle, timeout_first",
        ),
        ({"fail_rate": 1.5}, "fail_rate must be between 0 and 1"),
        ({"fail_first": -1}, "fail_first must be 0 or more"),
    ],
)
def test_invalid_plans_are_refused_with_the_reason(
    document: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        FaultPlan.from_json(document)


ROUTES = RouteTable(
    [
        Route("GET", "/tasks", "Read"),
        Route("GET", "/tasks/{taskId}", "Read"),
        Route("PUT", "/tasks/{taskId}", "Write"),
        Route("GET", "/tasks/summary", "Summary"),
        Route("ANY", "/files/{path+}", "Files"),
    ]
)


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/tasks", RouteMatch(Route("GET", "/tasks", "Read"), {})),
        (
            "GET",
            "/tasks/a%20b",
            RouteMatch(Route("GET", "/tasks/{taskId}", "Read"), {"taskId": "a b"}),
        ),
        (
            "GET",
            "/tasks/summary",
            RouteMatch(Route("GET", "/tasks/summary", "Summary"), {}),
        ),
        (
            "DELETE",
            "/files/a/b.txt",
            RouteMatch(Route("ANY", "/files/{path+}", "Files"), {"path": "a/b.txt"}),
        ),
        ("DELETE", "/tasks/1", ["GET", "PUT"]),
        ("GET", "/tasks/1/extra", None),
        ("GET", "/", None),
    ],
)
def test_routes_match_like_api_gateway(
    method: str, path: str, expected: RouteMatch | list[str] | None
) -> None:
    assert ROUTES.match(method, path) == expected
