"""Cloud Run's container contract: annotations, ports, probes, reserved env, secrets."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from polyinfra.checks.context import CheckContext, Manifest
from polyinfra.checks.problem import Level, Problem
from polyinfra.checks.rules.cloudrun.base import CloudRunRule
from polyinfra.checks.rules.cloudrun.shape import (
    DEFAULT_PORT,
    PROBES,
    annotations_at,
    as_int,
    containers,
    env_entries,
    has_key,
    ingress_container,
    mapping,
    pod_path,
    sequence,
)
from polyinfra.checks.rules.manifest.templates import is_templated
from polyinfra.cloudrun import annotations as table
from polyinfra.cloudrun.vocabulary import KNATIVE, RUN, TEMPLATE_META, TOP_META
from polyinfra.values import InvalidValue, cloud_run_name
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


def _probe_port(probe: dict[str, object]) -> tuple[str, object] | None:
    for handler in ("httpGet", "tcpSocket", "grpc"):
        action = mapping(probe.get(handler))
        if "port" in action:
            return handler, action["port"]
    return None


class Ports(CloudRunRule):
    """A Service has one ingress container: with several containers exactly one declares a
    port (the others are sidecars); a container declares at most one port, named ``http1`` or
    ``h2c``, between 1 and 65535. The ingress container's probes check the port it serves
    (``containerPort``, default 8080).

    Cloud Run rejects several ingress containers, several ports, a port out of range or another
    port name; a probe on another port than the served one is accepted and fails every start, so
    it is an error too. A port that is a placeholder is not compared.

    Bad::

              containers:
                - name: app
                  ports: [{containerPort: 8080}]
                  startupProbe:
                    httpGet: {path: /health_check, port: 8000}

    Good::

              containers:
                - name: app
                  ports: [{containerPort: 8080}]
                  startupProbe:
                    httpGet: {path: /health_check, port: 8080}
    """

    ID = "cloudrun/ports"
    LEVEL = Level.ERROR

    def check_manifest(self, manifest: Manifest, ctx: CheckContext) -> Iterator[Problem]:
        if not manifest.is_service:
            return
        items = containers(manifest)
        with_ports = [c for c in items if c.ports]
        if len(items) > 1 and len(with_ports) != 1:
            where = (
                with_ports[1].path if len(with_ports) > 1 else (*pod_path(manifest), "containers")
            )
            yield self.problem(
                manifest,
                (*where, "ports") if len(with_ports) > 1 else where,
                f"{len(with_ports)} of {len(items)} containers declare ports; exactly one (the "
                "ingress container) must",
                hint="give the container that serves requests a port; sidecars have none",
                value=False,
            )
        for container in with_ports:
            if len(container.ports) > 1:
                yield self.problem(
                    manifest,
                    (*container.path, "ports", 1),
                    f"container {container.name} declares "
                    f"{len(container.ports)} ports; Cloud Run serves one",
                )
            for index, port in enumerate(container.ports):
                entry = mapping(port)
                path = (*container.path, "ports", index)
                number = as_int(entry.get("containerPort"))
                if number is not None and not 1 <= number <= 65535:
                    yield self.problem(
                        manifest,
                        (*path, "containerPort"),
                        f"containerPort {number} is not a TCP port (1-65535)",
                    )
                name = entry.get("name")
                if (
                    isinstance(name, str)
                    and name not in ("http1", "h2c")
                    and not is_templated(name)
                ):
                    yield self.problem(
                        manifest,
                        (*path, "name"),
                        f"port name {name!r} must be http1 or h2c (HTTP/2)",
                    )
        ingress = ingress_container(manifest)
        if ingress is None:
            return
        written = mapping(ingress.ports[0]).get("containerPort") if ingress.ports else None
        served = DEFAULT_PORT if written is None else as_int(written)
        if served is None:
            return  # a placeholder ("%APP_PORT%"): which port is served is not known yet
        for probe_name in PROBES:
            found = _probe_port(mapping(ingress.data.get(probe_name)))
            if found is None:
                continue
            handler, raw = found
            port = as_int(raw)
            if port is not None and port != served:
                yield self.problem(
                    manifest,
                    (*ingress.path, probe_name, handler, "port"),
                    f"{probe_name} checks port {port} but container {ingress.name} serves {served}",
                    hint=f"probe port {served}, or change containerPort",
                )


class JobShape(CloudRunRule):
    """A Job runs to completion and serves nothing: no ``ports``, no liveness or readiness
    probes. (A ``startupProbe`` is allowed: it orders sidecars started through
    ``run.googleapis.com/container-dependencies``.)

    Cloud Run rejects ports and liveness or readiness probes on a Job's containers.

    Bad::

        kind: Job
        spec:
          template:
            spec:
              template:
                spec:
                  containers:
                    - image: gcr.io/acme/etl:v1
                      ports: [{containerPort: 8080}]

    Good::

        kind: Job
        spec:
          template:
            spec:
              template:
                spec:
                  containers:
                    - image: gcr.io/acme/etl:v1
    """

    ID = "cloudrun/job-shape"
    LEVEL = Level.ERROR

    def check_manifest(self, manifest: Manifest, ctx: CheckContext) -> Iterator[Problem]:
        if not manifest.is_job:
            return
        for container in containers(manifest):
            if "ports" in container.data:
                yield self.problem(
                    manifest,
                    (*container.path, "ports"),
                    f"container {container.name} of a Job declares ports; jobs serve no requests",
                    hint="remove ports",
                    value=False,
                )
            for probe in ("livenessProbe", "readinessProbe"):
                if probe in container.data:
                    yield self.problem(
                        manifest,
                        (*container.path, probe),
                        f"container {container.name} of a Job has a {probe}; "
                        "jobs run to completion",
                        hint=f"remove {probe}",
                        value=False,
                    )


#: What Cloud Run sets in a Service's containers (the container runtime contract,
#: https://cloud.google.com/run/docs/container-contract): ``PORT`` in the ingress container
#: only; the ``K_*`` names in every container.
_RESERVED_SERVICE = ("K_SERVICE", "K_REVISION", "K_CONFIGURATION")
#: ... and in a Job's task containers (no ``PORT``: a task serves no requests).
_RESERVED_JOB = (
    "CLOUD_RUN_JOB",
    "CLOUD_RUN_EXECUTION",
    "CLOUD_RUN_TASK_INDEX",
    "CLOUD_RUN_TASK_ATTEMPT",
    "CLOUD_RUN_TASK_COUNT",
)


class ReservedEnv(CloudRunRule):
    """Cloud Run sets some environment variables itself and rejects a revision that sets
    them ("The following reserved env names were provided: PORT. These values are
    automatically set by the system."). In a Service: ``PORT`` in the ingress container (it is
    the ``containerPort``), ``K_SERVICE``, ``K_REVISION`` and ``K_CONFIGURATION`` in every
    container. A sidecar may set ``PORT`` for itself (Google's multi-container sample does).
    In a Job: ``CLOUD_RUN_JOB``, ``CLOUD_RUN_EXECUTION``, ``CLOUD_RUN_TASK_INDEX``,
    ``CLOUD_RUN_TASK_ATTEMPT`` and ``CLOUD_RUN_TASK_COUNT``; a Job has no ``PORT``.

    Bad::

        kind: Service
        spec:
          template:
            spec:
              containers:
                - image: gcr.io/acme/api:v1
                  env:
                    - name: PORT
                      value: "8080"

    Good::

        kind: Service
        spec:
          template:
            spec:
              containers:
                - image: gcr.io/acme/api:v1
                  ports:
                    - containerPort: 8080
    """

    ID = "cloudrun/reserved-env"
    LEVEL = Level.ERROR

    def check_manifest(self, manifest: Manifest, ctx: CheckContext) -> Iterator[Problem]:
        if manifest.is_job:
            reserved: tuple[str, ...] = _RESERVED_JOB
            ingress = None
        elif manifest.is_service:
            reserved = _RESERVED_SERVICE
            ingress = ingress_container(manifest)
        else:
            return
        for container in containers(manifest):
            names = (
                (*reserved, "PORT")
                if ingress is not None and container.path == ingress.path
                else reserved
            )
            for path, entry in env_entries(container):
                name = entry.get("name")
                if name in names:
                    hint = "set containerPort instead" if name == "PORT" else "remove it"
                    yield self.problem(
                        manifest,
                        (*path, "name"),
                        f"env {name} is reserved: Cloud Run sets it in container {container.name}",
                        hint=hint,
                    )


class StartupProbe(CloudRunRule):
    """A Service's ingress container may declare a ``startupProbe`` on its health endpoint.
    Cloud Run accepts a container without one and gives it a default TCP startup probe on its
    port (240 s timeout and period, one try), so traffic arrives once the port is open: right
    for most apps, early for an app that opens its port before it can answer. Information, off
    by default: select it (``--select cloudrun/startup-probe``, or a
    ``[tool.polyinfra.rules] levels`` entry naming it) where every service must have one.

    Bad::

              containers:
                - image: gcr.io/acme/api:v1
                  ports: [{containerPort: 8080}]

    Good::

              containers:
                - image: gcr.io/acme/api:v1
                  ports: [{containerPort: 8080}]
                  startupProbe:
                    httpGet: {path: /health_check, port: 8080}
                    initialDelaySeconds: 5
                    timeoutSeconds: 5
                    periodSeconds: 10
                    failureThreshold: 3
    """

    ID = "cloudrun/startup-probe"
    LEVEL = Level.INFO
    OPT_IN = True

    def check_manifest(self, manifest: Manifest, ctx: CheckContext) -> Iterator[Problem]:
        if not manifest.is_service:
            return
        ingress = ingress_container(manifest)
        if ingress is not None and "startupProbe" not in ingress.data:
            yield self.problem(
                manifest,
                ingress.path,
                f"container {ingress.name} has no startupProbe",
                hint="add a startupProbe on the health endpoint",
            )


_VERSION = re.compile(r"^(latest|[1-9][0-9]*)$")


def _secret_refs(manifest: Manifest) -> Iterator[tuple[KeyPath, str, object]]:
    """(path of the reference, secret name, key) for env secretKeyRefs and secret volumes."""
    for container in containers(manifest):
        for path, entry in env_entries(container):
            ref_path = (*path, "valueFrom", "secretKeyRef")
            ref = mapping(mapping(entry.get("valueFrom")).get("secretKeyRef"))
            if ref:
                yield ref_path, str(ref.get("name", "")), ref.get("key")
    volumes = (*pod_path(manifest), "volumes")
    for index, volume in enumerate(sequence(manifest.get(volumes))):
        secret = mapping(mapping(volume).get("secret"))
        if not secret:
            continue
        name = str(secret.get("secretName", ""))
        items = sequence(secret.get("items"))
        for item_index, item in enumerate(items):
            yield (*volumes, index, "secret", "items", item_index), name, mapping(item).get("key")
        if not items:
            yield (*volumes, index, "secret"), name, "latest"


class SecretKeyRef(CloudRunRule):
    """A Secret Manager reference names a version: ``key`` is a version number or ``latest``
    (in ``env[].valueFrom.secretKeyRef`` and in secret volume ``items``), and ``name`` is set.

    Cloud Run rejects a reference without a name or with a key that is not a version.

    Bad::

                  env:
                    - name: API_TOKEN
                      valueFrom:
                        secretKeyRef:
                          name: api-token
                          key: API_TOKEN

    Good::

                  env:
                    - name: API_TOKEN
                      valueFrom:
                        secretKeyRef:
                          name: api-token
                          key: latest
    """

    ID = "cloudrun/secret-key-ref"
    LEVEL = Level.ERROR

    def check_manifest(self, manifest: Manifest, ctx: CheckContext) -> Iterator[Problem]:
        for path, name, key in _secret_refs(manifest):
            if not name:
                yield self.problem(
                    manifest, path, "secret reference without a secret name", value=False
                )
            key_text = str(key) if isinstance(key, int | str) else ""
            if is_templated(key_text):
                continue
            if not _VERSION.match(key_text):
                yield self.problem(
                    manifest,
                    (*path, "key"),
                    f"secret key {key_text!r} is not a Secret Manager version",
                    hint='use "latest" or a version number such as "3"',
                    value=key is not None,
                )


_SECRET_ENTRY = re.compile(r"^([^:,\s]+):(projects/[^/\s]+/secrets/[^/\s,]+)$")


class SecretsAnnotation(CloudRunRule):
    """``run.googleapis.com/secrets`` maps aliases to secrets of other projects:
    ``ALIAS:projects/PROJECT/secrets/NAME[,ALIAS2:...]`` on the template metadata. Every entry is
    well formed, every alias unique and used by a ``secretKeyRef.name`` or a secret volume.

    Cloud Run rejects a malformed entry or a repeated alias. An alias nothing uses most often
    means the secretKeyRef names the secret otherwise, a secret that does not exist in the
    project, and the deploy fails.

    Bad::

        spec:
          template:
            metadata:
              annotations:
                run.googleapis.com/secrets: "API_TOKEN:MY_API_TOKEN"

    Good::

        spec:
          template:
            metadata:
              annotations:
                run.googleapis.com/secrets: "API_TOKEN:projects/my-project/secrets/MY_API_TOKEN"
            spec:
              containers:
                - image: gcr.io/acme/api:v1
                  env:
                    - name: API_TOKEN
                      valueFrom:
                        secretKeyRef: {name: API_TOKEN, key: latest}
    """

    ID = "cloudrun/secrets-annotation"
    LEVEL = Level.ERROR

    def check_manifest(self, manifest: Manifest, ctx: CheckContext) -> Iterator[Problem]:
        key = RUN + "secrets"
        path = (*TEMPLATE_META, "annotations", key)
        value = manifest.get(path)
        if not isinstance(value, str) or is_templated(value):
            return
        used = {name for _, name, _ in _secret_refs(manifest)}
        seen: set[str] = set()
        for entry in (part.strip() for part in value.split(",")):
            match = _SECRET_ENTRY.match(entry)
            if not match:
                yield self.problem(
                    manifest,
                    path,
                    f"{key} entry {entry!r} is not ALIAS:projects/PROJECT/secrets/NAME",
                )
                continue
            alias = match.group(1)
            if alias in seen:
                yield self.problem(manifest, path, f"{key} declares alias {alias} twice")
            seen.add(alias)
            if alias not in used:
                yield self.problem(
                    manifest,
                    path,
                    f"{key} declares alias {alias} but no secretKeyRef or secret volume uses it",
                    hint=f"reference it with secretKeyRef.name: {alias}, or remove the entry",
                )


MAX_CONTAINERS = 10


class Containers(CloudRunRule):
    """The object has a ``metadata.name`` and 1 to 10 containers; every container has an
    ``image``; with several containers each has a unique ``name``
    (sidecars are addressed by name, e.g. in ``run.googleapis.com/container-dependencies``,
    whose names must exist).

    Cloud Run rejects an object without a name, without containers or with more than 10, a
    container without an image, and unnamed or duplicate names among several containers.

    Bad::

              containers:
                - name: app
                  image: gcr.io/acme/api:v1
                - env:
                    - {name: MODE, value: proxy}

    Good::

              containers:
                - name: app
                  image: gcr.io/acme/api:v1
                - name: proxy
                  image: gcr.io/acme/proxy:v1
    """

    ID = "cloudrun/containers"
    LEVEL = Level.ERROR

    def check_manifest(self, manifest: Manifest, ctx: CheckContext) -> Iterator[Problem]:
        items = containers(manifest)
        pod = pod_path(manifest)
        if not items:
            if manifest.get((*pod, "containers")) is None and has_key(manifest.data, "containers"):
                return  # written at another level: cloudrun/misplaced-field says where it goes
            where = (*pod, "containers") if manifest.get((*pod, "containers")) is not None else pod
            yield self.problem(
                manifest, where, "no containers: Cloud Run needs at least one", value=False
            )
        elif len(items) > MAX_CONTAINERS:
            yield self.problem(
                manifest,
                (*pod, "containers"),
                f"{len(items)} containers; Cloud Run runs at most {MAX_CONTAINERS}",
                value=False,
            )
        if not isinstance(manifest.get(("metadata", "name")), str):
            yield self.problem(manifest, ("metadata",), "metadata.name is missing", value=False)
        names: set[str] = set()
        for container in items:
            if not container.data.get("image"):
                yield self.problem(
                    manifest, container.path, f"container {container.name} has no image"
                )
            name = container.data.get("name")
            if len(items) > 1:
                if not isinstance(name, str) or not name:
                    yield self.problem(
                        manifest, container.path, "with several containers each needs a name"
                    )
                elif name in names:
                    yield self.problem(
                        manifest, (*container.path, "name"), f"container name {name} is used twice"
                    )
            if isinstance(name, str):
                names.add(name)
        yield from self._dependencies(manifest, names)

    def _dependencies(self, manifest: Manifest, names: set[str]) -> Iterator[Problem]:
        key = RUN + "container-dependencies"
        path = (*TEMPLATE_META, "annotations", key)
        value = manifest.get(path)
        if not isinstance(value, str) or is_templated(value):
            return
        try:
            graph = json.loads(value)
        except ValueError:
            return  # Cloud Run's parser is laxer than JSON; leave the syntax to it
        if not isinstance(graph, dict):
            return
        for container, needs in graph.items():
            for name in [container, *(needs if isinstance(needs, list) else [])]:
                if isinstance(name, str) and name not in names:
                    yield self.problem(
                        manifest, path, f"{key} names container {name!r}, which does not exist"
                    )


class Name(CloudRunRule):
    """``metadata.name`` is a name Cloud Run accepts: lowercase letters, digits and hyphens,
    starting with a letter and not ending with a hyphen, at most 49 characters for a service
    or function (a revision name adds a suffix to it) and 63 for a job; the same rule
    ``polyinfra add`` applies to a new app's name.

    Cloud Run rejects any other name.

    Bad::

        kind: Service
        metadata:
          name: Inventory_API

    Good::

        kind: Service
        metadata:
          name: inventory-api
    """

    ID = "cloudrun/name"
    LEVEL = Level.ERROR

    def check_manifest(self, manifest: Manifest, ctx: CheckContext) -> Iterator[Problem]:
        path: KeyPath = ("metadata", "name")
        name = manifest.get(path)
        if not isinstance(name, str) or is_templated(name, path):
            return  # a missing name is cloudrun/containers'; a placeholder is filled in later
        try:
            cloud_run_name(name, "job" if manifest.is_job else "service")
        except InvalidValue as exc:
            yield self.problem(manifest, path, exc.message, hint=exc.hint)


_VARIABLE_REFERENCE = re.compile(r"\$\([A-Za-z_][A-Za-z0-9_]*\)")


class VariableReference(CloudRunRule):
    """Kubernetes expands ``$(VAR)`` in ``command``, ``args`` and env values; Cloud Run does
    not, so the container receives the text ``$(VAR)`` literally. Read the variable in the
    program, or run through a shell (``sh -c '... $VAR'``).

    Cloud Run accepts it and the program breaks at run time on the literal text, hence a
    warning.

    Bad::

                - image: gcr.io/acme/api:v1
                  args: ["--port", "$(PORT)"]

    Good::

                - image: gcr.io/acme/api:v1
                  command: ["sh", "-c", "exec api --port $PORT"]
    """

    ID = "cloudrun/variable-reference"
    LEVEL = Level.WARNING

    def check_manifest(self, manifest: Manifest, ctx: CheckContext) -> Iterator[Problem]:
        for container in containers(manifest):
            places: list[tuple[KeyPath, object]] = [
                ((*container.path, field, index), item)
                for field in ("command", "args")
                for index, item in enumerate(sequence(container.data.get(field)))
            ]
            places += [
                ((*path, "value"), entry.get("value")) for path, entry in env_entries(container)
            ]
            for path, value in places:
                if isinstance(value, str) and (found := _VARIABLE_REFERENCE.search(value)):
                    yield self.problem(
                        manifest,
                        path,
                        f"{found.group(0)} is not expanded on Cloud Run (container "
                        f"{container.name})",
                        hint="read the variable in the program, or use a shell: sh -c",
                    )
