"""Offline plan: run the real foundation program under Pulumi mocks (no credentials, no Pulumi CLI)
and record every resource it declares; compare two plans (the working tree and a git revision)."""

from __future__ import annotations

import asyncio
import json
import os
import runpy
import sys
import tempfile
import traceback
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from polyinfra import proc
from polyinfra.cloudrun.vocabulary import service_account_email
from polyinfra.errors import PolyinfraError, ToolError, UserError
from polyinfra.foundation.config import (
    has_secret,
    load_stack_config,
    load_stack_text,
    mask_secrets,
    pulumi_project,
    stack_file,
)
from polyinfra.foundation.keys import parse_config_key
from polyinfra.foundation.model import ConfigWarning, StackConfig
from polyinfra.positions import Position
from polyinfra.suggest import closest
from polyinfra.yamlio import load_text
from polyinfra.yamlio.text import decode


@dataclass(frozen=True)
class PlannedResource:
    """One declared resource: type token, logical name, inputs (Pulumi wire names), protect."""

    type: str
    name: str
    inputs: Mapping[str, Any]
    protect: bool = False
    depends_on: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        """What identifies the resource across plans (its URN without stack and project)."""
        return (self.type, self.name)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "type": self.type,
            "name": self.name,
            "protect": self.protect,
            "depends_on": list(self.depends_on),
            "inputs": dict(self.inputs),
        }


@dataclass(frozen=True)
class Plan:
    """Everything a stack would declare, in declaration order, plus its stack outputs."""

    stack: str
    project: str
    resources: tuple[PlannedResource, ...]
    outputs: Mapping[str, Any]
    warnings: tuple[ConfigWarning, ...] = ()

    def by_type(self) -> dict[str, list[PlannedResource]]:
        """Resources grouped by type token, types in first-declared order."""
        groups: dict[str, list[PlannedResource]] = {}
        for resource in self.resources:
            groups.setdefault(resource.type, []).append(resource)
        return groups

    def totals(self) -> dict[str, int]:
        """Number of resources per type token."""
        return dict(Counter(resource.type for resource in self.resources))

    def find(self, type_: str, name: str) -> PlannedResource:
        """The resource with this type token and logical name (KeyError if absent)."""
        for resource in self.resources:
            if resource.type == type_ and resource.name == name:
                return resource
        raise KeyError((type_, name))

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form (``polyinfra plan --json``)."""
        return {
            "stack": self.stack,
            "project": self.project,
            "resources": [resource.to_json() for resource in self.resources],
            "totals": self.totals(),
            "outputs": dict(self.outputs),
            "warnings": [str(warning) for warning in self.warnings],
        }


# --- mocks -----------------------------------------------------------------------------------


def computed_state(type_: str, inputs: Mapping[str, Any], project: str) -> dict[str, Any]:
    """The outputs Google Cloud would compute for a new resource, as far as the plan needs them."""
    state = dict(inputs)
    if type_ == "gcp:serviceaccount/account:Account":
        email = service_account_email(str(inputs.get("accountId")), str(project))
        state.update(
            email=email,
            member=f"serviceAccount:{email}",
            name=f"projects/{project}/serviceAccounts/{email}",
        )
    elif type_ == "gcp:pubsub/topic:Topic":
        state["id"] = f"projects/{project}/topics/{inputs.get('name')}"
    elif type_ == "gcp:secretmanager/secret:Secret":
        state["name"] = f"projects/{project}/secrets/{inputs.get('secretId')}"
    elif type_ == "gcp:bigquery/dataset:Dataset":
        state["id"] = f"projects/{project}/datasets/{inputs.get('datasetId')}"
    return state


class _Recorder:
    """Records each registration: the mocks see inputs, the monitor sees protect and deps."""

    def __init__(self, project: str) -> None:
        self.project = project
        self.resources: list[PlannedResource] = []
        self.options: dict[tuple[str, str], tuple[bool, tuple[str, ...]]] = {}


def _mocks_and_monitor(recorder: _Recorder) -> tuple[Any, Any]:
    import pulumi
    from pulumi.runtime.mocks import MockMonitor

    class RecordingMocks(pulumi.runtime.Mocks):
        def new_resource(self, args: Any) -> tuple[str, dict[str, Any]]:
            protect, depends_on = recorder.options.pop((args.typ, args.name), (False, ()))
            inputs = _plain(dict(args.inputs))
            recorder.resources.append(
                PlannedResource(args.typ, args.name, inputs, protect, depends_on)
            )
            state = computed_state(args.typ, inputs, recorder.project)
            return str(state.get("id") or f"{args.name}_id"), state

        def call(self, args: Any) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
            return {}, None

    class RecordingMonitor(MockMonitor):
        def RegisterResource(self, request: Any) -> Any:
            if request.type != "pulumi:pulumi:Stack":
                depends = tuple(urn.rsplit("::", 1)[-1] for urn in request.dependencies)
                recorder.options[(request.type, request.name)] = (bool(request.protect), depends)
            return super().RegisterResource(request)  # type: ignore[no-untyped-call]

    mocks = RecordingMocks()
    return mocks, RecordingMonitor(mocks)


def _plain(value: Any) -> Any:
    """Inputs as the user wrote them: the wire format turns every number into a float."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def run_under_mocks(
    program: Callable[[], Any],
    *,
    project: str,
    stack: str,
    gcp_project: str,
    config: Mapping[str, str] | None = None,
    secret_keys: list[str] | None = None,
) -> tuple[list[PlannedResource], dict[str, Any]]:
    """Run ``program`` as a Pulumi program under recording mocks; resources and stack outputs.

    The Pulumi SDK keeps its state in globals (root stack, pending RPCs, config), so each call
    starts from a clean slate and may be repeated in one process.
    """
    import pulumi
    from pulumi.runtime import settings
    from pulumi.runtime.config import set_all_config
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    recorder = _Recorder(gcp_project)
    mocks, monitor = _mocks_and_monitor(recorder)
    settings.ROOT.set(None)
    # The SDK falls back to PULUMI_CONFIG* variables for keys it was not given: the plan shows
    # what the stack file says, not what this shell happens to hold.
    hidden = {
        name: os.environ.pop(name)
        for name in list(os.environ)
        if name.startswith("PULUMI_CONFIG") and not name.startswith("PULUMI_CONFIG_PASSPHRASE")
    }
    # The SDK runs on the thread's current event loop and would otherwise leave one open until
    # the interpreter's teardown, whose garbage collection then fails to close it ("Exception
    # ignored in BaseEventLoop.__del__"): each run gets its own loop and closes it.
    # The mock monitor answers on the loop's executor threads, where the SDK makes one more
    # loop per thread: those are made here, and closed with the rest.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    thread_loops: list[asyncio.AbstractEventLoop] = []

    def thread_loop() -> None:
        made = asyncio.new_event_loop()
        asyncio.set_event_loop(made)
        thread_loops.append(made)

    executor = ThreadPoolExecutor(thread_name_prefix="pulumi-mocks", initializer=thread_loop)
    loop.set_default_executor(executor)
    try:
        set_all_config(dict(config or {}), secret_keys or [])
        pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=True, monitor=monitor)
        settings.SETTINGS.rpc_manager.clear()
        settings.SETTINGS.outputs.clear()
        _sync_await(run_pulumi_func(program))
        root = settings.get_root_resource()
        exported = dict(getattr(root, "outputs", {}) or {})
        outputs = {
            name: _sync_await(pulumi.Output.from_input(value).future())
            for name, value in exported.items()
        }
    finally:
        settings.ROOT.set(None)
        set_all_config({}, [])
        os.environ.update(hidden)
        _close_loop(loop)
        executor.shutdown(wait=True)
        for made in thread_loops:
            made.close()
    # Registration order depends on when dependencies resolve: sort for stable plans and diffs.
    return sorted(recorder.resources, key=lambda r: (r.type, r.name)), outputs


