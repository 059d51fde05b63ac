"""`polyinfra build`: a project's image, built locally with docker buildx and tagged with the
reference of each app that deploys it (`polyinfra image-ref`)."""

from __future__ import annotations

from typing import Annotated

import typer

from polyinfra.cli.console import out
from polyinfra.cli.options import DEFAULT_WORKSPACE, WorkspaceOption


def build(
    project: Annotated[str, typer.Argument(help="Polylith project to build.", metavar="PROJECT")],
    env: Annotated[
        str, typer.Option("--env", "-e", help="Environment (overlay name).", metavar="ENV")
    ] = ...,  # type: ignore[assignment]
    version: Annotated[
        str, typer.Option("--version", help="Release version: the image tag.", metavar="VERSION")
    ] = ...,  # type: ignore[assignment]
    push: Annotated[
        bool, typer.Option("--push", help="Push the image (default: load it into docker).")
    ] = False,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Run `docker buildx build` from the workspace root with the project's Dockerfile, one tag
    per app that deploys the project in --env (the reference `polyinfra image-ref` prints):
    the image CI builds, on your machine. A failed build exits 2, as every failed tool does,
    with the end of docker's output."""
    import sys

    from polyinfra import proc
    from polyinfra.errors import ToolError, UserError, UserErrors
    from polyinfra.manifests import image_ref
    from polyinfra.manifests.links import discover_workspace
    from polyinfra.manifests.placeholders import check_version
    from polyinfra.positions import Position
    from polyinfra.suggest import did_you_mean
    from polyinfra.workspace.model import project_named

    check_version(version)
    ws = discover_workspace(workspace)
    folder = project_named(project, ws.projects)
    if folder is None:
        raise UserError(
            f"no project named {project!r}{did_you_mean(project, sorted(ws.projects))}",
            position=Position(ws.root / "projects"),
            hint=f"projects: {', '.join(sorted(ws.projects)) or 'none'}",
        )
    chosen = ws.projects[folder]
    if chosen.dockerfile is None:
        raise UserError(
            f"project {folder!r} has no Dockerfile to build",
            position=Position(chosen.path),
            hint=f"create {ws.rel(chosen.path)}/Dockerfile: `polyinfra add` writes the spec's "
            "one for the project of a new app",
        )
    deploying = [a for _, a in sorted(ws.apps.items()) if a.project == folder]
    apps = [a for a in deploying if env in a.overlays]
    if not apps:
        has = "; ".join(
            f"{a.name} in {', '.join(a.environments) or 'no environment'}" for a in deploying
        )
        raise UserError(
            f"no app deploys project {folder!r} in environment {env!r}, so its image has no "
            "reference to be tagged with",
            position=Position(chosen.path),
            hint=f"its apps: {has}"
            if deploying
            else f"add one with `polyinfra add service "
            f"{folder.replace('_', '-')} --project {folder}` (or job, function)",
        )
    tags: list[str] = []
    errors: list[UserError] = []
    for app in apps:
        try:
            tags.append(image_ref(ws, app, env, version))
        except UserError as exc:
            errors.append(exc)
    if errors:
        raise errors[0] if len(errors) == 1 else UserErrors(errors)
    docker = proc.which("docker")
    if docker is None:
        raise UserError(
            "docker is not on PATH",
            hint="install Docker with the buildx plugin (CI builds with docker/build-push-action)",
        )
    args = [docker, "buildx", "build", "-f", ws.rel(chosen.dockerfile)]
    for tag in dict.fromkeys(tags):
        args += ["-t", tag]
    args += ["--push" if push else "--load", "."]
    out.print(f"building {folder} for {env}: {', '.join(dict.fromkeys(tags))}")

    def show(line: str) -> None:  # docker's progress, as it comes
        sys.stderr.write(line + "\n")
        sys.stderr.flush()

    try:
        proc.stream(args, on_line=show, cwd=ws.root, what=f"building {folder}")
    except ToolError as exc:
        raise ToolError(
            exc.message,
            position=Position(chosen.dockerfile),
            hint="docker's output above shows the failing step; `docker buildx version` "
            "checks that the buildx plugin is installed",
        ) from exc


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""
    app.command("build")(build)
