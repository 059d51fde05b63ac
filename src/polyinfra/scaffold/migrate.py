"""`polyinfra migrate three-stack`: split a workspace's one foundation program into the
three-stack layout's ``platform/`` and ``services/`` programs beside each other.

Everything is decided first (:func:`plan_migration`: each stack file split, each move, each new
file), printed, and only then done (:func:`apply_migration`), all or nothing: new files are
written into a staging folder inside the program folder, the old entries are renamed into it,
and the two programs are renamed into place last; a failure renames everything back.
"""

from __future__ import annotations

import ast
import os
import shlex
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from polyinfra.errors import UserError, UserErrors
from polyinfra.foundation.config import ORGANIZATION_KEY
from polyinfra.positions import Position
from polyinfra.scaffold.init import SCHEMA_FILE
from polyinfra.scaffold.migrate_files import pulumi_yaml, rewrite_settings
from polyinfra.scaffold.split import split_stack
from polyinfra.scaffold.templates import render
from polyinfra.workspace import Workspace
from polyinfra.workspace.model import PulumiProgram
from polyinfra.yamlio import read_stack_file, read_text

PLATFORM = "platform"
SERVICES = "services"
#: Files of the old program the platform gets a copy of (services keeps them): what makes the
#: program run (the stack files' schema, pip's requirements).
COPIED = (SCHEMA_FILE, "requirements.txt")
MAIN = "__main__.py"
#: The prefix of the staging folder inside the program folder while a migration is applied.
STAGING = ".polyinfra-migrate-"


@dataclass(frozen=True)
class Write:
    """A new file and its bytes; ``note`` says what it holds."""

    path: Path
    content: bytes
    note: str = ""


@dataclass(frozen=True)
class Move:
    """A file or folder of the old program moved into ``services/``."""

    source: Path
    target: Path


@dataclass(frozen=True)
class Migration:
    """Every change of one migration; ``done`` when the workspace is already three-stack."""

    root: Path
    program: Path
    moves: tuple[Move, ...] = ()
    writes: tuple[Write, ...] = ()
    removed: tuple[Path, ...] = ()  # old files whose content the new ones hold
    update: Write | None = None  # infrastructure/pyproject.toml
    notes: tuple[str, ...] = field(default=())
    done: bool = False

    def lines(self, *, dry_run: bool = False) -> list[str]:
        """One line per change, paths relative to the workspace root, then the notes."""
        if self.done:
            where = self._rel(self.program)
            return [
                f"nothing to do: {where} is already split into {where}/{PLATFORM}/ and "
                f"{where}/{SERVICES}/"
            ]
        rows: list[tuple[str, str, str]] = []
        for move in self.moves:
            slash = "/" if move.source.is_dir() else ""
            shown = f"{self._rel(move.source)}{slash} -> {self._rel(move.target)}{slash}"
            rows.append(("move", shown, ""))
        for write in self.writes:
            rows.append(("create", self._rel(write.path), write.note))
        for path in self.removed:
            rows.append(("remove", self._rel(path), "split into platform/ and services/"))
        if self.update is not None:
            rows.append(("update", self._rel(self.update.path), self.update.note))
        result = []
        for action, shown, note in rows:
            label = f"would {action}" if dry_run else action
            result.append(
                f"{label:<{15 if dry_run else 9}} {shown}" + (f"  ({note})" if note else "")
            )
        return [*result, *self.notes]

    def _rel(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)


