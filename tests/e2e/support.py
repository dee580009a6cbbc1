"""Helpers for tests that talk to a running local stage over HTTP."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from infra.local.stage import StageOutputs

T = TypeVar("T")


@dataclass(frozen=True)
class Answer:
    """An HTTP answer: status, headers (lower-case names) and the parsed JSON body."""

    status: int
    headers: Mapping[str, str]
    body: Any


def call(
    method: str, url: str, body: Any = None, headers: Mapping[str, str] | None = None
) -> Answer:
    """Send one request; a JSON body is encoded, an error status is returned."""
    data = None if body is None else json.dumps(body).encode()
    all_headers = {"Content-Type": "application/json"} if data is not None else {}
    request = urllib.request.Request(  # noqa: S310 - 127.0.0.1 URLs of the stage
        url, data=data, method=method, headers={**all_headers, **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            raw, status, got = response.read(), response.status, response.headers
    except urllib.error.HTTPError as error:
        raw, status, got = error.read(), error.code, error.headers
        error.close()
    return Answer(
        status=status,
        headers={name.lower(): value for name, value in got.items()},
        body=json.loads(raw) if raw else None,
    )


def wait_for(
    probe: Callable[[], T | None], *, timeout: float = 30.0, what: str = "a condition"
) -> T:
    """Poll ``probe`` until it returns something; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found is not None:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what} after {timeout} s")
        time.sleep(0.05)


def wait_until_idle(outputs: StageOutputs, *, timeout: float = 30.0) -> None:
    """Wait until the async queue holds no event and runs no attempt."""

    def idle() -> bool | None:
        return call("GET", f"{outputs.control_url}/queue").body["idle"] or None

    wait_for(idle, timeout=timeout, what="the async queue to drain")


def set_faults(outputs: StageOutputs, function: str, **plan: Any) -> None:
    """Replace a function's faults through the control endpoint."""
    answer = call("PUT", f"{outputs.control_url}/faults/{function}", plan)
    assert answer.status == 200, answer


def reset_faults(outputs: StageOutputs) -> None:
    assert call("DELETE", f"{outputs.control_url}/faults").status == 200


def stats(outputs: StageOutputs, function: str) -> dict[str, int]:
    """The control endpoint's counts for one function."""
    counts: dict[str, int] = call("GET", f"{outputs.control_url}/stats").body[function]
    return counts
