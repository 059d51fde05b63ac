"""Build the graph of a workspace from what ``check`` reads (the stack files, the rendered
apps) and from the findings of ``check``'s cross-stack rules, each put on the edge it breaks."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from polyinfra.checks import engine
from polyinfra.checks.check import (
    choose_environments,
    read_stacks,
    render_overlays,
    rules_settings,
    workspace_context,
)
from polyinfra.checks.context import CheckContext
from polyinfra.checks.problem import Problem
from polyinfra.checks.registry import CHECK_RULES
from polyinfra.checks.rules.crossstack.registry import is_placeholder
from polyinfra.checks.rules.crossstack.secrets import secret_refs
from polyinfra.checks.rules.crossstack.workload import (
    Workload,
    containers,
    project_key,
    workloads,
)
from polyinfra.checks.stacks import Declared, StackFile
from polyinfra.foundation.grants import CLOUD_RUN_KINDS
from polyinfra.graph.model import APPLICATION, FOUNDATION, Edge, Finding, Graph, Node
from polyinfra.manifests.links import discover_workspace
from polyinfra.positions import Position
from polyinfra.redact import Redactor, workspace_secrets
from polyinfra.workspace import Workspace

if TYPE_CHECKING:
    from polyinfra.cache import Cache

#: The cross-stack rules whose findings are broken links, each drawn on the edge it names.
LINK_RULE_IDS = frozenset(
    {
        "crossstack/service-account-exists",
        "crossstack/namespace-project",
        "crossstack/secret-declared",
        "crossstack/secret-readable",
        "crossstack/image-registry",
        "crossstack/grant-target",
        "crossstack/scheduler-target",
        "crossstack/scheduler-region",
        "crossstack/scheduler-invoker",
        "crossstack/trigger-source",
        "crossstack/trigger-function",
    }
)


def build_graph(path: Path, *, environment: str | None = None, cache: Cache | None = None) -> Graph:
    """The graph of the workspace containing ``path``, for ``environment`` (default: every
    environment). Reads the stacks and renders the overlays as ``check`` does and runs
    ``check``'s cross-stack rules, with the workspace's rule settings, over them.

    Raises :class:`~polyinfra.errors.UserError` for an unknown environment (naming the known
    ones) or a workspace that cannot be read."""
    ws = discover_workspace(path)
    settings = rules_settings(ws)
    envs = choose_environments(ws, [environment] if environment else [])
    rules = [
        rule
        for rule in engine.select_rules(CHECK_RULES, settings=settings)
        if rule.ID in LINK_RULE_IDS
    ]
    stacks = read_stacks(ws, envs)
    manifests, failures = render_overlays(ws, envs, cache=cache)
    ctx = workspace_context(ws, stacks, manifests, render_failures=failures)
    problems = engine.run(ctx, rules, settings=settings)
    documents = (s.document.data for s in stacks if s.document is not None)
    secrets = workspace_secrets((m.data for m in manifests), documents)
    return graph_of(ctx, ws, envs, problems, Redactor(secrets))


def graph_of(
    ctx: CheckContext,
    ws: Workspace,
    envs: Sequence[str],
    problems: Sequence[Problem],
    redact: Redactor | None = None,
) -> Graph:
    """The graph of ``envs`` from a check context and the problems its rules found there."""
    builder = _Builder(ws, list(problems), redact or Redactor())
    builder.application()
    for env in envs:
        builder.environment(ctx, env)
    return builder.graph(envs)


@dataclass
class _Builder:
    ws: Workspace
    problems: list[Problem]
    redact: Redactor
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: dict[str, Edge] = field(default_factory=dict)
    #: stack file -> the stack that owns what it declares
    owners: dict[Path, str] = field(default_factory=dict)

    # -- nodes and edges ---------------------------------------------------------------------

    def node(self, node: Node) -> str:
        """Add ``node`` (the first one of an id wins, except that a declared one replaces one
        that was only named) and return its id."""
        known = self.nodes.get(node.id)
        if known is None or (node.declared and not known.declared):
            self.nodes[node.id] = node
        return node.id

    def edge(self, edge: Edge, findings: Iterable[Problem] = ()) -> None:
        found = tuple(self._finding(p) for p in findings)
        known = self.edges.get(edge.id)
        if known is not None:
            found = (*known.findings, *found)
        self.edges[edge.id] = replace(edge, findings=tuple(sorted(set(found))))

    def _finding(self, problem: Problem) -> Finding:
        return Finding(
            str(problem.position.relative_to(self.ws.root)),
            problem.rule,
            problem.level.label,
            self.redact(problem.message),
        )

    def take(self, rule: str, matches: Callable[[Problem], bool]) -> list[Problem]:
        """The problems of ``rule`` that ``matches`` accepts (each problem is drawn once)."""
        found = [p for p in self.problems if p.rule == rule and matches(p)]
        for problem in found:
            self.problems.remove(problem)
        return found

    def take_at(self, rule: str, *positions: Position) -> list[Problem]:
        """The problems of ``rule`` at one of ``positions``."""
        return self.take(rule, lambda problem: problem.position in positions)

    def graph(self, envs: Sequence[str]) -> Graph:
        stacks = [APPLICATION, *dict.fromkeys(self.owners.values())]
        if len(stacks) == 1:
            stacks.append(FOUNDATION)
        used = {n.stack for n in self.nodes.values()}
        stacks = [s for s in stacks if s in used or s in (APPLICATION, FOUNDATION)]
        undrawn = tuple(sorted(self._finding(p) for p in self.problems))
        return Graph(
            nodes=tuple(sorted(self.nodes.values(), key=lambda n: n.id)),
            edges=tuple(
                sorted(self.edges.values(), key=lambda e: (e.source, e.target, e.kind, e.label))
            ),
            stacks=tuple(stacks),
            environments=tuple(envs),
            undrawn=undrawn,
        )

    # -- what every environment shares -------------------------------------------------------

    def application(self) -> None:
        """The Polylith projects and the apps, each app from the project it ships."""
        for name in sorted(self.ws.projects):
            self.node(Node(f"project/{name}", "project", name, APPLICATION, detail="project"))
        for name, app in sorted(self.ws.apps.items()):
            self.node(Node(f"app/{name}", "app", name, APPLICATION, detail=app.kind))
            if app.project is not None and app.project in self.ws.projects:
                self.edge(Edge(f"project/{app.project}", f"app/{name}", "ships", "ships"))

    # -- one environment ---------------------------------------------------------------------

    def environment(self, ctx: CheckContext, env: str) -> None:
        files = [s for s in ctx.stacks if s.env == env and s.valid]
        stack = ctx.stack_for_env(env)
        if stack is None or not stack.valid:
            return
        for item in files:
            self.owners[item.path.resolve()] = item.program or FOUNDATION
        for item in files:
            if item.gcp_project:
                self.gcp_project(env, item.gcp_project, self.owner_of(item.path))
        self.accounts(env, stack)
        for item in files:
            self.grants(ctx, env, item)
            self.schedulers(ctx, env, item)
            self.triggers(ctx, env, item)
        for work in workloads(ctx):
            if work.env == env:
                self.workload(work)

    def owner_of(self, path: Path) -> str:
        return self.owners.get(path.resolve(), FOUNDATION)

    def last_owner(self) -> str:
        """The stack an app's environment is looked up in: the last program (services)."""
        return list(self.owners.values())[-1] if self.owners else FOUNDATION

    def gcp_project(self, env: str, name: str, stack: str, *, declared: bool = True) -> str:
        return self.node(
            Node(f"{env}/gcp-project/{name}", "gcp-project", name, stack, env, declared=declared)
        )

    def account(self, env: str, email: str, owner: str | None = None) -> str:
        """The node of service account ``email``; one no stack file creates is undeclared."""
        return self.node(
            Node(
                f"{env}/service-account/{email}",
                "service-account",
                email,
                owner or self.last_owner(),
                env,
                declared=owner is not None,
            )
        )

    def accounts(self, env: str, stack: StackFile) -> None:
        """Every service account the environment's stack files create and its project-wide
        roles (an edge to the Google Cloud project of the file that grants each)."""
        for email, declared in sorted(stack.service_accounts().items()):
            account = self.account(env, email, self.owner_of(declared.position.file))
            for role, where in sorted(stack.roles_of(declared.project).items()):
                granting = self._file(stack, where.file)
                project = granting.gcp_project if granting is not None else None
                if project is None:
                    continue
                target = self.gcp_project(env, project, self.owner_of(where.file))
                self.edge(Edge(account, target, "role", role, env))

    @staticmethod
    def _file(stack: StackFile, path: Path) -> StackFile | None:
        for item in (*stack.upstream, stack):
            if item.path.resolve() == path.resolve():
                return item
        return None

    def resource(
        self, env: str, kind: str, name: str, declared: dict[str, Declared], fallback: str
    ) -> str:
        """The node of a secret, bucket, topic... the stack files declare (``declared``: by
        name), else named only."""
        found = declared.get(name)
        owner = self.owner_of(found.position.file) if found is not None else fallback
        return self.node(
            Node(f"{env}/{kind}/{name}", kind, name, owner, env, declared=found is not None)
        )

    def cloud_run(self, ctx: CheckContext, env: str, kind: str, name: str) -> str:
        """The app a grant, scheduler or trigger names as a Cloud Run ``kind`` (``service``,
        ``job``; ``function`` for a trigger), else a node for the missing one."""
        for work in workloads(ctx):
            if work.env != env or work.manifest.name != name:
                continue
            if (kind == "job") == work.manifest.is_job and (
                kind != "function" or work.app.kind == "function"
            ):
                return f"app/{work.app.name}"
        app = self.ws.apps.get(name)
        if app is not None and env in app.overlays and _kind_fits(app.kind, kind):
            return f"app/{name}"  # not rendered: the workspace rules report the overlay
        return self.node(Node(f"{env}/{kind}/{name}", kind, name, APPLICATION, env, declared=False))

    # -- what the stack files say ------------------------------------------------------------

    def grants(self, ctx: CheckContext, env: str, stack: StackFile) -> None:
        """Every ``iam`` entry: its account (or member) to the resource, labelled with the
        role; a grant on a service or job is on its app."""
        owner = self.owner_of(stack.path)
        for grant in stack.grants():
            target = grant.target
            if grant.account is not None:
                owners = stack.service_accounts()
                declared = owners.get(grant.account)
                source = self.account(
                    env,
                    grant.account,
                    self.owner_of(declared.position.file) if declared else None,
                )
            else:
                member = str(grant.grant.member)
                source = self.node(Node(f"{env}/member/{member}", "member", member, owner, env))
            if target.kind in CLOUD_RUN_KINDS and not target.full:
                node = self.cloud_run(ctx, env, target.kind, target.name)
            elif target.kind == "service_account":
                accounts = stack.service_accounts()
                found = accounts.get(target.name)
                node = self.account(
                    env, target.name, self.owner_of(found.position.file) if found else None
                )
            else:
                name = target.name if not target.full else f"{target.project}/{target.name}"
                node = self.resource(env, target.kind, name, _declared(stack, target.kind), owner)
            broken = self.take_at(
                "crossstack/grant-target",
                stack.position((*grant.path, "resource", target.kind), value=True),
                stack.position((*grant.path, "location"), value=True),
            )
            self.edge(Edge(source, node, "grant", str(grant.grant.role), env), broken)

    def schedulers(self, ctx: CheckContext, env: str, stack: StackFile) -> None:
        """Every ``cloud_scheduler`` entry, to the job it starts."""
        for scheduler in stack.schedulers():
            node = self.node(
                Node(
                    f"{env}/scheduler/{scheduler.name}",
                    "scheduler",
                    scheduler.name,
                    self.owner_of(stack.path),
                    env,
                )
            )
            if scheduler.target_job is None:
                continue
            job = self.cloud_run(ctx, env, "job", scheduler.target_job)
            at = stack.position((*scheduler.path, "target_job"), value=True)
            said = f"scheduler {scheduler.name!r} "

            def about(problem: Problem, said: str = said) -> bool:
                return problem.position.file == stack.path and problem.message.startswith(said)

            broken = [
                *self.take_at("crossstack/scheduler-target", at),
                *self.take("crossstack/scheduler-invoker", about),
                *self.take("crossstack/scheduler-region", about),
            ]
            self.edge(Edge(node, job, "starts", "starts", env), broken)

    def triggers(self, ctx: CheckContext, env: str, stack: StackFile) -> None:
        """Every Eventarc trigger: from the topic or bucket it listens to, to its function."""
        owner = self.owner_of(stack.path)
        for entry in stack.triggers():
            trigger = entry.trigger
            node = self.node(Node(f"{env}/trigger/{entry.name}", "trigger", entry.name, owner, env))
            function = self.cloud_run(ctx, env, "function", trigger.function)
            at = stack.position((*entry.path, "function"), value=True)
            broken = self.take_at("crossstack/trigger-function", at)
            self.edge(Edge(node, function, "delivers", "delivers", env), broken)
            for key, name, declared in (
                ("topic", trigger.topic, stack.topics()),
                ("bucket", trigger.bucket, stack.buckets()),
            ):
                if name is None:
                    continue
                # a full topic id, or a source marked external, is managed elsewhere
                elsewhere = trigger.external or "/" in name
                source = self.node(
                    Node(
                        f"{env}/{key}/{name}",
                        key,
                        name,
                        self._owner(declared.get(name), owner),
                        env,
                        declared=name in declared or elsewhere,
                    )
                )
                where = stack.position((*entry.path, key), value=True)
                broken = self.take_at("crossstack/trigger-source", where)
                self.edge(Edge(source, node, "source", "events", env), broken)

    def _owner(self, declared: Declared | None, fallback: str) -> str:
        return self.owner_of(declared.position.file) if declared is not None else fallback

    # -- what the rendered apps say ----------------------------------------------------------

    def workload(self, work: Workload) -> None:
        """A rendered app in one environment: where it deploys, who it runs as, the secrets
        it reads and the registry its image comes from."""
        env, app, stack = work.env, f"app/{work.app.name}", work.stack
        said = f"{work.app.name} ({env}) "
        namespace = work.manifest.get(("metadata", "namespace"))
        if isinstance(namespace, str) and namespace:
            projects = {s.gcp_project for s in (*stack.upstream, stack) if s.gcp_project}
            target = self.gcp_project(
                env, namespace, self.last_owner(), declared=namespace in projects
            )
            prefix = f"overlay {env!r} of {work.app.name} "
            overlay = work.overlay.kustomization

            def elsewhere(problem: Problem) -> bool:
                return problem.position.file == overlay and problem.message.startswith(prefix)

            broken = self.take("crossstack/namespace-project", elsewhere)
            self.edge(Edge(app, target, "deploys-to", "deploys to", env), broken)
        email = work.service_account
        if email is not None:
            declared = stack.service_accounts().get(email)
            account = self.account(
                env, email, self.owner_of(declared.position.file) if declared else None
            )
            at = work.at(work.service_account_path)
            broken = self.take_at("crossstack/service-account-exists", at)
            self.edge(Edge(app, account, "runs-as", "runs as", env), broken)
        self.secrets(work, app)
        self.images(work, app, said)

    def secrets(self, work: Workload, app: str) -> None:
        env, stack = work.env, work.stack
        email = work.service_account or ""
        account = stack.service_accounts().get(email)
        readers = stack.grant_position(account.project) if account is not None else None
        for ref in secret_refs(work):
            other = ref.project is not None and ref.project != stack.gcp_project
            name = f"{ref.project}/{ref.secret}" if other else ref.secret
            node = self.resource(env, "secret", name, stack.secrets(), self.last_owner())
            secret = ref.secret

            def undeclared(
                problem: Problem, at: Position = ref.position, secret: str = secret
            ) -> bool:
                # the secrets of one annotation are at one position: the message names each
                named = f"reads secret {secret} "
                return problem.position == at and named in problem.message.replace(",", " ")

            declared = self.take("crossstack/secret-declared", undeclared)

            def unreadable(problem: Problem, secret: str = secret) -> bool:
                start = f"{email} cannot read "
                if readers is None or problem.position != readers:
                    return False
                if not problem.message.startswith(start):
                    return False
                names = problem.message[len(start) :].split(":", 1)[0]
                return secret in names.split(", ")

            readable = self.take("crossstack/secret-readable", unreadable)
            self.edge(Edge(app, node, "reads", "reads", env), [*declared, *readable])

    def images(self, work: Workload, app: str, said: str) -> None:
        """An edge to the registry of each container's image; the findings of
        ``crossstack/image-registry`` about the app in the environment are on each."""
        env, stack = work.env, work.stack
        project = stack.gcp_project or ""
        registries = {r.url(r.gcp_project or project): r for r in stack.registries()}
        targets: list[str] = []
        for _, container in containers(work.manifest):
            image = container.get("image")
            if not isinstance(image, str):
                continue
            if is_placeholder(image):
                key = project_key(stack, work.app)
                found = next((r for r in stack.registries() if r.project == key), None)
                url = found.url(found.gcp_project or project) if found else None
                name = url or f"{key or work.app.name} (no registry)"
            else:
                parts = image.split("@", 1)[0].split("/")
                name = "/".join(parts[:3]) if len(parts) >= 4 else image.split("@", 1)[0]
                url = name if name in registries else None
            registry = registries.get(url or "")
            owner = (
                self.owner_of(registry.position.file) if registry is not None else self.last_owner()
            )
            label = registry.repository_id if registry is not None else name
            targets.append(
                self.node(
                    Node(
                        f"{env}/registry/{name}",
                        "registry",
                        name,
                        owner,
                        env,
                        label=label,
                        declared=registry is not None,
                    )
                )
            )
        broken = self.take("crossstack/image-registry", lambda p: p.message.startswith(said))
        for target in dict.fromkeys(targets):
            self.edge(Edge(app, target, "image", "image", env), broken)


def _kind_fits(app_kind: str, kind: str) -> bool:
    """Whether an app of ``app_kind`` is what a grant or scheduler (``service``, ``job``) or a
    trigger (``function``) names."""
    if kind == "job":
        return app_kind == "job"
    if kind == "function":
        return app_kind == "function"
    return app_kind in ("service", "function")


def _declared(stack: StackFile, kind: str) -> dict[str, Declared]:
    """What the stack files declare of ``kind``, by name (the kinds a lookup exists for)."""
    if kind == "secret":
        return stack.secrets()
    if kind == "bucket":
        return stack.buckets()
    if kind == "topic":
        return stack.topics()
    if kind == "dataset":
        return _datasets(stack)
    return {}


def _datasets(stack: StackFile) -> dict[str, Declared]:
    found: dict[str, Declared] = {}
    for item in (*stack.upstream, stack):
        if not item.valid:
            continue
        for key in item.project_keys():
            section = item.project(key)
            dataset = section.bigquery_dataset if section is not None else None
            if dataset is None:
                continue
            path = ("config", "input:projects", key, "bigquery_dataset", "dataset_id")
            found[dataset.dataset_id] = Declared(
                dataset.dataset_id, key, path, item.position(path, value=True)
            )
    return found
