"""A function app's code: ``FUNCTION_TARGET`` names a function of the project's bricks, and
that function takes what its trigger sends it."""

from __future__ import annotations

from collections.abc import Generator, Iterator
from dataclasses import dataclass

from polyinfra.checks.context import CheckContext
from polyinfra.checks.problem import Level, Problem
from polyinfra.checks.rule import WorkspaceRule
from polyinfra.checks.rules.workspace.function_apps import (
    SIGNATURE_KINDS,
    FunctionRun,
    Setting,
    function_runs,
    functions_of,
    start_command_of,
)
from polyinfra.checks.rules.workspace.start_command import StartCommand
from polyinfra.positions import Position
from polyinfra.suggest import did_you_mean
from polyinfra.workspace import Workspace
from polyinfra.workspace.functions import FunctionDef

#: How the framework calls a function of each signature type.
_CALLS = {
    "http": "an HTTP function, with one argument (the request)",
    "typed": "a typed function, with one argument (the request's typed body)",
    "cloudevent": "an event function, with one argument (the CloudEvent)",
    "event": "a background function, with two arguments (the event's data and context)",
}
_DECORATOR_OF = {"http": "http", "cloudevent": "cloud_event"}
_KIND_WORDS = {"http": "an HTTP function", "event": "an event function"}
#: a ``--target`` that passes the env's own value on: no target without the env
_ENV_TARGET = ("$FUNCTION_TARGET", "${FUNCTION_TARGET}")


@dataclass(frozen=True)
class _Target:
    """A function name the framework is told to serve, and where."""

    name: str
    position: Position
    what: str


def _targets(run: FunctionRun, command: StartCommand | None) -> list[_Target]:
    """The names to look up: ``FUNCTION_TARGET``, a literal ``--target``, and the default of
    ``--target=${FUNCTION_TARGET:-name}`` when the env sets none."""
    found = []
    if run.target is not None:
        found.append(_Target(run.target.value, run.target.position, "FUNCTION_TARGET"))
    flag = command.target if command is not None and command.framework else None
    if flag is not None and flag.literal:
        found.append(_Target(flag.literal, flag.position, "--target"))
    elif flag is not None and flag.default and not run.target_written:
        found.append(_Target(flag.default, flag.position, "the default --target"))
    return found


def served_function(
    run: FunctionRun, command: StartCommand | None, functions: list[FunctionDef]
) -> FunctionDef | None:
    """The function the framework serves for ``run``: a literal ``--target`` wins over
    ``FUNCTION_TARGET``, as in the framework's command line. None when it is not known, or
    several bricks define one of that name (which one the source file imports is not read)."""
    flag = command.target if command is not None and command.framework else None
    name = flag.literal if flag is not None else None
    if name is None and run.target is not None:
        name = run.target.value
    if name is None and flag is not None and not run.target_written:
        name = flag.default
    matching = [function for function in functions if function.name == name]
    return matching[0] if len(matching) == 1 else None


