"""One object: replace semantics (get, create or replace), waiting for readiness, job executions."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from polyinfra.deploy.client import CloudRunClient, ObjectRef
from polyinfra.deploy.diff import diff_objects
from polyinfra.deploy.errors import (
    CloudRunError,
    ConflictError,
    DeadlineExceeded,
    JsonObject,
    TransientError,
)
from polyinfra.values import is_label_value

VERSION_ANNOTATION = "polyinfra.dev/version"
VERSION_LABEL = "polyinfra-version"

Progress = Callable[[str], None]


class DeployFailed(Exception):
    """The object did not become ready, or its execution failed; ``str()`` says why."""


class WaitTimeout(DeployFailed):
    """The object was still rolling out when the timeout ran out."""


@dataclass(frozen=True)
class Applied:
    """The result of create-or-replace: what was done and the object the server answered."""

    action: Literal["created", "replaced", "unchanged"]
    obj: JsonObject

    @property
    def generation(self) -> int:
        return int(self.obj.get("metadata", {}).get("generation", 0))


@dataclass(frozen=True)
class Readiness:
    """Where a rollout stands, from one GET."""

    done: bool
    ready: bool
    message: str = ""
    reason: str = ""
    revision: str = ""
    url: str = ""
    #: a ready service's ``status.traffic``: how its requests are routed, tags with their URLs
    traffic: tuple[JsonObject, ...] = ()


def label_safe(value: str) -> bool:
    """True when ``value`` is a valid Google Cloud label value as it is."""
    return is_label_value(value)


def stamp_version(manifest: JsonObject, version: str) -> JsonObject:
    """A copy of ``manifest`` whose revision template carries ``version``.

    The annotation always; the label only when the version is a valid label value. A changed
    template makes Cloud Run cut a new revision even when nothing else changed (e.g. a secret).
    """
    stamped = copy.deepcopy(manifest)
    template = stamped.setdefault("spec", {}).setdefault("template", {})
    metadata = template.setdefault("metadata", {})
    annotations = metadata.get("annotations") or {}
    annotations[VERSION_ANNOTATION] = version
    metadata["annotations"] = annotations
    if label_safe(version):
        labels = metadata.get("labels") or {}
        labels[VERSION_LABEL] = version
        metadata["labels"] = labels
    return stamped


def matches(live: JsonObject, desired: JsonObject) -> bool:
    """True when ``live`` already holds everything ``desired`` says."""
    return not diff_objects(live, desired)


def stamped_version(obj: JsonObject) -> str | None:
    """The version stamped on ``obj``'s revision template (:func:`stamp_version`), if any."""
    template = (obj.get("spec") or {}).get("template") or {}
    annotations = (template.get("metadata") or {}).get("annotations") or {}
    value = annotations.get(VERSION_ANNOTATION)
    return None if value is None else str(value)


def _generation(obj: JsonObject) -> int:
    return int((obj.get("metadata") or {}).get("generation") or 0)


def _resource_version(obj: JsonObject) -> str:
    return str((obj.get("metadata") or {}).get("resourceVersion") or "")


def written_by_us(live: JsonObject, desired: JsonObject, before: JsonObject | None) -> bool:
    """Whether ``live`` is what our write of ``desired`` made (of ``before``; None for a
    create), read after the answer to that write was lost.

    Told by what polyinfra stamps and by what a write does to the generation, not by comparing
    whole objects: Cloud Run rewrites annotations it owns and fills in defaults, so the object
    read back never equals the one sent. Ours when the revision template carries the version
    this deploy stamped and the generation is the one the write gave: 1 for a create, one more
    than before for a replace that brought a new version (a new stamp is a new template, so a
    new spec). When the stamp cannot tell (the manifest has none, or this version was already
    live), the generation (the same or one more) and the fields sent, outside what the server
    owns, decide.
    """
    version = stamped_version(desired)
    if version is not None and stamped_version(live) != version:
        return False
    generation = _generation(live)
    if before is None:
        return generation == 1 and (version is not None or matches(live, desired))
    if version is not None and stamped_version(before) != version:
        return generation == _generation(before) + 1
    return generation in (_generation(before), _generation(before) + 1) and matches(live, desired)


#: Makes the object to write from the desired one and the live one (None when there is none):
#: what a write keeps of the live object (traffic, a record of the previous template).
Adjust = Callable[[JsonObject, "JsonObject | None"], JsonObject]


