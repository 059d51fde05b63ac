"""Cloud Run's limits: request and task timeouts, probes, concurrency, CPU/memory, scaling."""

from __future__ import annotations

from collections.abc import Iterator

from polyinfra.checks.context import CheckContext, Manifest
from polyinfra.checks.problem import Level, Problem
from polyinfra.checks.rules.cloudrun.base import CloudRunRule
from polyinfra.checks.rules.cloudrun.shape import (
    GI,
    MI,
    PROBES,
    Container,
    annotations_at,
    as_int,
    containers,
    format_memory,
    parse_cpu,
    parse_memory,
    pod_path,
)
from polyinfra.cloudrun.vocabulary import TEMPLATE_META, TOP_META

SERVICE_TIMEOUT_MAX = 3600


class TimeoutLimits(CloudRunRule):
    """A Service's request ``timeoutSeconds`` is 1–3600 (default 300). A Job task's
    ``timeoutSeconds`` is at most 168 hours (``[tool.polyinfra.rules.cloudrun]
    job_task_timeout_seconds``; 1 hour with GPUs).

    Cloud Run rejects a timeout beyond these limits.

    Bad::

        kind: Service
        spec:
          template:
            spec:
              timeoutSeconds: 7200

    Good::

        kind: Service
        spec:
          template:
            spec:
              timeoutSeconds: 3600
    """

    ID = "cloudrun/timeout-limits"
    LEVEL = Level.ERROR

    def check_manifest(self, manifest: Manifest, ctx: CheckContext) -> Iterator[Problem]:
        path = (*pod_path(manifest), "timeoutSeconds")
        seconds = as_int(manifest.get(path))
        if seconds is None:
            return
        if manifest.is_job:
            limit, what = ctx.settings.cloudrun.job_task_timeout_seconds, "a Job task's timeout"
        else:
            limit, what = SERVICE_TIMEOUT_MAX, "a Service's request timeout"
        if not 1 <= seconds <= limit:
            yield self.problem(
                manifest,
                path,
                f"timeoutSeconds {seconds} is out of range: {what} is 1 to {limit} seconds",
            )


# (field, startup max, liveness/readiness max); minimums: period and timeout 1, delay 0
_PROBE_MAXIMA = {"initialDelaySeconds": (240, 3600), "periodSeconds": (240, 3600)}
_PROBE_DEFAULTS = {"periodSeconds": 10, "timeoutSeconds": 1, "failureThreshold": 3}


