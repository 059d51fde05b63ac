"""The stacks and apps a change affects and the ones it removes, and the answer widened to
everything or narrowed to one environment."""

from __future__ import annotations

from polyinfra.affected.classify import Collected, StackKey, program_key
from polyinfra.affected.layers import program_order, stack_reasons
from polyinfra.affected.model import (
    Affected,
    AffectedApp,
    AffectedProject,
    AffectedStack,
    AppAction,
    Reason,
    Removed,
)
from polyinfra.affected.projects import BlobReader
from polyinfra.workspace import Workspace


def affected_stacks(
    ws: Workspace, c: Collected, read_base: BlobReader | None = None
) -> tuple[AffectedStack, ...]:
    """The affected stacks, each once per program, in the order they are provisioned (by
    program, then by name); the apps that the changed stacks feed go to ``c.fed_apps``
    (``read_base`` reads the base revision's stack files, to tell which registries moved)."""
    return _stacks(ws, stack_reasons(ws, c, read_base))


def _stacks(ws: Workspace, reasons: dict[StackKey, list[Reason]]) -> tuple[AffectedStack, ...]:
    order = program_order(ws)
    keys = sorted(reasons, key=lambda key: (order.get(key[0], len(order)), key[0] or "", key[1]))
    return tuple(
        AffectedStack(
            name=stack, reasons=tuple(sorted(set(reasons[(program, stack)]))), program=program
        )
        for program, stack in keys
    )


def affected_apps(
    ws: Workspace, c: Collected, projects: tuple[AffectedProject, ...]
) -> tuple[AffectedApp, ...]:
    by_project = {p.name: p for p in projects}
    apps: list[AffectedApp] = []
    for app in ws.apps.values():
        touched = c.app_envs.get(app.name, {})
        manifest = [r for items in touched.values() for r in items]
        fed = c.fed_apps.get(app.name, {})
        project = by_project.get(app.project) if app.project is not None else None
        if project is not None:
            action: AppAction = "rebuild"
            envs = tuple(sorted(app.overlays))
            items = [*project.reasons, *manifest, *(r for rs in fed.values() for r in rs)]
        elif fed:
            # Its environment's image registries changed: the image the last release pushed
            # may not be in them, so it is built again there.
            action = "rebuild" if app.project is not None else "redeploy"
            envs = tuple(sorted(e for e in {*fed, *touched} if e in app.overlays))
            items = [*manifest, *(r for rs in fed.values() for r in rs)]
        elif manifest:
            action = "redeploy"
            envs = tuple(sorted(e for e in touched if e in app.overlays))
            items = manifest
        else:
            continue
        apps.append(
            AffectedApp(
                name=app.name,
                kind=app.kind,
                project=app.project,
                action=action,
                environments=envs,
                reasons=tuple(sorted(set(items))),
            )
        )
    return tuple(apps)


def removed(items: dict[str, list[Reason]]) -> tuple[Removed, ...]:
    return tuple(
        Removed(name=name, reasons=tuple(sorted(set(reasons))))
        for name, reasons in sorted(items.items())
    )


def removed_stacks(ws: Workspace, items: dict[StackKey, list[Reason]]) -> tuple[Removed, ...]:
    order = program_order(ws)
    keys = sorted(items, key=lambda key: (order.get(key[0], len(order)), key[0] or "", key[1]))
    return tuple(
        Removed(name=stack, reasons=tuple(sorted(set(items[(program, stack)]))), program=program)
        for program, stack in keys
    )


def with_everything(ws: Workspace, answer: Affected, why: tuple[Reason, ...]) -> Affected:
    """``answer`` with every project, app and stack added, each carrying ``why``."""
    projects = {p.name: p.reasons for p in answer.projects}
    all_projects = tuple(
        AffectedProject(name=name, reasons=tuple(sorted({*projects.get(name, ()), *why})))
        for name in sorted(ws.projects)
    )
    stacks: dict[StackKey, list[Reason]] = {
        (s.program, s.name): [*s.reasons, *why] for s in answer.stacks
    }
    for program in ws.programs:
        for stack in program.stacks:
            stacks.setdefault((program_key(ws, program), stack), list(why))
    all_stacks = _stacks(ws, stacks)
    apps = {a.name: a for a in answer.apps}
    all_apps: list[AffectedApp] = []
    for app in ws.apps.values():
        known = apps.get(app.name)
        all_apps.append(
            AffectedApp(
                name=app.name,
                kind=app.kind,
                project=app.project,
                action="rebuild" if app.project is not None else "redeploy",
                environments=tuple(sorted(app.overlays)),
                reasons=tuple(sorted({*(known.reasons if known else ()), *why})),
            )
        )
    return Affected(
        base=answer.base,
        head=answer.head,
        merge_base=answer.merge_base,
        head_commit=answer.head_commit,
        env=answer.env,
        everything=True,
        everything_reasons=why,
        stacks=all_stacks,
        bricks=answer.bricks,
        projects=all_projects,
        apps=tuple(all_apps),
        removed_projects=answer.removed_projects,
        removed_apps=answer.removed_apps,
        removed_stacks=answer.removed_stacks,
        ignored=answer.ignored,
    )


def everything_answer(
    ws: Workspace, base: str, head: str, env: str | None, why: Reason
) -> Affected:
    empty = Affected(
        base=base,
        head=head,
        merge_base=None,
        head_commit=None,
        env=None,
        everything=True,
        everything_reasons=(why,),
        stacks=(),
        bricks=(),
        projects=(),
        apps=(),
    )
    return for_env(ws, with_everything(ws, empty, (why,)), env)


def for_env(ws: Workspace, answer: Affected, env: str | None) -> Affected:
    """Keep only what acts on environment ``env`` (its apps' overlays and its stack)."""
    if env is None:
        return answer
    stack = ws.stack_for_env(env)
    apps = tuple(
        AffectedApp(
            name=a.name,
            kind=a.kind,
            project=a.project,
            action=a.action,
            environments=(env,),
            reasons=a.reasons,
        )
        for a in answer.apps
        if env in a.environments
    )
    return Affected(
        base=answer.base,
        head=answer.head,
        merge_base=answer.merge_base,
        head_commit=answer.head_commit,
        env=env,
        everything=answer.everything,
        everything_reasons=answer.everything_reasons,
        stacks=tuple(s for s in answer.stacks if s.name == stack),
        bricks=answer.bricks,
        projects=answer.projects,
        apps=apps,
        removed_projects=answer.removed_projects,
        removed_apps=answer.removed_apps,
        removed_stacks=tuple(s for s in answer.removed_stacks if s.name == stack),
        ignored=answer.ignored,
    )
