"""Printing an :class:`Affected` answer: text for people, JSON, and ``key=value`` lines for
``$GITHUB_OUTPUT`` whose values are compact JSON that ``fromJSON`` always accepts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from polyinfra.affected.model import Affected
from polyinfra.workspace import Workspace


def to_json_text(answer: Affected) -> str:
    return json.dumps(answer.to_json(), indent=2, sort_keys=False) + "\n"


def github_outputs(answer: Affected, ws: Workspace) -> dict[str, str]:
    """The step outputs the generated workflows read. Lists are JSON arrays (``[]`` when
    empty, never an empty string); flags are ``true``/``false``.

    ``build_matrix`` has one entry per project to build (projects of ``rebuild`` apps that
    have a Dockerfile, given as ``project name -> Dockerfile path``). ``images`` names, for
    every app to deploy whose project has a Dockerfile, the project image it runs and whether
    that image is built now (``rebuild``) or already exists (``redeploy``: the manifests
    changed, the image did not), so the deploy step can pass ``--image APP=REF``.
    """
    dockerfiles = {
        name: ws.rel(project.dockerfile)
        for name, project in ws.projects.items()
        if project.dockerfile is not None
    }
    rebuild = [a for a in answer.apps if a.action == "rebuild"]
    build_projects = sorted({a.project for a in rebuild if a.project and a.project in dockerfiles})
    values: dict[str, Any] = {
        "everything": answer.everything,
        "foundation": answer.foundation_changed,
        "stacks": [s.name for s in answer.stacks],
        "bricks": [b.name for b in answer.bricks],
        "projects": [p.name for p in answer.projects],
        "apps": [a.name for a in answer.apps],
        "rebuild": [a.name for a in rebuild],
        "redeploy": [a.name for a in answer.apps if a.action == "redeploy"],
        "build_matrix": [{"project": p, "dockerfile": dockerfiles[p]} for p in build_projects],
        "images": [
            {"app": a.name, "project": a.project, "action": a.action}
            for a in answer.apps
            if a.project in dockerfiles
        ],
        "removed_projects": [p.name for p in answer.removed_projects],
        "removed_apps": [a.name for a in answer.removed_apps],
    }
    return {key: _value(value) for key, value in values.items()}


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def github_lines(outputs: dict[str, str]) -> str:
    return "".join(f"{key}={value}\n" for key, value in outputs.items())


def write_github_output(outputs: dict[str, str], path: Path) -> None:
    """Append ``outputs`` to the ``$GITHUB_OUTPUT`` file (other steps' lines stay)."""
    with path.open("a", encoding="utf-8") as handle:
        handle.write(github_lines(outputs))


def to_text(answer: Affected) -> str:
    lines: list[str] = []
    if answer.merge_base and answer.head_commit:
        span = f"Changes {answer.merge_base[:12]}..{answer.head_commit[:12]}"
    else:
        span = "No git comparison"
    scope = f" for environment {answer.env}" if answer.env else ""
    lines.append(f"{span}{scope}:")
    if answer.everything:
        lines.append("  everything is affected:")
        lines.extend(f"    {_reason(r.path, r.why)}" for r in answer.everything_reasons)
    lines.append("foundation: " + ("changed" if answer.foundation_changed else "unchanged"))
    for stack in answer.stacks:
        lines.append(f"  stack {stack.name}")
        lines.extend(f"    {_reason(r.path, r.why)}" for r in stack.reasons)
    lines.append(f"bricks: {len(answer.bricks)}")
    for brick in answer.bricks:
        lines.append(f"  {brick.name}" + ("" if brick.changed else " (imports a changed brick)"))
    lines.append(f"projects: {len(answer.projects)}")
    for project in answer.projects:
        lines.append(f"  {project.name}")
        lines.extend(f"    {_reason(r.path, r.why)}" for r in project.reasons)
    lines.append(f"apps: {len(answer.apps)}")
    for app in answer.apps:
        envs = ", ".join(app.environments) or "no environment"
        lines.append(f"  {app.name} ({app.kind}): {app.action} in {envs}")
        lines.extend(f"    {_reason(r.path, r.why)}" for r in app.reasons)
    removed = [
        (kind, item)
        for kind, items in (
            ("project", answer.removed_projects),
            ("app", answer.removed_apps),
            ("stack", answer.removed_stacks),
        )
        for item in items
    ]
    if removed:
        lines.append("removed (tear down by hand if they were deployed):")
        for kind, item in removed:
            lines.append(f"  {kind} {item.name}")
            lines.extend(f"    {_reason(r.path, r.why)}" for r in item.reasons)
    if answer.ignored:
        lines.append(f"ignored: {len(answer.ignored)} path(s)")
        lines.extend(f"  {_reason(r.path, r.why)}" for r in answer.ignored)
    return "\n".join(lines) + "\n"


def _reason(path: str, why: str) -> str:
    return f"{path}: {why}" if path else why
