"""Scenario tests: the example workspace in a real git repository, one change per test, the
exact JSON answer, and where `poly diff` answers the same question, how the two compare."""

from __future__ import annotations

import re

import pytest

from tests.affected.conftest import Repo, Runner, answer, poly_diff, reason

NS = "data_platform"
INVENTORY = f"components/{NS}/inventory"
HTTP_CLIENT = f"components/{NS}/http_client"
DMD_CLIENT = f"components/{NS}/dmd_client"
DMD_INGEST = f"bases/{NS}/dmd_ingest"
BOTH_ENVS = ["production", "sandbox"]


def app(
    name: str, kind: str, project: str | None, action: str, envs: list[str], reasons: list[dict]
) -> dict:
    return {
        "name": name,
        "kind": kind,
        "project": project,
        "action": action,
        "environments": envs,
        "reasons": reasons,
    }


def test_component_used_by_two_of_three_projects(example_repo: Repo, cli: Runner) -> None:
    base = example_repo.sha()
    example_repo.append(f"{INVENTORY}/core.py", "\n# tuning\n")
    example_repo.commit("change inventory")
    path = f"{INVENTORY}/core.py"
    includes = reason(path, f"brick {INVENTORY} changed; the project includes it")

    assert cli.json(example_repo, "--base", base) == answer(
        example_repo,
        base,
        merge_base=base,
        bricks=[
            {
                "name": f"bases/{NS}/inventory_api",
                "changed": False,
                "reasons": [
                    reason(
                        path,
                        f"imports changed brick {INVENTORY} "
                        f"(bases/{NS}/inventory_api -> {INVENTORY})",
                    )
                ],
            },
            {
                "name": f"bases/{NS}/stock_webhook",
                "changed": False,
                "reasons": [
                    reason(
                        path,
                        f"imports changed brick {INVENTORY} "
                        f"(bases/{NS}/stock_webhook -> {INVENTORY})",
                    )
                ],
            },
            {
                "name": INVENTORY,
                "changed": True,
                "reasons": [reason(path, f"brick {INVENTORY} changed")],
            },
        ],
        projects=[
            {"name": "inventory_api", "reasons": [includes]},
            {"name": "stock_webhook", "reasons": [includes]},
        ],
        apps=[
            app("inventory-api", "service", "inventory_api", "rebuild", BOTH_ENVS, [includes]),
            app("stock-webhook", "function", "stock_webhook", "rebuild", BOTH_ENVS, [includes]),
        ],
    )
    # poly diff agrees on the projects.
    assert poly_diff(example_repo, base) == (0, "inventory_api,stock_webhook")


def test_brick_used_transitively(example_repo: Repo, cli: Runner) -> None:
    base = example_repo.sha()
    example_repo.append(f"{HTTP_CLIENT}/core.py", "\nTIMEOUT_SECONDS = 30\n")
    example_repo.commit("change http_client")
    path = f"{HTTP_CLIENT}/core.py"
    includes = reason(path, f"brick {HTTP_CLIENT} changed; the project includes it")

    result = cli.json(example_repo, "--base", base)
    assert result == answer(
        example_repo,
        base,
        merge_base=base,
        bricks=[
            {
                "name": DMD_INGEST,
                "changed": False,
                "reasons": [
                    reason(
                        path,
                        f"imports changed brick {HTTP_CLIENT} "
                        f"({DMD_INGEST} -> {DMD_CLIENT} -> {HTTP_CLIENT})",
                    )
                ],
            },
            {
                "name": DMD_CLIENT,
                "changed": False,
                "reasons": [
                    reason(
                        path, f"imports changed brick {HTTP_CLIENT} ({DMD_CLIENT} -> {HTTP_CLIENT})"
                    )
                ],
            },
            {
                "name": HTTP_CLIENT,
                "changed": True,
                "reasons": [reason(path, f"brick {HTTP_CLIENT} changed")],
            },
        ],
        projects=[{"name": "dmd_ingest", "reasons": [includes]}],
        apps=[app("dmd-inv-mov-api2bq", "job", "dmd_ingest", "rebuild", BOTH_ENVS, [includes])],
    )
    # Same project as poly diff; but `poly diff --bricks --deps` follows one import level and
    # misses the base that uses http_client through dmd_client. Ours follows the whole chain.
    assert poly_diff(example_repo, base) == (0, "dmd_ingest")
    code, bricks = poly_diff(example_repo, base, "--bricks", "--deps")
    assert code == 0
    assert sorted(bricks.split(",")) == ["dmd_client", "http_client"]
    assert sorted(b["name"].rsplit("/", 1)[1] for b in result["bricks"]) == [
        "dmd_client",
        "dmd_ingest",
        "http_client",
    ]


