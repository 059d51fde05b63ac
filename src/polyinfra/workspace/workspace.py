"""``Workspace``: a discovered Polylith workspace and its ``infrastructure/`` folder."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from polyinfra.errors import UserError, UserErrors
from polyinfra.positions import Position
from polyinfra.suggest import did_you_mean
from polyinfra.workspace import discover
from polyinfra.workspace.apps import discover_apps
from polyinfra.workspace.bounds import workspace_bounds
from polyinfra.workspace.model import App, Brick, Project, PulumiProgram
from polyinfra.workspace.settings import Settings
from polyinfra.yamlio.text import MAX_FILE_SIZE, Bounds


@dataclass(frozen=True)
class Workspace:
    """Everything polyinfra knows about a workspace, read once per command."""

    root: Path
    namespace: str
    theme: str
    projects: dict[str, Project]
    bricks: dict[str, Brick]
    uv_members: tuple[str, ...]
    uv_excludes: tuple[str, ...]
    infrastructure: Path
    infra_pyproject: Path | None
    programs: tuple[PulumiProgram, ...]
    apps: dict[str, App]
    settings: Settings

    @classmethod
    def discover(cls, path: Path | str = ".") -> Workspace:
        """Read the workspace that contains ``path`` (any folder inside it): its layout, and the
        apps' projects as the settings and the names say. What the foundation stack files say
        is added by :func:`polyinfra.manifests.links.discover_workspace`, which commands use."""
        root = discover.find_root(Path(path))
        config, source = discover.read_polylith_config(root)
        namespace = discover.read_namespace(config, source)
        structure = config.get("structure", {})
        theme = str(structure.get("theme", "tdd")) if isinstance(structure, dict) else "tdd"
        bricks = discover.discover_bricks(root, namespace, theme)
        # the projects, the settings and the apps are read even when one of them is wrong, so
        # that every mistake is reported at once
        projects, errors = discover.read_projects(root, namespace, bricks)
        members, excludes = discover.read_uv_workspace(root)
        infrastructure = root / "infrastructure"
        infra_pyproject = infrastructure / "pyproject.toml"
        pyproject = infra_pyproject if infra_pyproject.is_file() else None
        try:
            settings = discover.read_settings(pyproject)
        except UserError as exc:
            errors.extend(exc.errors if isinstance(exc, UserErrors) else [exc])
            settings = None
        has_infra = infrastructure.is_dir()
        bounds = workspace_bounds(root, settings.max_file_size if settings else MAX_FILE_SIZE)
        programs = discover.discover_programs(infrastructure, bounds) if has_infra else ()
        apps: dict[str, App] = {}
        if settings is not None:  # without them, apps would be read in the wrong places
            try:
                apps = discover_apps(root, infrastructure, projects, settings, pyproject)
            except UserError as exc:
                errors.extend(exc.errors if isinstance(exc, UserErrors) else [exc])
        if errors:
            raise errors[0] if len(errors) == 1 else UserErrors(errors)
        assert settings is not None
        return cls(
            root=root,
            namespace=namespace,
            theme=theme,
            projects=projects,
            bricks=bricks,
            uv_members=members,
            uv_excludes=excludes,
            infrastructure=infrastructure,
            infra_pyproject=pyproject,
            programs=programs,
            apps=apps,
            settings=settings,
        )

    @property
    def program(self) -> PulumiProgram:
        """The workspace's one Pulumi program."""
        if not self.programs:
            raise UserError(
                f"no Pulumi program under {self.infrastructure}: no Pulumi.yaml found",
                position=Position(self.infrastructure),
                hint="run `polyinfra init` to create infrastructure/pulumi/",
            )
        if len(self.programs) > 1:
            found = ", ".join(str(p.project_file) for p in self.programs)
            raise UserError(
                f"more than one Pulumi program under {self.infrastructure}: {found}",
                hint="keep one Pulumi program per workspace, or pass its folder explicitly",
            )
        return self.programs[0]

    @property
    def layered(self) -> bool:
        """Whether the foundation is split into several Pulumi programs (the three-stack
        layout: ``infrastructure/pulumi/platform/`` and ``infrastructure/pulumi/services/``)."""
        return len(self.programs) > 1

    @functools.cached_property
    def ordered_programs(self) -> tuple[PulumiProgram, ...]:
        """The Pulumi programs, each after those its stack files reference: platform before
        services (see :mod:`polyinfra.workspace.programs`)."""
        from polyinfra.workspace.programs import order_programs

        return order_programs(self.programs, self.bounds)

    def stack_files(self, stack: str) -> tuple[Path, ...]:
        """Stack ``stack``'s files, one per program that has it, in :attr:`ordered_programs`
        order (the program that is read from last comes last)."""
        return tuple(p.stacks[stack] for p in self.ordered_programs if stack in p.stacks)

    def program_at(self, path: Path | str) -> PulumiProgram:
        """The program whose folder holds ``path`` (``-w infrastructure/pulumi/services``),
        else the workspace's one program (:attr:`program`)."""
        where = Path(path).resolve()
        for program in self.programs:
            if where.is_relative_to(program.path.resolve()):
                return program
        return self.program

    @property
    def bounds(self) -> Bounds:
        """Where the files read on behalf of the workspace may be (inside its root) and how
        large they may be (``max_file_size``)."""
        return workspace_bounds(self.root, self.settings.max_file_size)

    def stack_for_env(self, env: str) -> str:
        """The Pulumi stack that backs environment (overlay) ``env``."""
        return self.settings.environments.get(env, env)

    def env_for_stack(self, stack: str) -> str:
        """The environment (overlay name) that stack ``stack`` backs."""
        for env, mapped in self.settings.environments.items():
            if mapped == stack:
                return env
        return stack

    @property
    def environments(self) -> tuple[str, ...]:
        """Every environment that some app has an overlay for, sorted."""
        return tuple(sorted({env for app in self.apps.values() for env in app.overlays}))

    def app(self, name: str) -> App:
        """The app called ``name``, or a UserError listing the known ones."""
        try:
            return self.apps[name]
        except KeyError:
            known = ", ".join(self.apps) or "none"
            raise UserError(
                f"no app named {name!r}{did_you_mean(name, self.apps)}; apps: {known}",
                hint="app names are the folder names under infrastructure/cloudrun*/, and "
                "those [tool.polyinfra] apps and app_paths give",
            ) from None

    def select_apps(self, names: Iterable[str]) -> list[App]:
        """The named apps in the order given, or every app when ``names`` is empty."""
        wanted = list(names)
        if not wanted:
            return list(self.apps.values())
        return [self.app(name) for name in wanted]

    def rel(self, path: Path) -> str:
        """``path`` relative to the workspace root, as posix text (for messages and output)."""
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return str(path)
