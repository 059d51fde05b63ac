"""``infrastructure/pyproject.toml`` and ``Pulumi.yaml``: isolated, undocumented in place,
depending on Pulumi, running Python."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from polyinfra.checks.context import CheckContext
from polyinfra.checks.problem import Level, Problem
from polyinfra.checks.rule import WorkspaceRule
from polyinfra.errors import UserError
from polyinfra.positions import Position
from polyinfra.workspace import Workspace
from polyinfra.workspace.tomlfile import key_position, load_toml
from polyinfra.yamlio import load_file
from polyinfra.yamlio.text import Bounds, examine

_REQUIRED = ("pulumi", "pulumi-gcp")
#: A PEP 508 requirement's name, at the start of its text.
_NAME = re.compile(r"^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)")
#: pip's comment: ``#`` at the start of a line or after whitespace.
_COMMENT = re.compile(r"(^|\s)#.*$")
#: The package an editable VCS requirement names (``-e git+https://...#egg=name``).
_EGG = re.compile(r"[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)")
_INCLUDE = ("-r", "--requirement")


def _normalized(name: str) -> str:
    """PEP 503: ``Pulumi_GCP`` and ``pulumi.gcp`` are ``pulumi-gcp``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _dependency_names(specs: object) -> set[str]:
    names = set()
    for spec in specs if isinstance(specs, list) else []:
        found = _NAME.match(str(spec))
        if found:
            names.add(_normalized(found.group(1)))
    return names


def _pyproject_names(data: dict[str, object]) -> set[str]:
    """``[project] dependencies``, and Poetry's ``[tool.poetry.dependencies]`` keys."""
    project = data.get("project")
    names = _dependency_names(project.get("dependencies") if isinstance(project, dict) else None)
    tool = data.get("tool")
    poetry = tool.get("poetry") if isinstance(tool, dict) else None
    poetry_deps = poetry.get("dependencies") if isinstance(poetry, dict) else None
    if isinstance(poetry_deps, dict):
        names |= {_normalized(str(key)) for key in poetry_deps if str(key) != "python"}
    return names


@dataclass
class Requirements:
    """What a pip requirements file (and the files it includes with ``-r``) installs."""

    names: set[str] = field(default_factory=set)
    #: ``-r`` includes that name no file (pip stops there): where, and the path written.
    missing: list[tuple[Position, str]] = field(default_factory=list)
    read: set[Path] = field(default_factory=set)


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """(line number, text) with backslash continuations joined, as pip joins them."""
    pending: tuple[int, str] | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        if pending is not None:
            number, raw = pending[0], pending[1] + raw
            pending = None
        if raw.endswith("\\") and not _COMMENT.match(raw):
            pending = (number, raw[:-1])
            continue
        yield number, raw
    if pending is not None:
        yield pending


def _option(line: str) -> tuple[str, str]:
    """An option line as (flag, value): ``-r f``, ``-rf``, ``--requirement=f``,
    ``--requirement f``."""
    if line.startswith("--"):
        word, _, rest = line.partition(" ")
        flag, equals, value = word.partition("=")
        return flag, (value if equals else rest).strip()
    return line[:2], line[2:].strip()


def read_requirements(
    path: Path, found: Requirements | None = None, *, bounds: Bounds | None = None
) -> Requirements:
    """The package names ``path`` installs, as pip reads it: comments, line continuations,
    extras, version specifiers, markers, ``name @ url``, ``-e ...#egg=name`` and ``-r``
    includes (relative to the including file). Constraints (``-c``) install nothing."""
    found = found if found is not None else Requirements()
    if path.resolve() in found.read:
        return found
    found.read.add(path.resolve())
    examine(path, bounds=bounds)  # before anything opens it: a named pipe would hang the command
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return found
    for number, raw in _logical_lines(text):
        line = _COMMENT.sub("", raw).strip()
        if not line:
            continue
        if line.startswith("-"):
            flag, value = _option(line)
            if flag in _INCLUDE and value:
                target = path.parent / value
                if target.is_file():
                    read_requirements(target, found, bounds=bounds)
                else:
                    column = raw.find(value) + 1 or 1
                    found.missing.append((Position(path, number, column), value))
            elif flag in ("-e", "--editable"):
                egg = _EGG.search(value)
                if egg:
                    found.names.add(_normalized(egg.group(1)))
            continue
        if "://" in line.split("@", 1)[0] or line.startswith((".", "/")):
            continue  # a URL or a local path: its name is unknown until it is built
        name = _NAME.match(line)
        if name:
            found.names.add(_normalized(name.group(1)))
    return found


def _runtime_options(project_file: Path, bounds: Bounds) -> dict[str, object]:
    try:
        data = load_file(project_file, bounds=bounds).data
    except UserError:
        return {}
    runtime = data.get("runtime") if isinstance(data, dict) else None
    options = runtime.get("options") if isinstance(runtime, dict) else None
    return options if isinstance(options, dict) else {}


