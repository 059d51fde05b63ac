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
    TEMPLATE_META,
    TOP_META,
    annotations_at,
    as_int,
    containers,
    env_entries,
    ingress_container,
    mapping,
    pod_path,
    sequence,
)
from polyinfra.checks.rules.manifest.templates import is_templated
from polyinfra.values import InvalidValue, cloud_run_name
from polyinfra.yamlio import KeyPath

RUN = "run.googleapis.com/"
KNATIVE = "autoscaling.knative.dev/"

#: Annotations of the Service object itself (metadata.annotations).
SERVICE_LEVEL = frozenset(
    RUN + name
    for name in (
        "ingress",
        "ingress-status",
        "invoker-iam-disabled",
        "launch-stage",
        "description",
        "minScale",
        "maxScale",
        "scalingMode",
        "manualInstanceCount",
        "custom-audiences",
        "binary-authorization",
        "binary-authorization-breakglass",
        "default-url-disabled",
        "iap-enabled",
    )
)
#: Annotations of a revision or execution template (spec.template.metadata.annotations).
TEMPLATE_LEVEL = frozenset(
    {
        KNATIVE + "minScale",
        KNATIVE + "maxScale",
        *(
            RUN + name
            for name in (
                "cpu-throttling",
                "startup-cpu-boost",
                "cloudsql-instances",
                "execution-environment",
                "vpc-access-connector",
                "vpc-access-egress",
                "network-interfaces",
                "container-dependencies",
                "secrets",
                "sessionAffinity",
                "encryption-key",
                "gpu-zonal-redundancy-disabled",
            )
        ),
    }
)
#: Annotations that only make sense for request-serving Services.
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
            )
        ),
    }
)


class AnnotationPlacement(CloudRunRule):
    """Cloud Run reads each annotation from one object only. On a Service, ``ingress``,
    ``launch-stage``, ``invoker-iam-disabled``, ``run.googleapis.com/minScale|maxScale`` go in
    ``metadata.annotations``; ``autoscaling.knative.dev/minScale|maxScale``, ``cpu-throttling``,
    ``startup-cpu-boost``, ``cloudsql-instances``, ``execution-environment``, ``vpc-access-*``,
    ``secrets`` in ``spec.template.metadata.annotations``. A Job takes the template ones on its
    execution template (serving annotations on a Job: ``cloudrun/job-annotations``).

    Bad::

        kind: Service
        metadata:
          annotations:
            autoscaling.knative.dev/maxScale: "2"

    Good::

        kind: Service
        spec:
          template:
            metadata:
              annotations:
                autoscaling.knative.dev/maxScale: "2"
    """

    ID = "cloudrun/annotation-placement"
    LEVEL = Level.ERROR

    def check_manifest(self, manifest: Manifest, ctx: CheckContext) -> Iterator[Problem]:
        top = "metadata.annotations"
        template = "spec.template.metadata.annotations"
        for meta in (TOP_META, TEMPLATE_META):
            for key in annotations_at(manifest, meta):
                path = (*meta, "annotations", key)
                if manifest.is_job and key in SERVICE_ONLY:
                    continue  # cloudrun/job-annotations
                if meta == TOP_META and key in TEMPLATE_LEVEL:
                    yield self.problem(
                        manifest,
                        path,
                        f"{key} belongs in {template}, not {top}",
                        hint="move it to the template",
                        value=False,
                    )
                elif meta == TEMPLATE_META and key in SERVICE_LEVEL:
                    yield self.problem(
                        manifest,
                        path,
                        f"{key} belongs in {top}, not {template}",
                        hint="move it to the top-level metadata",
                        value=False,
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
                if isinstance(name, str) and name not in ("http1", "h2c"):
                    yield self.problem(
                        manifest,
                        (*path, "name"),
                        f"port name {name!r} must be http1 or h2c (HTTP/2)",
                    )
        ingress = ingress_container(manifest)
        if ingress is None:
            return
        served = as_int(mapping(ingress.ports[0]).get("containerPort")) if ingress.ports else None
        served = served if served is not None else DEFAULT_PORT
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

    Bad::

        kind: Job
        ...
                  containers:
                    - image: gcr.io/acme/etl:v1
                      ports: [{containerPort: 8080}]

    Good::

        kind: Job
        ...
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


_RESERVED_SERVICE = ("PORT", "K_SERVICE", "K_REVISION", "K_CONFIGURATION")
_RESERVED_JOB = (
    "CLOUD_RUN_JOB",
    "CLOUD_RUN_EXECUTION",
    "CLOUD_RUN_TASK_INDEX",
    "CLOUD_RUN_TASK_ATTEMPT",
    "CLOUD_RUN_TASK_COUNT",
)


class ReservedEnv(CloudRunRule):
    """Cloud Run sets ``PORT`` (from ``containerPort``), ``K_SERVICE``, ``K_REVISION``,
    ``K_CONFIGURATION`` and, for jobs, ``CLOUD_RUN_JOB``, ``CLOUD_RUN_EXECUTION``,
    ``CLOUD_RUN_TASK_INDEX``, ``CLOUD_RUN_TASK_ATTEMPT``, ``CLOUD_RUN_TASK_COUNT``; a manifest
    that sets them is rejected.

    Bad::

                  env:
                    - name: PORT
                      value: "8080"

    Good::

                  ports:
                    - containerPort: 8080
    """

    ID = "cloudrun/reserved-env"
    LEVEL = Level.ERROR

    def check_manifest(self, manifest: Manifest, ctx: CheckContext) -> Iterator[Problem]:
        reserved = (*_RESERVED_SERVICE, *_RESERVED_JOB)
        for container in containers(manifest):
            for path, entry in env_entries(container):
                name = entry.get("name")
                if name in reserved:
                    hint = "set containerPort instead" if name == "PORT" else "remove it"
                    yield self.problem(
                        manifest,
                        (*path, "name"),
                        f"env {name} is reserved: Cloud Run sets it",
                        hint=hint,
                    )


class StartupProbe(CloudRunRule):
    """A Service's ingress container should declare a ``startupProbe`` on its health endpoint:
    without one Cloud Run only waits for the TCP port to open, and sends traffic before the app
    is ready.

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
    LEVEL = Level.WARNING

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

    Bad::

              annotations:
                run.googleapis.com/secrets: "API_TOKEN:MY_API_TOKEN"

    Good::

              annotations:
                run.googleapis.com/secrets: "API_TOKEN:projects/my-project/secrets/MY_API_TOKEN"
    ...
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
