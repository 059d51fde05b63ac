"""Text of plans and plan diffs for the terminal.

No value is ever cut: a line longer than :data:`WIDTH` columns is wrapped after a space or a
``,`` ``/`` ``@`` ``&`` ``?`` ``;``, its continuation lines indented under the value they
continue; a single piece longer than the width stays whole on a line of its own. Mappings and
lists are shown by their size in a resource's inputs (``labels={2 keys}``; ``plan --json`` has
them in full), and in full where a diff shows them changed. Each value is redacted before it is
wrapped, so a secret-shaped value is never split where the redaction would miss it.
"""

from __future__ import annotations

import json
import re
from typing import Any

from polyinfra.foundation.plan import Plan, PlanDiff, PlannedResource
from polyinfra.redact import redact

#: The width lines are wrapped to.
WIDTH = 100
#: Indentation of a resource's inputs and of its changed inputs.
_INPUTS = 8
#: Continuation lines are indented under their value, unless that is further right than this.
_MAX_HANG = 40
#: Pieces of a value, each ending where a line may break.
_PIECE = re.compile(r".+?(?:[ ,/@&?;]+|$)", re.DOTALL)


def short_type(type_token: str) -> str:
    """``gcp:storage/bucket:Bucket`` -> ``storage.Bucket``."""
    module = type_token.split(":")[1].split("/")[0] if type_token.count(":") == 2 else ""
    kind = type_token.rsplit(":", 1)[-1]
    return f"{module}.{kind}" if module else kind


def _scalar(value: Any) -> str:
    if isinstance(value, str) and value and value.isprintable() and " " not in value:
        return redact(value)
    return redact(json.dumps(value, ensure_ascii=False))


def _value(value: Any) -> str:
    """A resource input: a scalar in full, a structure by its size."""
    if isinstance(value, dict):
        return "{" + f"{len(value)} keys" + "}"
    if isinstance(value, list):
        return f"[{len(value)} items]"
    return _scalar(value)


def _full(value: Any) -> str:
    """A changed input: in full, structures as JSON."""
    return _scalar(value)


def wrap(prefix: str, text: str, hang: int, width: int = WIDTH) -> list[str]:
    """``prefix`` + ``text`` as lines of at most ``width`` columns, broken after a space or a
    ``,`` ``/`` ``@`` ``&`` ``?`` ``;``; continuation lines are indented by ``hang``. A piece
    longer than the width is kept whole.

    >>> wrap("  key=", "one two three", 6, width=14)
    ['  key=one two', '      three']
    >>> wrap("  k=", "a/very-long-piece b", 4, width=10)
    ['  k=a/', '    very-long-piece', '    b']
    """
    hang = min(hang, _MAX_HANG)
    lines: list[str] = []
    line = prefix
    fresh = True  # nothing on the line yet but its prefix or indentation
    for piece in _PIECE.findall(text):
        if not fresh and len(line) + len(piece.rstrip()) > width:
            lines.append(line.rstrip())
            line = " " * hang
        line += piece
        fresh = False
    lines.append(line.rstrip())
    return lines


def key_input_lines(resource: PlannedResource, indent: int = _INPUTS) -> list[str]:
    """The resource's inputs, ``key=value`` in key order, as many to a line as fit; a value too
    long for a line wraps under itself."""
    lines: list[str] = []
    line = ""
    for key, value in sorted(resource.inputs.items()):
        item = f"{key}={_value(value)}"
        if line and len(line) + 1 + len(item) <= WIDTH:
            line += " " + item
            continue
        if line:
            lines.append(line)
        line = " " * indent + item
        if len(line) > WIDTH:
            lines.extend(wrap(" " * indent + f"{key}=", _value(value), indent + len(key) + 1))
            line = ""
    if line:
        lines.append(line)
    return lines


