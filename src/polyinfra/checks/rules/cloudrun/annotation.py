"""Cloud Run's annotations: where each is accepted, which keys exist, their values; serving
annotations on a Job."""

from __future__ import annotations

from collections.abc import Iterator

from polyinfra.checks.context import CheckContext, Manifest
from polyinfra.checks.problem import Level, Problem
from polyinfra.checks.rules.cloudrun.base import CloudRunRule
from polyinfra.checks.rules.cloudrun.shape import (
    annotations_at,
)
from polyinfra.checks.rules.manifest.templates import is_templated
from polyinfra.cloudrun import annotations as table
from polyinfra.cloudrun.vocabulary import KNATIVE, RUN, TEMPLATE_META, TOP_META
from polyinfra.yamlio import KeyPath

#: Annotations that only make sense for request-serving Services: on a Job, Cloud Run
#: accepts them without effect (``cloudrun/job-annotations``).
SERVICE_ONLY = frozenset(
    {
        KNATIVE + "minScale",
        KNATIVE + "maxScale",
        *(
            RUN + name
            for name in (
                "cpu-throttling",
                "startup-cpu-boost",
                "sessionAffinity",
                "ingress",
                "ingress-status",
                "invoker-iam-disabled",
                "minScale",
                "maxScale",
                "scalingMode",
                "manualInstanceCount",
                "custom-audiences",
                "default-url-disabled",
                "iap-enabled",
                "scaling-cpu-target",
                "scaling-concurrency-target",
            )
        ),
    }
)
#: Placements outside the API's list that Cloud Run accepts: gcloud exports carry
#: ``execution-environment`` on the Service's (or Job's) own metadata as well as on its
#: template.
_TOLERATED = frozenset(
    {
        (RUN + "execution-environment", table.SERVICE),
        (RUN + "execution-environment", table.JOB),
        # the YAML reference has shown the service-level bounds on the template too
        (RUN + "minScale", table.REVISION),
        (RUN + "maxScale", table.REVISION),
    }
)


def _objects(manifest: Manifest) -> tuple[tuple[KeyPath, str], ...]:
    """The metadata an annotation of ``manifest`` can be on, with the kind of object each is."""
    if manifest.is_job:
        return ((TOP_META, table.JOB), (TEMPLATE_META, table.EXECUTION))
    return ((TOP_META, table.SERVICE), (TEMPLATE_META, table.REVISION))


_WHERE = {
    table.SERVICE: "the Service's metadata.annotations",
    table.REVISION: "the revision template (spec.template.metadata.annotations)",
    table.JOB: "the Job's metadata.annotations",
    table.EXECUTION: "the execution template (spec.template.metadata.annotations)",
}


class AnnotationPlacement(CloudRunRule):
    """Cloud Run accepts each of its annotations on some objects only, and rejects a
    manifest that puts one elsewhere ("Annotation 'run.googleapis.com/secrets' is not
    supported on resources of kind 'Service'. Supported kinds are: Revision, Execution").
    The placements are the Admin API's own list (``ObjectMeta.annotations`` in its discovery
    document): ``ingress``, ``description``, ``invoker-iam-disabled``,
    ``run.googleapis.com/minScale|maxScale``, ``scalingMode`` on the Service itself;
    ``autoscaling.knative.dev/minScale|maxScale``, ``cpu-throttling``, ``startup-cpu-boost``,
    ``cloudsql-instances``, ``secrets``, ``vpc-access-*`` on its revision template; a Job's
    ``cloudsql-instances``, ``secrets``, ``vpc-access-*`` on its execution template.
    ``execution-environment`` on a Service's own metadata is accepted (gcloud exports put it
    there) and not reported; serving annotations on a Job are ``cloudrun/job-annotations``.

    Bad::

        kind: Service
        metadata:
          annotations:
            run.googleapis.com/secrets: "api-key:projects/123/secrets/api-key"

    Good::

        kind: Service
        spec:
          template:
            metadata:
              annotations:
                run.googleapis.com/secrets: "api-key:projects/123/secrets/api-key"
    """

    ID = "cloudrun/annotation-placement"
    LEVEL = Level.ERROR

    def check_manifest(self, manifest: Manifest, ctx: CheckContext) -> Iterator[Problem]:
        placements = table.placements()
        objects = _objects(manifest)
        for meta, kind in objects:
            for key in annotations_at(manifest, meta):
                allowed = placements.get(key)
                if allowed is None or kind in allowed or (key, kind) in _TOLERATED:
                    continue  # not Cloud Run's, or unknown (cloudrun/unknown-annotation)
                if manifest.is_job and key in SERVICE_ONLY:
                    continue  # accepted without effect: cloudrun/job-annotations
                right = [_WHERE[k] for m, k in objects if k in allowed]
                hint = f"move it to {right[0]}" if right else "remove it"
                yield self.problem(
                    manifest,
                    (*meta, "annotations", key),
                    f"{key} is not accepted on {_WHERE[kind]}; Cloud Run accepts it on "
                    + ", ".join(sorted(allowed)),
                    hint=hint,
                    value=False,
                )


