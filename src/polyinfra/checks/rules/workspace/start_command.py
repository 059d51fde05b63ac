"""The command a Dockerfile's image starts with, as Docker builds it: the final stage's
``ENTRYPOINT`` and ``CMD`` (inherited from the stage it is built ``FROM``), exec form or shell
form, and whether it runs the Functions Framework with which ``--target`` and
``--signature-type``.

Docker runs an exec form (``CMD ["a", "b"]``) as written, with no shell to expand ``$VAR``;
a shell form runs under ``/bin/sh -c``. An ``ENTRYPOINT`` in exec form gets the ``CMD`` as its
arguments; in shell form it ignores the ``CMD``. Setting ``ENTRYPOINT`` drops a ``CMD``
inherited from the parent stage. Nothing here fails: a line it cannot read gives nothing.
"""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path

from polyinfra.checks.rules.workspace.dockerfile_syntax import (
    Instruction,
    instructions,
    shell_commands,
)
from polyinfra.positions import Position
from polyinfra.yamlio.text import Bounds, examine

#: The console scripts the ``functions-framework`` distribution installs, and its module.
FRAMEWORK_SCRIPTS = frozenset(
    {
        "functions-framework",
        "functions_framework",
        "functions-framework-python",
        "functions_framework_python",
        "ff",
    }
)
FRAMEWORK_MODULE = "functions_framework"
_PYTHON = re.compile(r"^python(\d+(\.\d+)?)?$")
_SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh"})
#: ``${FUNCTION_TARGET:-name}`` / ``${FUNCTION_TARGET-name}``: the name when the env has none
_TARGET_DEFAULT = re.compile(r"^\$\{FUNCTION_TARGET:?-([^}]*)\}$")


@dataclass(frozen=True)
class Flag:
    """A framework option as the command passes it: its value as written, whether a shell
    expands it, and the instruction that holds it."""

    value: str
    expanded: bool
    position: Position

    @property
    def literal(self) -> str | None:
        """The value when it names no variable (an exec form passes a ``$`` through as text,
        which :attr:`StartCommand.unexpanded` reports)."""
        return self.value if "$" not in self.value else None

    @property
    def default(self) -> str | None:
        """For ``--target=${FUNCTION_TARGET:-name}`` in a shell: ``name``."""
        found = _TARGET_DEFAULT.match(self.value) if self.expanded else None
        return found.group(1) if found and found.group(1) else None


@dataclass(frozen=True)
class StartCommand:
    """What the image runs. ``position`` is the instruction to edit (the ``CMD`` when it is
    used, else the ``ENTRYPOINT``; the final ``FROM`` when neither is set) and ``text`` that
    instruction's arguments. ``framework`` is the framework's position when it is started."""

    keyword: str | None
    text: str
    position: Position
    framework: Position | None
    target: Flag | None = None
    signature_type: Flag | None = None
    #: the first word of an exec form framework command holding a ``$`` no shell expands
    unexpanded: tuple[str, Position] | None = None


@dataclass
class _Stage:
    entrypoint: Instruction | None = None
    cmd: Instruction | None = None


def read_start_command(path: Path, bounds: Bounds | None = None) -> StartCommand | None:
    """The start command of the Dockerfile at ``path``; None for one with no ``FROM``.
    ``OSError``, ``UnicodeDecodeError`` and :class:`~polyinfra.errors.RefusedFile`
    propagate."""
    examine(path, bounds=bounds)
    return start_command(path.read_text(encoding="utf-8"), path)


def start_command(text: str, path: Path) -> StartCommand | None:
    stages: list[_Stage] = []
    names: dict[str, int] = {}
    last_from: Position | None = None
    cmd_here = False
    for instruction in instructions(text, path):
        if instruction.keyword == "FROM":
            words = [w for w in instruction.arguments.split() if not w.startswith("--")]
            parent = _parent(words[0].lower() if words else "", names, len(stages))
            inherited = stages[parent] if parent is not None else _Stage()
            stages.append(_Stage(inherited.entrypoint, inherited.cmd))
            if len(words) >= 3 and words[1].upper() == "AS":
                names[words[2].lower()] = len(stages) - 1
            last_from, cmd_here = instruction.position, False
        elif stages and instruction.keyword == "CMD":
            stages[-1].cmd, cmd_here = instruction, True
        elif stages and instruction.keyword == "ENTRYPOINT":
            stages[-1].entrypoint = instruction
            if not cmd_here:
                stages[-1].cmd = None
    if not stages or last_from is None:
        return None
    return _read(stages[-1], last_from)


