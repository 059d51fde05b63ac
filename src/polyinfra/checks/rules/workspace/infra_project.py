"""``infrastructure/pyproject.toml`` and ``Pulumi.yaml``: isolated, undocumented in place,
depending on Pulumi, running Python."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

from polyinfra.checks.context import CheckContext
from polyinfra.checks.problem import Level, Problem
from polyinfra.positions import Position
from polyinfra.workspace.tomlfile import key_position, load_toml
from polyinfra.yamlio import load_file

_REQUIRED = ("pulumi", "pulumi-gcp")
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def _dependency_names(specs: object) -> set[str]:
    names = set()
    for spec in specs if isinstance(specs, list) else []:
        found = _NAME.match(str(spec))
        if found:
            names.add(found.group(1).lower().replace("_", "-").replace(".", "-"))
    return names


class InfraDependencies:
    """``infrastructure/pyproject.toml`` exists and depends on ``pulumi`` and ``pulumi-gcp``.

    The foundation stack is installed from this file alone (``pulumi install`` in CI), so the
    SDK and the Google Cloud provider must be listed here, not in the root workspace.

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
    AREA = "workspace"

    def check(self, ctx: CheckContext) -> Iterator[Problem]:
        ws = ctx.workspace
        if ws is None or not ws.infrastructure.is_dir():
            return
        if ws.infra_pyproject is None:
            yield Problem(
                Position(ws.infrastructure / "pyproject.toml", 1, 1),
                self.ID,
                "infrastructure/ has no pyproject.toml",
                hint="add infrastructure/pyproject.toml with pulumi and pulumi-gcp in "
                "[project] dependencies (`polyinfra init` writes one)",
            )
            return
        data = load_toml(ws.infra_pyproject)
        names = _dependency_names(data.get("project", {}).get("dependencies"))
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
    AREA = "workspace"

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
    AREA = "workspace"

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


class PulumiPythonRuntime:
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
    AREA = "workspace"

    def check(self, ctx: CheckContext) -> Iterator[Problem]:
        ws = ctx.workspace
        if ws is None:
            return
        for program in ws.programs:
            if program.runtime == "python":
                continue
            doc = load_file(program.project_file)
            runtime = doc.get(("runtime",))
            path = ("runtime", "name") if isinstance(runtime, dict) else ("runtime",)
            yield Problem(
                doc.position(path, value=True),
                self.ID,
                f"Pulumi.yaml runtime is {program.runtime or 'not set'!r}, not python",
                hint="set `runtime: {name: python, options: {toolchain: uv}}`",
            )
