"""Change detection on a small generated workspace: import chains, TYPE_CHECKING imports,
global files, settings, output formats and the checkout check."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from polyinfra.workspace import Workspace
from polyinfra.workspace.imports import brick_imports
from tests.affected.conftest import Repo, Runner, poly_diff, reason
from tests.conftest import write_tree

PROJECT_PYPROJECT = """\
[project]
name = "svc"
version = "0.1.0"
dependencies = []

[tool.polylith.bricks]
"../../bases/acme/api" = "acme/api"
"../../components/acme/db" = "acme/db"
"""

SMALL = {
    "workspace.toml": '[tool.polylith]\nnamespace = "acme"\n\n[tool.polylith.structure]\n'
    'theme = "loose"\n',
    "pyproject.toml": '[project]\nname = "acme"\nversion = "0"\n\n[tool.uv.workspace]\n'
    'members = ["projects/*"]\n',
    "components/acme/log/__init__.py": "def log(text):\n    print(text)\n",
    "components/acme/db/__init__.py": "from acme.log import log\n",
    "components/acme/cache/__init__.py": "class Cache: ...\n",
    "bases/acme/api/__init__.py": (
        "from typing import TYPE_CHECKING\n\nfrom acme import db\n\n"
        "if TYPE_CHECKING:\n    from acme.cache import Cache\n"
    ),
    "projects/svc/pyproject.toml": PROJECT_PYPROJECT,
    "projects/svc/Dockerfile": "FROM python:3.13-slim\n",
    "infrastructure/pyproject.toml": '[project]\nname = "infra"\nversion = "0"\n\n'
    "[tool.polyinfra.affected]\n"
    'ignore = ["*.md", "notes/**"]\n',
    "infrastructure/cloudrun_service/svc/base/kustomization.yaml": "resources: [service.yaml]\n",
    "infrastructure/cloudrun_service/svc/base/service.yaml": (
        "apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata:\n  name: svc\n"
    ),
    "infrastructure/cloudrun_service/svc/overlays/sandbox/kustomization.yaml": (
        "resources: [../../base]\n"
    ),
    "infrastructure/pulumi/Pulumi.yaml": "name: acme\nruntime: python\n",
    "infrastructure/pulumi/Pulumi.sandbox.yaml": "config: {}\n",
}


@pytest.fixture
def small_repo(tmp_path: Path) -> Repo:
    repo = Repo(write_tree(tmp_path / "small", SMALL)).init()
    repo.commit("initial")
    return repo


def test_import_graph_follows_chains_and_skips_type_checking(small_repo: Repo) -> None:
    ws = Workspace.discover(small_repo.root)
    graph = brick_imports(ws.bricks, ws.namespace)
    assert dict(graph.imports) == {
        "bases/acme/api": frozenset({"components/acme/db"}),
        "components/acme/cache": frozenset(),
        "components/acme/db": frozenset({"components/acme/log"}),
        "components/acme/log": frozenset(),
    }
    assert graph.dependents(["components/acme/log"]) == {
        "bases/acme/api": ("components/acme/db", "components/acme/log"),
        "components/acme/db": ("components/acme/log",),
    }
    # cache is imported only for type checkers: nothing depends on it at runtime.
    assert graph.dependents(["components/acme/cache"]) == {}


def test_project_reached_only_through_imports(small_repo: Repo, cli: Runner) -> None:
    """svc does not list log (poly check would flag that), but its image still runs it."""
    base = small_repo.sha()
    small_repo.append("components/acme/log/__init__.py", "# louder\n")
    small_repo.commit("log")
    result = cli.json(small_repo, "--base", base)
    path = "components/acme/log/__init__.py"
    assert result["projects"] == [
        {
            "name": "svc",
            "reasons": [
                reason(
                    path,
                    "brick components/acme/log changed; the project includes bases/acme/api, "
                    "which imports it (bases/acme/api -> components/acme/db -> "
                    "components/acme/log)",
                )
            ],
        }
    ]
    assert [(a["name"], a["action"], a["environments"]) for a in result["apps"]] == [
        ("svc", "rebuild", ["sandbox"])
    ]
    # poly diff only reports projects that list a changed brick: stricter on our side.
    assert poly_diff(small_repo, base) == (0, "")


def test_type_checking_only_import_does_not_affect(small_repo: Repo, cli: Runner) -> None:
    base = small_repo.sha()
    small_repo.append("components/acme/cache/__init__.py", "# x\n")
    small_repo.commit("cache")
    result = cli.json(small_repo, "--base", base)
    assert result["bricks"] == [
        {
            "name": "components/acme/cache",
            "changed": True,
            "reasons": [
                reason("components/acme/cache/__init__.py", "brick components/acme/cache changed")
            ],
        }
    ]
    assert result["projects"] == result["apps"] == []


def test_global_file_affects_every_project_not_the_foundation(
    small_repo: Repo, cli: Runner
) -> None:
    base = small_repo.sha()
    small_repo.write("Dockerfile", "FROM python:3.13-slim\n")
    small_repo.commit("shared dockerfile")
    result = cli.json(small_repo, "--base", base)
    why = reason("Dockerfile", "global file (pattern 'Dockerfile'): every project is built with it")
    assert result["projects"] == [{"name": "svc", "reasons": [why]}]
    assert result["everything"] is False
    assert result["foundation"] == {"changed": False, "stacks": []}


def test_configured_ignore_replaces_the_defaults(small_repo: Repo, cli: Runner) -> None:
    base = small_repo.sha()
    small_repo.write("notes/plan.txt", "later\n")
    small_repo.write("docs/guide.txt", "docs are not ignored by this workspace\n")
    small_repo.commit("notes and docs")
    result = cli.json(small_repo, "--base", base)
    assert result["ignored"] == [reason("notes/plan.txt", "matches ignore pattern 'notes/**'")]
    assert result["everything"] is True
    assert [r["path"] for r in result["everything_reasons"]] == ["docs/guide.txt"]


def test_removed_stack_file(small_repo: Repo, cli: Runner) -> None:
    base = small_repo.sha()
    small_repo.remove("infrastructure/pulumi/Pulumi.sandbox.yaml")
    small_repo.commit("drop sandbox stack")
    result = cli.json(small_repo, "--base", base)
    assert result["foundation"] == {"changed": True, "stacks": []}
    assert result["removed"]["stacks"] == [
        {
            "name": "sandbox",
            "reasons": [reason("infrastructure/pulumi/Pulumi.sandbox.yaml", "stack file deleted")],
        }
    ]


def test_head_must_be_the_checkout(small_repo: Repo, cli: Runner) -> None:
    first = small_repo.sha()
    small_repo.append("components/acme/log/__init__.py", "# x\n")
    small_repo.commit("second")
    code, out, err = cli("affected", "-w", str(small_repo.root), "--base", first, "--head", first)
    assert code == 2
    assert out == ""
    assert f"--head {first} is {first[:12]} but the checkout is at" in err
    assert "hint: check out" in err


def test_github_format_appends_to_github_output(
    small_repo: Repo, cli: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = small_repo.sha()
    small_repo.append("components/acme/db/__init__.py", "# x\n")
    small_repo.commit("db")
    output = tmp_path / "github_output"
    output.write_text("earlier=1\n")
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    code, out, err = cli(
        "affected", "-w", str(small_repo.root), "--base", base, "-f", "github", "--env", "sandbox"
    )
    assert code == 0, err
    assert "svc (service): rebuild in sandbox" in out  # the log shows the human summary
    lines = output.read_text().splitlines()
    assert lines == [
        "earlier=1",
        "everything=false",
        "foundation=false",
        "stacks=[]",
        'bricks=["bases/acme/api","components/acme/db"]',
        'projects=["svc"]',
        'apps=["svc"]',
        'rebuild=["svc"]',
        "redeploy=[]",
        'build_matrix=[{"dockerfile":"projects/svc/Dockerfile","project":"svc"}]',
        'images=[{"action":"rebuild","app":"svc","project":"svc"}]',
        "removed_projects=[]",
        "removed_apps=[]",
    ]
    for line in lines[3:]:
        json.loads(line.split("=", 1)[1])  # every list is valid JSON for fromJSON


def test_github_format_prints_when_not_in_actions(
    small_repo: Repo, cli: Runner, no_github_output: None
) -> None:
    base = small_repo.sha()
    small_repo.write("README.md", "x\n")
    small_repo.commit("readme")
    code, out, _ = cli("affected", "-w", str(small_repo.root), "--base", base, "-f", "github")
    assert code == 0
    assert out.splitlines()[:4] == [
        "everything=false",
        "foundation=false",
        "stacks=[]",
        "bricks=[]",
    ]
    assert "build_matrix=[]" in out.splitlines()


def test_github_images_name_the_existing_image_for_a_redeploy(
    small_repo: Repo, cli: Runner, no_github_output: None
) -> None:
    base = small_repo.sha()
    small_repo.append(
        "infrastructure/cloudrun_service/svc/overlays/sandbox/kustomization.yaml", "#\n"
    )
    small_repo.commit("overlay")
    code, out, _ = cli("affected", "-w", str(small_repo.root), "--base", base, "-f", "github")
    assert code == 0
    lines = out.splitlines()
    assert "build_matrix=[]" in lines  # nothing to build
    assert 'redeploy=["svc"]' in lines
    assert 'images=[{"action":"redeploy","app":"svc","project":"svc"}]' in lines


def test_all_needs_no_git(tmp_path: Path, cli: Runner) -> None:
    root = write_tree(tmp_path / "nogit", SMALL)
    result = cli.json(Repo(root), "--all", "--env", "sandbox")
    assert result["everything"] is True
    assert result["everything_reasons"] == [reason("", "everything was requested (--all)")]
    assert [a["name"] for a in result["apps"]] == ["svc"]
    assert [s["name"] for s in result["foundation"]["stacks"]] == ["sandbox"]


def test_unknown_environment_is_a_user_error(small_repo: Repo, cli: Runner) -> None:
    code, _, err = cli("affected", "-w", str(small_repo.root), "--all", "--env", "prod")
    assert code == 2
    assert "unknown environment 'prod'; environments with overlays: sandbox" in err


def test_text_format_names_every_reason(small_repo: Repo, cli: Runner) -> None:
    base = small_repo.sha()
    small_repo.append("infrastructure/cloudrun_service/svc/base/service.yaml", "# x\n")
    small_repo.commit("manifest")
    code, out, _ = cli("affected", "-w", str(small_repo.root), "--base", base)
    assert code == 0
    assert out.splitlines()[1:] == [
        "reasons:",
        "  [1] infrastructure/cloudrun_service/svc/base/service.yaml: Kustomize base changed",
        "foundation: unchanged",
        "bricks: 0",
        "projects: 0",
        "apps: 1",
        "  svc (service): redeploy in sandbox [1]",
    ]


def test_text_format_for_a_brick_no_project_includes(small_repo: Repo, cli: Runner) -> None:
    small_repo.append("components/acme/cache/__init__.py", "# x\n")
    small_repo.commit("cache")
    code, out, _ = cli("affected", "-w", str(small_repo.root), "--base", "HEAD~1")
    assert code == 0
    assert out.splitlines()[1:] == [
        "bricks: 1",
        "  components/acme/cache",
        "nothing else affected: no project includes these bricks",
    ]


def test_text_format_cites_only_what_is_not_everywhere(small_repo: Repo, cli: Runner) -> None:
    """Reasons that make everything affected are cited once; entries cite only their own."""
    small_repo.write(".github/workflows/deploy.yaml", "name: Deploy\n")
    small_repo.append("components/acme/db/__init__.py", "# x\n")
    small_repo.append("projects/svc/Dockerfile", "# x\n")
    small_repo.commit("pipeline and code")
    code, out, _ = cli("affected", "-w", str(small_repo.root), "--base", "HEAD~1")
    assert code == 0
    assert out.splitlines()[1:] == [
        "reasons:",
        "  [1] .github/workflows/deploy.yaml: a CI workflow changed, so everything is delivered "
        "through the new pipeline (add '.github/**' to [tool.polyinfra.affected] ignore to skip "
        "this)",
        "  [2] components/acme/db/__init__.py: brick components/acme/db changed; the project "
        "includes it",
        "  [3] projects/svc/Dockerfile: inside the project folder",
        "everything is affected [1]",
        "foundation: changed",
        "  stack sandbox",
        "bricks: 2",
        "  bases/acme/api (imports a changed brick)",
        "  components/acme/db",
        "projects: 1",
        "  svc [2, 3]",
        "apps: 1",
        "  svc (service): rebuild in sandbox [2, 3]",
    ]


def test_text_format_for_a_removed_project(small_repo: Repo, cli: Runner) -> None:
    small_repo.remove("projects/svc")
    small_repo.commit("retire svc")
    code, out, _ = cli("affected", "-w", str(small_repo.root), "--base", "HEAD~1")
    assert code == 0
    assert out.splitlines()[1:] == [
        "reasons:",
        "  [1] projects/svc/Dockerfile: deleted with the project folder",
        "  [2] projects/svc/pyproject.toml: deleted with the project folder",
        "foundation: unchanged",
        "bricks: 0",
        "projects: 0",
        "apps: 0",
        "removed (tear down by hand if they were deployed):",
        "  project svc [1, 2]",
    ]


def test_not_a_git_repository(tmp_path: Path, cli: Runner) -> None:
    root = write_tree(tmp_path / "plain", SMALL)
    code, out, err = cli("affected", "-w", str(root), "--base", "main")
    assert code == 2
    assert out == ""
    assert (
        "the base ref 'main' is not a commit in this repository: fatal: not a git repository" in err
    )
    assert "hint: run polyinfra affected inside a git checkout of the workspace" in err


def test_workflow_change_delivers_everything(small_repo: Repo, cli: Runner) -> None:
    base = small_repo.sha()
    small_repo.write(".github/workflows/deploy.yaml", "name: Deploy\n")
    small_repo.commit("pipeline")
    result = cli.json(small_repo, "--base", base)
    assert result["everything_reasons"] == [
        reason(
            ".github/workflows/deploy.yaml",
            "a CI workflow changed, so everything is delivered through the new pipeline "
            "(add '.github/**' to [tool.polyinfra.affected] ignore to skip this)",
        )
    ]
    assert [a["name"] for a in result["apps"]] == ["svc"]


def test_all_in_text_warns_about_nothing(small_repo: Repo, cli: Runner) -> None:
    code, out, err = cli("affected", "-w", str(small_repo.root), "--all", "--fallback", "all")
    assert code == 0
    assert out.splitlines() == [
        "No git comparison:",
        "reasons:",
        "  [1] everything was requested (--all)",
        "everything is affected [1]",
        "foundation: changed",
        "  stack sandbox",
        "bricks: 0",
        "projects: 1",
        "  svc",
        "apps: 1",
        "  svc (service): rebuild in sandbox",
    ]
    assert err == ""  # the git-failure warning is only for a real git failure


def test_workspace_in_a_subfolder_of_the_repository(tmp_path: Path, cli: Runner) -> None:
    """Paths are workspace-relative; changes elsewhere in the repository are not ours."""
    write_tree(tmp_path / "mono" / "python", SMALL)
    repo = Repo(tmp_path / "mono").init()
    repo.write("frontend/app.js", "console.log(1)\n")
    base = repo.commit("initial")
    repo.write("frontend/app.js", "console.log(2)\n")
    repo.append("python/components/acme/db/__init__.py", "# x\n")
    repo.commit("both")
    result = cli.json(Repo(repo.root / "python"), "--base", base)
    assert result["everything"] is False
    assert result["ignored"] == []
    assert [b["name"] for b in result["bricks"]] == ["bases/acme/api", "components/acme/db"]
    assert result["projects"] == [
        {
            "name": "svc",
            "reasons": [
                reason(
                    "components/acme/db/__init__.py",
                    "brick components/acme/db changed; the project includes it",
                )
            ],
        }
    ]


def test_an_app_whose_project_has_no_dockerfile_is_an_error(
    small_repo: Repo, cli: Runner, no_github_output: None
) -> None:
    base = small_repo.sha()
    small_repo.remove("projects/svc/Dockerfile")
    small_repo.append("components/acme/db/__init__.py", "# x\n")
    small_repo.commit("db, and no Dockerfile")
    for args in ([], ["-f", "github"], ["-f", "json"]):
        code, out, err = cli("affected", "-w", str(small_repo.root), "--base", base, *args)
        assert (code, out) == (2, "")
        assert err.splitlines() == [
            f"error: {small_repo.root / 'projects' / 'svc'}: app 'svc' deploys project 'svc', "
            "which has no Dockerfile: its image cannot be built, so CI would deploy a tag "
            "nobody built",
            "  hint: create projects/svc/Dockerfile (`polyinfra add service svc --project svc "
            "--force` writes one), or map the app to the project that builds its image: "
            "[tool.polyinfra.apps.svc] project",
        ]


def test_version_needs_an_environment(small_repo: Repo, cli: Runner) -> None:
    code, _, err = cli("affected", "-w", str(small_repo.root), "--all", "--version", "v1")
    assert code == 2
    assert "--version needs --env: image references are per environment" in err
    code, _, err = cli(
        "affected", "-w", str(small_repo.root), "--all", "--env", "sandbox", "--released-tag", "m"
    )
    assert code == 2
    assert "--released-tag needs --version" in err
    code, _, err = cli(
        "affected", "-w", str(small_repo.root), "--all", "--env", "sandbox", "--version", "a b"
    )
    assert code == 2
    assert "invalid version 'a b'" in err
