"""`polyinfra image-ref`: the image an app runs in an environment at a version, for scripts."""

from __future__ import annotations

from typing import Annotated

import typer

from polyinfra.cli.console import out
from polyinfra.cli.options import DEFAULT_WORKSPACE, WorkspaceOption


def image_ref(
    apps: Annotated[
        list[str],
        typer.Argument(help="Apps (one reference per line, in this order).", metavar="APP"),
    ],
    env: Annotated[str, typer.Option("--env", "-e", help="Environment (overlay name).")] = ...,  # type: ignore[assignment]
    version: Annotated[
        str, typer.Option("--version", help="Release version: the image tag.", metavar="VERSION")
    ] = ...,  # type: ignore[assignment]
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Print the image reference of each APP in --env at --version: the Artifact Registry
    repository the environment's stack creates for the app's project, the image name (the
    app's, unless [tool.polyinfra.apps.<app>] image says otherwise) and the tag. `render`,
    `deploy`, `build` and the generated workflows use the same reference.
    """
    from polyinfra.errors import UserError, UserErrors
    from polyinfra.manifests import image_ref as reference
    from polyinfra.manifests.links import discover_workspace
    from polyinfra.manifests.placeholders import check_version

    check_version(version)
    ws = discover_workspace(workspace)
    chosen = ws.select_apps(apps)
    refs: list[str] = []
    errors: list[UserError] = []
    for app in chosen:
        if env not in app.overlays:
            known = ", ".join(app.environments) or "none"
            errors.append(
                UserError(
                    f"{app.name} has no overlay for environment {env!r} (it has: {known})",
                    hint="pass one of its environments with --env",
                )
            )
            continue
        try:
            refs.append(reference(ws, app, env, version))
        except UserError as exc:
            errors.append(exc)
    if errors:
        raise errors[0] if len(errors) == 1 else UserErrors(errors)
    for ref in refs:
        out.file.write(ref + "\n")


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""
    app.command("image-ref")(image_ref)
