"""The record of a job's previous template: a deploy that replaces a job's version keeps the
template it replaces on the job (Cloud Run keeps no revisions of a job), so that a rollback can
put it back without git."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from polyinfra.cloudrun.vocabulary import SERVER_ANNOTATIONS, SERVER_LABELS
from polyinfra.deploy.apply import stamped_version
from polyinfra.deploy.endpoint import log
from polyinfra.deploy.errors import JsonObject
from polyinfra.deploy.release import deployed_commit

#: The job annotation that records the template a deploy replaced: compact JSON of
#: ``{"version", "commit", "template"}`` (see :func:`record_previous`).
PREVIOUS_TEMPLATE_ANNOTATION = "polyinfra.dev/previous-template"

#: The largest record kept whole. Cloud Run's annotations follow the Kubernetes limits
#: ("This field follows Kubernetes annotations' namespacing, limits, and rules",
#: https://cloud.google.com/run/docs/reference/rest/v2/projects.locations.jobs), and Kubernetes
#: allows 256 KiB for all of an object's annotations together
#: (``TotalAnnotationSizeLimitB`` in k8s.io/apimachinery/pkg/api/validation/objectmeta.go).
#: A record larger than this keeps the version and commit only.
MAX_RECORD_BYTES = 64 * 1024

#: The project's default compute service account, which Cloud Run fills in for a task that
#: names none.
_DEFAULT_ACCOUNT = re.compile(r"^\d+-compute@developer\.gserviceaccount\.com$")


@dataclass(frozen=True)
class PreviousTemplate:
    """What a job ran before its last deploy of a new version. ``template`` is None when it
    was too large to record (the version's commit can still be re-rendered)."""

    version: str
    commit: str
    template: JsonObject | None


def previous_template(obj: JsonObject) -> PreviousTemplate | None:
    """The record :func:`record_previous` left on ``obj``, if any (one that cannot be read
    counts as none)."""
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    text = annotations.get(PREVIOUS_TEMPLATE_ANNOTATION)
    if not text:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        log.debug("%s is not JSON; it is ignored", PREVIOUS_TEMPLATE_ANNOTATION)
        return None
    if not isinstance(data, dict) or not isinstance(data.get("version"), str):
        return None
    template = data.get("template")
    return PreviousTemplate(
        version=data["version"],
        commit=str(data.get("commit") or ""),
        template=template if isinstance(template, dict) else None,
    )


def record_previous(desired: JsonObject, live: JsonObject | None) -> JsonObject:
    """``desired`` with :data:`PREVIOUS_TEMPLATE_ANNOTATION` recording the template ``live``
    runs, when ``desired`` brings another version (an ``adjust`` of
    :func:`~polyinfra.deploy.apply.apply_object`).

    When ``live`` already carries the version ``desired`` brings, the record it holds is kept
    as it is: a redeploy of the same version keeps it, and adjusting against a live object that
    already holds this write gives the same body (a write whose answer was lost is recognised,
    not repeated). A live object without a version stamp is not recorded.
    """
    old = None if live is None else stamped_version(live)
    new = stamped_version(desired)
    if live is None or (old is None and new is not None):
        record = None
    elif old == new:
        record = ((live.get("metadata") or {}).get("annotations") or {}).get(
            PREVIOUS_TEMPLATE_ANNOTATION
        )
    else:
        record = _record(live, desired)
    metadata = desired.get("metadata") or {}
    annotations = metadata.get("annotations") or {}
    if record is None and PREVIOUS_TEMPLATE_ANNOTATION not in annotations:
        return desired
    body = copy.deepcopy(desired)
    changed = dict(annotations)
    changed.pop(PREVIOUS_TEMPLATE_ANNOTATION, None)
    if record is not None:
        changed[PREVIOUS_TEMPLATE_ANNOTATION] = record
    body.setdefault("metadata", {})["annotations"] = changed
    return body


def _record(live: JsonObject, desired: JsonObject) -> str:
    """The compact JSON that records the template ``live`` runs (its version and commit
    only when the template would make it larger than :data:`MAX_RECORD_BYTES`)."""
    version = stamped_version(live) or ""
    commit = deployed_commit(live) or ""
    template = _as_written(
        (live.get("spec") or {}).get("template") or {},
        (desired.get("spec") or {}).get("template") or {},
    )
    text = _compact({"version": version, "commit": commit, "template": template})
    if len(text.encode()) <= MAX_RECORD_BYTES:
        return text
    name = (live.get("metadata") or {}).get("name")
    log.debug(
        "job %s: the template of version %s is %d bytes as JSON, more than %d: only its "
        "version and commit are recorded (a rollback to it re-renders it from git)",
        name,
        version,
        len(text.encode()),
        MAX_RECORD_BYTES,
    )
    return _compact({"version": version, "commit": commit})


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def _as_written(template: JsonObject, manifest: JsonObject) -> JsonObject:
    """A job's execution template as a manifest would have written it, as far as it can be
    told: without what Cloud Run owns or fills in when a manifest leaves it out (the client
    record, and the defaults the Admin API documents in ``run.v1.json``: ``taskCount`` 1,
    ``maxRetries`` 3, ``timeoutSeconds`` 600, the project's default service account, 1 CPU and
    512 MiB), except where ``manifest`` (the template being deployed) sets the same field,
    which a manifest then evidently sets. Leaving out a default changes nothing Cloud Run runs.
    """
    result = copy.deepcopy(template)
    _drop_owned(result.get("metadata"), manifest.get("metadata") or {})
    execution = result.get("spec")
    given = manifest.get("spec") or {}
    if not isinstance(execution, dict):
        return result
    _drop_default(execution, given, "taskCount", lambda v: str(v) == "1")
    task = (execution.get("template") or {}).get("spec")
    given_task = (given.get("template") or {}).get("spec") or {}
    if not isinstance(task, dict):
        return result
    _drop_default(task, given_task, "maxRetries", lambda v: str(v) == "3")
    _drop_default(task, given_task, "timeoutSeconds", lambda v: str(v) == "600")
    _drop_default(
        task, given_task, "serviceAccountName", lambda v: bool(_DEFAULT_ACCOUNT.match(str(v)))
    )
    given_containers = {
        str(c.get("name")): c for c in given_task.get("containers") or [] if isinstance(c, dict)
    }
    for container in task.get("containers") or []:
        if not isinstance(container, dict):
            continue
        resources = container.get("resources")
        limits = resources.get("limits") if isinstance(resources, dict) else None
        if not isinstance(resources, dict) or not isinstance(limits, dict):
            continue
        given_container = given_containers.get(str(container.get("name"))) or {}
        given_limits = (given_container.get("resources") or {}).get("limits") or {}
        _drop_default(limits, given_limits, "cpu", lambda v: str(v) in ("1", "1000m"))
        _drop_default(limits, given_limits, "memory", lambda v: str(v) == "512Mi")
        if not limits:
            resources.pop("limits")
        if not resources:
            container.pop("resources")
    return result


def _drop_owned(metadata: Any, given: Mapping[str, Any]) -> None:
    if not isinstance(metadata, dict):
        return
    for key, owned in (("annotations", SERVER_ANNOTATIONS), ("labels", SERVER_LABELS)):
        values = metadata.get(key)
        if not isinstance(values, dict):
            continue
        kept = given.get(key) or {}
        for name in [n for n in values if n in owned and n not in kept]:
            del values[name]
        if not values:
            del metadata[key]


def _drop_default(
    values: dict[str, Any], given: Mapping[str, Any], key: str, is_default: Callable[[Any], bool]
) -> None:
    if key in values and key not in given and is_default(values[key]):
        del values[key]
