"""The local API gateway: HTTP requests in, API Gateway REST proxy events out.

Each request that matches a route of the templates becomes the event API
Gateway's Lambda proxy integration sends; the function runs synchronously and its
proxy response is written back. An unknown path answers 404 and a known path with
any other method (``TRACE``, ``PROPFIND`` or any token) 405 with an ``Allow`` header,
both in the shape of ``schemas/error-response.json``.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from infra.local.lambda_service import InvokeRefusedError, LambdaService
from infra.local.servers import (
    HOST,
    BackgroundServer,
    LocalHTTPServer,
    raise_bind_error,
)
from infra.local.templates import Route, StageDescription

logger = logging.getLogger(__name__)

_PATH_PARAMETER = re.compile(r"\{(?P<name>[^}+]+)(?P<greedy>\+?)\}")


@dataclass(frozen=True)
class _CompiledResource:
    resource_path: str
    pattern: re.Pattern[str]
    methods: Mapping[str, Route]
    literal_segments: int


@dataclass(frozen=True)
class RouteMatch:
    """The route a request selected and the path parameters it carried."""

    route: Route
    path_parameters: Mapping[str, str]


class RouteTable:
    """Match request paths to the templates' resources, most specific first."""

    def __init__(self, routes: Sequence[Route]) -> None:
        by_path: dict[str, dict[str, Route]] = {}
        for route in routes:
            by_path.setdefault(route.resource_path, {})[route.method] = route
        resources = [
            _CompiledResource(path, _compile(path), methods, _literal_segments(path))
            for path, methods in by_path.items()
        ]
        # API Gateway prefers literal segments over parameters, and greedy last.
        self._resources = sorted(
            resources, key=lambda r: (-r.literal_segments, "+}" in r.resource_path)
        )

    def match(self, method: str, path: str) -> RouteMatch | list[str] | None:
        """The matching route; the allowed methods when only the path matches;
        None when no resource matches the path."""
        for resource in self._resources:
            found = resource.pattern.fullmatch(path)
            if found is None:
                continue
            route = resource.methods.get(method) or resource.methods.get("ANY")
            if route is None:
                return sorted(resource.methods)
            parameters = {
                name: unquote(value) for name, value in found.groupdict().items()
            }
            return RouteMatch(route, parameters)
        return None


def _compile(resource_path: str) -> re.Pattern[str]:
    pattern = ""
    position = 0
    for found in _PATH_PARAMETER.finditer(resource_path):
        pattern += re.escape(resource_path[position : found.start()])
        segment = ".+" if found["greedy"] else "[^/]+"
        pattern += f"(?P<{_group_name(found['name'])}>{segment})"
        position = found.end()
    pattern += re.escape(resource_path[position:])
    return re.compile(pattern)


def _group_name(name: str) -> str:
    if not name.isidentifier():
        raise ValueError(f"path parameter {name!r} is not supported locally")
    return name


def _literal_segments(resource_path: str) -> int:
    return sum(1 for part in resource_path.split("/") if part and "{" not in part)


def start_gateway(
    port: int, routes: RouteTable
) -> tuple[BackgroundServer, _GatewayServer]:
    """Bind the API gateway to 127.0.0.1; attach a service before :meth:`start`."""
    try:
        server = _GatewayServer((HOST, port), _GatewayRequestHandler)
    except OSError as error:
        raise_bind_error(error, "API gateway", port, "--api-port")
    server.routes = routes
    return BackgroundServer(server, "api-gateway"), server


class _GatewayServer(LocalHTTPServer):
    routes: RouteTable
    service: LambdaService | None = None


