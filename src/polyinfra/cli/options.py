"""Options shared by several commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from polyinfra.errors import UserError
from polyinfra.values import InvalidValue, region, registry_prefix

_WORKSPACE_HELP = "Workspace folder (or any folder inside it)."

WorkspaceOption = Annotated[
    Path,
    typer.Option(
        "--workspace",
        "-w",
        help=_WORKSPACE_HELP,
        file_okay=False,
        show_default=False,
        metavar="DIR",
    ),
]
DEFAULT_WORKSPACE = Path(".")

#: ``--workspace`` for a command that also takes the workspace some other way (``check PATH``,
#: ``lint PATH...``): None when not given.
OptionalWorkspaceOption = Annotated[
    Path | None,
    typer.Option(
        "--workspace",
        "-w",
        help=_WORKSPACE_HELP,
        file_okay=False,
        show_default=False,
        metavar="DIR",
    ),
]


def _report_format(value: str) -> str:
    """``--format`` of ``check`` and ``lint``: one of the report formats, else exit 2."""
    from polyinfra.checks.report import FORMATS

    if value not in FORMATS:
        raise UserError(f"--format {value!r}: expected one of {', '.join(FORMATS)}")
    return value


FormatOption = Annotated[
    str,
    typer.Option(
        "--format",
        "-f",
        help="Output format: text, json, sarif, github or markdown.",
        metavar="FORMAT",
        callback=_report_format,
    ),
]


def _link_base(value: str | None) -> str | None:
    """``--link-base``: an http(s) URL (:func:`polyinfra.markdown.link_base`), else exit 2."""
    from polyinfra.markdown import LinkBaseError, link_base

    if value is None:
        return None
    try:
        return link_base(value)
    except LinkBaseError as exc:
        raise UserError(
            f"--link-base: {exc}",
            hint="pass the URL files are shown under, e.g. "
            '--link-base "$GITHUB_SERVER_URL/$GITHUB_REPOSITORY/blob/$GITHUB_SHA"',
        ) from None


def markdown_only(link_base: str | None, output_format: str) -> None:
    """``--link-base`` with another format than markdown is a usage error (exit 2): it would
    silently do nothing."""
    if link_base is not None and output_format != "markdown":
        raise UserError(
            f"--link-base only applies to --format markdown, not --format {output_format}",
            hint="add --format markdown, or drop --link-base",
        )


#: ``--link-base`` of the commands with a markdown format.
LinkBaseOption = Annotated[
    str | None,
    typer.Option(
        "--link-base",
        help="With --format markdown: link each file position to URL/<path>#L<line>, e.g. "
        "https://github.com/OWNER/REPO/blob/SHA.",
        show_default=False,
        metavar="URL",
        callback=_link_base,
    ),
]
SelectOption = Annotated[
    list[str] | None,
    typer.Option(
        "--select",
        help="Only these rules (id or namespace; repeatable).",
        show_default=False,
        metavar="RULE",
    ),
]
IgnoreOption = Annotated[
    list[str] | None,
    typer.Option(
        "--ignore",
        help="Skip these rules (id or namespace; repeatable).",
        show_default=False,
        metavar="RULE",
    ),
]

ImageOption = Annotated[
    list[str] | None,
    typer.Option(
        "--image",
        help="APP=IMAGE_REFERENCE for one app (repeatable).",
        show_default=False,
        metavar="APP=IMAGE",
    ),
]


def _registry(value: str | None) -> str | None:
    """``--registry``: an image prefix (:func:`polyinfra.values.registry_prefix`), else exit 2."""
    if value is not None:
        try:
            registry_prefix(value)
        except InvalidValue as exc:
            raise UserError(f"--registry: {exc.message}", hint=exc.hint) from None
    return value


def region_option(value: str | None) -> str | None:
    """``--region``: a Google Cloud region (:func:`polyinfra.values.region`), else exit 2."""
    if value is not None:
        try:
            region(value)
        except InvalidValue as exc:
            raise UserError(f"--region: {exc.message}", hint=exc.hint) from None
    return value


def tag_option(value: str | None) -> str | None:
    """``--tag``: a traffic tag, a DNS label Cloud Run takes (:data:`polyinfra.deploy.traffic.TAG`),
    else exit 2."""
    from polyinfra.deploy.traffic import TAG

    if value is not None and (len(value) > 63 or not TAG.match(value)):
        raise UserError(
            f"--tag {value!r}: not a traffic tag",
            hint="a tag is lowercase letters, digits and hyphens, starts with a letter, ends "
            "with a letter or digit and has at most 63 characters (e.g. canary, pr-42)",
        )
    return value


RegistryOption = Annotated[
    str | None,
    typer.Option(
        "--registry",
        help="Image prefix: images are <URL>/<app>:<version>.",
        show_default=False,
        metavar="URL",
        callback=_registry,
    ),
]


#: ``--env`` of every command that acts on one environment's apps.
EnvOption = Annotated[
    str, typer.Option("--env", "-e", help="Environment (overlay name).", metavar="ENV")
]

#: ``--region`` of every command that deploys or reads Cloud Run objects.
RegionOption = Annotated[
    str | None,
    typer.Option(
        "--region",
        help="Cloud Run region (default: the cloud.googleapis.com/location label, else "
        "gcp:region of the environment's stack).",
        show_default=False,
        callback=region_option,
    ),
]

#: ``--http-timeout`` of every command that calls the Cloud Run Admin API.
HttpTimeoutOption = Annotated[
    float | None,
    typer.Option(
        "--http-timeout",
        help="Seconds to wait for the answer to one Cloud Run call before it counts as "
        "failed and is retried (default 30, or POLYINFRA_HTTP_TIMEOUT).",
        show_default=False,
        metavar="SECONDS",
    ),
]

#: ``--endpoint`` of every command that calls the Cloud Run Admin API.
EndpointOption = Annotated[
    str | None,
    typer.Option(
        "--endpoint",
        help="Send Cloud Run calls to this URL over plain HTTP without credentials (an "
        "emulator); same as CLOUD_RUN_EMULATOR_HOST=host:port.",
        show_default=False,
        metavar="URL",
    ),
]


def workspace_of(path: Path | None, workspace: Path | None) -> Path:
    """The folder a command that takes ``PATH`` or ``--workspace`` works on: whichever was
    given (the current folder when neither was); both at once is a usage error."""
    if path is not None and workspace is not None and path.resolve() != workspace.resolve():
        raise UserError(
            f"the workspace is given twice: {str(path)!r} as PATH and {str(workspace)!r} as "
            "--workspace",
            hint="pass one of them",
        )
    return path or workspace or DEFAULT_WORKSPACE


def paths_in_workspace(paths: list[Path], workspace: Path | None) -> list[Path]:
    """The paths a command that takes ``PATH...`` and ``--workspace`` works on: the paths (the
    workspace when none is given; else the current folder). With ``--workspace`` every path
    must be inside that workspace, so the option is never silently overridden by the paths."""
    if workspace is None:
        return paths or [DEFAULT_WORKSPACE]
    if not paths:
        return [workspace]
    from polyinfra.workspace.discover import find_root

    root = find_root(workspace)
    outside = [path for path in paths if path.exists() and not path.resolve().is_relative_to(root)]
    if outside:
        raise UserError(
            f"{outside[0]}: not inside the workspace {root} given by --workspace",
            hint="pass paths inside the workspace, or drop --workspace",
        )
    return paths
