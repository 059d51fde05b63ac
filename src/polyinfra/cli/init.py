"""`polyinfra init`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from polyinfra.cli.console import out
from polyinfra.cli.options import DEFAULT_WORKSPACE, WorkspaceOption, region_option
from polyinfra.errors import UserError


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""
    app.command("init")(init)


def init(
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
    env: Annotated[
        list[str] | None,
        typer.Option(
            "--env",
            "-e",
            help="Environment (Pulumi stack) to create; repeat. Default: sandbox and production.",
        ),
    ] = None,
    gcp_project: Annotated[
        list[str] | None,
        typer.Option(
            "--gcp-project",
            help="GCP project id of an environment, as ENV=PROJECT_ID; repeat. "
            "Default: <workspace>-sandbox, <workspace>-prod.",
            metavar="ENV=PROJECT_ID",
        ),
    ] = None,
    region: Annotated[
        str, typer.Option("--region", help="Default GCP region.", callback=region_option)
    ] = "asia-southeast1",
    force: Annotated[
        bool, typer.Option("--force", help="Replace files that already exist.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only list what would be written.")
    ] = False,
    polyinfra_source: Annotated[
        str | None,
        typer.Option(
            "--polyinfra-source",
            help="Where infrastructure/ installs polyinfra from: a version specifier (>=0.2), "
            "a path to a wheel, sdist or source folder, or a git URL (git+https://...@REV). "
            "Default: >= the running polyinfra's version.",
            show_default=False,
            metavar="SOURCE",
        ),
    ] = None,
    python: Annotated[
        str | None,
        typer.Option(
            "--python",
            help="Python of the infrastructure project, as X.Y (requires-python ~=X.Y.0). "
            "Default: 3.13.",
            show_default=False,
            metavar="VERSION",
        ),
    ] = None,
    stacks: Annotated[
        int | None,
        typer.Option(
            "--stacks",
            help="Layout: 2, one foundation program (infrastructure/pulumi/); 3, a platform and "
            "a services program (infrastructure/pulumi/platform/ and services/). Default: the "
            "workspace's layout, else 2.",
            show_default=False,
            metavar="N",
        ),
    ] = None,
    no_lock: Annotated[
        bool,
        typer.Option(
            "--no-lock",
            help="Do not run `uv lock` in infrastructure/ afterwards (by default it runs when "
            "uv is on PATH, so the workflows' `uv sync --frozen` finds its lock file).",
        ),
    ] = False,
) -> None:
    """Create infrastructure/ in an existing Polylith workspace: the Pulumi foundation program
    (or, with --stacks 3, the platform and services programs), sandbox and production stack
    files, bigquery/ and monitoring/. Existing files are kept."""
    from polyinfra.scaffold import apply, plan_init

    projects: dict[str, str] = {}
    for item in gcp_project or []:
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            raise UserError(
                f"--gcp-project {item!r}: expected ENV=PROJECT_ID",
                hint="for example --gcp-project sandbox=acme-sandbox",
            )
        projects[key] = value
    result = plan_init(
        workspace,
        environments=tuple(env) if env else ("sandbox", "production"),
        gcp_projects=projects,
        region=region,
        force=force,
        polyinfra_source=polyinfra_source,
        python=python,
        stacks=stacks,
    )
    for line in result.plan.lines(result.root, dry_run=dry_run):
        out.print(line, markup=False)
    if not dry_run:
        apply(result.plan)
    pyproject = result.root / "infrastructure" / "pyproject.toml"
    changed = any(op.path == pyproject and op.action.writes for op in result.plan.operations)
    if not no_lock and (changed or not pyproject.with_name("uv.lock").exists()):
        _lock(result.root, dry_run=dry_run)


def _lock(root: Path, *, dry_run: bool) -> None:
    """``uv lock`` in infrastructure/: run it when uv is on PATH, else say how."""
    import shutil

    from polyinfra import proc
    from polyinfra.errors import ToolError

    command = "uv lock --directory infrastructure"
    uv = shutil.which("uv")
    if dry_run:
        out.print(f"{'would lock':<15} infrastructure/uv.lock  ({command})", markup=False)
        return
    if uv is None:
        out.print(
            f"next: run `{command}` (uv is not on PATH): the workflows install polyinfra with "
            "`uv sync --frozen`, which needs infrastructure/uv.lock",
            markup=False,
        )
        return
    done = proc.run([uv, "lock"], cwd=root / "infrastructure", check=False)
    if done.returncode != 0:
        raise ToolError(
            proc.describe_failure(["uv", "lock"], done, "infrastructure/"),
            hint=f"the files above are written; fix what uv says, then run `{command}`",
        )
    out.print(f"{'lock':<9} infrastructure/uv.lock  (uv lock)", markup=False)
