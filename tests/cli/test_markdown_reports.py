"""`--format markdown` of check, plan (and plan --diff) and affected on scripted changes of the
example committed in a git repository: each whole report, exactly."""

from __future__ import annotations

from pathlib import Path

import pytest

from polyinfra.cli.main import main
from tests.affected.conftest import Repo, copy_example

#: The expected reports, whole: ``{span}`` stands for the commits compared.
DATA = Path(__file__).parent / "data" / "markdown"
STACK = "infrastructure/pulumi/Pulumi.production.yaml"
BASE = "https://github.com/acme/data-platform/blob/0123abc"


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    repo = Repo(copy_example(tmp_path / "ws")).init()
    repo.commit("the example")
    return repo


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(list(args))
    return code, capsys.readouterr().out


def expected(name: str, repo: Repo | None = None) -> str:
    text = (DATA / name).read_text(encoding="utf-8")
    if repo is None:
        return text
    return text.replace("{span}", f"`{repo.sha('HEAD~1')[:12]}..{repo.sha()[:12]}`")


def test_a_role_granted(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    repo.replace(
        STACK,
        "        roles:\n          - roles/logging.logWriter\n      artifact_registry:\n"
        "        repository_id: inventory-api\n",
        "        roles:\n          - roles/logging.logWriter\n          - roles/pubsub.publisher\n"
        "      iam:\n        - role: roles/storage.objectViewer\n"
        "          resource: {bucket: data-platform-prod-dmd-raw}\n"
        "      artifact_registry:\n        repository_id: inventory-api\n",
    )
    repo.commit("inventory-api publishes events and reads raw files")
    root = str(repo.root)

    code, out = run(capsys, "plan", "--diff", "HEAD~1", "--format", "markdown", "-w", root)
    assert code == 0
    assert out == expected("role-granted.plan.md")

    code, out = run(capsys, "check", "--format", "markdown", "--link-base", BASE, root)
    assert code == 0
    assert out == expected("role-granted.check.md")

    code, out = run(capsys, "affected", "--base", "HEAD~1", "--format", "markdown", "-w", root)
    assert code == 0
    assert out == expected("role-granted.affected.md", repo)


def test_a_bucket_removed(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    text = repo.path(STACK).read_text(encoding="utf-8")
    start, end = text.index("      cloud_storage:\n"), text.index("      cloud_scheduler:\n")
    repo.write(STACK, text[:start] + text[end:])
    repo.commit("drop the raw bucket")
    root = str(repo.root)

    code, out = run(
        capsys, "plan", "--diff", "HEAD~1", "-f", "markdown", "--link-base", BASE, "-w", root
    )
    assert code == 1  # Pulumi would refuse to delete the protected bucket
    assert out == expected("bucket-removed.plan.md")

    code, out = run(capsys, "check", "--format", "markdown", root)
    assert code == 0
    assert out == expected("check-clean.md")

    code, out = run(capsys, "affected", "--base", "HEAD~1", "--format", "markdown", "-w", root)
    assert code == 0
    assert out == expected("bucket-removed.affected.md", repo)


def test_a_brick_changed(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    repo.append("components/data_platform/http_client/core.py", "# retried once more\n")
    repo.commit("http client comment")
    root = str(repo.root)

    code, out = run(capsys, "plan", "--diff", "HEAD~1", "--format", "markdown", "-w", root)
    assert code == 0
    assert out == expected("plan-no-changes.md")

    code, out = run(capsys, "check", "--format", "markdown", root)
    assert code == 0
    assert out == expected("check-clean.md")

    code, out = run(capsys, "affected", "--base", "HEAD~1", "--format", "markdown", "-w", root)
    assert code == 0
    assert out == expected("brick-changed.affected.md", repo)


def test_plan_of_the_example(example_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(
        capsys, "plan", "--format", "markdown", "-s", "sandbox", "-w", str(example_path)
    )
    assert code == 0
    assert out == expected("plan-sandbox.md")


def test_links_on_a_commit_that_reads_like_a_token_stay_whole(
    example_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a head commit whose hash, with the path after it, the redactor takes for a random token
    base = "https://github.com/acme/data-platform/blob/c2ce6f447ed4d57b1e2feb89414c343c1027c4d1"
    args = ("plan", "--format", "markdown", "-s", "sandbox", "-w", str(example_path))
    code, out = run(capsys, *args, "--link-base", base)
    assert code == 0
    assert "redacted" not in out
    assert f"]({base}/infrastructure/pulumi/Pulumi.sandbox.yaml#L" in out
    assert len(out.splitlines()) == len(expected("plan-sandbox.md").splitlines())


def test_json_is_format_json(example_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["plan", "-s", "sandbox", "-w", str(example_path)]
    assert run(capsys, *args, "--json") == run(capsys, *args, "--format", "json", "--json")


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ["plan", "--json", "--format", "markdown"],
            2,
            "error: --json and --format markdown disagree: --json is --format json",
        ),
        (
            ["plan", "--json", "-f", "text", "--diff", "HEAD", "--detailed-exitcode"],
            1,
            "error: --json and --format text disagree: --json is --format json",
        ),
        (
            ["plan", "-f", "markdown", "--link-base", "github.com/acme/repo"],
            2,
            "error: --link-base: 'github.com/acme/repo' is not an http(s) URL without query or "
            "fragment (e.g. https://github.com/OWNER/REPO/blob/SHA)",
        ),
        (
            ["check", "-f", "markdown", "--link-base", "ftp://host/x"],
            2,
            "error: --link-base: 'ftp://host/x' is not an http(s) URL without query or "
            "fragment (e.g. https://github.com/OWNER/REPO/blob/SHA)",
        ),
        (
            ["affected", "--link-base", BASE],
            2,
            "error: --link-base only applies to --format markdown, not --format text",
        ),
        (
            ["check", "-f", "json", "--link-base", BASE],
            2,
            "error: --link-base only applies to --format markdown, not --format json",
        ),
    ],
)
def test_usage_errors(
    args: list[str],
    code: int,
    message: str,
    example_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(example_path)
    capsys.readouterr()
    assert main(args) == code
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines()[0] == message
