"""The typed foundation stack configuration: the models every reader uses, and the mapping
between a model path and where it stands in ``Pulumi.<stack>.yaml``.

A section whose keys are pulumi-gcp argument names (``artifact_registry``, ``cloud_storage``...) is
a *pass-through* model: its own keys (``schema_file``, ``target_job``...) are typed fields, every
other key is checked against the installed provider's ``*Args`` class before the model is built
(:mod:`polyinfra.foundation.keys`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    field_validator,
)

from polyinfra.cloudrun.vocabulary import service_account_email
from polyinfra.errors import UserError, UserErrors
from polyinfra.foundation import argspec
from polyinfra.foundation.anyresource import AnyResource
from polyinfra.foundation.eventarc import Trigger
from polyinfra.foundation.grants import Grant
from polyinfra.foundation.passthrough import PassThrough
from polyinfra.foundation.platform_model import Network, NotificationChannel, WorkloadIdentity
from polyinfra.positions import Position
from polyinfra.values.types import (
    ApiName,
    BucketName,
    CloudRunJobName,
    Labels,
    ProjectNumber,
    Region,
    Role,
    Zone,
)
from polyinfra.yamlio import (
    Bounds,
    KeyPath,
    YamlDocument,
    format_path,
)

#: The config namespaces polyinfra reads and validates. Every other namespace (the Pulumi
#: project's own, where ``pulumi config set key`` writes, and other providers') belongs to the
#: user's program: passed to it untouched, never validated.
NAMESPACES = ("gcp", "input", "label")
#: Top-level keys Pulumi itself writes into a stack file next to ``config``.
PULUMI_STACK_KEYS = ("config", "secretsprovider", "encryptedkey", "encryptionsalt", "environment")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServiceAccount(PassThrough):
    """``service_account``: a ``serviceaccount.Account``."""

    ARGS = argspec.SERVICE_ACCOUNT_ARGS
    account_id: str

    def email(self, gcp_project: str) -> str:
        """The account's email in ``gcp_project``: what a Cloud Run ``serviceAccountName``
        names to run as it.

        >>> ServiceAccount(account_id="dmd-ingest").email("acme-prod")
        'dmd-ingest@acme-prod.iam.gserviceaccount.com'
        """
        return service_account_email(self.account_id, gcp_project)


class ServiceAccountIam(_Model):
    """``service_account_iam``: project roles granted to the project's service account."""

    account_id: str | None = None
    roles: list[Role] = Field(default_factory=list)


class ArtifactRegistry(PassThrough):
    """``artifact_registry``: an ``artifactregistry.Repository``."""

    ARGS = argspec.REPOSITORY_ARGS
    repository_id: str
    format: str
    location: str | None = None


class BigQueryDataset(PassThrough):
    """``bigquery_dataset``: a ``bigquery.Dataset``."""

    ARGS = argspec.DATASET_ARGS
    dataset_id: str
    location: str | None = None


class BigQueryTable(PassThrough):
    """``bigquery_tables[]``: a ``bigquery.Table`` whose schema comes from ``schema_file``."""

    ARGS = argspec.TABLE_ARGS
    SUPPLIED = frozenset({"project", "dataset_id"})  # defaults to the project's dataset
    EXCLUDED = frozenset({"schema"})
    OWN = frozenset({"schema_file"})
    table_id: str
    dataset_id: str | None = None
    schema_file: str | None = None


class Bucket(PassThrough):
    """``cloud_storage``: one ``storage.Bucket`` (a mapping) or several (a list)."""

    ARGS = argspec.BUCKET_ARGS
    name: str
    location: str


class SchedulerJob(PassThrough):
    """``cloud_scheduler[]``: a ``cloudscheduler.Job`` starting the Cloud Run job ``target_job``."""

    ARGS = argspec.SCHEDULER_JOB_ARGS
    EXCLUDED = frozenset({"http_target", "pubsub_target", "app_engine_http_target"})
    OWN = frozenset({"target_job"})
    name: str
    target_job: CloudRunJobName
    schedule: str
    region: str | None = None
    time_zone: str | None = None


class Subscription(PassThrough):
    """``pubsub_topics[].subscriptions[]``: a ``pubsub.Subscription`` of its topic."""

    ARGS = argspec.SUBSCRIPTION_ARGS
    EXCLUDED = frozenset({"topic"})
    name: str


class Topic(PassThrough):
    """``pubsub_topics[]``: a ``pubsub.Topic`` and its subscriptions."""

    ARGS = argspec.TOPIC_ARGS
    OWN = frozenset({"subscriptions"})
    name: str
    subscriptions: list[Subscription] = Field(default_factory=list)


class Secret(PassThrough):
    """``secrets[]``: a ``secretmanager.Secret`` (replication defaults to automatic)."""

    ARGS = argspec.SECRET_ARGS
    SUPPLIED = frozenset({"project", "replication"})
    secret_id: str


