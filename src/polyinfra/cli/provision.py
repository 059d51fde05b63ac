"""`polyinfra provision`: check a foundation stack, then `pulumi preview` / `pulumi up`."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from polyinfra.cli.console import err, out
from polyinfra.cli.options import DEFAULT_WORKSPACE, WorkspaceOption
from polyinfra.errors import EXIT_FINDINGS, UserError


def provision(
    stack: Annotated[str, typer.Option("--stack", "-s", help="Pulumi stack to provision.")] = ...,  # type: ignore[assignment]
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Apply without asking (pulumi up --yes).")
    ] = False,
    preview: Annotated[
        bool, typer.Option("--preview", help="Only show what would change (pulumi preview).")
    ] = False,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Run `polyinfra check` for the stack, then run `pulumi preview` or `pulumi up --stack S` in
    the Pulumi program's folder with its output streamed.

    Three-stack layout (infrastructure/pulumi/platform/ and services/): every program's stack
    is checked first, then each program is provisioned in its own folder, platform before
    services, stopping at the first that fails or is declined (the later ones are not run).
    -w with a program's folder (-w infrastructure/pulumi/services) provisions that program
    only.

    Without --yes or --preview: preview, ask, then update (per program). The state backend is
    each stack file's `input:bucket` (gs://...) unless PULUMI_BACKEND_URL is set or you are
    logged in elsewhere. Ctrl-C is passed on to pulumi, which cancels cleanly (a second Ctrl-C
    stops it at once); its output is shown until it has stopped.

    Exit status: 0 done, 1 a check error, pulumi failed or the update was declined, 2 bad
    input, 130 interrupted.
    """
    from polyinfra.deploy.pulumi import CheckFailed, Mode, PulumiInterrupted, not_run_sentence
    from polyinfra.deploy.pulumi import provision as run_provision
    from polyinfra.manifests.links import discover_workspace
    from polyinfra.redact import redact

    if yes and preview:
        raise UserError("--yes and --preview contradict each other: pass one")
    mode: Mode = "preview" if preview else ("up" if yes else "preview-then-up")
    if mode == "preview-then-up" and not sys.stdin.isatty():
        raise UserError(
            "cannot ask for confirmation: standard input is not a terminal",
            hint="pass --yes to apply without asking, or --preview to only preview",
        )
    ws = discover_workspace(workspace)

    def confirm(question: str) -> bool:
        return typer.confirm(question, default=False)

    def show(line: str) -> None:
        # pulumi's own output: it masks what the stack marks secret, not what a program or
        # provider prints (a connection string, a key in an error)
        out.print(redact(line), markup=False, highlight=False)

    try:
        done = run_provision(ws, stack, mode, on_line=show, confirm=confirm, where=workspace)
    except PulumiInterrupted as exc:
        err.print(
            f"Interrupted: {exc} has stopped; its output above says what it changed and what "
            "it did not.",
            markup=False,
        )
        if exc.not_run:
            sentence = not_run_sentence(exc.not_run)
            err.print(f"{sentence[:1].upper()}{sentence[1:]}.", markup=False)
        raise typer.Exit(130) from None
    except KeyboardInterrupt:
        err.print("Interrupted.", markup=False)
        raise typer.Exit(130) from None
    except CheckFailed as exc:
        from polyinfra.checks.report import render_text

        err.print(render_text(exc.problems, root=ws.root), markup=False)
        at = f" at {exc.program}" if exc.program else ""
        for_programs = f" for {', '.join(exc.not_run)}" if exc.not_run else ""
        err.print(
            f"provision stopped{at}: `polyinfra check` found {len(exc.problems)} error(s) for "
            f"stack {stack!r}; pulumi was not run{for_programs}",
            markup=False,
        )
        raise typer.Exit(EXIT_FINDINGS) from None
    if not done.applied:
        at = f" at {done.stopped_at}" if done.stopped_at else ""
        later = f"; {not_run_sentence(done.not_run)}" if done.not_run else ""
        err.print(f"Not applied{at}{later}.", markup=False)
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""
    app.command("provision")(provision)
