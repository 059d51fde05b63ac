"""`polyinfra add`: a Cloud Run app's Kustomize base and overlays, its foundation entries, and
its project's Dockerfile when the project has none."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import tomlkit

from polyinfra.cloudrun.vocabulary import service_account_email
from polyinfra.errors import UserError
from polyinfra.manifests.links import discover_workspace
from polyinfra.positions import Position
from polyinfra.scaffold import names
from polyinfra.scaffold.dockerfile import project_dockerfile
from polyinfra.scaffold.init import DEFAULT_REGION, _parse_toml
from polyinfra.scaffold.plan import Action, FileOperation, Plan, combine, decide, edit
from polyinfra.scaffold.stackfile import Schedule, StackFacts, add_app, read_facts
from polyinfra.scaffold.templates import render
from polyinfra.scaffold.triggers import Trigger, parse_trigger
from polyinfra.suggest import did_you_mean
from polyinfra.workspace import App, AppKind, Project, PulumiProgram, Workspace, normalize_name
from polyinfra.workspace.functions import project_functions
from polyinfra.yamlio import read_text

#: The folder each kind goes in, unless the workspace already keeps that kind elsewhere.
KIND_DIRS: dict[AppKind, str] = {
    "service": "cloudrun_service",
    "job": "cloudrun_job",
    "function": "cloudrun_function",
}
_MANIFESTS: dict[AppKind, str] = {"service": "service", "job": "job", "function": "service"}
_PRODUCTION = {"production", "prod"}


@dataclass(frozen=True)
class AddRequest:
    kind: AppKind
    name: str
    project: str | None = None
    environments: tuple[str, ...] = ()
    schedule: str | None = None
    time_zone: str | None = None
    region: str | None = None
    target: str | None = None
    trigger: str | None = None
    force: bool = False


@dataclass(frozen=True)
class AddResult:
    root: Path
    app_dir: Path
    project: str
    plan: Plan


def plan_add(path: Path, request: AddRequest) -> AddResult:
    """Every file `add` would write or edit; nothing is written. Bad input raises UserError
    before any operation is decided."""
    kind, name = request.kind, request.name
    ws = discover_workspace(path)
    app_dir = _app_dir(ws, kind, name)
    where = Position(app_dir)
    names.check_app_name(name, kind, where)
    schedule = _schedule(request, where)
    if kind != "function" and request.target is not None:
        raise UserError("--target applies to functions only", position=where, hint="drop --target")
    if kind != "function" and request.trigger is not None:
        raise UserError(
            "--trigger applies to functions only",
            position=where,
            hint="a service answers requests and a job runs on a schedule; drop --trigger",
        )
    trigger = parse_trigger(request.trigger, where)
    _check_new(ws, name, kind, app_dir, request.force)
    project = _project(ws, name, request.project)
    target = _target(ws, project, request, trigger, where) if kind == "function" else ""
    key = names.kebab(project.package_name or project.name)
    envs = _environments(ws, request.environments)

    # the app's entries go to the last program (services); in a three-stack workspace its
    # image repository goes to the first (platform)
    programs = _programs(ws)
    facts: dict[str, StackFacts] = {}
    registry_facts: dict[str, StackFacts] = {}
    for env in envs:
        stack = ws.stack_for_env(env)
        facts[env] = read_facts(programs[-1].stacks[stack], key)
        if len(programs) > 1:
            upstream = registry_facts[env] = read_facts(programs[0].stacks[stack], key)
            if facts[env].region is None:  # services may leave the region to the platform
                facts[env] = replace(facts[env], region=upstream.region)

    operations: list[FileOperation] = []
    manifest = _MANIFESTS[kind]
    component = key
    base = app_dir / "base"
    operations.append(
        decide(
            base / f"{manifest}.yaml",
            render(
                f"{kind}.yaml",
                name=name,
                component=component,
                target=target,
                trigger_type=trigger.trigger_type,
                signature_type=trigger.signature_type,
                ingress=trigger.ingress,
            ),
            force=request.force,
        )
    )
    operations.append(
        decide(
            base / "kustomization.yaml",
            render("kustomization-base.yaml", manifest=f"{manifest}.yaml"),
            force=request.force,
        )
    )
    for env in envs:
        fact = facts[env]
        account_id = fact.service_account_id or names.service_account_id(key)
        production = env in _PRODUCTION
        overlay = render(
            f"{kind}-overlay.yaml",
            name=name,
            gcp_project=fact.gcp_project,
            environment=env,
            service_account=service_account_email(account_id, fact.gcp_project),
            min_scale="1" if production else "0",
            max_scale={"service": "10", "function": "100"}.get(kind, "")
            if production
            else {"service": "2", "function": "10"}.get(kind, ""),
        )
        overlay_file = app_dir / "overlays" / env / "kustomization.yaml"
        operations.append(decide(overlay_file, overlay, force=request.force))
    for env in envs:
        fact = facts[env]
        region = request.region or fact.region or DEFAULT_REGION
        after = add_app(
            fact,
            key=key,
            app=name,
            kind=kind,
            account_id=fact.service_account_id or names.service_account_id(key),
            region=region,
            schedule=schedule,
            trigger=trigger if trigger.event_type else None,
            registry=env not in registry_facts,
        )
        operations.append(edit(fact.path, fact.text, after, f"{name}: input:projects.{key}"))
        platform = registry_facts.get(env)
        if platform is not None and not _has_registry(fact, key):
            after = add_app(
                platform,
                key=key,
                app=name,
                kind=kind,
                account_id="",
                region=region,
                schedule=None,
                registry=None,
            )
            what = f"{name}: input:projects.{key}.artifact_registry"
            operations.append(edit(platform.path, platform.text, after, what))
    operations.append(_dockerfile(ws, project, kind, target, request.force))
    mapping = _project_mapping(ws, name, project)
    if mapping is not None:
        operations.append(mapping)
    return AddResult(ws.root, app_dir, project.name, combine(operations))


def _dockerfile(
    ws: Workspace, project: Project, kind: AppKind, target: str, force: bool
) -> FileOperation:
    """The project's Dockerfile: written when it has none, replaced only with ``force``."""
    path = project.path / "Dockerfile"
    if project.dockerfile is not None and not force:
        try:
            generated = project_dockerfile(ws, project, kind, target)
        except UserError:  # nothing is generated for it: a project listing no brick, say
            return FileOperation(path, Action.SKIP, "", "exists; --force replaces it")
        return decide(path, generated.text, force=False)
    generated = project_dockerfile(ws, project, kind, target)
    operation = decide(path, generated.text, force=force)
    notes = [generated.note] if generated.note else []
    if not (ws.root / "uv.lock").is_file():
        notes.append("it installs from the workspace's uv.lock, which is missing: run `uv lock`")
    if notes and operation.action.writes:
        return replace(operation, note="; ".join(notes))
    return operation