def apply_object(
    client: CloudRunClient,
    ref: ObjectRef,
    desired: JsonObject,
    *,
    dry_run: bool = False,
    adjust: Adjust | None = None,
) -> Applied:
    """Create ``ref`` from ``desired`` or replace it, like ``gcloud run … replace``.

    A replace carries the live ``resourceVersion``, so a concurrent change answers 409 and is
    reported, never overwritten. When a write's outcome is unknown (connection lost, 5xx, 429)
    the object is read again before anything is re-sent: a create is never repeated blindly,
    and the object read back is recognised as our write by :func:`written_by_us`.
    A live object that already holds everything ``desired`` says is left alone (``unchanged``).
    ``adjust``, when given, makes the object to write from ``desired`` and each live object
    read (so a retry after a lost answer adjusts to what is live then).
    """
    original = desired
    lost = False
    # The object the write whose answer was lost was sent against (None: it was a create).
    before: JsonObject | None = None

    def attempt() -> Applied:
        nonlocal lost, before, desired
        live = client.get(ref)
        if adjust is not None:
            desired = adjust(original, live)
        if lost and live is not None:
            if before is not None and _resource_version(live) == _resource_version(before):
                pass  # the replace did not land: send it again
            elif written_by_us(live, desired, before):
                client.unconfirmed_write = ""
                return Applied("created" if before is None else "replaced", live)
            else:
                found = stamped_version(live)
                stamp = f"version {found}" if found is not None else "no polyinfra version"
                raise ConflictError(
                    f"{ref} was changed by someone else while this deploy was writing it (it "
                    f"now has {stamp}, generation {_generation(live)}); nothing was "
                    "overwritten. Check who else deploys it, then run the deploy again",
                    status=409,
                )
        elif not lost and live is not None and not dry_run and matches(live, desired):
            return Applied("unchanged", live)
        if lost:
            client.unconfirmed_write = ""  # read back: it did not land
        body = copy.deepcopy(desired)
        body.pop("status", None)
        try:
            if live is None:
                before = None
                return Applied("created", client.create(ref, body, dry_run=dry_run))
            before = live
            body.setdefault("metadata", {})["resourceVersion"] = _resource_version(live)
            return Applied("replaced", client.replace(ref, body, dry_run=dry_run))
        except TransientError:
            lost = True
            raise
        except ConflictError as exc:
            what = "created" if live is None else "changed"
            raise ConflictError(
                f"{ref} was {what} by someone else meanwhile (HTTP 409); nothing was "
                "overwritten. Run the deploy again to apply on top of the current version",
                status=409,
            ) from exc

    # A dry run is never repeated: its error is the answer.
    return client.retry.run(attempt, client.pause, retryable=lambda _: not dry_run)


def _condition(obj: JsonObject, kind: str) -> dict[str, Any] | None:
    for condition in obj.get("status", {}).get("conditions", []) or []:
        if condition.get("type") == kind:
            return dict(condition)
    return None


def readiness(obj: JsonObject, ref: ObjectRef, generation: int) -> Readiness:
    """Read one GET: conditions count only once ``observedGeneration`` reaches ``generation``."""
    status = obj.get("status", {}) or {}
    observed = int(status.get("observedGeneration") or 0)
    if observed < generation:
        return Readiness(False, False, f"waiting for generation {generation}")
    ready = _condition(obj, "Ready")
    state = str(ready.get("status", "Unknown")) if ready else "Unknown"
    message = str(ready.get("message", "")) if ready else ""
    reason = str(ready.get("reason", "")) if ready else ""
    if state == "False":
        return Readiness(True, False, message or "Ready=False without a message", reason)
    if state == "True":
        if ref.kind == "Service":
            created = status.get("latestCreatedRevisionName")
            latest = status.get("latestReadyRevisionName")
            if created and created != latest:
                return Readiness(False, False, f"revision {created} is not ready yet")
            url = str(status.get("url") or (status.get("address") or {}).get("url") or "")
            routed = tuple(t for t in status.get("traffic") or () if isinstance(t, dict))
            return Readiness(True, True, revision=str(latest or ""), url=url, traffic=routed)
        return Readiness(True, True, revision=ref.name)
    return Readiness(False, False, message or "deploying", reason)


