"""`polyinfra sync dockerfile`: the brick COPY lines of each project's Dockerfile, from its
``[tool.polylith.bricks]``."""

from __future__ import annotations

from typing import Annotated

import typer

from polyinfra.cli.console import err, out
from polyinfra.cli.options import DEFAULT_WORKSPACE, WorkspaceOption

app = typer.Typer(
    help="Bring generated files in line with the workspace.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@app.command("dockerfile")
def dockerfile(
    projects: Annotated[
        list[str] | None,
        typer.Argument(
            help="Projects (default: every project with a Dockerfile).",
            show_default=False,
            metavar="PROJECT",
        ),
    ] = None,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Write nothing; exit 1 and report each Dockerfile that is out of date at its "
            "line (for pre-commit and CI).",
        ),
    ] = False,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Rewrite only the brick COPY lines of each project's Dockerfile from the bricks its
    pyproject.toml lists: a dropped brick loses its line, a new one gets a line in the form
    of its neighbours. Every other byte stays. A Dockerfile that installs the project's wheel
    is left as it is."""
    from polyinfra.errors import EXIT_FINDINGS, UserError, UserErrors
    from polyinfra.manifests.links import discover_workspace
    from polyinfra.positions import Position
    from polyinfra.scaffold.dockerfile_sync import DockerfileSync, Finding, sync_dockerfile
    from polyinfra.scaffold.plan import FileOperation, Plan, apply, edit
    from polyinfra.suggest import did_you_mean
    from polyinfra.workspace import Project
    from polyinfra.workspace.model import project_named

    ws = discover_workspace(workspace)
    chosen: list[Project] = []
    errors: list[UserError] = []
    for name in dict.fromkeys(projects or ()):
        folder = project_named(name, ws.projects)
        if folder is None:
            errors.append(
                UserError(
                    f"no project named {name!r}{did_you_mean(name, sorted(ws.projects))}",
                    position=Position(ws.root / "projects"),
                    hint=f"projects: {', '.join(sorted(ws.projects)) or 'none'}",
                )
            )
        elif ws.projects[folder].dockerfile is None:
            errors.append(
                UserError(
                    f"project {folder!r} has no Dockerfile to sync",
                    position=Position(ws.projects[folder].path),
                    hint=f"create {ws.rel(ws.projects[folder].path)}/Dockerfile: `polyinfra add` "
                    "writes the spec's one for the project of a new app",
                )
            )
        else:
            chosen.append(ws.projects[folder])
    if errors:
        raise errors[0] if len(errors) == 1 else UserErrors(errors)
    if not projects:
        chosen = [p for _, p in sorted(ws.projects.items()) if p.dockerfile is not None]

    def report(level: str, finding: Finding) -> None:
        where = finding.position
        out.print(f"{ws.rel(where.file)}:{where.line}:{where.col}: {level}: {finding.message}")

    results: list[DockerfileSync] = [sync_dockerfile(ws, project) for project in chosen]
    edits: list[FileOperation] = []
    shown: list[str] = []  # one line per Dockerfile, printed once every file is written
    stale = 0
    for result in results:
        rel = ws.rel(result.path)
        if result.left_alone is not None:
            err.print(f"{rel}: info: {result.left_alone}")
            continue
        if result.changed:
            stale += 1
        if check:
            for finding in result.differences:
                report("error", finding)
        elif result.changed:
            changes = [f"adds {b}" for b in result.added] + [f"drops {b}" for b in result.dropped]
            edits.append(edit(result.path, result.text, result.new_text, "; ".join(changes)))
            shown += Plan((edits[-1],)).lines(ws.root)
        else:
            shown.append(f"{'unchanged':<9} {rel}")
        for finding in result.manual:
            report("error", finding)
    apply(Plan(tuple(edits)))  # every file or none, each replaced whole
    for line in shown:
        out.print(line)
    manual = sum(1 for result in results if result.manual)
    if check and stale:
        err.print(f"{stale} Dockerfile(s) out of date: run `polyinfra sync dockerfile`")
    if manual:
        err.print(f"{manual} Dockerfile(s) need a change by hand (see above)")
    if (check and stale) or manual:
        raise typer.Exit(EXIT_FINDINGS)


def register(main: typer.Typer) -> None:
    """Add the command to ``main`` as ``polyinfra sync dockerfile``."""
    main.add_typer(app, name="sync")
