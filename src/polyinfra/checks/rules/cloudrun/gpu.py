"""GPUs on Cloud Run: the accelerator, the CPU and memory it needs, CPU always allocated."""

from __future__ import annotations

from collections.abc import Iterator

from polyinfra.checks.context import CheckContext, Manifest
from polyinfra.checks.problem import Level, Problem
from polyinfra.checks.rules.cloudrun.base import CloudRunRule
from polyinfra.checks.rules.cloudrun.shape import (
    GI,
    MI,
    Container,
    annotations_at,
    containers,
    format_memory,
    parse_cpu,
    parse_memory,
    pod_path,
)
from polyinfra.checks.rules.manifest.templates import is_templated
from polyinfra.cloudrun.vocabulary import TEMPLATE_META

#: What each GPU needs (https://cloud.google.com/run/docs/configuring/services/gpu): the node
#: selector value, then the least CPU and memory of the container that has the GPU.
GPU_TYPES = {"nvidia-l4": (4.0, 16 * GI), "nvidia-rtx-pro-6000": (20.0, 80 * GI)}
ACCELERATOR = "run.googleapis.com/accelerator"
GPU = "nvidia.com/gpu"


class Gpu(CloudRunRule):
    """A GPU (``resources.limits`` ``nvidia.com/gpu: "1"``) runs only as Cloud Run documents
    it: the pod spec names the GPU type in ``nodeSelector`` (``run.googleapis.com/accelerator:
    nvidia-l4``), one container has the GPU, the container has at least the type's CPU and
    memory (4 CPU and 16Gi for an L4; 20 CPU and 80Gi for an RTX PRO 6000), and a Service's
    revision keeps its CPU allocated (``run.googleapis.com/cpu-throttling: "false"``, instance
    based billing). Cloud Run rejects a revision that misses one of them.

    Bad::

        kind: Service
        spec:
          template:
            spec:
              containers:
                - image: gcr.io/acme/llm:v1
                  resources:
                    limits: {cpu: "2", memory: 8Gi, nvidia.com/gpu: "1"}

    Good::

        kind: Service
        spec:
          template:
            metadata:
              annotations:
                run.googleapis.com/cpu-throttling: "false"
            spec:
              nodeSelector:
                run.googleapis.com/accelerator: nvidia-l4
              containers:
                - image: gcr.io/acme/llm:v1
                  resources:
                    limits: {cpu: "4", memory: 16Gi, nvidia.com/gpu: "1"}
    """

    ID = "cloudrun/gpu"
    LEVEL = Level.ERROR

    def check_manifest(self, manifest: Manifest, ctx: CheckContext) -> Iterator[Problem]:
        with_gpu = [c for c in containers(manifest) if c.limit(GPU) is not None]
        if not with_gpu:
            return
        first = with_gpu[0]
        at = (*first.path, "resources", "limits", GPU)
        for other in with_gpu[1:]:
            yield self.problem(
                manifest,
                (*other.path, "resources", "limits", GPU),
                f"containers {first.name} and {other.name} both have a GPU; an instance has "
                "one, attached to one container",
                hint="keep nvidia.com/gpu on the container that uses it",
            )
        pod = pod_path(manifest)
        selector = manifest.get((*pod, "nodeSelector", ACCELERATOR))
        if selector is None:
            yield self.problem(
                manifest,
                at,
                f"container {first.name} has a GPU but the pod spec names no GPU type",
                hint=f"add nodeSelector: {{{ACCELERATOR}: nvidia-l4}} to "
                + ".".join(str(step) for step in pod),
                value=False,
            )
        elif isinstance(selector, str) and selector not in GPU_TYPES and not is_templated(selector):
            yield self.problem(
                manifest,
                (*pod, "nodeSelector", ACCELERATOR),
                f"{selector!r} is not a GPU type Cloud Run offers",
                hint="use one of " + ", ".join(GPU_TYPES),
            )
        # without a (readable) type, the size an L4 needs: gcloud's default GPU
        kind = selector if isinstance(selector, str) else "nvidia-l4"
        needs = GPU_TYPES.get(kind)
        if needs is not None:
            yield from self._size(manifest, first, kind, needs)
        if manifest.is_service:
            throttling = annotations_at(manifest, TEMPLATE_META).get(
                "run.googleapis.com/cpu-throttling"
            )
            if throttling != "false":
                yield self.problem(
                    manifest,
                    at,
                    f"container {first.name} has a GPU, which needs CPU always allocated",
                    hint='set run.googleapis.com/cpu-throttling: "false" in '
                    "spec.template.metadata.annotations",
                    value=False,
                )

    def _size(
        self, manifest: Manifest, container: Container, kind: str, needs: tuple[float, int]
    ) -> Iterator[Problem]:
        cpu_min, memory_min = needs
        limits = (*container.path, "resources", "limits")
        raw_cpu, raw_memory = container.limit("cpu"), container.limit("memory")
        cpu = 1.0 if raw_cpu is None else parse_cpu(raw_cpu)
        memory = 512 * MI if raw_memory is None else parse_memory(raw_memory)
        if cpu is not None and cpu < cpu_min:
            yield self.problem(
                manifest,
                (*limits, "cpu") if raw_cpu is not None else limits,
                f"container {container.name} has {cpu:g} CPU; a {kind} GPU needs at least "
                f"{cpu_min:g}",
                value=raw_cpu is not None,
            )
        if memory is not None and memory < memory_min:
            yield self.problem(
                manifest,
                (*limits, "memory") if raw_memory is not None else limits,
                f"container {container.name} has {format_memory(memory)}; a {kind} GPU needs "
                f"at least {format_memory(memory_min)}",
                value=raw_memory is not None,
            )
