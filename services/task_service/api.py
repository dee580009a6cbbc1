"""The Task API: its routes, and the answer it gives to every kind of error.

Routes live on two routers, one per Lambda function (reads and writes); the OpenAPI
document is derived from a resolver that holds both. Every 4xx and 5xx body is an
``ErrorResponse`` naming the field and the JSON Schema rule that failed.
"""

from __future__ import annotations

import binascii
import json
import re
from functools import partial
from http import HTTPStatus
from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools.event_handler import (
    APIGatewayRestResolver,
    Response,
    content_types,
)
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from contract_types import CanonicalUuid, ContractModel

from generated.create_task_request import CreateTaskRequest
from generated.definitions import FieldError
from generated.error_response import ErrorResponse
from generated.task import Task
from generated.task_list import TaskList
from generated.update_task_request import UpdateTaskRequest
from task_service import wiring
from task_service.errors import (
    InvalidRequestError,
    StoreUnavailableError,
    TaskNotFoundError,
    UnsupportedMediaTypeError,
    VersionConflictError,
)
from task_service.observability import logger
from task_service.validation import field_errors

if TYPE_CHECKING:
    from collections.abc import Sequence

    from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
    from aws_lambda_powertools.utilities.data_classes.common import BaseProxyEvent


DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
JSON_MEDIA_TYPE = "application/json"
_BODY_METHODS = frozenset({"POST", "PUT"})

# Every resource of the API and the methods it serves, across both functions: the
# Allow header of a 405 lists what the API offers, whichever function answers.
_RESOURCES: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (re.compile(r"/tasks"), ("GET", "POST")),
    (re.compile(r"/tasks/[^/]+"), ("DELETE", "GET", "PUT")),
)

_ERROR_DESCRIPTIONS = {
    400: "The request breaks the API's schema (field and rule named)",
    404: "No task has this id",
    409: "The expected version is not the task's current version",
    415: "The body is not application/json",
    500: "An unexpected error (logged with the correlation id)",
    503: "The task store is unavailable for now; retry later",
}


def _answers(
    success: tuple[int, str, type[ContractModel] | None], *errors: int
) -> dict[int, OpenAPIResponse]:
    """The route's documented answers: its success, the given errors, and 500."""
    code, description, model = success
    answers: dict[int, OpenAPIResponse] = {code: {"description": description}}
    if model is not None:
        answers[code]["content"] = {JSON_MEDIA_TYPE: {"model": model}}
    for error in (*errors, 500):
        answers[error] = {
            "description": _ERROR_DESCRIPTIONS[error],
            "content": {JSON_MEDIA_TYPE: {"model": ErrorResponse}},
        }
    return answers


TaskId = Annotated[
    CanonicalUuid, Path(alias="taskId", description="The task's id (a UUID).")
]

# Powertools leaves the routers' constructor unannotated.
read_router = APIGatewayRouter()  # type: ignore[no-untyped-call]
write_router = APIGatewayRouter()  # type: ignore[no-untyped-call]


# ---------------------------------------------------------------- reads


@read_router.get(
    "/tasks",
    summary="List tasks, one page at a time",
    responses=_answers((200, "One page of tasks", TaskList), 400, 503),
)
def list_tasks(
    limit: Annotated[
        int,
        Query(ge=1, le=MAX_PAGE_SIZE, description="How many tasks at most."),
    ] = DEFAULT_PAGE_SIZE,
    next_token: Annotated[
        str | None,
        Query(alias="nextToken", description="The nextToken of the previous page."),
    ] = None,
) -> TaskList:
    """One page of tasks, in no particular order."""
    page = wiring.task_queries().page(limit, next_token)
    return TaskList.model_validate({"items": page.tasks, "nextToken": page.next_token})


@read_router.get(
    "/tasks/<taskId>",
    summary="Read one task",
    responses=_answers((200, "The task", Task), 400, 404, 503),
)
def get_task(task_id: TaskId) -> Task:
    """The task with this id."""
    return wiring.task_queries().get(str(task_id))


# ---------------------------------------------------------------- writes


