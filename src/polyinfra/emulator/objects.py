"""What the emulator does to a stored object the way Cloud Run does: canonical field values,
server-set annotations and defaults, conditions, selectors, names."""

from __future__ import annotations

import hashlib
import random
import re
import string
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from polyinfra.cloudrun import discovery
from polyinfra.cloudrun.discovery import FieldType
from polyinfra.cloudrun.vocabulary import (
    CLIENT_NAME_ANNOTATION,
    CLIENT_VERSION_ANNOTATION,
)
from polyinfra.emulator.script import (
    Client,
)
from polyinfra.emulator.wire import (
    _COLLECTIONS,
    JsonObject,
)

_INT64 = ("int64", "uint64")


_DECIMAL = re.compile(r"^-?\d+$")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _suffix(length: int) -> str:
    return "".join(random.choices(string.ascii_lowercase + string.digits, k=length))


def derived_project_number(project: str) -> str:
    """A stable 12-digit project number for ``project`` (a project id); a number stays itself."""
    if project.isdigit():
        return project
    digest = int.from_bytes(hashlib.sha256(project.encode()).digest()[:8], "big")
    return str(10**11 + digest % (9 * 10**11))


def _self_link(collection: str, project: str, name: str | None) -> str:
    group_version = _COLLECTIONS[collection][1]
    link = f"/apis/{group_version}/namespaces/{project}/{collection}"
    return f"{link}/{name}" if name else link


def _canonical(value: Any, schema: str) -> Any:
    """``value`` with its integers in the JSON form of their discovery type: an int32 as a
    number, an int64 as a string (the proto3 JSON mapping, which accepts either on input)."""
    return _canonical_field(value, FieldType(type=None, ref=schema))


def _canonical_field(value: Any, spec: FieldType) -> Any:
    if spec.ref is not None:
        if not isinstance(value, dict):
            return value
        properties = discovery.load().properties(spec.ref)
        return {
            key: _canonical_field(item, properties[key]) if key in properties else item
            for key, item in value.items()
        }
    if spec.type == "array" and spec.items is not None and isinstance(value, list):
        return [_canonical_field(item, spec.items) for item in value]
    if spec.type == "object" and spec.values is not None and isinstance(value, dict):
        values = spec.values
        return {key: _canonical_field(item, values) for key, item in value.items()}
    if isinstance(value, bool):
        return value
    if spec.type == "string" and spec.format in _INT64 and isinstance(value, int):
        return str(value)
    if spec.type == "integer" and isinstance(value, str) and _DECIMAL.match(value):
        return int(value)
    return value


def _record_client(metadata: JsonObject, client: Client | None) -> None:
    """Cloud Run's record of the tool behind the last write, in place of what was sent.

    What a client reads back is not all it wrote: the server owns annotations and fills in
    defaults. Terraform's Google provider has to ignore, as "provided by the API", the
    ``serving.knative.dev/creator`` and ``lastModifier`` and ``run.googleapis.com/ingress-status``
    annotations, the template's ``autoscaling.knative.dev/maxScale`` when the configuration has
    none, and the template label ``run.googleapis.com/startupProbeType``
    (GoogleCloudPlatform/magic-modules, mmv1/templates/terraform/constants/cloud_run_service);
    ``run.googleapis.com/operation-id`` changes on every write
    (GoogleCloudPlatform/cloud-foundation-fabric#1436). ``run.googleapis.com/client-name`` and
    ``client-version`` record which tool made the object or cut the revision, so that one can
    tell afterwards (hashicorp/terraform-provider-google#5385, #8814: gcloud records ``gcloud``,
    the console ``cloud-console``, Terraform ``hashicorp-terraform``): they name the last writer,
    not what a manifest once said. The fake records the writer from its ``User-Agent``, which
    makes that visible to a client that sent its own value (a Cloud Run function's manifest
    sends ``cloudfunctions``); a request without a ``User-Agent`` keeps what it sent.
    """
    if client is None:
        return
    annotations = _child(metadata, "annotations")
    annotations[CLIENT_NAME_ANNOTATION] = client.name
    if client.version:
        annotations[CLIENT_VERSION_ANNOTATION] = client.version
    else:
        annotations.pop(CLIENT_VERSION_ANNOTATION, None)