class ProbeLimits(CloudRunRule):
    """Probe fields within Cloud Run's ranges: a startup probe's ``periodSeconds`` and
    ``initialDelaySeconds`` at most 240, a liveness or readiness probe's at most 3600;
    ``timeoutSeconds`` at least 1 and not above ``periodSeconds`` (defaults 1 and 10);
    ``successThreshold`` 1; ``failureThreshold`` at least 1. For a Job, the startup window
    ``failureThreshold × periodSeconds`` is capped (``[tool.polyinfra.rules.cloudrun]
    job_startup_window_seconds``, default 600: Cloud Run's docs disagree between 600 and 240).

    Cloud Run rejects values outside these ranges.

    Bad::

              startupProbe:
                httpGet: {path: /health_check, port: 8080}
                initialDelaySeconds: 300
                periodSeconds: 5
                timeoutSeconds: 10

    Good::

              startupProbe:
                httpGet: {path: /health_check, port: 8080}
                initialDelaySeconds: 5
                periodSeconds: 10
                timeoutSeconds: 5
    """

    ID = "cloudrun/probe-limits"
    LEVEL = Level.ERROR

    def check_manifest(self, manifest: Manifest, ctx: CheckContext) -> Iterator[Problem]:
        for container in containers(manifest):
            for probe_name in PROBES:
                probe_path = (*container.path, probe_name)
                probe = manifest.get(probe_path)
                if isinstance(probe, dict):
                    yield from self._probe(manifest, ctx, probe_path, probe_name, probe)

    def _probe(
        self,
        manifest: Manifest,
        ctx: CheckContext,
        path: tuple[str | int, ...],
        name: str,
        probe: dict[str, object],
    ) -> Iterator[Problem]:
        startup = name == "startupProbe"
        values = {key: as_int(probe.get(key)) for key in probe}
        for key, (startup_max, other_max) in _PROBE_MAXIMA.items():
            value = values.get(key)
            low = 1 if key == "periodSeconds" else 0
            high = startup_max if startup else other_max
            if value is not None and not low <= value <= high:
                yield self.problem(
                    manifest,
                    (*path, key),
                    f"{name}.{key} {value} is out of range: {low} to {high} seconds",
                )
        timeout = values.get("timeoutSeconds")
        if timeout is not None and timeout < 1:
            yield self.problem(
                manifest,
                (*path, "timeoutSeconds"),
                f"{name}.timeoutSeconds must be at least 1, not {timeout}",
            )
        period = values.get("periodSeconds")
        effective_period = period if period is not None else _PROBE_DEFAULTS["periodSeconds"]
        effective_timeout = timeout if timeout is not None else _PROBE_DEFAULTS["timeoutSeconds"]
        if effective_timeout > effective_period >= 1:
            at = "timeoutSeconds" if timeout is not None else "periodSeconds"
            yield self.problem(
                manifest,
                (*path, at),
                f"{name}.timeoutSeconds ({effective_timeout}) is longer than its periodSeconds "
                f"({effective_period}{'' if period is not None else ', the default'})",
                hint="make periodSeconds at least timeoutSeconds",
            )
        success = values.get("successThreshold")
        if success is not None and success != 1:
            yield self.problem(
                manifest,
                (*path, "successThreshold"),
                f"{name}.successThreshold must be 1 on Cloud Run, not {success}",
            )
        failure = values.get("failureThreshold")
        if failure is not None and failure < 1:
            yield self.problem(
                manifest,
                (*path, "failureThreshold"),
                f"{name}.failureThreshold must be at least 1, not {failure}",
            )
        if startup and manifest.is_job:
            window = (failure or _PROBE_DEFAULTS["failureThreshold"]) * effective_period
            cap = ctx.settings.cloudrun.job_startup_window_seconds
            if window > cap:
                yield self.problem(
                    manifest,
                    path,
                    f"startupProbe window failureThreshold × periodSeconds = {window} s exceeds "
                    f"the {cap} s a Job task may take to start",
                    value=False,
                )


def instance_cpu(manifest: Manifest) -> tuple[float | None, str | None]:
    """The instance's CPU (sum over containers) and the first container without a limit."""
    total = 0.0
    items = containers(manifest)
    for container in items:
        cpu = parse_cpu(container.limit("cpu"))
        if cpu is None:
            if len(items) == 1 and container.limit("cpu") is None:
                return 1.0, None  # Cloud Run's default
            return None, container.name
        total += cpu
    return (total, None) if items else (None, None)


class ContainerConcurrency(CloudRunRule):
    """``containerConcurrency`` is at most 1000, and must be 1 when the instance has less
    than 1 CPU (the sum of the containers' CPU limits). Unset means 80.

    Cloud Run rejects a concurrency over 1000, and over 1 with less than 1 CPU.

    Bad::

        spec:
          template:
            spec:
              containers:
                - image: gcr.io/acme/api:v1
                  resources:
                    limits: {cpu: 500m, memory: 512Mi}

    Good::

        spec:
          template:
            spec:
              containerConcurrency: 1
              containers:
                - image: gcr.io/acme/api:v1
                  resources:
                    limits: {cpu: 500m, memory: 512Mi}
    """

    ID = "cloudrun/container-concurrency"
    LEVEL = Level.ERROR

    def check_manifest(self, manifest: Manifest, ctx: CheckContext) -> Iterator[Problem]:
        if not manifest.is_service:
            return
        path = (*pod_path(manifest), "containerConcurrency")
        raw = manifest.get(path)
        concurrency = as_int(raw)
        if concurrency is not None and not 0 <= concurrency <= 1000:
            yield self.problem(
                manifest, path, f"containerConcurrency {concurrency} is out of range: 0 to 1000"
            )
            return
        cpu, _ = instance_cpu(manifest)
        effective = concurrency if raw is not None else 80
        if cpu is not None and cpu < 1 and effective is not None and effective > 1:
            where = path if raw is not None else pod_path(manifest)
            yield self.problem(
                manifest,
                where,
                f"containerConcurrency is {effective}{'' if raw is not None else ' (default)'} "
                f"but the instance has {cpu:g} CPU: below 1 CPU concurrency must be 1",
                hint="set containerConcurrency: 1, or give the containers at least 1 CPU",
                value=raw is not None,
            )


