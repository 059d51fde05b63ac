"""What other commands read from a stack file without validating all of it.

``render`` needs a project's Artifact Registry repository and ``deploy`` the stack's region;
``check`` reads the same entries with their positions. An unrelated mistake elsewhere in the
file must not block a render, so these readers take the parsed document as it is (the full
validation is ``load_stack_config``, which ``check`` reports on).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from polyinfra.foundation.naming import registry_url
from polyinfra.positions import Position
from polyinfra.yamlio import KeyPath, YamlDocument

if TYPE_CHECKING:
    from polyinfra.workspace import Workspace
    from polyinfra.yamlio.text import Bounds


@dataclass(frozen=True)
class Registry:
    """An Artifact Registry repository declared under ``input:projects.<project>``."""

    repository_id: str
    location: str
    project: str
    position: Position
    #: where ``location`` is written (None when it defaults to gcp:region)
    location_path: KeyPath | None = None
    #: ``gcp:project`` of the stack file that declares it (the repository's project)
    gcp_project: str | None = None

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


#: registries found per document, by identity (a stack document is read once per version
#: and asked once per app rendered from it)
_REGISTRIES: dict[int, tuple[YamlDocument, tuple[Registry, ...]]] = {}


def registries(document: YamlDocument | None) -> list[Registry]:
    """Every ``artifact_registry`` with a ``repository_id``; the location defaults to
    ``gcp:region`` (empty when neither is set)."""
    if document is None:
        return []
    held = _REGISTRIES.get(id(document))
    if held is not None and held[0] is document:
        return list(held[1])
    found = _registries(document)
    if len(_REGISTRIES) >= 64:
        _REGISTRIES.clear()
    _REGISTRIES[id(document)] = (document, tuple(found))
    return found


def _registries(document: YamlDocument) -> list[Registry]:
    region = gcp_region(document) or ""
    project = gcp_project(document)
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
                gcp_project=project,
            )
        )
    return found


@dataclass(frozen=True)
class StackView:
    """One stack (``sandbox``) as the files of every program say it, without validating them:
    ``documents`` are (program folder name, document or None) in the workspace's program order,
    platform first. A single-program workspace has one.

    A value is read from the last program that states it: services before platform, so a
    services stack file that sets its own ``gcp:region`` wins. A value holding a reference
    counts as unset here (resolving it needs the referenced program's plan; in a provider
    setting it is an error `check` reports).
    """

    stack: str
    documents: tuple[tuple[str, YamlDocument | None], ...]

    def document(self, program: str) -> YamlDocument | None:
        return next((doc for name, doc in self.documents if name == program), None)

    def value(self, key: str, program: str | None = None) -> Any:
        """``config.<key>`` of ``program``, else of the last program that states it."""
        names = [program] if program is not None else [n for n, _ in reversed(self.documents)]
        for name in names:
            value = config_value(self.document(name), key)
            if value is not None and not (isinstance(value, str) and "${" in value):
                return value
        return None

    def gcp_project(self, program: str | None = None) -> str | None:
        value = self.value("gcp:project", program)
        return value if isinstance(value, str) and value else None

    def gcp_region(self, program: str | None = None) -> str | None:
        value = self.value("gcp:region", program)
        return value if isinstance(value, str) and value else None


def read_stack_view(ws: Workspace, stack: str) -> StackView:
    """Stack ``stack`` of every program of ``ws``, read within the workspace's bounds (each file
    read once per version); a program without the stack file has None. A file that is not
    YAML raises its UserError, at the offending line."""
    from polyinfra.workspace.programs import reference_name

    documents: list[tuple[str, YamlDocument | None]] = []
    for program in ws.ordered_programs:
        path = program.stacks.get(stack)
        document = None
        if path is not None:
            stat = path.stat()
            document = _read_stack(path, stat.st_mtime_ns, stat.st_size, ws.bounds)
        documents.append((reference_name(program), document))
    return StackView(stack, tuple(documents))


@functools.lru_cache(maxsize=32)
def _read_stack(path: Path, mtime_ns: int, size: int, bounds: Bounds) -> YamlDocument:
    from polyinfra.yamlio import load_file

    return load_file(path, bounds=bounds)
