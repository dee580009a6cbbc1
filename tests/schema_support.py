"""Load the JSON Schemas in ``schemas/`` for tests: validators and bundled copies."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"


@cache
def schema_files() -> tuple[str, ...]:
    """The file names of every schema, sorted."""
    return tuple(sorted(path.name for path in SCHEMA_DIR.glob("*.json")))


@cache
def load_schema(name: str) -> dict[str, Any]:
    """The parsed schema file ``name`` (e.g. ``"task.json"``)."""
    schema: dict[str, Any] = json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))
    return schema


@cache
def registry() -> Registry[Any]:
    """Every schema, registered under its ``$id``, so cross-file ``$ref`` resolve."""
    resources = [
        (
            load_schema(name)["$id"],
            Resource.from_contents(load_schema(name), DRAFT202012),
        )
        for name in schema_files()
    ]
    return Registry().with_resources(resources)


@cache
def validator_for(name: str) -> Draft202012Validator:
    """A validator for schema file ``name`` that checks formats (date-time, uuid)."""
    return Draft202012Validator(
        load_schema(name), registry=registry(), format_checker=FormatChecker()
    )


def errors_for(name: str, instance: object) -> list[str]:
    """Every validation error of ``instance`` against ``name``, as readable lines."""
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '<root>'}: {error.message}"
        for error in validator_for(name).iter_errors(instance)
    ]


def bundled(name: str) -> dict[str, Any]:
    """Schema ``name`` with every ``$ref`` replaced by its target, for generators."""
    root = load_schema(name)
    resolver = registry().resolver(base_uri=root["$id"])

    def inline(node: Any, resolver: Any) -> Any:
        if isinstance(node, list):
            return [inline(item, resolver) for item in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            resolved = resolver.lookup(node["$ref"])
            target = inline(resolved.contents, resolved.resolver)
            siblings = {k: v for k, v in node.items() if k != "$ref"}
            return {**target, **inline(siblings, resolver)} if siblings else target
        return {
            key: value
            if key in ("examples", "const", "enum", "default")
            else inline(value, resolver)
            for key, value in node.items()
            if key not in ("$defs", "$id", "$schema")
        }

    return inline(root, resolver)  # type: ignore[no-any-return]
