"""The Cloud Run vocabulary, defined once: the API versions and kinds polyinfra deploys, where
a Service's and a Job's pod spec and templates are, the location label, the labels and
annotations Cloud Run owns, and how a service account's email is made.

Checks, render, deploy and the emulator all read these names from here. The field paths are
the Cloud Run Admin API v1's (``run.v1.json``): a Service's revision template is
``spec.template``; a Job's execution template is ``spec.template`` and its task template
``spec.template.spec.template``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: API group and apiVersion of a Cloud Run Service (Knative serving) and of a Cloud Run Job.
SERVICE_GROUP = "serving.knative.dev"
JOB_GROUP = "run.googleapis.com"
SERVICE_API = f"{SERVICE_GROUP}/v1"
JOB_API = f"{JOB_GROUP}/v1"
#: Labels Cloud Run puts on a Service's revisions: the service, and the configuration and its
#: generation the revision was cut from (``revisions.list`` selects on the first).
REVISION_SERVICE_LABEL = f"{SERVICE_GROUP}/service"
REVISION_CONFIGURATION_LABEL = f"{SERVICE_GROUP}/configuration"
REVISION_GENERATION_LABEL = f"{SERVICE_GROUP}/configurationGeneration"
SERVICE_KIND = "Service"
JOB_KIND = "Job"
#: The (apiVersion, kind) pairs polyinfra deploys.
DEPLOYABLE = frozenset({(SERVICE_API, SERVICE_KIND), (JOB_API, JOB_KIND)})

#: Field paths, as tuples of keys.
TOP_META: tuple[str, ...] = ("metadata",)
TEMPLATE_META: tuple[str, ...] = ("spec", "template", "metadata")  # revision / execution
SERVICE_POD: tuple[str, ...] = ("spec", "template", "spec")  # RevisionSpec
JOB_POD: tuple[str, ...] = ("spec", "template", "spec", "template", "spec")  # TaskSpec

#: What Cloud Run sets in a Service's containers (the container runtime contract,
#: https://cloud.google.com/run/docs/container-contract): ``PORT`` in the ingress container
#: only; the ``K_*`` names in every container.
RESERVED_SERVICE_ENV = ("K_SERVICE", "K_REVISION", "K_CONFIGURATION")
#: ... and in a Job's task containers (no ``PORT``: a task serves no requests).
RESERVED_JOB_ENV = (
    "CLOUD_RUN_JOB",
    "CLOUD_RUN_EXECUTION",
    "CLOUD_RUN_TASK_INDEX",
    "CLOUD_RUN_TASK_ATTEMPT",
    "CLOUD_RUN_TASK_COUNT",
)

#: Annotation namespaces Cloud Run restricts to the annotations it knows.
RUN = "run.googleapis.com/"
KNATIVE = "autoscaling.knative.dev/"
SECRETS_ANNOTATION = RUN + "secrets"

#: Annotations and labels Cloud Run writes on the objects it stores.
CLIENT_NAME_ANNOTATION = RUN + "client-name"
CLIENT_VERSION_ANNOTATION = RUN + "client-version"
OPERATION_ID_ANNOTATION = RUN + "operation-id"
INGRESS_ANNOTATION = RUN + "ingress"
INGRESS_STATUS_ANNOTATION = RUN + "ingress-status"
STARTUP_PROBE_TYPE_LABEL = RUN + "startupProbeType"
#: The label an execution carries with the name of its job.
JOB_LABEL = RUN + "job"

#: The label that says in which region an object runs (Cloud Run fills it in from the
#: region when a manifest has none).
LOCATION_LABEL = "cloud.googleapis.com/location"

#: Cloud Run functions: the template annotation that records what starts the function
#: (``HTTP_TRIGGER``, or the CloudEvent type of an event function), and the environment
#: variables the Functions Framework reads for the function to serve and how to call it.
TRIGGER_TYPE_ANNOTATION = "cloudfunctions.googleapis.com/trigger-type"
HTTP_TRIGGER = "HTTP_TRIGGER"
FUNCTION_TARGET_ENV = "FUNCTION_TARGET"
FUNCTION_SIGNATURE_TYPE_ENV = "FUNCTION_SIGNATURE_TYPE"
#: The signature types the Functions Framework's ``--signature-type`` takes.
SIGNATURE_TYPES = ("http", "event", "cloudevent", "typed")


def signature_type(declared: object, trigger_type: object) -> str:
    """How the Functions Framework calls the function: ``FUNCTION_SIGNATURE_TYPE`` when the
    container sets it, else what the trigger type implies (``http`` for ``HTTP_TRIGGER`` or
    none, ``cloudevent`` for an event type).

    >>> signature_type(None, "google.cloud.pubsub.topic.v1.messagePublished")
    'cloudevent'
    >>> signature_type("typed", HTTP_TRIGGER)
    'typed'
    """
    if isinstance(declared, str) and declared:
        return declared
    return "http" if trigger_type in (None, HTTP_TRIGGER) else "cloudevent"


#: Metadata the server owns and sets on every write.
SERVER_METADATA = ("generation", "resourceVersion", "uid", "creationTimestamp", "selfLink")
#: Annotations Cloud Run owns: it adds them, or rewrites them on every write (the operation id,
#: creator and last modifier, the client that wrote last). Never a difference, not even where
#: a manifest sets one: a Cloud Run function's manifest sets run.googleapis.com/client-name,
#: and what comes back names whichever tool wrote last.
SERVER_ANNOTATIONS = frozenset(
    {
        "serving.knative.dev/creator",
        "serving.knative.dev/lastModifier",
        RUN + "creator",
        RUN + "lastModifier",
        OPERATION_ID_ANNOTATION,
        INGRESS_STATUS_ANNOTATION,
        RUN + "urls",
        "client.knative.dev/user-image",
        CLIENT_NAME_ANNOTATION,
        CLIENT_VERSION_ANNOTATION,
    }
)
#: Annotations Cloud Run fills in with a default when a manifest has none (a revision
#: template's maximum instances): a difference only where the manifest sets one.
MAX_SCALE_ANNOTATION = KNATIVE + "maxScale"
DEFAULTED_ANNOTATIONS = frozenset({MAX_SCALE_ANNOTATION})
#: Labels Cloud Run adds. The location label is filled in from the region when a manifest has
#: none; the others are never a difference.
SERVER_LABELS = frozenset({LOCATION_LABEL, RUN + "satisfiesPzs", STARTUP_PROBE_TYPE_LABEL})
DEFAULTED_LABELS = frozenset({LOCATION_LABEL})


def service_account_email(account_id: str, gcp_project: str) -> str:
    """The email of a user-managed service account.

    >>> service_account_email("dmd-ingest", "acme-prod")
    'dmd-ingest@acme-prod.iam.gserviceaccount.com'
    """
    return f"{account_id}@{gcp_project}.iam.gserviceaccount.com"


def is_job(manifest: Mapping[str, Any]) -> bool:
    """Whether the object (plain data) is a Cloud Run Job."""
    return manifest.get("kind") == JOB_KIND


def pod_path_of(kind: object) -> tuple[str, ...]:
    """Where the pod spec (containers, service account, volumes) of an object of ``kind`` is."""
    return JOB_POD if kind == JOB_KIND else SERVICE_POD


def pod_spec(manifest: Mapping[str, Any]) -> Mapping[str, Any]:
    """The pod spec of a Service or Job given as plain data (empty when it has none)."""
    return CloudRunObject(manifest).pod_spec


def _at(data: object, path: tuple[str, ...]) -> Any:
    node = data
    for key in path:
        node = node.get(key) if isinstance(node, Mapping) else None
    return node


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


@dataclass(frozen=True)
class CloudRunObject:
    """A read-only view of a Kubernetes-style object given as plain data, in Cloud Run's terms:
    each property is None or empty where the object lacks the field or holds the wrong type
    there (a manifest may be anything; the rules report what is wrong).

    >>> job = CloudRunObject({"apiVersion": JOB_API, "kind": "Job", "metadata": {"name": "etl"},
    ...     "spec": {"template": {"spec": {"template": {"spec": {"containers": [{}]}}}}}})
    >>> job.is_job, job.name, len(job.containers)
    (True, 'etl', 1)
    """

    data: Mapping[str, Any]

    @property
    def api_version(self) -> str | None:
        return _text(self.data.get("apiVersion"))

    @property
    def kind(self) -> str | None:
        return _text(self.data.get("kind"))

    @property
    def is_service(self) -> bool:
        return (self.api_version, self.kind) == (SERVICE_API, SERVICE_KIND)

    @property
    def is_job(self) -> bool:
        return (self.api_version, self.kind) == (JOB_API, JOB_KIND)

    @property
    def metadata(self) -> Mapping[str, Any]:
        return _mapping(_at(self.data, TOP_META))

    @property
    def name(self) -> str | None:
        return _text(self.metadata.get("name"))

    @property
    def namespace(self) -> str | None:
        return _text(self.metadata.get("namespace"))

    @property
    def labels(self) -> Mapping[str, Any]:
        return _mapping(self.metadata.get("labels"))

    @property
    def annotations(self) -> Mapping[str, Any]:
        return _mapping(self.metadata.get("annotations"))

    @property
    def location(self) -> str | None:
        """The region the object is in, as Cloud Run labels it."""
        return _text(self.labels.get(LOCATION_LABEL))

    @property
    def template_annotations(self) -> Mapping[str, Any]:
        """Annotations of the revision (Service) or execution (Job) template."""
        return _mapping(_mapping(_at(self.data, TEMPLATE_META)).get("annotations"))

    @property
    def pod_spec(self) -> Mapping[str, Any]:
        return _mapping(_at(self.data, pod_path_of(self.kind)))

    @property
    def containers(self) -> list[Mapping[str, Any]]:
        found = self.pod_spec.get("containers")
        return [c for c in found if isinstance(c, Mapping)] if isinstance(found, list) else []

    @property
    def service_account(self) -> str | None:
        return _text(self.pod_spec.get("serviceAccountName"))
