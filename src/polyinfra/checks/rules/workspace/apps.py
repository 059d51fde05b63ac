"""App folders: a base and at least one overlay that builds on it and sets a namespace."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path

from polyinfra.checks.context import CheckContext
from polyinfra.checks.problem import Level, Problem
from polyinfra.checks.rule import WorkspaceRule
from polyinfra.errors import RefusedFile, UserError
from polyinfra.positions import Position
from polyinfra.workspace import App, Overlay, Workspace, kustomization_file
from polyinfra.yamlio import YamlDocument, load_file

_MAX_DEPTH = 8


def load_kustomization_document(path: Path) -> YamlDocument | None:
    """The kustomization at ``path`` (None when it does not load): several rules and the
    render step read the same files, so each version of a file is parsed once."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return _load_version(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=4096)
def _load_version(path: Path, mtime_ns: int, size: int) -> YamlDocument | None:
    from polyinfra.workspace.bounds import bounds_of

    try:
        return load_file(path, bounds=bounds_of(path))
    except (UserError, RefusedFile):
        return None


def _resources(doc: YamlDocument) -> list[tuple[str, tuple[str | int, ...]]]:
    found: list[tuple[str, tuple[str | int, ...]]] = []
    for field in ("resources", "bases", "components"):
        entries = doc.get((field,))
        for index, entry in enumerate(entries if isinstance(entries, list) else []):
            if isinstance(entry, str):
                found.append((entry, (field, index)))
    return found


def reaches(folder: Path, target: Path, depth: int = 0) -> bool:
    """Whether the kustomization in ``folder`` includes ``target`` directly or through
    another local kustomization."""
    kustomization = kustomization_file(folder)
    doc = load_kustomization_document(kustomization) if kustomization else None
    if doc is None or depth > _MAX_DEPTH:
        return False
    for entry, _ in _resources(doc):
        resolved = (folder / entry).resolve()
        if resolved == target.resolve():
            return True
        if resolved.is_dir() and reaches(resolved, target, depth + 1):
            return True
    return False


def overlay_reaches_base(app: App, overlay: Overlay) -> bool:
    return reaches(overlay.path, app.base)


class AppHasOverlay(WorkspaceRule):
    """Every app has at least one overlay under ``overlays/<environment>/``.

    An app is deployed per environment from its overlay; a base alone is never deployed.

    Bad::

        infrastructure/cloudrun_job/my-job/base/job.yaml
        infrastructure/cloudrun_job/my-job/base/kustomization.yaml

    Good::

        infrastructure/cloudrun_job/my-job/base/job.yaml
        infrastructure/cloudrun_job/my-job/base/kustomization.yaml
        infrastructure/cloudrun_job/my-job/overlays/production/kustomization.yaml
    """

    ID = "workspace/app-has-overlay"
    LEVEL = Level.ERROR

    def check_workspace(self, ws: Workspace, ctx: CheckContext) -> Iterator[Problem]:
        for app in ws.apps.values():
            if not app.overlays:
                base = kustomization_file(app.base) or app.base
                yield Problem(
                    Position(base, 1, 1),
                    self.ID,
                    f"app {app.name!r} has a base but no overlay",
                    hint=f"add {ws.rel(app.overlay_root)}/<environment>/kustomization.yaml "
                    "that lists the base under `resources:`",
                )


class OverlayReachesBase(WorkspaceRule):
    """Each overlay's ``resources`` reach the app's base (directly or through another
    kustomization).

    An overlay that points elsewhere deploys something other than the app's base, usually
    because a folder was renamed or copied from another app.

    Bad::

        # infrastructure/cloudrun_job/my-job/overlays/production/kustomization.yaml
        resources:
          - ../../../other-job/base

    Good::

        resources:
          - ../../base
    """

    ID = "workspace/overlay-reaches-base"
    LEVEL = Level.ERROR

    def check_workspace(self, ws: Workspace, ctx: CheckContext) -> Iterator[Problem]:
        for app in ws.apps.values():
            for overlay in app.overlays.values():
                doc = load_kustomization_document(overlay.kustomization)
                if doc is None or overlay_reaches_base(app, overlay):
                    continue
                entries = _resources(doc)
                position = (
                    doc.position(entries[0][1], value=True) if entries else Position(doc.path, 1, 1)
                )
                yield Problem(
                    position,
                    self.ID,
                    f"overlay {overlay.env!r} of app {app.name!r} does not include the app's "
                    f"base ({ws.rel(app.base)})",
                    hint="list the base under `resources:` (`- ../../base`)",
                )


class OverlayNamespace(WorkspaceRule):
    """Each overlay sets ``namespace``: the Google Cloud project the app deploys to.

    Cloud Run accepts a manifest without one (``gcloud run services replace`` takes the
    project from ``--project``), so this is a warning; but then the overlay alone does not say
    where the app runs, and ``polyinfra deploy`` refuses it: it deploys to the namespace.

    Bad::

        apiVersion: kustomize.config.k8s.io/v1beta1
        kind: Kustomization
        resources:
          - ../../base

    Good::

        apiVersion: kustomize.config.k8s.io/v1beta1
        kind: Kustomization
        namespace: my-gcp-project
        resources:
          - ../../base
    """

    ID = "workspace/overlay-namespace"
    LEVEL = Level.WARNING

    def check_workspace(self, ws: Workspace, ctx: CheckContext) -> Iterator[Problem]:
        for app in ws.apps.values():
            for overlay in app.overlays.values():
                doc = load_kustomization_document(overlay.kustomization)
                if doc is None:
                    continue
                namespace = doc.get(("namespace",))
                if isinstance(namespace, str) and namespace:
                    continue
                stack = ctx.stack_for_env(overlay.env)
                project = stack.gcp_project if stack is not None and stack.valid else None
                yield Problem(
                    doc.position(("namespace",), value=True)
                    if "namespace" in (doc.data or {})
                    else Position(doc.path, 1, 1),
                    self.ID,
                    f"overlay {overlay.env!r} of app {app.name!r} sets no namespace: Cloud Run "
                    "accepts that (gcloud takes the project from --project), but "
                    "`polyinfra deploy` needs it",
                    hint=f"add `namespace: {project}` (gcp:project of {ws.rel(stack.path)})"
                    if project is not None and stack is not None
                    else "add `namespace: <gcp project id>` (the stack's gcp:project)",
                )


class OverlayRenders:
    """Each overlay builds with kustomize.

    Nothing else about an app can be checked until its overlay renders; the message is
    kustomize's own, except when kustomize fails on a patch path that splits an annotation or
    label key: then it points at that path and refers to
    ``patches/unescaped-annotation-key``.

    Bad::

        patches:
          - patch: |-
              - op: replace
                path: /spec/template/spec/containers/0/resources/limits/gpu
                value: "1"

    Good::

        patches:
          - patch: |-
              - op: add
                path: /spec/template/spec/containers/0/resources/limits/gpu
                value: "1"
    """

    ID = "workspace/overlay-renders"
    LEVEL = Level.ERROR

    def check(self, ctx: CheckContext) -> Iterator[Problem]:
        from polyinfra.checks.rules.patches.paths import explain_render_failure

        for failure in ctx.render_failures:
            explained = explain_render_failure(ctx, failure, self.ID)
            yield explained or Problem(
                failure.position, self.ID, failure.message, hint=failure.hint
            )
