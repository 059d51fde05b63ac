"""`polyinfra check`: the workspace, both stacks and the seam between them, before deploy."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from polyinfra.cli.console import err
from polyinfra.cli.options import (
    FormatOption,
    IgnoreOption,
    LinkBaseOption,
    OptionalWorkspaceOption,
    SelectOption,
    markdown_only,
    workspace_of,
)

if TYPE_CHECKING:
    from polyinfra.checks.check import CheckResult


def check(
    path: Annotated[
        Path | None,
        typer.Argument(
            help="The workspace (or any folder inside it), as --workspace. Default: the "
            "current folder.",
            show_default=False,
            metavar="PATH",
        ),
    ] = None,
    workspace: OptionalWorkspaceOption = None,
    envs: Annotated[
        list[str] | None,
        typer.Option(
            "--env",
            "-e",
            help="Check only this environment (repeatable). Default: every environment with "
            "an overlay or a stack file.",
            show_default=False,
            metavar="ENV",
        ),
    ] = None,
    output_format: FormatOption = "text",
    link_base: LinkBaseOption = None,
    select: SelectOption = None,
    ignore: IgnoreOption = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit 1 on warnings too, not only on errors.")
    ] = False,
    timings: Annotated[
        bool,
        typer.Option(
            "--timings", help="Print the time spent reading, planning, rendering and checking."
        ),
    ] = False,
    list_rules: Annotated[
        bool, typer.Option("--list-rules", help="List every rule check runs and exit.")
    ] = False,
    no_cache: Annotated[
        bool,
        typer.Option(
            "--no-cache",
            help="Plan every stack and render every overlay again, without reading or writing "
            "the cache (`polyinfra cache dir`). The result is the same either way.",
        ),
    ] = False,
) -> None:
    """Check the workspace conventions, every stack file, the consistency of each environment's
    overlays with its foundation stack (service accounts, secrets, registries, namespaces,
    schedulers), and an offline policy pack over the foundation plan and the rendered apps.

    Exit code 0 when clean (warnings and information allowed), 1 for errors (or warnings with
    --strict), 2 when the workspace cannot be read. A summary (counts per level and per area)
    goes to stderr after the report. Disable a rule on one line with
    `# polyinfra: disable=RULE-ID`, in a file with `# polyinfra: disable-file=RULE-ID`, or for
    the project under [tool.polyinfra.rules].
    """
    from polyinfra.checks.check import check_workspace
    from polyinfra.checks.registry import CHECK_RULES
    from polyinfra.checks.report import render

    folder = workspace_of(path, workspace)
    markdown_only(link_base, output_format)
    if list_rules:
        from polyinfra.checks.docs import rules_table

        typer.echo(rules_table(CHECK_RULES))
        return
    from polyinfra.cache import default_cache
    from polyinfra.cli.cache import log_cache_debug

    log_cache_debug()
    result = check_workspace(
        folder,
        environments=envs or (),
        select=select or (),
        ignore=ignore or (),
        cache=None if no_cache else default_cache(),
    )
    if output_format == "markdown":
        from polyinfra.review.check import check_markdown

        report = check_markdown(
            result.problems,
            scope=", ".join(result.environments) or "no environment",
            root=result.workspace.root,
            link_base=link_base,
            secrets=result.secrets,
        ).rstrip("\n")
    else:
        report = render(result.problems, result.rules, output_format, secrets=result.secrets)
    if report:
        typer.echo(report)
    err.print(summary(result), markup=False)
    if timings:
        err.print(timing_table(result), markup=False)
    code = result.exit_code(strict=strict)
    if code:
        raise typer.Exit(code)


def summary(result: CheckResult) -> str:
    """One line: what was checked, then counts per level and per area."""
    from polyinfra.checks.problem import Level

    envs = ", ".join(result.environments) or "no environment"
    head = (
        f"Checked {len(result.workspace.apps)} app(s), {len(result.workspace.projects)} "
        f"project(s) and {envs} with {len(result.rules)} rules"
    )
    if not result.problems:
        return f"{head}: no problems."
    levels = ", ".join(
        f"{result.count(level)} {level.label}{'s' if result.count(level) != 1 else ''}"
        for level in sorted(Level, reverse=True)
        if result.count(level)
    )
    areas = ", ".join(f"{area} {count}" for area, count in result.by_area().items())
    return f"{head}: {levels} (by area: {areas})."


def timing_table(result: CheckResult) -> str:
    """Seconds and share of the total per phase."""
    total = result.timings.total
    lines = [f"{'phase':<10} {'seconds':>8} {'share':>6}"]
    for phase, seconds in result.timings.seconds.items():
        lines.append(f"{phase:<10} {seconds:>8.3f} {result.timings.share(phase):>6.1%}")
    lines.append(f"{'total':<10} {total:>8.3f}")
    # the phases and what lies between them
    lines.append(f"{'wall':<10} {result.timings.wall:>8.3f}")
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""
    app.command("check")(check)
