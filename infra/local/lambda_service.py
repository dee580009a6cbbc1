"""The local Lambda service: the Invoke API, the async queue, the control endpoint.

It speaks enough of the Lambda API for a plain boto3 ``lambda`` client:
``POST /2015-03-31/functions/{name}/invocations`` with ``X-Amz-Invocation-Type``
``RequestResponse`` (200, the result, ``X-Amz-Function-Error: Unhandled`` when the
handler raised), ``Event`` (202, queued) or ``DryRun`` (204); refused invokes
answer 429 ``TooManyRequestsException`` and unknown functions 404
``ResourceNotFoundException``, in the error shape botocore parses.

Under ``/_local`` it serves the stage's control endpoint: ``GET /_local/health``,
``GET /_local/queue`` (events waiting or running), ``GET /_local/stats`` (counts
per function), ``GET|DELETE /_local/faults`` and ``PUT /_local/faults/{function}``.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import uuid
from collections import Counter
from collections.abc import Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from infra.local.async_queue import AsyncEventQueue, QueuedEvent, RecordWriter
from infra.local.faults import FaultInjector, FaultPlan, injected_error
from infra.local.runtime import FunctionRuntime, InvocationResult
from infra.local.servers import (
    HOST,
    BackgroundServer,
    LocalHTTPServer,
    raise_bind_error,
)
from infra.local.templates import FunctionSpec, StageDescription

logger = logging.getLogger(__name__)

_INVOKE_PATH = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations$")
_FAULT_PATH = re.compile(r"^/_local/faults/(?P<name>[^/]+)$")

# Lambda accepts up to 6 MB synchronously and 1 MB for an asynchronous event.
MAX_SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024
MAX_ASYNC_PAYLOAD_BYTES = 1024 * 1024


class InvokeRefusedError(Exception):
    """The function's invoke was throttled (an injected fault)."""


class LambdaService:
    """Invoke the stage's functions synchronously or through the async queue."""

    def __init__(
        self,
        stage: StageDescription,
        runtimes: Mapping[str, FunctionRuntime],
        faults: FaultInjector,
        write_record: RecordWriter,
        *,
        time_factor: float,
    ) -> None:
        self.stage = stage
        self.faults = faults
        self._runtimes = runtimes
        self._factor = time_factor
        self._counts: dict[str, Counter[str]] = {key: Counter() for key in runtimes}
        self._counts_lock = threading.Lock()
        self.queue = AsyncEventQueue(
            self._run_attempt, write_record, time_factor=time_factor
        )

    def stats(self) -> dict[str, dict[str, int]]:
        """Per function: invokes accepted or refused, attempts, failed attempts."""
        with self._counts_lock:
            return {key: dict(counts) for key, counts in self._counts.items()}

    def _count(self, function: FunctionSpec, what: str) -> None:
        with self._counts_lock:
            self._counts[function.key][what] += 1

    def find(self, reference: str) -> FunctionSpec | None:
        """A function by name, ARN or construct id."""
        return self.stage.function_by_reference(reference)

    def invoke(self, function: FunctionSpec, event: Any) -> InvocationResult:  # noqa: ANN401 - any JSON value
        """Run one synchronous invocation.

        Raises
        ------
        InvokeRefusedError
            When the function's invokes are being refused.
        """
        if self.faults.refuses(function.key):
            self._count(function, "refused")
            raise InvokeRefusedError(function.key)
        return self._attempt(function, event, str(uuid.uuid4()))

    def invoke_async(self, function: FunctionSpec, event: Any) -> str:  # noqa: ANN401 - any JSON value
        """Accept an event for asynchronous invocation; returns its request id."""
        if self.faults.refuses(function.key):
            self._count(function, "refused")
            raise InvokeRefusedError(function.key)
        request_id = str(uuid.uuid4())
        age = self.faults.event_age(function.key)
        self._count(function, "accepted")
        self.queue.enqueue(function, event, request_id, age_seconds=age)
        if self.faults.duplicates(function.key):
            self._count(function, "duplicated")
            self.queue.enqueue(function, event, request_id, age_seconds=age)
        logger.debug("%s accepted event %s", function.key, request_id)
        return request_id

    def _run_attempt(self, event: QueuedEvent) -> InvocationResult:
        return self._attempt(event.function, event.payload, event.request_id)

    def _attempt(
        self,
        function: FunctionSpec,
        event: Any,  # noqa: ANN401 - any JSON value
        request_id: str,
    ) -> InvocationResult:
        fault = self.faults.attempt_fault(function.key)
        if fault == "fail":
            result = InvocationResult(
                request_id, injected_error(function.key), "Unhandled"
            )
        else:
            runtime = self._runtimes[function.key]
            if fault == "timeout":
                # Scaled, so that an injected timeout costs a test little time.
                limit = max(function.timeout_seconds * self._factor, 0.05)
                result = runtime.invoke(event, request_id, hold=True, time_limit=limit)
            else:
                result = runtime.invoke(event, request_id)
        self._count(function, "attempts")
        if result.failed:
            self._count(function, "failures")
            logger.info(
                "%s: request %s failed: %s: %s",
                function.key,
                request_id,
                result.payload.get("errorType"),
                result.payload.get("errorMessage"),
            )
        return result


