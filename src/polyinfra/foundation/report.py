"""Text of plans and plan diffs for the terminal."""

from __future__ import annotations

import json
from typing import Any

from polyinfra.foundation.plan import Plan, PlanDiff, PlannedResource

_MAX_VALUE = 60


def short_type(type_token: str) -> str:
    """``gcp:storage/bucket:Bucket`` -> ``storage.Bucket``."""
    module = type_token.split(":")[1].split("/")[0] if type_token.count(":") == 2 else ""
    kind = type_token.rsplit(":", 1)[-1]
    return f"{module}.{kind}" if module else kind


def _value(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + f"{len(value)} keys" + "}"
    if isinstance(value, list):
        return f"[{len(value)} items]"
    text = json.dumps(value) if not isinstance(value, str) else value
    if isinstance(value, str) and (" " in value or not value):
        text = json.dumps(value)
    return text if len(text) <= _MAX_VALUE else text[: _MAX_VALUE - 1] + "…"


def key_inputs(resource: PlannedResource) -> str:
    """The resource's inputs on one line: scalars in full (shortened), structures as sizes."""
    return " ".join(f"{key}={_value(value)}" for key, value in sorted(resource.inputs.items()))


def format_plan(plan: Plan) -> str:
    """Every resource grouped by type with its logical name and key inputs, then totals."""
    of = f" of {plan.program}" if plan.program else ""
    lines = [f"Stack {plan.stack}{of} (Google Cloud project {plan.project})"]
    for type_token, resources in sorted(plan.by_type().items()):
        lines.append(f"  {type_token} ({len(resources)})")
        for resource in resources:
            flag = " [protected]" if resource.protect else ""
            lines.append(f"    + {resource.name}{flag}")
            lines.append(f"        {key_inputs(resource)}")
    if plan.outputs:
        lines.append("  Outputs:")
        lines.extend(f"    {line}" for line in _output_lines(plan.outputs))
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
    """Stack outputs flattened to ``path: value`` lines."""
    if isinstance(outputs, dict) and outputs:
        lines: list[str] = []
        for key, value in outputs.items():
            lines.extend(_output_lines(value, f"{prefix}.{key}" if prefix else str(key)))
        return lines
    if isinstance(outputs, list):
        return [f"{prefix}: {', '.join(str(item) for item in outputs)}"]
    return [f"{prefix}: {outputs}"]


def format_diff(diff: PlanDiff) -> str:
    """Resources added, removed and changed (with the changed inputs)."""
    of = f" of {diff.program}" if diff.program else ""
    lines = [f"Stack {diff.stack}{of}: changes since {diff.ref}"]
    for resource in diff.added:
        lines.append(f"  + {resource.name} ({resource.type})")
        lines.append(f"        {key_inputs(resource)}")
    for resource in diff.removed:
        flag = " [protected: the update will fail until unprotected]" if resource.protect else ""
        lines.append(f"  - {resource.name} ({resource.type}){flag}")
    for change in diff.changed:
        lines.append(f"  ~ {change.name} ({change.type})")
        if change.protect:
            lines.append(f"        protect: {change.protect[0]} -> {change.protect[1]}")
        for item in change.changes:
            lines.append(f"        {item.path}: {_value(item.old)} -> {_value(item.new)}")
    if diff.empty:
        lines.append("  no changes")
    lines.append(
        f"  {len(diff.added)} to add, {len(diff.changed)} to change, "
        f"{len(diff.removed)} to remove, {diff.unchanged} unchanged"
    )
    lines.extend(f"  {warning}" for warning in diff.warnings)
    return "\n".join(lines)
