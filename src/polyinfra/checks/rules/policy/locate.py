"""Where a planned resource (or one of its values) was written: its section of the stack file,
else a line of the Pulumi program that names it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from polyinfra.checks.context import CheckContext
from polyinfra.checks.stacks import StackFile
from polyinfra.positions import Position
from polyinfra.yamlio import KeyPath
from polyinfra.yamlio.text import read_quietly

#: Inputs (Pulumi wire names) that identify a resource, and the stack-file key they come from.
IDENTIFIERS = {
    "name": "name",
    "accountId": "account_id",
    "repositoryId": "repository_id",
    "datasetId": "dataset_id",
    "tableId": "table_id",
    "secretId": "secret_id",
    "metricId": "name",
}

#: Resource types that hold data: protected in production.
STATEFUL_TYPES = frozenset(
    {
        "gcp:storage/bucket:Bucket",
        "gcp:bigquery/dataset:Dataset",
        "gcp:bigquery/table:Table",
        "gcp:artifactregistry/repository:Repository",
        "gcp:secretmanager/secret:Secret",
    }
)


def args_class(type_token: str) -> str | None:
    """``gcp:storage/bucket:Bucket`` -> ``storage.BucketArgs``."""
    parts = type_token.split(":")
    if len(parts) != 3 or parts[0] != "gcp":
        return None
    return f"{parts[1].split('/')[0]}.{parts[2]}Args"


def plans(ctx: CheckContext) -> Iterator[tuple[StackFile, Any]]:
    """(stack file, plan) for every checked environment whose stack was planned."""
    seen: set[str] = set()
    for stack in ctx.stacks:
        plan = ctx.plan_of(stack)
        if plan is not None and stack.key not in seen:
            seen.add(stack.key)
            yield stack, plan


def section_of(stack: StackFile, inputs: Any) -> KeyPath | None:
    """The stack-file mapping that declares a resource with these inputs (matched on the
    identifying input, e.g. a bucket's ``name``): a section of ``input:projects``, or the
    ``args`` of an ``input:resources`` entry."""
    wanted = {
        (key, inputs.get(wire))
        for wire, key in IDENTIFIERS.items()
        if isinstance(inputs, Mapping) and isinstance(inputs.get(wire), str)
    }
    if not wanted:
        return None
    found = [f for f in map(stack.memo("declarations", _declarations).get, wanted) if f]
    return min(found)[1] if found else None


_IDENTIFYING_KEYS = frozenset(IDENTIFIERS.values())


def _declarations(stack: StackFile) -> dict[tuple[str, Any], tuple[int, KeyPath]]:
    """(identifying key, value) -> (order in the file, the mapping that holds it): the first
    of each under ``input:projects`` or ``input:resources`` (worked out once per stack file:
    every planned resource is looked up)."""
    found: dict[tuple[str, Any], tuple[int, KeyPath]] = {}
    for order, (path, value) in enumerate(stack.walk()):
        if len(path) < 2 or path[-1] not in _IDENTIFYING_KEYS:
            continue
        if "input:projects" not in path and "input:resources" not in path:
            continue
        try:
            found.setdefault((str(path[-1]), value), (order, path[:-1]))
        except TypeError:  # an unhashable value identifies nothing
            continue
    return found


def in_program(ctx: CheckContext, needle: str, stack: StackFile) -> Position | None:
    """The first line of the Python files of ``stack``'s Pulumi program that holds ``needle``
    quoted."""
    ws = ctx.workspace
    folder = stack.path.parent.resolve()
    if ws is None or not any(p.path.resolve() == folder for p in ws.programs):
        return None
    for path in sorted(folder.rglob("*.py")):
        if ".venv" in path.parts:
            continue
        found = _find_quoted(path, needle)
        if found is not None:
            return found
    return None


def _find_quoted(path: Path, needle: str) -> Position | None:
    data = read_quietly(path)
    try:
        lines = data.decode("utf-8").splitlines() if data is not None else []
    except UnicodeDecodeError:
        return None
    for number, line in enumerate(lines, start=1):
        for quoted in (f'"{needle}"', f"'{needle}'"):
            col = line.find(quoted)
            if col >= 0:
                return Position(path, number, col + 1)
    return None


def resource_position(ctx: CheckContext, stack: StackFile, resource: Any) -> Position:
    """Where to fix ``resource``: its stack-file section, else the program line naming it,
    else the stack file's ``input:projects``."""
    section = section_of(stack, resource.inputs)
    if section is not None:
        return stack.position(section)
    for wire in IDENTIFIERS:
        value = resource.inputs.get(wire) if isinstance(resource.inputs, Mapping) else None
        if isinstance(value, str):
            found = in_program(ctx, value, stack)
            if found is not None:
                return found
    found = in_program(ctx, resource.name, stack)
    if found is not None:
        return found
    return stack.position(("config", "input:projects"))
