"""How a change or a job execution plays out: the scripted outcomes, the polls and seconds
before it settles, and the status it settles to (a service's conditions, ready revision,
traffic and URL; a job's readiness; an execution's task counts and the job's record of it)."""

from __future__ import annotations

import time

from polyinfra.cloudrun.vocabulary import JOB_LABEL, LOCATION_LABEL
from polyinfra.emulator.objects import _image_digest, _now, _set_conditions
from polyinfra.emulator.revisions import Revisions
from polyinfra.emulator.script import Outcome
from polyinfra.emulator.served import spec_defaults
from polyinfra.emulator.state import Entry, Objects, Settings
from polyinfra.emulator.traffic import resolved


class Rollouts:
    """The scripted outcomes, by object (or job) name, and the rollouts they end."""

    def __init__(self, settings: Settings, objects: Objects, revisions: Revisions) -> None:
        self._settings = settings
        self._objects = objects
        self._revisions = revisions
        self._outcomes: dict[str, list[Outcome]] = {}

    def script(self, name: str, outcome: Outcome) -> None:
        """Queue ``outcome`` for the next rollout of object ``name`` (or execution of job
        ``name``)."""
        self._outcomes.setdefault(name, []).append(outcome)

    def begin(self, entry: Entry, name: str) -> None:
        """Start a rollout of ``entry`` that ends the way the next outcome scripted for ``name``
        says (settling after ``ready_after`` polls when none is)."""
        queue = self._outcomes.get(name)
        entry.outcome = queue.pop(0) if queue else Outcome(polls=self._settings.ready_after)
        entry.polls_left = entry.outcome.polls
        entry.ready_at = time.monotonic() + self._settings.ready_latency
        entry.settled = False

    def settle_if_due(self, entry: Entry) -> None:
        """Settle a rollout that needs no polls and no time."""
        if entry.settled is False and entry.polls_left <= 0 and self._settings.ready_latency <= 0:
            self.settle(entry, entry.outcome)

    def poll(self, entry: Entry) -> None:
        """Count a GET of ``entry``; its rollout settles once polled enough and due."""
        if not entry.settled:
            entry.polls_left -= 1
            if entry.polls_left <= 0 and time.monotonic() >= entry.ready_at:
                self.settle(entry, entry.outcome)

    def settle(self, entry: Entry, outcome: Outcome) -> None:
        """End the rollout of ``entry`` with ``outcome``."""
        entry.settled = True
        obj = entry.obj
        if entry.collection == "executions":
            self._settle_execution(entry, outcome)
            return
        status = obj.setdefault("status", {})
        status["observedGeneration"] = obj["metadata"]["generation"]
        name = obj["metadata"]["name"]
        if entry.collection == "jobs":
            if outcome.ready:
                _set_conditions(status, [("Ready", "True", "", "")])
            else:
                message = outcome.message or f"Job {name} is not ready."
                _set_conditions(
                    status, [("Ready", "False", outcome.reason or "ContainerMissing", message)]
                )
            status.setdefault("executionCount", 0)
            return
        latest = str(status.get("latestCreatedRevisionName", ""))
        revision = self._revisions.find(entry.project, latest)
        if outcome.ready:
            ready = ("Ready", "True", "", "")
            status["latestReadyRevisionName"] = latest
            if revision is not None:
                _set_conditions(revision.status, [ready])
                revision.status["imageDigest"] = _image_digest(revision.template)
            spec = spec_defaults("services", obj.get("spec"), entry.project)
            region = obj["metadata"]["labels"][LOCATION_LABEL]
            url = f"https://{name}-{entry.project}.{region}.run.app"
            status["traffic"] = resolved(spec.get("traffic") or [], latest, url)
            status["url"] = url
            status["address"] = {"url": url}
        else:
            message = outcome.message or (
                f"Revision '{latest}' is not ready and cannot serve traffic."
            )
            ready = ("Ready", "False", outcome.reason or "RevisionFailed", message)
            if revision is not None:
                _set_conditions(revision.status, [ready])
        serving = status.get("latestReadyRevisionName")
        routes = (
            ("RoutesReady", "True", "", "")
            if serving
            else (
                "RoutesReady",
                "False",
                "RevisionMissing",
                f"Configuration '{name}' does not have any ready Revision.",
            )
        )
        _set_conditions(status, [ready, ("ConfigurationsReady", *ready[1:]), routes])

    def _settle_execution(self, entry: Entry, outcome: Outcome) -> None:
        execution = entry.obj
        task_count = int(execution["spec"].get("taskCount", 1))
        failed = min(outcome.failed_tasks, task_count) if not outcome.ready else 0
        if not outcome.ready and failed == 0:
            failed = task_count
        status = execution["status"]
        status["completionTime"] = _now()
        status["succeededCount"] = task_count - failed
        if failed:
            status["failedCount"] = failed
            message = outcome.message or f"Task {execution['metadata']['name']}-task0 failed."
            completed = ("Completed", "False", outcome.reason or "NonZeroExitCode", message)
        else:
            completed = ("Completed", "True", "", "")
        _set_conditions(status, [completed])
        job_name = execution["metadata"]["labels"].get(JOB_LABEL, "")
        job = self._objects.get(("jobs", entry.project, job_name))
        latest = job.obj.get("status", {}).get("latestCreatedExecution") if job else None
        if isinstance(latest, dict) and latest.get("name") == execution["metadata"]["name"]:
            latest["completionTimestamp"] = status["completionTime"]
            latest["completionStatus"] = "EXECUTION_FAILED" if failed else "EXECUTION_SUCCEEDED"
