"""A stack file (``Pulumi.<stack>.yaml``) as the cross-stack and policy rules read it: what the
foundation creates, each with the position of the line that declares it.

The facts come from the foundation's validated :class:`~polyinfra.foundation.model.StackConfig`
(the same model the Pulumi program builds from); a stack file that does not validate yields
none, and the config rules report why. What render and deploy read from a stack file that may
be broken elsewhere (project, region, registries) comes from the partial view in
:mod:`polyinfra.foundation.stackview`."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from polyinfra.checks.problem import UnreadableInput
from polyinfra.foundation import stackview
from polyinfra.foundation.eventarc import Trigger
from polyinfra.foundation.grants import CLOUD_RUN_KINDS, Grant, Target
from polyinfra.foundation.model import ProjectConfig, StackConfig, doc_path
from polyinfra.foundation.stackview import Registry
from polyinfra.positions import Position
from polyinfra.yamlio import KeyPath, YamlDocument

T = TypeVar("T")

#: Roles that let an account read a secret when granted on the project.
SECRET_READER_ROLES = frozenset({"roles/secretmanager.secretAccessor", "roles/secretmanager.admin"})
#: Roles that let an account run a Cloud Run job.
JOB_RUNNER_ROLES = frozenset({"roles/run.invoker", "roles/run.developer", "roles/run.admin"})


@dataclass(frozen=True)
class Declared:
    """Something a stack file declares, where it says so, and the project entry it belongs to."""

    name: str
    project: str
    path: KeyPath
    position: Position


@dataclass(frozen=True)
class Scheduler:
    """A ``cloud_scheduler`` entry: it runs ``target_job`` as its project's service account."""

    name: str
    target_job: str | None
    #: its own ``region``, else the stack's ``gcp:region``
    region: str | None
    project: str
    path: KeyPath
    position: Position
    #: whether the entry sets ``region`` itself
    region_set: bool = False


@dataclass(frozen=True)
class ScopedGrant:
    """An ``iam`` entry: ``grant.role`` on one resource, for ``member`` (the project's service
    account when the entry names none)."""

    grant: Grant
    project: str
    #: the email of the account the grant is for (its ``member``, else the project's account;
    #: None for a member that is not a service account)
    account: str | None
    #: where the resource is: a Cloud Run grant's region (its ``location``, its full name's,
    #: else the stack's ``gcp:region``), None for other kinds
    location: str | None
    path: KeyPath
    position: Position

    @property
    def target(self) -> Target:
        return self.grant.target


@dataclass(frozen=True)
class TriggerEntry:
    """A ``triggers`` entry: Eventarc delivers the events it matches to the function
    ``trigger.function``."""

    trigger: Trigger
    project: str
    path: KeyPath
    position: Position

    @property
    def name(self) -> str:
        return self.trigger.name


