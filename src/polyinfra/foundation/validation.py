"""Checks of a valid stack config that need more than one value: referenced files, BigQuery
schemas, cross-references and duplicate resource names. (Each value is checked for its kind by
the model: :mod:`polyinfra.values`.)"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from polyinfra.errors import UserError
from polyinfra.foundation.eventarc import Trigger
from polyinfra.foundation.grant_checks import check_grants
from polyinfra.foundation.model import Findings, StackConfig, display_path
from polyinfra.foundation.naming import make_resource_name
from polyinfra.positions import Position
from polyinfra.suggest import closest
from polyinfra.values import deprecated_role
from polyinfra.yamlio import KeyPath, YamlDocument, format_path, load_text
from polyinfra.yamlio.jsontext import load_json_text
from polyinfra.yamlio.text import read_text

BQ_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,299}")
BQ_TYPES = frozenset(
    {
        "STRING", "BYTES", "INTEGER", "INT64", "FLOAT", "FLOAT64", "NUMERIC", "BIGNUMERIC",
        "DECIMAL", "BIGDECIMAL", "BOOLEAN", "BOOL", "TIMESTAMP", "DATE", "TIME", "DATETIME",
        "GEOGRAPHY", "RECORD", "STRUCT", "JSON", "RANGE", "INTERVAL",
    }
)  # fmt: skip
BQ_MODES = frozenset({"NULLABLE", "REQUIRED", "REPEATED"})
BQ_FIELD_KEYS = (
    "name", "type", "mode", "fields", "description", "policyTags", "maxLength", "precision",
    "scale", "collation", "defaultValueExpression", "roundingMode", "rangeElementType",
    "foreignTypeDefinition", "dataPolicies",
)  # fmt: skip
RUN_INVOKER = "roles/run.invoker"


def check(config: StackConfig, errors: Findings) -> None:
    """Add every semantic problem of ``config`` to ``errors`` (and warnings)."""
    names: dict[str, KeyPath] = {}
    topics = {
        topic.name for project in config.input.projects.values() for topic in project.pubsub_topics
    }
    schemas: set[Path] = set()
    for name in config.input.projects:
        _check_project(config, name, errors, names, topics, schemas)
    _check_triggers(config, errors, names)
    check_grants(config, errors, lambda name, path: _claim(names, name, path, errors))
    _check_monitoring(config, errors, names)
    _check_platform(config, errors, names)
    for path, role in granted_roles(config):
        deprecated = deprecated_role(role)
        if deprecated is not None:
            errors.warn(path, "; ".join(deprecated))
    _check_resources(config, errors, names)


def granted_roles(config: StackConfig) -> Iterator[tuple[KeyPath, str]]:
    """Every role the stack file grants, with its model path: each project's
    ``service_account_iam.roles`` and ``iam`` entries, then the deployer's
    ``workload_identity.deployer.roles``."""
    for name, project in config.input.projects.items():
        if project.service_account_iam is not None:
            for index, role in enumerate(project.service_account_iam.roles):
                yield ("input", "projects", name, "service_account_iam", "roles", index), role
        for index, grant in enumerate(project.iam):
            yield ("input", "projects", name, "iam", index, "role"), grant.role
    if config.input.workload_identity is not None:
        for index, role in enumerate(config.input.workload_identity.deployer.roles):
            yield ("input", "workload_identity", "deployer", "roles", index), role


def _claim(names: dict[str, KeyPath], name: str, path: KeyPath, errors: Findings) -> None:
    """Two resources with one logical name would collide in Pulumi: report the second one."""
    first = names.get(name)
    if first is not None:
        errors.add(
            path,
            f"resource name '{name}' is already used by {display_path(first)}",
            "give one of them a different id",
        )
    else:
        names[name] = path


def _check_project(
    config: StackConfig,
    name: str,
    errors: Findings,
    names: dict[str, KeyPath],
    topics: set[str],
    schemas: set[Path],
) -> None:
    project = config.input.projects[name]
    base: KeyPath = ("input", "projects", name)
    account = project.service_account
    if account is not None:
        path = (*base, "service_account", "account_id")
        _claim(names, make_resource_name("serviceaccount", account.account_id), path, errors)
    iam = project.service_account_iam
    if iam is not None:
        if account is None:
            errors.add((*base, "service_account_iam"), "roles need a service_account to grant")
        elif iam.account_id is not None and iam.account_id != account.account_id:
            errors.add(
                (*base, "service_account_iam", "account_id"),
                f"account_id does not match service_account.account_id '{account.account_id}'",
                f"use '{account.account_id}' or remove the key",
                value=True,
            )
        for index, role in enumerate(iam.roles):
            path = (*base, "service_account_iam", "roles", index)
            if account is not None:
                _claim(
                    names, make_resource_name("iammember", account.account_id, role), path, errors
                )
    registry = project.artifact_registry
    if registry is not None:
        location = registry.location or config.gcp.region
        path = (*base, "artifact_registry")
        if location is None:
            errors.add(path, "no location", "set location here or gcp:region")
        else:
            _claim(
                names,
                make_resource_name("registry", registry.repository_id, location),
                path,
                errors,
            )
    if project.bigquery_dataset is not None:
        path = (*base, "bigquery_dataset", "dataset_id")
        _claim(
            names, make_resource_name("dataset", project.bigquery_dataset.dataset_id), path, errors
        )
    for index, table in enumerate(project.bigquery_tables):
        path = (*base, "bigquery_tables", index)
        dataset = table.dataset_id or (
            project.bigquery_dataset.dataset_id if project.bigquery_dataset else None
        )
        if dataset is None:
            errors.add(path, "no dataset_id", "set dataset_id or declare a bigquery_dataset")
        else:
            _claim(names, make_resource_name("table", dataset, table.table_id), path, errors)
        if table.schema_file is not None:
            schema_path = (*path, "schema_file")
            _check_schema_file(config, table.schema_file, schema_path, errors, schemas)
    for index, bucket in enumerate(project.cloud_storage):
        path = (*base, "cloud_storage", index, "name")
        _claim(names, make_resource_name("bucket", bucket.name), path, errors)
    invoker = bool(iam and RUN_INVOKER in iam.roles)
    region = config.gcp.region
    own_member = (
        f"serviceAccount:{project.service_account.email(config.project)}"
        if project.service_account is not None and config.project
        else None
    )
    invoked = {
        (grant.target.name, (grant.location or grant.target.location or region or "").lower())
        for grant in project.iam
        if grant.member in (None, own_member)
        and grant.role == RUN_INVOKER
        and grant.target.kind == "job"
        if grant.target.in_project(config.project)
    }
    for index, job in enumerate(project.cloud_scheduler):
        _check_scheduler(
            config, job, (*base, "cloud_scheduler", index), errors, account is not None
        )
        _claim(
            names,
            make_resource_name("scheduler", job.name),
            (*base, "cloud_scheduler", index, "name"),
            errors,
        )
        where = (job.target_job, (job.region or region or "").lower())
        if account is not None and not invoker and where not in invoked:
            errors.warn(
                (*base, "cloud_scheduler", index, "target_job"),
                f"service account '{account.account_id}' lacks {RUN_INVOKER} on job "
                f"'{job.target_job}', so the scheduler cannot start it; grant it on the job: "
                f"`iam: [{{role: {RUN_INVOKER}, resource: {{job: {job.target_job}}}}}]`",
            )
    for t_index, topic in enumerate(project.pubsub_topics):
        path = (*base, "pubsub_topics", t_index)
        _claim(names, make_resource_name("topic", topic.name), (*path, "name"), errors)
        for s_index, subscription in enumerate(topic.subscriptions):
            s_path = (*path, "subscriptions", s_index)
            _claim(
                names,
                make_resource_name("subscription", subscription.name),
                (*s_path, "name"),
                errors,
            )
            policy = subscription.args.get("dead_letter_policy") or {}
            target = policy.get("dead_letter_topic")
            if isinstance(target, str) and "/" not in target and target not in topics:
                errors.add(
                    (*s_path, "dead_letter_policy", "dead_letter_topic"),
                    f"dead letter topic '{target}' is not declared in any pubsub_topics",
                    "declare the topic or give its full id projects/<p>/topics/<t>",
                    value=True,
                )
    for index, secret in enumerate(project.secrets):
        path = (*base, "secrets", index, "secret_id")
        _claim(names, make_resource_name("secret", secret.secret_id), path, errors)


def _check_scheduler(
    config: StackConfig, job: Any, path: KeyPath, errors: Findings, has_account: bool
) -> None:
    if job.region is None and config.gcp.region is None:
        errors.add(path, "no region for the scheduler job", "set region here or gcp:region")
    if not has_account:
        errors.add(
            path,
            "a scheduler job needs the project's service_account for its OAuth token",
            "declare service_account in this project",
        )


def _check_triggers(config: StackConfig, errors: Findings, names: dict[str, KeyPath]) -> None:
    buckets = {
        bucket.name: bucket.location
        for project in config.input.projects.values()
        for bucket in project.cloud_storage
    }
    for name, project in config.input.projects.items():
        for index, trigger in enumerate(project.triggers):
            path: KeyPath = ("input", "projects", name, "triggers", index)
            resource = make_resource_name("trigger", trigger.name)
            if resource in names:  # its account would collide too: one report is enough
                _claim(names, resource, (*path, "name"), errors)
                continue
            _claim(names, resource, (*path, "name"), errors)
            account = make_resource_name("serviceaccount", trigger.account_id)
            if account in names:
                errors.add(
                    (*path, "name"),
                    f"the trigger's service account '{trigger.account_id}' is already declared "
                    f"by {display_path(names[account])}",
                    "rename the trigger or the other account",
                )
            names.setdefault(account, (*path, "name"))
            region = trigger.region or config.gcp.region
            if region is None:
                errors.add(path, "no region for the trigger", "set region here or gcp:region")
            elif trigger.bucket in buckets and not trigger.external:
                _check_bucket_location(trigger, buckets[trigger.bucket], region, path, errors)


def _check_bucket_location(
    trigger: Trigger, location: str, region: str, path: KeyPath, errors: Findings
) -> None:
    """A Cloud Storage trigger is in its bucket's location: Eventarc takes a bucket's events
    nowhere else (https://cloud.google.com/eventarc/docs/understand-locations)."""
    from polyinfra.values import regions

    if location.lower() == region.lower():
        return
    if location.lower() in regions():
        hint = f"set `region: {location.lower()}` on the trigger (its function runs there too)"
    else:
        hint = (
            "a trigger has one region, for itself and its function: keep the bucket in a "
            "single region"
        )
    errors.add(
        (*path, "bucket"),
        f"bucket '{trigger.bucket}' is in {location}, but the trigger is in {region}: Eventarc "
        "delivers a bucket's events only to a trigger in the bucket's location",
        hint,
        value=True,
    )


def _check_monitoring(config: StackConfig, errors: Findings, names: dict[str, KeyPath]) -> None:
    monitoring = config.input.monitoring
    if monitoring is None:
        return
    base: KeyPath = ("input", "monitoring")
    for index, metric in enumerate(monitoring.log_based_metrics):
        path = (*base, "log_based_metrics", index)
        _claim(names, make_resource_name("logmetric", metric.name), (*path, "name"), errors)
        descriptor = metric.args.get("metric_descriptor") or {}
        if descriptor.get("value_type") == "DISTRIBUTION":
            for key in ("bucket_options", "value_extractor"):
                if key not in metric.args:
                    errors.add(
                        path,
                        f"a DISTRIBUTION metric needs {key}",
                        f"add {key} (e.g. a shared anchor)",
                    )
    for index, policy in enumerate(monitoring.alert_policies):
        path = (*base, "alert_policies", index, "name")
        _claim(names, make_resource_name("alertpolicy", policy.name), path, errors)
    if monitoring.dashboard is not None:
        path = (*base, "dashboard", "dashboard_json_file")
        document = _read_json_file(config, monitoring.dashboard.dashboard_json_file, path, errors)
        if document is not None and not isinstance(document.data, dict):
            errors.items.append(
                UserError("a dashboard must be a JSON object", position=document.position(()))
            )


def _check_platform(config: StackConfig, errors: Findings, names: dict[str, KeyPath]) -> None:
    """Resource names of the platform sections used twice, and subnets without a region."""
    identity = config.input.workload_identity
    if identity is not None:
        base: KeyPath = ("input", "workload_identity")
        deployer = identity.deployer.account_id
        _claim(
            names,
            make_resource_name("serviceaccount", deployer),
            (*base, "deployer", "account_id"),
            errors,
        )
        for index, role in enumerate(identity.deployer.roles):
            path = (*base, "deployer", "roles", index)
            _claim(names, make_resource_name("iammember", deployer, role), path, errors)
    for n_index, network in enumerate(config.input.networks):
        path = ("input", "networks", n_index)
        _claim(names, make_resource_name("network", network.name), (*path, "name"), errors)
        for s_index, subnet in enumerate(network.subnets):
            s_path = (*path, "subnets", s_index)
            region = subnet.region or config.gcp.region
            if region is None:
                errors.add(s_path, "no region for the subnet", "set region here or gcp:region")
                continue
            resource = make_resource_name("subnetwork", subnet.name, region)
            _claim(names, resource, (*s_path, "name"), errors)
    for index, channel in enumerate(config.input.notification_channels):
        path = ("input", "notification_channels", index, "name")
        _claim(names, make_resource_name("notificationchannel", channel.name), path, errors)


def _check_resources(config: StackConfig, errors: Findings, names: dict[str, KeyPath]) -> None:
    """Resource names of ``input:resources`` that another resource already has (their other
    problems are reported before the model is built)."""
    from polyinfra.foundation.anyresource import parse_type
    from polyinfra.values import InvalidValue

    for name, entry in config.input.resources.items():
        try:
            prefix = parse_type(entry.type).prefix
        except InvalidValue:
            continue  # reported
        _claim(names, make_resource_name(prefix, name), ("input", "resources", name), errors)


def resolve_file(config: StackConfig, relative: str) -> Path:
    """``relative`` inside the Pulumi program folder."""
    return (config.program_dir / relative).resolve()


@dataclass
class JsonFile:
    """A parsed JSON file; positions come from the position-keeping loader, on first need."""

    path: Path
    text: str
    data: Any
    _document: YamlDocument | None = None

    def position(self, where: KeyPath, *, value: bool = False) -> Position:
        if self._document is None:
            # JSON is YAML: the position-keeping loader gives every node's line and column.
            self._document = load_text(self.text, self.path)
        return self._document.position(where, value=value)


def _read_json_file(
    config: StackConfig, relative: str, path: KeyPath, errors: Findings
) -> JsonFile | None:
    """Load a JSON file named in the stack file: inside the program folder, present, valid."""
    folder = config.program_dir.resolve()
    target = resolve_file(config, relative)
    if Path(relative).is_absolute() or not target.is_relative_to(folder):
        errors.add(
            path,
            "the file must be inside the Pulumi program folder",
            f"it resolves to {target}; move it into {folder} and name it by a relative path "
            "(polyinfra reads no file a stack names outside the program folder)",
            value=True,
        )
        return None
    if not target.is_file():
        errors.add(
            path,
            f"file not found: {relative}",
            f"create it (relative to {config.program_dir})",
            value=True,
        )
        return None
    try:
        text = read_text(target, bounds=config.bounds, reference=errors.at(path, value=True))
        data = load_json_text(text, target)
    except UserError as exc:  # not UTF-8, invalid JSON, nested too deep: at its position
        errors.items.append(exc)
        return None
    return JsonFile(target, text, data)


def _check_schema_file(
    config: StackConfig, relative: str, path: KeyPath, errors: Findings, seen: set[Path]
) -> None:
    target = resolve_file(config, relative)
    if target in seen:
        return  # one schema shared by many tables is checked (and reported) once
    seen.add(target)
    document = _read_json_file(config, relative, path, errors)
    if document is None:
        return
    if not isinstance(document.data, list) or not document.data:
        errors.items.append(
            UserError(
                "a BigQuery schema must be a non-empty JSON list of fields",
                position=document.position(()),
                hint='e.g. [{"name": "id", "type": "STRING", "mode": "REQUIRED"}]',
            )
        )
        return
    _check_fields(document, document.data, (), errors)


def _check_fields(document: JsonFile, fields: list[Any], at: KeyPath, errors: Findings) -> None:
    seen: set[str] = set()
    for index, field in enumerate(fields):
        here = (*at, index)

        def problem(
            message: str, hint: str | None = None, where: KeyPath = here, value: bool = False
        ) -> None:
            errors.items.append(
                UserError(
                    f"{format_path(where) or 'schema'}: {message}",
                    position=document.position(where, value=value),
                    hint=hint,
                )
            )

        if not isinstance(field, dict):
            problem("a field must be a JSON object")
            continue
        for key in field:
            if key not in BQ_FIELD_KEYS:
                close = closest(str(key), BQ_FIELD_KEYS)
                problem(
                    f"unknown field property '{key}'",
                    f"did you mean '{close}'?" if close else None,
                    (*here, key),
                )
        name = field.get("name")
        if not isinstance(name, str) or not BQ_FIELD_NAME.fullmatch(name):
            problem("a field needs a name of letters, digits and _ (not starting with a digit)")
        elif name.lower() in seen:
            problem(f"duplicate field name '{name}'", where=(*here, "name"), value=True)
        else:
            seen.add(name.lower())
        kind = field.get("type")
        if not isinstance(kind, str) or kind.upper() not in BQ_TYPES:
            close = closest(str(kind).upper(), sorted(BQ_TYPES)) if isinstance(kind, str) else None
            problem(
                "missing or unknown BigQuery type"
                + (f" '{kind}'" if isinstance(kind, str) else ""),
                f"did you mean '{close}'?" if close else "e.g. STRING, INTEGER, TIMESTAMP, RECORD",
                (*here, "type") if "type" in field else here,
                value="type" in field,
            )
        mode = field.get("mode")
        if mode is not None and (not isinstance(mode, str) or mode.upper() not in BQ_MODES):
            problem(
                "mode must be NULLABLE, REQUIRED or REPEATED", where=(*here, "mode"), value=True
            )
        nested = field.get("fields")
        is_record = isinstance(kind, str) and kind.upper() in ("RECORD", "STRUCT")
        if is_record:
            if not isinstance(nested, list) or not nested:
                problem("a RECORD field needs a non-empty 'fields' list")
            else:
                _check_fields(document, nested, (*here, "fields"), errors)
        elif nested is not None:
            problem("only RECORD fields have 'fields'", where=(*here, "fields"))
