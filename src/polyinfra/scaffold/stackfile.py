"""Add an app's foundation entries to a ``Pulumi.<stack>.yaml``, keeping the rest of the file."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from polyinfra.errors import UserError
from polyinfra.scaffold.triggers import Trigger
from polyinfra.workspace import AppKind
from polyinfra.workspace.bounds import bounds_of
from polyinfra.yamlio import KeyPath, YamlDocument, format_path, read_stack_file
from polyinfra.yamlio.loader import describe
from polyinfra.yamlio.roundtrip import Alias, Editor, Flow

PROJECTS = "input:projects"
CLEANUP_POLICIES = "input:artifact_registry_cleanup_policies"
RUN_INVOKER = "roles/run.invoker"

#: The spec's cleanup policies, used when the stack file does not define them once already.
DEFAULT_CLEANUP_POLICIES: list[dict[str, Any]] = [
    {"action": "DELETE", "id": "delete-prerelease", "condition": {"older_than": "2592000s"}},
    {"action": "KEEP", "id": "keep-minimum-versions", "most_recent_versions": {"keep_count": 10}},
]

_KIND_TITLES: dict[AppKind, str] = {
    "service": "Cloud Run Service",
    "job": "Cloud Run Job",
    "function": "Cloud Run Function",
}


@dataclass(frozen=True)
class Schedule:
    cron: str
    time_zone: str


@dataclass(frozen=True)
class StackFacts:
    """What `add` needs to know from one stack file before it writes anything."""

    path: Path
    text: str
    gcp_project: str
    region: str | None
    service_account_id: str | None  # of the project's existing entry, if any
    document: YamlDocument | None = field(default=None, compare=False, repr=False)


def read_facts(path: Path, key: str) -> StackFacts:
    text, doc = read_stack_file(path, bounds=bounds_of(path))
    config = _config(doc)
    project = config.get("gcp:project")
    if not isinstance(project, str) or not project:
        raise UserError(
            f"{path.name} has no gcp:project",
            position=doc.position(("config",)),
            hint="add `gcp:project: your-gcp-project-id` under config:",
        )
    region = config.get("gcp:region")
    entries = config.get(PROJECTS)
    existing = entries.get(key) if isinstance(entries, dict) else None
    account = None
    if isinstance(existing, dict):
        service_account = existing.get("service_account")
        if isinstance(service_account, dict) and isinstance(service_account.get("account_id"), str):
            account = service_account["account_id"]
    region = region if isinstance(region, str) else None
    return StackFacts(path, text, project, region, account, doc)


def _config(doc: YamlDocument) -> dict[str, Any]:
    """The ``config`` mapping of a document :func:`read_stack_file` accepted."""
    config = doc.get(("config",)) if isinstance(doc.data, dict) else None
    return config if isinstance(config, dict) else {}


def add_app(
    facts: StackFacts,
    *,
    key: str,
    app: str,
    kind: AppKind,
    account_id: str,
    region: str,
    schedule: Schedule | None,
    trigger: Trigger | None = None,
    registry: bool | None = True,
) -> str:
    """The stack file's text with the entries app ``app`` needs under ``input:projects.<key>``:
    service account, IAM roles and Artifact Registry repository (added only where missing),
    ``roles/run.invoker`` on the job (an ``iam`` entry) and a ``cloud_scheduler`` entry for a
    scheduled job, a ``triggers``
    entry for an event function (and its Pub/Sub topic when no entry of the stack declares
    it; a bucket the stack does not declare is marked ``external``).

    ``registry``: True adds everything, False everything but the repository (a services stack
    file, whose platform holds the registries), None only the repository (the platform's)."""
    editor = Editor(facts.text, facts.path, facts.document)
    config = _config(editor.document)
    roles = ["roles/logging.logWriter"]
    sections: dict[str, Any] = {
        "service_account": {
            "account_id": account_id,
            "description": f"Runtime identity of the {app} {_KIND_TITLES[kind]}",
            "display_name": f"{_KIND_TITLES[kind]} {app}",
        },
        "service_account_iam": {"account_id": account_id, "roles": roles},
        "artifact_registry": {
            "repository_id": key,
            "format": "DOCKER",
            "location": region,
            "description": f"Container images of {key}",
            "cleanup_policies": _cleanup_policies(editor, config),
        },
    }
    if registry is None:
        sections = {"artifact_registry": sections["artifact_registry"]}
        schedule = trigger = None
    elif not registry:
        del sections["artifact_registry"]
    scheduler = None
    if schedule is not None:
        scheduler = {
            "name": app,
            "target_job": app,
            "region": region,
            "description": f"Runs the {app} Cloud Run job",
            "schedule": DoubleQuotedScalarString(schedule.cron),
            "time_zone": schedule.time_zone,
        }
        sections["cloud_scheduler"] = [scheduler]
        # the job runs in ``region``: a grant without location would be on the stack's region
        grant_location = region if region != facts.region else None
        # the scheduler runs the job as the project's account: it may run this job only
        sections = {
            **{
                k: v for k, v in sections.items() if k in ("service_account", "service_account_iam")
            },
            "iam": [_invoker_grant(app, grant_location)],
            **sections,
        }

    if trigger is not None:
        sections["triggers"] = [_trigger_entry(app, trigger, config)]
        if trigger.topic is not None and not _declares(config, "pubsub_topics", trigger.topic):
            sections["pubsub_topics"] = [{"name": trigger.topic}]

    projects_path = ("config", PROJECTS)
    if PROJECTS not in config:
        return editor.add_mapping_entry(("config",), PROJECTS, {key: sections}).text
    existing = config[PROJECTS]
    if not isinstance(existing, dict) or key not in existing:
        return editor.add_mapping_entry(projects_path, key, sections).text

    # The project already has entries (another app of the same project): add what is missing.
    entry_path = (*projects_path, key)
    entry = _mapping(editor, entry_path)
    for section in ("service_account", "service_account_iam", "artifact_registry"):
        if section in sections and section not in entry:
            editor = editor.add_mapping_entry(entry_path, section, sections[section])
    if "service_account_iam" not in sections:
        return editor.text
    iam_path = (*entry_path, "service_account_iam")
    if "roles" not in _mapping(editor, iam_path):
        editor = editor.add_mapping_entry(iam_path, "roles", [])
    for role in roles:
        present = editor.document.get((*iam_path, "roles"))
        if not isinstance(present, list) or role not in present:
            # a value that is not a list is reported where it is written
            editor = editor.add_sequence_item((*iam_path, "roles"), role)
    if scheduler is not None:
        grants = entry.get("iam")
        if grants is None:
            editor = editor.add_mapping_entry(entry_path, "iam", sections["iam"])
        elif not isinstance(grants, list) or _invoker_plain(app, grant_location) not in grants:
            # a value that is not a list is reported where it is written
            editor = editor.add_sequence_item((*entry_path, "iam"), sections["iam"][0])
        jobs = entry.get("cloud_scheduler")
        if jobs is None:
            editor = editor.add_mapping_entry(entry_path, "cloud_scheduler", [scheduler])
        elif not isinstance(jobs, list) or not any(
            isinstance(j, dict) and j.get("target_job") == app for j in jobs
        ):
            editor = editor.add_sequence_item((*entry_path, "cloud_scheduler"), scheduler)
    for section in ("pubsub_topics", "triggers"):
        if section not in sections:
            continue
        present = entry.get(section)
        if present is None:
            editor = editor.add_mapping_entry(entry_path, section, sections[section])
        elif not isinstance(present, list) or not any(
            isinstance(item, dict) and item.get("name") == sections[section][0]["name"]
            for item in present
        ):
            editor = editor.add_sequence_item((*entry_path, section), sections[section][0])
    return editor.text


def _invoker_grant(job: str, location: str | None = None) -> dict[str, Any]:
    """The ``iam`` entry that lets the project's account run Cloud Run job ``job`` only (in
    ``location`` when it is not the stack's ``gcp:region``)."""
    return {**_invoker_plain(job, location), "resource": Flow({"job": job})}


def _invoker_plain(job: str, location: str | None = None) -> dict[str, Any]:
    """The invoker grant of ``job`` as it loads."""
    grant: dict[str, Any] = {"role": RUN_INVOKER, "resource": {"job": job}}
    if location is not None:
        grant["location"] = location
    return grant


def _trigger_entry(app: str, trigger: Trigger, config: dict[str, Any]) -> dict[str, Any]:
    """The ``triggers`` item that delivers ``trigger``'s events to function ``app``."""
    entry: dict[str, Any] = {"name": app, "function": app, "event_type": trigger.event_type}
    if trigger.topic is not None:
        entry["topic"] = trigger.topic
    if trigger.bucket is not None:
        entry["bucket"] = trigger.bucket
        if not _declares(config, "cloud_storage", trigger.bucket):
            entry["external"] = True  # bucket names are global: it is made elsewhere
    return entry


def _declares(config: dict[str, Any], section: str, name: str) -> bool:
    """Whether an ``input:projects`` entry declares ``name`` in ``section`` (a list, or one
    mapping for ``cloud_storage``)."""
    entries = config.get(PROJECTS)
    for entry in entries.values() if isinstance(entries, dict) else ():
        items = entry.get(section) if isinstance(entry, dict) else None
        items = [items] if isinstance(items, dict) else items
        for item in items if isinstance(items, list) else ():
            if isinstance(item, dict) and item.get("name") == name:
                return True
    return False


def _mapping(editor: Editor, path: KeyPath) -> dict[str, Any]:
    """The mapping at ``path``; anything else is an error where it is written."""
    value = editor.document.get(path)
    if not isinstance(value, dict):
        raise UserError(
            f"{format_path(path)} must be a mapping, found {describe(value)}",
            position=editor.document.position(path, value=True),
            hint=f"write {format_path(path)} as a mapping, one entry per line",
        )
    return value


def _cleanup_policies(editor: Editor, config: dict[str, Any]) -> Any:
    """An alias to the file's anchored cleanup policies, else a copy of them, else the spec's."""
    if CLEANUP_POLICIES in config:
        anchor = editor.anchor(("config", CLEANUP_POLICIES))
        return Alias(anchor) if anchor else config[CLEANUP_POLICIES]
    return DEFAULT_CLEANUP_POLICIES
