"""`polyinfra render`: overlays rendered with the real kustomize, image and version set."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from polyinfra.cli.console import err
from polyinfra.cli.options import (
    DEFAULT_WORKSPACE,
    ImageOption,
    RegistryOption,
    WorkspaceOption,
)

if TYPE_CHECKING:
    from polyinfra.manifests import PartialRender, RenderResult


def render(
    apps: Annotated[
        list[str] | None,
        typer.Argument(
            help="Apps to render (default: every app with an overlay for --env).",
            show_default=False,
            metavar="APP",
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
            metavar="DIR",
        ),
    ] = None,
    keep_going: Annotated[
        bool,
        typer.Option(
            "--keep-going",
            help="When some apps do not render, print (or write) the others anyway; the exit "
            "code is still 2.",
        ),
    ] = False,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Render apps for one environment: set each app's image the way `kustomize edit set
    image` would, run kustomize, replace VERSION_PLACEHOLDER and declared placeholders.

    Works on a temporary copy: the workspace is never modified. Without --image/--registry the
    image comes from the Artifact Registry repository of the app's project in the
    environment's Pulumi stack file.

    Every app is rendered even when one fails; each failure is reported, and then nothing is
    printed or written (unless --keep-going) and the exit code is 2.
    """
    from polyinfra.manifests import PartialRender, parse_image_options, render_apps
    from polyinfra.manifests.links import discover_workspace
    from polyinfra.redact import redact

    ws = discover_workspace(workspace)
    images = parse_image_options(image or [], ws)
    try:
        result = render_apps(ws, apps or [], env, version, images=images, registry=registry)
    except PartialRender as partial:
        for error in partial.errors:
            err.print(f"error: {redact(error.render())}", markup=False)
        if keep_going:
            _emit(partial.result, out_dir)
        summary = _summary(partial, env, version, out_dir, keep_going)
        if summary:
            err.print(summary, markup=False)
        raise typer.Exit(partial.exit_code) from None
    _emit(result, out_dir)


def _emit(result: RenderResult, out_dir: Path | None) -> None:
    from polyinfra.manifests import write_rendered

    if not result.apps:
        return
    if out_dir is not None:
        for path in write_rendered(result, out_dir):
            err.print(f"wrote {path}", markup=False)
        return
    # written as is: the manifest must reach stdout byte for byte (no markup, emoji codes or
    # wrapping from the rich console)
    typer.echo("---\n".join(app.text for app in result.apps), nl=False)


def _summary(
    partial: PartialRender, env: str, version: str, out_dir: Path | None, keep_going: bool
) -> str:
    """What happened to the apps that did render, and how to get them (nothing to say when
    the only app asked for failed)."""
    done = [app.app for app in partial.result.apps]
    total = len(done) + len(partial.failed)
    text = (
        f"error: {len(partial.failed)} of {total} apps did not render: {', '.join(partial.failed)}"
    )
    verb = "written" if out_dir is not None else "printed"
    if not done:
        return "" if total == 1 else text
    if keep_going:
        return f"{text}; {verb} the other {len(done)}: {', '.join(done)}"
    return (
        f"{text}; nothing was {verb}\n"
        f"  hint: the other {len(done)} rendered: pass --keep-going to get them anyway, or "
        f"render them alone with `polyinfra render {' '.join(done)} --env {env} "
        f"--version {version}`"
    )


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""
    app.command("render")(render)
