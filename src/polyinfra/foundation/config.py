"""Typed foundation stack configuration: the models, and loading them from ``Pulumi.<stack>.yaml``
(offline, with file:line:col for every error) or from the Pulumi runtime config (in the program).

A section whose keys are pulumi-gcp argument names (``artifact_registry``, ``cloud_storage``...) is
a *pass-through* model: its own keys (``schema_file``, ``target_job``...) are typed fields, every
other key is checked against the installed provider's ``*Args`` class before the model is built.
"""

from __future__ import annotations

import importlib.util
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Any, ClassVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from polyinfra import values
from polyinfra.cloudrun.vocabulary import service_account_email
from polyinfra.errors import UserError, UserErrors
from polyinfra.foundation import argspec
from polyinfra.foundation.arguments import ARGUMENT_VALUES
from polyinfra.positions import Position
from polyinfra.suggest import closest
from polyinfra.yamlio import (
    Bounds,
    KeyPath,
    YamlDocument,
    format_path,
    load_file,
    load_text,
    read_stack_file,
    read_text,
    stack_document,
)

#: The config namespaces polyinfra reads and validates. Every other namespace (the Pulumi
#: project's own, where ``pulumi config set key`` writes, and other providers') belongs to the
#: user's program: passed to it untouched, never validated.
NAMESPACES = ("gcp", "input", "label")
#: Top-level keys Pulumi itself writes into a stack file next to ``config``.
PULUMI_STACK_KEYS = ("config", "secretsprovider", "encryptedkey", "encryptionsalt", "environment")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _kind(check: values.Check) -> AfterValidator:
    """``check`` (the one :mod:`polyinfra.values` has for a kind of value) on what the file holds
    in the clear: an encrypted value cannot be read offline."""

    def validate(value: Any) -> Any:
        if isinstance(value, dict):
            check({k: v for k, v in value.items() if v != SECRET_PLACEHOLDER})
        elif value != SECRET_PLACEHOLDER:
            check(value)
        return value

    return AfterValidator(validate)


# Keys of ours that are not pulumi-gcp arguments take these kinds of value (the arguments take
# theirs from ARGUMENT_VALUES).
Region = Annotated[str, _kind(values.region)]
Zone = Annotated[str, _kind(values.zone)]
Role = Annotated[str, _kind(values.role)]
ApiName = Annotated[str, _kind(values.api_name)]
CloudRunJobName = Annotated[str, _kind(values.cloud_run_job_name)]
Labels = Annotated[dict[str, str], _kind(values.labels)]
BucketName = Annotated[str, _kind(values.bucket_name)]


class PassThrough(BaseModel):
    """A section whose extra keys are pulumi-gcp arguments (checked against ``ARGS``)."""

    # Extra keys are allowed here only because ``argspec.check_args`` has already accepted
    # each of them against the provider's own Args class: that check is stricter than a
    # hand-written field list and cannot drift from the installed pulumi-gcp.
    model_config = ConfigDict(extra="allow", frozen=True)

    #: ``"<module>.<ArgsClass>"`` in pulumi_gcp.
    ARGS: ClassVar[str]
    #: Provider arguments the program sets itself, so the user need not.
    SUPPLIED: ClassVar[frozenset[str]] = frozenset({"project"})
    #: Provider arguments the program owns; the user may not set them.
    EXCLUDED: ClassVar[frozenset[str]] = frozenset()
    #: Keys of ours that are not provider arguments.
    OWN: ClassVar[frozenset[str]] = frozenset()
    #: Provider arguments that also take a plain string, written out by :meth:`expand`
    #: (argument -> what the string stands for, for the JSON Schema).
    SHORTHANDS: ClassVar[dict[str, str]] = {}

    @classmethod
    def expand(cls, value: dict[str, Any]) -> dict[str, Any]:
        """``value`` with its shorthand forms (``SHORTHANDS``) written out as the provider takes
        them; other values as they are."""
        return value

    @model_validator(mode="before")
    @classmethod
    def _expand_shorthands(cls, value: Any) -> Any:
        return cls.expand(value) if isinstance(value, dict) else value

    @property
    def args(self) -> dict[str, Any]:
        """The provider arguments of the section: every key except our own (``OWN``)."""
        return self.model_dump(exclude=set(self.OWN), exclude_none=True)