def _child(parent: JsonObject, key: str) -> JsonObject:
    value = parent.get(key)
    if not isinstance(value, dict):
        value = {}
        parent[key] = value
    return value


def _container_defaults(container: JsonObject) -> None:
    resources = _child(container, "resources")
    limits = _child(resources, "limits")
    limits.setdefault("cpu", "1000m")
    limits.setdefault("memory", "512Mi")


def _image_digest(template: JsonObject) -> str:
    """The image of the first container pinned to a digest (a stable stand-in digest when it
    was given by tag; the fake resolves nothing)."""
    containers = (template.get("spec") or {}).get("containers") or [{}]
    image = str(containers[0].get("image", ""))
    if "@sha256:" in image:
        return image
    repository = image.rsplit(":", 1)[0] if ":" in image.rsplit("/", 1)[-1] else image
    return f"{repository}@sha256:{hashlib.sha256(image.encode()).hexdigest()}"


def _selector(selector: str) -> dict[str, str]:
    wanted = {}
    for part in selector.split(","):
        key, sep, value = part.partition("=")
        if sep:
            wanted[key.strip()] = value.lstrip("=").strip()
    return wanted


def _selected(obj: JsonObject, wanted: Mapping[str, str]) -> bool:
    labels = obj["metadata"].get("labels") or {}
    return all(labels.get(k) == v for k, v in wanted.items())


def _page(items: list[JsonObject], query: Mapping[str, str]) -> tuple[list[JsonObject], str]:
    """One page of ``items`` (sorted by name) as a list call's ``limit`` and ``continue``
    ask, and the token of the next page ("" on the last)."""
    after = query.get("continue", "")
    if after:
        items = [item for item in items if str(item["metadata"]["name"]) > after]
    limit = query.get("limit", "")
    if not (limit.isdigit() and 0 < int(limit) < len(items)):
        return items, ""
    page = items[: int(limit)]
    return page, str(page[-1]["metadata"]["name"])


def _list_answer(
    api_version: str, kind: str, collection: str, project: str, page: list[JsonObject], token: str
) -> JsonObject:
    """A list call's answer: ``page`` and, when more follow, ``metadata.continue``."""
    metadata: JsonObject = {"selfLink": _self_link(collection, project, None)}
    if token:
        metadata["continue"] = token
    return {"apiVersion": api_version, "kind": kind, "metadata": metadata, "items": page}


def _set_conditions(status: JsonObject, wanted: list[tuple[str, str, str, str]]) -> None:
    """Set ``status.conditions``; a condition that keeps its status keeps its transition time."""
    before = {c.get("type"): c for c in status.get("conditions") or [] if isinstance(c, dict)}
    conditions = []
    for kind, state, reason, message in wanted:
        old = before.get(kind)
        when = (
            old["lastTransitionTime"]
            if old and old.get("status") == state and old.get("lastTransitionTime")
            else _now()
        )
        conditions.append(_condition(kind, state, reason, message, when))
    status["conditions"] = conditions


def _condition(
    kind: str, status: str, reason: str, message: str, when: str | None = None
) -> JsonObject:
    condition: JsonObject = {
        "type": kind,
        "status": status,
        "lastTransitionTime": when or _now(),
    }
    if reason:
        condition["reason"] = reason
    if message:
        condition["message"] = message
    return condition


def _ready_status(obj: JsonObject) -> str:
    for condition in obj.get("status", {}).get("conditions", []):
        if condition.get("type") == "Ready":
            return str(condition.get("status"))
    return "Unknown"