def _target(
    ws: Workspace, project: Project, request: AddRequest, trigger: Trigger, where: Position
) -> str:
    """The function the app serves: ``--target``, which a brick of the project must define
    when any defines functions; else the project's one function decorated for the trigger's
    signature type; else the app's name with ``_`` for ``-``."""
    functions = project_functions(project, ws.bricks, ws.bounds)
    defined = sorted({f.name for f in functions})
    listed = ", ".join(defined[:12]) + (", ..." if len(defined) > 12 else "")
    if request.target is not None:
        names.check_function_target(request.target, where)
        if defined and request.target not in defined:
            raise UserError(
                f"--target {request.target!r}: no brick of project {project.name!r} defines a "
                f"module-level function of that name{did_you_mean(request.target, defined)}",
                position=where,
                hint=f"write the function first, or pass one the bricks define: {listed}",
            )
        return request.target
    decorated = [f.name for f in functions if f.decorated == trigger.signature_type]
    if len(decorated) == 1:
        return decorated[0]
    default = request.name.replace("-", "_")
    if default in defined or not defined:
        return default  # a project with no function yet: `check` reports it until it has one
    raise UserError(
        f"which function does {request.name!r} serve? The bricks of project {project.name!r} "
        f"define {len(defined)} function(s) and none is named {default!r}"
        + (f" or is the only one decorated as {trigger.signature_type}" if decorated else ""),
        position=where,
        hint=f"pass --target with one of: {listed}",
    )


def _schedule(request: AddRequest, where: Position) -> Schedule | None:
    if request.schedule is None:
        if request.time_zone is not None:
            raise UserError(
                "--time-zone needs --schedule", position=where, hint='add --schedule "0 4 * * *"'
            )
        return None
    if request.kind != "job":
        raise UserError(
            f"--schedule applies to jobs only, not to a {request.kind}",
            position=where,
            hint="Cloud Scheduler triggers Cloud Run jobs; drop --schedule",
        )
    names.check_schedule(request.schedule, where)
    time_zone = request.time_zone or "Etc/UTC"
    names.check_time_zone(time_zone, where)
    return Schedule(request.schedule, time_zone)


def _app_dir(ws: Workspace, kind: AppKind, name: str) -> Path:
    """The existing app's folder (``--force`` rewrites it in place), else
    ``infrastructure/<kind dir>/<name>``: the kind dir is the one the workspace already uses for
    apps of this kind in the multi-app form, else the newer ``cloudrun_<kind>``."""
    existing = ws.apps.get(name)
    if existing is not None and existing.kind == kind:
        return existing.path
    for app in ws.apps.values():
        if app.kind == kind and app.path.parent.name == app.kind_dir:
            return ws.infrastructure / app.kind_dir / name
    return ws.infrastructure / KIND_DIRS[kind] / name


