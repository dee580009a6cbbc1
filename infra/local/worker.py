"""The process that runs one function's handler, like a Lambda execution environment.

The local stage starts ``python -m infra.local.worker`` once per execution
environment, with that function's environment variables only, so every function
has its own ``os.environ`` and module state, as in Lambda. Requests and results
travel as JSON lines over an inherited socket; stdout and stderr stay free for the
handler's logs. Killing the process is how a timeout ends an invocation.
"""

from __future__ import annotations

import argparse
import decimal
import importlib
import json
import os
import socket
import sys
import time
import traceback
from collections.abc import Callable
from typing import IO, Any, cast

Handler = Callable[[Any, Any], Any]


class LambdaContext:
    """The context object Lambda passes to a Python handler."""

    def __init__(self, request: dict[str, Any]) -> None:
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = os.environ["AWS_LAMBDA_FUNCTION_VERSION"]
        self.invoked_function_arn: str = request["invokedFunctionArn"]
        self.memory_limit_in_mb = int(os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"])
        self.aws_request_id: str = request["requestId"]
        self.log_group_name = os.environ["AWS_LAMBDA_LOG_GROUP_NAME"]
        self.log_stream_name = os.environ["AWS_LAMBDA_LOG_STREAM_NAME"]
        self.identity = None
        self.client_context = None
        self._deadline_ms: int = request["deadlineMs"]

    def get_remaining_time_in_millis(self) -> int:
        return max(self._deadline_ms - int(time.time() * 1000), 0)


def error_payload(
    error: BaseException, error_type: str | None = None, message: str | None = None
) -> dict[str, Any]:
    """The object Lambda's Python runtime returns for an unhandled exception."""
    return {
        "errorMessage": str(error) if message is None else message,
        "errorType": type(error).__name__ if error_type is None else error_type,
        "requestId": "",
        "stackTrace": traceback.format_list(traceback.extract_tb(error.__traceback__)),
    }


def load_handler(handler: str) -> Handler:
    """Import ``module.function`` as Lambda's runtime does, with its error names."""
    module_name, _, function_name = handler.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise _InitError(
            error,
            "Runtime.ImportModuleError",
            f"Unable to import module '{module_name}': {error}",
        ) from error
    function = getattr(module, function_name, None)
    if not callable(function):
        message = f"Handler '{function_name}' missing on module '{module_name}'"
        raise _InitError(AttributeError(message), "Runtime.HandlerNotFound", message)
    return cast("Handler", function)


class _InitError(Exception):
    def __init__(self, cause: BaseException, error_type: str, message: str) -> None:
        super().__init__(message)
        self.payload = error_payload(cause, error_type, message)


def _json_default(value: Any) -> Any:  # noqa: ANN401 - json's default hook
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _send(channel: IO[bytes], message: dict[str, Any]) -> None:
    channel.write(json.dumps(message, default=_json_default).encode() + b"\n")
    channel.flush()


def _invoke(handler: Handler, request: dict[str, Any]) -> dict[str, Any]:
    if request.get("hold"):
        # An injected timeout: never answer, so that the deadline kills us.
        while True:
            time.sleep(3600)
    try:
        result = handler(request["event"], LambdaContext(request))
    except Exception as error:  # every handler error goes back to the caller
        return {"type": "error", "error": error_payload(error)}
    try:
        json.dumps(result, default=_json_default)
    except (TypeError, ValueError) as error:
        message = f"Unable to marshal response: {error}"
        return {
            "type": "error",
            "error": error_payload(error, "Runtime.MarshalError", message),
        }
    return {"type": "result", "payload": result}


def main(argv: list[str] | None = None) -> int:
    """Load the handler, then answer invocations until the channel closes."""
    parser = argparse.ArgumentParser(prog="python -m infra.local.worker")
    parser.add_argument("--fd", type=int, required=True)
    parser.add_argument("--handler", required=True)
    parser.add_argument("--path", action="append", default=[])
    args = parser.parse_args(argv)
    for path in reversed(args.path):
        sys.path.insert(0, path)

    with (
        socket.socket(fileno=args.fd) as sock,
        sock.makefile("rb") as requests,
        sock.makefile("wb") as answers,
    ):
        try:
            handler = load_handler(args.handler)
        except _InitError as error:
            _send(answers, {"type": "init_error", "error": error.payload})
            return 1
        except Exception as error:  # an init error of the function's own code
            _send(answers, {"type": "init_error", "error": error_payload(error)})
            return 1
        _send(answers, {"type": "ready"})
        for line in requests:
            _send(answers, _invoke(handler, json.loads(line)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
