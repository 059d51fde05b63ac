"""Discovery reads less than it did and answers the same: the import search from the changed
bricks against the whole import graph, and folder listings against the pathlib and os.walk
readings they replaced, on trees with links, hidden folders and names Python normalizes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from polyinfra.workspace.discover import SKIP_DIRS, _walk_files, discover_bricks, subdirs
from polyinfra.workspace.imports import brick_dependents, brick_imports
from polyinfra.workspace.model import Brick
from tests.conftest import write_tree

NS = "acme"
TREE = {
    "components/acme/log/__init__.py": "def log(text):\n    print(text)\n",
    "components/acme/db/__init__.py": "from acme.log import log\n",
    "components/acme/db/inner/deep.py": "import acme.cache\n",
    "components/acme/cache/__init__.py": "class Cache: ...\n",
    "components/acme/wide/__init__.py": "from acme import (\n    db,\n    log as logging,\n)\n",
    # identifiers are NFKC-normalized: the fullwidth name imports brick ``log``
    "components/acme/odd/__init__.py": "from acme import \uff4c\uff4f\uff47\n",
    "components/acme/typed/__init__.py": (
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from acme import wide\n"
    ),
    "components/acme/broken/__init__.py": "from acme import db(\n",
    "components/acme/hidden/.cache/x.py": "from acme import log\n",
    "components/acme/hidden/__pycache__/x.py": "from acme import log\n",
    "components/acme/hidden/__init__.py": "",
    "bases/acme/api/__init__.py": "from acme import wide, typed\n",
    "bases/acme/log/__init__.py": "from acme.db import x\n",  # a base named like a component
}


@pytest.fixture
def bricks(tmp_path: Path) -> dict[str, Brick]:
    root = write_tree(tmp_path / "ws", TREE)
    return discover_bricks(root, NS, "loose")


def test_dependents_are_those_of_the_whole_graph(bricks: dict[str, Brick]) -> None:
    graph = brick_imports(bricks, NS)
    names = sorted(bricks)
    for changed in [[name] for name in names] + [names[:3], names[-2:], ["bases/acme/gone"]]:
        assert brick_dependents(bricks, NS, changed) == graph.dependents(changed), changed
    assert "components/acme/odd" in brick_dependents(bricks, NS, ["components/acme/log"])


def _old_subdirs(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith((".", "__")))


def _old_walk(top: Path, names: set[str]) -> list[Path]:
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("."))
        found.extend(Path(dirpath) / f for f in filenames if f in names)
    return found


def test_listings_match_pathlib_and_os_walk(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path / "infra",
        {
            "pulumi/Pulumi.yaml": "name: a\n",
            "pulumi/sub/Pulumi.yml": "name: b\n",
            "b/Pulumi.yaml": "name: c\n",
            ".hidden/Pulumi.yaml": "name: d\n",
            "node_modules/x/Pulumi.yaml": "name: e\n",
            "__dunder/Pulumi.yaml": "name: f\n",
            "file.txt": "",
        },
    )
    (root / "linked").symlink_to(root / "pulumi", target_is_directory=True)
    (root / "loop").symlink_to(root, target_is_directory=True)
    (root / "dangling").symlink_to(root / "nowhere")
    (root / "pulumi" / "Pulumi.yml").symlink_to(root / "b" / "Pulumi.yaml")
    names = {"Pulumi.yaml", "Pulumi.yml"}
    assert sorted(_walk_files(root, names)) == sorted(_old_walk(root, names))
    for folder in (root, root / "pulumi", root / "file.txt", root / "missing"):
        assert subdirs(folder) == _old_subdirs(folder)
