"""Printing an :class:`Affected` answer: text for people, JSON, and ``key=value`` lines for
``$GITHUB_OUTPUT`` whose values are compact JSON that ``fromJSON`` always accepts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from polyinfra.affected.model import Affected, Reason, Removed
from polyinfra.errors import UserError, UserErrors
from polyinfra.positions import Position
from polyinfra.workspace import Workspace


def to_json_text(answer: Affected) -> str:
    return json.dumps(answer.to_json(), indent=2, sort_keys=False) + "\n"


def github_outputs(
    answer: Affected,
    ws: Workspace,
    *,
    version: str | None = None,
    released_tag: str | None = None,
) -> dict[str, str]:
    """The step outputs the generated workflows read. Lists are JSON arrays (``[]`` when
    empty, never an empty string); flags are ``true``/``false``.

    ``build_matrix`` has one entry per project to build: the projects of the ``rebuild`` apps
    (one image per project, shared by all its apps), each with its Dockerfile. ``images``
    lists every app to deploy that deploys a project, with the project and its action.

    With ``version`` (and the environment of the answer), the references come from
    :func:`~polyinfra.manifests.image_ref`, the one every command uses: each build entry
    gets ``tags`` (one reference per app of the project, newline-separated) and ``registry``
    (the host to log in to), and each ``images`` entry its ``image``. ``released_tag`` is the
    tag of the image the last release built: builds push it too, and ``redeploy`` apps run
    it. Without it nothing built before is reused: every app to deploy is built at
    ``version``.
    """
    from polyinfra.manifests import image_ref

    if version is not None and answer.env is None:
        raise UserError(
            "--version needs --env: image references are per environment",
            hint="add --env ENV",
        )
    dockerfiles = {
        name: ws.rel(project.dockerfile)
        for name, project in ws.projects.items()
        if project.dockerfile is not None
    }
    deployed = [a for a in answer.apps if a.project is not None]
    rebuild = [a for a in answer.apps if a.action == "rebuild"]
    built = [
        a
        for a in deployed
        if a.action == "rebuild" or (version is not None and released_tag is None)
    ]
    build_projects = sorted({a.project for a in built if a.project in dockerfiles})
    tags_of = [version, released_tag] if released_tag else [version]

    def ref(name: str, tag: str | None) -> str:
        assert answer.env is not None  # checked above
        assert tag is not None
        return image_ref(ws, ws.apps[name], answer.env, tag)

    matrix: list[dict[str, str]] = []
    for project in build_projects:
        entry = {"project": project, "dockerfile": dockerfiles[project]}
        if version is not None:
            apps = [a.name for a in built if a.project == project]
            tags = [ref(app, tag) for app in apps for tag in tags_of]
            entry["registry"] = tags[0].split("/", 1)[0]
            entry["tags"] = "\n".join(tags)
        matrix.append(entry)
    images: list[dict[str, Any]] = []
    for app in deployed:
        item: dict[str, Any] = {"app": app.name, "project": app.project, "action": app.action}
        if version is not None:
            reuse = app.action == "redeploy" and released_tag is not None
            item["image"] = ref(app.name, released_tag if reuse else version)
        images.append(item)
    values: dict[str, Any] = {
        "everything": answer.everything,
        "foundation": answer.foundation_changed,
        "stacks": sorted({s.name for s in answer.stacks}),
        "bricks": [b.name for b in answer.bricks],
        "projects": [p.name for p in answer.projects],
        "apps": [a.name for a in answer.apps],
        "rebuild": [a.name for a in rebuild],
        "redeploy": [a.name for a in answer.apps if a.action == "redeploy"],
        "build_matrix": matrix,
        "images": images,
        "removed_projects": [p.name for p in answer.removed_projects],
        "removed_apps": [a.name for a in answer.removed_apps],
    }
    if ws.layered:
        values["program_stacks"] = program_stacks(answer, ws)
    return {key: _value(value) for key, value in values.items()}


def program_stacks(answer: Affected, ws: Workspace) -> dict[str, list[str]]:
    """Each Pulumi program's folder name -> its affected stacks (every program a key, ``[]``
    when none is affected), for a foundation of several programs: what the generated
    provision workflow reads to decide which programs to provision."""
    from polyinfra.workspace.programs import reference_name

    result: dict[str, list[str]] = {reference_name(p): [] for p in ws.ordered_programs}
    for stack in answer.stacks:
        if stack.program is not None:
            result.setdefault(stack.program, []).append(stack.name)
    return {name: sorted(set(stacks)) for name, stacks in result.items()}


def check_buildable(answer: Affected, ws: Workspace) -> None:
    """Every app to deploy that deploys a project can have its image built: the project has
    a Dockerfile. UserErrors name each app, its project and the fix."""
    errors: list[UserError] = []
    for app in answer.apps:
        project = ws.projects.get(app.project) if app.project else None
        if project is None or project.dockerfile is not None:
            continue
        errors.append(
            UserError(
                f"app {app.name!r} deploys project {project.name!r}, which has no Dockerfile: "
                "its image cannot be built, so CI would deploy a tag nobody built",
                position=Position(project.path),
                hint=f"create {ws.rel(project.path)}/Dockerfile (`polyinfra add {app.kind} "
                f"{app.name} --project {project.name} --force` writes one), or map the app "
                f"to the project that builds its image: [tool.polyinfra.apps.{app.name}] "
                "project",
            )
        )
    if errors:
        raise errors[0] if len(errors) == 1 else UserErrors(errors)


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
    """The answer for people and CI logs. Each reason is printed once, numbered, and every
    entry cites the numbers of its reasons, so a change that reaches every project and app
    reads as one line per reason, not one per entry."""
    notes = _Notes(answer.everything_reasons if answer.everything else ())
    body: list[str] = []
    if answer.everything:
        body.append(f"everything is affected {notes.cite(answer.everything_reasons)}")
    delivered = answer.everything or any(
        (answer.stacks, answer.projects, answer.apps, _removed(answer))
    )
    bricks = [
        f"bricks: {len(answer.bricks)}",
        *(
            f"  {b.name}" + ("" if b.changed else " (imports a changed brick)")
            for b in answer.bricks
        ),
    ]
    if delivered:
        changed = "changed" if answer.foundation_changed else "unchanged"
        body.append(f"foundation: {changed}")
        body.extend(
            f"  stack {s.name}{_of(s.program)}{notes.refs(s.reasons)}" for s in answer.stacks
        )
        body.extend(bricks)
        body.append(f"projects: {len(answer.projects)}")
        body.extend(f"  {p.name}{notes.refs(p.reasons)}" for p in answer.projects)
        body.append(f"apps: {len(answer.apps)}")
        for app in answer.apps:
            envs = ", ".join(app.environments) or "no environment"
            refs = notes.refs(app.reasons)
            body.append(f"  {app.name} ({app.kind}): {app.action} in {envs}{refs}")
        removed = _removed(answer)
        if removed:
            body.append("removed (tear down by hand if they were deployed):")
            body.extend(
                f"  {kind} {item.name}{_of(item.program)}{notes.refs(item.reasons)}"
                for kind, item in removed
            )
    elif answer.bricks:
        body.extend(bricks)
        body.append("nothing else affected: no project includes these bricks")
    else:
        body.append("nothing affected")
    if answer.ignored:
        body.append(f"ignored: {len(answer.ignored)} path(s)")
        body.extend(f"  {_reason(r)}" for r in answer.ignored)

    if answer.merge_base and answer.head_commit:
        span = f"Changes {answer.merge_base[:12]}..{answer.head_commit[:12]}"
    else:
        span = "No git comparison"
    scope = f" for environment {answer.env}" if answer.env else ""
    lines = [f"{span}{scope}:"]
    if notes.numbered:
        lines.append("reasons:")
        lines.extend(f"  [{n}] {_reason(r)}" for r, n in notes.numbered.items())
    return "\n".join([*lines, *body]) + "\n"


def _of(program: str | None) -> str:
    return f" of {program}" if program else ""


def _removed(answer: Affected) -> list[tuple[str, Removed]]:
    return [
        (kind, item)
        for kind, items in (
            ("project", answer.removed_projects),
            ("app", answer.removed_apps),
            ("stack", answer.removed_stacks),
        )
        for item in items
    ]


class _Notes:
    """Reasons numbered in the order entries first cite them. Reasons that make everything
    affected are cited once, on the line that says so, and left out of each entry."""

    def __init__(self, everywhere: tuple[Reason, ...]) -> None:
        self.everywhere = frozenset(everywhere)
        self.numbered: dict[Reason, int] = {}

    def cite(self, reasons: tuple[Reason, ...]) -> str:
        numbers = [self.numbered.setdefault(r, len(self.numbered) + 1) for r in reasons]
        return "[" + _spans(sorted(set(numbers))) + "]"

    def refs(self, reasons: tuple[Reason, ...]) -> str:
        """`` [1, 3]`` for an entry's own reasons; empty when it has none beyond everything's."""
        own = tuple(r for r in reasons if r not in self.everywhere)
        return f" {self.cite(own)}" if own else ""


def _spans(numbers: list[int]) -> str:
    """``1, 2`` and ``1-4, 7``: runs of three or more numbers as ranges.

    >>> _spans([1, 2, 4, 5, 6, 9])
    '1, 2, 4-6, 9'
    """
    runs: list[list[int]] = []
    for number in numbers:
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    parts: list[str] = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{run[0]}-{run[-1]}")
        else:
            parts.extend(str(n) for n in run)
    return ", ".join(parts)


def _reason(reason: Reason) -> str:
    return f"{reason.path}: {reason.why}" if reason.path else reason.why
