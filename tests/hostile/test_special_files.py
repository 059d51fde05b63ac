"""Files that are not regular files (a device, a named pipe) and files larger than the size
limit: each is an error at the file (exit 2) before anything reads it, and no command hangs
or grows without bound. Every command runs in a child process limited in time and memory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.hostile.conftest import FORMATS, assert_no_traceback, run_bounded, tree_digest

STACK = "infrastructure/pulumi/Pulumi.sandbox.yaml"
APP = "infrastructure/cloudrun_service/inventory-api"
PROD = f"{APP}/overlays/production"
SERVICE = f"{APP}/base/service.yaml"
DOCKERFILE = "projects/inventory_api/Dockerfile"
#: The most memory a refused read may leave the command holding (the example takes ~100 MiB).
MAX_RSS = 400 * 1024 * 1024
#: How long a refused read may take (the example checks in about a second).
MAX_SECONDS = 30.0

NOT_REGULAR = (
    "  hint: replace it with a regular file: polyinfra reads no device, named pipe or socket, "
    "which could hang the command or feed it without end"
)
DEVICE = "not a regular file: a symbolic link to /dev/urandom, which is a character device"
FIFO = "not a regular file: a named pipe (FIFO)"


def urandom(path: Path) -> None:
    path.unlink(missing_ok=True)
    path.symlink_to("/dev/urandom")


def fifo(path: Path) -> None:
    path.unlink(missing_ok=True)
    os.mkfifo(path)


def assert_refused(root: Path, args: list[str], file: str, message: str, hint: str) -> None:
    """``polyinfra ARGS`` exits 2 at once with ``file: message`` and ``hint``."""
    outcome = run_bounded(args, root)
    assert outcome.code == 2, (args, outcome)
    assert outcome.err.splitlines() == [f"error: {root.resolve() / file}: {message}", hint], args
    assert outcome.seconds < MAX_SECONDS
    assert outcome.max_rss < MAX_RSS
    assert_no_traceback(outcome)


@pytest.mark.parametrize(
    ("make", "message"), [(urandom, DEVICE), (fifo, FIFO)], ids=["dev-urandom", "fifo"]
)
def test_a_stack_file_that_is_not_a_regular_file(root: Path, make: object, message: str) -> None:
    assert callable(make)
    make(root / STACK)
    before = tree_digest(root)
    for args in (
        ["plan", "--stack", "sandbox"],
        *(["check", "-f", form] for form in FORMATS),
        ["render", "--env", "sandbox", "--version", "1.0.0"],
    ):
        assert_refused(root, args, STACK, message, NOT_REGULAR)
    assert tree_digest(root) == before


@pytest.mark.parametrize(
    ("make", "message"), [(urandom, DEVICE), (fifo, FIFO)], ids=["dev-urandom", "fifo"]
)
@pytest.mark.parametrize(
    "rel",
    [f"{PROD}/kustomization.yaml", SERVICE, f"{PROD}/patch.yaml"],
    ids=["kustomization", "resource", "patch"],
)
def test_a_kustomize_file_that_is_not_a_regular_file(
    root: Path, make: object, message: str, rel: str
) -> None:
    assert callable(make)
    if rel.endswith("patch.yaml"):
        kustomization = root / PROD / "kustomization.yaml"
        kustomization.write_text(
            kustomization.read_text(encoding="utf-8") + "  - path: patch.yaml\n", encoding="utf-8"
        )
    make(root / rel)
    before = tree_digest(root)
    for args in (
        ["check"],
        ["lint", APP],
        ["render", "inventory-api", "--env", "production", "--version", "1.0.0"],
    ):
        assert_refused(root, args, rel, message, NOT_REGULAR)
    assert tree_digest(root) == before


def test_a_dockerfile_that_is_a_named_pipe_does_not_hang_check(root: Path) -> None:
    """Nothing opens it: the project counts as one without a Dockerfile."""
    fifo(root / DOCKERFILE)
    before = tree_digest(root)
    outcome = run_bounded(["check"], root)
    assert outcome.code == 1
    assert outcome.out.splitlines()[0].endswith("[crossstack/project-dockerfile]")
    assert outcome.seconds < MAX_SECONDS
    assert_no_traceback(outcome)
    assert tree_digest(root) == before


def test_special_files_no_kustomization_names_are_left_alone(root: Path) -> None:
    """A named pipe and a link to a device beside an overlay's files: nothing reads them, the
    render's copy of the overlay leaves them out, and the workspace checks clean."""
    fifo(root / PROD / "notes")
    urandom(root / PROD / "random.bin")
    (root / PROD / "loop").symlink_to("..")  # a folder that contains itself
    before = tree_digest(root)
    for args in (["check"], ["render", "--env", "production", "--version", "1.0.0"]):
        outcome = run_bounded(args, root)
        assert outcome.code == 0, (args, outcome)
        assert outcome.seconds < MAX_SECONDS
        assert outcome.max_rss < MAX_RSS
        assert_no_traceback(outcome)
    assert tree_digest(root) == before


def test_a_file_over_the_size_limit(root: Path) -> None:
    """A sparse file of 65 MiB (the default limit is 64 MiB) is refused without being read."""
    service = root / SERVICE
    with service.open("r+b") as handle:
        handle.truncate(65 * 1024 * 1024)
    before = tree_digest(root)
    hint = (
        "  hint: split it, or raise `max_file_size` under [tool.polyinfra] in "
        'infrastructure/pyproject.toml (e.g. max_file_size = "256MiB")'
    )
    message = "the file is 65 MiB, more than the 64 MiB polyinfra reads"
    for args in (["check"], ["lint", APP]):
        assert_refused(root, args, SERVICE, message, hint)
    assert tree_digest(root) == before


def test_the_size_limit_is_a_setting(root: Path) -> None:
    pyproject = root / "infrastructure" / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    pyproject.write_text(
        text.replace("[tool.polyinfra]\n", '[tool.polyinfra]\nmax_file_size = "1KiB"\n', 1),
        encoding="utf-8",
    )
    size = (root / STACK).stat().st_size
    assert size > 1024
    before = tree_digest(root)
    outcome = run_bounded(["plan", "--stack", "sandbox"], root)
    assert outcome.code == 2
    assert outcome.err.splitlines()[0] == (
        f"error: {root.resolve() / STACK}: the file is {size / 1024:.1f} KiB, more than the "
        "1 KiB polyinfra reads"
    )
    assert_no_traceback(outcome)
    assert tree_digest(root) == before


def test_lint_reads_a_device_named_on_the_command_line_up_to_the_limit(tmp_path: Path) -> None:
    """A path the user names may be a stream (``lint /dev/stdin``): it is read, but never past
    the size limit."""
    outcome = run_bounded(["lint", "/dev/zero"], tmp_path)
    assert outcome.code == 2
    assert outcome.err.splitlines()[0] == (
        "error: /dev/zero: the file is more than the 64 MiB polyinfra reads"
    )
    assert outcome.max_rss < MAX_RSS
    assert_no_traceback(outcome)
