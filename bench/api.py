"""A small client of the Task API: one persistent HTTP/1.1 connection per client."""

from __future__ import annotations

import http.client
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class ApiAnswer:
    """The status and the parsed JSON body of one answer."""

    status: int
    body: Any


class TaskApiClient:
    """Sends requests over one kept-alive connection; one client per thread."""

    def __init__(self, api_url: str, timeout: float = 60.0) -> None:
        url = urlsplit(api_url)
        self._host = url.hostname or "127.0.0.1"
        self._port = url.port or 80
        self._prefix = url.path.rstrip("/")
        self._timeout = timeout
        self._connection: http.client.HTTPConnection | None = None

    def create_task(
        self, document: Mapping[str, Any], headers: Mapping[str, str] | None = None
    ) -> ApiAnswer:
        return self.request("POST", "/tasks", document, headers)

    def request(
        self,
        method: str,
        path: str,
        document: Any = None,  # noqa: ANN401 - any JSON value
        headers: Mapping[str, str] | None = None,
    ) -> ApiAnswer:
        """Send one request; reconnects once if the kept-alive connection was closed."""
        body = None if document is None else json.dumps(document).encode()
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        for attempt in (1, 2):
            connection = self._connect()
            try:
                connection.request(method, self._prefix + path, body, all_headers)
                response = connection.getresponse()
                raw = response.read()
            except (
                http.client.RemoteDisconnected,
                ConnectionResetError,
                BrokenPipeError,
            ):
                self.close()
                if attempt == 2:
                    raise
                continue
            return ApiAnswer(response.status, json.loads(raw) if raw else None)
        raise AssertionError("unreachable")  # pragma: no cover

    def _connect(self) -> http.client.HTTPConnection:
        if self._connection is None:
            self._connection = http.client.HTTPConnection(
                self._host, self._port, timeout=self._timeout
            )
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
