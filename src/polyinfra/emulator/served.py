"""What a GET answers for a stored object: its spec with the values the server fills in when
they are absent, and the metadata the server owns (the project as a number, ``selfLink``,
creator, last modifier, operation id, ingress status, the client behind the last write)."""

from __future__ import annotations

import copy
from typing import Any

from polyinfra.cloudrun.vocabulary import (
    INGRESS_ANNOTATION,
    INGRESS_STATUS_ANNOTATION,
    JOB_GROUP,
    MAX_SCALE_ANNOTATION,
    OPERATION_ID_ANNOTATION,
    SERVICE_GROUP,
    STARTUP_PROBE_TYPE_LABEL,
)
from polyinfra.emulator.objects import (
    _canonical,
    _child,
    _container_defaults,
    _record_client,
    _self_link,
)
from polyinfra.emulator.state import Entry
from polyinfra.emulator.wire import JsonObject

_DEFAULT_MAX_SCALE = "100"


def spec_defaults(collection: str, spec: Any, project: str) -> JsonObject:
    """``spec`` with the values the server fills in when they are absent (the discovery
    document names these defaults; the revision template's annotation and label are the ones
    Terraform's Google provider has to ignore as provided by the API, see ``_record_client``)."""
    filled: JsonObject = copy.deepcopy(spec) if isinstance(spec, dict) else {}
    account = f"{project}-compute@developer.gserviceaccount.com"
    template = _child(filled, "template")
    if collection == "services":
        template_meta = _child(template, "metadata")
        _child(template_meta, "annotations").setdefault(MAX_SCALE_ANNOTATION, _DEFAULT_MAX_SCALE)
        pod = _child(template, "spec")
        if not any(
            isinstance(c, dict) and c.get("startupProbe") for c in pod.get("containers") or []
        ):
            _child(template_meta, "labels").setdefault(STARTUP_PROBE_TYPE_LABEL, "Default")
        pod.setdefault("containerConcurrency", 80)
        pod.setdefault("timeoutSeconds", 300)
        pod.setdefault("serviceAccountName", account)
        containers = [c for c in pod.get("containers") or [] if isinstance(c, dict)]
        for container in containers:
            _container_defaults(container)
        if len(containers) == 1 and not containers[0].get("ports"):
            containers[0]["ports"] = [{"name": "http1", "containerPort": 8080}]
        if not filled.get("traffic"):
            filled["traffic"] = [{"percent": 100, "latestRevision": True}]
    else:
        execution = _child(template, "spec")
        execution.setdefault("taskCount", 1)
        task = _child(_child(execution, "template"), "spec")
        task.setdefault("maxRetries", 3)
        task.setdefault("timeoutSeconds", "600")
        task.setdefault("serviceAccountName", account)
        for container in task.get("containers") or []:
            if isinstance(container, dict):
                _container_defaults(container)
    canonical: JsonObject = _canonical(
        filled, "ServiceSpec" if collection == "services" else "JobSpec"
    )
    return canonical


def served(entry: Entry) -> JsonObject:
    """What a GET answers: the stored object with the server's fields and defaults."""
    obj = copy.deepcopy(entry.obj)
    if entry.collection == "executions":
        return obj
    metadata = obj["metadata"]
    name = metadata["name"]
    metadata["namespace"] = entry.project
    metadata["selfLink"] = _self_link(entry.collection, entry.project, name)
    annotations = dict(metadata.get("annotations") or {})
    prefix = SERVICE_GROUP if entry.collection == "services" else JOB_GROUP
    annotations[f"{prefix}/creator"] = entry.creator
    annotations[f"{prefix}/lastModifier"] = entry.modifier
    annotations[OPERATION_ID_ANNOTATION] = entry.operation
    if entry.collection == "services":
        annotations[INGRESS_STATUS_ANNOTATION] = annotations.get(INGRESS_ANNOTATION, "all")
    metadata["annotations"] = annotations
    obj["spec"] = spec_defaults(entry.collection, obj.get("spec"), entry.project)
    _record_client(metadata, entry.client)
    _record_client(_child(obj["spec"]["template"], "metadata"), entry.client)
    return obj