class FunctionTarget(WorkspaceRule):
    """A function app's ``FUNCTION_TARGET`` (the env of its container) names a module-level
    function (``def`` or ``async def``) of the bricks its project includes; a function app
    without one has a Dockerfile whose ``CMD`` passes ``--target``.

    The Functions Framework imports its source file at start and looks the target up there:
    a name that is no function there fails every start ("File main.py is expected to contain a
    function named ..."), and with no target at all it stops with "Target is not specified".
    Cloud Run accepts the manifest, and the new revision fails to start. The bricks are read
    with ``ast``, never imported. A literal ``--target`` in the Dockerfile, and the default of
    ``--target=${FUNCTION_TARGET:-name}`` when the env sets none, are looked up the same way.

    Bad::

        # projects/stock_webhook includes bases/data_platform/stock_webhook, whose core.py
        # defines handle_stock_event
        env:
          - name: FUNCTION_TARGET
            value: handle_stock_events

    Good::

        env:
          - name: FUNCTION_TARGET
            value: handle_stock_event
    """

    ID = "workspace/function-target"
    LEVEL = Level.ERROR

    def check_workspace(self, ws: Workspace, ctx: CheckContext) -> Iterator[Problem]:
        functions = functions_of(ctx)
        for run in function_runs(ctx):
            names = [function.name for function in functions.get(run.project.name, [])]
            command = start_command_of(ctx, run)
            targets = _targets(run, command)
            for target in targets:
                if target.name in names:
                    continue
                defined = did_you_mean(target.name, names) if names else ": they define none"
                yield Problem(
                    target.position,
                    self.ID,
                    f"{target.what} {target.name!r} is not a module-level function of the "
                    f"bricks of project {run.project.name!r}{defined}",
                    hint="name a function defined at the top level of a brick that "
                    f"{ws.rel(run.project.pyproject)} includes, or add the brick that defines "
                    "it to its [tool.polylith.bricks]",
                )
            flag = command.target if command is not None and command.framework else None
            passed = flag is not None and flag.value not in _ENV_TARGET
            if run.target_written or targets or run.own_command or passed:
                continue
            env = (*run.container.path, "env")
            has_env = run.manifest.get(env) is not None
            yield Problem(
                run.manifest.position(env if has_env else run.container.path),
                self.ID,
                f"function {run.app.name!r} sets no FUNCTION_TARGET and its image's command passes "
                'no --target: the Functions Framework stops at start ("Target is not '
                'specified")',
                hint="add `- name: FUNCTION_TARGET` with `value: <the Python function to "
                "serve>` to the container's env",
            )