_CPU_STEPS = (1, 2, 4, 6, 8)
# memory above the key needs at least the value's CPUs
_MEMORY_NEEDS_CPU = ((24 * GI, 8), (16 * GI, 6), (8 * GI, 4), (4 * GI, 2), (512 * MI, 0.5))
_CPU_NEEDS_MEMORY = ((6, 4 * GI), (4, 2 * GI))
MAX_MEMORY = 32 * GI


class Resources(CloudRunRule):
    """CPU and memory limits Cloud Run can run: CPU 0.08–1 or 1, 2, 4, 6 or 8 per container and
    at most 8 per instance; memory at most 32Gi. Pairs (instance totals): 4 CPU needs at least
    2Gi, 6 or 8 CPU at least 4Gi; more than 512Mi needs 0.5 CPU, more than 4Gi 2 CPU, more than
    8Gi 4 CPU, more than 16Gi 6 CPU, more than 24Gi 8 CPU. ``limits`` takes ``cpu``, ``memory``
    and ``nvidia.com/gpu`` (``"1"``), ``requests`` only ``cpu`` and ``memory``.

    Cloud Run rejects any other CPU, memory or pair.

    Bad::

                  resources:
                    limits:
                      cpu: "3"
                      memory: 8Gi

    Good::

                  resources:
                    limits:
                      cpu: "4"
                      memory: 8Gi
    """

    ID = "cloudrun/resources"
    LEVEL = Level.ERROR

    def check_manifest(self, manifest: Manifest, ctx: CheckContext) -> Iterator[Problem]:
        items = containers(manifest)
        total_cpu: float | None = 0.0
        total_memory: int | None = 0
        for container in items:
            yield from self._keys(manifest, container)
            limits_path = (*container.path, "resources", "limits")
            raw_cpu, raw_memory = container.limit("cpu"), container.limit("memory")
            cpu, memory = parse_cpu(raw_cpu), parse_memory(raw_memory)
            if raw_cpu is not None and cpu is None:
                yield self.problem(
                    manifest,
                    (*limits_path, "cpu"),
                    f"cpu limit {raw_cpu!r} is not a CPU quantity",
                    hint='write cores ("1", "0.5") or millicores ("500m")',
                )
            elif cpu is not None and not (0.08 <= cpu <= 1 or cpu in _CPU_STEPS):
                yield self.problem(
                    manifest,
                    (*limits_path, "cpu"),
                    f"cpu limit {cpu:g} is not one Cloud Run offers: 0.08 to 1, or 1, 2, 4, 6 or 8",
                )
            if raw_memory is not None and memory is None:
                yield self.problem(
                    manifest,
                    (*limits_path, "memory"),
                    f"memory limit {raw_memory!r} is not a memory quantity",
                    hint='write e.g. "512Mi" or "2Gi"',
                )
            elif memory is not None and memory > MAX_MEMORY:
                yield self.problem(
                    manifest,
                    (*limits_path, "memory"),
                    f"memory limit {raw_memory} is above Cloud Run's 32Gi",
                )
            if len(items) == 1:
                cpu = 1.0 if raw_cpu is None else cpu
                memory = 512 * MI if raw_memory is None else memory
            total_cpu = None if total_cpu is None or cpu is None else total_cpu + cpu
            total_memory = None if total_memory is None or memory is None else total_memory + memory
        if not items or total_cpu is None or total_memory is None:
            return
        where = (*pod_path(manifest), "containers")
        what = "the container" if len(items) == 1 else "the instance (all containers)"
        if len(items) == 1:
            where = (*items[0].path, "resources", "limits")
        if total_cpu > 8:
            yield self.problem(
                manifest, where, f"{what} has {total_cpu:g} CPU; at most 8", value=False
            )
        for cpu_at_least, memory_min in _CPU_NEEDS_MEMORY:
            if total_cpu >= cpu_at_least and total_memory < memory_min:
                yield self.problem(
                    manifest,
                    where,
                    f"{what} has {total_cpu:g} CPU and {format_memory(total_memory)}: "
                    f"{cpu_at_least:g} CPU or more needs at least {format_memory(memory_min)}",
                    value=False,
                )
                break
        for memory_above, cpu_min in _MEMORY_NEEDS_CPU:
            if total_memory > memory_above and total_cpu < cpu_min:
                yield self.problem(
                    manifest,
                    where,
                    f"{what} has {format_memory(total_memory)} and {total_cpu:g} CPU: more than "
                    f"{format_memory(memory_above)} needs at least {cpu_min:g} CPU",
                    value=False,
                )
                break

    def _keys(self, manifest: Manifest, container: Container) -> Iterator[Problem]:
        resources = container.data.get("resources")
        if not isinstance(resources, dict):
            return
        for kind in ("limits", "requests"):
            amounts = resources.get(kind)
            if not isinstance(amounts, dict):
                continue
            allowed = _allowed_keys(kind)
            for key, value in amounts.items():
                path = (*container.path, "resources", kind, key)
                if key not in allowed:
                    yield self.problem(
                        manifest,
                        path,
                        f"resources.{kind}.{key} is not a Cloud Run resource; "
                        f"{kind} takes {', '.join(allowed)}",
                        value=False,
                    )
                elif key == "nvidia.com/gpu" and str(value) != "1":
                    yield self.problem(manifest, path, f'nvidia.com/gpu must be "1", not {value!r}')