class ServiceAccount(PassThrough):
    """``service_account``: a ``serviceaccount.Account``."""

    ARGS = "serviceaccount.AccountArgs"
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

    ARGS = "artifactregistry.RepositoryArgs"
    repository_id: str
    format: str
    location: str | None = None


class BigQueryDataset(PassThrough):
    """``bigquery_dataset``: a ``bigquery.Dataset``."""

    ARGS = "bigquery.DatasetArgs"
    dataset_id: str
    location: str | None = None


class BigQueryTable(PassThrough):
    """``bigquery_tables[]``: a ``bigquery.Table`` whose schema comes from ``schema_file``."""

    ARGS = "bigquery.TableArgs"
    SUPPLIED = frozenset({"project", "dataset_id"})  # defaults to the project's dataset
    EXCLUDED = frozenset({"schema"})
    OWN = frozenset({"schema_file"})
    table_id: str
    dataset_id: str | None = None
    schema_file: str | None = None


class Bucket(PassThrough):
    """``cloud_storage``: one ``storage.Bucket`` (a mapping) or several (a list)."""

    ARGS = "storage.BucketArgs"
    name: str
    location: str


class SchedulerJob(PassThrough):
    """``cloud_scheduler[]``: a ``cloudscheduler.Job`` starting the Cloud Run job ``target_job``."""

    ARGS = "cloudscheduler.JobArgs"
    EXCLUDED = frozenset({"http_target", "pubsub_target", "app_engine_http_target"})
    OWN = frozenset({"target_job"})
    name: str
    target_job: CloudRunJobName
    schedule: str
    region: str | None = None
    time_zone: str | None = None


class Subscription(PassThrough):
    """``pubsub_topics[].subscriptions[]``: a ``pubsub.Subscription`` of its topic."""

    ARGS = "pubsub.SubscriptionArgs"
    EXCLUDED = frozenset({"topic"})
    name: str


class Topic(PassThrough):
    """``pubsub_topics[]``: a ``pubsub.Topic`` and its subscriptions."""

    ARGS = "pubsub.TopicArgs"
    OWN = frozenset({"subscriptions"})
    name: str
    subscriptions: list[Subscription] = Field(default_factory=list)


class Secret(PassThrough):
    """``secrets[]``: a ``secretmanager.Secret`` (replication defaults to automatic)."""

    ARGS = "secretmanager.SecretArgs"
    SUPPLIED = frozenset({"project", "replication"})
    secret_id: str


class ProjectConfig(_Model):
    """``input:projects.<name>``: the foundation resources of one logical project."""

    service_account: ServiceAccount | None = None
    service_account_iam: ServiceAccountIam | None = None
    artifact_registry: ArtifactRegistry | None = None
    bigquery_dataset: BigQueryDataset | None = None
    bigquery_tables: list[BigQueryTable] = Field(default_factory=list)
    cloud_storage: list[Bucket] = Field(default_factory=list)
    cloud_scheduler: list[SchedulerJob] = Field(default_factory=list)
    pubsub_topics: list[Topic] = Field(default_factory=list)
    secrets: list[Secret] = Field(default_factory=list)
    apis: list[ApiName] = Field(default_factory=list)

    @field_validator("cloud_storage", mode="before")
    @classmethod
    def _one_bucket(cls, value: Any) -> Any:
        return [value] if isinstance(value, dict) else value


class LogMetric(PassThrough):
    """``input:monitoring.log_based_metrics[]``: a ``logging.Metric``."""

    ARGS = "logging.MetricArgs"
    name: str
    filter: str