class _GatewayRequestHandler(BaseHTTPRequestHandler):
    server: _GatewayServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: ANN401 - the base signature
        logger.debug("api %s", format % args)

    def __getattr__(self, name: str) -> Any:  # noqa: ANN401 - attributes of any kind
        """Route every method to :meth:`_handle`, whatever its name.

        ``http.server`` looks up ``do_<METHOD>`` and answers a method it has no
        such attribute for with its own HTML 501 page; API Gateway answers any
        method the API does not declare in the error shape, so every request
        method, ``TRACE`` or an unregistered token alike, takes the same path.
        """
        if name.startswith("do_"):
            return self._handle
        raise AttributeError(name)

    def send_error(
        self, code: int, message: str | None = None, explain: str | None = None
    ) -> None:
        """Answer a request ``http.server`` refused (bad request line, oversized
        headers) in the error shape too, and close the connection as it would."""
        status = HTTPStatus(code)
        self.close_connection = True
        self._error(
            status,
            message or status.phrase,
            str(uuid.uuid4()),
            {"Connection": "close"},
        )

    def _handle(self) -> None:
        service = self.server.service
        assert service is not None  # noqa: S101 - set before serving
        request_id = str(uuid.uuid4())
        url = urlsplit(self.path)
        body = self._body()

        found = self.server.routes.match(self.command, url.path)
        if found is None:
            message = f"No resource matches {url.path}."
            self._error(HTTPStatus.NOT_FOUND, message, request_id, {})
            return
        if isinstance(found, list):
            message = f"Method {self.command} is not allowed on {url.path}."
            allow = {"Allow": ", ".join(found)}
            self._error(HTTPStatus.METHOD_NOT_ALLOWED, message, request_id, allow)
            return

        event = self._proxy_event(found, service.stage, request_id, body)
        function = service.stage.functions[found.route.function_key]
        try:
            result = service.invoke(function, event)
        except InvokeRefusedError:
            self._error(
                HTTPStatus.TOO_MANY_REQUESTS, "Too Many Requests", request_id, {}
            )
            return
        if result.failed:
            self._error(HTTPStatus.BAD_GATEWAY, "Internal server error", request_id, {})
            return
        self._proxy_response(result.payload, request_id)

    # ------------------------------------------------------------ events

    def _proxy_event(
        self,
        found: RouteMatch,
        description: StageDescription,
        request_id: str,
        body: bytes,
    ) -> dict[str, Any]:
        stage = description.api_stage_name
        url = urlsplit(self.path)
        headers: dict[str, str] = {}
        multi_headers: dict[str, list[str]] = {}
        for name, value in self.headers.items():
            headers[name] = value
            multi_headers.setdefault(name, []).append(value)
        query: dict[str, str] = {}
        multi_query: dict[str, list[str]] = {}
        for name, value in parse_qsl(url.query, keep_blank_values=True):
            query[name] = value
            multi_query.setdefault(name, []).append(value)
        text, is_base64 = _body_text(body)
        now = datetime.now(UTC)
        return {
            "resource": found.route.resource_path,
            "path": url.path,
            "httpMethod": self.command,
            "headers": headers or None,
            "multiValueHeaders": multi_headers or None,
            "queryStringParameters": query or None,
            "multiValueQueryStringParameters": multi_query or None,
            "pathParameters": dict(found.path_parameters) or None,
            "stageVariables": None,
            "requestContext": {
                "resourceId": "local",
                "resourcePath": found.route.resource_path,
                "httpMethod": self.command,
                "extendedRequestId": request_id,
                "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
                "path": f"/{stage}{url.path}",
                "accountId": description.account.account_id,
                "protocol": self.request_version,
                "stage": stage,
                "domainPrefix": "localhost",
                "requestTimeEpoch": int(time.time() * 1000),
                "requestId": request_id,
                "identity": {
                    "sourceIp": self.client_address[0],
                    "userAgent": self.headers.get("User-Agent"),
                    "accessKey": None,
                    "accountId": None,
                    "caller": None,
                    "cognitoIdentityId": None,
                    "cognitoIdentityPoolId": None,
                    "user": None,
                    "userArn": None,
                },
                "domainName": self.headers.get("Host", HOST),
                "apiId": "local",
            },
            "body": text,
            "isBase64Encoded": is_base64,
        }

    def _proxy_response(self, response: Any, request_id: str) -> None:  # noqa: ANN401 - the function's JSON result
        if not isinstance(response, Mapping) or not isinstance(
            response.get("statusCode"), int
        ):
            logger.warning("the function returned no proxy response: %r", response)
            self._error(HTTPStatus.BAD_GATEWAY, "Internal server error", request_id, {})
            return
        body = response.get("body") or ""
        payload = (
            base64.b64decode(body)
            if response.get("isBase64Encoded")
            else str(body).encode()
        )
        self.send_response(response["statusCode"])
        sent = set()
        for name, values in (response.get("multiValueHeaders") or {}).items():
            sent.add(name.lower())
            for value in values:
                self.send_header(name, str(value))
        for name, value in (response.get("headers") or {}).items():
            if name.lower() not in sent and name.lower() != "content-length":
                self.send_header(name, str(value))
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("x-amzn-RequestId", request_id)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _error(
        self,
        status: HTTPStatus,
        message: str,
        request_id: str,
        headers: Mapping[str, str],
    ) -> None:
        body = json.dumps(
            {"message": message, "errors": [], "correlationId": request_id}
        ).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-amzn-RequestId", request_id)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""


def _body_text(body: bytes) -> tuple[str | None, bool]:
    """The body as API Gateway passes it: text, or base64 when not UTF-8."""
    if not body:
        return None, False
    try:
        return body.decode(), False
    except UnicodeDecodeError:
        return base64.b64encode(body).decode(), True