class ProjectConfig(_Model):
    """``input:projects.<name>``: the foundation resources of one logical project."""

    service_account: ServiceAccount | None = None
    service_account_iam: ServiceAccountIam | None = None
    iam: list[Grant] = Field(
        default_factory=list,
        description="Roles on one resource each (a secret, a bucket, a Cloud Run job...), for "
        "the project's service account unless a grant names its member.",
    )
    artifact_registry: ArtifactRegistry | None = None
    bigquery_dataset: BigQueryDataset | None = None
    bigquery_tables: list[BigQueryTable] = Field(default_factory=list)
    cloud_storage: list[Bucket] = Field(default_factory=list)
    cloud_scheduler: list[SchedulerJob] = Field(default_factory=list)
    pubsub_topics: list[Topic] = Field(default_factory=list)
    triggers: list[Trigger] = Field(default_factory=list)
    secrets: list[Secret] = Field(default_factory=list)
    apis: list[ApiName] = Field(default_factory=list)

    @field_validator("cloud_storage", mode="before")
    @classmethod
    def _one_bucket(cls, value: Any) -> Any:
        return [value] if isinstance(value, dict) else value


class LogMetric(PassThrough):
    """``input:monitoring.log_based_metrics[]``: a ``logging.Metric``."""

    ARGS = argspec.LOG_METRIC_ARGS
    name: str
    filter: str


class AlertPolicy(PassThrough):
    """``input:monitoring.alert_policies[]``: a ``monitoring.AlertPolicy``; ``name`` is ours.

    ``documentation`` may be markdown text (``documentation: |``, as the spec writes it): it is
    the provider's ``{content: <text>, mime_type: text/markdown}``.
    """

    ARGS = argspec.ALERT_POLICY_ARGS
    SUPPLIED = frozenset({"project", "notification_channels"})
    OWN = frozenset({"name"})
    SHORTHANDS: ClassVar[dict[str, str]] = {
        "documentation": "Markdown text shown in notifications: the same as "
        "{content: <text>, mime_type: text/markdown}."
    }
    name: str

    @classmethod
    def expand(cls, value: dict[str, Any]) -> dict[str, Any]:
        text = value.get("documentation")
        if isinstance(text, str):
            return {**value, "documentation": {"content": text, "mime_type": "text/markdown"}}
        return value


class Dashboard(PassThrough):
    """``input:monitoring.dashboard``: a ``monitoring.Dashboard`` read from a JSON file."""

    ARGS = argspec.DASHBOARD_ARGS
    EXCLUDED = frozenset({"dashboard_json"})
    OWN = frozenset({"dashboard_json_file", "display_name"})
    dashboard_json_file: str
    display_name: str | None = None


class MonitoringConfig(_Model):
    """``input:monitoring``: workspace-level metrics, alerts and the dashboard."""

    notification_channel_id: str | None = None
    log_based_metrics: list[LogMetric] = Field(default_factory=list)
    alert_policies: list[AlertPolicy] = Field(default_factory=list)
    dashboard: Dashboard | None = None


class GcpConfig(_Model):
    """``gcp:``: the provider settings the program reads (others are checked by name only)."""

    model_config = ConfigDict(extra="allow", frozen=True)
    project: str
    region: Region | None = None
    zone: Zone | None = None


class InputConfig(_Model):
    """``input:``: what the foundation program reads."""

    environment: str | None = None
    bucket: BucketName | None = None
    version: str | None = None
    protect: bool | None = Field(
        default=None,
        description="Protect stateful resources (Pulumi protect plus the provider's deletion "
        "protection). Defaults to true when the environment is production.",
    )
    projects: dict[str, ProjectConfig] = Field(default_factory=dict)
    monitoring: MonitoringConfig | None = None
    workload_identity: WorkloadIdentity | None = Field(
        default=None,
        description="Keyless deploys from GitHub Actions: a workload identity pool, its GitHub "
        "provider trusting one repository, and the service account that repository deploys as.",
    )
    networks: list[Network] = Field(
        default_factory=list,
        description="VPC networks and their subnets (e.g. for Cloud Run Direct VPC egress).",
    )
    notification_channels: list[NotificationChannel] = Field(
        default_factory=list,
        description="Cloud Monitoring notification channels; `name` is the key of the channel's "
        "stack output.",
    )
    project_number: ProjectNumber | None = Field(
        default=None,
        description="The project's number (digits). Names the Cloud Scheduler service agent; "
        "when absent it is looked up when the program runs.",
    )
    resources: dict[str, AnyResource] = Field(
        default_factory=dict,
        description="Resources of any pulumi-gcp type, by name: {type: gcp.<module>.<Class>, "
        "args: {...}, depends_on: [names], protect: bool}; a string in args may hold "
        "${resources.<name>.<output>}.",
    )


