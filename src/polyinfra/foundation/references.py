"""Cross-stack references in stack files: ``${<program>.<output path>}`` in a config value stands
for a stack output of a sibling program's same-named stack.

A value that is exactly one reference takes the output's value (any JSON type); a reference
inside a longer string is interpolated (the output must be a string, number or boolean).
``$${`` writes a literal ``${``. :func:`resolve` substitutes every reference given the outputs
of each program and reports every problem at once, at the line of the value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from polyinfra.errors import UserError, UserErrors
from polyinfra.foundation import argspec
from polyinfra.positions import Position
from polyinfra.suggest import closest
from polyinfra.yamlio import KeyPath, YamlDocument

#: What opens a reference; ``$${`` is a literal ``${``.
OPEN = "${"
ESCAPED_OPEN = "$${"
#: How a reference is written, for hints.
SYNTAX = "${<program>.<output>[.<key>...]}"
#: The first segment of a reference to another resource of the same stack file
#: (``${resources.<name>.<output>}``, under ``input:resources``): never a program, so such a
#: reference is left as written, for the program to resolve when it runs.
RESOURCES = "resources"
#: The stack-file key whose values may hold resource references; there a ``$${`` before
#: ``resources.`` stays escaped, so the resource reader (which unescapes it) sees it as written.
RESOURCES_KEY = "input:resources"
_SEGMENT = re.compile(r"[^\s.${}]+")

#: The outputs of the program a reference names (its stack of the same name), or a UserError:
#: without a position when it is about the reference itself (an unknown program, a missing
#: stack file, a cycle), with one when the referenced stack itself is wrong.
OutputsOf = Callable[[str], Mapping[str, Any]]


def mentioned(text: str) -> bool:
    """Whether stack-file ``text`` may hold a reference (a cheap test on the raw text: a file
    without ``${`` is loaded exactly as it always was)."""
    return OPEN in text


@dataclass(frozen=True)
class Reference:
    """One ``${program.path}`` in a config value: what it names and where it stands."""

    program: str
    path: tuple[str, ...]
    #: the reference as written, ``${platform.gcp_project}``
    text: str
    #: where the value holding it is in the document (``("config", "gcp:project")``)
    key: KeyPath
    position: Position
    #: whether the reference is the whole value (it then keeps the output's type)
    whole: bool


@dataclass(frozen=True)
class _Literal:
    text: str


_Part = _Literal | Reference


def _parse(
    value: str, key: KeyPath, position: Position
) -> tuple[list[_Part] | None, list[UserError]]:
    """The literal text and references of one string value (None when it has neither a
    reference nor an escape), and what is malformed in it."""
    if OPEN not in value:
        return None, []
    parts: list[_Part] = []
    errors: list[UserError] = []
    literal = ""
    index = 0
    own_escapes = len(key) > 1 and key[1] == RESOURCES_KEY
    while index < len(value):
        if value.startswith(ESCAPED_OPEN, index):
            after = value[index + len(ESCAPED_OPEN) :].lstrip()
            kept = own_escapes and after.startswith(f"{RESOURCES}.")
            literal += ESCAPED_OPEN if kept else OPEN
            index += len(ESCAPED_OPEN)
            continue
        if not value.startswith(OPEN, index):
            literal += value[index]
            index += 1
            continue
        end = value.find("}", index)
        if end < 0:
            errors.append(
                UserError(
                    f"unterminated reference '{value[index:]}': no closing '}}'",
                    position=position,
                    hint=f"write {SYNTAX}, or $${{ for a literal '${{'",
                )
            )
            return None, errors
        text = value[index : end + 1]
        segments = value[index + len(OPEN) : end].strip().split(".")
        bad = [s for s in segments if not _SEGMENT.fullmatch(s)]
        if segments[0] == RESOURCES and len(segments) > 1:
            literal += text  # another resource's output: the program's to resolve
        elif len(segments) < 2 or bad:
            what = "names no output" if len(segments) < 2 and not bad else "is malformed"
            errors.append(
                UserError(
                    f"reference '{text}' {what}",
                    position=position,
                    hint=f"write {SYNTAX} (e.g. ${{platform.gcp_project}}), or $${{ for a "
                    "literal '${'",
                )
            )
        else:
            if literal:
                parts.append(_Literal(literal))
                literal = ""
            parts.append(
                Reference(segments[0], tuple(segments[1:]), text, key, position, whole=False)
            )
        index = end + 1
    if literal:
        parts.append(_Literal(literal))
    if len(parts) == 1 and isinstance(parts[0], Reference):
        only = parts[0]
        parts = [Reference(only.program, only.path, only.text, key, position, whole=True)]
    return parts, errors


def _strings(value: Any, key: KeyPath) -> Iterator[tuple[KeyPath, str]]:
    if argspec.is_secret(value):
        return
    if isinstance(value, str):
        yield key, value
    elif isinstance(value, dict):
        for name, item in value.items():
            yield from _strings(item, (*key, name))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*key, index))


def _position(doc: YamlDocument | None, key: KeyPath, file: Path) -> Position:
    return doc.position(key, value=True) if doc is not None else Position(file)


def find_references(
    config: Mapping[str, Any], doc: YamlDocument | None, file: Path
) -> tuple[list[Reference], list[UserError]]:
    """Every reference in the values of ``config`` (a stack file's ``config:``), in file order
    of the keys, with the position of the value holding it; and every malformed one."""
    found: list[Reference] = []
    errors: list[UserError] = []
    for key, value in _strings(dict(config), ("config",)):
        parts, problems = _parse(value, key, _position(doc, key, file))
        errors += problems
        found += [part for part in parts or () if isinstance(part, Reference)]
    return found, errors


def outputs_from(outputs: Mapping[str, Mapping[str, Any]]) -> OutputsOf:
    """An :data:`OutputsOf` over known outputs: any other program is unknown."""

    def outputs_of(program: str) -> Mapping[str, Any]:
        if program not in outputs:
            raise unknown_program(program, outputs)
        return outputs[program]

    return outputs_of


def unknown_program(program: str, known: Mapping[str, Any] | list[str]) -> UserError:
    """The error for a reference to a program that is not a sibling of the stack's own."""
    names = sorted(known)
    close = closest(program, names)
    listing = ", ".join(names) or "none"
    return UserError(
        f"unknown program '{program}'",
        hint=(f"did you mean '{close}'? " if close else "")
        + f"programs are the folders next to this one holding a Pulumi.yaml: {listing}",
    )


def resolvable(key: str, project: str | None) -> bool:
    """Whether references in config key ``key`` are resolved: those the program reads
    (``input:``, ``label:``, its own ``<project>:`` keys and bare ones). A provider's settings
    (``gcp:project``) are read by the Pulumi engine from the stack config before the program
    runs, so a reference there would reach the provider as written."""
    namespace, sep, _ = key.partition(":")
    return not sep or namespace in ("input", "label") or namespace == project


def resolve(
    config: Mapping[str, Any],
    doc: YamlDocument | None,
    outputs: OutputsOf | Mapping[str, Mapping[str, Any]],
    *,
    file: Path | None = None,
    project: str | None = None,
    secret_keys: Collection[str] = (),
) -> dict[str, Any]:
    """``config`` with every reference replaced by the output it names.

    ``outputs`` gives each program's outputs (a mapping, or a function asked once per
    program). Every problem is raised at once as :class:`UserErrors`, at the value that holds
    the reference; a string with no reference is kept as it is, an escaped one unescaped.
    A reference in a key the program does not read (:func:`resolvable`; ``project`` is the
    program's Pulumi project) is an error. The values of ``secret_keys`` (decrypted at run
    time) are kept as they are, never parsed.
    """
    outputs_of = outputs_from(outputs) if isinstance(outputs, Mapping) else outputs
    where = file or (doc.path if doc is not None else Path("Pulumi.yaml"))
    errors: list[UserError] = []
    known: dict[str, Mapping[str, Any] | None] = {}

    def program_outputs(ref: Reference) -> Mapping[str, Any] | None:
        if ref.program not in known:
            try:
                known[ref.program] = outputs_of(ref.program)
            except UserError as exc:
                known[ref.program] = None
                errors.extend(_at_reference(exc, ref))
        return known[ref.program]

    def substitute(value: Any, key: KeyPath) -> Any:
        if argspec.is_secret(value):
            return value
        if isinstance(value, dict):
            return {name: substitute(item, (*key, name)) for name, item in value.items()}
        if isinstance(value, list):
            return [substitute(item, (*key, index)) for index, item in enumerate(value)]
        if not isinstance(value, str):
            return value
        parts, problems = _parse(value, key, _position(doc, key, where))
        errors.extend(problems)
        if parts is None or problems:
            return value
        texts: list[str] = []
        for part in parts:
            if isinstance(part, _Literal):
                texts.append(part.text)
                continue
            found = program_outputs(part)
            if found is None:
                return value
            try:
                resolved = _lookup(found, part)
                if part.whole:
                    return resolved
                texts.append(_interpolated(resolved, part))
            except UserError as exc:
                errors.append(exc)
                return value
        return "".join(texts)

    resolved: dict[str, Any] = {}
    for name, item in config.items():
        if name in secret_keys:
            resolved[name] = item
        elif resolvable(name, project):
            resolved[name] = substitute(item, ("config", name))
        else:
            resolved[name] = item
            errors.extend(_provider_setting(name, item, doc, where))
    if errors:
        raise errors[0] if len(errors) == 1 else UserErrors(_unique(errors))
    return resolved


def _provider_setting(
    key: str, value: Any, doc: YamlDocument | None, file: Path
) -> list[UserError]:
    """An error for each reference in provider setting ``key``: the engine, not the program,
    reads it."""
    found, _ = find_references({key: value}, doc, file)
    namespace = key.partition(":")[0]
    return [
        UserError(
            f"reference '{ref.text}' in {key}: the {namespace} provider reads its settings from "
            "the stack config before the program runs, so a reference there is never resolved",
            position=ref.position,
            hint="write the value itself (the same one in each program that needs it); "
            "references work in input:, label: and the program's own keys",
        )
        for ref in found
    ]


def _at_reference(exc: UserError, ref: Reference) -> list[UserError]:
    """``exc`` (from asking for ``ref``'s program) as errors at the reference: an error of the
    referenced stack itself keeps its own position, after one saying which reference needed
    it."""
    inner = exc.errors if isinstance(exc, UserErrors) else [exc]
    if all(error.position is None for error in inner):
        return [
            UserError(f"reference '{ref.text}': {e.message}", position=ref.position, hint=e.hint)
            for e in inner
        ]
    header = UserError(
        f"reference '{ref.text}': the {ref.program} program's stack cannot be planned "
        "(its errors follow)",
        position=ref.position,
        hint=f"fix the {ref.program} stack file first; its outputs are what '{ref.text}' reads",
    )
    return [header, *inner]


def _lookup(outputs: Mapping[str, Any], ref: Reference) -> Any:
    """The value at ``ref.path`` in ``outputs``, or an error naming the first segment that is
    not there, with the keys that are."""
    node: Any = outputs
    for depth, segment in enumerate(ref.path):
        where = ".".join((ref.program, *ref.path[:depth]))
        if isinstance(node, Mapping):
            if segment in node:
                node = node[segment]
                continue
            keys = sorted(str(name) for name in node)
            close = closest(segment, keys)
            listing = ", ".join(keys) or "none"
            raise UserError(
                f"reference '{ref.text}': {where} has no output '{segment}'",
                position=ref.position,
                hint=(f"did you mean '{close}'? " if close else "")
                + f"{'outputs' if depth == 0 else 'keys'} of {where}: {listing}",
            )
        if isinstance(node, list) and segment.isdigit() and int(segment) < len(node):
            node = node[int(segment)]
            continue
        raise UserError(
            f"reference '{ref.text}': {where} is {argspec.describe(node)}, it has no '{segment}'",
            position=ref.position,
            hint=f"{where} is a value of its own: reference '${{{where}}}'"
            if not isinstance(node, list)
            else f"a list is indexed by number, from 0 to {len(node) - 1}",
        )
    return node


def _interpolated(value: Any, ref: Reference) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise UserError(
        f"reference '{ref.text}' is inside a longer string, but the output is "
        f"{argspec.describe(value)}",
        position=ref.position,
        hint="only a string, number or boolean can be part of a string; make the reference "
        "the whole value to take the output as it is",
    )


def _unique(errors: list[UserError]) -> list[UserError]:
    """Each error once (a value reached through several aliases is reported at its anchor)."""
    seen: set[str] = set()
    kept = []
    for error in errors:
        if error.render() not in seen:
            seen.add(error.render())
            kept.append(error)
    return kept
