"""JSON Schema of ``Pulumi.<stack>.yaml`` for editors (yaml-language-server), built from the config
models and, for pass-through sections, from the installed pulumi-gcp ``*Args`` classes."""

from __future__ import annotations

import collections.abc
import json
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from polyinfra.errors import UserError
from polyinfra.foundation.argspec import ArgsSpec, TypeExpr, spec
from polyinfra.foundation.keys import provider_config_keys
from polyinfra.foundation.model import PULUMI_STACK_KEYS, GcpConfig, InputConfig
from polyinfra.foundation.passthrough import PassThrough

SCHEMA_ID = "https://polyinfra.dev/schemas/stack-config.json"


def stack_config_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a foundation stack file."""
    defs: dict[str, Any] = {}
    properties: dict[str, Any] = {}
    for name, field in InputConfig.model_fields.items():
        schema = _annotation_schema(field.annotation, defs)
        if field.description:
            schema = {**schema, "description": field.description}
        properties[f"input:{name}"] = schema
    for name in sorted(provider_config_keys()):
        properties[f"gcp:{name}"] = {}
    for name in GcpConfig.model_fields:
        properties[f"gcp:{name}"] = {"type": "string"}
    config = {
        "type": "object",
        "description": "Stack configuration: gcp: provider settings, input: what the foundation "
        "program reads, label: labels applied to every labelable resource. Keys of any other "
        "namespace (the Pulumi project's own, other providers') go to the program untouched.",
        "properties": properties,
        "required": ["gcp:project"],
        "patternProperties": {
            # Keys that only hold a YAML anchor for reuse elsewhere in the file.
            "^input:": {},
            "^label:[a-z][a-z0-9_-]{0,62}$": {"type": "string", "pattern": "^[a-z0-9_-]{0,63}$"},
            # The user's namespaces: `<namespace>:<name>` or Pulumi's `<namespace>:config:<name>`.
            "^(?!(gcp|input|label):)[^:]*:(config:)?[^:]*$": {},
        },
        "additionalProperties": False,
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "polyinfra foundation stack configuration (Pulumi.<stack>.yaml)",
        "type": "object",
        "properties": {key: {} for key in PULUMI_STACK_KEYS} | {"config": config},
        "additionalProperties": False,
        "$defs": dict(sorted(defs.items())),
    }


_SCALARS = {str: {"type": "string"}, bool: {"type": "boolean"}, int: {"type": "integer"}}


def _annotation_schema(annotation: Any, defs: dict[str, Any]) -> dict[str, Any]:
    if typing.get_origin(annotation) is typing.Annotated:  # a kind of value: its base type
        return _annotation_schema(typing.get_args(annotation)[0], defs)
    if annotation in _SCALARS:
        return dict(_SCALARS[annotation])
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Union or origin is types.UnionType:
        options = [a for a in args if a is not type(None)]
        return _annotation_schema(options[0], defs) if len(options) == 1 else {}
    if origin is list:
        item = _annotation_schema(args[0], defs)
        if isinstance(args[0], type) and args[0].__name__ == "Bucket":
            # cloud_storage also takes a single bucket mapping
            return {"anyOf": [item, {"type": "array", "items": item}]}
        return {"type": "array", "items": item}
    if origin is dict:
        return {"type": "object", "additionalProperties": _annotation_schema(args[1], defs)}
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _model_ref(annotation, defs)
    return {}


def _model_ref(model: type[BaseModel], defs: dict[str, Any]) -> dict[str, Any]:
    name = model.__name__
    if name not in defs:
        defs[name] = {}
        own = {}
        for field_name, field in model.model_fields.items():
            own[field_name] = _annotation_schema(field.annotation, defs)
            if field.description:
                own[field_name] = {**own[field_name], "description": field.description}
        description = (model.__doc__ or "").strip().splitlines()[0] if model.__doc__ else ""
        if issubclass(model, PassThrough):
            schema = args_schema(
                model.ARGS, defs, extra=own, drop=model.EXCLUDED, optional=model.SUPPLIED
            )
            required = {n for n, f in model.model_fields.items() if f.is_required()}
            schema["required"] = sorted(set(schema.get("required", [])) | required)
            for key, meaning in model.SHORTHANDS.items():
                full = schema["properties"][key]
                text = {"type": "string", "description": meaning}
                schema["properties"][key] = {"anyOf": [text, full]}
        else:
            schema = {"type": "object", "properties": own, "additionalProperties": False}
            required_fields = [n for n, f in model.model_fields.items() if f.is_required()]
            if required_fields:
                schema["required"] = required_fields
        if description:
            schema["description"] = description
        defs[name] = schema
    return {"$ref": f"#/$defs/{name}"}


def args_schema(
    name: str,
    defs: dict[str, Any],
    *,
    extra: dict[str, Any] | None = None,
    drop: collections.abc.Set[str] = frozenset(),
    optional: collections.abc.Set[str] = frozenset(),
) -> dict[str, Any]:
    """JSON Schema for the arguments of Args class ``name``; nested args go into ``defs``.

    ``extra`` adds properties of our own, ``drop`` removes arguments the program owns and
    ``optional`` relaxes arguments the program supplies.
    """

    def ref_for(key: str) -> dict[str, Any]:
        short = "gcp." + key.rsplit(":", 1)[-1]
        if short not in defs:
            defs[short] = {}
            defs[short] = object_schema(spec(key), None, frozenset(), frozenset())
        return {"$ref": f"#/$defs/{short}"}

    def type_schema(expr: TypeExpr) -> dict[str, Any]:
        if isinstance(expr, str):
            return {
                "str": {"type": "string"},
                "bool": {"type": "boolean"},
                "int": {"type": "integer"},
                "float": {"type": "number"},
            }.get(expr, {})
        kind, inner = expr
        if kind == "list":
            return {"type": "array", "items": type_schema(inner)}
        if kind == "map":
            return {"type": "object", "additionalProperties": type_schema(inner)}
        if kind == "obj":
            return ref_for(inner)
        return {"anyOf": [type_schema(option) for option in inner]}

    def choice_schema(schema: dict[str, Any], choices: tuple[str, ...] | None) -> dict[str, Any]:
        """``schema`` with the values the provider documents (of a string, or list items)."""
        if not choices:
            return schema
        if schema.get("type") == "array":
            return {**schema, "items": {**schema["items"], "enum": list(choices)}}
        return {**schema, "enum": list(choices)}

    def object_schema(
        args: ArgsSpec,
        more: dict[str, Any] | None,
        dropped: collections.abc.Set[str],
        relaxed: collections.abc.Set[str],
    ) -> dict[str, Any]:
        properties = {
            field: choice_schema(type_schema(expr), args.choices.get(field))
            for field, expr in args.fields.items()
            if field not in dropped
        }
        if more:
            properties.update(more)
        schema: dict[str, Any] = {
            "type": "object",
            "properties": properties,
            "additionalProperties": False,
        }
        required = sorted(args.required - dropped - relaxed)
        if required:
            schema["required"] = required
        return schema

    return object_schema(spec(name), extra, drop, optional)


def write_stack_config_schema(output: Path | None = None) -> str:
    """The schema as JSON text; also written to ``output`` (atomically) when given."""
    text = json.dumps(stack_config_schema(), indent=2) + "\n"
    if output is not None:
        if output.parent and not output.parent.is_dir():
            raise UserError(
                f"{output.parent}: folder does not exist", hint="create it or pick another path"
            )
        tmp = output.with_name(f".{output.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(output)
    return text
