"""The Python functions a project could serve through the Functions Framework: every
module-level ``def`` of the project's bricks, read with ``ast`` (never imported), with what the
framework needs to know about it: its file and line, how many arguments it requires, and the
``functions_framework`` decorator that fixes its signature type.

The Functions Framework calls an HTTP function with one argument (the request) and an event
function with one argument (the CloudEvent); ``@functions_framework.http`` and
``@functions_framework.cloud_event`` register which one a function is, otherwise
``--signature-type`` / ``FUNCTION_SIGNATURE_TYPE`` says (HTTP by default).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from polyinfra.positions import Position
from polyinfra.workspace.model import Brick, Project
from polyinfra.yamlio.text import Bounds, read_quietly

SignatureType = Literal["http", "cloudevent"]

#: The Functions Framework module and the decorators that register a function's signature type.
FRAMEWORK_MODULE = "functions_framework"
DECORATORS: dict[str, SignatureType] = {"http": "http", "cloud_event": "cloudevent"}
_SKIP_DIRS = {"__pycache__", ".venv", "node_modules", "test", "tests"}


@dataclass(frozen=True)
class FunctionDef:
    """A module-level function of a brick.

    ``required`` counts the positional parameters without a default; ``accepts`` is the most
    positional arguments it takes (None with ``*args``). ``decorated`` is the signature type a
    ``functions_framework`` decorator registers, None without one.
    """

    name: str
    #: the brick's root-relative path, and the dotted module the function is in
    brick: str
    path: Path
    line: int
    column: int
    module: str
    required: int
    accepts: int | None
    decorated: SignatureType | None
    is_async: bool

    @property
    def position(self) -> Position:
        return Position(self.path, self.line, self.column)

    def takes_one_argument(self) -> bool:
        """Whether the framework can call it with exactly one positional argument."""
        return self.required <= 1 and (self.accepts is None or self.accepts >= 1)


def project_functions(
    project: Project, bricks: Mapping[str, Brick], bounds: Bounds | None = None
) -> list[FunctionDef]:
    """Every module-level function of ``project``'s bricks, in file order; files that are not
    UTF-8 Python, are outside ``bounds`` or do not parse are passed over."""
    found: list[FunctionDef] = []
    for rel in project.bricks:
        brick = bricks.get(rel)
        if brick is None:
            continue
        for path in _python_files(brick.path):
            found.extend(_functions_in(path, brick, bounds))
    return found


def _python_files(folder: Path) -> Iterator[Path]:
    if not folder.is_dir():
        return
    for entry in sorted(folder.iterdir()):
        if entry.is_dir():
            if entry.name not in _SKIP_DIRS and not entry.name.startswith("."):
                yield from _python_files(entry)
        elif entry.suffix == ".py" and entry.is_file():
            yield entry


def _functions_in(path: Path, brick: Brick, bounds: Bounds | None) -> Iterator[FunctionDef]:
    data = read_quietly(path, bounds=bounds)
    if data is None:
        return
    try:
        tree = ast.parse(data.decode("utf-8"), filename=str(path))
    except (UnicodeDecodeError, SyntaxError, ValueError):
        return
    aliases = _framework_aliases(tree)
    parts = path.relative_to(brick.path).with_suffix("").parts
    # the brick's folder sits in its namespace folder in both themes
    package = (brick.path.parent.name, brick.name)
    module = ".".join(p for p in (*package, *parts) if p != "__init__")
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            args = node.args
            positional = [*args.posonlyargs, *args.args]
            yield FunctionDef(
                name=node.name,
                brick=brick.rel,
                path=path,
                line=node.lineno,
                column=node.col_offset + 1,
                module=module,
                required=len(positional) - len(args.defaults),
                accepts=None if args.vararg is not None else len(positional),
                decorated=_signature_type(node.decorator_list, aliases),
                is_async=isinstance(node, ast.AsyncFunctionDef),
            )


def _framework_aliases(tree: ast.Module) -> dict[str, str]:
    """Names bound to the framework or its decorators at module level: ``import
    functions_framework as ff`` -> ``{"ff": ""}``, ``from functions_framework import http`` ->
    ``{"http": "http"}``."""
    aliases: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == FRAMEWORK_MODULE:
                    aliases[alias.asname or alias.name] = ""
        elif isinstance(node, ast.ImportFrom) and node.module == FRAMEWORK_MODULE:
            for alias in node.names:
                aliases[alias.asname or alias.name] = alias.name
    return aliases


def _signature_type(decorators: list[ast.expr], aliases: dict[str, str]) -> SignatureType | None:
    for decorator in decorators:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        name: str | None = None
        if (
            isinstance(target, ast.Attribute)
            and isinstance(target.value, ast.Name)
            and aliases.get(target.value.id) == ""
        ):
            name = target.attr
        elif isinstance(target, ast.Name) and aliases.get(target.id):
            name = aliases[target.id]
        if name in DECORATORS:
            return DECORATORS[name]
    return None
