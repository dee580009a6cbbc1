"""The Task API's OpenAPI document, derived from the routes and the generated models.

``python -m task_service.openapi`` prints it (JSON). One resolver holds the routes of
both functions, so the document describes the API as clients see it.
"""

from __future__ import annotations

import json
from typing import Any

from task_service.api import build_resolver, read_router, write_router

TITLE = "Task API"
VERSION = "1.0.0"

# Powertools documents its own 422 for validation errors (and the schemas behind it);
# this API answers those with a 400 ErrorResponse instead, declared on each route.
_POWERTOOLS_VALIDATION_SCHEMAS = (
    "HTTPValidationError",
    "ResponseValidationError",
    "ValidationError",
)


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3 document of all five routes, as a JSON-ready dict."""
    app = build_resolver(read_router, write_router)
    document: dict[str, Any] = json.loads(
        app.get_openapi_json_schema(
            title=TITLE,
            version=VERSION,
            summary="Tasks over DynamoDB; each change is handed off as an event.",
        )
    )

    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.get("responses", {})
            responses.pop("422", None)
            # A 204 has no body, hence no media type to document.
            responses.get("204", {}).pop("content", None)
    schemas = document.get("components", {}).get("schemas", {})
    for name in _POWERTOOLS_VALIDATION_SCHEMAS:
        schemas.pop(name, None)
    return document


def main() -> None:
    """Print the document to standard output."""
    print(json.dumps(openapi_document(), indent=2, ensure_ascii=False))  # noqa: T201 - the command's output


if __name__ == "__main__":
    main()
