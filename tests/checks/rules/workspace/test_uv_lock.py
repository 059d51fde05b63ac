"""`workspace/uv-lock`: the lock the generated workflows install from exists and was made
from the tool project's pyproject.toml as it is (dependencies and uv sources)."""

from __future__ import annotations

from pathlib import Path

from polyinfra.checks.check import check_workspace
from tests.conftest import edit

LOCK = "infrastructure/uv.lock"
PYPROJECT = "infrastructure/pyproject.toml"
HINT = "run `uv lock --directory infrastructure` and commit infrastructure/uv.lock"


def found(root: Path) -> list[tuple[str, str, str | None]]:
    result = check_workspace(root, select=["workspace/uv-lock"], plan=False)
    return [(str(p.position.relative_to(root)), p.message, p.hint) for p in result.problems]


def test_the_example_lock_matches(root: Path) -> None:
    assert found(root) == []


def test_a_missing_lock_is_reported_where_a_workflow_needs_it(root: Path) -> None:
    (root / LOCK).unlink()
    assert found(root)[0] == (
        ".github/workflows/check.yaml:42:11",
        "this workflow runs `uv sync --frozen` in infrastructure/, which has no uv.lock: uv "
        "stops with 'Unable to find lockfile'",
        HINT,
    )


def test_no_workflow_no_finding(root: Path) -> None:
    (root / LOCK).unlink()
    for workflow in (root / ".github" / "workflows").iterdir():
        workflow.unlink()
    assert found(root) == []


def test_a_changed_specifier_makes_the_lock_stale(root: Path) -> None:
    edit(root, PYPROJECT, '"pulumi-gcp>=9.6.0"', '"pulumi-gcp>=9.7.0"')
    assert found(root) == [
        (
            f"{PYPROJECT}:9:5",
            f"{LOCK} was not made from this pyproject.toml (pulumi-gcp>=9.7.0 is locked as "
            ">=9.6.0): `uv sync --frozen` would install the old set",
            HINT,
        )
    ]


def test_a_new_dependency_and_a_new_source_make_the_lock_stale(root: Path) -> None:
    edit(root, PYPROJECT, '"pulumi-gcp>=9.6.0",', '"pulumi-gcp>=9.6.0",\n    "requests",')
    assert found(root)[0][1].startswith(
        f"{LOCK} was not made from this pyproject.toml (requests is"
    )
    edit(root, PYPROJECT, '    "requests",\n', "")
    edit(root, PYPROJECT, 'path = "../../.."', 'path = "../../../dist/polyinfra.whl"')
    assert found(root)[0][1] == (
        f"{LOCK} was not made from this pyproject.toml (polyinfra comes from path "
        "'../../../dist/polyinfra.whl', the lock has another): `uv sync --frozen` would "
        "install the old set"
    )
