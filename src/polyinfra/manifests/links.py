"""The project an app deploys when neither a setting nor its name says: what the foundation
stack files say.

The spec's ``input:projects`` keys are the Polylith project names, so an entry
``input:projects.<P>`` that creates the service account an app's overlay runs as, or whose
``cloud_scheduler`` runs the app (``target_job``), links the app to project ``P``. The link is
made only when every piece of evidence, in every stack file, names the same entry, and that
entry is a folder under ``projects/`` (``-`` and ``_`` alike); otherwise the app keeps no
project and the evidence explains why (``crossstack/app-project-exists`` prints it).

It runs once, in :func:`discover_workspace` (the layout ``Workspace.discover`` reads, with these
links added), so ``check``, ``render``, ``deploy``, ``affected`` and ``ci`` read the same
``App.project``; ``affected`` reads the mapping of the checkout (head), like the rest of the
layout. The stack files are read with the
foundation's typed config (:func:`polyinfra.foundation.config.load_stack_config`); a stack file
that does not validate gives no evidence (``check`` reports it). The overlays are read as
written, patches first and then the base manifests, without rendering: discovery stays offline
and quick. Nothing is read for a workspace whose apps all map by setting or name.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from polyinfra.errors import UserError
from polyinfra.workspace import Workspace
from polyinfra.workspace.model import (
    App,
    Overlay,
    Project,
    ProjectEvidence,
    PulumiProgram,
    project_named,
)
from polyinfra.workspace.settings import Settings

if TYPE_CHECKING:
    from polyinfra.foundation.model import StackConfig
    from polyinfra.manifests.kustomization import Patch
    from polyinfra.yamlio.text import Bounds

SERVICE_ACCOUNT_FIELD = "serviceAccountName"


def discover_workspace(path: Path | str = ".") -> Workspace:
    """The workspace that contains ``path``, each app linked to the project the foundation
    stack files say it deploys when neither a setting nor its name says."""
    ws = Workspace.discover(path)
    apps = link_apps(ws.apps, ws.projects, ws.programs, ws.settings, ws.bounds)
    return ws if apps is ws.apps else dataclasses.replace(ws, apps=apps)


def link_apps(
    apps: dict[str, App],
    projects: dict[str, Project],
    programs: tuple[PulumiProgram, ...],
    settings: Settings,
    bounds: Bounds | None = None,
) -> dict[str, App]:
    """``apps`` with the stack files' evidence added to every app that has no project, and the
    project set where that evidence agrees on one (see the module docstring). ``bounds``:
    where the files read may be (see :class:`~polyinfra.yamlio.Bounds`)."""
    unmapped = [app for app in apps.values() if app.project is None]
    if not unmapped or not programs:
        return apps
    stacks = _stack_configs(programs, bounds)
    if not stacks:
        return apps
    linked = dict(apps)
    for app in unmapped:
        evidence = evidence_for(app, stacks, settings, bounds)
        if evidence:
            linked[app.name] = dataclasses.replace(
                app, project=agreed_project(evidence, projects), project_evidence=evidence
            )
    return linked


def agreed_project(
    evidence: tuple[ProjectEvidence, ...], projects: dict[str, Project]
) -> str | None:
    """The project folder of the one ``input:projects`` entry all ``evidence`` names; None when
    it names several entries, or an entry with no folder under ``projects/``."""
    keys = {item.key for item in evidence}
    return project_named(keys.pop(), projects) if len(keys) == 1 else None


def evidence_for(
    app: App, stacks: list[StackConfig], settings: Settings, bounds: Bounds | None = None
) -> tuple[ProjectEvidence, ...]:
    """Every ``input:projects`` entry of ``stacks`` that schedules ``app`` or creates the
    service account one of its overlays runs as, sorted by position."""
    found: set[ProjectEvidence] = set()
    for config in stacks:
        runs_as: dict[str, frozenset[str]] = {}
        job_names = {app.name} if app.kind == "job" else set()
        for env, overlay in sorted(app.overlays.items()):
            if settings.environments.get(env, env) != config.stack:
                continue
            read = _read_overlay(overlay, bounds)
            if read is None:
                continue
            runs_as[env], jobs = read
            if app.kind == "job":
                job_names |= jobs
        for key, entry in config.input.projects.items():
            where = ("input", "projects", key)
            account = entry.service_account
            if account is not None:
                email = account.email(config.project)
                at = config.position((*where, "service_account", "account_id"), value=True)
                for env, emails in sorted(runs_as.items()):
                    if email in emails:
                        found.add(
                            ProjectEvidence(
                                at,
                                key,
                                f"its {env} overlay runs as {email}, the service account "
                                f"input:projects.{key} creates",
                            )
                        )
            for index, job in enumerate(entry.cloud_scheduler):
                if job.target_job in job_names:
                    found.add(
                        ProjectEvidence(
                            config.position(
                                (*where, "cloud_scheduler", index, "target_job"), value=True
                            ),
                            key,
                            f"scheduler {job.name!r} of input:projects.{key} runs it",
                        )
                    )
    return tuple(sorted(found))


def _stack_configs(programs: tuple[PulumiProgram, ...], bounds: Bounds | None) -> list[StackConfig]:
    """Every program's stack files that validate; with several programs, their cross-stack
    references resolved from the referenced programs' offline plans (each planned once)."""
    from polyinfra.foundation.config import load_stack_config

    plans = None
    if len(programs) > 1:
        from polyinfra.foundation.plan.run import ReferencedPlans

        plans = ReferencedPlans()
    configs: list[StackConfig] = []
    for program in programs:
        for stack, path in sorted(program.stacks.items()):
            outputs_of = plans.outputs_of(program.path, stack) if plans is not None else None
            try:
                configs.append(
                    load_stack_config(
                        path, program_dir=program.path, bounds=bounds, outputs_of=outputs_of
                    )
                )
            except (UserError, OSError):
                continue  # `check` reports a stack file that does not validate
    return configs


