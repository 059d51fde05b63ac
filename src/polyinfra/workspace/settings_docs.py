"""The settings reference (``docs/settings.md``), generated from the :class:`Settings` model.

``python -m polyinfra.workspace.settings_docs > docs/settings.md``
"""

from __future__ import annotations

import json
import types
import typing
from typing import Any

from pydantic import BaseModel, ByteSize
from pydantic.fields import FieldInfo

from polyinfra.workspace.settings import Settings

_INTRO = """# Settings: `[tool.polyinfra]`

polyinfra reads its settings from `[tool.polyinfra]` in `infrastructure/pyproject.toml`. Every
setting has a default, so the table may be absent; an unknown key is an error that names the
line and the closest known key. Settings of the foundation stack itself (protection, labels,
resources) live in the stack files `Pulumi.<stack>.yaml`, next to what they describe.

This page is generated from the code: `python -m polyinfra.workspace.settings_docs`.
"""


def settings_markdown() -> str:
    """The whole reference page."""
    sections: list[str] = [_INTRO]
    for table, model, array in _tables(("tool", "polyinfra"), Settings):
        sections.append(_section(table, model, array))
    return "\n".join(sections)


def _tables(
    table: tuple[str, ...], model: type[BaseModel], array: bool = False
) -> list[tuple[tuple[str, ...], type[BaseModel], bool]]:
    """``model`` and every nested settings table under it, depth first; ``array`` marks an
    array of tables (``[[...]]``)."""
    found = [(table, model, array)]
    for name, field in model.model_fields.items():
        nested = _nested_model(field.annotation)
        if nested is None:
            continue
        key = (*table, name)
        if _is_mapping(field.annotation):
            key = (*key, f"<{_KEY_NAMES.get(name, 'name')}>")
        found.extend(_tables(key, nested, typing.get_origin(field.annotation) is list))
    return found


_KEY_NAMES = {"apps": "app"}


def _section(table: tuple[str, ...], model: type[BaseModel], array: bool = False) -> str:
    header = ".".join(table)
    doc = (model.__doc__ or "").strip()
    lines = [f"## `[[{header}]]`" if array else f"## `[{header}]`", ""]
    summary = doc.split("\n\n", 1)[1].strip() if "\n\n" in doc else ""
    if summary:
        lines += [" ".join(summary.replace("``", "`").split()), ""]
    rows = [
        (name, field)
        for name, field in model.model_fields.items()
        if _nested_model(field.annotation) is None
    ]
    if not rows:
        lines.append("Holds the tables below.")
        return "\n".join(lines) + "\n"
    lines += ["| key | type | default | meaning |", "|---|---|---|---|"]
    for name, field in rows:
        description = " ".join((field.description or "").split()).replace("|", "\\|")
        lines.append(
            f"| `{name}` | {_type_name(field.annotation)} | {_default(field)} | {description} |"
        )
    return "\n".join(lines) + "\n"


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if _is_mapping(annotation) or typing.get_origin(annotation) is list:
        value = typing.get_args(annotation)[-1]
        if isinstance(value, type) and issubclass(value, BaseModel):
            return value
    return None


def _is_mapping(annotation: Any) -> bool:
    return typing.get_origin(annotation) is dict


def _type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is dict:
        return f"table of {_type_name(args[0])} → {_type_name(args[1])}"
    if origin is list:
        return f"list of {_type_name(args[0])}"
    if origin is typing.Literal:
        return " \\| ".join(f"`{json.dumps(a)}`" for a in args)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in args)
    if annotation is type(None):
        return "none"
    return {
        str: "string",
        int: "integer",
        bool: "boolean",
        float: "number",
        ByteSize: 'size: integer (bytes) or string with a unit (`"64MiB"`)',
    }.get(annotation, getattr(annotation, "__name__", str(annotation)))


def _default(field: FieldInfo) -> str:
    if field.is_required():
        return "required"
    value = field.get_default(call_default_factory=True)
    if value is None:
        return "unset"
    if value in ({}, []):
        return "empty"
    return f"`{json.dumps(value)}`"


if __name__ == "__main__":
    print(settings_markdown(), end="")