def test_only_an_overlay(example_repo: Repo, cli: Runner) -> None:
    base = example_repo.sha()
    overlay = "infrastructure/cloudrun_service/inventory-api/overlays/production/kustomization.yaml"
    example_repo.append(overlay, "# scale review\n")
    example_repo.commit("tune production overlay")
    changed = reason(overlay, "Kustomize overlay production changed")

    assert cli.json(example_repo, "--base", base) == answer(
        example_repo,
        base,
        merge_base=base,
        apps=[
            app("inventory-api", "service", "inventory_api", "redeploy", ["production"], [changed])
        ],
    )
    # Only production: the sandbox deploy has nothing to do.
    sandbox = cli.json(example_repo, "--base", base, "--env", "sandbox")
    assert sandbox["apps"] == []
    assert sandbox["env"] == "sandbox"
    # poly diff sees no brick change and no project: it agrees that nothing is rebuilt, but has
    # no notion of a manifest-only redeploy.
    assert poly_diff(example_repo, base) == (0, "")


def test_only_the_sandbox_stack_file(example_repo: Repo, cli: Runner) -> None:
    base = example_repo.sha()
    stack_file = "infrastructure/pulumi/Pulumi.sandbox.yaml"
    example_repo.append(stack_file, "# comment\n")
    example_repo.commit("sandbox stack")

    assert cli.json(example_repo, "--base", base) == answer(
        example_repo,
        base,
        merge_base=base,
        stacks=[
            {"name": "sandbox", "reasons": [reason(stack_file, "stack file of sandbox changed")]}
        ],
    )
    assert poly_diff(example_repo, base) == (0, "")


def test_pulumi_program_change_touches_every_stack(example_repo: Repo, cli: Runner) -> None:
    base = example_repo.sha()
    example_repo.append("infrastructure/pulumi/__main__.py", "\n# note\n")
    example_repo.commit("program")
    why = reason("infrastructure/pulumi/__main__.py", "Pulumi program changed: every stack runs it")

    result = cli.json(example_repo, "--base", base)
    assert result["foundation"] == {
        "changed": True,
        "stacks": [
            {"name": "production", "reasons": [why]},
            {"name": "sandbox", "reasons": [why]},
        ],
    }
    assert result["projects"] == result["apps"] == []


def _bump_lock_package(repo: Repo, name: str, old: str, new: str) -> None:
    repo.replace(
        "uv.lock", f'name = "{name}"\nversion = "{old}"', f'name = "{name}"\nversion = "{new}"'
    )


def test_uv_lock_narrowed_to_the_projects_that_install_the_package(
    example_repo: Repo, cli: Runner
) -> None:
    base = example_repo.sha()
    # gunicorn: inventory_api depends on it directly, stock_webhook through functions-framework,
    # dmd_ingest not at all.
    _bump_lock_package(example_repo, "gunicorn", "27.0.1", "27.0.2")
    example_repo.commit("bump gunicorn")
    why = reason("uv.lock", "locked packages in the project's dependencies changed: gunicorn")

    assert cli.json(example_repo, "--base", base) == answer(
        example_repo,
        base,
        merge_base=base,
        projects=[
            {"name": "inventory_api", "reasons": [why]},
            {"name": "stock_webhook", "reasons": [why]},
        ],
        apps=[
            app("inventory-api", "service", "inventory_api", "rebuild", BOTH_ENVS, [why]),
            app("stock-webhook", "function", "stock_webhook", "rebuild", BOTH_ENVS, [why]),
        ],
    )
    # poly diff ignores the lock file entirely: deliberately stricter here.
    assert poly_diff(example_repo, base) == (0, "")


