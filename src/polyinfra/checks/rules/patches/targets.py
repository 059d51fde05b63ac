"""Patch targets that select no object of the overlay."""

from __future__ import annotations

from collections.abc import Iterator

from polyinfra.checks.context import CheckContext
from polyinfra.checks.problem import Level, Problem
from polyinfra.checks.rules.patches.analysis import analyse, object_label
from polyinfra.positions import Position


class TargetMatchesNothing:
    """A patch's ``target`` (or a strategic-merge patch's kind and name) must select an object.

    A patch that selects nothing changes nothing: kustomize applies it to no object and says
    nothing (or fails, for a strategic-merge patch). Usually a renamed job or service, or
    ``kind: Job`` in a service overlay.

    Bad::

        resources: [../../base]          # base: a Job named dmd-inv-mov-api2bq
        patches:
          - patch: |-
              - op: add
                path: /spec/template/spec/template/spec/serviceAccountName
                value: dmd@my-project.iam.gserviceaccount.com
            target:
              kind: Job
              name: dmd-inv-mov          # no such Job

    Good::

        patches:
          - patch: |-
              ...
            target:
              kind: Job
              name: dmd-inv-mov-api2bq
    """

    ID = "patches/target-matches-nothing"
    LEVEL = Level.ERROR

    def check(self, ctx: CheckContext) -> Iterator[Problem]:
        for view in ctx.shared(analyse).patches:
            if view.objects or not view.complete or view.patch.remote:
                continue
            patch = view.patch
            if patch.target is None and not patch.strategic:
                continue
            available = ", ".join(sorted({object_label(o) for o in view.scope})) or "none"
            if patch.target is not None:
                target = patch.target
                parts = [
                    f"{key}={value}"
                    for key, value in (
                        ("group", target.group),
                        ("version", target.version),
                        ("kind", target.kind),
                        ("name", target.name),
                        ("namespace", target.namespace),
                        ("labelSelector", target.label_selector),
                        ("annotationSelector", target.annotation_selector),
                    )
                    if value is not None
                ]
                position: Position = target.position
                what = "target " + ", ".join(parts)
            else:
                doc = (patch.strategic or ())[0]
                data = doc.data if isinstance(doc.data, dict) else {}
                meta = data.get("metadata") or {}
                position = doc.start or patch.position
                what = f"strategic-merge patch for {data.get('kind')}/{meta.get('name')}"
            yield Problem(
                position,
                self.ID,
                f"{what} selects no object (objects here: {available})",
                hint="fix the kind or name to one of the objects listed",
            )
