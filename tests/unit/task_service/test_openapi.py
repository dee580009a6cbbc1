"""OpenAPI: the five routes, from the same models, errors as ErrorResponse."""

from __future__ import annotations

import json

import pytest
from task_service.openapi import main, openapi_document

ERROR_SCHEMA = {"$ref": "#/components/schemas/ErrorResponse"}


@pytest.fixture(scope="module")
def document() -> dict[str, object]:
    return openapi_document()


def operations(document: dict[str, object]) -> dict[tuple[str, str], dict[str, object]]:
    paths: dict[str, dict[str, dict[str, object]]] = document["paths"]  # type: ignore[assignment]
    return {
        (method.upper(), path): operation
        for path, methods in paths.items()
        for method, operation in methods.items()
    }


def test_the_document_describes_the_five_routes(document: dict[str, object]) -> None:
    assert document["openapi"] == "3.1.0"
    assert sorted(operations(document)) == [
        ("DELETE", "/tasks/{taskId}"),
        ("GET", "/tasks"),
        ("GET", "/tasks/{taskId}"),
        ("POST", "/tasks"),
        ("PUT", "/tasks/{taskId}"),
    ]


@pytest.mark.parametrize(
    ("route", "success"),
    [
        (("GET", "/tasks"), "200"),
        (("GET", "/tasks/{taskId}"), "200"),
        (("POST", "/tasks"), "201"),
        (("PUT", "/tasks/{taskId}"), "200"),
        (("DELETE", "/tasks/{taskId}"), "204"),
    ],
)
def test_every_error_answer_is_an_error_response(
    document: dict[str, object], route: tuple[str, str], success: str
) -> None:
    responses: dict[str, dict[str, object]] = operations(document)[route]["responses"]  # type: ignore[assignment]

    assert "422" not in responses
    assert success in responses
    for code, response in responses.items():
        if code.startswith(("4", "5")):
            assert response["content"] == {"application/json": {"schema": ERROR_SCHEMA}}


@pytest.mark.parametrize(
    ("route", "model"),
    [
        (("POST", "/tasks"), "CreateTaskRequest"),
        (("PUT", "/tasks/{taskId}"), "UpdateTaskRequest"),
    ],
)
def test_request_bodies_come_from_the_generated_models(
    document: dict[str, object], route: tuple[str, str], model: str
) -> None:
    body = operations(document)[route]["requestBody"]

    assert body == {
        "content": {
            "application/json": {"schema": {"$ref": f"#/components/schemas/{model}"}}
        },
        "required": True,
    }


def test_the_page_parameters_carry_their_limits(document: dict[str, object]) -> None:
    parameters = operations(document)[("GET", "/tasks")]["parameters"]

    limit = next(p for p in parameters if p["name"] == "limit")  # type: ignore[attr-defined]
    assert limit["schema"]["minimum"] == 1
    assert limit["schema"]["maximum"] == 100
    assert limit["schema"]["default"] == 20


def test_the_command_prints_the_document(capsys: pytest.CaptureFixture[str]) -> None:
    main()

    assert json.loads(capsys.readouterr().out) == openapi_document()