def plan_migration(path: Path) -> Migration:
    """The migration of the workspace that contains ``path``; nothing is written."""
    ws = Workspace.discover(path)
    program = _the_program(ws)
    if isinstance(program, Path):
        return Migration(ws.root, program, done=True)
    _check_movable(program.project_file, ws)
    folder = program.path
    for name in (PLATFORM, SERVICES):
        if (folder / name).exists() or (folder / name).is_symlink():
            raise UserError(
                f"{ws.rel(folder / name)} already exists in the program's folder",
                position=Position(folder / name),
                hint=f"rename or remove {name}/: the migration creates {name}/ as a program",
            )
    platform, services = folder / PLATFORM, folder / SERVICES
    old_name = program.name
    # services keeps the project's name, so its deployed stacks keep their state as they are;
    # only what moves to the platform changes Pulumi project
    names = {PLATFORM: f"{old_name}-platform", SERVICES: old_name}
    project_text = read_text(program.project_file, bounds=ws.bounds)
    splits = []
    errors: list[UserError] = []
    for stack_file in program.stacks.values():  # every stack file's problem is reported
        try:
            text, _ = read_stack_file(stack_file, bounds=ws.bounds)
            split = split_stack(text, stack_file, old_name=old_name, services_name=names[SERVICES])
        except UserError as exc:
            errors.extend(exc.errors if isinstance(exc, UserErrors) else [exc])
            continue
        splits.append((stack_file, split))
    if errors:
        raise errors[0] if len(errors) == 1 else UserErrors(errors)
    notes: list[str] = []
    writes: list[Write] = []
    for side, target in ((PLATFORM, platform), (SERVICES, services)):
        text = pulumi_yaml(project_text, program.project_file, old_name, names[side])
        writes.append(
            Write(target / program.project_file.name, text.encode(), f"name: {names[side]}")
        )
        if side == PLATFORM:
            writes.extend(_platform_files(folder, platform, ws, notes))
        for stack_file, split in splits:
            if side == PLATFORM:
                content, keys = split.platform, list(split.platform_keys)
            else:
                content, keys = split.services, list(split.services_keys)
            note = f"from {ws.rel(stack_file)}: {', '.join(keys) or 'no config keys'}"
            writes.append(Write(target / stack_file.name, content.encode(), note))
    replaced = {program.project_file, *program.stacks.values()}
    moves = tuple(
        Move(entry, services / entry.name)
        for entry in sorted(folder.iterdir())
        if entry not in replaced and not entry.name.startswith(STAGING)
    )
    update = None
    if ws.infra_pyproject is not None:
        changed = rewrite_settings(ws.infra_pyproject, ws.rel(folder), _platform_names(writes))
        if changed is not None:
            text, note = changed
            update = Write(ws.infra_pyproject, text.encode(), note)
    rel = ws.rel(folder)
    notes.extend(
        [
            "next: run `polyinfra ci generate`: the workflows plan and provision "
            f"{rel}/{PLATFORM} before {rel}/{SERVICES}",
            f"next: {rel}/{SERVICES} keeps the Pulumi project {old_name}, so its deployed "
            f"stacks keep their state; what moved to {rel}/{PLATFORM} is the new project "
            f"{names[PLATFORM]}. Before its first `pulumi up`, create each of its stacks (in "
            f"{rel}/{PLATFORM}, with the backend the old stack is in: `pulumi stack init "
            f"{ORGANIZATION}/{names[PLATFORM]}/<stack>`), then move those resources' state "
            f"there, in {rel}/{SERVICES}. `{ORGANIZATION}` is a self-managed backend's "
            "(GCS, S3, local); on Pulumi Cloud use your organization, and set "
            f"`{old_name}:{ORGANIZATION_KEY}: <organization>` in the services stack files so "
            "their references find the platform's stacks:",
        ]
    )
    for stack_file, split in splits:
        notes.append(_state_move(ws, folder, stack_file, split.platform, old_name, names[PLATFORM]))
    return Migration(
        ws.root,
        folder,
        moves=moves,
        writes=tuple(writes),
        removed=tuple(sorted(replaced)),
        update=update,
        notes=tuple(notes),
    )


#: The organization of a stack on a self-managed backend (GCS, S3, local files).
ORGANIZATION = "organization"


def _check_movable(project_file: Path, ws: Workspace) -> None:
    """A UserError, at its line, for a ``Pulumi.yaml`` setting that names a path relative to
    the program folder (``main``, ``runtime.options.virtualenv``): the files move one folder
    down into services/ while platform gets its own ``__main__.py``, so such a path would be
    wrong in one program or both."""
    from polyinfra.yamlio import load_file

    doc = load_file(project_file, bounds=ws.bounds)
    for key in (("main",), ("runtime", "options", "virtualenv")):
        value = doc.get(key)
        if not isinstance(value, str) or value.strip() in ("", ".", "./"):
            continue
        if key == ("runtime", "options", "virtualenv") and Path(value).is_absolute():
            continue
        name = ".".join(key)
        raise UserError(
            f"{project_file.name} sets {name}: {value}, a path relative to the program folder, "
            "which the migration moves into services/ (and platform gets a __main__.py of its "
            "own)",
            position=doc.position(key, value=True),
            hint=f"remove {name} (or make it absolute), run the migration, then set it in "
            "each program's Pulumi.yaml relative to that program's folder",
        )


def _state_move(
    ws: Workspace, folder: Path, stack_file: Path, platform: str, project: str, target: str
) -> str:
    """The `pulumi state move` that moves the platform's part of ``stack_file``'s deployed stack
    from project ``project`` to ``target``: the URNs of the resources the platform's part
    declares, from its offline plan (none to move: said so)."""
    from polyinfra.foundation.config import stack_config_of
    from polyinfra.foundation.plan import plan_stack
    from polyinfra.yamlio import load_text

    stack = stack_file.name[len("Pulumi.") : -len(stack_file.suffix)]
    try:
        config = stack_config_of(
            platform, load_text(platform, stack_file), program_dir=folder, bounds=ws.bounds
        )
        plan = plan_stack(folder, stack, config=config, use_main=False)
    except UserError as exc:
        return (
            f"  {stack}: the platform's part cannot be planned ({exc.message}); list the URNs "
            "to move with `pulumi stack --show-urns`"
        )
    if not plan.resources:
        return f"  {stack}: nothing to move"
    urns = " ".join(
        shlex.quote(f"urn:pulumi:{stack}::{project}::{r.type}::{r.name}") for r in plan.resources
    )
    return (
        f"  {stack}: pulumi state move --source {stack} --dest "
        f"{ORGANIZATION}/{target}/{stack} {urns}"
    )