@write_router.post(
    "/tasks",
    summary="Create a task",
    status_code=201,
    responses=_answers((201, "The stored task", Task), 400, 415, 503),
)
def create_task(
    request: Annotated[CreateTaskRequest, Body(media_type=JSON_MEDIA_TYPE)],
) -> Response[Task]:
    """Store a new task (version 1) and hand off task.created."""
    _require_json_body(write_router.current_event)
    task = wiring.task_commands().create(request, _correlation_id())
    return Response(status_code=201, content_type=JSON_MEDIA_TYPE, body=task)


@write_router.put(
    "/tasks/<taskId>",
    summary="Replace a task's state, at the version last read",
    responses=_answers((200, "The stored task", Task), 400, 404, 409, 415, 503),
)
def replace_task(
    task_id: TaskId,
    request: Annotated[UpdateTaskRequest, Body(media_type=JSON_MEDIA_TYPE)],
) -> Task:
    """Replace the task if its version is current; hand off the change."""
    _require_json_body(write_router.current_event)
    return wiring.task_commands().replace(str(task_id), request, _correlation_id())


@write_router.delete(
    "/tasks/<taskId>",
    summary="Delete a task",
    status_code=204,
    responses=_answers((204, "The task is deleted", None), 400, 404, 409, 503),
)
def delete_task(
    task_id: TaskId,
    version: Annotated[
        int | None,
        Query(ge=1, description="Delete only while the task is at this version."),
    ] = None,
) -> Response[None]:
    """Delete the task and hand off task.deleted with its last state."""
    wiring.task_commands().delete(str(task_id), version, _correlation_id())
    return Response(status_code=204, content_type=None, body=None)


# ---------------------------------------------------------------- resolvers


def parse_json(text: str) -> Any:  # noqa: ANN401 - any JSON document
    """``json.loads``, except that a document nested too deeply is malformed JSON.

    Python's parser gives up on deep nesting with a RecursionError, which would
    otherwise reach the client as a 500.
    """
    try:
        return json.loads(text)
    except RecursionError as error:
        raise json.JSONDecodeError("Document nested too deeply", text, 0) from error


def build_resolver(*routers: APIGatewayRouter) -> APIGatewayRestResolver:
    """A REST resolver with these routers and the API's error answers."""
    app = APIGatewayRestResolver(
        enable_validation=True, json_body_deserializer=parse_json
    )
    for router in routers:
        app.include_router(router)
    app.exception_handler(RequestValidationError)(partial(_invalid_request, app))
    app.exception_handler(RequestUnsupportedContentType)(
        partial(_unsupported_content_type, app)
    )
    app.exception_handler(InvalidRequestError)(_invalid_request_error)
    app.exception_handler([UnicodeDecodeError, binascii.Error])(_unreadable_body)
    app.exception_handler(ValueError)(partial(_value_error, app))
    app.exception_handler(UnsupportedMediaTypeError)(_unsupported_media_type)
    app.exception_handler(TaskNotFoundError)(_task_not_found)
    app.exception_handler(VersionConflictError)(_version_conflict)
    app.exception_handler(StoreUnavailableError)(_store_unavailable)
    app.exception_handler(NotFoundError)(partial(_no_route, app))
    app.exception_handler(Exception)(_unexpected)
    return app


def error_answer(
    status: HTTPStatus,
    message: str,
    errors: Sequence[FieldError] = (),
    headers: dict[str, str] | None = None,
) -> Response[str]:
    """An ErrorResponse with this status, carrying the request's correlation id."""
    body = ErrorResponse.model_validate(
        {"message": message, "errors": list(errors), "correlationId": _correlation_id()}
    )
    return Response(
        status_code=status.value,
        content_type=content_types.APPLICATION_JSON,
        body=body.model_dump_json(),
        headers=headers,
    )


def _correlation_id() -> str:
    # The entry point sets it on the logger before routing; every line carries it.
    return str(logger.get_correlation_id() or "")


def _content_type(event: BaseProxyEvent) -> str:
    return str(event.headers.get("content-type") or "")


