"""What other commands read from a stack file without validating all of it.

``render`` needs a project's Artifact Registry repository and ``deploy`` the stack's region;
``check`` reads the same entries with their positions. An unrelated mistake elsewhere in the
file must not block a render, so these readers take the parsed document as it is (the full
validation is ``load_stack_config``, which ``check`` reports on).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from polyinfra.foundation.naming import registry_url
from polyinfra.positions import Position
from polyinfra.yamlio import KeyPath, YamlDocument


@dataclass(frozen=True)
class Registry:
    """An Artifact Registry repository declared under ``input:projects.<project>``."""

    repository_id: str
    location: str
    project: str
    position: Position
    #: where ``location`` is written (None when it defaults to gcp:region)
    location_path: KeyPath | None = None

    def url(self, gcp_project: str) -> str:
        """``<location>-docker.pkg.dev/<gcp_project>/<repository_id>``, the image prefix.

        >>> Registry("apps", "ASIA-SOUTHEAST1", "api", Position("s.yaml")).url("acme-prod")
        'asia-southeast1-docker.pkg.dev/acme-prod/apps'
        """
        return registry_url(self.location, gcp_project, self.repository_id)


def config_value(document: YamlDocument | None, key: str) -> Any:
    """``config.<key>`` of a stack file (``gcp:project``, ``gcp:region``...), or None; Pulumi's
    older ``<namespace>:config:<name>`` spelling counts too."""
    if document is None:
        return None
    value = document.get(("config", key))
    if value is None and key.count(":") == 1:
        namespace, name = key.split(":")
        value = document.get(("config", f"{namespace}:config:{name}"))
    return value


def gcp_project(document: YamlDocument | None) -> str | None:
    value = config_value(document, "gcp:project")
    return value if isinstance(value, str) and value else None


def gcp_region(document: YamlDocument | None) -> str | None:
    value = config_value(document, "gcp:region")
    return value if isinstance(value, str) and value else None


def projects(document: YamlDocument | None) -> list[tuple[str, dict[str, Any]]]:
    """``input:projects`` entries as (key, section)."""
    entries = config_value(document, "input:projects")
    if not isinstance(entries, dict):
        return []
    return [(str(key), section) for key, section in entries.items() if isinstance(section, dict)]


def registries(document: YamlDocument | None) -> list[Registry]:
    """Every ``artifact_registry`` with a ``repository_id``; the location defaults to
    ``gcp:region`` (empty when neither is set)."""
    if document is None:
        return []
    region = gcp_region(document) or ""
    found: list[Registry] = []
    for key, section in projects(document):
        registry = section.get("artifact_registry")
        if not isinstance(registry, dict) or not isinstance(registry.get("repository_id"), str):
            continue
        where: KeyPath = ("config", "input:projects", key, "artifact_registry")
        found.append(
            Registry(
                repository_id=registry["repository_id"],
                location=str(registry.get("location") or region),
                project=key,
                position=document.position((*where, "repository_id"), value=True),
                location_path=(*where, "location") if registry.get("location") else None,
            )
        )
    return found
