"""Which generated model stands for which schema file."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from generated.create_task_request import CreateTaskRequest
from generated.error_response import ErrorResponse
from generated.failure_record import FailureRecord
from generated.handoff_event import HandoffEvent
from generated.notification_message import NotificationMessage
from generated.task import Task
from generated.task_list import TaskList
from generated.update_task_request import UpdateTaskRequest

MODEL_FOR_SCHEMA: dict[str, TypeAdapter[Any]] = {
    "task.json": TypeAdapter(Task),
    "task-list.json": TypeAdapter(TaskList),
    "create-task-request.json": TypeAdapter(CreateTaskRequest),
    "update-task-request.json": TypeAdapter(UpdateTaskRequest),
    "error-response.json": TypeAdapter(ErrorResponse),
    "handoff-event.json": TypeAdapter(HandoffEvent),
    "failure-record.json": TypeAdapter(FailureRecord),
    "notification-message.json": TypeAdapter(NotificationMessage),
}
"""Every contract with a root model; definitions.json only holds building blocks."""