def _the_program(ws: Workspace) -> PulumiProgram | Path:
    """The one program to migrate, or the folder of an already migrated one."""
    programs = ws.programs
    folders = {p.path.name: p.path.parent for p in programs}
    if (
        len(programs) == 2
        and set(folders) == {PLATFORM, SERVICES}
        and folders[PLATFORM] == folders[SERVICES]
    ):
        return folders[PLATFORM]
    if not programs:
        raise UserError(
            f"no Pulumi program under {ws.rel(ws.infrastructure)}/: no Pulumi.yaml found",
            position=Position(ws.infrastructure),
            hint="run `polyinfra init` to create infrastructure/pulumi/, or `polyinfra init "
            "--stacks 3` for the three-stack layout",
        )
    if len(programs) > 1:
        found = ", ".join(ws.rel(p.project_file) for p in programs)
        raise UserError(
            f"more than one Pulumi program, and not the three-stack layout's {PLATFORM}/ and "
            f"{SERVICES}/ side by side: {found}",
            position=Position(programs[0].project_file),
            hint="migrate a workspace that has one foundation program (infrastructure/pulumi/)",
        )
    program = programs[0]
    if program.path.name in (PLATFORM, SERVICES):
        raise UserError(
            f"the one Pulumi program is already in a folder named {program.path.name}/",
            position=Position(program.project_file),
            hint=f"the three-stack layout has {PLATFORM}/ and {SERVICES}/ side by side; create "
            "the other one, or move the program to infrastructure/pulumi/ and run again",
        )
    return program


def _platform_files(folder: Path, platform: Path, ws: Workspace, notes: list[str]) -> list[Write]:
    """The platform's ``__main__.py`` and its copies of the old program's files."""
    template = render("main.py").encode()
    main = folder / MAIN
    writes = []
    if main.is_file():
        content = read_text(main, bounds=ws.bounds)
        if _runs_only_the_engine(content):
            writes.append(Write(platform / MAIN, content.encode(), f"a copy of {ws.rel(main)}"))
        else:
            writes.append(Write(platform / MAIN, template, "run() only"))
            notes.append(
                f"note: {ws.rel(main)} does more than run(): its code stays with services; "
                f"{PLATFORM}/{MAIN} only runs the engine"
            )
    else:
        writes.append(Write(platform / MAIN, template, "run() only"))
    for name in COPIED:
        source = folder / name
        if source.is_file():
            copied = read_text(source, bounds=ws.bounds).encode()
            writes.append(Write(platform / name, copied, f"a copy of {ws.rel(source)}"))
    return writes


def _runs_only_the_engine(source: str) -> bool:
    """Whether a ``__main__.py`` only imports and calls ``polyinfra.foundation.run``."""
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return False
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    statements = [ast.dump(node) for node in body]
    expected = [
        ast.dump(node) for node in ast.parse("from polyinfra.foundation import run\nrun()").body
    ]
    return statements == expected


def _platform_names(writes: list[Write]) -> set[str]:
    return {w.path.name for w in writes if w.path.parent.name == PLATFORM}


def apply_migration(migration: Migration) -> None:
    """Do ``migration``: all of it, or, when something fails, none of it (a file system error
    is then a :class:`UserError` saying that nothing changed)."""
    if migration.done:
        return
    try:
        _apply(migration)
    except OSError as exc:
        where = exc.filename or migration.program
        raise UserError(
            f"could not write the migration ({exc.strerror or exc}: {where}); nothing was changed",
            position=Position(migration.program),
            hint="check that the folder is writable and the disk not full, then run again",
        ) from exc


def _apply(migration: Migration) -> None:
    folder = migration.program
    staging = Path(tempfile.mkdtemp(prefix=STAGING, dir=folder))
    undo: list[tuple[Path, Path]] = []  # renames done, to reverse
    pyproject_temp: Path | None = None
    try:
        for write in migration.writes:
            _write(staging / write.path.relative_to(folder), write.content)
        if migration.update is not None:
            pyproject_temp = _write_beside(migration.update)
        for move in migration.moves:
            _rename(move.source, staging / move.target.relative_to(folder), undo)
        kept = staging / ".replaced"
        kept.mkdir()
        for path in migration.removed:
            _rename(path, kept / path.name, undo)
        for name in (PLATFORM, SERVICES):
            _rename(staging / name, folder / name, undo)
        if pyproject_temp is not None and migration.update is not None:
            os.replace(pyproject_temp, migration.update.path)
            pyproject_temp = None
    except BaseException:
        for source, target in reversed(undo):
            os.rename(target, source)
        if pyproject_temp is not None:
            pyproject_temp.unlink(missing_ok=True)
        shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(staging, ignore_errors=True)


def _rename(source: Path, target: Path, undo: list[tuple[Path, Path]]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    os.rename(source, target)
    undo.append((source, target))


def _write(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    os.chmod(path, 0o644)


def _write_beside(write: Write) -> Path:
    """``write``'s content in a temporary file next to its path, with the path's mode."""
    fd, name = tempfile.mkstemp(prefix=f".{write.path.name}.", dir=write.path.parent)
    with os.fdopen(fd, "wb") as handle:
        handle.write(write.content)
    os.chmod(name, write.path.stat().st_mode & 0o777)
    return Path(name)
