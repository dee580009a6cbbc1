"""The handlers the benchmark's stage runs: the real ones, timed, and a handoff switch.

The benchmark's copy of the templates names these wrappers instead of the services'
handlers (see :func:`bench.stage.instrument`); the services' code is unchanged.

* Each wrapper prints one ``BENCH-REPORT`` line per invocation with the handler's
  duration, as Lambda's ``REPORT`` line would, for the stage's log sink to collect;
  the write handler adds the time its ``invoke`` call took (the handoff's own cost).
* ``handle_write_request`` skips the handoff's invoke for a request that carries
  ``X-Bench-Handoff: off``: botocore's ``before-call`` hook answers the Lambda
  ``Invoke`` with a 202 before anything is sent. Everything else of that request
  (validation, the DynamoDB write, building and serialising the event, the
  response) runs as usual, so the two variants differ by the handoff alone.
"""

from __future__ import annotations

import contextvars
import functools
import json
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any

from botocore.awsrequest import AWSResponse, HTTPHeaders

HANDOFF_HEADER = "X-Bench-Handoff"
REPORT_PREFIX = "BENCH-REPORT "
ACCEPTED = 202

_skip_handoff: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "skip_handoff", default=False
)
# Time spent in the Lambda client's invoke() during the current request (ms).
_invoke_ms: contextvars.ContextVar[float] = contextvars.ContextVar(
    "invoke_ms", default=0.0
)

Handler = Callable[[Any, Any], Any]


def handoff_requested_off(event: Mapping[str, Any]) -> bool:
    """Whether an API Gateway event asks for the handoff to be skipped."""
    headers = event.get("headers") or {}
    return any(
        name.lower() == HANDOFF_HEADER.lower() and str(value).lower() == "off"
        for name, value in headers.items()
    )


def _accept_without_sending(**_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:  # noqa: ANN401 - botocore's hook keywords
    if not _skip_handoff.get():
        return None  # botocore goes on and sends the invoke
    metadata = {"RequestId": "", "HTTPStatusCode": ACCEPTED, "HTTPHeaders": {}}
    http = AWSResponse("", ACCEPTED, HTTPHeaders(), None)
    return http, {"StatusCode": ACCEPTED, "ResponseMetadata": metadata}


# Each worker imports only its own service, as its Lambda asset would hold only that.
# ruff: noqa: PLC0415


@functools.cache
def _install_switch() -> None:
    from task_service import wiring

    client = wiring.lambda_client()
    client.meta.events.register(
        "before-call.lambda.Invoke",
        # The stubs type every hook as returning None; before-call hooks may answer.
        _accept_without_sending,  # type: ignore[arg-type]
    )
    invoke = client.invoke

    def timed_invoke(**parameters: Any) -> Any:  # noqa: ANN401 - the client's own types
        started = time.perf_counter()
        try:
            return invoke(**parameters)
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            _invoke_ms.set(_invoke_ms.get() + elapsed)

    # Shadowing the method on this one client times the whole call, as the
    # handler waits for it (signing, the HTTP round trip, parsing).
    client.invoke = timed_invoke  # type: ignore[method-assign]


def _report(series: dict[str, float]) -> None:
    rounded = {name: round(value, 3) for name, value in series.items()}
    sys.stdout.write(f"{REPORT_PREFIX}{json.dumps(rounded)}\n")
    sys.stdout.flush()


def _since(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def handle_write_request(event: dict[str, Any], context: Any) -> dict[str, Any]:  # noqa: ANN401 - Lambda's context
    """The Task write handler, timed, with the handoff switch."""
    from task_service import handlers

    started = time.perf_counter()
    _install_switch()
    off = handoff_requested_off(event)
    skip, spent = _skip_handoff.set(off), _invoke_ms.set(0.0)
    try:
        answer: dict[str, Any] = handlers.handle_write_request(event, context)
        return answer
    finally:
        if off:
            _report({"write, handoff off": _since(started)})
        else:
            _report({"write": _since(started), "invoke call": _invoke_ms.get()})
        _skip_handoff.reset(skip)
        _invoke_ms.reset(spent)


def handle_read_request(event: dict[str, Any], context: Any) -> dict[str, Any]:  # noqa: ANN401 - Lambda's context
    """The Task read handler, timed."""
    from task_service import handlers

    started = time.perf_counter()
    try:
        answer: dict[str, Any] = handlers.handle_read_request(event, context)
        return answer
    finally:
        _report({"read": _since(started)})


def handle_handoff_event(event: object, context: Any) -> dict[str, str]:  # noqa: ANN401 - Lambda's context
    """The Notification handler, timed."""
    from notification_service import handler

    started = time.perf_counter()
    try:
        outcome: dict[str, str] = handler.handle_handoff_event(event, context)
        return outcome
    finally:
        _report({"notification": _since(started)})


# The services' handler strings and the wrapper that replaces each in the bench stage.
WRAPPERS: Mapping[str, str] = {
    "task_service.handlers.handle_write_request": f"{__name__}.handle_write_request",
    "task_service.handlers.handle_read_request": f"{__name__}.handle_read_request",
    "notification_service.handler.handle_handoff_event": (
        f"{__name__}.handle_handoff_event"
    ),
}
