"""Brick includes of projects, read the way polylith-cli reads them: from the project folder,
from the workspace root, or by the brick name after ``/<namespace>/``; every wrong line is
reported at once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from polyinfra.errors import UserError, UserErrors
from polyinfra.workspace import Workspace
from tests.conftest import write_tree
from tests.workspace.test_discover import polylith_files
from tests.workspace.test_polylith_crosscheck import our_view, poly_view

POLY = Path(sys.executable).parent / "poly"


def project(name: str, *keys: str) -> str:
    lines = "".join(f'"{key}" = "acme/{key.rsplit("/", 1)[-1]}"\n' for key in keys)
    return f'[project]\nname = "{name}"\nversion = "0"\n\n[tool.polylith.bricks]\n{lines}'


def errors_of(exc: UserError, root: Path) -> list[tuple[str, int, int, str]]:
    found = exc.errors if isinstance(exc, UserErrors) else [exc]
    out = []
    for error in found:
        assert error.position is not None
        rel = error.position.file.relative_to(root).as_posix()
        out.append((rel, error.position.line, error.position.col, error.message))
    return out


def test_root_relative_and_name_only_includes_agree_with_poly(tmp_path: Path) -> None:
    files = polylith_files()
    files["projects/rooted/pyproject.toml"] = project(
        "rooted", "bases/acme/api", "components/acme/log"
    )
    # polylith-cli reads the brick after /acme/ whatever the folders before it
    files["projects/loose_prefix/pyproject.toml"] = project(
        "loose-prefix", "../../bases/acme/ingest", "../components/acme/store"
    )
    root = write_tree(tmp_path, files)
    ws = Workspace.discover(root)
    assert ws.projects["rooted"].bricks == ("bases/acme/api", "components/acme/log")
    assert ws.projects["loose_prefix"].bricks == ("bases/acme/ingest", "components/acme/store")
    assert our_view(root) == poly_view(root)


@pytest.mark.skipif(not POLY.is_file(), reason="polylith-cli's poly is not installed")
def test_poly_check_accepts_the_root_relative_workspace(tmp_path: Path) -> None:
    files = polylith_files()
    files["projects/rooted/pyproject.toml"] = project(
        "rooted", "bases/acme/api", "components/acme/log"
    )
    root = write_tree(tmp_path, files)
    Workspace.discover(root)  # no error
    for command in ("check", "info"):
        done = subprocess.run(
            [str(POLY), command], cwd=root, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr
    info = subprocess.run([str(POLY), "info"], cwd=root, capture_output=True, text=True)
    assert "projects: 3" in info.stdout


def test_tdd_theme_root_relative(tmp_path: Path) -> None:
    files = {
        "workspace.toml": '[tool.polylith]\nnamespace = "acme"\n',
        "pyproject.toml": '[project]\nname = "acme"\nversion = "0"\n',
        "components/log/src/acme/log/__init__.py": "",
        "bases/api/src/acme/api/__init__.py": "",
        "projects/svc/pyproject.toml": project(
            "svc", "bases/api/src/acme/api", "../../components/log/src/acme/log"
        ),
    }
    root = write_tree(tmp_path, files)
    ws = Workspace.discover(root)
    assert ws.projects["svc"].bricks == ("bases/api/src/acme/api", "components/log/src/acme/log")
    assert our_view(root) == poly_view(root)


def test_every_wrong_brick_line_is_reported_at_once(tmp_path: Path) -> None:
    files = polylith_files()
    files["projects/first/pyproject.toml"] = project(
        "first", "../../bases/acme/api", "../../components/acme/stor", "components/acme/lgo"
    )
    files["projects/second/pyproject.toml"] = (
        '[tool.poetry]\nname = "second"\npackages = [\n'
        '    {include = "acme/api", from = "../../bases"},\n'
        '    {include = "acme/nope", from = "../../components"},\n'
        "]\n"
    )
    files["projects/third/pyproject.toml"] = (
        '[project]\nname = "third"\n\n[tool.polylith]\nbricks = ["../../bases/acme/api"]\n'
    )
    files["projects/fourth/pyproject.toml"] = project("fourth", "acme/store")
    root = write_tree(tmp_path, files)
    with pytest.raises(UserErrors) as info:
        Workspace.discover(root)
    nowhere = "nothing at that path from the project folder or the workspace root"
    assert errors_of(info.value, root) == [
        (
            "projects/first/pyproject.toml",
            7,
            1,
            "project 'first' includes brick '../../components/acme/stor', which does not "
            f"exist: {nowhere}, and no base or component is named 'stor' (did you mean "
            "'../../components/acme/store'?)",
        ),
        (
            "projects/first/pyproject.toml",
            8,
            1,
            "project 'first' includes brick 'components/acme/lgo', which does not exist: "
            f"{nowhere}, and no base or component is named 'lgo' (did you mean "
            "'components/acme/log'?)",
        ),
        (
            "projects/fourth/pyproject.toml",
            6,
            1,
            "project 'fourth' includes brick 'acme/store', which does not exist: "
            f"{nowhere}, and it has no /acme/<brick> part to read a brick name from (did you "
            "mean '../../components/acme/store'?)",
        ),
        (
            "projects/second/pyproject.toml",
            5,
            16,
            "project 'second' includes brick '../../components/acme/nope', which does not "
            f"exist: {nowhere}, and no base or component is named 'nope'",
        ),
        (
            "projects/third/pyproject.toml",
            5,
            1,
            "[tool.polylith.bricks] must be a table of brick path = package path",
        ),
    ]


def test_the_suggestion_is_never_the_line_written(tmp_path: Path) -> None:
    """A brick written from the root is read, not answered with itself as the suggestion."""
    files = polylith_files()
    files["projects/my_service/pyproject.toml"] = project(
        "my-service", "bases/acme/api", "components/acme/log"
    )
    files["projects/broken/pyproject.toml"] = project("broken", "bases/acme/apii")
    root = write_tree(tmp_path, files)
    with pytest.raises(UserError) as info:
        Workspace.discover(root)
    assert errors_of(info.value, root) == [
        (
            "projects/broken/pyproject.toml",
            6,
            1,
            "project 'broken' includes brick 'bases/acme/apii', which does not exist: nothing "
            "at that path from the project folder or the workspace root, and no base or "
            "component is named 'apii' (did you mean 'bases/acme/api'?)",
        )
    ]
    (root / "projects/broken/pyproject.toml").unlink()
    ws = Workspace.discover(root)
    assert ws.projects["my_service"].bricks == ("bases/acme/api", "components/acme/log")


def test_brick_lines_toml_and_settings_mistakes_are_reported_together(tmp_path: Path) -> None:
    files = polylith_files()
    files["projects/first/pyproject.toml"] = project("first", "../../components/acme/stor")
    files["projects/second/pyproject.toml"] = "[project]\nname = \n"
    files["infrastructure/pyproject.toml"] = (
        '[project]\nname = "infra"\n\n[tool.polyinfra.apps.api]\npath = "deploy/api"\n'
    )
    root = write_tree(tmp_path, files)
    with pytest.raises(UserErrors) as info:
        Workspace.discover(root)
    assert [(rel, line, col) for rel, line, col, _ in errors_of(info.value, root)] == [
        ("projects/first/pyproject.toml", 6, 1),
        ("projects/second/pyproject.toml", 2, 8),
        ("infrastructure/pyproject.toml", 5, 1),
    ]
