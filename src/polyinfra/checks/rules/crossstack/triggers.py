"""Eventarc triggers of the stack against what they listen to (the stack's topics and buckets)
and the functions of the environment they deliver to."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from polyinfra.checks.context import CheckContext
from polyinfra.checks.problem import Level, Problem
from polyinfra.checks.rules.crossstack.workload import workloads
from polyinfra.checks.stacks import Declared, StackFile, TriggerEntry
from polyinfra.suggest import did_you_mean
from polyinfra.workspace import App


def _triggers(ctx: CheckContext) -> Iterator[tuple[StackFile, TriggerEntry]]:
    for stack in ctx.stacks:
        if stack.valid:
            for entry in stack.triggers():
                yield stack, entry


def _choices(names: list[str], what: str) -> str:
    return f" (its {what}: {', '.join(names) or 'none'})"


class TriggerSource:
    """A trigger's ``topic`` is one of the stack's ``pubsub_topics``, its ``bucket`` one of the
    stack's ``cloud_storage`` buckets.

    Eventarc needs the topic or the bucket when it creates the trigger: a name the stack does
    not declare is a typo, or a resource nothing here creates. A topic given by its full id
    (``projects/<project>/topics/<name>``) and a source marked ``external: true`` are managed
    elsewhere and are not looked for.

    Bad::

        pubsub_topics:
          - name: stock-updates
        triggers:
          - name: stock-events-updates
            function: stock-events
            event_type: google.cloud.pubsub.topic.v1.messagePublished
            topic: stock-update

    Good::

        triggers:
          - name: stock-events-updates
            function: stock-events
            event_type: google.cloud.pubsub.topic.v1.messagePublished
            topic: stock-updates
    """

    ID = "crossstack/trigger-source"
    LEVEL = Level.ERROR

    def check(self, ctx: CheckContext) -> Iterator[Problem]:
        for stack, entry in _triggers(ctx):
            trigger = entry.trigger
            if trigger.external:
                continue
            if trigger.topic is not None and "/" not in trigger.topic:
                yield from self._missing(
                    stack, entry, "topic", trigger.topic, stack.topics(), "pubsub_topics"
                )
            if trigger.bucket is not None:
                yield from self._missing(
                    stack, entry, "bucket", trigger.bucket, stack.buckets(), "cloud_storage"
                )

    def _missing(
        self,
        stack: StackFile,
        entry: TriggerEntry,
        key: str,
        name: str,
        declared: dict[str, Declared],
        section: str,
    ) -> Iterator[Problem]:
        if name in declared:
            return
        names = sorted(declared)
        what = "topics" if key == "topic" else "buckets"
        yield Problem(
            stack.position((*entry.path, key), value=True),
            self.ID,
            f"trigger {entry.name!r} listens to {key} {name!r}, which {stack.path.name} does "
            f"not declare in any {section}" + (did_you_mean(name, names) or _choices(names, what)),
            hint=f"declare the {key} in {section}"
            + (", give its full id projects/<project>/topics/<name>" if key == "topic" else "")
            + ", or set `external: true` when another stack manages it",
        )


class TriggerFunction:
    """A trigger's ``function`` names a function app of the workspace that is deployed to the
    stack's environment (it has an overlay for it).

    Eventarc delivers to the Cloud Run service of that name and refuses a trigger whose service
    does not exist; a service or job app does not serve CloudEvents through the Functions
    Framework. A function app is deployed under its own name: a trigger names the app as its
    overlay renders it.

    Bad::

        triggers:
          - name: stock-events-updates
            function: stock-event
            event_type: google.cloud.pubsub.topic.v1.messagePublished
            topic: stock-updates

    Good::

        triggers:
          - name: stock-events-updates
            function: stock-events
            event_type: google.cloud.pubsub.topic.v1.messagePublished
            topic: stock-updates
    """

    ID = "crossstack/trigger-function"
    LEVEL = Level.ERROR

    def check(self, ctx: CheckContext) -> Iterator[Problem]:
        ws = ctx.workspace
        if ws is None:
            return
        functions = sorted(name for name, app in ws.apps.items() if app.kind == "function")
        for stack, entry in _triggers(ctx):
            name = entry.trigger.function
            rendered = {
                w.manifest.name: w.app
                for w in workloads(ctx)
                if w.env == stack.env and w.app.kind == "function"
            }
            if name in rendered:
                continue
            app = ws.apps.get(name)
            found = self._problem(stack, entry, app, functions, rendered, ws.root)
            if found is not None:
                yield found

    def _problem(
        self,
        stack: StackFile,
        entry: TriggerEntry,
        app: App | None,
        functions: list[str],
        rendered: dict[str, App],
        root: Path,
    ) -> Problem | None:
        name = entry.trigger.function
        start = f"trigger {entry.name!r} delivers to {name!r}"
        hint = "name a function app (an app under infrastructure/cloudrun_function/)"
        if app is None:
            message = f"{start}, which is not a function app of the workspace" + (
                did_you_mean(name, functions) or _choices(functions, "functions")
            )
        elif app.kind != "function":
            message = f"{start}, which is a {app.kind} app, not a function" + did_you_mean(
                name, [f for f in functions if f != name]
            )
        elif stack.env not in app.overlays:
            message = f"{start}, a function with no overlay for environment {stack.env!r}"
            folder = os.path.relpath(app.overlay_root / stack.env, root)
            hint = f"add the overlay {folder}/, or remove the trigger from {stack.path.name}"
        else:
            deployed = next((n for n, a in rendered.items() if a.name == name), None)
            if deployed is None:
                return None  # it did not render: the workspace rules report the overlay
            message = f"{start}, but function app {name!r} deploys as {deployed!r} in {stack.env}"
            hint = f"set `function: {deployed}`"
        return Problem(
            stack.position((*entry.path, "function"), value=True), self.ID, message, hint=hint
        )
