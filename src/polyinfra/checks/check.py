"""``polyinfra check``: read the workspace, both stacks and every app once, then run the
workspace, config, cross-stack and policy rules over them, timing each phase."""

from __future__ import annotations

import dataclasses
import functools
import time
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from polyinfra.checks import engine
from polyinfra.checks.cached import (
    CachedCheck,
    cached_check,
    manifests_by_key,
    problems_key,
    store_check,
)
from polyinfra.checks.context import CheckContext, Manifest
from polyinfra.checks.problem import Level, Problem, UnreadableInput
from polyinfra.checks.registry import CHECK_RULES, LINK_RULES, MANIFEST_RULES
from polyinfra.checks.rendering import manifests_of, render_for_rules
from polyinfra.checks.rule import Rule, needs_plan
from polyinfra.checks.rules.workspace.apps import (
    load_kustomization_document,
    overlay_reaches_base,
)
from polyinfra.checks.stacks import StackFile
from polyinfra.errors import RefusedFile, UserError, UserErrors
from polyinfra.manifests.links import discover_workspace
from polyinfra.positions import Position
from polyinfra.redact import workspace_secrets
from polyinfra.suggest import did_you_mean
from polyinfra.workspace import App, Overlay, PulumiProgram, Workspace
from polyinfra.workspace.settings import RulesSettings
from polyinfra.yamlio import YamlDocument, load_text, read_text

if TYPE_CHECKING:
    from polyinfra.cache import Cache
    from polyinfra.foundation.plan import Plan
    from polyinfra.foundation.plan.parallel import PlansInProcesses
    from polyinfra.foundation.plan.run import ReferencedPlans
    from polyinfra.manifests import RenderedApp, RenderRequest

#: The phases ``check`` reports timings for, in the order they run.
PHASES = ("workspace", "stacks", "pulumi", "kustomize", "rules")


@dataclass
class Timings:
    """Seconds spent per phase (``pulumi``: foundation plans under mocks; ``kustomize``:
    rendering the overlays)."""

    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(PHASES, 0.0))
    #: wall-clock seconds of the whole check: the phases and what lies between them (the
    #: stack plans made in other processes run during the ``kustomize`` phase)
    wall: float = 0.0

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start

    @property
    def total(self) -> float:
        return sum(self.seconds.values())

    def share(self, name: str) -> float:
        return self.seconds.get(name, 0.0) / self.total if self.total else 0.0


