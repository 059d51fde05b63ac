"""A stack file (``Pulumi.<stack>.yaml``) as the cross-stack and policy rules read it: what the
foundation creates, each with the position of the line that declares it (the entries other
commands read too come from :mod:`polyinfra.foundation.stackview`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from polyinfra.checks.problem import UnreadableInput
from polyinfra.cloudrun.vocabulary import service_account_email
from polyinfra.foundation import stackview
from polyinfra.foundation.stackview import Registry
from polyinfra.positions import Position
from polyinfra.yamlio import KeyPath, YamlDocument

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
    region: str | None
    project: str
    path: KeyPath
    position: Position


@dataclass(frozen=True)
class StackFile:
    """One environment's stack file, read with positions.

    ``document`` is None when the file is missing or is not YAML; ``config`` (the foundation's
    validated ``StackConfig``) is None when it does not validate. ``errors`` says why, each at
    its position, for the config rules to report.
    """

    env: str
    stack: str
    path: Path
    document: YamlDocument | None
    config_model: Any = None
    errors: tuple[UnreadableInput, ...] = ()
    _cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def valid(self) -> bool:
        """Read and validated: the cross-stack and policy rules only compare against valid
        stack files (the config rules report the others)."""
        return self.document is not None and not self.errors

    def config(self, key: str, default: Any = None) -> Any:
        value = stackview.config_value(self.document, key)
        return default if value is None else value

    def position(self, path: KeyPath, *, value: bool = False) -> Position:
        if self.document is None:
            return Position(self.path, 1, 1)
        return self.document.position(path, value=value)

    @property
    def gcp_project(self) -> str | None:
        return stackview.gcp_project(self.document)

    @property
    def region(self) -> str | None:
        return stackview.gcp_region(self.document)

    @property
    def labels(self) -> dict[str, str]:
        """``label:<key>`` settings: the labels every labelable resource carries."""
        data = self.document.get(("config",), {}) if self.document else {}
        if not isinstance(data, dict):
            return {}
        return {
            str(k)[len("label:") :]: str(v) for k, v in data.items() if str(k).startswith("label:")
        }

    def projects(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """``input:projects`` entries: (key, section)."""
        yield from stackview.projects(self.document)

    def service_accounts(self) -> dict[str, Declared]:
        """Email -> the ``service_account.account_id`` that creates it."""
        if "accounts" not in self._cache:
            found: dict[str, Declared] = {}
            project_id = self.gcp_project or ""
            for key, section in self.projects():
                account = section.get("service_account")
                account_id = account.get("account_id") if isinstance(account, dict) else None
                if isinstance(account_id, str):
                    path: KeyPath = ("config", "input:projects", key, "service_account")
                    path = (*path, "account_id")
                    email = service_account_email(account_id, project_id)
                    found[email] = Declared(account_id, key, path, self.position(path, value=True))
            self._cache["accounts"] = found
        accounts: dict[str, Declared] = self._cache["accounts"]
        return accounts

    def roles_of(self, project: str) -> dict[str, Position]:
        """Project-level roles granted to ``project``'s service account."""
        section = dict(self.projects()).get(project, {})
        iam = section.get("service_account_iam")
        roles = iam.get("roles") if isinstance(iam, dict) else None
        found: dict[str, Position] = {}
        for index, role in enumerate(roles if isinstance(roles, list) else []):
            path: KeyPath = ("config", "input:projects", project, "service_account_iam", "roles")
            found[str(role)] = self.position((*path, index), value=True)
        return found

    def secrets(self) -> dict[str, Declared]:
        """Secret id -> where it is declared."""
        found: dict[str, Declared] = {}
        for key, section in self.projects():
            entries = section.get("secrets")
            for index, entry in enumerate(entries if isinstance(entries, list) else []):
                secret_id = entry.get("secret_id") if isinstance(entry, dict) else None
                if isinstance(secret_id, str):
                    path: KeyPath = ("config", "input:projects", key, "secrets", index)
                    found[secret_id] = Declared(
                        secret_id, key, path, self.position((*path, "secret_id"), value=True)
                    )
        return found

    def registries(self) -> list[Registry]:
        return stackview.registries(self.document)

    def schedulers(self) -> list[Scheduler]:
        found: list[Scheduler] = []
        for key, section in self.projects():
            entries = section.get("cloud_scheduler")
            for index, entry in enumerate(entries if isinstance(entries, list) else []):
                if not isinstance(entry, dict):
                    continue
                path: KeyPath = ("config", "input:projects", key, "cloud_scheduler", index)
                target = entry.get("target_job")
                region = entry.get("region") or self.region
                found.append(
                    Scheduler(
                        name=str(entry.get("name", "")),
                        target_job=target if isinstance(target, str) else None,
                        region=str(region) if region else None,
                        project=key,
                        path=path,
                        position=self.position(path),
                    )
                )
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