class AlertPolicy(PassThrough):
    """``input:monitoring.alert_policies[]``: a ``monitoring.AlertPolicy``; ``name`` is ours.

    ``documentation`` may be markdown text (``documentation: |``, as the spec writes it): it is
    the provider's ``{content: <text>, mime_type: text/markdown}``.
    """

    ARGS = "monitoring.AlertPolicyArgs"
    SUPPLIED = frozenset({"project", "notification_channels"})
    OWN = frozenset({"name"})
    SHORTHANDS = {
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

    ARGS = "monitoring.DashboardArgs"
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
        return self._document.position(_doc_path(self._document, path), value=value)


# --- paths between the model and the file ----------------------------------------------------


def _doc_path(doc: YamlDocument | None, path: KeyPath) -> KeyPath:
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
        return self.doc.position(_doc_path(self.doc, path), value=value)

    def add(
        self, path: KeyPath, message: str, hint: str | None = None, *, value: bool = False
    ) -> None:
        where = format_path(_display_path(path))
        text = f"{where}: {message}" if where else message
        self.reported.add(_doc_path(self.doc, path))
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


# --- loading ---------------------------------------------------------------------------------


def stack_file(program_dir: Path, stack: str) -> Path:
    """``<program_dir>/Pulumi.<stack>.yaml``."""
    return program_dir / f"Pulumi.{stack}.yaml"


def stack_name_of(path: Path) -> str:
    """``Pulumi.sandbox.yaml`` -> ``sandbox``."""
    name = path.name
    for suffix in (".yaml", ".yml"):
        if name.startswith("Pulumi.") and name.endswith(suffix):
            return name[len("Pulumi.") : -len(suffix)]
    raise UserError(
        f"{path}: not a Pulumi stack file",
        hint="stack files are named Pulumi.<stack>.yaml, next to Pulumi.yaml",
    )


def load_stack_config(
    path: Path, *, program_dir: Path | None = None, bounds: Bounds | None = None
) -> StackConfig:
    """Load and validate the stack file ``path`` (``.../Pulumi.<stack>.yaml``).

    Every problem is reported at once as :class:`UserErrors`, each with file:line:col, the key
    path and a hint. ``program_dir`` (default: the file's folder) is where ``schema_file`` and
    dashboard files are resolved. ``bounds`` (default: those of the workspace around the
    file) says where the files read may be and how large.
    """
    folder = program_dir or path.parent
    bounds = bounds or _bounds_of(folder)
    # the loader every command reads stack files with
    text, doc = read_stack_file(path, bounds=bounds)
    lines = text.splitlines()
    return _from_document(
        doc, stack_name_of(path), folder, lines, pulumi_project(folder, bounds), bounds
    )


def load_stack_text(
    text: str, path: Path, *, stack: str | None = None, program_dir: Path | None = None
) -> StackConfig:
    """Like :func:`load_stack_config` for stack-file text (e.g. read from a git revision)."""
    doc = stack_document(text, path)
    stack = stack or stack_name_of(path)
    folder = program_dir or path.parent
    bounds = _bounds_of(folder)
    project = pulumi_project(folder, bounds)
    return _from_document(doc, stack, folder, text.splitlines(), project, bounds)


def _bounds_of(folder: Path) -> Bounds:
    from polyinfra.workspace.bounds import bounds_of

    return bounds_of(folder)


def pulumi_project(program_dir: Path, bounds: Bounds | None = None) -> str | None:
    """``name`` in the program's ``Pulumi.yaml`` (None when there is no readable one): the
    namespace ``pulumi config set key`` writes to."""
    for candidate in ("Pulumi.yaml", "Pulumi.yml"):
        path = program_dir / candidate
        if path.is_file():
            try:
                data = load_file(path, bounds=bounds).data
            except UserError:
                return None
            name = data.get("name") if isinstance(data, dict) else None
            return name if isinstance(name, str) else None
    return None


def _from_document(
    doc: YamlDocument,
    stack: str,
    program_dir: Path,
    lines: list[str],
    project: str | None,
    bounds: Bounds,
) -> StackConfig:
    errors = Findings(doc, doc.path)
    data = doc.data
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise UserError(
            f"a stack file must be a mapping, got {argspec.describe(data)}",
            position=doc.position(()),
            hint="start the file with `config:`",
        )
    for key in data:
        if key not in PULUMI_STACK_KEYS:
            close = closest(str(key), PULUMI_STACK_KEYS)
            errors.items.append(
                UserError(
                    f"unknown top-level key '{key}'",
                    position=doc.position((key,)),
                    hint=f"did you mean '{close}'?" if close else "put settings under `config:`",
                )
            )
    config = data.get("config") or {}
    if not isinstance(config, dict):
        raise UserError(
            f"`config` must be a mapping, got {argspec.describe(config)}",
            position=doc.position(("config",), value=True),
        )
    anchored = {key for key in config if _holds_anchor(doc, ("config", key), lines)}
    raw = _split_namespaces(mask_secrets(config), anchored, errors, project)
    return _validate(raw, stack, program_dir, errors, doc, bounds)


#: What an encrypted (``secure:``) value reads as offline: it cannot be decrypted without the
#: stack's secrets provider, and its ciphertext must not travel further.
SECRET_PLACEHOLDER = argspec.SECRET_PLACEHOLDER


def mask_secrets(value: Any) -> Any:
    """``value`` with every encrypted value (``{secure: ...}``, nested ones too) replaced by
    :data:`SECRET_PLACEHOLDER`."""
    if argspec.is_secret(value):
        return SECRET_PLACEHOLDER
    if isinstance(value, dict):
        return {key: mask_secrets(item) for key, item in value.items()}
    if isinstance(value, list):
        return [mask_secrets(item) for item in value]
    return value


def has_secret(value: Any) -> bool:
    """Whether ``value`` is or holds an encrypted value."""
    if argspec.is_secret(value):
        return True
    if isinstance(value, dict):
        return any(has_secret(item) for item in value.values())
    if isinstance(value, list):
        return any(has_secret(item) for item in value)
    return False


def _holds_anchor(doc: YamlDocument, path: KeyPath, lines: list[str]) -> bool:
    """Whether the value at ``path`` carries an anchor (``key: &name ...``)."""
    position = doc.key_positions.get(path)
    if position is None or not position.line or position.line > len(lines):
        return False
    line = lines[position.line - 1]
    return re.match(r"[^:]*:[^:]*:\s*&[^\s]+", line[position.col - 1 :]) is not None


def parse_config_key(key: str) -> tuple[str, str] | None:
    """``<namespace>:<name>`` -> ``(namespace, name)`` the way Pulumi reads a stack-file key,
    its older ``<namespace>:config:<name>`` form too; None for a key Pulumi rejects."""
    parts = key.split(":")
    if len(parts) == 2:
        return parts[0], parts[1]
    if len(parts) == 3 and parts[1] == "config":
        return parts[0], parts[2]
    return None


def misspelt_key(key: str, project: str | None = None) -> str | None:
    """The key polyinfra reads that ``key`` was probably meant to be (``inptu:environment`` ->
    ``input:environment``), or None.

    A key of another namespace goes to the program untouched; it is reported only when its
    namespace is close to one of ours, is not the Pulumi project's own and its name is one
    that namespace reads.
    """
    parsed = parse_config_key(key)
    if parsed is None:
        return None
    namespace, name = parsed
    if namespace in NAMESPACES or namespace == project:
        return None
    close = closest(namespace, NAMESPACES)
    if close == "input" and name in InputConfig.model_fields:
        return f"input:{name}"
    if close == "gcp" and name in provider_config_keys():
        return f"gcp:{name}"
    if close == "label" and re.fullmatch(r"[a-z][a-z0-9_-]{0,62}", name):
        return f"label:{name}"
    return None


def _split_namespaces(
    config: dict[str, Any], anchored: set[str], errors: Findings, project: str | None
) -> dict[str, Any]:
    raw: dict[str, Any] = {"gcp": {}, "input": {}, "labels": {}, "shared_keys": []}
    input_fields = set(InputConfig.model_fields)
    own = f"`{project}:<name>`" if project else "`<project>:<name>` (the name in Pulumi.yaml)"
    written: dict[str, str] = {}  # <namespace>:<name> -> the key as written
    for full_key, value in config.items():
        key = str(full_key)
        doc_path: KeyPath = ("config", full_key)
        position = errors.doc.position(doc_path) if errors.doc else None
        parsed = parse_config_key(key)
        if parsed is None:
            what = "has no namespace" if ":" not in key else "has too many ':'"
            errors.items.append(
                UserError(
                    f"config key '{key}' {what}: Pulumi reads only `<namespace>:<name>` keys",
                    position=position,
                    hint=f"polyinfra reads `input:...`, `gcp:...` and `label:...`; your "
                    f"program's own settings go under {own}, as `pulumi config set` writes them",
                )
            )
            continue
        namespace, name = parsed
        canonical = f"{namespace}:{name}"
        if canonical in written:
            errors.items.append(
                UserError(
                    f"config key '{key}' is '{written[canonical]}' written again: Pulumi "
                    "would keep only one of the two values",
                    position=position,
                    hint=f"keep one of them, spelt '{canonical}'",
                )
            )
            continue
        written[canonical] = key
        if namespace not in NAMESPACES:
            meant = misspelt_key(key, project)
            if meant is not None:
                errors.warnings.append(
                    ConfigWarning(
                        position or Position(errors.file),
                        f"config key '{key}' goes to the program untouched: polyinfra reads "
                        f"only gcp:, input: and label: keys; did you mean '{meant}'?",
                    )
                )
            continue
        if namespace == "gcp":
            raw["gcp"][name] = value
        elif namespace == "label":
            raw["labels"][name] = value
        elif name in input_fields:
            raw["input"][name] = value
        elif key in anchored:
            raw["shared_keys"].append(name)
        else:
            close = closest(name, input_fields)
            errors.items.append(
                UserError(
                    f"unknown key '{key}'",
                    position=position,
                    hint=f"did you mean 'input:{close}'?"
                    if close
                    else "keys under input: are "
                    + ", ".join(sorted(input_fields))
                    + " (or a key that only holds a YAML anchor for reuse); your program's "
                    f"own settings go under {own}",
                )
            )
    return raw


# --- validation ------------------------------------------------------------------------------

_PROJECT_SECTIONS: dict[str, type[PassThrough]] = {
    "service_account": ServiceAccount,
    "artifact_registry": ArtifactRegistry,
    "bigquery_dataset": BigQueryDataset,
    "bigquery_tables": BigQueryTable,
    "cloud_storage": Bucket,
    "cloud_scheduler": SchedulerJob,
    "pubsub_topics": Topic,
    "secrets": Secret,
}
_MONITORING_SECTIONS: dict[str, type[PassThrough]] = {
    "log_based_metrics": LogMetric,
    "alert_policies": AlertPolicy,
    "dashboard": Dashboard,
}


def _validate(
    raw: dict[str, Any],
    stack: str,
    program_dir: Path,
    errors: Findings,
    doc: YamlDocument | None,
    bounds: Bounds,
) -> StackConfig:
    _check_gcp_keys(raw["gcp"], errors)
    _check_pass_through(raw["input"], errors)
    model: StackConfig | None = None
    try:
        model = StackConfig.model_validate(
            {
                "stack": stack,
                "gcp": raw["gcp"],
                "input": raw["input"],
                "labels": raw["labels"],
                "shared_keys": tuple(raw["shared_keys"]),
                "file": errors.file,
                "program_dir": program_dir.resolve(),
            }
        )
    except ValidationError as exc:
        _add_pydantic_errors(exc, errors)
    if model is None or errors.malformed:
        errors.raise_if_any()
    assert model is not None  # values of the wrong kind only: the cross-checks still run
    model._bounds = bounds
    from polyinfra.foundation import validation

    validation.check(model, errors)
    errors.raise_if_any()
    model = model.model_copy(update={"warnings": tuple(sorted(errors.warnings))})
    model._document = doc
    model._bounds = bounds
    return model


def _check_gcp_keys(gcp: dict[str, Any], errors: Findings) -> None:
    known = provider_config_keys()
    for key in gcp:
        if key not in known:
            close = closest(key, known)
            errors.add(
                ("gcp", key),
                "unknown pulumi-gcp provider setting",
                f"did you mean 'gcp:{close}'?" if close else None,
            )


@cache
def provider_config_keys() -> frozenset[str]:
    """Every ``gcp:`` setting the installed pulumi-gcp reads (from its config module source,
    so that pulumi-gcp itself need not be imported)."""
    found = importlib.util.find_spec("pulumi_gcp")
    if found is None or not found.submodule_search_locations:
        return frozenset({"project", "region", "zone"})
    source = Path(next(iter(found.submodule_search_locations))) / "config" / "vars.py"
    names = re.findall(r"__config__\.get\w*\('(\w+)'\)", source.read_text(encoding="utf-8"))
    return frozenset(names) | {"project", "region", "zone"}


def _check_pass_through(input_raw: dict[str, Any], errors: Findings) -> None:
    projects = input_raw.get("projects")
    if isinstance(projects, dict):
        for name, project in projects.items():
            if not isinstance(project, dict):
                continue
            for section, model in _PROJECT_SECTIONS.items():
                if section in project:
                    base: KeyPath = ("input", "projects", name, section)
                    _check_section(project[section], model, base, errors)
    monitoring = input_raw.get("monitoring")
    if isinstance(monitoring, dict):
        for section, model in _MONITORING_SECTIONS.items():
            if section in monitoring:
                base = ("input", "monitoring", section)
                _check_section(monitoring[section], model, base, errors)


def _check_section(value: Any, model: type[PassThrough], base: KeyPath, errors: Findings) -> None:
    if isinstance(value, dict):
        _check_one(value, model, base, errors)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, dict):
                _check_one(item, model, (*base, index), errors)


