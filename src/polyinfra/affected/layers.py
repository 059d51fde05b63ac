"""What a change to one Pulumi program feeds when the foundation is split into several (the
three-stack layout: ``platform`` and ``services``).

A program's stack reads another program's same-named stack through cross-stack references
(``${platform.gcp_project}``), so a change to platform's ``sandbox`` stack (its stack file or
its program folder) reaches services' ``sandbox`` stack too. The apps of an environment pull
their images from the Artifact Registry repositories its stacks declare, which live in
platform: a change to a stack that declares them reaches the environment's apps.
"""

from __future__ import annotations

from collections.abc import Mapping

from polyinfra.affected.classify import Collected, StackKey, program_key
from polyinfra.affected.model import Reason
from polyinfra.affected.projects import BlobReader
from polyinfra.errors import RefusedFile, UserError
from polyinfra.workspace import PulumiProgram, Workspace, normalize_name
from polyinfra.workspace.programs import reference_name, referenced_programs
from polyinfra.yamlio import YamlDocument


def stack_reasons(
    ws: Workspace, c: Collected, read_base: BlobReader | None = None
) -> dict[StackKey, list[Reason]]:
    """Every affected stack with its reasons: its own (its stack file, its program), those
    that reach every stack, and, with several programs, those of the stacks it reads from.
    Records the apps that changed registries reach in ``c.fed_apps``."""
    reasons: dict[StackKey, list[Reason]] = {}
    for key, items in c.stacks.items():
        reasons.setdefault(key, []).extend(items)
    for program in ws.programs:
        own = c.program_stacks.get(program_key(ws, program) or "", [])
        for stack in program.stacks:
            key = (program_key(ws, program), stack)
            if own:
                reasons.setdefault(key, []).extend(own)
            if c.all_stacks:
                reasons.setdefault(key, []).extend(c.all_stacks)
    if ws.layered:
        _feed(ws, c, reasons, read_base)
    return reasons


def _feed(
    ws: Workspace,
    c: Collected,
    reasons: dict[StackKey, list[Reason]],
    read_base: BlobReader | None,
) -> None:
    """Add to ``reasons`` what each program's changed stacks feed, programs in the order they
    read each other (platform first), so a reader's reasons are complete before it feeds."""
    readers = _readers(ws)
    # what reaches a stack from its own program or from the ones it reads; not what reaches
    # every stack anyway
    fed: dict[StackKey, list[Reason]] = {
        key: list(items) for key, items in c.stacks.items() if key[0] is not None
    }
    for program in ws.ordered_programs:
        name = reference_name(program)
        for stack in program.stacks:
            fed.setdefault((name, stack), []).extend(c.program_stacks.get(name, []))
    for program in ws.ordered_programs:
        name = reference_name(program)
        for stack in sorted(program.stacks):
            changed = sorted(set(fed.get((name, stack), [])))
            if not changed:
                continue
            for reader in readers.get(name, ()):
                if stack not in reader.stacks:
                    continue
                target = (reference_name(reader), stack)
                why = [
                    Reason(r.path, f"{r.why}; stack {stack} of {target[0]} reads its outputs")
                    for r in changed
                ]
                fed.setdefault(target, []).extend(why)
                reasons.setdefault(target, []).extend(why)
            if _declares_registries(ws, program, stack):
                keys = _changed_registries(ws, program, stack, changed, read_base)
                if keys is None or keys:
                    _feed_apps(ws, c, stack, changed, keys)


def _readers(ws: Workspace) -> Mapping[str, tuple[PulumiProgram, ...]]:
    """Program folder name -> the programs whose stack files reference it."""
    names = {reference_name(p) for p in ws.programs}
    readers: dict[str, list[PulumiProgram]] = {}
    for program in ws.ordered_programs:
        for name in sorted(referenced_programs(program, ws.bounds) & names):
            readers.setdefault(name, []).append(program)
    return {name: tuple(items) for name, items in readers.items()}


def _declares_registries(ws: Workspace, program: PulumiProgram, stack: str) -> bool:
    """Whether ``program``'s stack file for ``stack`` declares an Artifact Registry
    repository; a file that cannot be read counts as declaring one (its apps are listed
    rather than missed)."""
    from polyinfra.foundation.stackview import registries
    from polyinfra.yamlio import load_stack_file

    try:
        return bool(registries(load_stack_file(program.stacks[stack], bounds=ws.bounds)))
    except (UserError, RefusedFile, OSError):
        return True


def _changed_registries(
    ws: Workspace,
    program: PulumiProgram,
    stack: str,
    changed: list[Reason],
    read_base: BlobReader | None,
) -> set[str] | None:
    """The ``input:projects`` keys whose Artifact Registry repository (its id, location or
    project) the change to ``program``'s stack file moved; None when that cannot be told (the
    program's code changed, or a side of the file cannot be read): every app then counts."""
    from polyinfra.yamlio import load_stack_file, load_text

    path = program.stacks[stack]
    rel = ws.rel(path)
    if read_base is None or any(r.path != rel for r in changed):
        return None
    try:
        head = _registry_table(load_stack_file(path, bounds=ws.bounds))
        blob = read_base([rel]).get(rel)
        base = _registry_table(load_text(blob.decode("utf-8"), path)) if blob else {}
    except (UserError, RefusedFile, OSError, UnicodeDecodeError):
        return None
    return {key for key in head.keys() | base.keys() if head.get(key) != base.get(key)}


def _registry_table(document: YamlDocument) -> dict[str, tuple[str, str, str | None]]:
    from polyinfra.foundation.stackview import registries

    return {
        normalize_name(r.project): (r.repository_id, r.location.lower(), r.gcp_project)
        for r in registries(document)
    }


def _feed_apps(
    ws: Workspace, c: Collected, stack: str, changed: list[Reason], keys: set[str] | None
) -> None:
    """The apps of ``stack``'s environment whose project's repository is among ``keys`` (every
    app when None) are fed the change."""
    env = ws.env_for_stack(stack)
    why = [
        Reason(r.path, f"{r.why}; the apps of {env} run images from the registries it declares")
        for r in changed
    ]
    for app in ws.apps.values():
        if env not in app.overlays:
            continue
        names = {normalize_name(n) for n in (app.project, app.name) if n}
        if keys is None or names & keys:
            c.fed_apps.setdefault(app.name, {}).setdefault(env, []).extend(why)


def program_order(ws: Workspace) -> dict[str | None, int]:
    """The position of each program's key in :attr:`Workspace.ordered_programs`, for sorting
    stacks the order they are provisioned in (None, the one program, first)."""
    order: dict[str | None, int] = {None: -1}
    for index, program in enumerate(ws.ordered_programs):
        order[program_key(ws, program)] = index
    return order
