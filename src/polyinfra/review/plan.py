"""Plans and plan diffs as markdown for a pull request, in the order a reviewer needs: what
the change destroys (protected resources first, with the way out), then who gains or loses
which role on what, then the other resources counted by type, every detail folded."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from polyinfra import markdown as md
from polyinfra.foundation.model import ConfigWarning
from polyinfra.foundation.plan import Plan, PlanDiff, PlannedResource
from polyinfra.foundation.plan.diff import ResourceChange, naming_inputs
from polyinfra.foundation.plan.model import PlanNote
from polyinfra.foundation.report import change_lines, key_input_lines, short_type
from polyinfra.redact import redact
from polyinfra.review.iam import Grant, grants, is_iam
from polyinfra.review.where import relative


def plan_markdown(
    results: Sequence[Plan | PlanDiff],
    *,
    ref: str | None = None,
    root: Path | None = None,
    link_base: str | None = None,
) -> str:
    """``polyinfra plan`` (or ``plan --diff REF``) as markdown: one heading naming the command
    and the stacks, then one section per stack. Positions are shown relative to ``root`` and
    link to ``link_base`` when given."""
    command = "polyinfra plan" + (f" --diff {md.code(redact(ref))}" if ref is not None else "")
    stacks = ", ".join(_stack_name(r) for r in results) or "no stack"
    parts = [f"### {command}: {md.escape(stacks)}"]
    for result in results:
        if isinstance(result, PlanDiff):
            parts.append(_diff_section(result, root, link_base))
        else:
            parts.append(_plan_section(result, root, link_base))
    return "\n\n".join(parts) + "\n"


def _stack_name(result: Plan | PlanDiff) -> str:
    return f"{result.program}/{result.stack}" if result.program else result.stack


def _stack_heading(result: Plan | PlanDiff, project: str) -> str:
    of = f" of {md.code(result.program)}" if result.program else ""
    where = f" (Google Cloud project {md.code(redact(project))})" if project else ""
    return f"#### Stack {md.code(result.stack)}{of}{where}"


# --- plan --------------------------------------------------------------------------------------


def _plan_section(plan: Plan, root: Path | None, link_base: str | None) -> str:
    protected = sum(1 for r in plan.resources if r.protect)
    blocks = [
        _stack_heading(plan, plan.project),
        f"{_count(len(plan.resources), 'resource')} ({protected} protected).",
    ]
    held = sorted({g for r in plan.resources for g in grants(r.type, r.inputs, plan.project)})
    if held:
        blocks.append("**IAM grants**\n\n" + "\n".join(f"- {_grant(g, 'has')}" for g in held))
    others = [r for r in plan.resources if not is_iam(r.type)]
    if others:
        counts: dict[str, list[int]] = {}
        for resource in others:
            row = counts.setdefault(resource.type, [0, 0])
            row[0] += 1
            row[1] += resource.protect
        rows = [
            [md.code(short_type(t), in_table=True), str(n), str(p)]
            for t, (n, p) in sorted(counts.items())
        ]
        blocks.append(
            "**Other resources**\n\n" + md.table(["Type", "Resources", "Protected"], rows, "lrr")
        )
    if plan.resources:
        detail: list[str] = []
        for type_token, resources in sorted(plan.by_type().items()):
            detail.append(f"{type_token} ({len(resources)})")
            for resource in resources:
                flag = " [protected]" if resource.protect else ""
                detail.append(f"  + {resource.name}{flag}")
                detail.extend(key_input_lines(resource, indent=6))
        blocks.append(
            md.fold(
                f"{_count(len(plan.resources), 'resource')} in detail",
                md.fenced(redact("\n".join(detail)), "text"),
            )
        )
    blocks.extend(_notes(plan.warnings, root, link_base))
    return "\n\n".join(blocks)


# --- plan --diff -------------------------------------------------------------------------------


def _diff_section(diff: PlanDiff, root: Path | None, link_base: str | None) -> str:
    project = diff.gcp_project
    blocks = [
        _stack_heading(diff, project),
        f"{len(diff.added)} to add, {len(diff.changed)} to change, {len(diff.removed)} to "
        f"remove, {diff.unchanged} unchanged.",
    ]
    if diff.empty:
        blocks.append("No changes.")
    destroyed = _destroyed(diff, root, link_base)
    if destroyed:
        blocks.append("**Destroyed or replaced**\n\n" + "\n".join(destroyed))
    access = _iam_changes(diff, project)
    if access:
        blocks.append("**IAM**\n\n" + "\n".join(access))
    counts: dict[str, list[int]] = {}
    for column, types in (
        (0, [r.type for r in diff.added]),
        (1, [c.type for c in diff.changed]),
        (2, [r.type for r in diff.removed]),
    ):
        for type_token in types:
            if not is_iam(type_token):
                counts.setdefault(type_token, [0, 0, 0])[column] += 1
    if counts:
        rows = [
            [md.code(short_type(t), in_table=True), *(str(n) for n in numbers)]
            for t, numbers in sorted(counts.items())
        ]
        blocks.append(
            "**Other resources**\n\n"
            + md.table(["Type", "Added", "Changed", "Removed"], rows, "lrrr")
        )
    if not diff.empty:
        total = len(diff.added) + len(diff.changed) + len(diff.removed)
        blocks.append(
            md.fold(f"{_count(total, 'change')} in detail", md.fenced(_detail(diff), "diff"))
        )
    blocks.extend(_notes(diff.warnings, root, link_base))
    return "\n\n".join(blocks)


def _what(type_token: str, name: str) -> str:
    return f"{md.code(redact(name))} ({md.code(short_type(type_token))})"


def _destroyed(diff: PlanDiff, root: Path | None, link_base: str | None) -> list[str]:
    """Protected resources lost (each with its way out), then the other resources removed or
    replaced (IAM grants are in their own section)."""
    lines: list[str] = []
    if diff.project:
        old, new = (md.code(redact(p)) for p in diff.project)
        lines.append(
            f"- {md.code('gcp:project')} changes from {old} to {new}: every resource moves to "
            "the new project, and Pulumi replaces each one"
        )
    lost = {(loss.type, loss.name) for loss in diff.protected}
    for loss in diff.protected:
        where = ""
        if loss.position is not None:
            path = relative(loss.position.file, root)
            where = f" in {md.position(path, loss.position.line, link_base)}"
        if loss.replaced_by:
            inputs = ", ".join(md.code(redact(name)) for name in loss.replaced_by)
            what = f"is replaced ({inputs} changed)"
        else:
            what = "is removed"
        unprotect = f"pulumi state unprotect --stack {diff.stack} '{loss.urn}'"
        lines.append(
            f"- **protected**: {_what(loss.type, loss.name)} {what}: Pulumi refuses to delete "
            "a protected resource, so the update would fail. Way out: set "
            f"{md.code('input:protect: false')}{where} for the {md.code(diff.stack)} stack and "
            f"deploy that first, or run {md.code(redact(unprotect))}"
        )
    for resource in diff.removed:
        if (resource.type, resource.name) not in lost and not is_iam(resource.type):
            lines.append(f"- removed: {_what(resource.type, resource.name)}")
    for change in diff.changed:
        if (change.type, change.name) in lost or is_iam(change.type):
            continue
        replaced_by = _replaced_by(change)
        if replaced_by:
            inputs = ", ".join(md.code(name) for name in replaced_by)
            lines.append(
                f"- replaced: {_what(change.type, change.name)} ({inputs} changed: Pulumi "
                "deletes it and creates it again)"
            )
    return lines


def _replaced_by(change: ResourceChange) -> tuple[str, ...]:
    """The changed inputs that replace the resource (those the provider cannot update)."""
    naming = {*naming_inputs(change.type), "gcp:project"}
    tops = (re.split(r"[.\[]", item.path, maxsplit=1)[0] for item in change.changes)
    return tuple(dict.fromkeys(top for top in tops if top in naming))


def _iam_changes(diff: PlanDiff, project: str) -> list[str]:
    """One line per grant gained or lost, sorted by member; a changed IAM resource whose
    grants stay the same says what else changed."""
    events: set[tuple[Grant, str]] = set()
    kept: list[str] = []
    for resource in diff.added:
        events.update((g, "gains") for g in grants(resource.type, resource.inputs, project))
    for resource in diff.removed:
        events.update((g, "loses") for g in grants(resource.type, resource.inputs, project))
    for change in diff.changed:
        if not is_iam(change.type):
            continue
        old_project = diff.project[0] if diff.project else project
        before = set(grants(change.type, change.before, old_project))
        after = set(grants(change.type, change.after, project))
        events.update((g, "loses") for g in before - after)
        events.update((g, "gains") for g in after - before)
        if before == after:
            paths = ", ".join(md.code(redact(item.path)) for item in change.changes)
            for grant in sorted(after):
                kept.append(f"- {_grant(grant, 'keeps')}; changed: {paths or md.code('protect')}")
    lines = [f"- {_grant(grant, verb)}" for grant, verb in sorted(events)]
    return lines + kept


def _grant(grant: Grant, verb: str) -> str:
    """``member`` gains ``role`` on dataset ``x``; ``... project-wide (`p`)``."""
    who = md.code(redact(grant.member) or "(no member)")
    role = md.code(redact(grant.role) or "(no role)")
    target = md.code(redact(grant.target) or "(unknown)")
    if grant.wide:
        return f"{who} {verb} {role} {grant.kind}-wide ({target})"
    return f"{who} {verb} {role} on {grant.kind} {target}"


def _detail(diff: PlanDiff) -> str:
    """Every change as the text report shows it: added with inputs, changed with the inputs
    that changed, removed."""
    lines: list[str] = []
    for resource in diff.added:
        lines.append(f"+ {resource.name} ({resource.type})")
        lines.extend(key_input_lines(resource, indent=4))
    for change in diff.changed:
        lines.append(f"~ {change.name} ({change.type})")
        if change.protect:
            lines.append(f"    protect: {change.protect[0]} -> {change.protect[1]}")
        for item in change.changes:
            lines.extend(line[4:] for line in change_lines(item.path, item.old, item.new))
    for resource in diff.removed:
        lines.append(f"- {resource.name} ({resource.type}){_protected(resource)}")
    return redact("\n".join(lines))


def _protected(resource: PlannedResource) -> str:
    return " [protected]" if resource.protect else ""


def _notes(
    warnings: Sequence[ConfigWarning], root: Path | None, link_base: str | None
) -> list[str]:
    if not warnings:
        return []
    lines = []
    for warning in warnings:
        pos = warning.position
        where = md.position(relative(pos.file, root), pos.line, link_base)
        label = "note" if isinstance(warning, PlanNote) else "warning"
        lines.append(f"- {label}: {where}: {md.escape(redact(warning.message))}")
    return [md.fold(f"Notes: {len(lines)}", "\n".join(lines))]


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