def _check_one(
    value: dict[str, Any], model: type[PassThrough], base: KeyPath, errors: Findings
) -> None:
    value = model.expand(value)
    own = {key: value[key] for key in value if key in model.OWN}
    provider = {key: value[key] for key in value if key not in model.OWN}
    # Our required fields that are also provider arguments are reported by pydantic.
    ours_required = {
        name for name, field in model.model_fields.items() if field.is_required()
    } - model.OWN
    for issue in argspec.check_args(
        provider,
        model.ARGS,
        supplied=model.SUPPLIED | ours_required | model.EXCLUDED,
        excluded=model.EXCLUDED,
        values=ARGUMENT_VALUES,
    ):
        issue = _with_own(issue, model)
        if len(issue.path) == 1 and issue.path[0] in model.SHORTHANDS:
            # the key also takes a string: say so
            issue = argspec.ArgIssue(
                issue.path,
                issue.message.replace("expected a mapping", "expected a string or a mapping"),
                issue.hint or model.SHORTHANDS[str(issue.path[0])],
                issue.at_key,
            )
        errors.malformed |= not issue.of_value
        errors.add((*base, *issue.path), issue.message, issue.hint, value=not issue.at_key)
    if model is Topic and isinstance(own.get("subscriptions"), list):
        for index, item in enumerate(own["subscriptions"]):
            if isinstance(item, dict):
                _check_one(item, Subscription, (*base, "subscriptions", index), errors)


