"""The Cloud Run Admin API v1 discovery document (``run.v1.json``, shipped with polyinfra as
Google publishes it at https://run.googleapis.com/$discovery/rest?version=v1) and the schemas
and methods read from it, once, offline."""

from __future__ import annotations

import functools
import importlib.resources
import json
from dataclasses import dataclass
from typing import Any

from polyinfra.cloudrun.vocabulary import JOB_API, JOB_KIND, SERVICE_API, SERVICE_KIND
from polyinfra.errors import PolyinfraError

DOCUMENT = "run.v1.json"

#: Root schema of each Cloud Run kind polyinfra checks.
ROOTS = {(SERVICE_API, SERVICE_KIND): "Service", (JOB_API, JOB_KIND): "Job"}


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
def document() -> dict[str, Any]:
    """The parsed discovery document."""
    resource = importlib.resources.files("polyinfra.cloudrun").joinpath(DOCUMENT)
    try:
        doc = json.loads(resource.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PolyinfraError(
            f"polyinfra's copy of the Cloud Run discovery document ({DOCUMENT}) cannot be read "
            f"({exc}); reinstall polyinfra"
        ) from exc
    if not isinstance(doc, dict):
        raise PolyinfraError(f"{DOCUMENT} is not a discovery document; reinstall polyinfra")
    return doc


@functools.cache
def load() -> RunSchemas:
    """The schemas of ``run.v1.json``: name -> property -> type."""
    doc = document()
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