def _close_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel what the program left running on ``loop``, then close it and unset it."""
    try:
        pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
    finally:
        loop.close()
        asyncio.set_event_loop(None)


# --- plan ------------------------------------------------------------------------------------


def pulumi_project_name(program_dir: Path) -> str:
    """``name`` from ``Pulumi.yaml`` (the folder name when there is none)."""
    return pulumi_project(program_dir) or program_dir.resolve().name


def runtime_config_values(config: StackConfig) -> tuple[dict[str, str], list[str]]:
    """The stack file's config as the Pulumi engine hands it to a program: every namespace
    (polyinfra's and the program's own), keys as ``<namespace>:<name>``, objects as JSON.

    Encrypted values cannot be decrypted offline: the program sees ``[secret]`` in their place
    (inside objects too), under a key marked secret, and the ciphertext goes nowhere.
    """
    doc_config: dict[str, Any] = {}
    data = config.document.data if config.document is not None else None
    if isinstance(data, dict) and isinstance(data.get("config"), dict):
        doc_config = data["config"]
    values: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in doc_config.items():
        parsed = parse_config_key(str(key))
        if parsed is None:
            continue
        name = ":".join(parsed)
        if has_secret(value):
            secret_keys.append(name)
        masked = mask_secrets(value)
        values[name] = masked if isinstance(masked, str) else json.dumps(masked)
    return values, secret_keys


def plan_stack(
    program_dir: Path,
    stack: str,
    *,
    config: StackConfig | None = None,
    use_main: bool = True,
) -> Plan:
    """Plan ``stack`` of the Pulumi program in ``program_dir`` offline.

    Validates ``Pulumi.<stack>.yaml`` first (every error at once, with positions), then runs the
    program's ``__main__.py`` (or :func:`polyinfra.foundation.run` when there is none or
    ``use_main`` is false) under recording mocks.
    """
    from polyinfra.foundation import program as foundation_program

    if config is None:
        config = load_stack_config(stack_file(program_dir, stack), program_dir=program_dir)
    main = program_dir / "__main__.py"
    values, secret_keys = runtime_config_values(config)

    def body() -> None:
        if use_main and main.is_file():
            _run_main(main)
        else:
            foundation_program.run(config)

    foundation_program._preloaded.append(config)
    try:
        resources, outputs = run_under_mocks(
            body,
            project=pulumi_project_name(program_dir),
            stack=stack,
            gcp_project=config.project,
            config=values,
            secret_keys=secret_keys,
        )
    finally:
        foundation_program._preloaded.pop()
    return Plan(
        stack=stack,
        project=config.project,
        resources=tuple(resources),
        outputs=outputs,
        warnings=config.warnings,
    )


def _run_main(main: Path) -> None:
    """Run a program's ``__main__.py`` the way the Pulumi Python host does (cwd and path)."""
    main = main.resolve()
    folder = str(main.parent)
    previous_cwd = Path.cwd()
    sys.path.insert(0, folder)
    os.chdir(folder)
    try:
        runpy.run_path(str(main), run_name="__main__")
    except PolyinfraError:
        raise
    except Exception as exc:
        # The user's program failed: say where in their code, not with our traceback.
        hint = "fix the program (it runs exactly like this under `pulumi up`)"
        if isinstance(exc, ModuleNotFoundError):
            hint = (
                "the plan runs the program in polyinfra's own Python environment: install the "
                "program's dependencies there (its requirements.txt or pyproject.toml)"
            )
        raise UserError(
            f"the Pulumi program failed: {type(exc).__name__}: {exc}",
            position=_innermost_frame(exc, main.parent) or Position(main),
            hint=hint,
        ) from exc
    finally:
        os.chdir(previous_cwd)
        if folder in sys.path:
            sys.path.remove(folder)


