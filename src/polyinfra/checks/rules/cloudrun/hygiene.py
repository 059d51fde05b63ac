"""Hygiene: no secrets in plain env, a dedicated service account, valid labels, job retries."""

from __future__ import annotations

import re
from collections.abc import Iterator

from polyinfra.checks.context import CheckContext, Manifest
from polyinfra.checks.problem import Level, Problem
from polyinfra.checks.rules.cloudrun.base import CloudRunRule
from polyinfra.checks.rules.cloudrun.shape import (
    containers,
    env_entries,
    has_key,
    mapping,
    pod_path,
)
from polyinfra.checks.rules.crossstack.workload import project_key
from polyinfra.checks.rules.manifest.templates import is_templated
from polyinfra.cloudrun.vocabulary import JOB_POD, TEMPLATE_META, TOP_META
from polyinfra.positions import Position
from polyinfra.redact import secret_name
from polyinfra.values import is_label_key, is_label_value
from polyinfra.yamlio import KeyPath

_NOT_SECRET_VALUE = re.compile(r"^(true|false|yes|no|on|off|\d{1,3})$|^[./~]|^projects/")


class SecretLiteral(CloudRunRule):
    """A secret-looking variable (``*_TOKEN``, ``*_KEY``, ``*PASSWORD*``, ``*SECRET*``) with a
    literal ``value`` puts the secret in the manifest, the repository and the revision. Read it
    from Secret Manager with ``valueFrom.secretKeyRef``. Paths, flags and placeholders are not
    reported; the value is never printed.

    Cloud Run accepts the value and the app runs, hence a warning: one worth acting on wherever
    it is found.

    Bad::

                  env:
                    - name: API_TOKEN
                      value: 3f9c2d1e8b7a

    Good::

                  env:
                    - name: API_TOKEN
                      valueFrom:
                        secretKeyRef: {name: api-token, key: latest}
    """

    ID = "cloudrun/secret-literal"
    LEVEL = Level.WARNING

    def check_manifest(self, manifest: Manifest, ctx: CheckContext) -> Iterator[Problem]:
        for container in containers(manifest):
            for path, entry in env_entries(container):
                name, value = entry.get("name"), entry.get("value")
                if not isinstance(name, str) or not secret_name(name):
                    continue
                if value in (None, ""):
                    continue
                text = str(value)
                if _NOT_SECRET_VALUE.search(text) or is_templated(text, (*path, "value")):
                    continue
                yield self.problem(
                    manifest,
                    (*path, "value"),
                    f"env {name} looks like a secret but has a literal value",
                    hint="use valueFrom.secretKeyRef (Secret Manager) instead of value",
                    sensitive=True,
                )


_DEFAULT_COMPUTE = re.compile(r"^\d+-compute@developer\.gserviceaccount\.com$")


class ServiceAccount(CloudRunRule):
    """Run each service and job as its own service account (``serviceAccountName``, in the
    revision spec of a Service and the task spec of a Job). Without one it runs as the Compute
    Engine default service account, which usually holds the project Editor role.

    Cloud Run accepts that, hence a warning. A ``serviceAccountName`` written at another level
    is not reported here: Cloud Run rejects that manifest (``cloudrun/misplaced-field``). An
    app of the workspace is reported at the overlay of each environment that leaves it unset
    (the account is per environment, and the hint names the one the environment's foundation
    stack creates for the app); a plain manifest at its pod spec.

    Bad::

        spec:
          template:
            spec:
              containers: [{image: gcr.io/acme/api:v1}]

    Good::

        spec:
          template:
            spec:
              serviceAccountName: api@acme-prod.iam.gserviceaccount.com
              containers: [{image: gcr.io/acme/api:v1}]
    """

    ID = "cloudrun/service-account"
    LEVEL = Level.WARNING

    def check_manifest(self, manifest: Manifest, ctx: CheckContext) -> Iterator[Problem]:
        pod = pod_path(manifest)
        account = mapping(manifest.get(pod)).get("serviceAccountName")
        if isinstance(account, str) and _DEFAULT_COMPUTE.match(account):
            yield self.problem(
                manifest,
                (*pod, "serviceAccountName"),
                f"{account} is the Compute Engine default service account",
                hint="create a service account for this app with only the roles it needs",
            )
        elif not account and manifest.get(pod) is not None:
            if has_key(manifest.data, "serviceAccountName"):
                return  # at the wrong level: cloudrun/misplaced-field's error, Cloud Run's 400
            overlay = _overlay_of(manifest, ctx)
            if overlay is not None:
                yield Problem(
                    overlay,
                    self.ID,
                    f"{manifest.app} ({manifest.env}) sets no serviceAccountName: it runs as "
                    "the Compute Engine default service account",
                    hint=_overlay_hint(manifest, ctx, pod),
                )
                return
            where = "spec.template.spec.template.spec" if pod == JOB_POD else "spec.template.spec"
            yield self.problem(
                manifest,
                pod,
                f"no serviceAccountName in {where}: it runs as the Compute Engine default "
                "service account",
                hint="set serviceAccountName to a service account made for this app",
                value=False,
            )