def start_lambda_server(port: int) -> tuple[BackgroundServer, _LambdaHttpServer]:
    """Bind the Lambda API to 127.0.0.1; attach a service before :meth:`start`."""
    try:
        server = _LambdaHttpServer((HOST, port), _LambdaRequestHandler)
    except OSError as error:
        raise_bind_error(error, "local Lambda service", port, "--lambda-port")
    return BackgroundServer(server, "lambda-service"), server


class _LambdaHttpServer(LocalHTTPServer):
    service: LambdaService | None = None


class _LambdaRequestHandler(BaseHTTPRequestHandler):
    server: _LambdaHttpServer
    protocol_version = "HTTP/1.1"

    @property
    def service(self) -> LambdaService:
        assert self.server.service is not None  # noqa: S101 - set before serving
        return self.server.service

    def log_message(self, format: str, *args: Any) -> None:  # noqa: ANN401 - the base signature
        logger.debug("lambda %s", format % args)

    # ------------------------------------------------------------ routing

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        body = self._body()
        match = _INVOKE_PATH.match(url.path)
        if match is None:
            self._unknown_operation()
            return
        self._invoke(unquote(match["name"]), parse_qs(url.query), body)

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path == "/_local/health":
            self._json(HTTPStatus.OK, {"status": "ok"})
        elif path == "/_local/queue":
            stats = self.service.queue.stats()
            self._json(
                HTTPStatus.OK,
                {
                    "pending": stats.pending,
                    "inFlight": stats.in_flight,
                    "idle": stats.idle,
                },
            )
        elif path == "/_local/stats":
            self._json(HTTPStatus.OK, self.service.stats())
        elif path == "/_local/faults":
            self._json(HTTPStatus.OK, self.service.faults.snapshot())
        else:
            self._unknown_operation()

    def do_PUT(self) -> None:
        body = self._body()
        match = _FAULT_PATH.match(urlsplit(self.path).path)
        if match is None:
            self._unknown_operation()
            return
        function = self.service.find(unquote(match["name"]))
        if function is None:
            self._function_not_found(unquote(match["name"]))
            return
        try:
            plan = FaultPlan.from_json(json.loads(body or b"{}"))
        except (ValueError, TypeError) as error:
            self._json(HTTPStatus.BAD_REQUEST, {"message": str(error)})
            return
        self.service.faults.set(function.key, plan)
        logger.info("faults of %s: %s", function.key, plan.to_json())
        self._json(HTTPStatus.OK, {function.key: plan.to_json()})

    def do_DELETE(self) -> None:
        self._body()
        if urlsplit(self.path).path != "/_local/faults":
            self._unknown_operation()
            return
        self.service.faults.reset()
        self._json(HTTPStatus.OK, {})

    # ------------------------------------------------------------ Invoke

    def _invoke(self, name: str, query: Mapping[str, list[str]], body: bytes) -> None:
        qualifier = query.get("Qualifier", ["$LATEST"])[0]
        function = self.service.find(name)
        if function is None or qualifier != "$LATEST":
            self._function_not_found(
                name if qualifier == "$LATEST" else f"{name}:{qualifier}"
            )
            return
        invocation_type = self.headers.get("X-Amz-Invocation-Type", "RequestResponse")
        limit = (
            MAX_ASYNC_PAYLOAD_BYTES
            if invocation_type == "Event"
            else MAX_SYNC_PAYLOAD_BYTES
        )
        if len(body) > limit:
            message = (
                f"Request must be smaller than {limit} bytes "
                f"for the {invocation_type} invocation type"
            )
            self._error(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "RequestTooLargeException", message
            )
            return
        try:
            event = json.loads(body) if body else {}
        except ValueError as error:
            message = f"Could not parse request body into json: {error}"
            self._error(
                HTTPStatus.BAD_REQUEST, "InvalidRequestContentException", message
            )
            return

        try:
            if invocation_type == "DryRun":
                self._send(HTTPStatus.NO_CONTENT, b"", {})
            elif invocation_type == "Event":
                request_id = self.service.invoke_async(function, event)
                self._send(HTTPStatus.ACCEPTED, b"", {"x-amzn-RequestId": request_id})
            elif invocation_type == "RequestResponse":
                self._respond(self.service.invoke(function, event))
            else:
                message = f"Unsupported invocation type {invocation_type!r}"
                self._error(
                    HTTPStatus.BAD_REQUEST, "InvalidParameterValueException", message
                )
        except InvokeRefusedError:
            self._error(
                HTTPStatus.TOO_MANY_REQUESTS,
                "TooManyRequestsException",
                "Rate Exceeded.",
                Reason="ReservedFunctionConcurrentInvocationLimitExceeded",
            )

    def _respond(self, result: InvocationResult) -> None:
        headers = {
            "x-amzn-RequestId": result.request_id,
            "X-Amz-Executed-Version": "$LATEST",
        }
        if result.function_error is not None:
            headers["X-Amz-Function-Error"] = result.function_error
        self._send(HTTPStatus.OK, json.dumps(result.payload).encode(), headers)

    # ------------------------------------------------------------ responses

    def _function_not_found(self, name: str) -> None:
        arn = name
        if not name.startswith("arn:"):
            account = self.service.stage.account
            arn = (
                f"arn:aws:lambda:{account.region}:{account.account_id}:function:{name}"
            )
        self._error(
            HTTPStatus.NOT_FOUND,
            "ResourceNotFoundException",
            f"Function not found: {arn}",
        )

    def _unknown_operation(self) -> None:
        self._error(
            HTTPStatus.NOT_FOUND,
            "ResourceNotFoundException",
            f"The local Lambda service does not serve {self.command} "
            f"{urlsplit(self.path).path}",
        )

    def _error(
        self, status: HTTPStatus, error_type: str, message: str, **extra: str
    ) -> None:
        body = {"Type": "User", "message": message, **extra}
        self._send(
            status,
            json.dumps(body).encode(),
            {"X-Amzn-ErrorType": error_type, "x-amzn-RequestId": str(uuid.uuid4())},
        )

    def _json(self, status: HTTPStatus, document: Any) -> None:  # noqa: ANN401 - any JSON value
        self._send(status, json.dumps(document).encode(), {})

    def _send(
        self, status: HTTPStatus, body: bytes, headers: Mapping[str, str]
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""
