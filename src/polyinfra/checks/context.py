"""What rules read: manifests with source positions, files that would not load, settings."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from polyinfra.checks.problem import UnreadableInput
from polyinfra.cloudrun.vocabulary import CloudRunObject
from polyinfra.positions import Position
from polyinfra.workspace.settings import RulesSettings
from polyinfra.yamlio import Bounds, KeyPath, YamlDocument

if TYPE_CHECKING:
    from polyinfra.checks.stacks import StackFile
    from polyinfra.foundation.plan import Plan
    from polyinfra.workspace import App, Workspace

T = TypeVar("T")


class SourceLookup(Protocol):
    """Where a field of a rendered object was written: the base or overlay file the user edits.

    Returns None when the field has no known source (the caller falls back to the rendered text).
    """

    def __call__(self, path: KeyPath, *, value: bool = False) -> Position | None: ...


@dataclass(frozen=True)
class Manifest:
    """One Kubernetes-style object: a YAML document of a plain file or of a rendered app.

    ``source`` maps a key path to the file the user edits; without it positions are those of
    ``document`` itself. ``rendered`` is True for kustomize output with placeholders replaced;
    ``version`` is then what replaced VERSION_PLACEHOLDER.
    """

    document: YamlDocument
    source: SourceLookup | None = None
    app: str | None = None
    env: str | None = None
    rendered: bool = False
    version: str | None = None

    @property
    def data(self) -> Any:
        return self.document.data

    @property
    def view(self) -> CloudRunObject:
        """The object in Cloud Run's terms (kind, name, pod spec...)."""
        data = self.document.data
        return CloudRunObject(data if isinstance(data, Mapping) else {})

    @property
    def kind(self) -> str | None:
        return self.view.kind

    @property
    def api_version(self) -> str | None:
        return self.view.api_version

    @property
    def is_service(self) -> bool:
        return self.view.is_service

    @property
    def is_job(self) -> bool:
        return self.view.is_job

    @property
    def name(self) -> str:
        return self.view.name or "<unnamed>"

    def get(self, path: KeyPath, default: Any = None) -> Any:
        return self.document.get(path, default)

    def position(self, path: KeyPath = (), *, value: bool = False) -> Position:
        """Position of ``path`` in the file the user edits (key, or value with ``value=True``)."""
        if self.source is not None:
            found = self.source(path, value=value)
            if found is not None:
                return found
        return self.document.position(path, value=value)


@dataclass
class CheckContext:
    """Everything rules may read. Built once per command; rules never re-read files.

    ``shared`` memoizes work several rules need (e.g. one schema walk per manifest).
    """

    manifests: tuple[Manifest, ...] = ()
    unreadable: tuple[UnreadableInput, ...] = ()
    settings: RulesSettings = field(default_factory=RulesSettings)
    # what `check` adds: the workspace, the stack files of each environment checked (one per
    # program, platform before services), and the foundation plan of each (keyed by
    # StackFile.key) when it could be computed
    workspace: Workspace | None = None
    stacks: tuple[StackFile, ...] = ()
    plans: dict[str, Plan | None] = field(default_factory=dict)
    #: overlays kustomize could not build, each at the overlay with kustomize's message
    render_failures: tuple[UnreadableInput, ...] = ()
    #: stacks whose foundation program failed under the Pulumi mocks, at the failing line
    plan_failures: tuple[UnreadableInput, ...] = ()
    #: computes a stack's plan the first time a rule asks for one that ``plans`` lacks (None:
    #: ``plans`` is all there is); it returns None when the program fails
    planner: Callable[[StackFile], Plan | None] | None = field(default=None, repr=False)
    #: the apps under check when not every app of the workspace is (``deploy APP...``)
    only_apps: frozenset[str] | None = None
    _shared: dict[Callable[..., Any], Any] = field(default_factory=dict, repr=False)

    def shared(self, compute: Callable[[CheckContext], T]) -> T:
        """``compute(self)``, computed once per context however many rules ask."""
        if compute not in self._shared:
            self._shared[compute] = compute(self)
        result: T = self._shared[compute]
        return result

    def stack_for_env(self, env: str) -> StackFile | None:
        """The stack file checked for environment ``env``, if any: with several programs, the
        last one's (services), whose lookups include the programs before it (platform)."""
        return next((s for s in reversed(self.stacks) if s.env == env), None)

    def plan_of(self, stack: StackFile) -> Plan | None:
        """The foundation plan of ``stack``: from ``plans``, else computed once by ``planner``;
        None when there is none."""
        if stack.key not in self.plans and self.planner is not None:
            self.plans[stack.key] = self.planner(stack)
        return self.plans.get(stack.key)

    def workspace_apps(self) -> list[App]:
        """The workspace's apps under check (all of them unless ``only_apps`` narrows it), for
        rules that read the apps' own files rather than the rendered manifests."""
        if self.workspace is None:
            return []
        apps = self.workspace.apps.values()
        return [app for app in apps if self.only_apps is None or app.name in self.only_apps]

    def services(self) -> Iterator[Manifest]:
        return (m for m in self.manifests if m.is_service)

    def jobs(self) -> Iterator[Manifest]:
        return (m for m in self.manifests if m.is_job)

    def cloud_run(self) -> Iterator[Manifest]:
        """Services and jobs."""
        return (m for m in self.manifests if m.is_service or m.is_job)


def manifests_from_file(
    path: Path, *, bounds: Bounds | None = None, stream: bool = False
) -> tuple[tuple[Manifest, ...], UnreadableInput | None]:
    """Load every document of a plain manifest file; a file that is not UTF-8 YAML, or is
    missing or unreadable, becomes an :class:`UnreadableInput`. ``bounds`` and ``stream`` (a
    pipe named on the command line): see :func:`polyinfra.yamlio.text.read_bytes`; a file
    they refuse raises :class:`~polyinfra.errors.RefusedFile`."""
    from polyinfra.checks.rules.manifest.templates import TEMPLATE_SUFFIXES, placeholder_near
    from polyinfra.errors import UserError
    from polyinfra.yamlio import load_all_text
    from polyinfra.yamlio.text import read_text

    try:
        text = read_text(path, bounds=bounds, stream=stream)
    except UserError as exc:  # not UTF-8, or a NUL byte: at the first bad byte
        return (), UnreadableInput(exc.position or Position(path), exc.message, exc.hint)
    try:
        documents = load_all_text(text, path)
    except UserError as exc:
        line = exc.position.line if exc.position else 0
        is_template = path.suffix.lower() in TEMPLATE_SUFFIXES
        found = placeholder_near(text, line) if is_template else None
        placeholder = (found[0], Position(path, found[1], found[2])) if found else None
        return (), UnreadableInput(
            exc.position or Position(path), exc.message, exc.hint, placeholder
        )
    return tuple(Manifest(document=doc) for doc in documents), None