class FunctionSignature(WorkspaceRule):
    """The function a function app serves takes what its trigger sends.

    The trigger is the revision's ``cloudfunctions.googleapis.com/trigger-type`` annotation:
    ``HTTP_TRIGGER`` for a request to the function's URL, an event type (such as
    ``google.cloud.pubsub.topic.v1.messagePublished``) for an Eventarc event. How the framework
    calls the function is, in its order: the ``@functions_framework.http`` or
    ``@functions_framework.cloud_event`` decorator, the ``--signature-type`` of the
    Dockerfile's command, the ``FUNCTION_SIGNATURE_TYPE`` env, else HTTP.

    Errors, because the revision starts and every call then fails: a function that cannot be
    called with one positional argument (two for a ``FUNCTION_SIGNATURE_TYPE: event``
    background function), reported at its ``def``; a decorator of the other kind than the
    trigger; a signature type of the other kind than the trigger; an event function that
    nothing marks as one (the framework calls it as an HTTP function, with the request); a
    signature type the framework does not have (it refuses to start). Cloud Run accepts all of
    these.

    Bad::

        # trigger-type google.cloud.pubsub.topic.v1.messagePublished
        @functions_framework.http
        def on_stock_update(request):
            ...

    Good::

        @functions_framework.cloud_event
        def on_stock_update(event):
            ...
    """

    ID = "workspace/function-signature"
    LEVEL = Level.ERROR

    def check_workspace(self, ws: Workspace, ctx: CheckContext) -> Iterator[Problem]:
        functions = functions_of(ctx)
        for run in function_runs(ctx):
            command = start_command_of(ctx, run)
            configured = yield from self._configured(run, command)
            function = served_function(run, command, functions.get(run.project.name, []))
            if function is not None:
                yield from self._kind(ws, run, function, configured)
                yield from self._arguments(ws, run, function, configured)

    def _configured(
        self, run: FunctionRun, command: StartCommand | None
    ) -> Generator[Problem, None, _Configured | None]:
        """Report a signature type the framework does not have; return the one the command
        or the env sets (the command's wins)."""
        flag = command.signature_type if command is not None and command.framework else None
        if flag is not None and flag.literal:
            setting, what = Setting(flag.literal, flag.position), "--signature-type"
        elif run.signature_type is not None:
            setting, what = run.signature_type, "FUNCTION_SIGNATURE_TYPE"
        else:
            return None
        if setting.value in SIGNATURE_KINDS:
            return _Configured(setting, what)
        yield Problem(
            setting.position,
            self.ID,
            f"{what} {setting.value!r} is not a signature type of the Functions Framework"
            f"{did_you_mean(setting.value, SIGNATURE_KINDS)}: it refuses to start",
            hint="use http or cloudevent (event and typed are the framework's other two)",
        )
        return None

    def _kind(
        self, ws: Workspace, run: FunctionRun, function: FunctionDef, configured: _Configured | None
    ) -> Iterator[Problem]:
        """The decorator, else the signature type, is of the trigger's kind."""
        trigger, kind, decorated = run.trigger, run.trigger_kind, function.decorated
        if decorated is not None:
            declared = _declared(ws, run, configured)
            if declared is None or SIGNATURE_KINDS[decorated] == declared[0]:
                return
            yield Problem(
                function.position,
                self.ID,
                f"{function.name} is decorated @functions_framework.{_DECORATOR_OF[decorated]}, "
                f"so the framework calls it as {_CALLS[decorated]}, but {declared[1]} makes it "
                f"{_KIND_WORDS[declared[0]]} (function {run.app.name!r})",
                hint=f"decorate it with @functions_framework.{_DECORATOR_OF[_other(decorated)]} "
                "and write it for what that passes",
            )
        elif trigger is not None and kind is not None and configured is not None:
            value = configured.setting.value
            if SIGNATURE_KINDS[value] == kind:
                return
            yield Problem(
                configured.setting.position,
                self.ID,
                f"{configured.what} {value} makes the framework call {function.name} as "
                f"{_CALLS[value]}, but the trigger type {trigger.value} "
                f"({run.where(ws, trigger)}) makes it {_KIND_WORDS[kind]}",
                hint=f"set it to {'http' if kind == 'http' else 'cloudevent'}, as the trigger "
                "calls it",
            )
        elif trigger is not None and kind == "event":
            yield Problem(
                trigger.position,
                self.ID,
                f"the trigger type {trigger.value} makes {run.app.name!r} an event function, "
                "but neither FUNCTION_SIGNATURE_TYPE: cloudevent nor "
                f"@functions_framework.cloud_event on {function.name} "
                f"({function.position.relative_to(ws.root)}) says so: the framework would "
                "call it as an HTTP function, with the request",
                hint="add `- name: FUNCTION_SIGNATURE_TYPE` with `value: cloudevent` to the "
                f"container's env, or decorate {function.name} with "
                "@functions_framework.cloud_event",
            )

    def _arguments(
        self, ws: Workspace, run: FunctionRun, function: FunctionDef, configured: _Configured | None
    ) -> Iterator[Problem]:
        """The function can be called the way the framework calls it."""
        signature = function.decorated or (configured.setting.value if configured else "http")
        needed = 2 if signature == "event" else 1
        wrong = _arity(function, needed)
        if wrong is None:
            return
        named_at = run.target or (configured.setting if configured else None)
        yield Problem(
            function.position,
            self.ID,
            f"{function.name} {wrong}, but the Functions Framework calls it as "
            f"{_CALLS[signature]} (function {run.app.name!r}, {run.where(ws, named_at)})",
            hint=f"give it {'two parameters' if needed == 2 else 'one parameter'} without a "
            "default, and defaults to any others",
        )


@dataclass(frozen=True)
class _Configured:
    """The signature type the command or the env sets, and which of the two sets it."""

    setting: Setting
    what: str


def _declared(
    ws: Workspace, run: FunctionRun, configured: _Configured | None
) -> tuple[str, str] | None:
    """The kind of function the manifest declares (``http`` or ``event``) and what says so:
    the trigger type, else the signature type the command or the env sets."""
    if run.trigger is not None and run.trigger_kind is not None:
        return (
            run.trigger_kind,
            f"the trigger type {run.trigger.value} ({run.where(ws, run.trigger)})",
        )
    if configured is not None:
        setting = configured.setting
        said = f"{configured.what} {setting.value} ({run.where(ws, setting)})"
        return SIGNATURE_KINDS[setting.value], said
    return None


def _other(decorated: str) -> str:
    return "http" if decorated == "cloudevent" else "cloudevent"


def _arity(function: FunctionDef, needed: int) -> str | None:
    """How ``function`` cannot be called with ``needed`` positional arguments, or None."""
    if function.required > needed:
        return f"requires {function.required} positional arguments"
    if function.accepts is not None and function.accepts < needed:
        if function.accepts == 0:
            return "takes no positional argument"
        return f"takes only {function.accepts} positional argument"
    return None
