"""Resources of any pulumi-gcp type (``input:resources``), each after those it waits for:
its ``depends_on`` and the resources its references name. A reference,
``${resources.<name>.<output>}``, becomes that resource's output (the value itself when it is
the whole string, else the text with the output in its place). The stack's labels and
protection apply as in the built-in sections; every resource waits for the APIs the stack
enables."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from polyinfra.foundation import argspec
from polyinfra.foundation.anyresource import AnyResource, BadRef, ResourceRef, parse_type, pieces
from polyinfra.foundation.naming import make_resource_name
from polyinfra.foundation.resources import BuildContext

if TYPE_CHECKING:
    import pulumi

NAME = "resources"


def build(ctx: BuildContext) -> None:
    """Declare every resource of ``input:resources``, in dependency order."""
    import pulumi

    declared = ctx.config.input.resources
    created = ctx.resources.resources
    apis = list(ctx.resources.services.values())
    for name in build_order(declared):
        entry = declared[name]
        kind = parse_type(entry.type)  # validated
        protect = ctx.config.protect if entry.protect is None else entry.protect
        args = {key: _resolved(value, created) for key, value in entry.args.items()}
        labels = kind.labels_argument()
        if labels is not None and ctx.config.labels and isinstance(args.get(labels) or {}, dict):
            args[labels] = {**ctx.config.labels, **(args.get(labels) or {})}
        args = {**kind.protection(protect), **args}
        if "project" in argspec.spec(kind.args_class).required and "project" not in args:
            args["project"] = ctx.config.project
        waits: list[pulumi.Resource] = [created[other] for other in entry.depends_on]
        created[name] = kind.load()(
            make_resource_name(kind.prefix, name),
            opts=pulumi.ResourceOptions(protect=protect, depends_on=[*waits, *apis] or None),
            **args,
        )


def waits_for(entry: AnyResource) -> list[str]:
    """The names of the resources ``entry`` waits for: its ``depends_on``, then those its
    references name, each once."""
    names = list(entry.depends_on)
    for value in _strings(entry.args):
        for piece in pieces(value) or ():
            if isinstance(piece, ResourceRef) and piece.name not in names:
                names.append(piece.name)
    return names


def build_order(declared: dict[str, AnyResource]) -> list[str]:
    """The names of ``declared``, each after the resources it waits for, otherwise in the
    order of the stack file (validation has ruled out cycles and unknown names)."""
    ordered: list[str] = []
    placed: set[str] = set()
    # a stack of its own: a long chain of references must not reach the recursion limit
    for first in declared:
        if first in placed:
            continue
        placed.add(first)
        stack = [(first, iter(waits_for(declared[first])))]
        while stack:
            name, waits = stack[-1]
            other = next(waits, None)
            if other is None:
                stack.pop()
                ordered.append(name)
            elif other in declared and other not in placed:
                placed.add(other)
                stack.append((other, iter(waits_for(declared[other]))))
    return ordered


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict) and not argspec.is_secret(value):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return []


def _resolved(value: Any, created: dict[str, pulumi.CustomResource]) -> Any:
    """``value`` with each resource reference replaced by the output it names."""
    import pulumi

    if isinstance(value, dict):
        return {key: _resolved(item, created) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolved(item, created) for item in value]
    if not isinstance(value, str):
        return value
    found = pieces(value)
    if found is None:
        return value
    if all(isinstance(piece, str) for piece in found):
        return "".join(str(piece) for piece in found)  # only escaped references
    parts = [
        getattr(created[piece.name], piece.output)
        if isinstance(piece, ResourceRef)
        else piece.text
        if isinstance(piece, BadRef)  # validated: never here
        else piece
        for piece in found
    ]
    if len(parts) == 1:  # the whole value: the output as it is
        return parts[0]
    return pulumi.Output.all(*parts).apply(lambda items: "".join(_text(item) for item in items))


def _text(value: Any) -> str:
    """An output as part of a string: booleans as YAML writes them."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
