"""`polyinfra init`: the spec's ``infrastructure/`` folder for an existing Polylith workspace."""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import tomlkit
from tomlkit.exceptions import TOMLKitError

from polyinfra import __version__
from polyinfra.errors import UserError
from polyinfra.manifests.links import discover_workspace
from polyinfra.positions import Position
from polyinfra.scaffold.names import kebab
from polyinfra.scaffold.plan import FileOperation, Plan, combine, decide, edit
from polyinfra.scaffold.templates import render
from polyinfra.workspace import Workspace
from polyinfra.workspace.bounds import bounds_of
from polyinfra.yamlio import load_stack_file, read_text

DEFAULT_ENVIRONMENTS = ("sandbox", "production")
#: Next to the stack files; `polyinfra schema stack-config -o` refreshes it after an upgrade.
SCHEMA_FILE = "stack-config.schema.json"
DEFAULT_REGION = "asia-southeast1"
DEFAULT_REQUIRES_PYTHON = "~=3.13.0"
_GCP_PROJECT_ID = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
_ENVIRONMENT = re.compile(r"^[a-z][a-z0-9-]*$")

#: Paths that must not be uv workspace members, and the exclude pattern that keeps each out.
_NOT_MEMBERS = {"infrastructure": "infrastructure", "infrastructure/pulumi": "infrastructure/*"}


_PYTHON = re.compile(r"^3\.(\d{1,2})$")
_SPECIFIER = re.compile(
    r"^\s*(===|==|!=|~=|<=|>=|<|>)\s*[0-9][0-9A-Za-z.*+!_-]*"
    r"(\s*,\s*(===|==|!=|~=|<=|>=|<|>)\s*[0-9][0-9A-Za-z.*+!_-]*)*\s*$"
)
_VCS = re.compile(r"^git\+(?P<url>(https|ssh|file)://[^\s@#]+?(?:\.git)?)(?:@(?P<rev>[^\s#]+))?$")
_SOURCE_HINT = (
    "pass a version specifier (>=0.2, ==0.2.1), a path to a wheel, sdist or source folder, "
    "or a git URL (git+https://host/org/repo@REV)"
)


def requires_python_for(python: str) -> str:
    """``~=X.Y.0`` for ``X.Y`` (Python 3.11 or newer); UserError otherwise."""
    match = _PYTHON.match(python)
    if match is None or int(match.group(1)) < 11:
        raise UserError(
            f"--python {python!r}: expected a Python version as X.Y, 3.11 or newer",
            hint="for example --python 3.13",
        )
    return f"~={python}.0"


def polyinfra_dependency(source: str, infrastructure: Path) -> tuple[str, str]:
    """The ``polyinfra`` entry of the infrastructure project's dependencies and, for a path or a
    git URL, its ``[tool.uv.sources]`` table (TOML text; empty for a version specifier).

    A path is written relative to ``infrastructure/`` (a folder as an editable install); a
    ``git+URL@REV`` as uv's ``git``/``rev`` source."""
    source = source.strip()
    if _SPECIFIER.match(source):
        return f"polyinfra{source.replace(' ', '')}", ""
    vcs = _VCS.match(source)
    if vcs is not None:
        fields = f'git = "{vcs.group("url")}"'
        if vcs.group("rev"):
            fields += f', rev = "{vcs.group("rev")}"'
        return "polyinfra", f"polyinfra = {{ {fields} }}"
    if source.startswith(("git+", "http://", "https://")):
        raise UserError(
            f"--polyinfra-source {source!r}: not a git URL uv can read", hint=_SOURCE_HINT
        )
    target = Path(source).expanduser().resolve()
    if not target.exists():
        raise UserError(
            f"--polyinfra-source {source!r}: no such file or folder, and not a version specifier",
            hint=_SOURCE_HINT,
        )
    is_archive = target.name.endswith((".whl", ".tar.gz", ".zip"))
    if target.is_file() and not is_archive:
        raise UserError(
            f"--polyinfra-source {source!r}: a file must be a wheel (.whl) or an sdist (.tar.gz)",
            hint=_SOURCE_HINT,
        )
    if target.is_dir() and not (target / "pyproject.toml").is_file():
        raise UserError(
            f"--polyinfra-source {source!r}: the folder has no pyproject.toml",
            hint="pass the folder of a polyinfra checkout (the one with its pyproject.toml)",
        )
    relative = Path(os.path.relpath(target, infrastructure.resolve())).as_posix()
    editable = ", editable = true" if target.is_dir() else ""
    return "polyinfra", f'polyinfra = {{ path = "{relative}"{editable} }}'


@dataclass(frozen=True)
class InitResult:
    root: Path
    plan: Plan


