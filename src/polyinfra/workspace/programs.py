"""The order of a workspace's Pulumi programs: each after the programs its stack files read
through cross-stack references (``${platform.gcp_project}``), so platform comes before
services wherever the order matters (provision, the cross-stack rules, the workflows)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from polyinfra.errors import UserError
from polyinfra.workspace.model import PulumiProgram
from polyinfra.yamlio import load_text
from polyinfra.yamlio.text import Bounds, read_text

#: ``${name.`` not preceded by another ``$`` (``$${`` is a literal).
_REFERENCE = re.compile(r"(?<!\$)\$\{\s*([^\s.${}]+)\s*\.")
#: Folder names that come first when references say nothing (a platform that no one reads yet).
_FIRST = ("platform",)


def reference_name(program: PulumiProgram) -> str:
    """The name stack files use for ``program`` in references: its folder name."""
    return program.path.name


def referenced_programs(program: PulumiProgram, bounds: Bounds | None = None) -> set[str]:
    """The folder names the values of ``program``'s stack files reference (comments do not
    count; a file that cannot be read references nothing here: the commands that read it
    report why)."""
    found: set[str] = set()
    for path in program.stacks.values():
        try:
            text = read_text(path, bounds=bounds)
            data = load_text(text, path).data if "${" in text else None
        except (UserError, OSError):
            continue
        for value in _strings(data):
            found.update(match.group(1) for match in _REFERENCE.finditer(value))
    found.discard(reference_name(program))
    return found


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def order_programs(
    programs: Sequence[PulumiProgram], bounds: Bounds | None = None
) -> tuple[PulumiProgram, ...]:
    """``programs``, each after those it references; otherwise ``platform`` first, then by
    folder name. A cycle keeps that fallback order for the programs in it (``plan`` and
    ``check`` report the cycle itself)."""
    if len(programs) < 2:
        return tuple(programs)

    def rank(program: PulumiProgram) -> tuple[int, str]:
        name = reference_name(program)
        return (0 if name in _FIRST else 1, name)

    pending = sorted(programs, key=rank)
    names = {reference_name(p) for p in pending}
    needs = {reference_name(p): referenced_programs(p, bounds) & names for p in pending}
    ordered: list[PulumiProgram] = []
    done: set[str] = set()
    while pending:
        ready = next((p for p in pending if needs[reference_name(p)] <= done), pending[0])
        pending.remove(ready)
        ordered.append(ready)
        done.add(reference_name(ready))
    return tuple(ordered)