def wait_ready(
    client: CloudRunClient,
    ref: ObjectRef,
    generation: int,
    *,
    timeout: float,
    poll: float = 1.0,
    first_poll: float = 0.2,
    progress: Progress | None = None,
    budget: float | None = None,
) -> Readiness:
    """Poll until ``ref`` settles at ``generation`` within ``timeout`` seconds; raise
    DeployFailed or WaitTimeout (which names ``budget``, the seconds the whole deploy of the
    app was given, when the wait is its remainder)."""
    pacer = client.pacer
    deadline = pacer.clock() + timeout
    delay = first_poll
    last = f"waiting for generation {generation}"

    def timed_out() -> WaitTimeout:
        return WaitTimeout(
            f"not ready after {budget or timeout:g}s (last state: {last}); it may still "
            "finish — check the Cloud Run console, or raise --timeout"
        )

    while True:
        try:
            live = client.get(ref)
        except DeadlineExceeded as exc:
            raise timed_out() from exc
        if live is None:
            raise DeployFailed(f"{ref} disappeared while waiting for it to become ready")
        state = readiness(live, ref, generation)
        if state.done:
            if not state.ready:
                reason = f" (reason: {state.reason})" if state.reason else ""
                raise DeployFailed(f"Ready=False: {state.message}{reason}")
            return state
        last = state.message
        if progress is not None:
            progress(state.message)
        remaining = deadline - pacer.clock()
        if remaining <= 0:
            raise timed_out()
        pacer.sleep(min(delay, remaining))
        delay = min(delay * 2, poll)


@dataclass(frozen=True)
class ExecutionResult:
    name: str
    succeeded: int
    failed: int
    message: str


def _latest_execution(client: CloudRunClient, ref: ObjectRef) -> str:
    job = client.get(ref)
    if job is None:
        raise DeployFailed(f"{ref} disappeared before it could be executed")
    latest = (job.get("status", {}) or {}).get("latestCreatedExecution") or {}
    return str(latest.get("name", ""))


def start_execution(
    client: CloudRunClient, ref: ObjectRef, overrides: JsonObject | None = None
) -> JsonObject:
    """Start one execution of the job, with the run's ``overrides`` (the API's ``Overrides``)
    when given; never two.

    When the answer to ``:run`` is lost, the job's latest execution tells whether the run
    started; it is only sent again when it did not.
    """
    before = _latest_execution(client, ref)

    def attempt() -> JsonObject:
        try:
            return client.run_job(ref, overrides)
        except TransientError:
            latest = _latest_execution(client, ref)
            if latest and latest != before:
                return client.get_execution(ref.namespace, latest)
            raise

    return client.retry.run(attempt, client.pause)


def execute_job(
    client: CloudRunClient,
    ref: ObjectRef,
    *,
    timeout: float,
    poll: float = 1.0,
    first_poll: float = 0.2,
    progress: Progress | None = None,
    overrides: JsonObject | None = None,
) -> ExecutionResult:
    """Run the job once (with ``overrides``, see :func:`start_execution`) and wait for the
    execution; DeployFailed names the failed tasks."""
    execution = start_execution(client, ref, overrides)
    name = str(execution["metadata"]["name"])
    pacer = client.pacer
    deadline = pacer.clock() + timeout
    delay = first_poll
    while True:
        completed = _condition(execution, "Completed")
        state = str(completed.get("status", "Unknown")) if completed else "Unknown"
        status = execution.get("status", {}) or {}
        succeeded = int(status.get("succeededCount") or 0)
        failed = int(status.get("failedCount") or 0)
        if state in ("True", "False"):
            message = str(completed.get("message", "")) if completed else ""
            if state == "False" or failed:
                total = int(execution.get("spec", {}).get("taskCount") or succeeded + failed)
                detail = f": {message}" if message else ""
                raise DeployFailed(
                    f"execution {name} failed: {failed} of {total} task(s) failed{detail}"
                )
            return ExecutionResult(name, succeeded, failed, message)
        if progress is not None:
            progress(f"execution {name} running ({succeeded} task(s) done)")
        remaining = deadline - pacer.clock()
        if remaining <= 0:
            raise WaitTimeout(f"execution {name} still running after {timeout:g}s")
        pacer.sleep(min(delay, remaining))
        delay = min(delay * 2, poll)
        try:
            execution = client.get_execution(ref.namespace, name)
        except DeadlineExceeded as exc:
            raise WaitTimeout(f"execution {name} still running after {timeout:g}s") from exc


def describe_error(exc: Exception) -> str:
    """The one-line meaning of a deploy error."""
    if isinstance(exc, CloudRunError | DeployFailed):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"
