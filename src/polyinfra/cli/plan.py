"""`polyinfra plan`."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from polyinfra.cli.console import out
from polyinfra.cli.options import DEFAULT_WORKSPACE, WorkspaceOption
from polyinfra.errors import EXIT_FINDINGS


def plan(
    stack: Annotated[
        str | None,
        typer.Option(
            "--stack",
            "-s",
            help="Stack to plan (default: every Pulumi.<stack>.yaml of the program).",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the plan as JSON.")] = False,
    diff: Annotated[
        str | None,
        typer.Option(
            "--diff",
            metavar="REF",
            help="Compare with the stack file at git REF: added, removed, changed resources. "
            "Exit 1 when the change removes or replaces a protected resource.",
            show_default=False,
        ),
    ] = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Plan the foundation stack offline: run the Pulumi program under mocks (no credentials, no
    Pulumi CLI) and print every resource it would declare, grouped by type, with totals.

    The stack file is validated first; any error is reported with file:line:col and exit code 2.
    Long values are wrapped, never cut.

    With --diff REF, a protected resource (input:protect) that the change removes or replaces
    (an input that names it, its project or gcp:project changed) is an error, and the exit
    code is 1: Pulumi would refuse to delete it. Set input:protect: false and deploy that
    first, or run `pulumi state unprotect` on the URN the error names.

    Exit codes: 0 planned, 1 a protected resource removed or replaced, 2 bad input.
    """
    from polyinfra.foundation.plan import Plan, PlanDiff, plan_workspace
    from polyinfra.foundation.report import format_diff, format_plan
    from polyinfra.redact import redact

    results = plan_workspace(workspace, stack=stack, diff_ref=diff)
    if as_json:
        stacks = [result.to_json() for result in results]
        out.print_json(json.dumps({"stacks": redact.data(stacks)}))
    else:
        for index, result in enumerate(results):
            if index:
                out.print()
            if isinstance(result, PlanDiff):
                text = format_diff(result)
            else:
                assert isinstance(result, Plan)
                text = format_plan(result)
            out.print(redact(text), markup=False)
    if any(isinstance(result, PlanDiff) and result.protected for result in results):
        raise typer.Exit(EXIT_FINDINGS)


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""
    app.command("plan")(plan)
