"""Every way a request can be wrong, and the ErrorResponse that names it."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import pytest
from task_service import wiring
from task_service.handlers import handle_read_request, handle_write_request
from task_service.store import TaskStore

from tests.schema_support import errors_for
from tests.unit.task_service.support import (
    REQUEST_ID,
    UNKNOWN_ID,
    FakeContext,
    InvokeRecorder,
    api_event,
    body_of,
    header_of,
    refusing,
)

pytestmark = pytest.mark.usefixtures("invokes")

VALID_UPDATE = {"title": "Book the hall", "isComplete": False, "version": 1}


def write(method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    response: dict[str, Any] = handle_write_request(
        api_event(method, path, **kwargs), FakeContext()
    )
    return response


def read(method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    response: dict[str, Any] = handle_read_request(
        api_event(method, path, **kwargs), FakeContext()
    )
    return response


def problem(response: dict[str, Any], status: int) -> dict[str, Any]:
    """The ErrorResponse of an answer, after checking its status and its schema."""
    assert response["statusCode"] == status, response["body"]
    body: dict[str, Any] = body_of(response)
    assert errors_for("error-response.json", body) == []
    assert body["correlationId"] == REQUEST_ID
    return body


def rules(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [(error["field"], error["rule"]) for error in body["errors"]]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({}, [("title", "required")]),
        ({"title": ""}, [("title", "minLength")]),
        ({"title": "x" * 101}, [("title", "maxLength")]),
        ({"title": " \t\u3000"}, [("title", "pattern")]),
        ({"title": 5}, [("title", "type")]),
        ({"title": None}, [("title", "type")]),
        ({"title": "a", "detail": "x" * 1001}, [("detail", "maxLength")]),
        ({"title": "a", "dueAt": "2026-12-24 18:00:00Z"}, [("dueAt", "format")]),
        ({"title": "a", "dueAt": "2026-12-24T18:00:00"}, [("dueAt", "format")]),
        ({"title": "a", "dueAt": 1766595600}, [("dueAt", "format")]),
        ({"title": "a", "isComplete": "yes"}, [("isComplete", "type")]),
        ({"title": "a", "colour": "red"}, [("colour", "additionalProperties")]),
        (
            {"title": "", "id": UNKNOWN_ID},
            [("title", "minLength"), ("id", "additionalProperties")],
        ),
        ([], [("", "type")]),
        ("null", [("", "type")]),
        ('"a task"', [("", "type")]),
        ('{"title": "a"', [("", "type")]),
        ("[" * 100_000, [("", "type")]),
        ("", [("", "type")]),
    ],
)
def test_create_with_an_invalid_body_answers_400_naming_field_and_rule(
    body: Any, expected: list[tuple[str, str]], invokes: InvokeRecorder
) -> None:
    headers = {"Content-Type": "application/json"}
    response = write("POST", "/tasks", body=body, headers=headers)

    error = problem(response, 400)
    assert error["message"] == "The request body is invalid."
    assert rules(error) == expected
    assert invokes.calls == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"title": "a", "isComplete": False}, [("version", "required")]),
        ({"title": "a", "version": 1}, [("isComplete", "required")]),
        ({**VALID_UPDATE, "version": 0}, [("version", "minimum")]),
        ({**VALID_UPDATE, "version": "1"}, [("version", "type")]),
        ({**VALID_UPDATE, "version": 1.5}, [("version", "type")]),
        ({**VALID_UPDATE, "isComplete": None}, [("isComplete", "type")]),
        (
            {**VALID_UPDATE, "createdAt": "2026-12-03T16:20:00Z"},
            [("createdAt", "additionalProperties")],
        ),
    ],
)
def test_update_with_an_invalid_body_answers_400_naming_field_and_rule(
    change: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    response = write("PUT", f"/tasks/{UNKNOWN_ID}", body=change)

    assert rules(problem(response, 400)) == expected


def test_messages_say_what_is_wrong() -> None:
    response = write("POST", "/tasks", body={"title": "x" * 101, "colour": "red"})

    assert problem(response, 400)["errors"] == [
        {
            "field": "title",
            "rule": "maxLength",
            "message": "String should have at most 100 characters",
        },
        {
            "field": "colour",
            "rule": "additionalProperties",
            "message": "Unknown field 'colour'",
        },
    ]


def test_malformed_json_answers_400_for_the_whole_body() -> None:
    response = write("POST", "/tasks", body='{"title": "a",}')

    assert problem(response, 400)["errors"] == [
        {
            "field": "",
            "rule": "type",
            "message": "The request body is not valid JSON: "
            "Expecting property name enclosed in double quotes",
        }
    ]


@pytest.mark.parametrize(
    ("method", "task_id"),
    [
        ("GET", "not-a-uuid"),
        ("GET", "0b8f3f4e2d6c4a539a1f6f0f5d1c2e3a"),
        ("GET", "{0b8f3f4e-2d6c-4a53-9a1f-6f0f5d1c2e3a}"),
        ("PUT", "123"),
        ("DELETE", "0b8f3f4e-2d6c-4a53-9a1f-6f0f5d1c2e3"),
    ],
)
def test_a_bad_task_id_answers_400_naming_task_id(method: str, task_id: str) -> None:
    handler = handle_read_request if method == "GET" else handle_write_request
    body = VALID_UPDATE if method == "PUT" else None

    response = handler(api_event(method, f"/tasks/{task_id}", body=body), FakeContext())

    error = problem(response, 400)
    assert error["message"] == "The request is invalid."
    assert error["errors"] == [
        {
            "field": "taskId",
            "rule": "format",
            "message": "must be a UUID in the form "
            "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
        }
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"limit": "0"}, ("limit", "minimum")),
        ({"limit": "101"}, ("limit", "maximum")),
        ({"limit": "ten"}, ("limit", "type")),
        ({"limit": ""}, ("limit", "type")),
        ({"limit": "2.5"}, ("limit", "type")),
        ({"nextToken": "not a token"}, ("nextToken", "format")),
        ({"nextToken": "e30"}, ("nextToken", "format")),  # '{}'
        (
            {"nextToken": base64.urlsafe_b64encode(b'{"id":"x"}').decode()},
            ("nextToken", "format"),
        ),
        ({"nextToken": "x" * 201}, ("nextToken", "format")),
    ],
)
def test_a_bad_page_parameter_answers_400_naming_it(
    query: dict[str, str], expected: tuple[str, str]
) -> None:
    response = read("GET", "/tasks", query=query)

    assert rules(problem(response, 400)) == [expected]


def test_a_bad_delete_version_answers_400_naming_version() -> None:
    response = write("DELETE", f"/tasks/{UNKNOWN_ID}", query={"version": "0"})

    assert rules(problem(response, 400)) == [("version", "minimum")]


@pytest.mark.parametrize(
    ("method", "path", "content_type", "shown"),
    [
        ("POST", "/tasks", "text/plain", "text/plain"),
        (
            "POST",
            "/tasks",
            "application/x-www-form-urlencoded",
            "application/x-www-form-urlencoded",
        ),
        (
            "POST",
            "/tasks",
            "multipart/form-data; boundary=x",
            "multipart/form-data; boundary=x",
        ),
        ("POST", "/tasks", "multipart/form-data", "multipart/form-data"),
        ("PUT", f"/tasks/{UNKNOWN_ID}", "multipart/form-data", "multipart/form-data"),
        ("POST", "/tasks", None, "none"),
        ("PUT", f"/tasks/{UNKNOWN_ID}", "application/xml", "application/xml"),
    ],
)
def test_a_body_not_sent_as_json_answers_415(
    method: str,
    path: str,
    content_type: str | None,
    shown: str,
    invokes: InvokeRecorder,
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    body = (
        {"title": "a", "isComplete": False, "version": 1}
        if method == "PUT"
        else {"title": "a"}
    )

    response = write(method, path, body=body, headers=headers)

    error = problem(response, 415)
    assert error["message"] == (
        f"The request body must be sent as application/json, not {shown}."
    )
    assert invokes.calls == []


def test_a_form_body_that_breaks_the_schema_still_answers_415() -> None:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}

    response = write("POST", "/tasks", body="colour=red", headers=headers)

    assert problem(response, 415)["errors"] == []


def test_json_with_a_charset_is_json() -> None:
    headers = {"content-type": "application/json; charset=utf-8"}

    response = write("POST", "/tasks", body={"title": "a"}, headers=headers)

    assert response["statusCode"] == 201


@pytest.mark.parametrize(
    ("handler", "method", "path", "allowed"),
    [
        (handle_write_request, "PATCH", f"/tasks/{UNKNOWN_ID}", "DELETE, GET, PUT"),
        (handle_write_request, "POST", f"/tasks/{UNKNOWN_ID}", "DELETE, GET, PUT"),
        (handle_write_request, "DELETE", "/tasks", "GET, POST"),
        (handle_read_request, "PATCH", "/tasks", "GET, POST"),
        (handle_read_request, "HEAD", f"/tasks/{UNKNOWN_ID}", "DELETE, GET, PUT"),
    ],
)
def test_an_unsupported_method_answers_405_with_allow(
    handler: Any, method: str, path: str, allowed: str
) -> None:
    response = handler(api_event(method, path), FakeContext())

    error = problem(response, 405)
    assert (
        error["message"]
        == f"Method {method} is not allowed on {path}; use one of {allowed}."
    )
    assert header_of(response, "Allow") == [allowed]


@pytest.mark.parametrize(
    "path", ["/", "/projects", "/tasks/a/b", f"/tasks/{UNKNOWN_ID}/notes"]
)
def test_an_unknown_path_answers_404(path: str) -> None:
    response = read("GET", path)

    error = problem(response, 404)
    assert error == {
        "message": f"No resource at {path}.",
        "errors": [],
        "correlationId": REQUEST_ID,
    }


@pytest.mark.parametrize("error_class", [RuntimeError, ValueError])
def test_an_unexpected_error_answers_500_and_is_logged(
    monkeypatch: pytest.MonkeyPatch,
    log_lines: list[dict[str, Any]],
    error_class: type[Exception],
) -> None:
    def fail(*_: Any) -> None:
        raise error_class("disk on fire")

    monkeypatch.setattr(TaskStore, "get", fail)

    response = read("GET", f"/tasks/{UNKNOWN_ID}")

    error = problem(response, 500)
    assert error["message"] == (
        "An unexpected error occurred; quote the correlation id when reporting it."
    )
    assert "disk on fire" not in response["body"]
    [logged] = [line for line in log_lines if line["level"] == "ERROR"]
    assert logged["message"] == "Unexpected error"
    assert logged["correlation_id"] == REQUEST_ID
    assert f"{error_class.__name__}: disk on fire" in logged["exception"]


def test_a_throttled_table_answers_503() -> None:
    code = "ProvisionedThroughputExceededException"
    with refusing(wiring.dynamodb_client(), "before-call.dynamodb.GetItem", code):
        response = read("GET", f"/tasks/{UNKNOWN_ID}")

    assert problem(response, 503)["message"] == (
        f"The task store is unavailable ({code}); retry later."
    )


@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_a_body_that_is_not_utf8_answers_400_for_the_whole_body(method: str) -> None:
    path = "/tasks" if method == "POST" else f"/tasks/{uuid.uuid4()}"
    event = api_event(
        method, path, body=base64.b64encode(b'{"title": "\xff\xfe"}').decode()
    )
    event["isBase64Encoded"] = True

    response = handle_write_request(event, FakeContext())

    assert problem(response, 400)["errors"] == [
        {
            "field": "",
            "rule": "type",
            "message": "The request body is not UTF-8 text: "
            "'utf-8' codec can't decode byte 0xff in position 11: invalid start byte",
        }
    ]
