"""What a Cloud Run function's Service is set up for, beyond what any Service may be:
one request per instance, scaling to zero, no HTTP health probe."""

from __future__ import annotations

from collections.abc import Iterator

from polyinfra.checks.context import CheckContext, Manifest
from polyinfra.checks.problem import Level, Problem
from polyinfra.checks.rules.cloudrun.base import CloudRunRule
from polyinfra.checks.rules.cloudrun.limits import instance_cpu
from polyinfra.checks.rules.cloudrun.shape import (
    DEFAULT_PORT,
    PROBES,
    annotations_at,
    as_int,
    containers,
    mapping,
    pod_path,
)
from polyinfra.cloudrun.vocabulary import (
    FUNCTION_SIGNATURE_TYPE_ENV,
    KNATIVE,
    RUN,
    TEMPLATE_META,
    TOP_META,
    TRIGGER_TYPE_ANNOTATION,
    signature_type,
)
from polyinfra.workspace.app_kind import is_function_document

#: Cloud Run's concurrency when a Service sets none.
DEFAULT_CONCURRENCY = 80


def is_function(manifest: Manifest, ctx: CheckContext) -> bool:
    """Whether ``manifest`` is a function's Service: rendered from an app of kind
    ``function``, or (a plain file, or an app the workspace does not know) carrying the label
    or annotation Cloud Run gives its functions (``workload-type: cloud-function``,
    ``run.googleapis.com/client-name: cloudfunctions``)."""
    if not manifest.is_service:
        return False
    ws = ctx.workspace
    app = ws.apps.get(manifest.app) if ws is not None and manifest.app is not None else None
    if app is not None:
        return app.kind == "function"
    return is_function_document(manifest.document)


class FunctionRule(CloudRunRule):
    """A rule on function Services only."""

    def check(self, ctx: CheckContext) -> Iterator[Problem]:
        for manifest in ctx.services():
            if is_function(manifest, ctx):
                yield from self.check_manifest(manifest, ctx)


class FunctionConcurrency(FunctionRule):
    """A function's ``containerConcurrency`` is 1: one request at a time per instance.

    That is how Cloud Functions (1st gen) ran every function, and what function code usually
    assumes: module-level state (a client, a cache, a counter, a temporary file) that no other
    request touches meanwhile. Cloud Run accepts more (80 when unset) and then runs that many
    calls at once in one process, sharing that state across threads; the instance's CPU and
    memory are shared too, so a slow call slows the others. Raise it only for code written for
    it (and then give the instance CPU and memory for that many calls). A concurrency Cloud
    Run rejects (over 1000, or over 1 below 1 CPU) is ``cloudrun/container-concurrency``'s
    error and not reported again here.

    Bad::

        metadata:
          labels: {workload-type: cloud-function}
        spec:
          template:
            spec:
              containerConcurrency: 80

    Good::

        metadata:
          labels: {workload-type: cloud-function}
        spec:
          template:
            spec:
              containerConcurrency: 1
    """

    ID = "cloudrun/function-concurrency"
    LEVEL = Level.WARNING

    def check_manifest(self, manifest: Manifest, ctx: CheckContext) -> Iterator[Problem]:
        pod = pod_path(manifest)
        raw = mapping(manifest.get(pod)).get("containerConcurrency")
        concurrency = DEFAULT_CONCURRENCY if raw is None else as_int(raw)
        if concurrency is None or concurrency == 1 or not 0 <= concurrency <= 1000:
            return  # not a number, or out of range: the schema and limit rules say so
        cpu, _ = instance_cpu(manifest)
        if cpu is not None and cpu < 1:
            return  # Cloud Run rejects more than 1 below 1 CPU: cloudrun/container-concurrency
        how_many = "up to 1000" if concurrency == 0 else str(concurrency)
        written = "" if raw is not None else " (unset, Cloud Run's default)"
        yield self.problem(
            manifest,
            (*pod, "containerConcurrency") if raw is not None else pod,
            f"containerConcurrency is {concurrency}{written}: each instance of function "
            f"{manifest.app or manifest.name} runs {how_many} calls at once, sharing its "
            "module-level state and its CPU and memory",
            hint="set containerConcurrency: 1 (as Cloud Functions 1st gen ran functions), "
            "unless the function is written for concurrent calls",
            value=raw is not None,
        )


_MIN_SCALE = ((TEMPLATE_META, KNATIVE + "minScale"), (TOP_META, RUN + "minScale"))


