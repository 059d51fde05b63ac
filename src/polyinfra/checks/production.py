"""Which environments are production: the one ``[tool.polyinfra.ci] production_environment``
names (CI deploys it on push to the main branch), and every one whose foundation stack is the
production environment (``input:environment: production``, else the stack name ``production``:
what turns on the foundation's ``protect``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from polyinfra.errors import UserError
from polyinfra.foundation import stackview

if TYPE_CHECKING:
    from polyinfra.checks.context import CheckContext
    from polyinfra.workspace import Workspace
    from polyinfra.yamlio import YamlDocument

PRODUCTION = "production"


def production_environments(ctx: CheckContext) -> frozenset[str]:
    """The environments of ``ctx`` marked production (none without a workspace)."""
    return ctx.shared(_production_environments)


def _production_environments(ctx: CheckContext) -> frozenset[str]:
    ws = ctx.workspace
    if ws is None:
        return frozenset()
    found = {ws.settings.ci.production_environment}
    envs = {m.env for m in ctx.manifests if m.env} | {s.env for s in ctx.stacks}
    for env in envs:
        stack = ctx.stack_for_env(env)
        document = stack.document if stack is not None else _stack_document(ws, env)
        if foundation_environment(ws, env, document) == PRODUCTION:
            found.add(env)
    return frozenset(found)


def foundation_environment(ws: Workspace, env: str, document: YamlDocument | None) -> str:
    """``input:environment`` of the environment's stack file, else the stack name (as the
    foundation program reads it)."""
    value = stackview.config_value(document, "input:environment")
    return value if isinstance(value, str) and value else ws.stack_for_env(env)


def _stack_document(ws: Workspace, env: str) -> YamlDocument | None:
    """The stack file of ``env`` when the context holds none (``lint``, ``deploy
    --skip-checks``): the last program's that has one; None when there is no readable one."""
    try:
        view = stackview.read_stack_view(ws, ws.stack_for_env(env))
    except UserError:
        return None
    return next((doc for _, doc in reversed(view.documents) if doc is not None), None)
