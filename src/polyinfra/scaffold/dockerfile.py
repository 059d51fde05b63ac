"""The spec's Dockerfile for a project: built from the workspace root, uv installs the project's
dependencies from the workspace ``uv.lock``, then exactly its bricks are copied, one ``COPY``
each, and the image runs as an unprivileged user what the project's base provides."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from polyinfra.errors import UserError
from polyinfra.scaffold.templates import render
from polyinfra.workspace import AppKind, Brick, Project, Workspace
from polyinfra.workspace.discover import listed_bricks
from polyinfra.workspace.tomlfile import key_position, load_toml
from polyinfra.yamlio.text import read_quietly

#: The port Cloud Run sends requests to; the manifests `add` writes declare it.
PORT = "8080"
#: Application classes whose instances are ASGI apps, and those that are WSGI apps.
_ASGI = frozenset({"FastAPI", "Starlette", "Litestar", "Quart", "Sanic"})
_WSGI = frozenset({"Flask", "Bottle"})
_APP = re.compile(
    r"^(?P<name>app|application)\s*(?::[^=\n]+)?=\s*(?:[\w.]+\.)?(?P<cls>\w+)\(", re.M
)
_MAIN_GUARD = re.compile(r"^if\s+__name__\s*==\s*[\"']__main__[\"']\s*:", re.M)
_MAIN_FUNCTION = re.compile(r"^(?:async\s+)?def\s+main\s*\(", re.M)
_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


@dataclass(frozen=True)
class GeneratedDockerfile:
    """The text, and what the user should know about it (shown on the file's plan line)."""

    text: str
    note: str = ""


def project_dockerfile(
    ws: Workspace, project: Project, kind: AppKind, target: str
) -> GeneratedDockerfile:
    """The Dockerfile of ``project`` for an app of ``kind`` (``target``: a function's Python
    function). A project that lists no brick is an error at its ``pyproject.toml``: the image
    would hold no code."""
    bricks = listed_bricks(project, ws.root, ws.namespace, ws.bricks)
    if not bricks:
        raise UserError(
            f"project {project.name!r} lists no brick, so its Dockerfile would copy no code",
            position=key_position(project.pyproject, ("tool", "polylith", "bricks")),
            hint="list the bricks it runs under [tool.polylith.bricks] "
            f'(`"../../bases/{ws.namespace}/<brick>" = "{ws.namespace}/<brick>"`), '
            f"or write {ws.rel(project.path)}/Dockerfile yourself",
        )
    data = load_toml(project.pyproject)
    copies = [f"COPY {rel}/ ./{package_path(ws, rel)}/" for rel in bricks]
    base = next((ws.bricks[rel] for rel in bricks if ws.bricks[rel].kind == "base"), None)
    base = base or ws.bricks[bricks[0]]
    main_py = project.path / "main.py"
    if main_py.is_file():
        copies.append(f"COPY {ws.rel(main_py)} ./main.py")
    note = ""
    if kind == "function":
        if "functions-framework" not in _dependencies(data):
            note = f"functions-framework is not a dependency of {ws.rel(project.pyproject)}: add it"
        entry = _function_entry(ws, base, target, main_py.is_file())
    else:
        entry = _entry(ws, data, bricks, base, kind, main_py.is_file())
    return GeneratedDockerfile(
        render(
            "Dockerfile",
            python=_python_version(data),
            uv_version=ws.settings.ci.uv_version,
            project=ws.rel(project.path),
            copies="\n".join(copies),
            entry=entry.rstrip("\n"),
        ),
        note,
    )


def package_path(ws: Workspace, rel: str) -> str:
    """Where a brick's package sits in the image, as in the project's wheel:
    ``bases/acme/api`` (or ``bases/api/src/acme/api``) -> ``acme/api``."""
    return f"{ws.namespace}/{ws.bricks[rel].name}"


def _module(ws: Workspace, brick: Brick, file: str = "") -> str:
    module = f"{ws.namespace}.{brick.name}"
    return f"{module}.{file}" if file and file != "__init__" else module


def _entry(
    ws: Workspace,
    data: dict[str, Any],
    bricks: list[str],
    base: Brick,
    kind: AppKind,
    main_py: bool,
) -> str:
    """What a service or job runs, the most specific that can be known: the project's
    ``main.py``; its one console script in a brick; for a service, the web app its base
    defines, served by the server the project depends on; the base's ``__main__`` guard,
    ``__main__.py`` or ``main()``; else its ``core`` module, run as the spec's images run it."""
    expose = f"EXPOSE {PORT}\n" if kind == "service" else ""
    core = base.path / "core.py"
    core_text = _source(core, ws)
    command: list[str] | None = None
    if main_py:
        command = ["python", "main.py"]
    if command is None:
        command = _script(ws, data, {ws.bricks[rel].name for rel in bricks})
    if command is None and kind == "service":
        command = _server(ws, data, base)
    if command is None and _MAIN_GUARD.search(core_text):
        command = ["python", "-m", _module(ws, base, "core")]
    if command is None and (base.path / "__main__.py").is_file():
        command = ["python", "-m", _module(ws, base)]
    if command is None and _MAIN_FUNCTION.search(core_text):
        command = _call(_module(ws, base, "core"), "main")
    if command is None:
        command = ["python", "-m", _module(ws, base, "core")]
    return f"{expose}USER app\n\nCMD {json.dumps(command)}\n"


def _script(ws: Workspace, data: dict[str, Any], bricks: set[str]) -> list[str] | None:
    """The project's console script (``[project.scripts]`` or ``[tool.poetry.scripts]``) whose
    module is in one of the bricks the image holds, called the way its wrapper would call it
    (the project itself is not installed, so the script's wrapper is not there). The first
    such script, when there are several."""
    project = data.get("project", {})
    tool = data.get("tool", {})
    scripts = project.get("scripts") or tool.get("poetry", {}).get("scripts") or {}
    build = tool.get("polylith", {}).get("build", {})
    top = build.get("top-namespace") if isinstance(build, dict) else None
    for value in scripts.values() if isinstance(scripts, dict) else ():
        if not isinstance(value, str) or ":" not in value:
            continue
        module, _, attribute = (part.strip() for part in value.partition(":"))
        if isinstance(top, str) and module.startswith(f"{top}."):
            module = module[len(top) + 1 :]  # the wheel's prefix; the image copies bricks as is
        parts = module.split(".")
        if len(parts) > 1 and parts[0] == ws.namespace and parts[1] in bricks and attribute:
            return _call(module, attribute)
    return None


def _call(module: str, attribute: str) -> list[str]:
    name, _, rest = attribute.partition(".")
    call = f"{name}.{rest}()" if rest else f"{name}()"
    return ["python", "-c", f"import sys; from {module} import {name}; sys.exit({call})"]


def _server(ws: Workspace, data: dict[str, Any], base: Brick) -> list[str] | None:
    """The web app the base defines (``app = FastAPI()``, ``app = Flask(__name__)``), served
    by the ASGI or WSGI server among the project's dependencies, on Cloud Run's port."""
    dependencies = _dependencies(data)
    files = [base.path / "core.py", base.path / "__init__.py"]
    files += sorted(p for p in base.path.glob("*.py") if p not in files)
    for file in files:
        for found in _APP.finditer(_source(file, ws)):
            app = f"{_module(ws, base, file.stem)}:{found.group('name')}"
            if found.group("cls") in _ASGI:
                if "uvicorn" in dependencies:
                    return ["uvicorn", app, "--host", "0.0.0.0", "--port", PORT]
                if "hypercorn" in dependencies:
                    return ["hypercorn", "--bind", f"0.0.0.0:{PORT}", app]
            elif found.group("cls") in _WSGI and "gunicorn" in dependencies:
                return ["gunicorn", "--bind", f"0.0.0.0:{PORT}", app]
    return None


def _function_entry(ws: Workspace, base: Brick, target: str, main_py: bool) -> str:
    """The Functions Framework serving ``target`` from the file of the base that defines it
    (else its ``core.py``), or from the project's ``main.py``; ``FUNCTION_TARGET``, which the
    Cloud Run manifest sets, takes precedence."""
    if main_py:
        source = "main.py"
    else:
        defines = re.compile(rf"^(?:async\s+)?def\s+{re.escape(target)}\s*\(", re.M)
        files = [base.path / "core.py"]
        files += sorted(p for p in base.path.glob("*.py") if p not in files)
        found = next(
            (p for p in files if defines.search(_source(p, ws))),
            None,
        )
        file = found or files[0]
        source = f"{ws.namespace}/{base.name}/{file.name}"
    return (
        f"EXPOSE {PORT}\nUSER app\n\n"
        f"# FUNCTION_TARGET, which the Cloud Run manifest sets, else {target}\n"
        f"CMD exec functions-framework --source={source} --target=${{FUNCTION_TARGET:-{target}}}\n"
    )


def _dependencies(data: dict[str, Any]) -> set[str]:
    """The project's direct dependencies, by normalized name."""
    names: list[str] = []
    for item in data.get("project", {}).get("dependencies", []) or []:
        found = _REQUIREMENT_NAME.match(str(item))
        if found:
            names.append(found.group(1))
    poetry = data.get("tool", {}).get("poetry", {}).get("dependencies", {})
    if isinstance(poetry, dict):
        names += [str(name) for name in poetry]
    return {re.sub(r"[-_.]+", "-", name).lower() for name in names}


def _python_version(data: dict[str, Any]) -> str:
    """The ``3.N`` of the project's ``requires-python`` (or Poetry's ``python``), else 3.13."""
    wanted = data.get("project", {}).get("requires-python")
    if not isinstance(wanted, str):
        wanted = data.get("tool", {}).get("poetry", {}).get("dependencies", {}).get("python")
    found = re.search(r"3\.(\d+)", wanted) if isinstance(wanted, str) else None
    return f"3.{found.group(1)}" if found else "3.13"


def _source(path: Path, ws: Workspace) -> str:
    """The text of a brick's Python file, for finding what an image runs: empty when there is
    no such file or it may not be read (outside the workspace, not a regular file, too large)."""
    data = read_quietly(path, bounds=ws.bounds)
    return "" if data is None else data.decode("utf-8", errors="replace")