class InfraDependencies:
    """The infrastructure program's dependencies include ``pulumi`` and ``pulumi-gcp``.

    The foundation stack is installed from its own files alone (``pulumi install`` in CI), so
    the SDK and the Google Cloud provider must be listed there, not in the root workspace.
    With the ``uv`` or ``poetry`` toolchain that is ``infrastructure/pyproject.toml``
    (``[project] dependencies``, or Poetry's ``[tool.poetry.dependencies]``); with pip, Pulumi's
    default (``runtime.options.virtualenv``, the classic layout), it is ``requirements.txt``
    next to ``Pulumi.yaml`` when there is one, read as pip reads it (``-r`` includes followed).

    Bad::

        [project]
        name = "data-platform-infrastructure"
        dependencies = ["pulumi>=3.213.0"]

    Good::

        [project]
        name = "data-platform-infrastructure"
        dependencies = ["pulumi>=3.213.0", "pulumi-gcp>=9.6.0"]
    """

    ID = "workspace/infra-dependencies"
    LEVEL = Level.ERROR

    def check(self, ctx: CheckContext) -> Iterator[Problem]:
        ws = ctx.workspace
        if ws is None or not ws.infrastructure.is_dir():
            return
        # What each program installs from: requirements.txt next to Pulumi.yaml when Pulumi
        # installs with pip (its default toolchain), else infrastructure/pyproject.toml.
        requirements = [
            program.path / "requirements.txt"
            for program in ws.programs
            if (program.path / "requirements.txt").is_file()
            and _runtime_options(program.project_file, ws.bounds).get("toolchain") in (None, "pip")
        ]
        uses_pyproject = len(requirements) < len(ws.programs) or not ws.programs
        if ws.infra_pyproject is None and uses_pyproject:
            yield Problem(
                Position(ws.infrastructure / "pyproject.toml", 1, 1),
                self.ID,
                "infrastructure/ has no pyproject.toml",
                hint="add infrastructure/pyproject.toml with pulumi and pulumi-gcp in "
                "[project] dependencies (`polyinfra init` writes one), or a requirements.txt "
                "next to Pulumi.yaml",
            )
        for path in requirements:
            found = read_requirements(path, bounds=ws.bounds)
            for position, target in found.missing:
                yield Problem(
                    position,
                    self.ID,
                    f"{ws.rel(path)} includes {target}, which does not exist",
                    hint="fix the path (it is relative to the including file) or remove the line",
                )
            missing = [name for name in _REQUIRED if name not in found.names]
            if missing:
                yield Problem(
                    Position(path, 1, 1),
                    self.ID,
                    f"{ws.rel(path)} does not depend on {' or '.join(missing)}",
                    hint="add " + ", ".join(f"a line {name}>=…" for name in missing),
                )
        if ws.infra_pyproject is not None and uses_pyproject:
            names = _pyproject_names(load_toml(ws.infra_pyproject))
            missing = [name for name in _REQUIRED if name not in names]
            if missing:
                yield Problem(
                    key_position(ws.infra_pyproject, ("project",), "dependencies"),
                    self.ID,
                    f"infrastructure/pyproject.toml does not depend on {' or '.join(missing)}",
                    hint="add "
                    + ", ".join(f'"{name}>=…"' for name in missing)
                    + " to [project] dependencies",
                )


class InfraNoReadmeField:
    """``infrastructure/pyproject.toml`` has no ``readme`` field.

    The infrastructure project is never published and is documented with the rest of the
    workspace conventions, not by a README of its own.

    Bad::

        [project]
        name = "data-platform-infrastructure"
        readme = "README.md"

    Good::

        [project]
        name = "data-platform-infrastructure"
    """

    ID = "workspace/infra-no-readme-field"
    LEVEL = Level.ERROR

    def check(self, ctx: CheckContext) -> Iterator[Problem]:
        ws = ctx.workspace
        if ws is None or ws.infra_pyproject is None:
            return
        if "readme" in load_toml(ws.infra_pyproject).get("project", {}):
            yield Problem(
                key_position(ws.infra_pyproject, ("project",), "readme"),
                self.ID,
                "infrastructure/pyproject.toml has a `readme` field",
                hint="remove the `readme` line from [project]",
            )


class InfraNoReadmeFile:
    """No ``README.md`` anywhere under ``infrastructure/``.

    Infrastructure patterns are documented once for the workspace; README files scattered in
    ``infrastructure/`` drift from the code they describe.

    Bad::

        infrastructure/README.md
        infrastructure/pulumi/README.md

    Good::

        infrastructure/pyproject.toml
        infrastructure/pulumi/Pulumi.yaml
    """

    ID = "workspace/infra-no-readme-file"
    LEVEL = Level.ERROR

    def check(self, ctx: CheckContext) -> Iterator[Problem]:
        ws = ctx.workspace
        if ws is None or not ws.infrastructure.is_dir():
            return
        for dirpath, dirnames, filenames in os.walk(ws.infrastructure):
            dirnames[:] = sorted(
                d for d in dirnames if not d.startswith(".") and d not in {".venv", "__pycache__"}
            )
            for name in sorted(filenames):
                if name.lower() == "readme.md":
                    path = Path(dirpath) / name
                    yield Problem(
                        Position(path, 1, 1),
                        self.ID,
                        f"{ws.rel(path)}: infrastructure/ must not contain a README.md",
                        hint="delete it and keep the documentation with the workspace docs",
                    )


class PulumiPythonRuntime(WorkspaceRule):
    """``Pulumi.yaml`` uses the ``python`` runtime.

    The foundation program is polyinfra's Python program; another runtime would not run it.

    Bad::

        name: data-platform
        runtime: nodejs

    Good::

        name: data-platform
        runtime:
          name: python
          options:
            toolchain: uv
    """

    ID = "workspace/pulumi-python-runtime"
    LEVEL = Level.ERROR

    def check_workspace(self, ws: Workspace, ctx: CheckContext) -> Iterator[Problem]:
        for program in ws.programs:
            if program.runtime == "python":
                continue
            doc = load_file(program.project_file, bounds=ws.bounds)
            runtime = doc.get(("runtime",))
            path = ("runtime", "name") if isinstance(runtime, dict) else ("runtime",)
            yield Problem(
                doc.position(path, value=True),
                self.ID,
                f"Pulumi.yaml runtime is {program.runtime or 'not set'!r}, not python",
                hint="set `runtime: {name: python, options: {toolchain: uv}}`",
            )