def plan_init(
    path: Path,
    *,
    environments: Sequence[str] = DEFAULT_ENVIRONMENTS,
    gcp_projects: Mapping[str, str] | None = None,
    region: str = DEFAULT_REGION,
    force: bool = False,
    polyinfra_source: str | None = None,
    python: str | None = None,
    stacks: int | None = None,
) -> InitResult:
    """Every file `init` would write in the workspace containing ``path``; nothing is written.

    ``polyinfra_source`` is where the infrastructure project installs polyinfra from (see
    :func:`polyinfra_dependency`); ``python`` its Python as ``X.Y`` (default 3.13). ``stacks``
    is the layout: 2, one foundation program (``infrastructure/pulumi/``); 3, the platform and
    services programs (``infrastructure/pulumi/platform/``, ``.../services/``). Default: the
    layout the workspace has, else 2."""
    ws = discover_workspace(path)
    root_pyproject = ws.root / "pyproject.toml"
    project_table = _root_project_table(root_pyproject)
    name = kebab(str(project_table.get("name") or ws.namespace))
    requires_python = requires_python_for(python) if python else DEFAULT_REQUIRES_PYTHON
    requirement, sources = polyinfra_dependency(
        polyinfra_source or f">={__version__}", ws.infrastructure
    )
    envs = _check_environments(environments)
    projects = _gcp_projects(name, envs, gcp_projects or {})

    infrastructure = ws.infrastructure
    programs = _program_folders(ws, stacks)
    operations: list[FileOperation] = []
    pyproject_edit = _exclude_infrastructure(root_pyproject)
    if pyproject_edit is not None:
        operations.append(pyproject_edit)
    files: list[tuple[Path, str]] = [
        (
            infrastructure / "pyproject.toml",
            render(
                "infra-pyproject.toml",
                name=name,
                requires_python=requires_python,
                polyinfra_requirement=requirement,
                uv_sources=f"[tool.uv.sources]\n{sources}\n\n" if sources else "",
            ),
        ),
    ]
    for role, program in programs.items():
        project = name if role == "foundation" else f"{name}-{role}"
        files.append(
            (
                program / "Pulumi.yaml",
                render(
                    "Pulumi.yaml", name=project, description=_DESCRIPTIONS[role].format(name=name)
                ),
            )
        )
        files.append((program / "__main__.py", render("main.py")))
        template = "stack.yaml" if role == "foundation" else f"{role}-stack.yaml"
        for env in envs:
            stack = ws.stack_for_env(env)
            stack_file = program / f"Pulumi.{stack}.yaml"
            if stack_file.exists() and not force:
                # kept as it is, so it must be a stack file `plan` and `add` can read
                load_stack_file(stack_file, bounds=ws.bounds)
            values = {"environment": env, "gcp_project": projects[env], "region": region}
            files.append((stack_file, render(template, component=name, **values)))
        files.append((program / SCHEMA_FILE, _stack_config_schema()))
        if role != "platform":
            files.append((program / "bigquery" / ".gitkeep", ""))
            files.append(
                (program / "monitoring" / "dashboard.json", render("dashboard.json", name=name))
            )
    operations.extend(decide(file, content, force=force) for file, content in files)
    return InitResult(ws.root, combine(operations))


_DESCRIPTIONS = {
    "foundation": "Foundation stack of {name}",
    "platform": "Platform stack of {name} (what the platform team owns)",
    "services": "Services stack of {name} (the apps' foundation resources)",
}


def _program_folders(ws: Workspace, stacks: int | None) -> dict[str, Path]:
    """Where each program goes: ``foundation`` (two stacks), or ``platform`` and ``services``
    (three stacks); the layout the workspace has must be the one asked for."""
    if stacks not in (None, 2, 3):
        raise UserError(
            f"--stacks {stacks}: expected 2 (one foundation program) or 3 (platform and "
            "services programs)",
            hint="pass --stacks 2 or --stacks 3",
        )
    base = ws.infrastructure / "pulumi"
    folders = {p.path.name: p.path for p in ws.programs}
    if ws.layered:
        found = ", ".join(ws.rel(p.project_file) for p in ws.programs)
        if set(folders) != {"platform", "services"}:
            raise UserError(
                f"the workspace has several Pulumi programs, not the three-stack layout's "
                f"platform/ and services/ side by side: {found}",
                position=Position(ws.programs[0].project_file),
                hint="init writes one foundation program (--stacks 2) or the platform/ and "
                "services/ programs (--stacks 3)",
            )
        if stacks == 2:
            raise UserError(
                f"the workspace has the three-stack layout ({found}): --stacks 2 would add a "
                "third program",
                position=Position(ws.programs[0].project_file),
                hint="run `polyinfra init --stacks 3`, or `polyinfra init` without --stacks",
            )
        return {"platform": folders["platform"], "services": folders["services"]}
    if ws.programs and stacks == 3:
        program = ws.programs[0]
        raise UserError(
            f"the workspace has one foundation program, {ws.rel(program.path)}/: --stacks 3 "
            "would add two more beside it",
            position=Position(program.project_file),
            hint="run `polyinfra migrate three-stack` to split it into platform/ and services/",
        )
    if stacks == 3:
        return {"platform": base / "platform", "services": base / "services"}
    return {"foundation": ws.programs[0].path if ws.programs else base}