def _check_new(ws: Workspace, name: str, kind: AppKind, app_dir: Path, force: bool) -> None:
    existing: App | None = ws.apps.get(name)
    if existing is not None and existing.kind != kind:
        raise UserError(
            f"an app named {name!r} already exists as a {existing.kind}",
            position=Position(existing.path),
            hint="app names are unique across services, jobs and functions; choose another",
        )
    if (existing is not None or app_dir.exists()) and not force:
        where = existing.path if existing is not None else app_dir
        raise UserError(
            f"app {name!r} already exists",
            position=Position(where),
            hint="choose another name, or pass --force to rewrite its manifests",
        )


def _project(ws: Workspace, name: str, wanted: str | None) -> Project:
    if wanted is not None:
        for project in ws.projects.values():
            candidates = {project.name, project.package_name or project.name}
            if wanted in candidates or normalize_name(wanted) in {
                normalize_name(c) for c in candidates
            }:
                return project
        raise UserError(
            f"--project {wanted!r}: no such Polylith project under projects/"
            f"{did_you_mean(wanted, ws.projects)}",
            position=Position(ws.root / "projects"),
            hint=f"projects: {', '.join(ws.projects) or 'none'}",
        )
    for project in ws.projects.values():
        if normalize_name(project.name) == normalize_name(name):
            return project
    raise UserError(
        f"no Polylith project named {name!r} under projects/ for app {name!r}",
        position=Position(ws.root / "projects"),
        hint=f"pass --project (projects: {', '.join(ws.projects) or 'none'}), or create it "
        f"with `poly create project --name {name.replace('-', '_')}`",
    )


def _has_registry(fact: StackFacts, key: str) -> bool:
    """Whether the stack file's ``input:projects.<key>`` declares an ``artifact_registry``."""
    document = fact.document
    entry = document.get(("config", "input:projects", key)) if document is not None else None
    return isinstance(entry, dict) and entry.get("artifact_registry") is not None


def _programs(ws: Workspace) -> tuple[PulumiProgram, ...]:
    """The programs `add` edits, platform first (the workspace's one program otherwise)."""
    return ws.ordered_programs if ws.layered else (ws.program,)


def _environments(ws: Workspace, wanted: Sequence[str]) -> list[str]:
    """The environments named (default: every stack of the last program), each with a stack
    file in every program."""
    programs = _programs(ws)
    if wanted:
        envs = list(dict.fromkeys(wanted))
    else:
        envs = [ws.env_for_stack(stack) for stack in programs[-1].stacks]
        if not envs:
            raise UserError(
                f"no Pulumi.<stack>.yaml in {programs[-1].path}",
                position=Position(programs[-1].path),
                hint="run `polyinfra init` to create the stack files",
            )
    for env, program in ((e, p) for e in envs for p in programs):
        stack = ws.stack_for_env(env)
        if stack not in program.stacks:
            raise UserError(
                f"environment {env!r} has no stack file "
                f"{program.path / f'Pulumi.{stack}.yaml'}"
                f"{did_you_mean(stack, program.stacks)}",
                position=Position(program.path),
                hint=f"stacks: {', '.join(program.stacks) or 'none'}; create it with "
                f"`polyinfra init --env {env}`",
            )
    return envs


def _project_mapping(ws: Workspace, name: str, project: Project) -> FileOperation | None:
    """``[tool.polyinfra.apps."<name>"] project = ...`` when the names do not already match."""
    if normalize_name(name) == normalize_name(project.name):
        return None
    pyproject = ws.infra_pyproject
    if pyproject is None:
        raise UserError(
            f"app {name!r} deploys project {project.name!r}, a different name, and the mapping "
            f"belongs in {ws.infrastructure / 'pyproject.toml'}, which does not exist",
            position=Position(ws.infrastructure),
            hint="run `polyinfra init` first",
        )
    before = read_text(pyproject, bounds=ws.bounds)
    doc = _parse_toml(pyproject)
    tool = doc.setdefault("tool", tomlkit.table())
    polyinfra = tool.setdefault("polyinfra", tomlkit.table())
    apps = polyinfra.setdefault("apps", tomlkit.table(is_super_table=True))
    existing = apps.get(name)
    if isinstance(existing, dict):  # `add --force` again: the app's table is there already
        if existing.get("project") != project.name:
            existing["project"] = project.name
        return edit(pyproject, before, tomlkit.dumps(doc), f"[tool.polyinfra.apps.{name}] project")
    app = tomlkit.table()
    app.add("project", project.name)
    apps.add(name, app)
    lines = tomlkit.dumps(doc).splitlines(keepends=True)
    headers = {f"[tool.polyinfra.apps.{name}]", f'[tool.polyinfra.apps."{name}"]'}
    header = next((i for i, line in enumerate(lines) if line.strip() in headers), 0)
    if header and lines[header - 1].strip():
        lines.insert(header, "\n")  # a blank line between tables, as the rest of the file has
    return edit(pyproject, before, "".join(lines), f"[tool.polyinfra.apps.{name}] project")