@dataclass(frozen=True, order=True)
class ConfigWarning:
    """Something valid but probably wrong (the program still runs)."""

    position: Position
    message: str

    def __str__(self) -> str:
        return f"{self.position}: warning: {self.message}"


class StackConfig(_Model):
    """One stack's configuration, validated."""

    stack: str
    gcp: GcpConfig
    input: InputConfig
    labels: Labels = Field(default_factory=dict)
    #: Keys under ``input:`` that only hold YAML anchors for reuse.
    shared_keys: tuple[str, ...] = ()
    file: Path | None = None
    program_dir: Path
    warnings: tuple[ConfigWarning, ...] = ()
    _document: YamlDocument | None = PrivateAttr(default=None)
    _bounds: Bounds | None = PrivateAttr(default=None)

    @property
    def bounds(self) -> Bounds:
        """Where the files the stack names (schemas, the dashboard) may be and how large."""
        return self._bounds or Bounds()

    @property
    def environment(self) -> str:
        """``input:environment``, else the stack name."""
        return self.input.environment or self.stack

    @property
    def protect(self) -> bool:
        """``input:protect``, else whether this is the production environment."""
        if self.input.protect is not None:
            return self.input.protect
        return self.environment == "production"

    @property
    def project(self) -> str:
        """``gcp:project``."""
        return self.gcp.project

    @property
    def document(self) -> YamlDocument | None:
        """The parsed stack file (None when the config came from the Pulumi runtime only)."""
        return self._document

    def position(self, path: KeyPath, *, value: bool = False) -> Position:
        """Where a model path (``("input", "projects", "dmd", ...)``) stands in the stack file."""
        if self._document is None:
            return Position(self.file or Path(f"Pulumi.{self.stack}.yaml"))
        return self._document.position(doc_path(self._document, path), value=value)


# --- paths between the model and the file ----------------------------------------------------


def doc_path(doc: YamlDocument | None, path: KeyPath) -> KeyPath:
    """The file path of model path ``path``: ``("input", "x", ...)`` -> ``("config", "input:x")``.

    A single mapping given where a list is accepted (``cloud_storage``) has no index in the
    file, so such an index is dropped.
    """
    if not path:
        return ("config",)
    head, *rest = path
    namespace = {"gcp": "gcp", "input": "input", "labels": "label"}.get(str(head), str(head))
    if not rest:
        return ("config",)
    result: list[str | int] = ["config", f"{namespace}:{rest[0]}"]
    node = doc.get(tuple(result)) if doc is not None else None
    for step in rest[1:]:
        if isinstance(step, int) and isinstance(node, dict):
            continue
        result.append(step)
        if isinstance(node, dict):
            node = node.get(step)
        elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
            node = node[step]
        else:
            node = None
    return tuple(result)


class Findings:
    """Collects errors for one stack file, each with its position."""

    def __init__(self, doc: YamlDocument | None, file: Path) -> None:
        self.doc = doc
        self.file = file
        self.items: list[UserError] = []
        self.warnings: list[ConfigWarning] = []
        #: A value of the wrong shape or type was found: the model is not safe to read further.
        self.malformed = False
        #: File paths of values already reported, so a key checked both against the provider's
        #: Args and by our own model is reported once (the provider check says more).
        self.reported: set[KeyPath] = set()

    def at(self, path: KeyPath, *, value: bool = False) -> Position:
        if self.doc is None:
            return Position(self.file)
        return self.doc.position(doc_path(self.doc, path), value=value)

    def add(
        self, path: KeyPath, message: str, hint: str | None = None, *, value: bool = False
    ) -> None:
        where = format_path(_display_path(path))
        text = f"{where}: {message}" if where else message
        self.reported.add(doc_path(self.doc, path))
        self.items.append(UserError(text, position=self.at(path, value=value), hint=hint))

    def warn(self, path: KeyPath, message: str) -> None:
        where = format_path(_display_path(path))
        self.warnings.append(ConfigWarning(self.at(path), f"{where}: {message}"))

    def raise_if_any(self) -> None:
        if not self.items:
            return
        unique: dict[str, UserError] = {}
        for error in self.items:
            unique.setdefault(error.render(), error)
        ordered = sorted(unique.values(), key=lambda e: e.position or Position(self.file))
        if len(ordered) == 1:
            raise ordered[0]
        raise UserErrors(ordered)


def display_path(path: KeyPath) -> str:
    """A model path as the user writes it: ``input:projects.dmd.secrets[0]``."""
    return format_path(_display_path(path))


def _display_path(path: KeyPath) -> KeyPath:
    """Model path as the user writes it: ``("input", "projects", ...)`` -> ``input:projects...``."""
    if len(path) < 2:
        return path
    namespace = {"labels": "label"}.get(str(path[0]), str(path[0]))
    return (f"{namespace}:{path[1]}", *path[2:])
