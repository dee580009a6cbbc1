"""The Task Service's errors, and the one place where AWS errors become them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from generated.definitions import FieldError

# DynamoDB's answers when overloaded or failing: the same request may succeed later.
_UNAVAILABLE_CODES = frozenset(
    {
        "InternalServerError",
        "LimitExceededException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "ServiceUnavailable",
        "ThrottlingException",
    }
)


class TaskServiceError(Exception):
    """The base of every error the Task Service answers with a 4xx or 503."""


class InvalidRequestError(TaskServiceError):
    """The request breaks the API's schema: one field error per broken rule."""

    def __init__(self, message: str, errors: Sequence[FieldError]) -> None:
        super().__init__(message)
        self.message = message
        self.errors = list(errors)


class UnsupportedMediaTypeError(TaskServiceError):
    """A request body came in a media type other than application/json."""

    def __init__(self, content_type: str) -> None:
        shown = content_type or "none"
        super().__init__(
            f"The request body must be sent as application/json, not {shown}."
        )


class TaskNotFoundError(TaskServiceError):
    """No task has the requested id (or it was deleted meanwhile)."""

    def __init__(self, task_id: str) -> None:
        super().__init__(f"Task {task_id} was not found.")
        self.task_id = task_id


class VersionConflictError(TaskServiceError):
    """The client's expected version is not the task's current version."""

    def __init__(self, task_id: str, expected: int, current: int) -> None:
        super().__init__(
            f"Task {task_id} is at version {current}, not {expected}: "
            "read it again and apply your change to the current version."
        )
        self.task_id = task_id
        self.expected = expected
        self.current = current


class StoreUnavailableError(TaskServiceError):
    """DynamoDB refused the request for now (throttled or failing); retry later."""

    def __init__(self, code: str) -> None:
        super().__init__(f"The task store is unavailable ({code}); retry later.")
        self.code = code


@contextmanager
def translated_store_errors(
    task_id: str | None = None, expected_version: int | None = None
) -> Iterator[None]:
    """Inside, DynamoDB's ClientErrors become the domain errors they mean.

    A failed condition on a task (``task_id`` given) means it is absent or at another
    version; the item returned with the error (``ReturnValuesOnConditionCheckFailure``
    ``=ALL_OLD``) tells which, without a second read. Overload answers become
    StoreUnavailableError. Any other error propagates unchanged, to surface as the
    unexpected error it is.
    """
    try:
        yield
    except ClientError as error:
        domain_error = _domain_error_of(error, task_id, expected_version)
        if domain_error is None:
            raise
        raise domain_error from error


def _domain_error_of(
    error: ClientError, task_id: str | None, expected_version: int | None
) -> TaskServiceError | None:
    code = str(error.response.get("Error", {}).get("Code", ""))
    if code == "ConditionalCheckFailedException" and task_id is not None:
        item: Any = error.response.get("Item")
        if not item:
            return TaskNotFoundError(task_id)
        current = int(item["version"]["N"])
        return VersionConflictError(task_id, expected_version or current, current)
    if code in _UNAVAILABLE_CODES:
        return StoreUnavailableError(code)
    return None