def _is_json(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == JSON_MEDIA_TYPE


def _require_json_body(event: BaseProxyEvent) -> None:
    content_type = _content_type(event)
    if not _is_json(content_type):
        raise UnsupportedMediaTypeError(content_type)


def _invalid_request(
    app: APIGatewayRestResolver, error: RequestValidationError
) -> Response[str]:
    # Powertools reads a body of any form-like media type, and one with none as JSON:
    # the media type is judged first, whatever the body's own errors.
    event = app.current_event
    content_type = _content_type(event)
    if event.http_method.upper() in _BODY_METHODS and not _is_json(content_type):
        return _unsupported_media_type(UnsupportedMediaTypeError(content_type))
    raw_errors: Sequence[Any] = error.errors()
    in_body = all(
        tuple(raw.get("loc", ("body",)))[:1] == ("body",) for raw in raw_errors
    )
    message = "The request body is invalid." if in_body else "The request is invalid."
    return error_answer(HTTPStatus.BAD_REQUEST, message, field_errors(raw_errors))


def _unsupported_content_type(
    app: APIGatewayRestResolver, _: RequestUnsupportedContentType
) -> Response[str]:
    content_type = _content_type(app.current_event)
    return _unsupported_media_type(UnsupportedMediaTypeError(content_type))


def _unreadable_body(error: UnicodeDecodeError | binascii.Error) -> Response[str]:
    # Powertools decodes a base64 body (API Gateway sends bytes it cannot pass
    # as text that way) as UTF-8 while validating, before any route runs.
    return error_answer(
        HTTPStatus.BAD_REQUEST,
        "The request body is invalid.",
        [
            FieldError.model_validate(
                {
                    "field": "",
                    "rule": "type",
                    "message": f"The request body is not UTF-8 text: {error}",
                }
            )
        ],
    )


def _value_error(app: APIGatewayRestResolver, error: ValueError) -> Response[str]:
    # Powertools parses form and multipart bodies itself while validating, before
    # any route runs, and a malformed one (say, multipart without a boundary) raises
    # a bare ValueError. Such a body is refused for its media type in any case.
    event = app.current_event
    content_type = _content_type(event)
    if event.http_method.upper() in _BODY_METHODS and not _is_json(content_type):
        return _unsupported_media_type(UnsupportedMediaTypeError(content_type))
    return _unexpected(error)


def _invalid_request_error(error: InvalidRequestError) -> Response[str]:
    return error_answer(HTTPStatus.BAD_REQUEST, error.message, error.errors)


def _unsupported_media_type(error: UnsupportedMediaTypeError) -> Response[str]:
    return error_answer(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, str(error))


def _task_not_found(error: TaskNotFoundError) -> Response[str]:
    return error_answer(HTTPStatus.NOT_FOUND, str(error))


def _version_conflict(error: VersionConflictError) -> Response[str]:
    return error_answer(HTTPStatus.CONFLICT, str(error))


def _store_unavailable(error: StoreUnavailableError) -> Response[str]:
    logger.warning("Task store unavailable", error_code=error.code)
    return error_answer(HTTPStatus.SERVICE_UNAVAILABLE, str(error))


def _no_route(app: APIGatewayRestResolver, _: NotFoundError) -> Response[str]:
    method, path = app.current_event.http_method.upper(), app.current_event.path
    for pattern, methods in _RESOURCES:
        if pattern.fullmatch(path):
            allowed = ", ".join(methods)
            return error_answer(
                HTTPStatus.METHOD_NOT_ALLOWED,
                f"Method {method} is not allowed on {path}; use one of {allowed}.",
                headers={"Allow": allowed},
            )
    return error_answer(HTTPStatus.NOT_FOUND, f"No resource at {path}.")


def _unexpected(error: Exception) -> Response[str]:
    logger.exception("Unexpected error", error_type=type(error).__name__)
    return error_answer(
        HTTPStatus.INTERNAL_SERVER_ERROR,
        "An unexpected error occurred; quote the correlation id when reporting it.",
    )