class FunctionMinScale(FunctionRule):
    """A function scales to zero: no ``autoscaling.knative.dev/minScale`` (nor the
    service-level ``run.googleapis.com/minScale``) above 0.

    Cloud Run accepts a minimum and keeps that many instances running, and billed, while no
    request comes: for a function, usually called now and then, that is most of its cost.
    Bound it from above per environment with ``maxScale`` instead; a function whose first
    call must be fast is the exception (switch the rule off on that line).

    Bad::

        metadata:
          labels: {workload-type: cloud-function}
        spec:
          template:
            metadata:
              annotations:
                autoscaling.knative.dev/minScale: "1"

    Good::

        metadata:
          labels: {workload-type: cloud-function}
        spec:
          template:
            metadata:
              annotations:
                autoscaling.knative.dev/maxScale: "10"
    """

    ID = "cloudrun/function-min-scale"
    LEVEL = Level.WARNING

    def check_manifest(self, manifest: Manifest, ctx: CheckContext) -> Iterator[Problem]:
        for meta, key in _MIN_SCALE:
            value = annotations_at(manifest, meta).get(key)
            number = as_int(value) if isinstance(value, str) else None
            if number is None or number < 1:
                continue  # unset, zero, or not a number (cloudrun/scaling reports that)
            instances = "instance" if number == 1 else "instances"
            yield self.problem(
                manifest,
                (*meta, "annotations", key),
                f"{key} {number} keeps {number} {instances} of function "
                f"{manifest.app or manifest.name} running, and billed, while no request comes",
                hint=f"remove {key} so the function scales to zero",
            )


#: Signature types whose Functions Framework routes take POSTs only, so a GET is answered 405
#: (``event``, the legacy background type, answers ``GET /`` with 200).
POST_ONLY_SIGNATURES = frozenset({"cloudevent", "typed"})


def is_post_only_function(manifest: Manifest) -> bool:
    """Whether a function's framework takes POSTs only: ``FUNCTION_SIGNATURE_TYPE`` says
    ``cloudevent`` or ``typed``, or, without it, the trigger-type annotation names an event."""
    declared = None
    for container in containers(manifest):
        env = container.data.get("env")
        for var in env if isinstance(env, list) else []:
            is_signature = isinstance(var, dict) and var.get("name") == FUNCTION_SIGNATURE_TYPE_ENV
            if is_signature and declared is None:  # the first container that sets it
                declared = var.get("value")
    trigger = annotations_at(manifest, TEMPLATE_META).get(TRIGGER_TYPE_ANNOTATION)
    return signature_type(declared, trigger) in POST_ONLY_SIGNATURES


class FunctionHttpProbe(FunctionRule):
    """An HTTP function's probes are TCP probes (``tcpSocket`` on the container port), not
    ``httpGet``.

    The Functions Framework has no health path: it routes every path to the function. Cloud
    Run runs the probe as written, so the function is called by every probe, with a GET its
    code does not expect. The TCP probe ``polyinfra add function`` writes checks that the
    framework listens. (On an event function the probe always fails:
    ``cloudrun/event-function-http-probe``.)

    Bad::

        metadata:
          labels: {workload-type: cloud-function}
        spec:
          template:
            spec:
              containers:
                - image: gcr.io/acme/hook:v1
                  startupProbe:
                    httpGet: {path: /health_check, port: 8080}

    Good::

        metadata:
          labels: {workload-type: cloud-function}
        spec:
          template:
            spec:
              containers:
                - image: gcr.io/acme/hook:v1
                  startupProbe:
                    tcpSocket: {port: 8080}
    """

    ID = "cloudrun/function-http-probe"
    LEVEL = Level.WARNING
    EVENTS = False

    def check_manifest(self, manifest: Manifest, ctx: CheckContext) -> Iterator[Problem]:
        if is_post_only_function(manifest) != self.EVENTS:
            return
        for container in containers(manifest):
            served = mapping(container.ports[0]).get("containerPort") if container.ports else None
            port = as_int(served) or DEFAULT_PORT
            for probe in PROBES:
                if "httpGet" not in mapping(container.data.get(probe)):
                    continue
                what = (
                    ": an event function answers a GET with 405, so the probe always fails "
                    "and the revision never starts"
                    if self.EVENTS
                    else ", so the function itself answers the probe"
                )
                yield self.problem(
                    manifest,
                    (*container.path, probe, "httpGet"),
                    f"{probe}.httpGet on function {manifest.app or manifest.name}: the "
                    f"Functions Framework has no health path{what}",
                    hint=f"probe the port instead: `{probe}: {{tcpSocket: {{port: {port}}}}}`",
                    value=False,
                )


class EventFunctionHttpProbe(FunctionHttpProbe):
    """An event function has no ``httpGet`` probe: the Functions Framework takes only POSTs of
    events and answers the probe's GET with 405. Cloud Run accepts the manifest and runs the
    probe as written, so the probe fails every time and the revision never starts.

    Bad::

        metadata:
          labels: {workload-type: cloud-function}
        spec:
          template:
            metadata:
              annotations:
                cloudfunctions.googleapis.com/trigger-type: google.cloud.storage.object.v1.finalized
            spec:
              containers:
                - image: gcr.io/acme/hook:v1
                  startupProbe:
                    httpGet: {path: /, port: 8080}

    Good::

        metadata:
          labels: {workload-type: cloud-function}
        spec:
          template:
            metadata:
              annotations:
                cloudfunctions.googleapis.com/trigger-type: google.cloud.storage.object.v1.finalized
            spec:
              containers:
                - image: gcr.io/acme/hook:v1
                  startupProbe:
                    tcpSocket: {port: 8080}
    """

    ID = "cloudrun/event-function-http-probe"
    LEVEL = Level.ERROR
    EVENTS = True
