"""The Lambda entry points of the Task Service (API Gateway REST proxy events).

``handle_read_request`` serves GET /tasks and GET /tasks/{taskId};
``handle_write_request`` serves POST, PUT and DELETE, and hands off each change.

Configuration is validated on a container's first invocation (its cold start), not
at import: both entry points share this module, and the read function's environment
lacks what only the write function needs. A missing or malformed variable fails that
invocation with a ConfigurationError naming the variable.
"""

from __future__ import annotations

import re
import uuid
from functools import cache
from typing import TYPE_CHECKING, Any

from task_service import wiring
from task_service.api import build_resolver, read_router, write_router
from task_service.observability import logger, metrics, tracer

if TYPE_CHECKING:
    from collections.abc import Mapping

    from aws_lambda_powertools.event_handler import APIGatewayRestResolver
    from aws_lambda_powertools.utilities.typing import LambdaContext

CORRELATION_HEADER = "X-Correlation-Id"
# What a client may send as its correlation id: 1-128 visible ASCII characters, so
# that it fits the event's correlationid and cannot forge log structure.
_CLIENT_CORRELATION_ID = re.compile(r"[\x21-\x7e]{1,128}")


@cache
def _read_resolver() -> APIGatewayRestResolver:
    return build_resolver(read_router)


@cache
def _write_resolver() -> APIGatewayRestResolver:
    return build_resolver(write_router)


def correlation_id_of(event: Mapping[str, Any]) -> str:
    """The client's X-Correlation-Id when valid, else API Gateway's request id."""
    headers = event.get("headers") or {}
    for name, value in headers.items():
        if name.lower() == CORRELATION_HEADER.lower() and isinstance(value, str):
            if _CLIENT_CORRELATION_ID.fullmatch(value):
                return value
            break
    request_id = (event.get("requestContext") or {}).get("requestId")
    if isinstance(request_id, str) and 0 < len(request_id) <= 128:
        return request_id
    return str(uuid.uuid4())  # only events not from API Gateway lack one


def _answer(
    app: APIGatewayRestResolver, event: dict[str, Any], context: LambdaContext
) -> dict[str, Any]:
    correlation_id = correlation_id_of(event)
    logger.set_correlation_id(correlation_id)

    response = app.resolve(event, context)

    headers = response.setdefault("multiValueHeaders", {})
    headers[CORRELATION_HEADER] = [correlation_id]
    return response


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def handle_read_request(
    event: dict[str, Any], context: LambdaContext
) -> dict[str, Any]:
    """Serve GET /tasks and GET /tasks/{taskId}."""
    wiring.task_queries()  # the first call reads and validates the configuration
    return _answer(_read_resolver(), event, context)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def handle_write_request(
    event: dict[str, Any], context: LambdaContext
) -> dict[str, Any]:
    """Serve POST /tasks, PUT and DELETE /tasks/{taskId}; hand off each change."""
    wiring.task_commands()  # the first call reads and validates the configuration
    try:
        return _answer(_write_resolver(), event, context)
    finally:
        # Flushed by hand rather than with log_metrics: a rejected request records no
        # metric, and an empty flush would warn on every such request.
        if metrics.metric_set:
            metrics.flush_metrics()