def _stack_config_schema() -> str:
    """The stack files' JSON Schema, which their yaml-language-server modeline names."""
    from polyinfra.foundation.schema import write_stack_config_schema

    return write_stack_config_schema()


def _root_project_table(pyproject: Path) -> dict[str, object]:
    if not pyproject.is_file():
        return {}
    table = _parse_toml(pyproject).get("project", {})
    return dict(table) if isinstance(table, dict) else {}


def _parse_toml(path: Path) -> tomlkit.TOMLDocument:
    text = read_text(path, bounds=bounds_of(path))
    try:
        return tomlkit.parse(text)
    except TOMLKitError as exc:
        line, col = getattr(exc, "line", 0), getattr(exc, "col", 0)
        raise UserError(
            f"invalid TOML: {exc}",
            position=Position(path, line, col),
            hint="fix the file, then run the command again",
        ) from exc


def _check_environments(environments: Sequence[str]) -> list[str]:
    envs = list(dict.fromkeys(environments))
    if not envs:
        raise UserError("no environment given", hint="pass --env sandbox --env production")
    for env in envs:
        if not _ENVIRONMENT.match(env):
            raise UserError(
                f"--env {env!r} is not a valid environment name: use lowercase letters, digits "
                "and hyphens, starting with a letter",
                hint="for example --env sandbox --env production",
            )
    return envs


def _gcp_projects(name: str, envs: list[str], given: Mapping[str, str]) -> dict[str, str]:
    unknown = sorted(set(given) - set(envs))
    if unknown:
        raise UserError(
            f"--gcp-project names environment {unknown[0]!r}, which is not created",
            hint=f"environments: {', '.join(envs)}; add --env {unknown[0]}",
        )
    projects: dict[str, str] = {}
    for env in envs:
        suffix = "prod" if env == "production" else env
        # a default id fits Google's 30 characters: the workspace name is shortened to fit
        stem = name[: max(0, 29 - len(suffix))].rstrip("-")
        project = given.get(env, f"{stem}-{suffix}")
        if not _GCP_PROJECT_ID.match(project):
            raise UserError(
                f"{project!r} is not a valid GCP project id for environment {env!r}: 6-30 "
                "lowercase letters, digits and hyphens, starting with a letter",
                hint=f"pass --gcp-project {env}=YOUR-PROJECT-ID",
            )
        projects[env] = project
    return projects


def _exclude_infrastructure(pyproject: Path) -> FileOperation | None:
    """An edit adding ``infrastructure`` to ``[tool.uv.workspace] exclude`` when a member glob
    would otherwise make it a workspace member (the rest of the file is kept as it is)."""
    if not pyproject.is_file():
        return None
    before = read_text(pyproject, bounds=bounds_of(pyproject))
    doc = _parse_toml(pyproject)
    workspace = doc.get("tool", {}).get("uv", {}).get("workspace")
    if not isinstance(workspace, dict):
        return None
    members = [str(m) for m in workspace.get("members", []) or []]
    excludes = [str(e) for e in workspace.get("exclude", []) or []]
    added = [
        pattern
        for path, pattern in _NOT_MEMBERS.items()
        if any(_glob_match(path, m) for m in members)
        and not any(_glob_match(path, e) for e in excludes)
    ]
    if not added:
        return None
    if "exclude" in workspace:
        for pattern in added:
            workspace["exclude"].append(pattern)
    else:
        workspace["exclude"] = added
    return edit(
        pyproject,
        before,
        tomlkit.dumps(doc),
        f"[tool.uv.workspace] exclude += {added}: infrastructure/ is not a workspace member",
    )


def _glob_match(path: str, pattern: str) -> bool:
    """uv's member globs: ``*`` stays within one path segment, ``**`` spans segments."""
    pattern = pattern.strip().removeprefix("./").rstrip("/")
    if "**" in pattern:
        return fnmatch.fnmatchcase(path, pattern.replace("**", "*"))
    parts, wanted = path.split("/"), pattern.split("/")
    return len(parts) == len(wanted) and all(
        fnmatch.fnmatchcase(part, glob) for part, glob in zip(parts, wanted, strict=True)
    )
