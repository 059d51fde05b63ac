"""`polyinfra plan`."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated, Any

import typer

from polyinfra.cli.command import Command
from polyinfra.cli.console import err, out
from polyinfra.cli.options import (
    DEFAULT_WORKSPACE,
    LinkBaseOption,
    WorkspaceOption,
    markdown_only,
)
from polyinfra.errors import EXIT_FINDINGS, EXIT_USAGE, PolyinfraError, UserError

#: ``--detailed-exitcode``: the exit code when the diff has changes (Terraform's convention).
EXIT_CHANGES = 2


class PlanFormat(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"


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
    output_format: Annotated[
        PlanFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="text (default), json, or markdown (for a pull request or a step summary: "
            "what is destroyed, then IAM changes, then the rest by type).",
            show_default=False,
            metavar="FORMAT",
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the plan as JSON (same as --format json).")
    ] = False,
    link_base: LinkBaseOption = None,
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
    detailed_exitcode: Annotated[
        bool,
        typer.Option(
            "--detailed-exitcode",
            help="With --diff only: exit 0 when nothing changes, 2 when something does, 1 on "
            "any error (bad input too, which otherwise exits 2), as terraform plan "
            "-detailed-exitcode does.",
        ),
    ] = False,
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

    Exit codes: 0 planned, 1 a protected resource removed or replaced, 2 bad input. With
    --diff REF --detailed-exitcode: 0 no changes, 2 changes, 1 any error (bad input included);
    3 is still a bug in polyinfra.
    """
    from polyinfra.foundation.plan import Plan, PlanDiff, plan_workspace
    from polyinfra.foundation.report import format_diff, format_plan
    from polyinfra.redact import redact

    if detailed_exitcode and diff is None:
        raise UserError(
            "--detailed-exitcode needs --diff REF: it tells whether the diff has changes",
            hint="add --diff REF (e.g. --diff origin/main), or drop --detailed-exitcode",
        )
    chosen = _format(output_format, as_json, detailed=detailed_exitcode)
    try:
        markdown_only(link_base, chosen.value)
    except UserError as exc:
        if detailed_exitcode:
            exc.exit_code = EXIT_FINDINGS
        raise
    try:
        results = plan_workspace(workspace, stack=stack, diff_ref=diff)
    except PolyinfraError as exc:
        if not detailed_exitcode:
            raise
        # terraform's convention: 1 is every error, 2 means "changes"
        err.print(f"error: {redact(str(exc))}", markup=False)
        raise typer.Exit(EXIT_FINDINGS) from exc
    if chosen is PlanFormat.json:
        stacks = [result.to_json() for result in results]
        out.print_json(json.dumps({"stacks": redact.data(stacks)}))
    elif chosen is PlanFormat.markdown:
        from polyinfra.review.plan import plan_markdown
        from polyinfra.workspace.discover import find_root

        text = plan_markdown(results, ref=diff, root=find_root(workspace), link_base=link_base)
        out.file.write(redact_outside_links(text, link_base))
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
    diffs = [result for result in results if isinstance(result, PlanDiff)]
    if any(d.protected for d in diffs):
        raise typer.Exit(EXIT_FINDINGS)
    if detailed_exitcode and any(not d.empty for d in diffs):
        raise typer.Exit(EXIT_CHANGES)


def _format(chosen: PlanFormat | None, as_json: bool, *, detailed: bool) -> PlanFormat:
    """The output format ``--format`` and ``--json`` ask for; disagreeing is a usage error (exit
    2, or 1 under --detailed-exitcode, where 2 means "changes")."""
    if as_json and chosen not in (None, PlanFormat.json):
        error = UserError(
            f"--json and --format {chosen} disagree: --json is --format json",
            hint="pass one of them",
        )
        if detailed:
            error.exit_code = EXIT_FINDINGS
        raise error
    if as_json:
        return PlanFormat.json
    return chosen or PlanFormat.text


def redact_outside_links(text: str, link_base: str | None) -> str:
    """``text`` redacted, the links to ``link_base`` left whole: a commit hash next to a path
    reads as a random token, and a link redacted is a dead link that claims a secret."""
    from polyinfra.redact import redact

    if not link_base:
        return redact(text)
    stand_in = "\x00link-base\x00"
    return redact(text.replace(link_base, stand_in)).replace(stand_in, link_base)


class PlanCommand(Command):
    """``plan``: under ``--detailed-exitcode`` (with ``--diff``) a usage error exits 1, as every
    error does there (2 means "changes")."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        detailed = "--detailed-exitcode" in args and any(
            arg == "--diff" or arg.startswith("--diff=") for arg in args
        )
        try:
            result: list[str] = super().parse_args(ctx, args)
        except Exception as exc:  # Click's usage errors carry their exit code
            if detailed and getattr(exc, "exit_code", None) == EXIT_USAGE:
                exc.exit_code = EXIT_FINDINGS  # type: ignore[attr-defined]
            raise
        return result


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""
    app.command("plan", cls=PlanCommand)(plan)
