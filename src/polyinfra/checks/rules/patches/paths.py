"""JSON6902 patch paths: annotation keys split on ``/``, paths the base does not have, and
Job-shaped paths on Services (or the reverse)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from polyinfra.checks.context import CheckContext
from polyinfra.checks.problem import Level, Problem, UnreadableInput
from polyinfra.checks.rules.patches.analysis import OpView, analyse, object_label, overlay_trees
from polyinfra.cloudrun.vocabulary import JOB_GROUP, JOB_KIND, SERVICE_GROUP, SERVICE_KIND

#: Keys whose children are annotation or label keys, which usually contain a ``/``.
_KEYED_MAPS = ("annotations", "labels")
#: Fields of a Job's execution template spec (``/spec/template/spec/<field>``).
_EXECUTION_FIELDS = frozenset({"template", "taskCount", "parallelism"})


@dataclass(frozen=True)
class SplitKey:
    """A JSON6902 op whose path splits an annotation or label key on its ``/``."""

    view: OpView
    #: ``annotations`` or ``labels``
    keyed_map: str
    #: the key as meant (``run.googleapis.com/ingress``), and the two keys JSON pointer reads
    key: str
    domain: str
    leaf: str
    #: the path with the key's slash escaped as ``~1``
    escaped: str

    @property
    def what(self) -> str:
        """``annotation`` or ``label``."""
        return self.keyed_map[:-1]


def split_keys(ctx: CheckContext) -> tuple[SplitKey, ...]:
    """Every op, in every kustomization an app overlay reaches, whose path splits an
    annotation or label key (a key with a dotted domain before its ``/``)."""
    found = []
    for view in ctx.shared(analyse).ops:
        tokens = view.op.tokens
        if tokens is None:
            continue
        for i, token in enumerate(tokens[:-2]):
            domain = tokens[i + 1]
            if token in _KEYED_MAPS and "." in domain and "/" not in domain:
                key = "/".join(tokens[i + 1 : i + 3])
                escaped = (
                    "/".join(view.op.path.split("/")[: i + 2]) + "/" + key.replace("/", "~1", 1)
                )
                rest = tokens[i + 3 :]
                if rest:
                    escaped += "/" + "/".join(rest)
                found.append(SplitKey(view, token, key, domain, tokens[i + 2], escaped))
                break
    return tuple(found)


def explain_render_failure(
    ctx: CheckContext, failure: UnreadableInput, rule: str
) -> Problem | None:
    """The render failure of an overlay, reported as ``rule``, as a short reference to the
    split key that makes kustomize fail, at that patch path: kustomize's own log line only
    repeats what ``patches/unescaped-annotation-key`` says there. None when no split key
    explains it (the failure names no such path, or the path is outside the failing overlay's
    tree)."""
    overlay = _overlay_of(ctx, failure)
    if ctx.workspace is None or overlay is None:
        return None
    app, env, tree_files = overlay
    for split in ctx.shared(split_keys):
        op = split.view.op
        if split.view.kustomization.path not in tree_files or op.path not in failure.message:
            continue
        return Problem(
            op.path_position,
            rule,
            f"{app} ({env}): kustomize cannot build the overlay: this path splits the "
            f"{split.what} key {split.key!r} on '/' (patches/unescaped-annotation-key)",
            hint=f"escape the slash as ~1: path: {split.escaped}; `kubectl kustomize "
            f"{ctx.workspace.rel(failure.position.file.parent)}` shows kustomize's own message",
        )
    return None


def _overlay_of(
    ctx: CheckContext, failure: UnreadableInput
) -> tuple[str, str, frozenset[Path]] | None:
    """The app, environment and kustomization files of the overlay whose kustomization the
    render failure points at."""
    if ctx.workspace is None:
        return None
    for app in ctx.workspace.apps.values():
        for overlay in app.overlays.values():
            if overlay.kustomization != failure.position.file:
                continue
            for tree in ctx.shared(overlay_trees):
                if tree.overlay.path == overlay.kustomization:
                    return app.name, overlay.env, frozenset(k.path for k in tree.kustomizations)
    return None


class UnescapedAnnotationKey:
    """An annotation or label key in a JSON-pointer path must escape its ``/`` as ``~1``.

    JSON pointer splits on every ``/``: ``annotations/run.googleapis.com/secrets`` is read as
    a key ``run.googleapis.com`` holding a key ``secrets``. ``add`` then fails or writes the
    wrong field, and the annotation never reaches Cloud Run. ``~0`` escapes ``~``.

    Bad::

        - op: add
          path: /spec/template/metadata/annotations/run.googleapis.com/secrets
          value: "API_TOKEN:projects/my-project/secrets/MY_API_TOKEN"

    Good::

        - op: add
          path: /spec/template/metadata/annotations/run.googleapis.com~1secrets
          value: "API_TOKEN:projects/my-project/secrets/MY_API_TOKEN"
    """

    ID = "patches/unescaped-annotation-key"
    LEVEL = Level.ERROR

    def check(self, ctx: CheckContext) -> Iterator[Problem]:
        for split in ctx.shared(split_keys):
            yield Problem(
                split.view.op.path_position,
                self.ID,
                f"path splits the {split.what} key {split.key!r} on '/': JSON pointer reads "
                f"it as a key {split.domain!r} holding a key {split.leaf!r}",
                hint=f"escape the slash as ~1: path: {split.escaped}",
            )


class MissingPath:
    """``op: replace``, ``remove`` and ``test`` need their path to exist in the base.

    kustomize fails the build (``replace operation does not apply: doc is missing path``)
    when the object the target selects lacks the field. Define a default in the base, as the
    spec recommends, or use ``op: add``. A path that splits an annotation or label key is
    reported by ``patches/unescaped-annotation-key`` instead, and judged here once escaped.

    Bad::

        # base: no minScale annotation on the revision template
        - op: replace
          path: /spec/template/metadata/annotations/autoscaling.knative.dev~1minScale
          value: "1"

    Good::

        # base
        spec:
          template:
            metadata:
              annotations:
                autoscaling.knative.dev/minScale: "0"   # default, replaced per overlay
    """

    ID = "patches/missing-path"
    LEVEL = Level.ERROR

    def check(self, ctx: CheckContext) -> Iterator[Problem]:
        # a path that splits a key is missing because of the split: that rule says so first,
        # and this one judges the path once it is escaped
        split = {id(s.view) for s in ctx.shared(split_keys)}
        for view in ctx.shared(analyse).ops:
            if view.op.op not in ("replace", "remove", "test") or not view.missing:
                continue
            if id(view) in split:
                continue
            obj = view.missing[0]
            yield Problem(
                view.op.path_position,
                self.ID,
                f"op: {view.op.op} on {view.op.path}, which {object_label(obj)} does not have "
                f"(base: {os.path.relpath(obj.document.path, view.kustomization.directory)})",
                hint="define the field in the base (a default the overlay replaces), or use "
                "`op: add`",
            )


class WrongKindPath:
    """A patch path must have the shape of the object it patches: a Job's containers are at
    ``/spec/template/spec/template/spec/…``, a Service's at ``/spec/template/spec/…``.

    A Job path on a Service (or a Service path on a Job) adds fields Cloud Run rejects, or
    fails the build. Usually a patch copied from a job overlay into a service overlay.

    Bad::

        # target: kind: Service
        - op: add
          path: /spec/template/spec/template/spec/serviceAccountName
          value: api@my-project.iam.gserviceaccount.com

    Good::

        # target: kind: Service
        - op: add
          path: /spec/template/spec/serviceAccountName
          value: api@my-project.iam.gserviceaccount.com
    """

    ID = "patches/wrong-kind-path"
    LEVEL = Level.ERROR

    def check(self, ctx: CheckContext) -> Iterator[Problem]:
        for view in ctx.shared(analyse).ops:
            tokens = view.op.tokens
            if tokens is None or tokens[:3] != ("spec", "template", "spec") or len(tokens) < 4:
                continue
            kinds = {_cloud_run_kind(o.api_version, o.kind) for o in view.objects}
            if not view.objects and view.patch.target is not None:
                kinds = {view.patch.target.kind}
            job_shape = tokens[3] == "template" and tokens[4:5] == ("spec",)
            if "Service" in kinds and job_shape:
                yield Problem(
                    view.op.path_position,
                    self.ID,
                    f"Job path shape {view.op.path} on a Service: a Service's revision spec is "
                    "/spec/template/spec/",
                    hint="drop the inner template/spec: "
                    "/spec/template/spec/" + "/".join(view.op.path.split("/")[6:]),
                )
            elif "Job" in kinds and tokens[3] not in _EXECUTION_FIELDS:
                yield Problem(
                    view.op.path_position,
                    self.ID,
                    f"Service path shape {view.op.path} on a Job: a Job's task spec is "
                    "/spec/template/spec/template/spec/",
                    hint="insert template/spec: /spec/template/spec/template/spec/"
                    + "/".join(view.op.path.split("/")[4:]),
                )


def _cloud_run_kind(api_version: str, kind: str) -> str | None:
    if kind == SERVICE_KIND and api_version.startswith(f"{SERVICE_GROUP}/"):
        return SERVICE_KIND
    if kind == JOB_KIND and api_version.startswith(f"{JOB_GROUP}/"):
        return JOB_KIND
    return None