class UnknownAnnotation(CloudRunRule):
    """An annotation in Cloud Run's own namespaces (``run.googleapis.com/``,
    ``autoscaling.knative.dev/``) that Cloud Run does not have: a misspelt key, or a setting
    written as an annotation (``run.googleapis.com/gpu-type``, ``run.googleapis.com/cpu``,
    ``run.googleapis.com/max-instances``) that is really a node selector, a resource limit or
    another annotation. The setting the user meant does not take effect, hence a warning. The
    known keys are the Admin API's list, the YAML reference's and the ones Cloud Run sets
    itself.

    Cloud Run accepts the manifest with the key ignored, or rejects it; either way the setting
    meant does not take effect.

    Bad::

        kind: Service
        spec:
          template:
            metadata:
              annotations:
                run.googleapis.com/max-instances: "5"

    Good::

        kind: Service
        spec:
          template:
            metadata:
              annotations:
                autoscaling.knative.dev/maxScale: "5"
    """

    ID = "cloudrun/unknown-annotation"
    LEVEL = Level.WARNING

    def check_manifest(self, manifest: Manifest, ctx: CheckContext) -> Iterator[Problem]:
        for meta, _ in _objects(manifest):
            for key in annotations_at(manifest, meta):
                if not isinstance(key, str) or not table.restricted(key):
                    continue
                if table.known(key):
                    continue
                real = table.NOT_ANNOTATIONS.get(key)
                if real is not None:
                    message = f"{key} is not a Cloud Run annotation; the setting is {real}"
                    hint = f"remove it and set {real.split(' (')[0]}"
                else:
                    close = table.closest_known(key)
                    message = f"{key} is not an annotation Cloud Run knows"
                    hint = f"did you mean {close}?" if close else "remove it"
                yield self.problem(
                    manifest, (*meta, "annotations", key), message, hint=hint, value=False
                )


_BOOLEAN = frozenset(
    RUN + name
    for name in (
        "cpu-throttling",
        "startup-cpu-boost",
        "invoker-iam-disabled",
        "sessionAffinity",
        "gpu-zonal-redundancy-disabled",
        "default-url-disabled",
        "iap-enabled",
    )
)
_CHOICES = {
    RUN + "ingress": ("all", "internal", "internal-and-cloud-load-balancing"),
    RUN + "execution-environment": ("gen1", "gen2"),
    RUN + "vpc-access-egress": ("all-traffic", "private-ranges-only", "all"),
    RUN + "launch-stage": ("ALPHA", "BETA", "GA", "EARLY_ACCESS", "PRELAUNCH", "DEPRECATED"),
    RUN + "scalingMode": ("automatic", "manual"),
}


class JobAnnotations(CloudRunRule):
    """Serving annotations (``autoscaling.knative.dev/*``, ``cpu-throttling``,
    ``startup-cpu-boost``, ``ingress``, ``invoker-iam-disabled``...) mean nothing on a Job:
    a task always has its CPU and serves no requests. They are dead configuration that reads
    as if it did something.

    Cloud Run accepts them on a Job and ignores them, hence a warning.

    Bad::

        kind: Job
        spec:
          template:
            metadata:
              annotations:
                run.googleapis.com/cpu-throttling: "false"

    Good::

        kind: Job
        spec:
          template:
            metadata:
              annotations:
                run.googleapis.com/execution-environment: gen2
    """

    ID = "cloudrun/job-annotations"
    LEVEL = Level.WARNING

    def check_manifest(self, manifest: Manifest, ctx: CheckContext) -> Iterator[Problem]:
        if not manifest.is_job:
            return
        for meta in (TOP_META, TEMPLATE_META):
            for key in annotations_at(manifest, meta):
                if key in SERVICE_ONLY:
                    yield self.problem(
                        manifest,
                        (*meta, "annotations", key),
                        f"{key} is a Service setting; it has no effect on a Job",
                        hint="remove it",
                        value=False,
                    )


class AnnotationValues(CloudRunRule):
    """Annotation values Cloud Run understands: ``"true"``/``"false"`` for switches such as
    ``cpu-throttling`` and ``startup-cpu-boost``; ``ingress`` one of ``all``, ``internal``,
    ``internal-and-cloud-load-balancing``; ``execution-environment`` ``gen1`` or ``gen2``;
    ``vpc-access-egress`` ``all-traffic`` or ``private-ranges-only``; ``launch-stage`` ``ALPHA``,
    ``BETA`` or ``GA``. (Values must be strings: ``cloudrun/schema-type``.)

    Cloud Run rejects any other value.

    Bad::

              annotations:
                run.googleapis.com/cpu-throttling: "no"
                run.googleapis.com/execution-environment: gen3

    Good::

              annotations:
                run.googleapis.com/cpu-throttling: "false"
                run.googleapis.com/execution-environment: gen2
    """

    ID = "cloudrun/annotation-values"
    LEVEL = Level.ERROR

    def check_manifest(self, manifest: Manifest, ctx: CheckContext) -> Iterator[Problem]:
        for meta in (TOP_META, TEMPLATE_META):
            for key, value in annotations_at(manifest, meta).items():
                if not isinstance(value, str) or is_templated(value):
                    continue
                path = (*meta, "annotations", key)
                if key in _BOOLEAN and value not in ("true", "false"):
                    yield self.problem(
                        manifest, path, f'{key} must be "true" or "false", not {value!r}'
                    )
                elif key in _CHOICES and value not in _CHOICES[key]:
                    choices = ", ".join(_CHOICES[key])
                    yield self.problem(
                        manifest, path, f"{key} must be one of {choices}; not {value!r}"
                    )