def test_uv_lock_resolver_setting_change_affects_everything(
    example_repo: Repo, cli: Runner
) -> None:
    base = example_repo.sha()
    example_repo.replace("uv.lock", 'requires-python = "==3.13.*"', 'requires-python = ">=3.13"')
    example_repo.commit("widen python")
    why = reason(
        "uv.lock",
        "uv.lock settings outside [[package]] changed (requires-python); every project is "
        "treated as affected",
    )
    result = cli.json(example_repo, "--base", base)
    assert result["projects"] == [
        {"name": name, "reasons": [why]}
        for name in ("dmd_ingest", "inventory_api", "stock_webhook")
    ]
    assert [(a["name"], a["action"]) for a in result["apps"]] == [
        ("dmd-inv-mov-api2bq", "rebuild"),
        ("inventory-api", "rebuild"),
        ("stock-webhook", "rebuild"),
    ]
    assert result["everything"] is False  # every project, but not the foundation
    assert result["foundation"]["changed"] is False


def test_readme_affects_nothing(example_repo: Repo, cli: Runner) -> None:
    base = example_repo.sha()
    example_repo.append("README.md", "\nMore words.\n")
    example_repo.commit("docs")

    assert cli.json(example_repo, "--base", base) == answer(
        example_repo,
        base,
        merge_base=base,
        ignored=[reason("README.md", "matches ignore pattern '*.md'")],
    )
    assert poly_diff(example_repo, base) == (0, "")


def test_rename_a_brick(example_repo: Repo, cli: Runner) -> None:
    base = example_repo.sha()
    new = f"components/{NS}/dmd_api_client"
    example_repo.move(DMD_CLIENT, new)
    example_repo.replace(f"{new}/__init__.py", f"{NS}.dmd_client.core", f"{NS}.dmd_api_client.core")
    example_repo.replace(f"{DMD_INGEST}/core.py", f"{NS}.dmd_client ", f"{NS}.dmd_api_client ")
    example_repo.replace(
        "projects/dmd_ingest/pyproject.toml",
        f'"../../{DMD_CLIENT}" = "{NS}/dmd_client"',
        f'"../../{new}" = "{NS}/dmd_api_client"',
    )
    example_repo.commit("rename dmd_client to dmd_api_client")

    old_files = [f"{DMD_CLIENT}/__init__.py", f"{DMD_CLIENT}/core.py"]
    new_files = [f"{new}/__init__.py", f"{new}/core.py"]
    base_core = f"{DMD_INGEST}/core.py"
    project_reasons = sorted(
        [
            reason(base_core, f"brick {DMD_INGEST} changed; the project includes it"),
            *(
                reason(
                    p, f"brick {DMD_CLIENT} changed; the project included at the base revision it"
                )
                for p in old_files
            ),
            *(reason(p, f"brick {new} changed; the project includes it") for p in new_files),
            reason("projects/dmd_ingest/pyproject.toml", "inside the project folder"),
        ],
        key=lambda r: (r["path"], r["why"]),
    )
    assert cli.json(example_repo, "--base", base) == answer(
        example_repo,
        base,
        merge_base=base,
        bricks=[
            {
                "name": DMD_INGEST,
                "changed": True,
                # It changed itself, so its own change is the reason (no import route).
                "reasons": [reason(base_core, f"brick {DMD_INGEST} changed")],
            },
            {
                "name": new,
                "changed": True,
                "reasons": [reason(p, f"brick {new} changed") for p in new_files],
            },
            {
                "name": DMD_CLIENT,
                "changed": True,
                "reasons": [reason(p, f"brick {DMD_CLIENT} changed") for p in old_files],
            },
        ],
        projects=[{"name": "dmd_ingest", "reasons": project_reasons}],
        apps=[
            app("dmd-inv-mov-api2bq", "job", "dmd_ingest", "rebuild", BOTH_ENVS, project_reasons)
        ],
    )
    assert poly_diff(example_repo, base) == (0, "dmd_ingest")


