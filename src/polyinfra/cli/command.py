"""The command class of every polyinfra command: help that names each value the way the user
writes it (``--image APP=IMAGE``, ``--timeout SECONDS``), never as a Python type."""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperCommand


class Command(TyperCommand):
    """A Typer command whose help shows metavars, plain text (no rich markup).

    An option or argument declared without ``metavar`` gets its name in capitals (``--stack
    STACK``), so no option added later can show ``<list[str]>`` or ``<int range>``.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["rich_markup_mode"] = None
        super().__init__(*args, **kwargs)
        for param in self.params:
            if param.metavar is None and not getattr(param, "is_flag", False):
                param.metavar = default_metavar(param.opts, param.name)

    def format_options(self, ctx: Any, formatter: Any) -> None:
        """The Arguments and Options sections: each argument by its metavar alone (``APP...``),
        each option with its metavar, then help, default and range."""
        arguments: list[tuple[str, str]] = []
        options: list[tuple[str, str]] = []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if param.param_type_name == "argument":
                name = param.metavar or (param.name or "").upper()
                more = "..." if param.nargs != 1 else ""
                arguments.append((f"{name}{more}", record[1]))
            else:
                options.append(record)
        for title, rows in (("Arguments", arguments), ("Options", options)):
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)


def default_metavar(opts: list[str], name: str | None) -> str:
    """The metavar of a parameter declared without one: its long option name (or its name)
    in capitals.

    >>> default_metavar(["--time-zone"], "time_zone")
    'TIME_ZONE'
    >>> default_metavar(["apps"], "apps")
    'APPS'
    """
    longest = max(opts, key=len) if opts else (name or "value")
    return longest.lstrip("-").replace("-", "_").upper()


def use_everywhere(app: typer.Typer) -> None:
    """Make :class:`Command` the class of every command of ``app`` and of its sub-apps that
    does not choose a class of its own (Typer's default is :class:`TyperCommand`)."""
    for info in app.registered_commands:
        if info.cls is None or info.cls is TyperCommand:
            info.cls = Command
    for group in app.registered_groups:
        if group.typer_instance is not None:
            use_everywhere(group.typer_instance)
