"""The Admin API's operations on stored objects: which operation a route is, and the create,
get, replace and delete of services and jobs, validated the way Cloud Run validates them,
stored with the metadata the server owns, cutting a revision when a service's template changes
and beginning a rollout when the spec does, a service's traffic checked against its revisions;
revisions are read and deleted, and executions read and run, here too."""

from __future__ import annotations

import copy
import uuid

from polyinfra.cloudrun.vocabulary import (
    JOB_LABEL,
    LOCATION_LABEL,
    SERVER_METADATA,
    SERVICE_GROUP,
)
from polyinfra.emulator.executions import Executions
from polyinfra.emulator.objects import (
    _list_answer,
    _now,
    _page,
    _selected,
    _selector,
    _set_conditions,
)
from polyinfra.emulator.revisions import Revisions, comparable_spec, revision_object
from polyinfra.emulator.rollout import Rollouts
from polyinfra.emulator.script import Client
from polyinfra.emulator.served import served, spec_defaults
from polyinfra.emulator.state import Entry, Objects, Settings, Versions, not_found
from polyinfra.emulator.traffic import serves, violations
from polyinfra.emulator.wire import _COLLECTIONS, JsonObject, _ApiError, _invalid, _Route


class Resources:
    """Carries out a routed request on the stored objects (the caller holds the lock)."""

    def __init__(
        self,
        settings: Settings,
        objects: Objects,
        versions: Versions,
        revisions: Revisions,
        rollouts: Rollouts,
        executions: Executions,
    ) -> None:
        self._settings = settings
        self._objects = objects
        self._versions = versions
        self._revisions = revisions
        self._rollouts = rollouts
        self._executions = executions

    def dispatch(
        self,
        route: _Route,
        query: dict[str, str],
        body: JsonObject | None,
        client: Client | None = None,
    ) -> tuple[int, JsonObject]:
        """The status and body that answer ``route`` with ``query`` and ``body``, written by
        ``client``."""
        collection, namespace, name = route.collection, route.namespace, route.name
        action = route.method_id.rsplit(".", 1)[-1]
        dry_run = query.get("dryRun") == "all"
        selector = query.get("labelSelector", "")
        if name is None:
            if collection == "executions":
                return 200, self._executions.listing(namespace, selector, query)
            if collection == "revisions":
                number = self._settings.project_number(namespace)
                return 200, self._revisions.listing(number, selector, query)
            if action == "list":
                return 200, self._listing(collection, namespace, selector, query)
            return 200, self._create(collection, namespace, body, dry_run, client)
        if collection == "revisions":
            if action == "delete":
                return 200, self._delete_revision(namespace, name, dry_run)
            return 200, self._get_revision(namespace, name)
        if action == "get":
            return 200, served(self._poll(collection, namespace, name))
        if action == "run":
            return 200, self._executions.run(namespace, name, body)
        if collection == "executions" and action == "cancel":
            return 200, self._executions.cancel(namespace, name)
        if collection == "executions" and action == "delete":
            return 200, self._executions.delete(namespace, name)
        if action == "delete":
            return 200, self._delete(collection, namespace, name, dry_run)
        return 200, self._replace(collection, namespace, name, body, dry_run, client)

    def _listing(
        self, collection: str, namespace: str, selector: str, query: dict[str, str]
    ) -> JsonObject:
        """A page of the project's services or jobs whose labels match ``selector``, by name."""
        number = self._settings.project_number(namespace)
        wanted = _selector(selector)
        items = sorted(
            (
                served(entry)
                for (kind, project, _), entry in self._objects.items()
                if kind == collection and project == number and _selected(entry.obj, wanted)
            ),
            key=lambda item: str(item["metadata"]["name"]),
        )
        page, token = _page(items, query)
        _, api_version, kind_name = _COLLECTIONS[collection]
        return _list_answer(api_version, f"{kind_name}List", collection, number, page, token)

    def _not_found(self, collection: str, namespace: str, name: str) -> _ApiError:
        return not_found(collection, namespace, name, self._settings.region)

    def _get_revision(self, namespace: str, name: str) -> JsonObject:
        revision = self._revisions.find(self._settings.project_number(namespace), name)
        if revision is None:
            raise self._not_found("revisions", namespace, name)
        return revision_object(revision)

    def _delete_revision(self, namespace: str, name: str, dry_run: bool) -> JsonObject:
        """Delete revision ``name``; one that serves traffic (a share or a tag, by the spec or
        by what is routed now) or is its service's latest is refused with 400
        FAILED_PRECONDITION, as Cloud Run refuses it ("Revision ... cannot be directly deleted
        because it is actively serving.", hashicorp/waypoint#814)."""
        number = self._settings.project_number(namespace)
        revision = self._revisions.find(number, name)
        if revision is None:
            raise self._not_found("revisions", namespace, name)
        service = self._objects.get(("services", number, revision.service))
        if service is not None:
            status = service.obj.get("status") or {}
            latest_ready = str(status.get("latestReadyRevisionName") or "")
            spec = spec_defaults("services", service.obj.get("spec"), number)
            if serves(spec.get("traffic") or [], name, latest_ready) or serves(
                status.get("traffic") or [], name, latest_ready
            ):
                raise _ApiError(
                    400,
                    f'Revision "{name}" cannot be directly deleted because it is actively serving.',
                    status_name="FAILED_PRECONDITION",
                )
            if status.get("latestCreatedRevisionName") == name:
                raise _ApiError(
                    400,
                    f'Revision "{name}" cannot be directly deleted because it is the latest '
                    f'revision of service "{revision.service}".',
                    status_name="FAILED_PRECONDITION",
                )
        if not dry_run:
            self._revisions.delete(number, name)
        return {
            "status": "Success",
            "details": {
                "name": name,
                "group": SERVICE_GROUP,
                "kind": "revisions",
                "uid": revision.uid,
            },
        }

    def _poll(self, collection: str, namespace: str, name: str) -> Entry:
        entry = self._objects.get((collection, self._settings.project_number(namespace), name))
        if entry is None:
            raise self._not_found(collection, namespace, name)
        self._rollouts.poll(entry)
        return entry

    def _validate(self, collection: str, namespace: str, body: JsonObject | None) -> JsonObject:
        _, api_version, kind = _COLLECTIONS[collection]
        if body is None:
            raise _invalid((kind.lower(), "The request body is required."))
        violations: list[tuple[str, str]] = []
        for key, expected in (("apiVersion", api_version), ("kind", kind)):
            if body.get(key) != expected:
                violations.append(
                    (key, f"Expected {expected!r} for a {kind}, got {body.get(key)!r}.")
                )
        metadata = body.get("metadata")
        project_number = self._settings.project_number
        if not isinstance(metadata, dict) or not metadata.get("name"):
            violations.append(("metadata.name", "Field is required."))
        elif metadata.get("namespace") and project_number(
            str(metadata["namespace"])
        ) != project_number(namespace):
            violations.append(
                (
                    "metadata.namespace",
                    f"{metadata.get('namespace')!r} does not match the namespace "
                    f"{namespace!r} in the request URL.",
                )
            )
        spec = body.get("spec")
        template = spec.get("template") if isinstance(spec, dict) else None
        if not isinstance(template, dict):
            violations.append(("spec.template", "Field is required."))
        else:
            where = "spec.template.spec"
            pod = template.get("spec")
            if collection == "jobs":
                where += ".template.spec"
                task = pod.get("template") if isinstance(pod, dict) else None
                pod = task.get("spec") if isinstance(task, dict) else None
            containers = pod.get("containers") if isinstance(pod, dict) else None
            if not isinstance(containers, list) or not containers:
                violations.append((f"{where}.containers", "At least one container is required."))
            else:
                for index, container in enumerate(containers):
                    if not isinstance(container, dict) or not container.get("image"):
                        violations.append(
                            (f"{where}.containers[{index}].image", "Field is required.")
                        )
        if violations:
            raise _invalid(*violations)
        return copy.deepcopy(body)

    def _create(
        self,
        collection: str,
        namespace: str,
        body: JsonObject | None,
        dry_run: bool,
        client: Client | None = None,
    ) -> JsonObject:
        obj = self._validate(collection, namespace, body)
        name = obj["metadata"]["name"]
        if (collection, self._settings.project_number(namespace), name) in self._objects:
            raise _ApiError(409, f"Resource '{name}' already exists.", status_name="ALREADY_EXISTS")
        entry = self._store(collection, namespace, obj, None, dry_run=dry_run, client=client)
        return served(entry)

    def _replace(
        self,
        collection: str,
        namespace: str,
        name: str,
        body: JsonObject | None,
        dry_run: bool,
        client: Client | None = None,
    ) -> JsonObject:
        obj = self._validate(collection, namespace, body)
        if obj["metadata"]["name"] != name:
            raise _invalid(
                (
                    "metadata.name",
                    f"{obj['metadata']['name']!r} does not match {name!r} in the URL.",
                )
            )
        entry = self._objects.get((collection, self._settings.project_number(namespace), name))
        if entry is None:
            raise self._not_found(collection, namespace, name)
        sent_version = obj["metadata"].get("resourceVersion")
        current_version = entry.obj["metadata"]["resourceVersion"]
        if sent_version and sent_version != current_version:
            raise _ApiError(
                409,
                "The object has been modified; please apply your changes to the latest "
                f"version and try again (sent resourceVersion {sent_version}, current "
                f"{current_version}).",
                status_name="ABORTED",
            )
        entry = self._store(collection, namespace, obj, entry, dry_run=dry_run, client=client)
        return served(entry)

    def _delete(self, collection: str, namespace: str, name: str, dry_run: bool) -> JsonObject:
        number = self._settings.project_number(namespace)
        entry = self._objects.get((collection, number, name))
        if entry is None:
            raise self._not_found(collection, namespace, name)
        if not dry_run:
            del self._objects[(collection, number, name)]
            if collection == "services":
                self._revisions.forget(number, name)
            else:
                for key, other in list(self._objects.items()):
                    labels = other.obj["metadata"].get("labels") or {}
                    if key[:2] == ("executions", number) and labels.get(JOB_LABEL) == name:
                        del self._objects[key]
        return {
            "status": "Success",
            "details": {
                "name": name,
                "group": _COLLECTIONS[collection][0],
                "kind": collection,
                "uid": entry.obj["metadata"]["uid"],
            },
        }

    def _store(
        self,
        collection: str,
        namespace: str,
        obj: JsonObject,
        previous: Entry | None,
        *,
        dry_run: bool = False,
        client: Client | None = None,
    ) -> Entry:
        number = self._settings.project_number(namespace)
        metadata = obj["metadata"]
        name = metadata["name"]
        for key in SERVER_METADATA:
            metadata.pop(key, None)
        labels = metadata.get("labels") or {}
        region = (
            previous.obj["metadata"]["labels"][LOCATION_LABEL]
            if previous
            else self._settings.region
        )
        labels.setdefault(LOCATION_LABEL, region)
        desired = spec_defaults(collection, obj.get("spec"), number)
        if previous is None:
            generation = 1
            spec_changed = template_changed = True
            uid, created = str(uuid.uuid4()), _now()
        else:
            # the record of the writing client is no change (Cloud Run rewrites it each write)
            compared = comparable_spec(desired)
            live = comparable_spec(spec_defaults(collection, previous.obj.get("spec"), number))
            spec_changed = compared != live
            template_changed = compared.get("template") != live.get("template")
            generation = previous.obj["metadata"]["generation"] + (1 if spec_changed else 0)
            uid = previous.obj["metadata"]["uid"]
            created = previous.obj["metadata"]["creationTimestamp"]
        revision_name, reused = "", False
        if collection == "services" and template_changed:
            revision_name, reused = self._revisions.name_for(number, name, desired["template"])
        if collection == "services":
            problems = violations(
                desired.get("traffic"),
                service=name,
                owner=lambda revision: self._revisions.owner(number, revision),
                cutting=revision_name,
            )
            if problems:
                raise _invalid(*problems)
        metadata["namespace"] = namespace
        metadata["generation"] = generation
        metadata["uid"] = uid
        metadata["creationTimestamp"] = created
        metadata["resourceVersion"] = self._versions.next()
        metadata["labels"] = labels
        entry = Entry(
            obj=obj,
            collection=collection,
            project=number,
            creator=previous.creator if previous else self._settings.principal,
            modifier=self._settings.principal,
            operation=str(uuid.uuid4()),
            client=client,
        )
        obj.pop("status", None)
        if dry_run:
            return entry
        # The status keeps describing the previous generation until the rollout settles.
        if previous is not None:
            obj["status"] = copy.deepcopy(previous.obj.get("status", {}))
        else:
            obj["status"] = {"observedGeneration": 0}
            kinds = ("Ready", "ConfigurationsReady", "RoutesReady")
            _set_conditions(
                obj["status"],
                [
                    (kind, "Unknown", "Deploying", f"Deploying {collection[:-1]} {name}.")
                    for kind in (kinds if collection == "services" else kinds[:1])
                ],
            )
        if previous is not None and not spec_changed:
            entry.settled = previous.settled
            entry.outcome = previous.outcome
            entry.polls_left = previous.polls_left
            entry.ready_at = previous.ready_at
        else:
            self._rollouts.begin(entry, name)
            if reused:
                self._revisions.reuse(entry, revision_name)
            elif revision_name:
                self._revisions.cut(entry, revision_name, desired["template"])
        self._objects[(collection, number, name)] = entry
        self._rollouts.settle_if_due(entry)
        return entry