def _allowed_keys(kind: str) -> tuple[str, ...]:
    return ("cpu", "memory", "nvidia.com/gpu") if kind == "limits" else ("cpu", "memory")


_MIN_MAX = (
    (TEMPLATE_META, "autoscaling.knative.dev/minScale", "autoscaling.knative.dev/maxScale"),
    (TOP_META, "run.googleapis.com/minScale", "run.googleapis.com/maxScale"),
)


class Scaling(CloudRunRule):
    """Instance bounds are whole numbers written as strings, with ``minScale`` ≤ ``maxScale``:
    the revision's ``autoscaling.knative.dev/minScale``/``maxScale`` and the service-level
    ``run.googleapis.com/minScale``/``maxScale``.

    Cloud Run rejects a bound that is not a whole number, or a minimum above the maximum.

    Bad::

        spec:
          template:
            metadata:
              annotations:
                autoscaling.knative.dev/minScale: "5"
                autoscaling.knative.dev/maxScale: "2"

    Good::

        spec:
          template:
            metadata:
              annotations:
                autoscaling.knative.dev/minScale: "1"
                autoscaling.knative.dev/maxScale: "2"
    """

    ID = "cloudrun/scaling"
    LEVEL = Level.ERROR

    def check_manifest(self, manifest: Manifest, ctx: CheckContext) -> Iterator[Problem]:
        if not manifest.is_service:
            return
        for meta, min_key, max_key in _MIN_MAX:
            notes = annotations_at(manifest, meta)
            bounds: dict[str, int] = {}
            for key in (min_key, max_key):
                if key not in notes or not isinstance(notes[key], str):
                    continue  # absent, or a non-string: cloudrun/schema-type says so
                path = (*meta, "annotations", key)
                number = as_int(notes[key])
                if number is None or number < 0:
                    yield self.problem(
                        manifest, path, f"{key} must be a whole number, not {notes[key]!r}"
                    )
                    continue
                bounds[key] = number
            if min_key in bounds and max_key in bounds and bounds[min_key] > bounds[max_key]:
                yield self.problem(
                    manifest,
                    (*meta, "annotations", min_key),
                    f"{min_key} {bounds[min_key]} is above {max_key} {bounds[max_key]}",
                )
