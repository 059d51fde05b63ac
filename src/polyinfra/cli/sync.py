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
            help="Write nothing; exit 1 and report each Dockerfile that is out of date (for "
            "pre-commit and CI).",
        ),
    ] = False,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Rewrite only the brick COPY lines of each project's Dockerfile from the bricks its
    pyproject.toml lists: a dropped brick loses its line, a new one gets a line in the form
    of its neighbours. Every other byte stays."""
    from polyinfra.errors import EXIT_FINDINGS, UserError
    from polyinfra.scaffold.dockerfile_sync import sync_dockerfile
    from polyinfra.scaffold.plan import FileOperation, Plan, apply, edit
    from polyinfra.suggest import did_you_mean
    from polyinfra.workspace import Workspace

    ws = Workspace.discover(workspace)
    if projects:
        unknown = [name for name in projects if name not in ws.projects]
        if unknown:
            raise UserError(
                f"no project named {unknown[0]!r}{did_you_mean(unknown[0], sorted(ws.projects))}",
                hint=f"projects: {', '.join(sorted(ws.projects)) or 'none'}",
            )
        chosen = [ws.projects[name] for name in projects]
        without = [p.name for p in chosen if p.dockerfile is None]
        if without:
            raise UserError(
                f"project {without[0]!r} has no Dockerfile",
                hint="`polyinfra add` writes one for a project that has none",
            )
    else:
        chosen = [p for _, p in sorted(ws.projects.items()) if p.dockerfile is not None]
    stale = 0
    edits: list[FileOperation] = []
    for project in chosen:
        result = sync_dockerfile(ws, project)
        rel = ws.rel(result.path)
        if result.copies_no_brick:
            err.print(f"{rel}: info: copies no brick (it installs a wheel?): left as it is",
                      markup=False)  # fmt: skip
            continue
        if not result.changed:
            if not check:
                out.print(f"{'unchanged':<9} {rel}", markup=False)
            continue
        stale += 1
        if check:
            for brick, where in result.dropped:
                out.print(
                    f"{ws.rel(where.file)}:{where.line}:{where.col}: error: copies brick {brick}, "
                    f"which {ws.rel(project.pyproject)} no longer lists",
                    markup=False,
                )
            for brick, where in result.added:
                out.print(
                    f"{ws.rel(where.file)}:{where.line}:{where.col}: error: does not copy brick "
                    f"{brick}, which {ws.rel(project.pyproject)} lists",
                    markup=False,
                )
            continue
        note = f"+{len(result.added)} -{len(result.dropped)} brick(s)"
        edits.append(edit(result.path, result.text, result.new_text, note))
        out.print(f"{'update':<9} {rel}  ({note})", markup=False)
    apply(Plan(tuple(edits)))  # every file or none, each replaced whole
    if check and stale:
        err.print(
            f"{stale} Dockerfile(s) out of date: run `polyinfra sync dockerfile`", markup=False
        )
        raise typer.Exit(EXIT_FINDINGS)


def register(main: typer.Typer) -> None:
    """Add the command group to ``main``."""
    main.add_typer(app, name="sync")