@dataclass(frozen=True)
class CheckResult:
    """What ``check`` found, which rules ran, over which environments, and how long it took."""

    workspace: Workspace
    problems: list[Problem]
    rules: tuple[Rule, ...]
    environments: tuple[str, ...]
    timings: Timings
    rendered: int = 0
    #: values the workspace marks secret, which no report may show
    secrets: frozenset[str] = frozenset()

    def count(self, level: Level) -> int:
        return sum(1 for p in self.problems if p.level == level)

    def by_area(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for problem in self.problems:
            area = problem.rule.split("/", 1)[0]
            counts[area] = counts.get(area, 0) + 1
        return dict(sorted(counts.items()))

    def exit_code(self, *, strict: bool = False) -> int:
        worst = engine.worst(self.problems)
        if worst is None:
            return 0
        if worst >= Level.ERROR or (strict and worst >= Level.WARNING):
            return 1
        return 0


def check_workspace(
    path: Path,
    *,
    environments: Sequence[str] = (),
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    plan: bool = True,
    cache: Cache | None = None,
) -> CheckResult:
    """Check the workspace containing ``path`` for ``environments`` (default: every
    environment that has an overlay or a stack file).

    Raises :class:`UserError` when the workspace cannot be read at all, or for an unknown
    environment or rule pattern; every other finding is a :class:`Problem`. Plans, renders
    and the problems of an unchanged workspace come from ``cache`` when it holds them for
    exactly the same inputs (the result is the same either way).
    """
    timings = Timings()
    started = time.perf_counter()
    with timings.phase("workspace"):
        ws = discover_workspace(path)
        settings = rules_settings(ws)
        rules = engine.select_rules(CHECK_RULES, select=select, ignore=ignore, settings=settings)
        envs = choose_environments(ws, environments)
    known: CachedCheck | None = None
    key = None
    if cache is not None:
        with timings.phase("rules"):
            key = problems_key(ws, envs, rules, plan=plan, cache=cache)
            known = cached_check(cache, key) if key is not None else None
    with timings.phase("stacks"):
        # every program: the cross-stack rules compare the apps with all of them; when the
        # problems are known, only what the output must not show (the files' secrets)
        documents = stack_documents(ws, envs) if known is not None else None
        stacks = read_stacks(ws, envs) if documents is None else ()
    plans: dict[str, Plan | None] = {}
    plan_failures: tuple[UnreadableInput, ...] = ()
    pending = None
    if plan and _needs_plan(rules) and known is None:  # plans are read by the rules only
        with timings.phase("pulumi"):
            pending = start_plans(ws, stacks, cache=cache)
    keys_used: list[tuple[RenderRequest, str]] = []

    def render() -> tuple[tuple[Manifest, ...], tuple[UnreadableInput, ...]]:
        with timings.phase("kustomize"):
            if cache is not None and known is not None and known.renders is not None:
                # nothing changed: the same renders, without walking the overlays for keys
                reused = manifests_by_key(cache, known.renders, CHECK_VERSION)
                if reused is not None:
                    return reused, ()
            return render_overlays(ws, envs, cache=cache, keys_used=keys_used)

    # Rendered while other processes, if any, plan their stacks; then the stacks left to
    # this process are planned. Not both at once here: a Pulumi program runs in this
    # process's folder and import path (its own), which a render must not see.
    try:
        manifests, failures = render()
    except BaseException:
        if pending is not None:
            pending.close()
        raise
    if pending is not None:
        with timings.phase("pulumi"):
            plans, plan_failures = pending.finish()
    ctx = workspace_context(
        ws,
        stacks,
        manifests,
        plans=plans,
        render_failures=failures,
        plan_failures=plan_failures,
    )
    with timings.phase("rules"):
        if known is not None:
            problems = list(known.problems)
        else:
            problems = engine.run(ctx, rules, settings=settings)
            if cache is not None and key is not None:
                # every app rendered has its render cached: else they are rendered again
                keyed = {(request.app, request.env) for request, _ in keys_used}
                complete = {(m.app, m.env) for m in manifests} <= keyed
                store_check(cache, key, problems, keys_used if complete else None)
    rendered = len({(m.app, m.env) for m in manifests})
    if documents is None:
        documents = tuple(s.document for s in stacks if s.document is not None)
    secrets = workspace_secrets((m.data for m in manifests), (d.data for d in documents))
    timings.wall = time.perf_counter() - started
    return CheckResult(ws, problems, tuple(rules), envs, timings, rendered, secrets)


def check_before_deploy(
    ws: Workspace,
    env: str,
    apps: Sequence[RenderedApp],
    *,
    links: bool = True,
    version: str | None = None,
) -> list[Problem]:
    """What ``deploy`` checks before it applies anything: the manifest rules on the rendered
    ``apps`` and, with ``links``, their links to ``env``'s foundation stack (:data:`LINK_RULES`),
    for exactly these apps, reported as ``check`` reports them and after the workspace's rule
    settings. The foundation program runs under mocks only if a rule needs a plan. ``version``
    is what the apps were rendered with."""
    settings = rules_settings(ws)
    chosen = {rule.ID for rule in engine.select_rules(CHECK_RULES, settings=settings)}
    wanted = (*MANIFEST_RULES, *(LINK_RULES if links else ()))
    stacks = read_stacks(ws, [env]) if links else ()
    ctx = workspace_context(
        ws, stacks, manifests_of(apps, version), only_apps=frozenset(app.app for app in apps)
    )
    return engine.run(ctx, [rule for rule in wanted if rule.ID in chosen], settings=settings)


def workspace_context(
    ws: Workspace,
    stacks: Sequence[StackFile],
    manifests: Sequence[Manifest],
    *,
    plans: dict[str, Plan | None] | None = None,
    render_failures: Sequence[UnreadableInput] = (),
    plan_failures: Sequence[UnreadableInput] = (),
    only_apps: frozenset[str] | None = None,
) -> CheckContext:
    """What the workspace rules read: the workspace and its rule settings, the stack files and
    the rendered manifests. Without ``plans`` a stack is planned when a rule first asks for
    its plan."""
    return CheckContext(
        manifests=tuple(manifests),
        settings=rules_settings(ws),
        workspace=ws,
        stacks=tuple(stacks),
        plans=plans if plans is not None else {},
        planner=None if plans is not None else functools.partial(_plan_when_asked, ws),
        render_failures=tuple(render_failures),
        plan_failures=tuple(plan_failures),
        only_apps=only_apps,
    )


def _plan_when_asked(ws: Workspace, stack: StackFile) -> Plan | None:
    plans, _ = plan_stacks(ws, [stack])
    return plans.get(stack.key)


def rules_settings(ws: Workspace) -> RulesSettings:
    """``[tool.polyinfra.rules]`` of the workspace (defaults when absent)."""
    return ws.settings.rules


def choose_environments(ws: Workspace, wanted: Sequence[str]) -> tuple[str, ...]:
    known = set(ws.environments)
    for program in ws.programs:
        known.update(ws.env_for_stack(stack) for stack in program.stacks)
    if not wanted:
        return tuple(sorted(known))
    unknown = [env for env in wanted if env not in known]
    if unknown:
        raise UserError(
            f"--env {unknown[0]}: no overlay or stack file for this environment"
            f"{did_you_mean(unknown[0], sorted(known))}",
            hint=f"environments of this workspace: {', '.join(sorted(known)) or 'none'}",
        )
    return tuple(dict.fromkeys(wanted))


def read_stacks(ws: Workspace, envs: Sequence[str]) -> tuple[StackFile, ...]:
    """The stack files of ``envs`` (:func:`read_stack`), for each environment one per program,
    platform before services: each knows its program and, as its ``upstream``, the same
    environment's files of the programs before it. The programs that references name are
    planned once for all of them."""
    chosen = ws.ordered_programs
    if len(chosen) < 2:
        return tuple(read_stack(ws, env) for env in envs)
    from polyinfra.foundation.plan.run import ReferencedPlans  # planning machinery: only here
    from polyinfra.workspace.programs import reference_name

    plans = ReferencedPlans()
    found: list[StackFile] = []
    for env in envs:
        before: list[StackFile] = []
        for program in chosen:
            stack = read_stack(ws, env, program=program, plans=plans)
            stack = dataclasses.replace(
                stack, program=reference_name(program), upstream=tuple(before)
            )
            before.append(stack)
            found.append(stack)
    return tuple(found)


def stack_documents(ws: Workspace, envs: Sequence[str]) -> tuple[YamlDocument, ...] | None:
    """The stack files of ``envs`` (every program's) as written, without validating them;
    None when one does not read or names another stack's outputs (its values are known only
    once that stack is planned: :func:`read_stacks` is needed)."""
    from polyinfra.foundation.references import mentioned

    found: list[YamlDocument] = []
    for program in ws.programs:
        for env in envs:
            path = program.stacks.get(ws.stack_for_env(env))
            if path is None:
                continue
            try:
                text = read_text(path, bounds=ws.bounds)
                if mentioned(text):
                    return None
                found.append(load_text(text, path))
            except UserError:
                return None
    return tuple(found)


def read_stack(
    ws: Workspace,
    env: str,
    *,
    program: PulumiProgram | None = None,
    plans: ReferencedPlans | None = None,
) -> StackFile:
    """The stack file behind ``env`` in ``program`` (default: the workspace's one program),
    loaded with positions and validated by the foundation; its cross-stack references are
    resolved from the plans of the programs they name (``plans``: those made already)."""
    from polyinfra.foundation.config import stack_config_of
    from polyinfra.foundation.references import mentioned

    stack = ws.stack_for_env(env)
    if not ws.programs:
        path = ws.infrastructure / "pulumi" / f"Pulumi.{stack}.yaml"
        missing = UnreadableInput(
            Position(ws.infra_pyproject, 1, 1)
            if ws.infra_pyproject
            else Position(ws.infrastructure),
            "the workspace has no foundation stack: no Pulumi.yaml under infrastructure/ "
            f"(environments: {', '.join(ws.environments) or env})",
            hint="run `polyinfra init` to create infrastructure/pulumi/",
        )
        return StackFile(env, stack, path, None, errors=(missing,))
    # without one given, a UserError when there are several: which one is meant is unclear
    program = program or ws.program
    path = program.stacks.get(stack, program.path / f"Pulumi.{stack}.yaml")
    if stack not in program.stacks:
        missing = UnreadableInput(
            Position(program.project_file, 1, 1),
            f"environment {env!r} has no stack file {ws.rel(path)}",
            hint=f"create {ws.rel(path)}, or map the environment to an existing stack in "
            "[tool.polyinfra] environments",
        )
        return StackFile(env, stack, path, None, errors=(missing,))
    try:
        text = read_text(path, bounds=ws.bounds)
        document = load_text(text, path)
    except UserError as exc:
        return StackFile(env, stack, path, None, errors=(_unreadable(exc, path),))
    outputs_of = None
    if mentioned(text):  # only then: a stack file without references costs nothing more
        from polyinfra.foundation.plan.run import ReferencedPlans

        outputs_of = (plans or ReferencedPlans()).outputs_of(program.path, stack)
    try:  # the same text and document: the file is parsed once
        config = stack_config_of(
            text, document, program_dir=program.path, bounds=ws.bounds, outputs_of=outputs_of
        )
    except UserError as exc:
        errors = exc.errors if isinstance(exc, UserErrors) else [exc]
        return StackFile(
            env, stack, path, document, errors=tuple(_unreadable(e, path) for e in errors)
        )
    # the rules read the values as resolved, at the lines the user wrote
    return StackFile(env, stack, path, config.document or document, model=config)


def _unreadable(exc: UserError, path: Path) -> UnreadableInput:
    return UnreadableInput(exc.position or Position(path, 1, 1), exc.message, exc.hint)


def _needs_plan(rules: Sequence[Rule]) -> bool:
    return any(needs_plan(rule) for rule in rules)


def plan_stacks(
    ws: Workspace, stacks: Sequence[StackFile], *, cache: Cache | None = None
) -> tuple[dict[str, Plan | None], tuple[UnreadableInput, ...]]:
    """The foundation plan of every stack that validated, keyed by :attr:`StackFile.key`, and
    where the program failed for the others (plans from ``cache`` when it holds them)."""
    return start_plans(ws, stacks, cache=cache).finish()


def start_plans(
    ws: Workspace, stacks: Sequence[StackFile], *, cache: Cache | None = None
) -> PendingPlans:
    """Start planning ``stacks`` (see :func:`plan_stacks`): plans ``cache`` holds are taken
    from it; when several others can be planned apart (no cross-stack references) and there
    are several CPUs, they are planned in processes of their own while the caller goes on.
    :meth:`PendingPlans.finish` gives the result, the same as :func:`plan_stacks`."""
    from polyinfra.foundation.plan import parallel
    from polyinfra.foundation.plan.cached import lookup_plan
    from polyinfra.foundation.references import mentioned

    pending = PendingPlans(ws, cache)
    apart: list[StackFile] = []
    for stack in stacks:
        if stack.model is None or stack.key in pending.order:
            continue
        pending.order[stack.key] = stack
        try:
            references = mentioned(read_text(stack.path, bounds=ws.bounds))
        except UserError:
            continue  # planned by finish(), which reports it
        if references:
            continue
        if cache is not None:
            key, found = lookup_plan(cache, _program_of(ws, stack).path, stack.stack, stack.path)
            pending.keys[stack.key] = key
            if found is not None:
                pending.ready[stack.key] = found
                continue
        apart.append(stack)
    if len(apart) > 1 and parallel.usable_cpus() > 1:
        # the first is planned here, where the Pulumi SDK is loaded once anyway
        pending.elsewhere = parallel.PlansInProcesses(
            [(_program_of(ws, stack).path, stack.stack) for stack in apart[1:]]
        )
        pending.elsewhere_keys = [stack.key for stack in apart[1:]]
    return pending


@dataclass
class PendingPlans:
    """Plans being made (:func:`start_plans`)."""

    ws: Workspace
    cache: Cache | None
    order: dict[str, StackFile] = field(default_factory=dict)
    ready: dict[str, Plan] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    elsewhere: PlansInProcesses | None = None
    elsewhere_keys: list[str] = field(default_factory=list)

    def finish(self) -> tuple[dict[str, Plan | None], tuple[UnreadableInput, ...]]:
        """The plans by :attr:`StackFile.key` and where the program failed for the others.
        The stacks left to this process are planned while the other processes plan theirs; a
        stack whose plan failed in another process is then planned here, for the error."""
        from polyinfra.foundation.plan.cached import store_plan

        made: dict[str, Plan | None] = {}
        failed: dict[str, UnreadableInput] = {}
        elsewhere = set(self.elsewhere_keys) if self.elsewhere is not None else set()
        for key, stack in self.order.items():
            if key not in self.ready and key not in elsewhere:
                self._plan_here(key, stack, made, failed)
        if self.elsewhere is not None:
            for key, plan in zip(self.elsewhere_keys, self.elsewhere.results(), strict=True):
                if plan is None:
                    self._plan_here(key, self.order[key], made, failed)
                    continue
                self.ready[key] = plan
                if self.cache is not None and key in self.keys:
                    store_plan(self.cache, self.keys[key], plan)
        plans: dict[str, Plan | None] = {}
        failures: list[UnreadableInput] = []
        for key in self.order:  # in the stacks' order, however they were planned
            if key in self.ready:
                plans[key] = self.ready[key]
            elif key in made:
                plans[key] = made[key]
            else:
                failures.append(failed[key])
        return plans, tuple(failures)

    def _plan_here(
        self,
        key: str,
        stack: StackFile,
        made: dict[str, Plan | None],
        failed: dict[str, UnreadableInput],
    ) -> None:
        from polyinfra.foundation.plan.cached import cached_plan
        from polyinfra.foundation.references import mentioned

        program = _program_of(self.ws, stack)
        assert stack.model is not None  # only stacks that validated are here
        try:
            references = mentioned(read_text(stack.path, bounds=self.ws.bounds))
            made[key] = cached_plan(
                self.cache,
                program.path,
                stack.stack,
                stack.model,
                stack.path,
                references=references,
            )
        except UserError as exc:
            failed[key] = _unreadable(exc, stack.path)
        except RefusedFile:
            raise
        except Exception as exc:  # the user's program failed: report where, not a traceback
            failed[key] = UnreadableInput(
                _failing_line(exc, program.path) or Position(stack.path, 1, 1),
                f"the foundation program fails for stack {stack.stack!r}: "
                f"{type(exc).__name__}: {exc}",
                hint=f"run `polyinfra plan --stack {stack.stack}` to see it fail",
            )

    def close(self) -> None:
        """Stop planning (the caller failed before it asked for the plans)."""
        if self.elsewhere is not None:
            self.elsewhere.close()


def _program_of(ws: Workspace, stack: StackFile) -> PulumiProgram:
    """The program ``stack`` belongs to."""
    for program in ws.programs:
        if program.path.resolve() == stack.path.parent.resolve():
            return program
    return ws.program


def _failing_line(exc: BaseException, folder: Path) -> Position | None:
    """The innermost traceback frame inside the program's folder."""
    found: Position | None = None
    for frame in traceback.extract_tb(exc.__traceback__):
        path = Path(frame.filename)
        if path.is_relative_to(folder.resolve()) or path.is_relative_to(folder):
            found = Position(path, frame.lineno or 0, 1)
    return found


def render_targets(ws: Workspace, envs: Sequence[str]) -> list[tuple[App, Overlay]]:
    """The overlays to render: those of the checked environments that include their base
    (the workspace rules report the others), and those that do not even load, so the render
    reports why at the offending line."""
    targets = []
    for app in ws.apps.values():
        for env in envs:
            overlay = app.overlays.get(env)
            if overlay is None:
                continue
            loads = load_kustomization_document(overlay.kustomization) is not None
            if not loads or overlay_reaches_base(app, overlay):
                targets.append((app, overlay))
    return targets


def render_overlays(
    ws: Workspace,
    envs: Sequence[str],
    *,
    cache: Cache | None = None,
    keys_used: list[tuple[RenderRequest, str]] | None = None,
) -> tuple[tuple[Manifest, ...], tuple[UnreadableInput, ...]]:
    """Render every target overlay (see :func:`polyinfra.checks.rendering.render_for_rules`),
    with the image a deploy would set (renders from ``cache`` when it holds them)."""
    from polyinfra.manifests import RenderRequest
    from polyinfra.manifests.apps import image_or_stand_in

    requests = [
        RenderRequest(
            app.name,
            overlay.env,
            overlay.path,
            image_or_stand_in(ws, app.name, overlay.env, CHECK_VERSION),
        )
        for app, overlay in render_targets(ws, envs)
    ]
    manifests, failures = render_for_rules(
        requests, CHECK_VERSION, ws, cache=cache, keys_used=keys_used
    )
    return tuple(manifests), tuple(failures)


#: The version rendered manifests carry during a check (it only has to be a valid one).
CHECK_VERSION = "0.0.0-check"
