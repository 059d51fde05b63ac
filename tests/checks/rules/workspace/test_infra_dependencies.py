"""``workspace/infra-dependencies``: the program's dependencies come from
``infrastructure/pyproject.toml`` or, in the classic Pulumi layout, from ``requirements.txt``
next to ``Pulumi.yaml`` (read the way pip reads it)."""

from __future__ import annotations

from pathlib import Path

from polyinfra.checks.context import CheckContext
from polyinfra.checks.engine import run
from polyinfra.checks.rules.workspace.infra_project import InfraDependencies, read_requirements
from polyinfra.positions import Position
from polyinfra.workspace import Workspace
from tests.conftest import write_tree

PIP_PROGRAM = "name: acme-infra\nruntime:\n  name: python\n  options:\n    virtualenv: venv\n"


def classic(tmp_path: Path, files: dict[str, str]) -> Path:
    """A workspace whose Pulumi program installs from requirements.txt (no infrastructure
    pyproject.toml)."""
    tree = {
        "workspace.toml": '[tool.polylith]\nnamespace = "ns"\n',
        "pyproject.toml": '[project]\nname = "ws"\n',
        "infrastructure/pulumi/Pulumi.yaml": PIP_PROGRAM,
    }
    tree.update(files)
    return write_tree(tmp_path / "ws", tree)


def problems(root: Path) -> list[str]:
    ctx = CheckContext(workspace=Workspace.discover(root))
    found = run(ctx, [InfraDependencies()])
    return [f"{p.position.relative_to(root)}: {p.message} | {p.hint}" for p in found]


REQUIREMENTS = """\
# Pulumi program dependencies
pulumi>=3.0.0,<4.0.0   # the SDK
-r providers.txt
--requirement=extra/more.txt
-c constraints.txt
--index-url https://example.invalid/simple
"""

PROVIDERS = """\
Pulumi_GCP[extras] >= 8.0 ; python_version >= "3.9" \\
    --hash=sha256:0123
pulumi-google-native==0.32.0
"""


def test_requirements_txt_counts(tmp_path: Path) -> None:
    root = classic(
        tmp_path,
        {
            "infrastructure/pulumi/requirements.txt": REQUIREMENTS,
            "infrastructure/pulumi/providers.txt": PROVIDERS,
            "infrastructure/pulumi/extra/more.txt": "pulumi-random @ https://example.invalid/r.whl\n",
            "infrastructure/pulumi/constraints.txt": "pulumi-gcp<9\n",
        },
    )
    assert problems(root) == []


def test_requirements_are_read_as_pip_reads_them(tmp_path: Path) -> None:
    folder = write_tree(
        tmp_path,
        {
            "requirements.txt": REQUIREMENTS + "-e git+https://example.invalid/x.git#egg=My.Tool\n"
            "./local/package\nhttps://example.invalid/pkg.whl\n-r requirements.txt\n"
            "pulumi-aws \\\n  >=6 # continued\n#pulumi-azure\n -r missing.txt\n",
            "providers.txt": PROVIDERS,
            "extra/more.txt": "pulumi-random @ https://example.invalid/r.whl\n",
        },
    )
    found = read_requirements(folder / "requirements.txt")
    assert found.names == {
        "pulumi",
        "pulumi-gcp",
        "pulumi-google-native",
        "pulumi-random",
        "my-tool",
        "pulumi-aws",
    }
    assert found.missing == [(Position(folder / "requirements.txt", 14, 5), "missing.txt")]


def test_requirements_txt_without_the_provider(tmp_path: Path) -> None:
    root = classic(
        tmp_path,
        {
            "infrastructure/pulumi/requirements.txt": "pulumi>=3\n-r nowhere.txt\n",
        },
    )
    assert problems(root) == [
        "infrastructure/pulumi/requirements.txt:1:1: infrastructure/pulumi/requirements.txt "
        "does not depend on pulumi-gcp | add a line pulumi-gcp>=…",
        "infrastructure/pulumi/requirements.txt:2:4: infrastructure/pulumi/requirements.txt "
        "includes nowhere.txt, which does not exist | fix the path (it is relative to the "
        "including file) or remove the line",
    ]


def test_neither_pyproject_nor_requirements(tmp_path: Path) -> None:
    root = classic(tmp_path, {})
    assert problems(root) == [
        "infrastructure/pyproject.toml:1:1: infrastructure/ has no pyproject.toml | add "
        "infrastructure/pyproject.toml with pulumi and pulumi-gcp in [project] dependencies "
        "(`polyinfra init` writes one), or a requirements.txt next to Pulumi.yaml"
    ]


def test_a_uv_program_is_told_about_its_pyproject(tmp_path: Path) -> None:
    root = classic(
        tmp_path,
        {
            "infrastructure/pulumi/Pulumi.yaml": "name: p\nruntime:\n  name: python\n"
            "  options:\n    toolchain: uv\n",
            "infrastructure/pyproject.toml": '[project]\nname = "i"\n\ndependencies = ["pulumi"]\n',
            "infrastructure/pulumi/requirements.txt": "pulumi\n",
        },
    )
    assert problems(root) == [
        "infrastructure/pyproject.toml:4:1: infrastructure/pyproject.toml does not depend on "
        'pulumi-gcp | add "pulumi-gcp>=…" to [project] dependencies'
    ]


def test_poetry_dependencies_count(tmp_path: Path) -> None:
    root = classic(
        tmp_path,
        {
            "infrastructure/pulumi/Pulumi.yaml": "name: p\nruntime:\n  name: python\n"
            "  options:\n    toolchain: poetry\n",
            "infrastructure/pyproject.toml": '[tool.poetry.dependencies]\npython = "^3.11"\n'
            'pulumi = "^3"\npulumi-gcp = "^8"\n',
        },
    )
    assert problems(root) == []


def test_pip_installs_from_requirements_whatever_the_pyproject_says(tmp_path: Path) -> None:
    root = classic(
        tmp_path,
        {
            "infrastructure/pyproject.toml": '[project]\nname = "i"\n'
            'dependencies = ["pulumi", "pulumi-gcp"]\n',
            "infrastructure/pulumi/requirements.txt": "pulumi\n",
        },
    )
    assert problems(root) == [
        "infrastructure/pulumi/requirements.txt:1:1: infrastructure/pulumi/requirements.txt "
        "does not depend on pulumi-gcp | add a line pulumi-gcp>=…"
    ]
