"""Run HTTP servers on 127.0.0.1 in background threads."""

from __future__ import annotations

import errno
import logging
import socket
import socketserver
import sys
import threading
from http.server import ThreadingHTTPServer
from typing import Any, NoReturn

from infra.local.errors import PortInUseError

HOST = "127.0.0.1"

logger = logging.getLogger(__name__)


class LocalHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server that takes clients closing idle connections calmly.

    SDK clients keep connections alive and drop them when they like; the standard
    library prints a traceback for each such reset.
    """

    daemon_threads = True

    def handle_error(
        self,
        request: socket.socket | tuple[bytes, socket.socket],
        client_address: Any,  # noqa: ANN401 - the base class's signature
    ) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError):
            logger.debug("client %s went away: %s", client_address, error)
            return
        super().handle_error(request, client_address)


class BackgroundServer:
    """Serve a bound server in a daemon thread until :meth:`stop`."""

    def __init__(self, server: socketserver.TCPServer, name: str) -> None:
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, name=name, daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.socket.getsockname()[1])

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()


def raise_bind_error(error: OSError, server: str, port: int, option: str) -> NoReturn:
    """Translate EADDRINUSE into :class:`PortInUseError`; re-raise anything else."""
    if error.errno == errno.EADDRINUSE:
        raise PortInUseError(server, port, option) from error
    raise error
