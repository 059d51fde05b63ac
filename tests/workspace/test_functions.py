"""Functions a project could serve, read from its bricks with ast: where each is, what it
takes, and which signature type a functions_framework decorator gives it."""

from __future__ import annotations

from pathlib import Path

from polyinfra.workspace.functions import project_functions
from polyinfra.workspace.model import Brick, Project

SOURCE = """\
import functions_framework
import functions_framework as ff
from functions_framework import cloud_event as on_event, http


@functions_framework.http
def plain(request):
    def nested(x):
        return x
    return nested(request)


@ff.cloud_event
async def aliased(event, extra=None):
    pass


@on_event
def from_import(event):
    pass


@http
def two(request, other):
    pass


def undecorated(*args):
    pass


class Handler:
    def method(self, request):
        pass


@functions_framework.errorhandler(ValueError)
def errors(exc):
    pass
"""


def _project(tmp_path: Path, files: dict[str, str]) -> tuple[Project, dict[str, Brick]]:
    brick_path = tmp_path / "bases" / "acme" / "hooks"
    for name, text in files.items():
        (brick_path / name).parent.mkdir(parents=True, exist_ok=True)
        (brick_path / name).write_text(text, encoding="utf-8")
    brick = Brick("hooks", "base", brick_path, "bases/acme/hooks")
    project = Project(
        "hooks",
        tmp_path / "projects" / "hooks",
        tmp_path / "p.toml",
        None,
        ("bases/acme/hooks", "components/acme/missing"),
        None,
    )
    return project, {brick.rel: brick}


def test_module_level_functions_with_their_signature_type(tmp_path: Path) -> None:
    project, bricks = _project(tmp_path, {"core.py": SOURCE})
    found = project_functions(project, bricks)
    path = tmp_path / "bases" / "acme" / "hooks" / "core.py"
    lines = SOURCE.splitlines()
    rows = [
        (f.name, f.module, f.line, f.column, f.required, f.accepts, f.decorated, f.is_async)
        for f in found
    ]
    assert rows == [
        (
            "plain",
            "acme.hooks.core",
            lines.index("def plain(request):") + 1,
            1,
            1,
            1,
            "http",
            False,
        ),
        (
            "aliased",
            "acme.hooks.core",
            lines.index("async def aliased(event, extra=None):") + 1,
            1,
            1,
            2,
            "cloudevent",
            True,
        ),
        (
            "from_import",
            "acme.hooks.core",
            lines.index("def from_import(event):") + 1,
            1,
            1,
            1,
            "cloudevent",
            False,
        ),
        (
            "two",
            "acme.hooks.core",
            lines.index("def two(request, other):") + 1,
            1,
            2,
            2,
            "http",
            False,
        ),
        (
            "undecorated",
            "acme.hooks.core",
            lines.index("def undecorated(*args):") + 1,
            1,
            0,
            None,
            None,
            False,
        ),
        ("errors", "acme.hooks.core", lines.index("def errors(exc):") + 1, 1, 1, 1, None, False),
    ]
    assert {f.path for f in found} == {path}
    assert [f.takes_one_argument() for f in found] == [True, True, True, False, True, True]


def test_packages_tests_and_broken_files(tmp_path: Path) -> None:
    project, bricks = _project(
        tmp_path,
        {
            "__init__.py": "def init_level(request):\n    pass\n",
            "sub/handlers.py": "def deep(event):\n    pass\n",
            "tests/test_core.py": "def test_it(request):\n    pass\n",
            "broken.py": "def (:\n",
            "latin.py": "",
        },
    )
    (tmp_path / "bases" / "acme" / "hooks" / "latin.py").write_bytes(b"# \xe9\ndef x(r): pass\n")
    found = project_functions(project, bricks)
    assert [(f.name, f.module) for f in found] == [
        ("init_level", "acme.hooks"),
        ("deep", "acme.hooks.sub.handlers"),
    ]
