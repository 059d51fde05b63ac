"""Running a job: the execution a run creates (its labels, owner reference, template with the
run's overrides and running status, with a rollout begun), the job's count and record of its
latest execution, the list of a project's executions, and cancelling and deleting one."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Mapping

from polyinfra.cloudrun.vocabulary import JOB_API, JOB_GROUP, JOB_LABEL, LOCATION_LABEL
from polyinfra.emulator.objects import (
    _list_answer,
    _now,
    _page,
    _ready_status,
    _selected,
    _selector,
    _self_link,
    _set_conditions,
    _suffix,
)
from polyinfra.emulator.overrides import apply_overrides
from polyinfra.emulator.rollout import Rollouts
from polyinfra.emulator.served import spec_defaults
from polyinfra.emulator.state import Entry, Objects, Settings, Versions, not_found
from polyinfra.emulator.wire import JsonObject, _ApiError


class Executions:
    """Job runs, stored among the objects as collection ``executions``."""

    def __init__(
        self, settings: Settings, objects: Objects, versions: Versions, rollouts: Rollouts
    ) -> None:
        self._settings = settings
        self._objects = objects
        self._versions = versions
        self._rollouts = rollouts

    def run(self, namespace: str, name: str, request: JsonObject | None = None) -> JsonObject:
        """Start an execution of job ``name``, which must be settled and ready, with the
        overrides of the RunJobRequest ``request`` (:mod:`.overrides`)."""
        number = self._settings.project_number(namespace)
        entry = self._objects.get(("jobs", number, name))
        if entry is None:
            raise not_found("jobs", namespace, name, self._settings.region)
        job_spec = spec_defaults("jobs", entry.obj.get("spec"), number)
        execution_spec = apply_overrides(job_spec["template"].get("spec", {}), request)
        if not entry.settled or _ready_status(entry.obj) != "True":
            raise _ApiError(
                400, f"Job '{name}' is not ready to be executed.", status_name="FAILED_PRECONDITION"
            )
        job = entry.obj
        execution_name = f"{name}-{_suffix(5)}"
        template = job_spec["template"]
        template_meta = template.get("metadata") or {}
        created = _now()
        labels = dict(template_meta.get("labels") or {})
        labels.update({JOB_LABEL: name, LOCATION_LABEL: job["metadata"]["labels"][LOCATION_LABEL]})
        metadata: JsonObject = {
            "name": execution_name,
            "namespace": number,
            "selfLink": _self_link("executions", number, execution_name),
            "uid": str(uuid.uuid4()),
            "resourceVersion": self._versions.next(),
            "generation": 1,
            "creationTimestamp": created,
            "labels": labels,
            "ownerReferences": [
                {
                    "kind": "Job",
                    "name": name,
                    "uid": job["metadata"]["uid"],
                    "apiVersion": JOB_API,
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        }
        if template_meta.get("annotations"):
            metadata["annotations"] = dict(template_meta["annotations"])
        status: JsonObject = {"observedGeneration": 1, "startTime": created}
        _set_conditions(
            status, [("Completed", "Unknown", "Running", f"Execution {execution_name} is running.")]
        )
        execution = {
            "apiVersion": JOB_API,
            "kind": "Execution",
            "metadata": metadata,
            "spec": execution_spec,
            "status": status,
        }
        exec_entry = Entry(obj=execution, collection="executions", project=number)
        self._rollouts.begin(exec_entry, name)
        self._objects[("executions", number, execution_name)] = exec_entry
        job_status = job.setdefault("status", {})
        job_status["executionCount"] = int(job_status.get("executionCount", 0)) + 1
        job_status["latestCreatedExecution"] = {
            "name": execution_name,
            "creationTimestamp": created,
            "completionStatus": "EXECUTION_RUNNING",
        }
        return copy.deepcopy(execution)

    def listing(self, namespace: str, selector: str, query: Mapping[str, str]) -> JsonObject:
        """A page of the ExecutionsList of ``namespace`` whose labels match ``selector``, by
        name."""
        number = self._settings.project_number(namespace)
        wanted = _selector(selector)
        items = []
        for (collection, project, _), entry in self._objects.items():
            if collection != "executions" or project != number:
                continue
            if _selected(entry.obj, wanted):
                items.append(copy.deepcopy(entry.obj))
        items.sort(key=lambda item: str(item["metadata"]["name"]))
        page, token = _page(items, query)
        return _list_answer(JOB_API, "ExecutionsList", "executions", number, page, token)

    def _entry(self, namespace: str, name: str) -> tuple[str, Entry]:
        number = self._settings.project_number(namespace)
        entry = self._objects.get(("executions", number, name))
        if entry is None:
            raise not_found("executions", namespace, name, self._settings.region)
        return number, entry

    def cancel(self, namespace: str, name: str) -> JsonObject:
        """Cancel a running execution: its tasks not done yet count as cancelled and it
        completes with ``Completed=False`` (reason ``Cancelled``). One that has completed
        cannot be cancelled (FAILED_PRECONDITION)."""
        _, entry = self._entry(namespace, name)
        if entry.settled:
            raise _ApiError(
                400,
                f"Execution '{name}' has already completed and cannot be cancelled.",
                status_name="FAILED_PRECONDITION",
            )
        entry.settled = True
        execution = entry.obj
        status = execution["status"]
        status["completionTime"] = _now()
        status["cancelledCount"] = int(execution["spec"].get("taskCount", 1))
        _set_conditions(
            status, [("Completed", "False", "Cancelled", f"Execution {name} was cancelled.")]
        )
        execution["metadata"]["resourceVersion"] = self._versions.next()
        job = self._objects.get(("jobs", entry.project, execution["metadata"]["labels"][JOB_LABEL]))
        latest = job.obj.get("status", {}).get("latestCreatedExecution") if job else None
        if isinstance(latest, dict) and latest.get("name") == name:
            latest["completionTimestamp"] = status["completionTime"]
            latest["completionStatus"] = "EXECUTION_CANCELLED"
        return copy.deepcopy(execution)

    def delete(self, namespace: str, name: str) -> JsonObject:
        """Delete an execution, running or not; the answer is a ``Status``."""
        number, entry = self._entry(namespace, name)
        del self._objects[("executions", number, name)]
        return {
            "status": "Success",
            "details": {
                "name": name,
                "group": JOB_GROUP,
                "kind": "executions",
                "uid": entry.obj["metadata"]["uid"],
            },
        }
