"""The containers of a Service or Job: names, images, ports and probes, the shape of a Job."""

from __future__ import annotations

import json
from collections.abc import Iterator

from polyinfra.checks.context import CheckContext, Manifest
from polyinfra.checks.problem import Level, Problem
from polyinfra.checks.rules.cloudrun.base import CloudRunRule
from polyinfra.checks.rules.cloudrun.shape import (
    DEFAULT_PORT,
    PROBES,
    as_int,
    containers,
    has_key,
    ingress_container,
    mapping,
    pod_path,
)
from polyinfra.checks.rules.manifest.templates import is_templated
from polyinfra.cloudrun.vocabulary import RUN, TEMPLATE_META
from polyinfra.values import InvalidValue, cloud_run_name
from polyinfra.yamlio import KeyPath


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