def change_lines(path: str, old: Any, new: Any) -> list[str]:
    """``path: old -> new`` on one line, or the old value then ``-> new`` under it."""
    prefix = " " * _INPUTS + f"{path}: "
    before, after = _full(old), _full(new)
    line = f"{prefix}{before} -> {after}"
    if len(line) <= WIDTH:
        return [line]
    hang = min(len(prefix), _MAX_HANG)
    return wrap(prefix, before, hang) + wrap(" " * hang + "-> ", after, hang + 3)


def format_plan(plan: Plan) -> str:
    """Every resource grouped by type with its logical name and key inputs, then totals."""
    of = f" of {plan.program}" if plan.program else ""
    lines = [f"Stack {plan.stack}{of} (Google Cloud project {plan.project})"]
    for type_token, resources in sorted(plan.by_type().items()):
        lines.append(f"  {type_token} ({len(resources)})")
        for resource in resources:
            flag = " [protected]" if resource.protect else ""
            lines.append(f"    + {resource.name}{flag}")
            lines.extend(key_input_lines(resource))
    if plan.outputs:
        lines.append("  Outputs:")
        lines.extend(_output_lines(plan.outputs))
    totals = plan.totals()
    summary = ", ".join(f"{count} {short_type(t)}" for t, count in sorted(totals.items()))
    protected = sum(1 for r in plan.resources if r.protect)
    lines.append(
        f"  {len(plan.resources)} resources ({protected} protected)"
        + (f": {summary}" if summary else "")
    )
    lines.extend(f"  {warning}" for warning in plan.warnings)
    return "\n".join(lines)


def _output_lines(outputs: Any, prefix: str = "") -> list[str]:
    """Stack outputs flattened to ``path: value`` lines, a long value wrapped under itself."""
    if isinstance(outputs, dict) and outputs:
        lines: list[str] = []
        for key, value in outputs.items():
            lines.extend(_output_lines(value, f"{prefix}.{key}" if prefix else str(key)))
        return lines
    items = outputs if isinstance(outputs, list) else [outputs]
    text = ", ".join(str(item) for item in items)
    if not text.isprintable():  # a line break or a tab would break the layout
        text = json.dumps(text, ensure_ascii=False)
    head = f"    {prefix}: "
    return wrap(head, redact(text), len(head))


def format_diff(diff: PlanDiff) -> str:
    """Resources added, removed and changed (with the changed inputs), then the protected
    resources the change removes or replaces, as errors."""
    of = f" of {diff.program}" if diff.program else ""
    lines = [f"Stack {diff.stack}{of}: changes since {diff.ref}"]
    if diff.project:
        lines.append(
            f"  gcp:project: {diff.project[0]} -> {diff.project[1]} (every resource moves to "
            "the new project: Pulumi replaces each one)"
        )
    for resource in diff.added:
        lines.append(f"  + {resource.name} ({resource.type})")
        lines.extend(key_input_lines(resource))
    for resource in diff.removed:
        flag = " [protected: the update will fail until unprotected]" if resource.protect else ""
        lines.append(f"  - {resource.name} ({resource.type}){flag}")
    replaced = {(loss.type, loss.name) for loss in diff.protected if loss.replaced_by}
    for change in diff.changed:
        flag = (
            " [protected and replaced: the update will fail until unprotected]"
            if (change.type, change.name) in replaced
            else ""
        )
        lines.append(f"  ~ {change.name} ({change.type}){flag}")
        if change.protect:
            lines.append(f"        protect: {change.protect[0]} -> {change.protect[1]}")
        for item in change.changes:
            lines.extend(change_lines(item.path, item.old, item.new))
    if diff.empty:
        lines.append("  no changes")
    lines.append(
        f"  {len(diff.added)} to add, {len(diff.changed)} to change, "
        f"{len(diff.removed)} to remove, {diff.unchanged} unchanged"
    )
    for loss in diff.protected:
        where = f"{loss.position}: " if loss.position else ""
        lines.append(f"  {where}error: {loss.message}")
        lines.append(f"    hint: {loss.hint(diff.stack)}")
    lines.extend(f"  {warning}" for warning in diff.warnings)
    return "\n".join(lines)
