"""Where `init` says polyinfra comes from (a version, a path, a git URL), the infrastructure
project's Python, and the `uv lock` it runs afterwards (a stub `uv` on PATH records it)."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest

from polyinfra import __version__
from polyinfra.cli.main import main
from tests.conftest import stub_executable


def infra(acme: Path) -> dict[str, object]:
    return tomllib.loads((acme / "infrastructure" / "pyproject.toml").read_text())


@pytest.fixture
def stub_uv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A `uv` that records its arguments and folder, and writes uv.lock like `uv lock`."""
    folder = tmp_path / "bin"
    record = tmp_path / "uv-calls.txt"
    stub_executable(
        folder,
        "uv",
        f'echo "$PWD $*" >> "{record}"\n'
        'if [ "$UV_STUB_FAIL" = 1 ]; then echo "no solution for pulumi>=99" >&2; exit 1; fi\n'
        "echo 'version = 1' > uv.lock\n",
    )
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    return record


def test_default_source_is_the_running_version_and_python_313(
    acme: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", "--no-lock", "-w", str(acme)]) == 0
    data = infra(acme)
    project = data["project"]
    assert isinstance(project, dict)
    assert project["requires-python"] == "~=3.13.0"
    assert project["dependencies"][0] == f"polyinfra>={__version__}"
    assert "uv" not in data.get("tool", {})


def test_a_wheel_path_becomes_a_uv_source_relative_to_infrastructure(
    acme: Path, tmp_path: Path
) -> None:
    wheel = tmp_path / "dist" / "polyinfra-0.1.0-py3-none-any.whl"
    wheel.parent.mkdir()
    wheel.write_bytes(b"PK")
    code = main(
        ["init", "--no-lock", "--polyinfra-source", str(wheel), "--python", "3.12",
         "-w", str(acme)]
    )  # fmt: skip
    assert code == 0
    data = infra(acme)
    assert data["project"]["dependencies"][0] == "polyinfra"  # type: ignore[index]
    assert data["project"]["requires-python"] == "~=3.12.0"  # type: ignore[index]
    relative = os.path.relpath(wheel, acme / "infrastructure")
    assert data["tool"]["uv"]["sources"]["polyinfra"] == {"path": relative}  # type: ignore[index]


def test_a_checkout_is_editable_and_a_git_url_keeps_its_revision(acme: Path) -> None:
    checkout = acme.parent / "polyinfra-checkout"
    checkout.mkdir()
    (checkout / "pyproject.toml").write_text('[project]\nname = "polyinfra"\n')
    assert main(["init", "--no-lock", "--polyinfra-source", str(checkout), "-w", str(acme)]) == 0
    assert infra(acme)["tool"]["uv"]["sources"]["polyinfra"] == {  # type: ignore[index]
        "path": "../../polyinfra-checkout",
        "editable": True,
    }
    url = "git+https://github.com/acme/polyinfra@v0.2.0"
    code = main(
        ["init", "--no-lock", "--force", "--polyinfra-source", url, "-w", str(acme)]
    )  # fmt: skip
    assert code == 0
    assert infra(acme)["tool"]["uv"]["sources"]["polyinfra"] == {  # type: ignore[index]
        "git": "https://github.com/acme/polyinfra",
        "rev": "v0.2.0",
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--polyinfra-source", "nonsense"], "no such file or folder, and not a version"),
        (["--polyinfra-source", "https://example.com/x"], "not a git URL uv can read"),
        (["--python", "2.7"], "expected a Python version as X.Y, 3.11 or newer"),
        (["--python", "3.13.1"], "expected a Python version as X.Y, 3.11 or newer"),
    ],
)
def test_bad_values_write_nothing(
    acme: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main(["init", *args, "-w", str(acme)]) == 2
    assert message in capsys.readouterr().err
    assert not (acme / "infrastructure").exists()


def test_init_locks_with_uv_when_it_is_on_path(
    acme: Path, stub_uv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", "-w", str(acme)]) == 0
    assert stub_uv.read_text().splitlines() == [f"{acme / 'infrastructure'} lock"]
    assert capsys.readouterr().out.splitlines()[-1] == (
        "lock      infrastructure/uv.lock  (uv lock)"
    )
    # unchanged and locked: nothing to do the second time
    assert main(["init", "-w", str(acme)]) == 0
    assert len(stub_uv.read_text().splitlines()) == 1


def test_a_failing_lock_shows_uv_and_keeps_the_files(
    acme: Path, stub_uv: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UV_STUB_FAIL", "1")
    assert main(["init", "-w", str(acme)]) == 2
    err = capsys.readouterr().err
    assert "no solution for pulumi>=99" in err
    assert "the files above are written; fix what uv says, then run `uv lock --directory " in err
    assert (acme / "infrastructure" / "pyproject.toml").is_file()
