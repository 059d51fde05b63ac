"""`polyinfra render`: overlays rendered with the real kustomize, image and version set."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from polyinfra.cli.console import err
from polyinfra.cli.options import (
    DEFAULT_WORKSPACE,
    ImageOption,
    RegistryOption,
    WorkspaceOption,
)


def render(
    apps: Annotated[
        list[str] | None,
        typer.Argument(
            help="Apps to render (default: every app with an overlay for --env).",
            show_default=False,
        ),
    ] = None,
    env: Annotated[str, typer.Option("--env", "-e", help="Environment (overlay name).")] = ...,  # type: ignore[assignment]
    version: Annotated[
        str, typer.Option("--version", help="Replaces VERSION_PLACEHOLDER; the default image tag.")
    ] = ...,  # type: ignore[assignment]
    image: ImageOption = None,
    registry: RegistryOption = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Write <DIR>/<env>/<app>.yaml instead of printing.",
            file_okay=False,
            show_default=False,
        ),
    ] = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Render apps for one environment: set each app's image the way `kustomize edit set
    image` would, run kustomize, replace VERSION_PLACEHOLDER and declared placeholders.

    Works on a temporary copy: the workspace is never modified. Without --image/--registry the
    image comes from the Artifact Registry repository of the app's project in the
    environment's Pulumi stack file.
    """
    from polyinfra.manifests import parse_image_options, render_apps, write_rendered
    from polyinfra.workspace import Workspace

    ws = Workspace.discover(workspace)
    images = parse_image_options(image or [], ws)
    result = render_apps(ws, apps or [], env, version, images=images, registry=registry)
    if out_dir is not None:
        for path in write_rendered(result, out_dir):
            err.print(f"wrote {path}", markup=False)
        return
    # written as is: the manifest must reach stdout byte for byte (no markup, emoji codes or
    # wrapping from the rich console)
    typer.echo("---\n".join(app.text for app in result.apps), nl=False)


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""
    app.command("render")(render)
