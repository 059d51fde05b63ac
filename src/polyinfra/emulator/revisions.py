"""A service's revisions: the one a changed template cuts, its name (the template's own or a
generated one), the Revision object a GET or a list answers for it, and deleting one."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from polyinfra.cloudrun.vocabulary import (
    CLIENT_NAME_ANNOTATION,
    CLIENT_VERSION_ANNOTATION,
    LOCATION_LABEL,
    REVISION_CONFIGURATION_LABEL,
    REVISION_GENERATION_LABEL,
    REVISION_SERVICE_LABEL,
    SERVICE_API,
)
from polyinfra.emulator.objects import (
    _child,
    _list_answer,
    _now,
    _page,
    _record_client,
    _selected,
    _selector,
    _self_link,
    _set_conditions,
    _suffix,
)
from polyinfra.emulator.state import Entry, Versions
from polyinfra.emulator.wire import JsonObject, _ApiError, _invalid


@dataclass
class Revision:
    """One revision of a service: the template it was cut from, and how its rollout ended."""

    name: str
    service: str
    project: str
    region: str
    configuration_generation: int
    template: JsonObject
    uid: str
    created: str
    resource_version: str
    status: JsonObject


class Revisions:
    """Every service's revisions, oldest first, by (project number, service name)."""

    def __init__(self, versions: Versions) -> None:
        self._versions = versions
        self._by_service: dict[tuple[str, str], list[Revision]] = {}

    def names(self, project: str, service: str) -> list[str]:
        """The names of the revisions of ``service``, oldest first."""
        return [revision.name for revision in self._by_service.get((project, service), [])]

    def forget(self, project: str, service: str) -> None:
        """Drop the revisions of a deleted service."""
        self._by_service.pop((project, service), None)

    def find(self, project: str, name: str) -> Revision | None:
        """The revision called ``name`` in ``project``, of whichever service."""
        for (number, _), found in self._by_service.items():
            if number != project:
                continue
            for revision in found:
                if revision.name == name:
                    return revision
        return None

    def owner(self, project: str, name: str) -> str | None:
        """The service revision ``name`` of ``project`` belongs to (None when there is none)."""
        revision = self.find(project, name)
        return None if revision is None else revision.service

    def name_for(self, project: str, service: str, template: JsonObject) -> tuple[str, bool]:
        """The name of the revision ``template`` cuts (the one it gives, checked, or the next
        generated one), and whether that revision exists already with this very template (it
        is used again, nothing is cut; with another template the name is taken: 409, as
        Cloud Run answers "Revision named '...' with different configuration already exists",
        googleapis/google-cloud-python#14259, hashicorp/terraform-provider-google#9438)."""
        revisions = self._by_service.get((project, service), [])
        existing = {r.name: r for r in revisions}
        wanted = (template.get("metadata") or {}).get("name")
        if wanted:
            wanted = str(wanted)
            if not wanted.startswith(f"{service}-"):
                raise _invalid(
                    (
                        "spec.template.metadata.name",
                        f"Revision name {wanted!r} must start with the service name and a "
                        f"hyphen ({service}-).",
                    )
                )
            if wanted in existing:
                if comparable_template(existing[wanted].template) == comparable_template(template):
                    return wanted, True
                raise _ApiError(
                    409,
                    f"Revision named '{wanted}' with different configuration already exists.",
                    status_name="ALREADY_EXISTS",
                )
            return wanted, False
        while True:
            candidate = f"{service}-{len(existing) + 1:05d}-{_suffix(3)}"
            if candidate not in existing:
                return candidate, False

    def reuse(self, entry: Entry, name: str) -> None:
        """Make the existing revision ``name`` the latest created one of the service in
        ``entry`` again (its template was sent once more under its name)."""
        entry.obj["status"]["latestCreatedRevisionName"] = name

    def delete(self, project: str, name: str) -> None:
        """Forget revision ``name`` of ``project``."""
        for key, found in self._by_service.items():
            if key[0] == project:
                found[:] = [revision for revision in found if revision.name != name]

    def cut(self, entry: Entry, name: str, template: JsonObject) -> None:
        """Cut revision ``name`` of the service in ``entry`` from ``template``; it is deploying
        and the service's latest created revision."""
        metadata = entry.obj["metadata"]
        template = copy.deepcopy(template)
        _record_client(_child(template, "metadata"), entry.client)
        revision = Revision(
            name=name,
            service=metadata["name"],
            project=entry.project,
            region=metadata["labels"][LOCATION_LABEL],
            configuration_generation=metadata["generation"],
            template=copy.deepcopy(template),
            uid=str(uuid.uuid4()),
            created=_now(),
            resource_version=self._versions.next(),
            status={"observedGeneration": 1},
        )
        _set_conditions(
            revision.status, [("Ready", "Unknown", "Deploying", f"Deploying revision {name}.")]
        )
        self._by_service.setdefault((entry.project, revision.service), []).append(revision)
        entry.obj["status"]["latestCreatedRevisionName"] = name

    def listing(self, project: str, selector: str, query: Mapping[str, str]) -> JsonObject:
        """A page of the RevisionList of ``project`` whose labels match ``selector``, by name."""
        wanted = _selector(selector)
        items = []
        for (number, _), found in self._by_service.items():
            if number != project:
                continue
            for revision in found:
                item = revision_object(revision)
                if _selected(item, wanted):
                    items.append(item)
        items.sort(key=lambda item: str(item["metadata"]["name"]))
        page, token = _page(items, query)
        return _list_answer(SERVICE_API, "RevisionList", "revisions", project, page, token)


def revision_object(revision: Revision) -> JsonObject:
    """The Revision object a GET answers for ``revision``."""
    template_meta = revision.template.get("metadata") or {}
    labels = dict(template_meta.get("labels") or {})
    labels.update(
        {
            REVISION_SERVICE_LABEL: revision.service,
            REVISION_CONFIGURATION_LABEL: revision.service,
            REVISION_GENERATION_LABEL: str(revision.configuration_generation),
            LOCATION_LABEL: revision.region,
        }
    )
    metadata: JsonObject = {
        "name": revision.name,
        "namespace": revision.project,
        "selfLink": _self_link("revisions", revision.project, revision.name),
        "uid": revision.uid,
        "resourceVersion": revision.resource_version,
        "generation": 1,
        "creationTimestamp": revision.created,
        "labels": labels,
    }
    annotations = dict(template_meta.get("annotations") or {})
    if annotations:
        metadata["annotations"] = annotations
    return {
        "apiVersion": SERVICE_API,
        "kind": "Revision",
        "metadata": metadata,
        "spec": copy.deepcopy(revision.template.get("spec") or {}),
        "status": copy.deepcopy(revision.status),
    }


def comparable_template(template: JsonObject) -> JsonObject:
    """``template`` as it counts for cutting a revision: without the record of the client that
    wrote it, which Cloud Run rewrites on every write (a read-modify-write that sends back
    what a GET answered changes no revision)."""
    compared = copy.deepcopy(template)
    annotations = (compared.get("metadata") or {}).get("annotations")
    if isinstance(annotations, dict):
        for key in (CLIENT_NAME_ANNOTATION, CLIENT_VERSION_ANNOTATION):
            annotations.pop(key, None)
    return compared


def comparable_spec(spec: JsonObject) -> JsonObject:
    """``spec`` with its template as :func:`comparable_template` gives it."""
    compared = dict(spec)
    if isinstance(compared.get("template"), dict):
        compared["template"] = comparable_template(compared["template"])
    return compared