def _with_own(issue: argspec.ArgIssue, model: type[PassThrough]) -> argspec.ArgIssue:
    """Re-suggest an unknown top-level key among the provider's arguments and our own keys."""
    if len(issue.path) != 1 or not issue.message.startswith("unknown key"):
        return issue
    allowed = [f for f in argspec.field_names(model.ARGS) if f not in model.EXCLUDED]
    return argspec.unknown_key_issue((), str(issue.path[0]), allowed + sorted(model.OWN))


_PYDANTIC_MESSAGES = {
    "string_type": "expected a string",
    "bool_type": "expected a boolean (true/false)",
    "bool_parsing": "expected a boolean (true/false)",
    "int_type": "expected an integer",
    "int_parsing": "expected an integer",
    "list_type": "expected a list",
    "dict_type": "expected a mapping",
    "model_type": "expected a mapping",
    "model_attributes_type": "expected a mapping",
}


def _add_pydantic_errors(exc: ValidationError, errors: Findings) -> None:
    for error in exc.errors(include_input=False, include_url=False):
        loc = tuple(error["loc"])
        kind = error["type"]
        if kind == "missing":
            parent, key = loc[:-1], str(loc[-1])
            errors.add(parent, f"missing required key '{key}'", f"add '{key}'")
        elif kind == "extra_forbidden":
            parent, key = loc[:-1], str(loc[-1])
            errors.add(loc, f"unknown key '{key}'", _did_you_mean(parent, key))
        elif isinstance(invalid := error.get("ctx", {}).get("error"), values.InvalidValue):
            path = (*loc, *invalid.at)
            if _doc_path(errors.doc, path) not in errors.reported:
                errors.add(path, invalid.message, invalid.hint, value=not invalid.at_key)
        elif _doc_path(errors.doc, loc) not in errors.reported:
            message = _PYDANTIC_MESSAGES.get(kind, error["msg"])
            errors.add(loc, message, value=True)


