"""Where the apps of the tree live in an environment (project, name, kind, region), read from
their rendered manifests without deploying or checking anything."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from polyinfra.deploy.rollout import DeployTarget
    from polyinfra.workspace import Workspace

#: The version :func:`locate` renders with: where an object lives does not depend on it.
LOCATE_VERSION = "0"


def locate(
    ws: Workspace,
    apps: Sequence[str],
    env: str,
    *,
    region: str | None = None,
    images: Mapping[str, str] | None = None,
    registry: str | None = None,
) -> list[DeployTarget]:
    """Where each app (every app with an overlay for ``env`` when ``apps`` is empty) lives in
    ``env``: its rendered objects as deploy targets (kind, project, name, region), rendered
    as a deploy would but without any check or call. ``images`` and ``registry`` are deploy's
    ``--image`` and ``--registry``, for a workspace whose stack names no image repository.
    Bad input is a UserError as for ``render``."""
    from polyinfra.deploy.apps import targets_from_render
    from polyinfra.manifests import render_apps

    result = render_apps(ws, list(apps), env, LOCATE_VERSION, images=images, registry=registry)
    return targets_from_render(ws, result, region=region)
