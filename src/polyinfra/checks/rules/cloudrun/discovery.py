"""The Cloud Run Admin API v1 schemas, from the discovery document google-api-python-client
bundles (read once, offline)."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any

from polyinfra.errors import PolyinfraError

#: Root schema of each Cloud Run kind polyinfra checks.
ROOTS = {("serving.knative.dev/v1", "Service"): "Service", ("run.googleapis.com/v1", "Job"): "Job"}


@dataclass(frozen=True)
class FieldType:
    """One property of a schema: a JSON type, or a reference to another schema."""

    type: str | None  # string, integer, number, boolean, array, object, any; None for $ref
    ref: str | None = None
    format: str | None = None
    items: FieldType | None = None
    values: FieldType | None = None  # additionalProperties of a map
    description: str = ""

    @classmethod
    def parse(cls, raw: dict[str, Any]) -> FieldType:
        items = raw.get("items")
        values = raw.get("additionalProperties")
        return cls(
            type=raw.get("type"),
            ref=raw.get("$ref"),
            format=raw.get("format"),
            items=cls.parse(items) if isinstance(items, dict) else None,
            values=cls.parse(values) if isinstance(values, dict) else None,
            description=str(raw.get("description", "")),
        )


@dataclass(frozen=True)
class RunSchemas:
    """Schema name -> property name -> type."""

    schemas: dict[str, dict[str, FieldType]]
    revision: str

    def properties(self, schema: str) -> dict[str, FieldType]:
        return self.schemas.get(schema, {})


@functools.cache
def load() -> RunSchemas:
    """Parse ``run.v1.json`` from google-api-python-client's discovery cache."""
    from googleapiclient.discovery_cache import get_static_doc

    text = get_static_doc("run", "v1")
    if text is None:
        raise PolyinfraError(
            "google-api-python-client has no bundled run.v1.json discovery document; "
            "reinstall google-api-python-client>=2.100"
        )
    doc = json.loads(text)
    schemas = {
        name: {prop: FieldType.parse(raw) for prop, raw in body.get("properties", {}).items()}
        for name, body in doc["schemas"].items()
    }
    return RunSchemas(schemas=schemas, revision=str(doc.get("revision", "")))


#: A path pattern through the schema tree: keys, with "[]" for array items and "*" for map values.
Pattern = tuple[str, ...]


@functools.cache
def field_locations(root: str) -> dict[str, tuple[Pattern, ...]]:
    """Property name -> every place it is valid under ``root`` (``status`` excluded), shallow
    first. Used to say where a misplaced field belongs."""
    schemas = load()
    found: dict[str, list[Pattern]] = {}

    def visit(schema: str, where: Pattern, seen: frozenset[str]) -> None:
        for name, field in schemas.properties(schema).items():
            if not where and name == "status":
                continue
            here = (*where, name)
            found.setdefault(name, []).append(here)
            visit_type(field, here, seen)

    def visit_type(field: FieldType, where: Pattern, seen: frozenset[str]) -> None:
        if field.ref and field.ref not in seen:
            visit(field.ref, where, seen | {field.ref})
        elif field.items is not None:
            visit_type(field.items, (*where, "[]"), seen)

    visit(root, (), frozenset({root}))
    return {name: tuple(sorted(paths, key=len)) for name, paths in found.items()}


def format_pattern(pattern: Pattern) -> str:
    """``("spec", "containers", "[]", "env")`` -> ``spec.containers[].env``."""
    text = ""
    for step in pattern:
        text += step if step in ("[]", "*") or not text else f".{step}"
    return text
