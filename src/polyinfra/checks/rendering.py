"""Rendering overlays for the rules: what ``lint``, ``check`` and ``deploy`` share.

Every overlay of an environment goes through one batched kustomize run; when the batch fails,
the overlays are rendered one by one so the failure is pinned to its overlay and the others are
still checked. Each rendered object becomes a :class:`Manifest` whose positions point at the
base or overlay line that wrote the field, read from the sources only when a rule asks.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from polyinfra.checks.context import Manifest
from polyinfra.checks.problem import UnreadableInput
from polyinfra.errors import UserError
from polyinfra.positions import Position
from polyinfra.workspace import Workspace, kustomization_file

if TYPE_CHECKING:
    from polyinfra.cache import Cache
    from polyinfra.manifests import RenderedApp, RenderRequest


def render_for_rules(
    requests: Sequence[RenderRequest],
    version: str,
    workspace: Workspace | None = None,
    *,
    cache: Cache | None = None,
    keys_used: list[tuple[RenderRequest, str]] | None = None,
) -> tuple[list[Manifest], list[UnreadableInput]]:
    """Render ``requests`` (batched per environment) with ``version`` in place of
    VERSION_PLACEHOLDER; apps ``cache`` holds the render of are not rendered again.
    Placeholders left over are not errors here: the manifest rules report them."""
    from polyinfra.manifests import RenderOptions, render
    from polyinfra.manifests.cached import cached_render

    by_env: dict[str, list[RenderRequest]] = {}
    for request in requests:
        by_env.setdefault(request.env, []).append(request)
    manifests: list[Manifest] = []
    failures: list[UnreadableInput] = []
    for env, group in by_env.items():
        settings = workspace.settings if workspace is not None else None
        options = RenderOptions(
            version=version,
            placeholders=settings.placeholders.get(env, {}) if settings else {},
            allow_remote_resources=bool(settings and settings.allow_remote_resources),
            batch=True,
            check_leftovers=False,
        )
        try:
            rendered = cached_render(group, options, cache, keys_used=keys_used)
        except UserError:
            rendered = []
            for request in group:
                try:
                    rendered.extend(render([request], options).apps)
                except UserError as exc:
                    failures.append(render_failure(exc, request.overlay))
        for app in rendered:
            try:
                manifests.extend(manifests_of([app], version))
            except UserError as exc:  # its output does not load: at the source line
                failures.append(
                    UnreadableInput(
                        exc.position or Position(app.overlay), exc.message.strip(), exc.hint
                    )
                )
    return manifests, failures


def manifests_of(apps: Iterable[RenderedApp], version: str | None = None) -> list[Manifest]:
    """The rendered objects of ``apps`` (``version`` in place of VERSION_PLACEHOLDER) as
    manifests for the rules."""
    return [
        Manifest(
            document=obj.document,
            source=obj.position,
            app=app.app,
            env=app.env,
            rendered=True,
            version=version,
        )
        for app in apps
        for obj in app.objects
    ]


def render_failure(exc: UserError, overlay: Path) -> UnreadableInput:
    """Why ``overlay`` did not render: a file of its tree that does not load, at the offending
    line (kustomize itself only names the file), else kustomize's own message."""
    from polyinfra.manifests import load_tree

    try:
        load_tree(overlay)
    except UserError as precise:
        if precise.position is not None and precise.position.line:
            return UnreadableInput(precise.position, precise.message, precise.hint)
    kustomization = kustomization_file(overlay) or overlay
    return UnreadableInput(
        exc.position or Position(kustomization, 1, 1),
        exc.message.strip(),
        exc.hint or "run `polyinfra render` on this overlay to see the full output",
    )
