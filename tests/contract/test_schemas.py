"""The schemas: valid, resolvable, with valid examples, in sync with the models."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from tests.contract.models import MODEL_FOR_SCHEMA
from tests.schema_support import (
    SCHEMA_DIR,
    errors_for,
    load_schema,
    registry,
    schema_files,
)

ROOT = SCHEMA_DIR.parent


def _walk(node: Any, pointer: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (JSON pointer, sub-schema) for every object in a schema document."""
    if isinstance(node, dict):
        yield pointer, node
        for key, value in node.items():
            if key not in ("examples", "const", "enum", "default"):
                escaped = key.replace("~", "~0").replace("/", "~1")
                yield from _walk(value, f"{pointer}/{escaped}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _walk(item, f"{pointer}/{index}")


def _refs() -> list[tuple[str, str]]:
    return [
        (name, sub["$ref"])
        for name in schema_files()
        for _, sub in _walk(load_schema(name))
        if "$ref" in sub
    ]


def _examples() -> list[tuple[str, str, Any]]:
    return [
        (name, pointer, example)
        for name in schema_files()
        for pointer, sub in _walk(load_schema(name))
        for example in sub.get("examples", [])
        if "type" in sub or "$ref" in sub or "oneOf" in sub
    ]


def test_schema_folder_holds_every_contract() -> None:
    assert set(schema_files()) == {"definitions.json", *MODEL_FOR_SCHEMA}


@pytest.mark.parametrize("name", schema_files())
def test_schema_is_valid_against_its_meta_schema(name: str) -> None:
    schema = load_schema(name)

    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith(f"/schemas/{name}")


@pytest.mark.parametrize(("name", "ref"), _refs())
def test_every_ref_resolves(name: str, ref: str) -> None:
    resolver = registry().resolver(base_uri=load_schema(name)["$id"])

    assert resolver.lookup(ref).contents


def test_refs_cross_files() -> None:
    assert any(not ref.startswith("#") for _, ref in _refs())


@pytest.mark.parametrize(("name", "pointer", "example"), _examples())
def test_every_example_validates(name: str, pointer: str, example: object) -> None:
    located = {"$ref": f"{load_schema(name)['$id']}#{pointer}"}
    validator = Draft202012Validator(
        located, registry=registry(), format_checker=FormatChecker()
    )

    assert [error.message for error in validator.iter_errors(example)] == []


@pytest.mark.parametrize("name", sorted(MODEL_FOR_SCHEMA))
def test_every_contract_has_examples(name: str) -> None:
    assert load_schema(name)["examples"]


@pytest.mark.parametrize(
    ("name", "example"),
    [
        (name, ex)
        for name in sorted(MODEL_FOR_SCHEMA)
        for ex in load_schema(name)["examples"]
    ],
)
def test_example_parses_into_its_model_and_dumps_back_valid(
    name: str, example: object
) -> None:
    model = MODEL_FOR_SCHEMA[name]

    dumped = model.dump_python(model.validate_python(example), mode="json")

    assert errors_for(name, dumped) == []


def test_generated_models_are_in_sync_with_schemas() -> None:
    codegen = Path(sys.executable).parent / "datamodel-codegen"

    result = subprocess.run(  # noqa: S603 - our own pinned tool, fixed arguments
        [str(codegen), "--check"], cwd=ROOT, capture_output=True, text=True, check=False
    )

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("record", load_schema("failure-record.json")["examples"])
def test_failure_record_examples_wrap_valid_handoff_events(
    record: dict[str, Any],
) -> None:
    assert record["requestContext"]["condition"] != "EventRejected"
    assert errors_for("handoff-event.json", record["requestPayload"]) == []
