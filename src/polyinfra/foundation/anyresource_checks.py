"""Offline checks of ``input:resources`` (:mod:`polyinfra.foundation.anyresource`), before the
model is built: each name, each type (a resource class of the installed pulumi-gcp), each
``args`` against that class's ``*Args`` exactly as a built-in section's, each ``depends_on``
entry and each ``${resources.<name>.<output>}`` reference (the resource, the output, its kind
where it is used), and cycles among them. A reference anywhere else is an error too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from polyinfra.foundation import argspec
from polyinfra.foundation.anyresource import (
    NAME,
    REFERENCE_FORM,
    BadRef,
    ResourceRef,
    ResourceType,
    outputs,
    parse_type,
    pieces,
    strings,
)
from polyinfra.foundation.arguments import ARGUMENT_VALUES
from polyinfra.foundation.deferred import Deferred
from polyinfra.foundation.model import Findings
from polyinfra.foundation.references import RESOURCES, RESOURCES_KEY
from polyinfra.suggest import closest
from polyinfra.values import Check, InvalidValue, deprecated_role, each, role
from polyinfra.values.members import iam_member
from polyinfra.yamlio import KeyPath

#: Edges of the dependency graph: resource -> [(resource it waits for, where that is said)].
Edges = dict[str, list[tuple[str, KeyPath]]]

_KIND_WORDS = {
    "str": "a string",
    "int": "an integer",
    "float": "a number",
    "bool": "a boolean",
    "list": "a list",
    "map": "a mapping",
    "obj": "a mapping",
    "any": "a value",
}
_SCALAR_KINDS = frozenset({"str", "int", "float", "bool", "any"})
#: The classes the built-in sections use: their arguments' values are checked as there.
_BUILT_IN_ARGS = frozenset(f"{module}.{name}" for module, name in argspec.ROOT_ARGS)


def check_raw(raw: Mapping[str, Any], errors: Findings) -> None:
    """Every problem of ``raw["input"]["resources"]``, and every resource reference outside it
    (``raw``: the split namespaces, ``gcp``, ``input`` and ``labels``)."""
    _stray_references(raw, errors)
    declared = raw["input"].get("resources")
    if not isinstance(declared, dict):
        return  # absent, or "expected a mapping" from the model
    types: dict[str, ResourceType] = {}
    for name, entry in declared.items():
        base: KeyPath = ("input", "resources", str(name))
        if not NAME.fullmatch(str(name)):
            errors.add(
                base,
                f"'{name}' is not a resource name: letters, digits, '-' and '_', a letter "
                "first, at most 63",
                "the name is part of references and of the Pulumi resource name",
            )
        if isinstance(entry, dict) and "type" in entry:
            try:
                types[str(name)] = parse_type(entry["type"])
            except InvalidValue as exc:
                errors.add((*base, "type"), exc.message, exc.hint, value=True)
    edges: Edges = {}
    for name, entry in declared.items():
        if isinstance(entry, dict):
            _check_entry(str(name), entry, declared, types, errors, edges)
    _report_cycles(edges, errors)


def _check_entry(
    name: str,
    entry: dict[str, Any],
    declared: dict[str, Any],
    types: dict[str, ResourceType],
    errors: Findings,
    edges: Edges,
) -> None:
    base: KeyPath = ("input", "resources", name)
    waits = edges.setdefault(name, [])
    depends_on = entry.get("depends_on")
    if isinstance(depends_on, list):
        for index, other in enumerate(depends_on):
            path: KeyPath = (*base, "depends_on", index)
            if not isinstance(other, str):
                continue  # "expected a string", from the model
            if other not in declared:
                errors.add(path, _unknown(other), _did_you_mean(other, declared), value=True)
            else:
                waits.append((other, path))
    args = entry.get("args")
    if not isinstance(args, dict):
        return  # absent, or "expected a mapping" from the model
    prepared = _deferred(args, (*base, "args"), declared, types, errors, waits)
    resource_type = types.get(name)
    if resource_type is None:
        return  # its type is missing or wrong (reported): its arguments are unknown
    values = _argument_values(resource_type.args_class)
    for issue in argspec.check_args(
        prepared, resource_type.args_class, supplied=frozenset({"project"}), values=values
    ):
        errors.malformed |= not issue.of_value
        path = (*base, "args", *issue.path)
        errors.add(path, issue.message, issue.hint, value=not issue.at_key)
    if _IAM_ARGS.search(resource_type.args_class):
        deprecated = deprecated_role(prepared.get("role"))
        if deprecated is not None:
            errors.warn((*base, "args", "role"), "; ".join(deprecated))


#: The Args classes of the provider's IAM members and bindings (``projects.IAMMemberArgs``,
#: ``secretmanager.SecretIamMemberArgs``, ``storage.BucketIAMBindingArgs``...).
_IAM_ARGS = re.compile(r"I(?:AM|am)(?:Member|Binding)Args$")


def _argument_values(args_class: str) -> dict[str, Check]:
    """The value checks of ``args_class``'s arguments: the sections' own for the classes they
    use, and for an IAM member or binding its role and members checked as in ``iam`` (a
    predefined role that exists, members of the forms IAM accepts)."""
    found: dict[str, Check] = dict(ARGUMENT_VALUES) if args_class in _BUILT_IN_ARGS else {}
    short = args_class.rsplit(".", 1)[-1]
    if _IAM_ARGS.search(short):
        found[f"{short}.role"] = role
        found[f"{short}.member"] = iam_member
        found[f"{short}.members"] = each(iam_member)
    return found


def _deferred(
    value: Any,
    path: KeyPath,
    declared: dict[str, Any],
    types: dict[str, ResourceType],
    errors: Findings,
    waits: list[tuple[str, KeyPath]],
) -> Any:
    """``value`` with each string holding resource references replaced by what the program
    will give in its place (:class:`Deferred`), each reference checked on the way."""
    if isinstance(value, dict) and not argspec.is_secret(value):
        return {
            key: _deferred(item, (*path, key), declared, types, errors, waits)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [
            _deferred(item, (*path, index), declared, types, errors, waits)
            for index, item in enumerate(value)
        ]
    if not isinstance(value, str):
        return value
    found = pieces(value)
    if found is None:
        return value
    if all(isinstance(piece, str) for piece in found):
        return "".join(str(piece) for piece in found)  # only escaped references
    refs: list[tuple[ResourceRef, str]] = []
    for piece in found:
        if isinstance(piece, BadRef):
            errors.add(path, piece.message, f"e.g. ${{{RESOURCES}.db.connection_name}}", value=True)
        elif isinstance(piece, ResourceRef):
            refs.append((piece, _check_reference(piece, path, declared, types, errors)))
            if piece.name in declared:
                waits.append((piece.name, path))
    if len(found) == 1 and refs:
        ref, kind = refs[0]
        what = f"the output '{ref.output}' of resource '{ref.name}' ({_KIND_WORDS[kind]})"
        return Deferred(kind, what)
    for piece, kind in refs:
        if kind not in _SCALAR_KINDS:
            errors.add(
                path,
                f"reference '{piece.text}' is inside a longer string, but the output is "
                f"{_KIND_WORDS[kind]}",
                "only a string, number or boolean can be part of a string; make the reference "
                "the whole value to take the output as it is",
                value=True,
            )
    return Deferred("str", "text holding resource references")


def _check_reference(
    ref: ResourceRef,
    path: KeyPath,
    declared: dict[str, Any],
    types: dict[str, ResourceType],
    errors: Findings,
) -> str:
    """The kind of value ``ref`` stands for ("any" when that cannot be told); its problems
    added to ``errors`` at ``path``."""
    if ref.name not in declared:
        errors.add(
            path,
            f"reference '{ref.text}': {_unknown(ref.name)}",
            _did_you_mean(ref.name, declared),
            value=True,
        )
        return "any"
    target = types.get(ref.name)
    if target is None:
        return "any"  # its type is reported
    available = outputs(target)
    if ref.output in available:
        return available[ref.output]
    close = closest(ref.output, available)
    errors.add(
        path,
        f"reference '{ref.text}': {target} has no output '{ref.output}'",
        f"did you mean '{close}'?"
        if close
        else f"outputs of {target}: " + ", ".join(sorted(available)),
        value=True,
    )
    return "any"


def _unknown(name: str) -> str:
    return f"no resource '{name}' under input:resources"


def _did_you_mean(name: str, declared: Mapping[str, Any]) -> str:
    names = sorted(str(key) for key in declared)
    close = closest(name, names)
    if close:
        return f"did you mean '{close}'?"
    return "resources: " + (", ".join(names) or "none")


def _report_cycles(edges: Edges, errors: Findings) -> None:
    """Each cycle of waits once, at the entry or reference that closes it."""
    seen: set[frozenset[str]] = set()
    for cycle, where in _cycles(edges):
        key = frozenset(cycle)
        if key in seen:
            continue
        seen.add(key)
        errors.add(
            where,
            "a cycle of dependencies between resources: " + " -> ".join(cycle),
            "a resource cannot wait for itself, directly or through others: remove one of the "
            "references or depends_on entries",
            value=True,
        )


def _cycles(edges: Edges) -> Iterator[tuple[list[str], KeyPath]]:
    """Each cycle (``[a, b, a]``) a depth-first walk meets, with the edge that closes it.

    The walk keeps its own stack (a chain of thousands of references must not reach Python's
    recursion limit) and each node's place on the trail, so it takes time linear in the
    edges."""
    done: set[str] = set()
    for start in edges:
        if start in done:
            continue
        trail: list[str] = [start]
        place: dict[str, int] = {start: 0}
        stack = [iter(edges.get(start, []))]
        while stack:
            step = next(stack[-1], None)
            if step is None:
                stack.pop()
                node = trail.pop()
                del place[node]
                done.add(node)
                continue
            target, where = step
            if target in place:
                yield [*trail[place[target] :], target], where
            elif target not in done:
                place[target] = len(trail)
                trail.append(target)
                stack.append(iter(edges.get(target, [])))


def _stray_references(raw: Mapping[str, Any], errors: Findings) -> None:
    """A resource reference outside ``input:resources`` (the program's own keys included):
    nothing would resolve it."""
    sections = [(namespace, raw.get(namespace)) for namespace in ("gcp", "input", "labels")]
    sections += list((raw.get("program") or {}).items())
    for namespace, section in sections:
        if not isinstance(section, dict):
            continue
        for key, value in section.items():
            if namespace == "input" and key == RESOURCES_KEY.partition(":")[2]:
                continue
            for path, text in strings(value, (namespace, str(key))):
                refs = [p for p in pieces(text) or () if not isinstance(p, str)]
                if refs:
                    errors.add(
                        path,
                        f"reference '{refs[0].text}' names a resource of input:resources, "
                        "which only values under input:resources may reference",
                        f"`{RESOURCES}` is reserved for {REFERENCE_FORM} (a program folder "
                        "named resources cannot be referenced: rename it)",
                        value=True,
                    )
