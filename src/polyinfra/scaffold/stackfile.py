"""Add an app's foundation entries to a ``Pulumi.<stack>.yaml``, keeping the rest of the file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from polyinfra.errors import UserError
from polyinfra.positions import Position
from polyinfra.workspace import AppKind
from polyinfra.yamlio import YamlDocument, load_text
from polyinfra.yamlio.roundtrip import Alias, add_mapping_entry, add_sequence_item, anchor_of, parse

PROJECTS = "input:projects"
CLEANUP_POLICIES = "input:artifact_registry_cleanup_policies"

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


def read_facts(path: Path, key: str) -> StackFacts:
    text = path.read_text(encoding="utf-8")
    doc = load_text(text, path)
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
    return StackFacts(path, text, project, region if isinstance(region, str) else None, account)


def _config(doc: YamlDocument) -> dict[str, Any]:
    config = doc.get(("config",)) if isinstance(doc.data, dict) else None
    if not isinstance(config, dict):
        raise UserError(
            f"{doc.path.name} has no `config:` mapping",
            position=doc.position(("config",))
            if isinstance(doc.data, dict)
            else Position(doc.path),
            hint="a Pulumi stack file holds its settings under a top-level `config:` mapping",
        )
    return config


def add_app(
    facts: StackFacts,
    *,
    key: str,
    app: str,
    kind: AppKind,
    account_id: str,
    region: str,
    schedule: Schedule | None,
) -> str:
    """The stack file's text with the entries app ``app`` needs under ``input:projects.<key>``:
    service account, IAM roles and Artifact Registry repository (added only where missing),
    ``roles/run.invoker`` and a ``cloud_scheduler`` entry for a scheduled job."""
    path, text = facts.path, facts.text
    config = _config(load_text(text, path))
    roles = ["roles/logging.logWriter"] + (["roles/run.invoker"] if schedule else [])
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
            "cleanup_policies": _cleanup_policies(text, path, config),
        },
    }
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

    projects_path = ("config", PROJECTS)
    if PROJECTS not in config:
        return add_mapping_entry(text, path, ("config",), PROJECTS, {key: sections})
    existing = config[PROJECTS]
    if not isinstance(existing, dict) or key not in existing:
        return add_mapping_entry(text, path, projects_path, key, sections)

    # The project already has entries (another app of the same project): add what is missing.
    entry_path = (*projects_path, key)
    entry = existing[key]
    if not isinstance(entry, dict):
        raise UserError(
            f"{PROJECTS}.{key} must be a mapping",
            position=load_text(text, path).position(entry_path, value=True),
        )
    for section in ("service_account", "service_account_iam", "artifact_registry"):
        if section not in entry:
            text = add_mapping_entry(text, path, entry_path, section, sections[section])
    iam = load_text(text, path).get((*entry_path, "service_account_iam"))
    if isinstance(iam, dict):
        if "roles" not in iam:
            text = add_mapping_entry(text, path, (*entry_path, "service_account_iam"), "roles", [])
            iam = {"roles": []}
        for role in roles:
            if role not in (iam.get("roles") or []):
                roles_path = (*entry_path, "service_account_iam", "roles")
                text = add_sequence_item(text, path, roles_path, role)
    if scheduler is not None:
        jobs = entry.get("cloud_scheduler")
        if jobs is None:
            text = add_mapping_entry(text, path, entry_path, "cloud_scheduler", [scheduler])
        elif not any(isinstance(j, dict) and j.get("target_job") == app for j in jobs):
            text = add_sequence_item(text, path, (*entry_path, "cloud_scheduler"), scheduler)
    return text


def _cleanup_policies(text: str, path: Path, config: dict[str, Any]) -> Any:
    """An alias to the file's anchored cleanup policies, else a copy of them, else the spec's."""
    if CLEANUP_POLICIES in config:
        anchor = anchor_of(parse(text, path)["config"][CLEANUP_POLICIES])
        return Alias(anchor) if anchor else config[CLEANUP_POLICIES]
    return DEFAULT_CLEANUP_POLICIES
