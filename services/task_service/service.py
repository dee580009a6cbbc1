"""The domain logic: what each request does to tasks, and which event it emits."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

from generated.definitions import FieldError
from generated.handoff_event import (
    TaskCompletedEvent,
    TaskCreatedEvent,
    TaskDeletedEvent,
    TaskEventData,
    TaskUpdatedEvent,
)
from generated.task import Task
from task_service.errors import InvalidRequestError, VersionConflictError
from task_service.observability import MetricName, logger, metrics
from task_service.store import InvalidPageTokenError, TaskPage, TaskStore

if TYPE_CHECKING:
    from collections.abc import Callable

    from generated.create_task_request import CreateTaskRequest
    from generated.handoff_event import HandoffEvent
    from generated.update_task_request import UpdateTaskRequest
    from task_service.handoff import HandoffSender

EventType = Literal["task.created", "task.updated", "task.completed", "task.deleted"]

_EVENT_CLASSES: dict[
    str,
    type[TaskCreatedEvent | TaskUpdatedEvent | TaskCompletedEvent | TaskDeletedEvent],
] = {
    "task.created": TaskCreatedEvent,
    "task.updated": TaskUpdatedEvent,
    "task.completed": TaskCompletedEvent,
    "task.deleted": TaskDeletedEvent,
}


def utc_now() -> datetime:
    """The current time in UTC, to the millisecond (as timestamps are shown)."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def build_event(
    event_type: EventType,
    task: Task,
    *,
    source: str,
    time: datetime,
    correlation_id: str,
) -> HandoffEvent:
    """The handoff event of one change: fresh id, the task as subject and data."""
    return _EVENT_CLASSES[event_type](
        specversion="1.0",
        id=uuid.uuid4(),
        source=source,
        type=event_type,  # type: ignore[arg-type]  # the class matches the type
        time=time,
        subject=task.id,
        correlationid=correlation_id,
        datacontenttype="application/json",
        data=TaskEventData(task=task),
    )


class TaskQueries:
    """Reading tasks: one task, or one bounded page of them."""

    def __init__(self, store: TaskStore) -> None:
        self._store = store

    def get(self, task_id: str) -> Task:
        """The task with this id, or TaskNotFoundError."""
        return self._store.get(task_id)

    def page(self, limit: int, next_token: str | None) -> TaskPage:
        """A page of at most ``limit`` tasks, continuing after ``next_token``."""
        try:
            return self._store.page(limit, next_token)
        except InvalidPageTokenError as error:
            raise InvalidRequestError(
                "The request is invalid.",
                [
                    FieldError(
                        field="nextToken",
                        rule="format",
                        message="Not a token this API issued; pass the nextToken of "
                        "the previous page unchanged",
                    )
                ],
            ) from error


class TaskCommands:
    """Changing tasks: each stored change is then handed off as an event."""

    def __init__(
        self,
        store: TaskStore,
        handoff: HandoffSender,
        *,
        event_source: str,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._store = store
        self._handoff = handoff
        self._source = event_source
        self._clock = clock

    def create(self, request: CreateTaskRequest, correlation_id: str) -> Task:
        """Store a new task at version 1 and hand off ``task.created``."""
        now = self._clock()
        task = Task.model_validate(
            {
                "id": uuid.uuid4(),
                "title": request.title,
                "detail": request.detail,
                "dueAt": request.due_at,
                "isComplete": bool(request.is_complete),
                "createdAt": now,
                "updatedAt": now,
                "version": 1,
            }
        )

        self._store.create(task)
        self._record_write("created", task)

        self._hand_off("task.created", task, now, correlation_id)
        return task

    def replace(
        self, task_id: str, request: UpdateTaskRequest, correlation_id: str
    ) -> Task:
        """Replace the task's state if ``request.version`` is current; hand it off.

        The event is ``task.completed`` when the change turns ``isComplete`` true,
        else ``task.updated``. Reading first tells which; the conditional write then
        guarantees that the state read is the state replaced.
        """
        current = self._store.get(task_id)
        if current.version != request.version:
            raise VersionConflictError(task_id, request.version, current.version)
        now = self._clock()
        task = Task.model_validate(
            {
                "id": current.id,
                "title": request.title,
                "detail": request.detail,
                "dueAt": request.due_at,
                "isComplete": request.is_complete,
                "createdAt": current.created_at,
                "updatedAt": now,
                "version": current.version + 1,
            }
        )

        self._store.replace(task, expected_version=request.version)
        self._record_write("updated", task)

        completed = task.is_complete and not current.is_complete
        event_type: EventType = "task.completed" if completed else "task.updated"
        self._hand_off(event_type, task, now, correlation_id)
        return task

    def delete(
        self, task_id: str, expected_version: int | None, correlation_id: str
    ) -> Task:
        """Delete the task and hand off ``task.deleted`` with its last state."""
        now = self._clock()
        task = self._store.delete(task_id, expected_version)
        self._record_write("deleted", task)

        self._hand_off("task.deleted", task, now, correlation_id)
        return task

    def _record_write(self, change: str, task: Task) -> None:
        metrics.add_metric(name=MetricName.TASKS_WRITTEN, unit="Count", value=1)
        logger.info(f"Task {change}", task_id=str(task.id), version=task.version)

    def _hand_off(
        self, event_type: EventType, task: Task, time: datetime, correlation_id: str
    ) -> None:
        event = build_event(
            event_type,
            task,
            source=self._source,
            time=time,
            correlation_id=correlation_id,
        )
        self._handoff.send(event)
