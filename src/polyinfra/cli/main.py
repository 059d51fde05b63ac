"""Entry point: builds the Typer app from the command modules and maps errors to exit codes."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Sequence
from typing import Annotated

import typer

from polyinfra import __version__
from polyinfra.cli import (
    add,
    affected,
    build,
    cache,
    check,
    ci,
    deploy,
    execute,
    executions,
    graph,
    image_ref,
    init,
    lint,
    migrate,
    plan,
    promote,
    provision,
    remove,
    render,
    rollback,
    schema,
    status,
    sync,
)
from polyinfra.cli import run as run_command  # `run` below is the console script
from polyinfra.cli.command import use_everywhere
from polyinfra.cli.console import err
from polyinfra.cli.state import state
from polyinfra.errors import EXIT_INTERNAL, EXIT_USAGE, PolyinfraError
from polyinfra.redact import redact

# The order commands appear in ``polyinfra --help``: the order data flows.
COMMAND_MODULES = (
    init,
    migrate,
    add,
    sync,
    schema,
    plan,
    render,
    image_ref,
    build,
    run_command,
    lint,
    check,
    affected,
    graph,
    ci,
    deploy,
    status,
    promote,
    rollback,
    execute,
    executions,
    remove,
    provision,
    cache,
)

app = typer.Typer(
    name="polyinfra",
    help=(
        "Infrastructure for Python Polylith monorepos on Google Cloud: a config-driven Pulumi "
        "foundation stack, Kustomize-rendered Cloud Run apps, and the checks, change detection "
        "and delivery between the two."
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"polyinfra {__version__}")
        raise typer.Exit(0)


@app.callback()
def _global_options(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks and debug logging.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    state.debug = debug


for _module in COMMAND_MODULES:
    _module.register(app)
use_everywhere(app)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code (also used by tests).

    Commands return normally on success and ``raise typer.Exit(code)`` for any other exit code;
    usage errors exit 2 (Click's convention), ``PolyinfraError`` maps to its ``exit_code``.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    state.debug = "--debug" in args
    try:
        app(args=args, prog_name="polyinfra", standalone_mode=True)
    except SystemExit as exc:
        code = exc.code
        if code is None:
            return 0
        return code if isinstance(code, int) else EXIT_USAGE
    except KeyboardInterrupt:
        err.print("Interrupted.")
        return 130
    except PolyinfraError as exc:
        if state.debug:
            traceback.print_exc()
        # a message may quote a value from a file or a tool's output: never a credential
        err.print(f"error: {redact(str(exc))}", markup=False)
        return exc.exit_code
    except Exception as exc:  # anything else is a bug in polyinfra
        if state.debug:
            traceback.print_exc()
        err.print(
            f"internal error: {type(exc).__name__}: {redact(str(exc))}\n"
            "  Run again with --debug for the traceback and report it.",
            markup=False,
        )
        return EXIT_INTERNAL
    return 0


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":
    run()
