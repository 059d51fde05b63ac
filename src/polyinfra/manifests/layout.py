"""The Kustomize trees in a folder: which kustomizations are built on their own (the leaves:
no other kustomization of the folder includes them) and which files the kustomizations read, so
that a folder can be checked the way its author builds it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from polyinfra.errors import UserError
from polyinfra.manifests.inputs import named_inputs
from polyinfra.manifests.kustomization import Kustomization, load_kustomization
from polyinfra.workspace.model import KUSTOMIZATION_NAMES

YAML_SUFFIXES = (".yaml", ".yml")
#: Folders a walk never enters (besides hidden ones).
SKIPPED_DIRS = frozenset({".git", ".venv", "venv", "node_modules", "__pycache__", ".tox"})


@dataclass(frozen=True)
class FolderLayout:
    """The YAML files and kustomizations under a folder.

    ``leaves`` are the kustomization folders no other kustomization of the folder includes
    (as a resource, base or component), components excepted: what a user builds. ``used``
    holds every file a kustomization reads (resources, patches, generator and transformer
    inputs), resolved; ``unloadable`` the kustomization folders that do not load (they are
    leaves, so that building them reports why). ``includes`` maps a kustomization folder to
    the kustomization folders it includes.
    """

    yaml_files: tuple[Path, ...]
    kustomizations: tuple[Path, ...]
    leaves: tuple[Path, ...]
    used: frozenset[Path]
    unloadable: tuple[Path, ...]
    includes: dict[Path, tuple[Path, ...]]

    def plain_files(self) -> tuple[Path, ...]:
        """YAML files that are neither a kustomization nor read by one (nor next to one that
        does not load: those are probably its inputs)."""
        kustomization_files = {
            (k / name).resolve() for k in self.kustomizations for name in KUSTOMIZATION_NAMES
        }
        broken = {k.resolve() for k in self.unloadable}
        return tuple(
            f
            for f in self.yaml_files
            if f.resolve() not in self.used
            and f.resolve() not in kustomization_files
            and f.parent.resolve() not in broken
        )

    def reaches(self, folder: Path) -> set[Path]:
        """Every kustomization folder ``folder`` includes, directly or not (resolved)."""
        seen: set[Path] = set()
        todo = [folder.resolve()]
        while todo:
            for child in self.includes.get(todo.pop(), ()):
                if child not in seen:
                    seen.add(child)
                    todo.append(child)
        return seen


def walk(folder: Path, within: Path | None = None) -> tuple[list[Path], list[Path]]:
    """YAML files and kustomization folders under ``folder``, sorted, hidden and tool folders
    skipped. A folder reached through a symbolic link is entered once, and only when it
    resolves inside ``within`` (default: ``folder``): a link to ``/`` or to a parent folder
    neither leaves the tree nor loops."""
    files: list[Path] = []
    kustomizations: list[Path] = []
    bound = (within or folder).resolve()
    entered: set[Path] = set()

    def visit(directory: Path) -> None:
        real = directory.resolve()
        if real in entered or not real.is_relative_to(bound):
            return
        entered.add(real)
        if any((directory / name).exists() for name in KUSTOMIZATION_NAMES):
            kustomizations.append(directory)
        for item in sorted(directory.iterdir()):
            if item.is_dir():
                if item.name not in SKIPPED_DIRS and not item.name.startswith("."):
                    visit(item)
            elif item.suffix in YAML_SUFFIXES:
                files.append(item)

    visit(folder)
    return files, kustomizations


def folder_layout(folder: Path) -> FolderLayout:
    """Read every kustomization under ``folder`` (see :class:`FolderLayout`)."""
    from polyinfra.workspace.bounds import bounds_of

    bounds = bounds_of(folder)
    files, folders = walk(folder, bounds.root)
    known = {k.resolve() for k in folders}
    used: set[Path] = set()
    included: set[Path] = set()
    components: set[Path] = set()
    unloadable: list[Path] = []
    includes: dict[Path, tuple[Path, ...]] = {}
    for directory in folders:
        try:
            kustomization = load_kustomization(directory, fast=True, bounds=bounds)
        except UserError:
            unloadable.append(directory)
            continue
        if _kind(kustomization) == "Component":
            components.add(directory.resolve())
        children: list[Path] = []
        for target in _reads(kustomization):
            if target in known:
                children.append(target)
            else:
                used.add(target)
        included.update(children)
        includes[directory.resolve()] = tuple(children)
    leaves = tuple(
        k for k in folders if k.resolve() not in included and k.resolve() not in components
    )
    return FolderLayout(
        yaml_files=tuple(files),
        kustomizations=tuple(folders),
        leaves=leaves,
        used=frozenset(used),
        unloadable=tuple(unloadable),
        includes=includes,
    )


def _kind(kustomization: Kustomization) -> str:
    data = kustomization.document.data
    return str(data.get("kind") or "") if isinstance(data, dict) else ""


def _reads(kustomization: Kustomization) -> Iterator[Path]:
    """Every local file or folder ``kustomization`` names, resolved."""
    directory = kustomization.directory
    for reference in kustomization.references:
        if not reference.remote and reference.value and "\n" not in reference.value:
            yield Path(os.path.normpath(directory / reference.value)).resolve()
    for patch in kustomization.patches:
        if patch.file is not None:
            yield patch.file.resolve()
    for path, _, _ in named_inputs(kustomization):
        yield path.resolve()
