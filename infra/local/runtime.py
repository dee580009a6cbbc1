"""Run each function's handler from the source tree, one worker process per environment.

A :class:`FunctionRuntime` keeps a pool of worker processes for one function,
like Lambda's execution environments: a worker serves one invocation at a time,
is reused while warm, and is killed when an invocation times out or the process
dies, so the next invocation starts cold.
"""

from __future__ import annotations

import json
import logging
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from infra.local.templates import FunctionSpec

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
SOURCE_PATHS = (REPO_ROOT / "services", REPO_ROOT)
# Where the runtime itself lives, as /var/runtime does in Lambda: the worker module.
RUNTIME_DIR = Path(__file__).resolve().parent

# Lambda allows 10 s for the init phase; a loaded laptop importing boto3 and
# Powertools for the first time needs more, and the local stage has no bill.
INIT_TIMEOUT_SECONDS = 60.0

LogSink = Callable[[str, str], None]
"""Receives each line a function writes: ``(function key, line)``."""


@dataclass(frozen=True)
class InvocationResult:
    """What one invocation produced: the handler's result, or its error object."""

    request_id: str
    payload: Any
    function_error: str | None = None

    @property
    def failed(self) -> bool:
        return self.function_error is not None


def task_root(handler: str) -> Path:
    """The source folder a handler is imported from: its ``LAMBDA_TASK_ROOT``.

    The first of :data:`SOURCE_PATHS` that holds the handler's top-level package or
    module, as the worker's import would find it; the first when none does (the
    worker then reports the import error).
    """
    top = handler.partition(".")[0]
    for path in SOURCE_PATHS:
        if (path / top).is_dir() or (path / f"{top}.py").is_file():
            return path
    return SOURCE_PATHS[0]


def _log_to_stderr(function_key: str, line: str) -> None:
    sys.stderr.write(f"[{function_key}] {line}\n")


class _Worker:
    """One worker process and its channel."""

    def __init__(
        self, function: FunctionSpec, environment: Mapping[str, str], sink: LogSink
    ) -> None:
        parent, child = socket.socketpair()
        self._socket = parent
        self._process = subprocess.Popen(  # noqa: S603 - our own module, no shell
            [
                sys.executable,
                "-m",
                "infra.local.worker",
                "--fd",
                str(child.fileno()),
                "--handler",
                function.handler,
                *(f"--path={path}" for path in SOURCE_PATHS),
            ],
            env=dict(environment),
            cwd=REPO_ROOT,
            pass_fds=(child.fileno(),),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            # Ctrl-C in the terminal is the stage's to handle: it stops its workers.
            start_new_session=True,
        )
        child.close()
        self._requests: IO[bytes] = parent.makefile("wb")
        self._answers: IO[bytes] = parent.makefile("rb")
        self._forwarder = threading.Thread(
            target=self._forward_output,
            args=(function.key, sink),
            name=f"logs-{function.key}",
            daemon=True,
        )
        self._forwarder.start()

    def _forward_output(self, function_key: str, sink: LogSink) -> None:
        assert self._process.stdout is not None  # noqa: S101 - stdout=PIPE above
        for raw in self._process.stdout:
            sink(function_key, raw.decode(errors="replace").rstrip("\n"))

    def receive(self, timeout: float) -> dict[str, Any] | None:
        """The next message, or None when the worker died or the time ran out."""
        self._socket.settimeout(max(timeout, 0.001))
        try:
            line = self._answers.readline()
        except TimeoutError:
            return None
        return json.loads(line) if line else None

    def send(self, message: Mapping[str, Any]) -> None:
        self._requests.write(json.dumps(message).encode() + b"\n")
        self._requests.flush()

    def exit_code(self) -> int | None:
        return self._process.poll()

    def kill(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        for closable in (self._requests, self._answers, self._socket):
            closable.close()
        self._forwarder.join(timeout=5)
        if self._process.stdout is not None:
            self._process.stdout.close()


class FunctionRuntime:
    """Invoke one function's handler in a pool of worker processes."""

    def __init__(
        self,
        function: FunctionSpec,
        environment: Mapping[str, str],
        *,
        max_concurrency: int,
        sink: LogSink = _log_to_stderr,
    ) -> None:
        self.function = function
        self._environment = dict(environment)
        self._sink = sink
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(max_concurrency)
        self._closed = False

    def invoke(
        self,
        event: Any,  # noqa: ANN401 - any JSON value
        request_id: str,
        *,
        hold: bool = False,
        time_limit: float | None = None,
    ) -> InvocationResult:
        """Run the handler on ``event``; errors come back as Lambda error objects.

        ``hold`` makes the worker wait without answering (an injected timeout)
        and ``time_limit`` replaces the function's timeout for this invocation.
        """
        limit = self.function.timeout_seconds if time_limit is None else time_limit
        with self._slots:
            worker, init_error = self._take_worker()
            if worker is None:
                return InvocationResult(request_id, init_error, "Unhandled")
            deadline = time.time() + limit
            worker.send(
                {
                    "event": event,
                    "requestId": request_id,
                    "invokedFunctionArn": self.function.arn,
                    "deadlineMs": int(deadline * 1000),
                    "hold": hold,
                }
            )
            answer = worker.receive(deadline - time.time())
            result = self._result(worker, answer, request_id, limit)
            self._give_back(worker)
            return result

    def warm(self) -> None:
        """Start one worker ahead of the first invocation, as if provisioned."""
        with self._slots:
            worker, _ = self._take_worker()
            if worker is not None:
                self._give_back(worker)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.kill()

    # ------------------------------------------------------------ internals

    def _take_worker(self) -> tuple[_Worker | None, Any]:
        with self._lock:
            if self._idle:
                return self._idle.pop(), None
        worker = _Worker(self.function, self._environment, self._sink)
        ready = worker.receive(INIT_TIMEOUT_SECONDS)
        if ready is not None and ready["type"] == "ready":
            return worker, None
        worker.kill()
        if ready is None:
            return None, _runtime_error(
                "Runtime.ExitError", "Runtime exited during init", "init"
            )
        logger.debug("%s failed its init: %s", self.function.key, ready["error"])
        return None, ready["error"]

    def _result(
        self,
        worker: _Worker,
        answer: dict[str, Any] | None,
        request_id: str,
        limit: float,
    ) -> InvocationResult:
        if answer is None:
            exited = worker.exit_code()
            worker.kill()
            if exited is None:
                message = f"Task timed out after {limit:.2f} seconds"
                error = _runtime_error("Sandbox.Timedout", message, request_id)
            else:
                message = f"Runtime exited with error: exit status {exited}"
                error = _runtime_error("Runtime.ExitError", message, request_id)
            return InvocationResult(request_id, error, "Unhandled")
        if answer["type"] == "error":
            return InvocationResult(request_id, answer["error"], "Unhandled")
        return InvocationResult(request_id, answer["payload"])

    def _give_back(self, worker: _Worker) -> None:
        if worker.exit_code() is not None:
            worker.kill()
            return
        with self._lock:
            if not self._closed:
                self._idle.append(worker)
                return
        worker.kill()


def _runtime_error(error_type: str, message: str, request_id: str) -> dict[str, Any]:
    return {
        "errorType": error_type,
        "errorMessage": f"RequestId: {request_id} Error: {message}",
    }