def _parent(reference: str, names: dict[str, int], count: int) -> int | None:
    if reference in names:
        return names[reference]
    return int(reference) if reference.isdigit() and int(reference) < count else None


def _python(word: str) -> bool:
    return bool(_PYTHON.match(posixpath.basename(word)))


def _exec_form(instruction: Instruction) -> list[str] | None:
    if not instruction.arguments.startswith("["):
        return None
    try:
        words = json.loads(instruction.arguments)
    except ValueError:
        return None
    if isinstance(words, list) and all(isinstance(w, str) for w in words):
        return words
    return None


def _argv(instruction: Instruction) -> list[tuple[str, Instruction]]:
    words = _exec_form(instruction)
    if words is None:
        words = ["/bin/sh", "-c", instruction.arguments]
    return [(word, instruction) for word in words]


def _read(stage: _Stage, last_from: Position) -> StartCommand:
    entrypoint, cmd = stage.entrypoint, stage.cmd
    argv: list[tuple[str, Instruction]] = []
    shown: Instruction | None = None
    if entrypoint is not None:
        argv, shown = _argv(entrypoint), entrypoint
        if _exec_form(entrypoint) is not None and cmd is not None:
            argv, shown = argv + _argv(cmd), cmd
    elif cmd is not None:
        argv, shown = _argv(cmd), cmd
    if shown is None:
        return StartCommand(None, "", last_from, None)
    base = StartCommand(shown.keyword, shown.arguments, shown.position, None)
    for words, expanded in _commands(argv, expanded=False):
        found = _framework_call(words, expanded, base)
        if found is not None:
            return found
    return base


def _commands(
    argv: list[tuple[str, Instruction]], *, expanded: bool, depth: int = 0
) -> list[tuple[list[tuple[str, Instruction]], bool]]:
    """The simple commands ``argv`` runs: itself, or those of the script it hands a shell
    (``sh -c``, also behind a wrapper such as ``tini --``)."""
    for index, (word, _) in enumerate(argv[:-2]):
        if posixpath.basename(word) in _SHELLS and argv[index + 1][0] == "-c" and depth < 4:
            script, origin = argv[index + 2]
            found: list[tuple[list[tuple[str, Instruction]], bool]] = []
            for command in shell_commands(script):
                words = [(w, origin) for w in command]
                found.extend(_commands(words, expanded=True, depth=depth + 1))
            return found
    return [(argv, expanded)]


def _framework_call(
    words: list[tuple[str, Instruction]], expanded: bool, base: StartCommand
) -> StartCommand | None:
    start: int | None = None
    for index, (word, _) in enumerate(words):
        name = posixpath.basename(word)
        if name in FRAMEWORK_SCRIPTS:
            start = index + 1
            break
        module = words[index + 1][0] if word == "-m" and index + 1 < len(words) else None
        if module == FRAMEWORK_MODULE and index and _python(words[index - 1][0]):
            start = index + 2
            break
    if start is None:
        return None
    options: dict[str, Flag] = {}
    unexpanded: tuple[str, Position] | None = None
    rest = words[start:]
    for index, (word, origin) in enumerate(rest):
        if not expanded and "$" in word and unexpanded is None:
            unexpanded = (word, origin.position)
        option, has_value, value = word.partition("=")
        if option not in ("--target", "--signature-type"):
            continue
        if not has_value:
            if index + 1 >= len(rest):
                continue
            value = rest[index + 1][0]
        options[option] = Flag(value, expanded, origin.position)
    return StartCommand(
        base.keyword,
        base.text,
        base.position,
        words[start - 1][1].position,
        options.get("--target"),
        options.get("--signature-type"),
        unexpanded,
    )