def test_rename_a_brick_without_updating_the_project_is_an_error(
    example_repo: Repo, cli: Runner
) -> None:
    base = example_repo.sha()
    example_repo.move(DMD_CLIENT, f"components/{NS}/dmd_api_client")
    example_repo.commit("half-done rename")

    code, out, err = cli("affected", "-w", str(example_repo.root), "--base", base)
    assert code == 2
    assert out == ""
    pyproject = example_repo.path("projects/dmd_ingest/pyproject.toml")
    line = pyproject.read_text().splitlines().index(f'"../../{DMD_CLIENT}" = "{NS}/dmd_client"') + 1
    assert f"{pyproject}:{line}:1: project 'dmd_ingest' includes brick '../../{DMD_CLIENT}'" in err
    # poly diff drops the project's missing brick and reports the project as unaffected.
    assert poly_diff(example_repo, base) == (0, "")


def _drop_lock_package(repo: Repo, name: str) -> None:
    text = repo.path("uv.lock").read_text()
    block = re.compile(rf'\[\[package\]\]\nname = "{name}"\n.*?(?=\[\[package\]\]|\Z)', re.S)
    text, count = block.subn("", text)
    assert count == 1
    text = text.replace(f'    "{name}",\n', "", 1)
    repo.path("uv.lock").write_text(text)


def test_delete_a_project(example_repo: Repo, cli: Runner) -> None:
    base = example_repo.sha()
    example_repo.remove("projects/stock_webhook")
    example_repo.remove("infrastructure/cloudrun_function/stock-webhook")
    _drop_lock_package(example_repo, "stock-webhook")
    example_repo.commit("retire the stock webhook")

    app_dir = "infrastructure/cloudrun_function/stock-webhook"
    assert cli.json(example_repo, "--base", base) == answer(
        example_repo,
        base,
        merge_base=base,
        removed={
            "projects": [
                {
                    "name": "stock_webhook",
                    "reasons": [
                        reason(
                            "projects/stock_webhook/Dockerfile", "deleted with the project folder"
                        ),
                        reason(
                            "projects/stock_webhook/pyproject.toml",
                            "deleted with the project folder",
                        ),
                    ],
                }
            ],
            "apps": [
                {
                    "name": "stock-webhook",
                    "reasons": [
                        reason(f"{app_dir}/{rel}", "deleted with the app's Kustomize folder")
                        for rel in (
                            "base/kustomization.yaml",
                            "base/service.yaml",
                            "overlays/production/kustomization.yaml",
                            "overlays/sandbox/kustomization.yaml",
                        )
                    ],
                }
            ],
        },
    )
    # The lock lost only the member package, which no remaining project installs, so no
    # project is rebuilt. poly diff lists the deleted project as changed, as if there were
    # something to deliver; ours reports it apart, as a teardown signal.
    assert poly_diff(example_repo, base) == (0, "stock_webhook")


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("no-such-branch", "the base ref 'no-such-branch' is not a commit in this repository"),
        ("0" * 40, f"the base ref {'0' * 40} is the all-zero SHA"),
    ],
)
def test_bad_base_ref_fails_loudly(example_repo: Repo, cli: Runner, ref: str, message: str) -> None:
    code, out, err = cli("affected", "-w", str(example_repo.root), "--base", ref, "-f", "json")
    assert code == 2
    assert out == ""
    assert message in err
    # poly diff reports nothing and exits 0 for a bad ref: a pipeline would deploy nothing.
    if ref == "no-such-branch":
        assert poly_diff(example_repo, ref) == (0, "")