def _read_overlay(
    overlay: Overlay, bounds: Bounds | None
) -> tuple[frozenset[str], frozenset[str]] | None:
    """The service accounts the overlay runs its objects as, and the names of the jobs it
    builds, read from the files as written; None when the overlay does not load."""
    from polyinfra.manifests.tree import load_tree

    try:
        tree = load_tree(overlay.path, fast=True, bounds=bounds)
    except (UserError, OSError):
        return None  # `check` reports an overlay that does not load
    accounts: set[str] = set()
    # the overlay comes first: its patches are applied last, so they win over inner ones
    for kustomization in tree.kustomizations:
        accounts = {email for patch in kustomization.patches for email in _patched(patch)}
        if accounts:
            break
    if not accounts:
        accounts = {email for obj in tree.objects for email in _accounts_in(obj.document.data)}
    jobs = frozenset(obj.names[-1] for obj in tree.objects if obj.kind == "Job" and obj.names)
    return frozenset(accounts), jobs


def _patched(patch: Patch) -> Iterator[str]:
    """The service accounts a patch sets."""
    for op in patch.ops or ():
        item = op.document.get((op.index,))
        if op.op not in ("add", "replace") or not isinstance(item, dict):
            continue
        value = item.get("value")
        tokens = op.tokens
        if tokens and tokens[-1] == SERVICE_ACCOUNT_FIELD:
            if isinstance(value, str) and value:
                yield value
        else:
            yield from _accounts_in(value)
    for document in patch.strategic or ():
        yield from _accounts_in(document.data)


def _accounts_in(data: Any) -> Iterator[str]:
    """Every ``serviceAccountName`` written inside ``data``."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key == SERVICE_ACCOUNT_FIELD and isinstance(value, str) and value:
                yield value
            else:
                yield from _accounts_in(value)
    elif isinstance(data, list):
        for item in data:
            yield from _accounts_in(item)
