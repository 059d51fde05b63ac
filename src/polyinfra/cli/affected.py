"""`polyinfra affected`: what a change touches (foundation stacks, projects, apps), with reasons."""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from polyinfra.cli.console import err, out
from polyinfra.cli.options import (
    DEFAULT_WORKSPACE,
    LinkBaseOption,
    WorkspaceOption,
    markdown_only,
)


class Format(StrEnum):
    text = "text"
    json = "json"
    github = "github"
    markdown = "markdown"


class Fallback(StrEnum):
    none = "none"
    all = "all"


def affected(
    base: Annotated[
        str | None,
        typer.Option(
            "--base",
            help="Compare from the merge base of this ref and --head (a branch, tag or SHA).",
            show_default=False,
            metavar="REF",
        ),
    ] = None,
    head: Annotated[
        str, typer.Option("--head", help="The revision being delivered.", metavar="REF")
    ] = "HEAD",
    output_format: Annotated[
        Format,
        typer.Option(
            "--format",
            "-f",
            help="text, json, github (key=value lines appended to $GITHUB_OUTPUT when set), "
            "or markdown.",
            metavar="FORMAT",
        ),
    ] = Format.text,
    link_base: LinkBaseOption = None,
    fallback: Annotated[
        Fallback,
        typer.Option(
            "--fallback",
            help="On any git failure (missing base, shallow clone): 'none' fails, 'all' "
            "reports everything as affected.",
            metavar="MODE",
        ),
    ] = Fallback.none,
    env: Annotated[
        str | None,
        typer.Option(
            "--env", help="Only apps with an overlay for this environment, and its stack."
        ),
    ] = None,
    everything: Annotated[
        bool, typer.Option("--all", help="Report everything as affected (no git needed).")
    ] = False,
    version: Annotated[
        str | None,
        typer.Option(
            "--version",
            help="Release version (needs --env): the github format gives every build its "
            "image tags and every app its image reference, as `polyinfra image-ref` does.",
            show_default=False,
            metavar="VERSION",
        ),
    ] = None,
    released_tag: Annotated[
        str | None,
        typer.Option(
            "--released-tag",
            help="Tag of the image the last release built (with --version): builds push it "
            "too, and apps to redeploy run it. Without it every app to deploy is built.",
            show_default=False,
            metavar="TAG",
        ),
    ] = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Show the foundation stacks, Polylith projects and Cloud Run apps a change affects.

    Every entry carries the changed paths that put it there. Apps are marked `rebuild` (image
    inputs changed) or `redeploy` (only Kustomize manifests changed).
    """
    from polyinfra.affected import (
        check_buildable,
        find_affected,
        github_lines,
        github_outputs,
        to_json_text,
        to_text,
        write_github_output,
    )
    from polyinfra.errors import UserError
    from polyinfra.manifests.links import discover_workspace
    from polyinfra.manifests.placeholders import check_version

    markdown_only(link_base, output_format.value)
    if released_tag is not None and version is None:
        raise UserError("--released-tag needs --version", hint="add --version VERSION")
    if version is not None and env is None:
        raise UserError(
            "--version needs --env: image references are per environment",
            hint="add --env ENV",
        )
    for tag in (version, released_tag):
        if tag is not None:
            check_version(tag)
    ws = discover_workspace(workspace)
    answer = find_affected(
        ws, base, head, fallback_all=fallback is Fallback.all, env=env, everything=everything
    )
    check_buildable(answer, ws)
    if output_format is Format.json:
        out.file.write(to_json_text(answer))
    elif output_format is Format.github:
        outputs = github_outputs(answer, ws, version=version, released_tag=released_tag)
        target = os.environ.get("GITHUB_OUTPUT")
        if target:
            write_github_output(outputs, Path(target))
            out.file.write(to_text(answer))
        else:
            out.file.write(github_lines(outputs))
    elif output_format is Format.markdown:
        from polyinfra.review.affected import affected_markdown

        out.file.write(affected_markdown(answer, link_base=link_base))
    else:
        out.file.write(to_text(answer))
    if fallback is Fallback.all and not everything and answer.merge_base is None:
        err.print("warning: git failed; reporting everything as affected (--fallback all)")


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""
    app.command("affected")(affected)
