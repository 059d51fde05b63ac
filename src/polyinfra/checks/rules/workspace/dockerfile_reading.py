"""What a Dockerfile puts into its image, read as far as the brick rules need: instructions
with their positions, build stages, ``ARG``/``ENV`` substitution, ``COPY``/``ADD`` sources and
destinations, ``RUN --mount`` binds, and the wheel builds and ``pip``/``uv pip`` installs that
``RUN`` commands make.

The reading follows the Dockerfile reference (instructions and substitution as
:mod:`~polyinfra.checks.rules.workspace.dockerfile_syntax` reads them, JSON and shell forms) and
never fails: a line it cannot read contributes nothing.
"""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path

from polyinfra.checks.rules.workspace.dockerfile_syntax import (
    Instruction,
    instructions,
    normalize,
    shell_commands,
    shell_words,
    substitute,
)
from polyinfra.positions import Position
from polyinfra.yamlio.text import Bounds, examine

_JSON_FORM = re.compile(r"^((?:--\S+\s+)*)(\[.*\])\s*$", re.DOTALL)
_PIP = re.compile(r"^pip(\d+(\.\d+)?)?$")
_PYTHON = re.compile(r"^python(\d+(\.\d+)?)?$")
_SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh"})
#: folders that conventionally hold built distributions
WHEEL_FOLDERS = frozenset({"dist", "wheels", "wheelhouse"})
#: tools whose ``build`` command builds the project's wheel (``poetry build-project`` is the
#: Poetry Multiproject plugin's, the documented way to package a Polylith project with Poetry)
_BUILDERS = frozenset({"poetry", "uv", "hatch", "pdm", "rye", "flit"})
_BUILD_WORDS = frozenset({"build", "build-project"})
_OUT_DIR_OPTIONS = frozenset(
    {"-o", "--out-dir", "--outdir", "--output", "--dest", "-w", "--wheel-dir", "-d"}
)
#: where ``poetry -C``/``uv --directory`` run, and so where ``dist/`` lands by default
_PROJECT_OPTIONS = frozenset({"-C", "--directory", "--project"})
_INSTALL_VALUE_OPTIONS = frozenset(
    {
        "-r", "--requirement", "-c", "--constraint", "-t", "--target", "--prefix", "--root",
        "-i", "--index-url", "--extra-index-url", "--python", "-p", "--trusted-host",
        "--platform", "--python-version", "--implementation", "--abi", "--cache-dir", "--src",
        "--upgrade-strategy", "--progress-bar", "--report", "--config-settings",
        "--global-option", "--no-binary", "--only-binary", "--index-strategy",
        "--keyring-provider", "--resolution", "--prerelease", "--exclude-newer", "--override",
        "--link-mode", "--index", "--default-index", "--group", "--extra", "-C",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Copy:
    """A ``COPY``/``ADD`` (or a ``RUN --mount`` bind) in stage ``stage``: its sources after
    substitution, where they land (absolute), and where they come from: the build context
    (``from_stage`` and ``from_image`` None), an earlier stage, or another image."""

    sources: tuple[str, ...]
    destination: str
    stage: int
    position: Position
    from_stage: int | None = None
    from_image: str | None = None
    #: a ``RUN --mount``: there while the command runs, not in the image
    mounted: bool = False

    @property
    def from_context(self) -> bool:
        return self.from_stage is None and self.from_image is None


@dataclass(frozen=True)
class Install:
    """A ``pip install`` (``python -m pip``, ``uv pip``, ``uv tool``, ``pipx``) in a ``RUN``:
    the requirements it names (paths made absolute against ``WORKDIR``) and its
    ``--find-links`` folders."""

    requirements: tuple[str, ...]
    find_links: tuple[str, ...]
    stage: int
    position: Position


@dataclass(frozen=True)
class Build:
    """A ``RUN`` that builds distributions (``poetry build-project``, ``uv build``,
    ``hatch build``, ``python -m build``, ``pip wheel``...) and the folders they land in."""

    out_dirs: tuple[str, ...]
    stage: int
    position: Position


@dataclass
class Dockerfile:
    """What a Dockerfile does, instruction by instruction, grouped by kind."""

    path: Path
    stages: list[str | None] = field(default_factory=list)
    copies: list[Copy] = field(default_factory=list)
    installs: list[Install] = field(default_factory=list)
    builds: list[Build] = field(default_factory=list)

    def build_stages(self) -> set[int]:
        """Stages that build a wheel."""
        return {build.stage for build in self.builds}


def read_dockerfile(path: Path, bounds: Bounds | None = None) -> Dockerfile:
    """Read ``path`` (``OSError`` and ``UnicodeDecodeError`` propagate; a named pipe, a device,
    a file outside ``bounds`` or over their size limit raises
    :class:`~polyinfra.errors.RefusedFile`)."""
    examine(path, bounds=bounds)  # before anything opens it: a named pipe would hang the command
    return parse(path.read_text(encoding="utf-8"), path)


def parse(text: str, path: Path) -> Dockerfile:
    return _Reader(path).read(instructions(text, path))


class _Reader:
    """Walks the instructions once, keeping each stage's WORKDIR and variables."""

    def __init__(self, path: Path) -> None:
        self.result = Dockerfile(path)
        self.global_args: dict[str, str | None] = {}
        self.variables: dict[str, str | None] = {}
        self.workdir = "/"
        self.stage = -1
        self.workdirs: dict[int, str] = {}
        self.environments: dict[int, dict[str, str | None]] = {}

    def read(self, found: list[Instruction]) -> Dockerfile:
        for instruction in found:
            handler = getattr(self, "_" + instruction.keyword.lower(), None)
            if handler is not None:
                handler(instruction)
        return self.result

    # -- stages and variables

    def _from(self, instruction: Instruction) -> None:
        words = instruction.arguments.split()
        words = [w for w in words if not w.startswith("--")]
        name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
        parent = self._stage_index(words[0]) if words else None
        self.stage += 1
        self.result.stages.append(name.lower() if name else None)
        # a stage built on an earlier one keeps its WORKDIR and ENV, not its ARGs
        self.workdir = self.workdirs.get(parent, "/") if parent is not None else "/"
        inherited = self.environments.get(parent, {}) if parent is not None else {}
        self.environments[self.stage] = dict(inherited)
        self.variables = dict(inherited)
        self.workdirs[self.stage] = self.workdir

    def _arg(self, instruction: Instruction) -> None:
        for word in shell_words(instruction.arguments):
            name, has_default, default = word.partition("=")
            if self.stage < 0:
                self.global_args[name] = default if has_default else None
            elif has_default:
                self.variables[name] = substitute(default, self.variables)
            else:
                self.variables.setdefault(name, self.global_args.get(name))

    def _env(self, instruction: Instruction) -> None:
        words = shell_words(instruction.arguments)
        if words and "=" not in words[0]:
            # the legacy form: ENV NAME value with spaces
            name, _, rest = instruction.arguments.partition(" ")
            self._set_env(name, substitute(rest.strip().strip("\"'"), self.variables))
            return
        for word in words:
            name, _, value = word.partition("=")
            self._set_env(name, substitute(value, self.variables))

    def _set_env(self, name: str, value: str) -> None:
        self.variables[name] = value
        if self.stage >= 0:
            self.environments[self.stage][name] = value

    def _workdir(self, instruction: Instruction) -> None:
        target = substitute(instruction.arguments.strip().strip("\"'"), self.variables)
        self.workdir = self._absolute(target)
        self.workdirs[self.stage] = self.workdir

    # -- files in

    def _copy(self, instruction: Instruction) -> None:
        words = self._json_or_words(instruction.arguments)
        flags: dict[str, str] = {}
        args: list[str] = []
        for word in words:
            if word.startswith("--") and not args:
                key, _, value = word[2:].partition("=")
                flags[key.lower()] = value
            elif not word.startswith("<<"):
                args.append(word)
        if len(args) < 2 or self.stage < 0:
            return
        sources = tuple(substitute(s, self.variables) for s in args[:-1])
        destination = self._absolute(substitute(args[-1], self.variables))
        origin = flags.get("from")
        from_stage = self._stage_index(origin) if origin else None
        from_image = origin if origin and from_stage is None else None
        self.result.copies.append(
            Copy(
                tuple(normalize(s) for s in sources),
                destination,
                self.stage,
                instruction.position,
                from_stage,
                from_image,
            )
        )

    _add = _copy

    # -- commands

    def _run(self, instruction: Instruction) -> None:
        if self.stage < 0:
            return
        arguments = instruction.arguments
        while arguments.startswith("--"):
            flag, _, arguments = arguments.partition(" ")
            arguments = arguments.strip()
            if flag.startswith("--mount="):
                self._mount(flag[len("--mount=") :], instruction)
        if arguments.startswith("["):
            try:
                exec_form = json.loads(arguments)
            except ValueError:
                return
            if isinstance(exec_form, list) and all(isinstance(w, str) for w in exec_form):
                self._command([substitute(w, self.variables) for w in exec_form], instruction)
            return
        script = substitute(arguments, self.variables)
        for body in instruction.heredocs:
            script += " ; " + substitute(body, self.variables).replace("\n", " ; ")
        stage_workdir = self.workdir
        for command in shell_commands(script):
            if command[0] == "cd" and len(command) == 2:
                # `cd projects/x && hatch build`: later commands of this RUN work there
                self.workdir = self._absolute(command[1])
                continue
            self._command(command, instruction)
        self.workdir = stage_workdir

    def _mount(self, spec: str, instruction: Instruction) -> None:
        options: dict[str, str] = {}
        for part in spec.split(","):
            key, _, value = part.partition("=")
            options[key.strip().lower()] = substitute(value.strip(), self.variables)
        if options.get("type", "bind") not in ("bind", "cache"):
            return
        target = options.get("target") or options.get("dst") or options.get("destination")
        if not target:
            return
        origin = options.get("from")
        from_stage = self._stage_index(origin) if origin else None
        from_image = origin if origin and from_stage is None else None
        source = normalize(options.get("source") or options.get("src") or ".")
        self.result.copies.append(
            Copy(
                (source,),
                self._absolute(target),
                self.stage,
                instruction.position,
                from_stage,
                from_image,
                mounted=True,
            )
        )

    def _command(self, words: list[str], instruction: Instruction) -> None:
        for index, word in enumerate(words):
            name = posixpath.basename(word)
            if name in _SHELLS and index + 2 < len(words) and words[index + 1] == "-c":
                for command in shell_commands(words[index + 2]):
                    self._command(command, instruction)
                return
            previous = posixpath.basename(words[index - 1]) if index else ""
            before = words[index - 2] if index >= 2 else ""
            if word == "install" and (
                _PIP.match(previous)
                or previous == "pipx"
                or (previous == "tool" and before == "uv")
            ):
                self._install(words[index + 1 :], instruction)
                return
            if (word in _BUILD_WORDS and previous in _BUILDERS) or (
                word == "build" and previous == "-m" and _PYTHON.match(posixpath.basename(before))
            ):
                self._build(words[index + 1 :], instruction, default="dist")
                return
            if word == "wheel" and _PIP.match(previous):
                self._build(words[index + 1 :], instruction, default=".")
                return

    def _install(self, words: list[str], instruction: Instruction) -> None:
        requirements: list[str] = []
        find_links: list[str] = []
        index = 0
        while index < len(words):
            word = words[index]
            index += 1
            if word == "--":
                requirements.extend(self._requirement(w) for w in words[index:])
                break
            option, has_value, value = word.partition("=")
            if option in ("-f", "--find-links"):
                if not has_value and index < len(words):
                    value, index = words[index], index + 1
                find_links.append(self._absolute(value))
            elif option in ("-e", "--editable"):
                if not has_value and index < len(words):
                    value, index = words[index], index + 1
                requirements.append(self._requirement(value))
            elif option in _INSTALL_VALUE_OPTIONS:
                if not has_value:
                    index += 1
            elif not word.startswith("-") and word != "@":
                requirements.append(self._requirement(word))
        self.result.installs.append(
            Install(tuple(requirements), tuple(find_links), self.stage, instruction.position)
        )

    def _build(self, words: list[str], instruction: Instruction, default: str) -> None:
        out_dirs: list[str] = []
        base = self.workdir
        index = 0
        while index < len(words):
            option, has_value, value = words[index].partition("=")
            index += 1
            if option in _OUT_DIR_OPTIONS or option in _PROJECT_OPTIONS:
                if not has_value and index < len(words):
                    value, index = words[index], index + 1
                if option in _PROJECT_OPTIONS:
                    base = self._absolute(value)
                else:
                    out_dirs.append(self._absolute(value))
        if not out_dirs:
            out_dirs.append(normalize(posixpath.join(base, default)))
        self.result.builds.append(Build(tuple(out_dirs), self.stage, instruction.position))

    # -- helpers

    def _requirement(self, word: str) -> str:
        """A path-like requirement made absolute; a name (``pkg``, ``pkg==1.0``) kept."""
        word = word.removeprefix("file://")
        if "@" in word and not word.startswith("/"):
            word = word.split("@", 1)[1].strip().removeprefix("file://")
        if word.endswith("]") and "[" in word:
            word = word[: word.index("[")]
        looks_like_path = "/" in word or word.startswith(".") or word.endswith(".whl")
        return self._absolute(word) if looks_like_path and "://" not in word else word

    def _absolute(self, path: str) -> str:
        path = path.strip().strip("\"'")
        if path.startswith("/"):
            return normalize(path)
        return normalize(posixpath.join(self.workdir, path))

    def _stage_index(self, reference: str) -> int | None:
        """The earlier stage ``reference`` names (by name or index), else None (an image)."""
        lowered = reference.lower()
        if lowered in self.result.stages:
            return self.result.stages.index(lowered)
        if lowered.isdigit() and int(lowered) < len(self.result.stages):
            return int(lowered)
        return None

    @staticmethod
    def _json_or_words(arguments: str) -> list[str]:
        """The words of ``[--flag=...] ["src", "dest"]`` (JSON form) or of the shell form."""
        found = _JSON_FORM.match(arguments)
        if found:
            try:
                loaded = json.loads(found.group(2))
            except ValueError:
                loaded = None
            if isinstance(loaded, list) and all(isinstance(w, str) for w in loaded):
                return found.group(1).split() + loaded
        return shell_words(arguments)