def _did_you_mean(parent: KeyPath, key: str) -> str | None:
    model = _model_at(parent)
    if model is None:
        return None
    choices = list(model.model_fields)
    if issubclass(model, PassThrough):
        choices += argspec.field_names(model.ARGS)
    close = closest(key, choices)
    if close:
        return f"did you mean '{close}'?"
    return "accepted keys: " + ", ".join(sorted(choices))


def _model_at(path: KeyPath) -> type[BaseModel] | None:
    model: type[BaseModel] = StackConfig
    for step in path:
        if isinstance(step, int):
            continue
        field = model.model_fields.get(str(step))
        if field is None:
            if model is InputConfig or model is StackConfig:
                return None
            continue  # a dict key such as the project name
        annotation = field.annotation
        found = _model_in(annotation)
        if found is None:
            return None
        model = found
    return model


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


# --- runtime ---------------------------------------------------------------------------------


def from_pulumi_config(program_dir: Path | None = None) -> StackConfig:
    """The stack configuration as the Pulumi runtime gives it to the program.

    Values come from the engine (so ``-c`` overrides and decrypted secrets count); positions
    for errors come from ``Pulumi.<stack>.yaml`` in the program folder when it exists.
    """
    import pulumi
    from pulumi.runtime.config import CONFIG, get_config_env

    stack = pulumi.get_stack()
    folder = program_dir or Path.cwd()
    file = stack_file(folder, stack)
    bounds = _bounds_of(folder)
    doc: YamlDocument | None = None
    lines: list[str] = []
    if file.exists():
        try:
            text = read_text(file, bounds=bounds)
            doc = load_text(text, file)
            lines = text.splitlines()
        except UserError:
            doc = None
    config: dict[str, Any] = {}
    # The language host hands config over either as PULUMI_CONFIG or through set_all_config.
    for key, text in {**get_config_env(), **CONFIG.get()}.items():
        config[key] = _decode(text)
    if doc is not None:
        anchored = {k for k in config if _holds_anchor(doc, ("config", k), lines)}
    else:
        # Without the file there is no telling anchors from typos: accept extra input: keys.
        anchored = set(config)
    errors = Findings(doc, file)
    raw = _split_namespaces(config, anchored, errors, pulumi.get_project())
    return _validate(raw, stack, folder, errors, doc, bounds)


def _decode(text: Any) -> Any:
    """Pulumi hands structured config to programs as JSON text; scalars stay strings."""
    if isinstance(text, str) and text[:1] in "{[":
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text