def _innermost_frame(exc: BaseException, folder: Path) -> Position | None:
    """The last traceback frame inside ``folder``: the user's line that failed."""
    found: Position | None = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if Path(frame.filename).resolve().is_relative_to(folder):
            found = Position(Path(frame.filename), frame.lineno or 0)
    return found


# --- diff ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InputChange:
    """One changed input, by dotted path."""

    path: str
    old: Any
    new: Any


@dataclass(frozen=True)
class ResourceChange:
    """A resource present in both plans whose inputs or protection differ."""

    type: str
    name: str
    changes: tuple[InputChange, ...]
    protect: tuple[bool, bool] | None = None


@dataclass(frozen=True)
class PlanDiff:
    """What the working tree's stack file changes compared with a git revision."""

    stack: str
    ref: str
    added: tuple[PlannedResource, ...] = ()
    removed: tuple[PlannedResource, ...] = ()
    changed: tuple[ResourceChange, ...] = ()
    unchanged: int = 0
    warnings: tuple[ConfigWarning, ...] = field(default=())

    @property
    def empty(self) -> bool:
        """True when nothing is added, removed or changed."""
        return not (self.added or self.removed or self.changed)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form (``polyinfra plan --diff REF --json``)."""
        return {
            "stack": self.stack,
            "ref": self.ref,
            "added": [resource.to_json() for resource in self.added],
            "removed": [resource.to_json() for resource in self.removed],
            "changed": [
                {
                    "type": change.type,
                    "name": change.name,
                    "protect": list(change.protect) if change.protect else None,
                    "inputs": [
                        {"path": item.path, "old": item.old, "new": item.new}
                        for item in change.changes
                    ],
                }
                for change in self.changed
            ],
            "unchanged": self.unchanged,
        }


def diff_plans(old: Plan, new: Plan, ref: str) -> PlanDiff:
    """Resources added, removed and changed from ``old`` to ``new``."""
    old_by_key = {resource.key: resource for resource in old.resources}
    new_by_key = {resource.key: resource for resource in new.resources}
    added = tuple(r for r in new.resources if r.key not in old_by_key)
    removed = tuple(r for r in old.resources if r.key not in new_by_key)
    changed: list[ResourceChange] = []
    unchanged = 0
    for resource in new.resources:
        before = old_by_key.get(resource.key)
        if before is None:
            continue
        changes = tuple(_input_changes(before.inputs, resource.inputs, ""))
        protect = (before.protect, resource.protect) if before.protect != resource.protect else None
        if changes or protect:
            changed.append(ResourceChange(resource.type, resource.name, changes, protect))
        else:
            unchanged += 1
    return PlanDiff(new.stack, ref, added, removed, tuple(changed), unchanged, new.warnings)


def _input_changes(old: Any, new: Any, prefix: str) -> Iterator[InputChange]:
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        for key in list(old) + [k for k in new if k not in old]:
            path = f"{prefix}.{key}" if prefix else str(key)
            yield from _input_changes(old.get(key), new.get(key), path)
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            yield from _input_changes(a, b, f"{prefix}[{index}]")
    elif old != new:
        yield InputChange(prefix, old, new)


def _git_show(repo: Path, ref: str, path: str) -> bytes | None:
    """File ``path`` (relative to the repository root) at ``ref``; None if it did not exist."""
    completed = proc.run(["git", "show", f"{ref}:{path}"], cwd=repo, check=False)
    if completed.returncode == 0:
        return completed.stdout
    stderr = completed.stderr.decode("utf-8", "replace")
    if "does not exist in" in stderr or "exists on disk, but not in" in stderr:
        return None
    raise ToolError(
        proc.describe_failure(["git", "show", f"{ref}:{path}"], completed, f"reading {path}")
    )


def plan_diff(program_dir: Path, stack: str, ref: str) -> PlanDiff:
    """Compare the plan of ``Pulumi.<stack>.yaml`` at git ``ref`` with the working tree's.

    Both sides run the foundation program itself (not a custom ``__main__.py``, whose code at
    ``ref`` may import things that no longer exist); files the stack file refers to
    (BigQuery schemas, the dashboard) are read at ``ref`` too.
    """
    program_dir = program_dir.resolve()
    top = proc.run(
        ["git", "rev-parse", "--show-toplevel"], cwd=program_dir, what="finding the git repository"
    )
    repo = Path(top.stdout.decode().strip())
    rel_dir = program_dir.relative_to(repo.resolve())
    new_config = load_stack_config(stack_file(program_dir, stack), program_dir=program_dir)
    new_plan = plan_stack(program_dir, stack, config=new_config, use_main=False)
    stack_rel = (rel_dir / f"Pulumi.{stack}.yaml").as_posix()
    old_text = _git_show(repo, ref, stack_rel)
    if old_text is None:
        empty = Plan(stack, new_config.project, (), {})
        return diff_plans(empty, new_plan, ref)
    with tempfile.TemporaryDirectory(prefix="polyinfra-plan-") as tmp:
        old_dir = Path(tmp)
        display = Path(f"{ref}:{stack_rel}")
        text = decode(old_text, display)  # not UTF-8, or a NUL byte: at the first bad byte
        for relative in referenced_files(load_text(text, display).data):
            content = _git_show(repo, ref, (rel_dir / relative).as_posix())
            if content is not None:
                target = (old_dir / relative).resolve()
                if target.is_relative_to(old_dir.resolve()):
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(content)
        (old_dir / f"Pulumi.{stack}.yaml").write_text(text, encoding="utf-8")
        try:
            old_config = load_stack_text(text, display, stack=stack, program_dir=old_dir)
        except UserError as exc:
            raise UserError(
                f"the stack file at {ref} is not valid, so it cannot be compared:\n{exc}"
            ) from exc
        old_plan = plan_stack(old_dir, stack, config=old_config, use_main=False)
    return diff_plans(old_plan, new_plan, ref)


def referenced_files(data: Any) -> list[str]:
    """Relative paths of ``schema_file`` and ``dashboard_json_file`` values in raw stack data."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("schema_file", "dashboard_json_file") and isinstance(value, str):
                    found.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(data)
    return found


# --- workspace -------------------------------------------------------------------------------


def select_stacks(stacks: Mapping[str, Path], stack: str | None, where: Path) -> list[str]:
    """``[stack]`` when given (checked), else every stack of the program, sorted."""

    if not stacks:
        raise UserError(
            f"{where}: no Pulumi.<stack>.yaml stack file", hint="create Pulumi.sandbox.yaml"
        )
    if stack is None:
        return sorted(stacks)
    if stack not in stacks:
        close = closest(stack, stacks)
        raise UserError(
            f"{where}: no stack '{stack}' (stacks: {', '.join(sorted(stacks))})",
            hint=f"did you mean '{close}'?" if close else f"create Pulumi.{stack}.yaml",
        )
    return [stack]


def plan_workspace(
    workspace: Path, *, stack: str | None = None, diff_ref: str | None = None
) -> list[Plan] | list[PlanDiff]:
    """Plan (or, with ``diff_ref``, diff) one stack or every stack of the workspace's program."""
    from polyinfra.workspace import Workspace

    program = Workspace.discover(workspace).program
    names = select_stacks(program.stacks, stack, program.path)
    if diff_ref is not None:
        return [plan_diff(program.path, name, diff_ref) for name in names]
    return [plan_stack(program.path, name) for name in names]
