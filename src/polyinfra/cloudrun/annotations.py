"""Which ``run.googleapis.com/*`` and ``autoscaling.knative.dev/*`` annotations Cloud Run
knows, and on which object each is accepted.

The list and the placements are read from the Cloud Run Admin API v1 discovery document
shipped with polyinfra (``ObjectMeta.annotations``: "In Cloud Run, annotations with
'run.googleapis.com/' and 'autoscaling.knative.dev' are restricted, and the accepted
annotations will be different depending on the resource type", followed by one
```key`: Kinds.`` entry per annotation). :data:`DOCUMENTED` adds the annotations and
placements that Cloud Run's YAML reference (https://cloud.google.com/run/docs/reference/yaml/v1),
its jobs documentation and gcloud's revision annotations (``googlecloudsdk/api_lib/run/
revision.py``) use and the API text leaves out;
:data:`SERVER_SET` the ones Cloud Run writes itself, which exported manifests carry.
"""

from __future__ import annotations

import functools
import re

from polyinfra.cloudrun.vocabulary import KNATIVE, RUN
from polyinfra.suggest import closest

#: Prefixes whose annotations Cloud Run restricts to the ones it knows.
RESTRICTED = (RUN, KNATIVE)

#: The objects an annotation can be on: a Service's own metadata, its revision template
#: (``spec.template.metadata``), a Job's own metadata, its execution template.
SERVICE, REVISION, JOB, EXECUTION = "Service", "Revision", "Job", "Execution"
ALL = frozenset({SERVICE, REVISION, JOB, EXECUTION})

#: Documented outside the API's list (YAML reference; gcloud's revision annotations).
DOCUMENTED: dict[str, frozenset[str]] = {
    RUN + "iap-enabled": frozenset({SERVICE}),
    RUN + "function-target": frozenset({SERVICE}),
    RUN + "scaling-cpu-target": frozenset({REVISION}),
    RUN + "scaling-concurrency-target": frozenset({REVISION}),
    RUN + "overflow-scaling": frozenset({REVISION}),
    RUN + "sources": frozenset({REVISION}),
    RUN + "mesh": frozenset({REVISION}),
    RUN + "mesh-dataplane": frozenset({REVISION}),
    RUN + "identity": frozenset({REVISION}),
    RUN + "identity-type": frozenset({REVISION}),
    RUN + "identity-certificate-enabled": frozenset({REVISION}),
    RUN + "linux-base-image-update": frozenset({REVISION}),
    RUN + "ambient-networking": frozenset({REVISION}),
    RUN + "ssh-enabled": frozenset({SERVICE}),
    # multi-container jobs order their containers as services do (Cloud Run's jobs
    # documentation, "Configure containers for jobs": container startup order)
    RUN + "container-dependencies": frozenset({EXECUTION}),
}
#: Written by Cloud Run (or by the client that deployed): exported manifests carry them on
#: any object, and Cloud Run replaces them on every write.
SERVER_SET = frozenset(
    {
        RUN + "ingress-status",
        RUN + "operation-id",
        RUN + "urls",
        RUN + "creator",
        RUN + "lastModifier",
        RUN + "client-version",
        RUN + "satisfiesPzs",
        RUN + "startupProbeType",
        RUN + "lastUpdateTime",
    }
)
#: Names people write for a setting that is not an annotation at all: where it really goes.
NOT_ANNOTATIONS = {
    RUN + "gpu-type": "the node selector run.googleapis.com/accelerator "
    "(spec.template.spec.nodeSelector)",
    RUN + "gpu": "resources.limits nvidia.com/gpu of the container",
    RUN + "accelerator": "the node selector run.googleapis.com/accelerator "
    "(spec.template.spec.nodeSelector)",
    RUN + "cpu": "resources.limits.cpu of the container",
    RUN + "memory": "resources.limits.memory of the container",
    RUN + "max-instances": "autoscaling.knative.dev/maxScale on spec.template.metadata "
    "(or run.googleapis.com/maxScale on the Service)",
    RUN + "min-instances": "autoscaling.knative.dev/minScale on spec.template.metadata "
    "(or run.googleapis.com/minScale on the Service)",
    RUN + "concurrency": "containerConcurrency in spec.template.spec",
    RUN + "timeout": "timeoutSeconds in spec.template.spec",
    RUN + "service-account": "serviceAccountName in spec.template.spec",
    RUN + "vpc-connector": "run.googleapis.com/vpc-access-connector",
    RUN + "region": "the cloud.googleapis.com/location label, or the deploy's --region",
}

_ENTRY = re.compile(r"`((?:run\.googleapis\.com|autoscaling\.knative\.dev)/[^`]+)`: ([^*]+)")
_KIND = {"Service": SERVICE, "Revision": REVISION, "Job": JOB, "Execution": EXECUTION}


@functools.cache
def placements() -> dict[str, frozenset[str]]:
    """Every annotation Cloud Run knows -> the objects it is accepted on (Instance, a kind
    polyinfra does not deploy, is left out)."""
    from polyinfra.cloudrun.discovery import document

    text = str(
        document()["schemas"]["ObjectMeta"]["properties"]["annotations"].get("description", "")
    )
    found: dict[str, frozenset[str]] = {}
    for key, kinds in _ENTRY.findall(text):
        if kinds.strip().startswith("All resources"):
            found[key] = ALL
        else:
            names = (word.strip(" .,") for word in kinds.split(","))
            found[key] = frozenset(_KIND[name] for name in names if name in _KIND)
    for key, kinds in DOCUMENTED.items():
        found[key] = found.get(key, frozenset()) | kinds
    return found


def known(key: str) -> bool:
    """Whether Cloud Run knows the annotation ``key`` (set by users or by itself)."""
    return key in placements() or key in SERVER_SET


def restricted(key: str) -> bool:
    """Whether ``key`` is in a namespace Cloud Run restricts to the annotations it knows."""
    return key.startswith(RESTRICTED)


def closest_known(key: str) -> str | None:
    """The known annotation ``key`` was probably meant to be."""
    return closest(key, placements(), cutoff=0.75)