def _overlay_of(manifest: Manifest, ctx: CheckContext) -> Position | None:
    """The start of the overlay ``manifest`` was rendered from, for a workspace app."""
    ws = ctx.workspace
    if ws is None or not manifest.rendered or manifest.app is None or manifest.env is None:
        return None
    app = ws.apps.get(manifest.app)
    overlay = app.overlays.get(manifest.env) if app is not None else None
    return Position(overlay.kustomization, 1, 1) if overlay is not None else None


def _overlay_hint(manifest: Manifest, ctx: CheckContext, pod: KeyPath) -> str:
    """A patch to add to the overlay, with the account the environment's stack creates for
    the app when there is one."""
    pointer = "/" + "/".join(str(key) for key in (*pod, "serviceAccountName"))
    ws = ctx.workspace
    stack = ctx.stack_for_env(manifest.env) if manifest.env is not None else None
    app = ws.apps.get(manifest.app) if ws is not None and manifest.app is not None else None
    if ws is not None and app is not None and stack is not None and stack.valid:
        key = project_key(stack, app)
        for email, declared in stack.service_accounts().items():
            if key is not None and declared.project == key:
                return (
                    f"add a patch to this overlay: `op: add`, `path: {pointer}`, "
                    f"`value: {email}` (the account {ws.rel(stack.path)} creates for {key})"
                )
    return f"add a patch to this overlay setting {pointer} to a service account made for this app"


_VERSIONISH = re.compile(r"\d+\.\d+|^v\d|VERSION", re.IGNORECASE)


class LabelValues(CloudRunRule):
    """Google Cloud labels allow only lowercase letters, digits, ``_`` and ``-`` (keys start
    with a letter; both at most 63 characters), so a version such as ``v1.2.3`` cannot be a
    label value: put it in an env variable or an annotation. Labels with a domain prefix
    (``cloud.googleapis.com/location``) are Cloud Run's own and are not checked.

    Cloud Run rejects any other label.

    Bad::

        metadata:
          labels:
            version: v1.2.3

    Good::

        metadata:
          labels:
            version: v1-2-3
    """

    ID = "cloudrun/label-values"
    LEVEL = Level.ERROR

    def check_manifest(self, manifest: Manifest, ctx: CheckContext) -> Iterator[Problem]:
        for meta in (TOP_META, TEMPLATE_META):
            labels = mapping(manifest.get((*meta, "labels")))
            for key, value in labels.items():
                path = (*meta, "labels", key)
                if not isinstance(key, str) or "/" in key or is_templated(key):
                    continue
                if not is_label_key(key):
                    yield self.problem(
                        manifest,
                        path,
                        f"label key {key!r} is not valid: lowercase letters, digits, _ and -, "
                        "starting with a letter",
                        value=False,
                    )
                if not isinstance(value, str) or is_templated(value):
                    continue
                if not is_label_value(value):
                    if manifest.version and manifest.version in value:
                        yield self.problem(
                            manifest,
                            path,
                            f"label {key} gets the release version (VERSION_PLACEHOLDER, here "
                            f"{value!r}): a label value allows only lowercase letters, digits, "
                            "_ and -, so Cloud Run rejects every version with a '.'",
                            hint="carry the version in an env variable or an annotation "
                            "instead of a label",
                        )
                        continue
                    version = " (a version?)" if _VERSIONISH.search(value) else ""
                    yield self.problem(
                        manifest,
                        path,
                        f"label {key} value {value!r}{version} is not valid: only lowercase "
                        "letters, digits, _ and - (at most 63)",
                        hint="put versions in an env variable or an annotation, or replace "
                        "'.' with '-'",
                    )


class JobMaxRetries(CloudRunRule):
    """Say how often a failed Job task is retried. Cloud Run accepts a Job without
    ``maxRetries`` and retries each failed task 3 times, its documented default; that is
    right for most jobs and wrong only for tasks with side effects that must not repeat, so
    this is information, off by default: select it (``--select cloudrun/job-max-retries``, or
    a ``[tool.polyinfra.rules] levels`` entry naming it) to have it reported.

    Bad::

        kind: Job
        spec:
          template:
            spec:
              template:
                spec:
                  containers: [{image: gcr.io/acme/etl:v1}]

    Good::

        kind: Job
        spec:
          template:
            spec:
              template:
                spec:
                  maxRetries: 1
                  containers: [{image: gcr.io/acme/etl:v1}]
    """

    ID = "cloudrun/job-max-retries"
    LEVEL = Level.INFO
    OPT_IN = True

    def check_manifest(self, manifest: Manifest, ctx: CheckContext) -> Iterator[Problem]:
        task = manifest.get(JOB_POD)
        if manifest.is_job and isinstance(task, dict) and "maxRetries" not in task:
            yield self.problem(
                manifest,
                JOB_POD,
                "no maxRetries: Cloud Run retries each failed task 3 times",
                hint="set maxRetries (0 for no retries)",
                value=False,
            )
