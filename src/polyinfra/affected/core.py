"""Map the files changed between two commits to the stacks, projects and apps they affect."""

from __future__ import annotations

from polyinfra.affected import git
from polyinfra.affected.answer import (
    affected_apps,
    affected_stacks,
    everything_answer,
    for_env,
    removed,
    removed_stacks,
    with_everything,
)
from polyinfra.affected.classify import Collected, classify_path
from polyinfra.affected.git import Change
from polyinfra.affected.model import Affected, Reason
from polyinfra.affected.patterns import PathPatterns
from polyinfra.affected.projects import BlobReader, affected_bricks, affected_projects
from polyinfra.affected.schemas import editor_schemas, outside_bricks
from polyinfra.errors import ToolError, UserError
from polyinfra.workspace import Workspace
from polyinfra.workspace.imports import brick_dependents


def find_affected(
    ws: Workspace,
    base: str | None,
    head: str = "HEAD",
    *,
    fallback_all: bool = False,
    env: str | None = None,
    everything: bool = False,
) -> Affected:
    """What changed between the merge base of ``base`` and ``head`` affects.

    The layout (projects, bricks, apps, stacks) is read from the checkout, which must be at
    ``head``; the base revision's project files and lock are read from git. Any git failure
    raises :class:`ToolError` with git's stderr, unless ``fallback_all`` turns it into an
    answer where everything is affected. ``everything`` asks for that answer directly.
    """
    if env is not None and env not in ws.environments:
        known = ", ".join(ws.environments) or "none"
        raise UserError(
            f"unknown environment {env!r}; environments with overlays: {known}",
            hint="pass an overlay name under infrastructure/cloudrun*/<app>/overlays/",
        )
    if everything:
        return everything_answer(
            ws, base or "", head, env, Reason("", "everything was requested (--all)")
        )
    if base is None:
        raise UserError("pass --base REF (or --all to treat everything as affected)")
    try:
        base_commit = git.resolve_commit(ws.root, base, "base")
        head_commit = git.resolve_commit(ws.root, head, "head")
        checkout = head_commit if head == "HEAD" else git.resolve_commit(ws.root, "HEAD", "head")
        if head_commit != checkout:
            raise UserError(
                f"--head {head} is {head_commit[:12]} but the checkout is at {checkout[:12]}; "
                "the workspace layout is read from the checkout",
                hint=f"check out {head} first (`git switch --detach {head}`) or omit --head",
            )
        mb = git.merge_base(ws.root, base_commit, head_commit)
        changes = git.changed_paths(ws.root, mb, head_commit)
        return _classify(
            ws,
            changes,
            read_base=lambda paths: git.read_blobs(ws.root, mb, paths),
            read_head=lambda paths: git.read_blobs(ws.root, head_commit, paths),
            base=base,
            head=head,
            merge_base=mb,
            head_commit=head_commit,
            env=env,
        )
    except ToolError as exc:
        if not fallback_all:
            raise
        return everything_answer(
            ws, base, head, env, Reason("", f"git failed, so everything is affected: {exc}")
        )


def _classify(
    ws: Workspace,
    changes: list[Change],
    *,
    read_base: BlobReader,
    read_head: BlobReader,
    base: str,
    head: str,
    merge_base: str,
    head_commit: str,
    env: str | None,
) -> Affected:
    settings = ws.settings.affected
    ignore = PathPatterns(tuple(settings.ignore))
    global_files = PathPatterns(tuple(settings.global_files), anchored=True)
    c = Collected()
    schemas = editor_schemas(ws) if any(outside_bricks(ch.path) for ch in changes) else {}
    for change in changes:
        classify_path(ws, change, ignore, global_files, schemas, c)

    if c.bricks:
        c.chains = brick_dependents(ws.bricks, ws.namespace, c.bricks)
    bricks = affected_bricks(c)
    projects = affected_projects(ws, c, read_base, read_head)
    stacks = affected_stacks(ws, c, read_base)
    apps = affected_apps(ws, c, projects)
    answer = Affected(
        base=base,
        head=head,
        merge_base=merge_base,
        head_commit=head_commit,
        env=None,
        everything=bool(c.everything),
        everything_reasons=tuple(sorted(set(c.everything))),
        stacks=stacks,
        bricks=bricks,
        projects=projects,
        apps=apps,
        removed_projects=removed(c.removed_projects),
        removed_apps=removed(c.removed_apps),
        removed_stacks=removed_stacks(ws, c.removed_stacks),
        ignored=tuple(sorted(set(c.ignored))),
    )
    if c.everything:
        answer = with_everything(ws, answer, tuple(sorted(set(c.everything))))
    return for_env(ws, answer, env)
