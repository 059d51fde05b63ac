"""`polyinfra build`: a project's image, built locally with docker buildx and tagged with the
reference of each app that deploys it (`polyinfra image-ref`)."""

from __future__ import annotations

from typing import Annotated

import typer

from polyinfra.cli.console import out
from polyinfra.cli.options import DEFAULT_WORKSPACE, WorkspaceOption


def build(
    project: Annotated[str, typer.Argument(help="Polylith project to build.", metavar="PROJECT")],
    env: Annotated[str, typer.Option("--env", "-e", help="Environment (overlay name).")] = ...,  # type: ignore[assignment]
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
    the image CI builds, on your machine."""
    import collections
    import shutil
    import subprocess
    import sys

    from polyinfra.errors import ToolError, UserError
    from polyinfra.manifests import image_ref
    from polyinfra.manifests.placeholders import check_version
    from polyinfra.suggest import did_you_mean
    from polyinfra.workspace import Workspace

    check_version(version)
    ws = Workspace.discover(workspace)
    chosen = ws.projects.get(project)
    if chosen is None:
        raise UserError(
            f"no project named {project!r}{did_you_mean(project, sorted(ws.projects))}",
            hint=f"projects: {', '.join(sorted(ws.projects)) or 'none'}",
        )
    if chosen.dockerfile is None:
        raise UserError(
            f"project {project!r} has no Dockerfile",
            hint="`polyinfra add` writes one for a project that has none",
        )
    apps = [a for _, a in sorted(ws.apps.items()) if a.project == project and env in a.overlays]
    if not apps:
        raise UserError(
            f"no app deploys project {project!r} in environment {env!r}, so its image has no "
            "reference",
            hint="pass an environment one of its apps has an overlay for",
        )
    tags = [image_ref(ws, app, env, version) for app in apps]
    docker = shutil.which("docker")
    if docker is None:
        raise UserError(
            "docker is not on PATH",
            hint="install Docker with the buildx plugin (CI builds with docker/build-push-action)",
        )
    args = [docker, "buildx", "build", "-f", ws.rel(chosen.dockerfile)]
    for tag in tags:
        args += ["-t", tag]
    args += ["--push" if push else "--load", "."]
    out.print(f"building {project} for {env}: {', '.join(tags)}", markup=False)
    # docker's progress goes to stderr: shown as it comes, and its end repeated on failure
    tail: collections.deque[str] = collections.deque(maxlen=40)
    with subprocess.Popen(args, cwd=ws.root, stderr=subprocess.PIPE, text=True) as process:
        assert process.stderr is not None
        for line in process.stderr:
            sys.stderr.write(line)
            tail.append(line)
    if process.returncode != 0:
        raise ToolError(
            f"docker buildx build failed (exit {process.returncode}):\n{''.join(tail).rstrip()}",
            hint="the output above shows the failing step",
        )


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""
    app.command("build")(build)