@dataclass(frozen=True)
class StackFile:
    """One environment's stack file, read with positions.

    ``document`` is None when the file is missing or is not YAML; ``model`` (the foundation's
    validated ``StackConfig``) is None when it does not validate. ``errors`` says why, each at
    its position, for the config rules to report.

    In a workspace of several programs (platform and services), ``program`` is this file's
    program (its folder name) and ``upstream`` the same stack's files of the programs before it
    (platform, for services). What an app may use is then what any of them creates: the
    lookups (:meth:`service_accounts`, :meth:`secrets`, :meth:`registries`, :meth:`topics`,
    :meth:`buckets`, :meth:`roles_of`) include the upstream files' entries, each at its own
    file's line; what the file itself declares (:meth:`schedulers`, :meth:`triggers`,
    :meth:`project_keys`, :meth:`grants`, :meth:`walk`) does not; :meth:`granted_on` looks
    at the upstream files' grants too.
    """

    env: str
    stack: str
    path: Path
    document: YamlDocument | None
    model: StackConfig | None = None
    errors: tuple[UnreadableInput, ...] = ()
    program: str = ""
    upstream: tuple[StackFile, ...] = ()
    _cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def key(self) -> str:
        """What tells this file from the same stack of another program: ``sandbox``, or
        ``services/sandbox`` in a workspace of several programs."""
        return f"{self.program}/{self.stack}" if self.program else self.stack

    def memo(self, name: str, compute: Callable[[StackFile], T]) -> T:
        """``compute(self)``, worked out once for this file (what rules look up per resource)."""
        if name not in self._cache:
            self._cache[name] = compute(self)
        found: T = self._cache[name]
        return found

    def _with_upstream(self) -> list[StackFile]:
        """The upstream files that validated, then this one (later entries win)."""
        return [*(s for s in self.upstream if s.valid), self]

    @property
    def valid(self) -> bool:
        """Read and validated: the cross-stack and policy rules only compare against valid
        stack files (the config rules report the others)."""
        return self.model is not None and not self.errors

    def position(self, path: KeyPath, *, value: bool = False) -> Position:
        """Where file path ``path`` (``("config", "input:projects", ...)``) stands."""
        if self.document is None:
            return Position(self.path, 1, 1)
        return self.document.position(path, value=value)

    def _at(self, model_path: KeyPath, *, value: bool = False) -> tuple[KeyPath, Position]:
        """The file path of a model path, and its position."""
        path = doc_path(self.document, model_path)
        return path, self.position(path, value=value)

    @property
    def gcp_project(self) -> str | None:
        return stackview.gcp_project(self.document)

    @property
    def region(self) -> str | None:
        """``gcp:region``, else the upstream stack's."""
        for stack in reversed(self._with_upstream()):
            region = stackview.gcp_region(stack.document)
            if region is not None:
                return region
        return None

    @property
    def environment(self) -> str:
        """``input:environment``, else the stack name."""
        return self.model.environment if self.model is not None else self.stack

    @property
    def labels(self) -> dict[str, str]:
        """``label:<key>`` settings: the labels every labelable resource carries."""
        return dict(self.model.labels) if self.model is not None else {}

    def _projects(self) -> list[tuple[str, ProjectConfig]]:
        return list(self.model.input.projects.items()) if self.model is not None else []

    def project_keys(self) -> list[str]:
        """The keys of ``input:projects``."""
        return list(self.model.input.projects) if self.model is not None else []

    def project(self, key: str) -> ProjectConfig | None:
        """The ``input:projects.<key>`` section."""
        return self.model.input.projects.get(key) if self.model is not None else None

    def account_of(self, project: str) -> str | None:
        """The email of the service account ``input:projects.<project>`` creates."""
        return next((e for e, d in self.service_accounts().items() if d.project == project), None)

    def service_accounts(self) -> dict[str, Declared]:
        """Email -> the ``service_account.account_id`` that creates it (upstream ones too)."""
        found: dict[str, Declared] = {}
        for stack in self._with_upstream():
            found.update(stack._own_accounts())
        return found

    def _own_accounts(self) -> dict[str, Declared]:
        if "accounts" not in self._cache:
            found: dict[str, Declared] = {}
            for key, section in self._projects():
                account = section.service_account
                if account is None:
                    continue
                where = ("input", "projects", key, "service_account", "account_id")
                path, position = self._at(where, value=True)
                found[account.email(self.gcp_project or "")] = Declared(
                    account.account_id, key, path, position
                )
            self._cache["accounts"] = found
        accounts: dict[str, Declared] = self._cache["accounts"]
        return accounts

    def roles_of(self, project: str) -> dict[str, Position]:
        """Project-level roles granted to ``project``'s service account (upstream too)."""
        found: dict[str, Position] = {}
        for stack in self._with_upstream():
            found.update(stack._own_roles(project))
        return found

    def _own_roles(self, project: str) -> dict[str, Position]:
        section = self.project(project)
        iam = section.service_account_iam if section is not None else None
        found: dict[str, Position] = {}
        for index, role in enumerate(iam.roles if iam is not None else []):
            where = ("input", "projects", project, "service_account_iam", "roles", index)
            found[str(role)] = self._at(where, value=True)[1]
        return found

    def grants(self) -> list[ScopedGrant]:
        """Every ``iam`` entry of every project of this file, with where it stands (worked out
        once: rules ask for every app)."""
        if "grants" in self._cache:
            cached: list[ScopedGrant] = self._cache["grants"]
            return cached
        found: list[ScopedGrant] = []
        for key, section in self._projects():
            own_account = self.account_of(key)
            for index, grant in enumerate(section.iam):
                path, position = self._at(("input", "projects", key, "iam", index))
                member = grant.member
                account = own_account
                if member is not None:
                    prefix = "serviceAccount:"
                    account = member.removeprefix(prefix) if member.startswith(prefix) else None
                target = grant.target
                location = None
                if target.kind in CLOUD_RUN_KINDS:
                    location = grant.location or target.location or self.region
                found.append(ScopedGrant(grant, key, account, location, path, position))
        self._cache["grants"] = found
        return found

    def granted_on(
        self,
        email: str,
        roles: frozenset[str],
        kind: str,
        name: str,
        location: str | None = None,
    ) -> ScopedGrant | None:
        """The ``iam`` entry that grants ``serviceAccount:<email>`` one of ``roles`` on the
        ``kind`` resource ``name`` of this stack's project (for Cloud Run, in ``location``),
        or None."""
        for grant in (g for stack in self._with_upstream() for g in stack.grants()):
            target = grant.target
            if grant.account != email or grant.grant.role not in roles:
                continue
            if target.kind != kind or target.name != name:
                continue
            if not target.in_project(self.gcp_project):
                continue
            if location is not None and (grant.location or "").lower() != location.lower():
                continue
            return grant
        return None

    def grant_position(self, project: str) -> Position:
        """Where a grant ``project``'s account lacks goes: its ``iam`` list, else its project
        roles, else its service account."""
        section = self.project(project)
        base = ("config", "input:projects", project)
        if section is not None and section.iam:
            return self.position((*base, "iam"))
        if section is not None and section.service_account_iam is not None:
            return self.position((*base, "service_account_iam", "roles"))
        return self.position((*base, "service_account"))

    def secrets(self) -> dict[str, Declared]:
        """Secret id -> where it is declared (upstream too)."""
        return dict(self._secrets)

    @functools.cached_property
    def _secrets(self) -> dict[str, Declared]:
        # asked once per rendered manifest by several rules: the positions are found once
        found: dict[str, Declared] = {}
        for stack in self._with_upstream():
            found.update(stack._own_secrets())
        return found

    def _own_secrets(self) -> dict[str, Declared]:
        found: dict[str, Declared] = {}
        for key, section in self._projects():
            for index, secret in enumerate(section.secrets):
                path = doc_path(self.document, ("input", "projects", key, "secrets", index))
                position = self.position((*path, "secret_id"), value=True)
                found[secret.secret_id] = Declared(secret.secret_id, key, path, position)
        return found

    def registries(self) -> list[Registry]:
        """The Artifact Registry repositories (upstream ones too)."""
        return list(self._registries)

    @functools.cached_property
    def _registries(self) -> tuple[Registry, ...]:
        return tuple(
            r for stack in self._with_upstream() for r in stackview.registries(stack.document)
        )

    def schedulers(self) -> list[Scheduler]:
        found: list[Scheduler] = []
        for key, section in self._projects():
            for index, entry in enumerate(section.cloud_scheduler):
                path, position = self._at(("input", "projects", key, "cloud_scheduler", index))
                region = entry.region or self.region
                found.append(
                    Scheduler(
                        name=entry.name,
                        target_job=entry.target_job,
                        region=str(region) if region else None,
                        project=key,
                        path=path,
                        position=position,
                        region_set=entry.region is not None,
                    )
                )
        return found

    def triggers(self) -> list[TriggerEntry]:
        """Every ``triggers`` entry of every project, with where it stands."""
        found: list[TriggerEntry] = []
        for key, section in self._projects():
            for index, entry in enumerate(section.triggers):
                path, position = self._at(("input", "projects", key, "triggers", index))
                found.append(TriggerEntry(entry, key, path, position))
        return found

    def topics(self) -> dict[str, Declared]:
        """Pub/Sub topic name -> where it is declared (upstream too)."""
        found: dict[str, Declared] = {}
        for stack in self._with_upstream():
            entries = [(k, s.pubsub_topics) for k, s in stack._projects()]
            found.update(stack._named("pubsub_topics", entries))
        return found

    def buckets(self) -> dict[str, Declared]:
        """Cloud Storage bucket name -> where it is declared (upstream too)."""
        found: dict[str, Declared] = {}
        for stack in self._with_upstream():
            entries = [(k, s.cloud_storage) for k, s in stack._projects()]
            found.update(stack._named("cloud_storage", entries))
        return found

    def _named(self, section: str, entries: list[tuple[str, list[Any]]]) -> dict[str, Declared]:
        found: dict[str, Declared] = {}
        for key, items in entries:
            for index, item in enumerate(items):
                path, position = self._at(("input", "projects", key, section, index, "name"))
                found.setdefault(item.name, Declared(item.name, key, path, position))
        return found

    def walk(self) -> Iterator[tuple[KeyPath, Any]]:
        """Every (path, scalar value) under ``config``."""
        if self.document is None:
            return

        def visit(path: KeyPath, node: Any) -> Iterator[tuple[KeyPath, Any]]:
            if isinstance(node, dict):
                for key, value in node.items():
                    yield from visit((*path, key), value)
            elif isinstance(node, list):
                for index, value in enumerate(node):
                    yield from visit((*path, index), value)
            else:
                yield path, node

        yield from visit(("config",), self.document.get(("config",), {}))
