"""Fault injection outside the service code.

Faults are set per function (by construct id, e.g. ``NotificationFunction``) at
start-up through command-line options, or while the stage runs through the
control endpoint (``PUT {controlUrl}/faults/{function}``). They act where Lambda
itself would misbehave: an attempt fails or times out before the handler runs,
an accepted event is delivered twice, an invoke is refused as throttled, or an
event has waited in the queue before its first attempt.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Literal

AttemptFault = Literal["fail", "timeout"]


@dataclass(frozen=True)
class FaultPlan:
    """What goes wrong for one function.

    Attributes
    ----------
    fail_first
        Fail the function's next N attempts (sync or async) with an error.
    fail_rate
        Fail this fraction of the other attempts (seeded, so runs repeat).
    timeout_first
        Make the next N attempts run into the function's timeout (scaled by the
        time factor, so a test need not wait the real timeout).
    duplicate_rate
        Deliver this fraction of accepted asynchronous events twice.
    throttle
        Refuse every invoke with ``429 TooManyRequestsException``.
    event_age_seconds
        Accepted asynchronous events start this old (AWS seconds, scaled), as if
        they had waited in a backlog.
    """

    fail_first: int = 0
    fail_rate: float = 0.0
    timeout_first: int = 0
    duplicate_rate: float = 0.0
    throttle: bool = False
    event_age_seconds: float = 0.0

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> FaultPlan:
        """Build a plan from its JSON form (snake_case or camelCase keys)."""
        known = {field.name: field for field in fields(cls)}
        values: dict[str, Any] = {}
        for key, value in document.items():
            name = _snake_case(key)
            if name not in known:
                raise ValueError(
                    f"unknown fault {key!r}; expected one of {', '.join(sorted(known))}"
                )
            values[name] = value
        plan = cls(**values)
        plan.validate()
        return plan

    def validate(self) -> None:
        """Reject counts below zero and rates outside [0, 1]."""
        for name in ("fail_first", "timeout_first", "event_age_seconds"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be 0 or more")
        for name in ("fail_rate", "duplicate_rate"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class FaultInjector:
    """The faults of every function; thread-safe, seeded for repeatable runs."""

    def __init__(self, seed: int = 0) -> None:
        self._seed = seed
        self._random = random.Random(seed)  # noqa: S311 - fault sampling, not secrets
        self._plans: dict[str, FaultPlan] = {}
        self._lock = threading.Lock()

    def set(self, function_key: str, plan: FaultPlan) -> None:
        """Replace the faults of one function."""
        with self._lock:
            self._plans[function_key] = plan

    def reset(self) -> None:
        """Clear every fault and restart the random sequence."""
        with self._lock:
            self._plans.clear()
            self._random.seed(self._seed)

    def snapshot(self) -> dict[str, dict[str, Any]]:
        """The plans in force, with the counts still to consume."""
        with self._lock:
            return {key: plan.to_json() for key, plan in self._plans.items()}

    def refuses(self, function_key: str) -> bool:
        """Whether an invoke of the function is refused as throttled."""
        with self._lock:
            return self._plan(function_key).throttle

    def attempt_fault(self, function_key: str) -> AttemptFault | None:
        """The fault, if any, for the function's next attempt (consumes counts)."""
        with self._lock:
            plan = self._plan(function_key)
            if plan.timeout_first:
                self._plans[function_key] = replace(
                    plan, timeout_first=plan.timeout_first - 1
                )
                return "timeout"
            if plan.fail_first:
                self._plans[function_key] = replace(
                    plan, fail_first=plan.fail_first - 1
                )
                return "fail"
            if plan.fail_rate and self._random.random() < plan.fail_rate:
                return "fail"
            return None

    def duplicates(self, function_key: str) -> bool:
        """Whether an accepted asynchronous event is delivered twice."""
        with self._lock:
            rate = self._plan(function_key).duplicate_rate
            return bool(rate) and self._random.random() < rate

    def event_age(self, function_key: str) -> float:
        """How old (in AWS seconds) a newly accepted event is made to be."""
        with self._lock:
            return self._plan(function_key).event_age_seconds

    def _plan(self, function_key: str) -> FaultPlan:
        return self._plans.get(function_key, _NO_FAULTS)


_NO_FAULTS = FaultPlan()


def injected_error(function_key: str) -> dict[str, Any]:
    """The error object of an attempt that an injected failure failed."""
    return {
        "errorType": "InjectedFault",
        "errorMessage": f"The local stage failed this attempt of {function_key}",
        "stackTrace": [],
    }


def _snake_case(name: str) -> str:
    return "".join(f"_{char.lower()}" if char.isupper() else char for char in name)