def test_bad_base_ref_with_fallback_reports_everything(example_repo: Repo, cli: Runner) -> None:
    result = cli.json(example_repo, "--base", "no-such-branch", "--fallback", "all")
    why = result["everything_reasons"]
    assert len(why) == 1
    assert why[0]["path"] == ""
    assert why[0]["why"].startswith(
        "git failed, so everything is affected: the base ref 'no-such-branch' is not a commit"
    )
    every = [reason(why[0]["path"], why[0]["why"])]
    assert result == {
        "base": "no-such-branch",
        "head": "HEAD",
        "merge_base": None,
        "head_commit": None,
        "env": None,
        "everything": True,
        "everything_reasons": every,
        "foundation": {
            "changed": True,
            "stacks": [
                {"name": "production", "reasons": every},
                {"name": "sandbox", "reasons": every},
            ],
        },
        "bricks": [],
        "projects": [
            {"name": name, "reasons": every}
            for name in ("dmd_ingest", "inventory_api", "stock_webhook")
        ],
        "apps": [
            app("dmd-inv-mov-api2bq", "job", "dmd_ingest", "rebuild", BOTH_ENVS, every),
            app("inventory-api", "service", "inventory_api", "rebuild", BOTH_ENVS, every),
            app("stock-webhook", "function", "stock_webhook", "rebuild", BOTH_ENVS, every),
        ],
        "removed": {"projects": [], "apps": [], "stacks": []},
        "ignored": [],
    }


def test_shallow_clone_without_the_base_names_the_cause(
    example_repo: Repo, cli: Runner, tmp_path
) -> None:
    base = example_repo.sha()
    example_repo.append("README.md", "\nmore\n")
    example_repo.commit("second")
    clone = Repo(tmp_path / "clone")
    example_repo.git("clone", "-q", "--depth", "1", f"file://{example_repo.root}", str(clone.root))

    code, out, err = cli("affected", "-w", str(clone.root), "--base", base)
    assert code == 2
    assert out == ""
    assert f"the base ref '{base}' is not a commit in this repository" in err
    assert "shallow clone" in err
    assert "fetch-depth: 0" in err


def test_unowned_path_affects_everything(example_repo: Repo, cli: Runner) -> None:
    base = example_repo.sha()
    example_repo.write("scripts/release.sh", "echo release\n")
    example_repo.commit("script")
    result = cli.json(example_repo, "--base", base)
    assert result["everything"] is True
    assert result["everything_reasons"] == [
        reason(
            "scripts/release.sh",
            "not owned by a brick, project, app or stack and not ignored, so it may affect "
            "everything (list it under [tool.polyinfra.affected] ignore if it does not)",
        )
    ]
    assert [p["name"] for p in result["projects"]] == [
        "dmd_ingest",
        "inventory_api",
        "stock_webhook",
    ]
    assert [s["name"] for s in result["foundation"]["stacks"]] == ["production", "sandbox"]


def test_merge_base_is_used_not_the_base_tip(example_repo: Repo, cli: Runner) -> None:
    """Work merged to main after the branch point is not the branch's change."""
    fork = example_repo.sha()
    example_repo.git("switch", "-q", "-c", "feature")
    example_repo.append("infrastructure/pulumi/Pulumi.sandbox.yaml", "# feature\n")
    example_repo.commit("feature work")
    example_repo.git("switch", "-q", "main")
    example_repo.append(f"{INVENTORY}/core.py", "\n# main moved on\n")
    example_repo.commit("main work")
    example_repo.git("switch", "-q", "feature")

    result = cli.json(example_repo, "--base", "main")
    assert result["merge_base"] == fork
    assert [s["name"] for s in result["foundation"]["stacks"]] == ["sandbox"]
    assert result["projects"] == []
