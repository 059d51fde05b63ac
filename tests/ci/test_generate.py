"""`polyinfra ci generate`: the four workflows, their security properties, settings,
idempotence and the refusal to clobber hand edits."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from polyinfra.ci import actions, github_workflows
from polyinfra.ci.files import edited_by_hand, with_header
from polyinfra.workspace import Workspace
from polyinfra.yamlio import load_file
from tests.affected.conftest import Runner, copy_example

WORKFLOWS = (
    "check.yaml",
    "infrastructure-provision.yaml",
    "deploy.yaml",
    "sandbox-deploy.yaml",
)
LINK_BASE = (
    "${{ github.server_url }}/${{ github.repository }}/blob/"
    "${{ github.event.pull_request.head.sha }}"
)
KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
PINNED = re.compile(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40}$")


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return copy_example(tmp_path / "ws")


def generate(cli: Runner, root: Path, *extra: str) -> tuple[int, str, str]:
    return cli("ci", "generate", "-w", str(root), *extra)


def load(root: Path, name: str) -> dict[str, Any]:
    data: dict[str, Any] = load_file(root / ".github" / "workflows" / name).data
    return data


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = job["steps"]
    return result


def all_steps(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in doc["jobs"].values() for step in steps(job)]


def test_generates_four_workflows_and_is_idempotent(workspace: Path, cli: Runner) -> None:
    code, out, err = generate(cli, workspace)
    assert code == 0, err
    assert out.splitlines() == [f"created                .github/workflows/{n}" for n in WORKFLOWS]
    before = {n: (workspace / ".github/workflows" / n).read_bytes() for n in WORKFLOWS}

    code, out, _ = generate(cli, workspace)
    assert code == 0
    assert out.splitlines() == [f"unchanged              .github/workflows/{n}" for n in WORKFLOWS]
    after = {n: (workspace / ".github/workflows" / n).read_bytes() for n in WORKFLOWS}
    assert before == after


@pytest.mark.parametrize("name", WORKFLOWS)
def test_workflow_conventions_and_security(workspace: Path, cli: Runner, name: str) -> None:
    assert generate(cli, workspace)[0] == 0
    text = (workspace / ".github/workflows" / name).read_text()
    doc = load(workspace, name)
    assert doc["name"]
    assert doc["run-name"]
    assert "pull_request_target" not in text
    assert doc["permissions"] == {}  # nothing by default, each job asks
    for job_id, job in doc["jobs"].items():
        if job_id == "comment":
            # the one job that writes to pull requests: no checkout, no credentials
            assert job["permissions"] == {"pull-requests": "write"}
            assert [s["id"] for s in steps(job)] == ["comment"]
            continue
        assert set(job["permissions"]) <= {"contents", "id-token"}, job_id
        assert job["permissions"]["contents"] == "read"
        uses_auth = any(
            str(s.get("uses", "")).startswith("google-github-actions/auth@") for s in steps(job)
        )
        # OIDC tokens only where Google Cloud is reached.
        assert ("id-token" in job["permissions"]) == uses_auth, job_id
        if uses_auth:
            assert job["permissions"]["id-token"] == "write"
    for step in all_steps(doc):
        if "id" in step:
            assert KEBAB.match(step["id"]), step["id"]
        if "uses" in step:
            assert PINNED.match(step["uses"]), step["uses"]
        if "with" in step:
            assert "python-version" not in step["with"]
            assert "credentials_json" not in step["with"]
        if "uv sync" in step.get("run", ""):
            assert "uv sync --frozen" in step["run"]
    # Each pinned action carries its release as a comment.
    for action in actions.ALL:
        if action.uses in text:
            assert f"{action.uses}  # {action.version}" in text
    setup_python = [s for s in all_steps(doc) if "setup-python" in str(s.get("uses"))]
    assert all(s["with"] == {"python-version-file": "pyproject.toml"} for s in setup_python)
    setup_uv = [s for s in all_steps(doc) if "setup-uv" in str(s.get("uses"))]
    assert all(s["with"] == {"version": "0.7.8"} for s in setup_uv)
    assert 'version: "0.7.8"' in text or not setup_uv


def test_deploy_builds_only_rebuilt_images_and_guards_empty_matrices(
    workspace: Path, cli: Runner
) -> None:
    assert generate(cli, workspace)[0] == 0
    doc = load(workspace, "deploy.yaml")
    assert doc["on"]["push"] == {"branches": ["main"]}
    assert "workflow_dispatch" in doc["on"]
    plan, build, deploy = doc["jobs"]["plan"], doc["jobs"]["build"], doc["jobs"]["deploy"]
    find = next(s for s in steps(plan) if s.get("id") == "find-affected")
    assert 'images=(--version "$VERSION" --released-tag main)' in find["run"]
    assert '--env production --fallback all "${images[@]}"' in find["run"]
    assert find["env"]["BEFORE"] == "${{ github.event.before }}"  # never interpolated in run
    assert find["env"]["VERSION"] == "${{ steps.determine-version.outputs.version }}"
    assert "${{" not in find["run"]
    assert plan["outputs"]["build_matrix"] == "${{ steps.find-affected.outputs.build_matrix }}"
    assert (
        build["if"] == "needs.plan.result == 'success' && needs.plan.outputs.build_matrix != '[]'"
    )
    assert build["strategy"]["matrix"] == {
        "include": "${{ fromJSON(needs.plan.outputs.build_matrix) }}"
    }
    auth = next(s for s in steps(build) if s.get("id") == "authenticate-gcp")
    # Docker login needs only a token; no credentials file lands in the build context.
    assert auth["with"]["token_format"] == "access_token"
    assert auth["with"]["create_credentials_file"] is False
    login = next(s for s in steps(build) if s.get("name") == "Log in to the registry")
    assert login["with"]["registry"] == "${{ matrix.registry }}"
    push = next(s for s in steps(build) if s.get("id") == "build-push-image")
    assert push["with"]["file"] == "${{ matrix.dockerfile }}"
    assert push["with"]["tags"] == "${{ matrix.tags }}"
    assert "registry" not in plan["outputs"]  # no shared registry variable
    assert "cache-from" not in push["with"]  # production images are built without cache
    assert deploy["if"] == (
        "!cancelled() && needs.plan.result == 'success' && needs.plan.outputs.apps != '[]' && "
        "(needs.build.result == 'success' || needs.build.result == 'skipped')"
    )
    assert deploy["environment"] == "production"
    run = next(s for s in steps(deploy) if s.get("id") == "deploy-apps")["run"]
    assert 'polyinfra deploy "${app_args[@]}" --env production --version "$VERSION"' in run


def test_sandbox_deploy_runs_on_label_for_same_repository_prs(workspace: Path, cli: Runner) -> None:
    assert generate(cli, workspace)[0] == 0
    doc = load(workspace, "sandbox-deploy.yaml")
    assert doc["on"] == {"pull_request": {"types": ["labeled", "synchronize", "closed"]}}
    plan = doc["jobs"]["plan"]
    assert "github.event.label.name == 'sandbox deploy'" in plan["if"]
    assert "github.event.pull_request.head.repo.full_name == github.repository" in plan["if"]
    checkout = steps(plan)[0]
    assert checkout["with"]["ref"] == "${{ github.event.pull_request.head.sha }}"
    find = next(s for s in steps(plan) if s.get("id") == "find-affected")
    assert find["run"] == (
        'polyinfra affected --base "$BASE_SHA" --env sandbox --version "$VERSION" --format github'
    )
    push = next(s for s in steps(doc["jobs"]["build"]) if s.get("id") == "build-push-image")
    assert push["with"]["cache-from"] == "type=gha"
    assert doc["jobs"]["deploy"]["environment"] == "sandbox"
    # the same question as markdown, for the job summary and the pull request's comment
    summary = next(s for s in steps(plan) if s.get("id") == "summarize-affected")
    assert summary["env"] == find["env"]
    assert summary["run"].splitlines()[:3] == [
        'report="$(mktemp)"',
        'polyinfra affected --base "$BASE_SHA" --env sandbox --version "$VERSION" '
        "--format markdown \\",
        '  > "$report"',
    ]
    assert plan["outputs"]["affected_report"] == (
        "${{ steps.summarize-affected.outputs.markdown }}"
    )
    comment = doc["jobs"]["comment"]
    assert comment["needs"] == "plan"
    assert comment["if"] == (
        "!cancelled() && github.event_name == 'pull_request' && needs.plan.result != 'skipped'"
    )
    assert steps(comment)[0]["env"]["MARKER"] == "<!-- polyinfra:sandbox-deploy -->"
    assert steps(comment)[0]["env"]["AFFECTED_REPORT"] == (
        "${{ needs.plan.outputs.affected_report }}"
    )


def test_deploy_summarizes_what_it_deploys(workspace: Path, cli: Runner) -> None:
    assert generate(cli, workspace)[0] == 0
    doc = load(workspace, "deploy.yaml")
    assert list(doc["jobs"]) == ["plan", "build", "deploy"]  # a push has no pull request
    plan = doc["jobs"]["plan"]
    assert [s.get("id") for s in steps(plan)][-2:] == ["find-affected", "summarize-affected"]
    find, summary = steps(plan)[-2:]
    assert summary["env"] == find["env"]
    assert summary["run"] == (
        'images=(--version "$VERSION" --released-tag main)\n'
        'if [ "$EVENT_NAME" = "workflow_dispatch" ] && [ -z "$BASE_INPUT" ]; then\n'
        "  scope=(--all)\n"
        'elif [ "$EVENT_NAME" = "workflow_dispatch" ]; then\n'
        '  scope=(--base "$BASE_INPUT")\n'
        "else\n"
        '  scope=(--base "$BEFORE" --fallback all)\n'
        "fi\n"
        'polyinfra affected "${scope[@]}" --env production "${images[@]}" --format markdown \\\n'
        '  >> "$GITHUB_STEP_SUMMARY"\n'
    )
    # the outputs the build and deploy jobs read are the ones they were
    assert set(plan["outputs"]) == {"apps", "build_matrix", "images", "version"}


def test_closing_a_labelled_pull_request_runs_only_the_teardown(
    workspace: Path, cli: Runner
) -> None:
    assert generate(cli, workspace)[0] == 0
    doc = load(workspace, "sandbox-deploy.yaml")
    assert list(doc["jobs"]) == ["plan", "build", "deploy", "teardown", "comment"]
    # plan (and so build and deploy) never runs for a closed pull request
    assert "'closed'" not in doc["jobs"]["plan"]["if"]
    teardown = doc["jobs"]["teardown"]
    assert teardown["if"] == (
        "github.event.action == 'closed' && "
        "github.event.pull_request.head.repo.full_name == github.repository && "
        "contains(github.event.pull_request.labels.*.name, 'sandbox deploy')"
    )
    assert teardown["environment"] == "sandbox"
    assert teardown["permissions"] == {"contents": "read", "id-token": "write"}
    checkout = steps(teardown)[0]
    assert checkout["with"] == {
        "ref": "${{ github.event.pull_request.head.sha }}",
        "fetch-depth": 0,
        "persist-credentials": False,
    }
    remove = steps(teardown)[-1]
    assert remove["id"] == "remove-added-apps"
    assert remove["env"] == {
        "BASE_REF": "${{ github.event.pull_request.base.ref }}",
        "REGION": "${{ vars.REGION }}",
    }
    assert remove["run"].splitlines()[-1] == (
        'polyinfra remove "${added[@]}" --env sandbox --yes "${region_args[@]}"'
    )
    assert doc["run-name"] == (
        "${{ github.event.action == 'closed' && format('Remove the apps pull request #{0} "
        "added from sandbox', github.event.pull_request.number) || format('Deploy pull "
        "request #{0} to sandbox', github.event.pull_request.number) }}"
    )


def test_provision_production_by_dispatch_sandbox_by_label(workspace: Path, cli: Runner) -> None:
    assert generate(cli, workspace)[0] == 0
    doc = load(workspace, "infrastructure-provision.yaml")
    assert list(doc["on"]) == ["workflow_dispatch", "pull_request"]
    assert doc["on"]["workflow_dispatch"]["inputs"]["base"]["default"] == ""
    assert list(doc["jobs"]) == ["plan", "provision", "comment"]
    job = doc["jobs"]["provision"]
    # the plan comes first and needs no approval: the approver reads it before approving
    assert job["needs"] == "plan"
    plan = doc["jobs"]["plan"]
    assert "environment" not in plan
    assert plan["permissions"] == {"contents": "read"}
    assert plan["if"] == job["if"]
    assert plan["outputs"] == {"plan_report": "${{ steps.plan-foundation.outputs.markdown }}"}
    show = steps(plan)[-1]
    assert show["env"] == {
        "STACK": "${{ steps.determine-stack.outputs.stack }}",
        "BASE": "${{ github.event.pull_request.base.sha || inputs.base }}",
        "LINK_BASE": "${{ github.server_url }}/${{ github.repository }}/blob/"
        "${{ github.event.pull_request.head.sha || github.sha }}",
    }
    assert show["run"].startswith(
        'report="$(mktemp)"\n'
        "status=0\n"
        "diff=()\n"
        'if [ -n "$BASE" ]; then diff=(--diff "$BASE"); fi\n'
        "plan_markdown() {\n"
        '  polyinfra plan "$@" "${diff[@]}" --format markdown --link-base "$LINK_BASE" \\\n'
        '    >> "$report" || status=$?\n'
        '  echo >> "$report"\n'
        "}\n"
        'plan_markdown --stack "$STACK"\n'
        'cat "$report" >> "$GITHUB_STEP_SUMMARY"\n'
    )
    assert show["run"].endswith(  # the plan informs the approval, it does not gate it
        'if [ "$status" -ne 0 ]; then\n'
        '  warning="polyinfra plan exited $status: read the job summary before approving"\n'
        '  echo "::warning title=Foundation plan::$warning"\n'
        "fi\n"
    )
    comment = doc["jobs"]["comment"]
    assert comment["needs"] == "plan"
    assert steps(comment)[0]["env"]["MARKER"] == "<!-- polyinfra:infrastructure-provision -->"
    assert job["environment"] == (
        "${{ github.event_name == 'workflow_dispatch' && 'production' || 'sandbox' }}"
    )
    assert "github.event.label.name == 'provision infrastructure'" in job["if"]
    run = next(s for s in steps(job) if s.get("id") == "provision-stack")
    assert run["run"] == 'polyinfra provision --stack "$STACK" --yes'
    assert run["env"]["PULUMI_CONFIG_PASSPHRASE"] == "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}"
    auth = next(s for s in steps(job) if s.get("id") == "authenticate-gcp")
    assert auth["with"] == {
        "workload_identity_provider": "${{ vars.WIF_PROVIDER }}",
        "service_account": "${{ vars.WIF_SERVICE_ACCOUNT }}",
        "project_id": "${{ vars.GCP_PROJECT_ID }}",
    }


def test_check_runs_check_and_plans_every_stack(workspace: Path, cli: Runner) -> None:
    assert generate(cli, workspace)[0] == 0
    doc = load(workspace, "check.yaml")
    assert list(doc["jobs"]) == ["check", "comment"]
    check = doc["jobs"]["check"]
    ids = [s.get("id") for s in steps(check)]
    assert ids[-3:] == ["check-workspace", "plan-foundation", "show-affected"]
    plan = steps(check)[-2]
    assert "for stack in production sandbox; do\n" in plan["run"]
    assert 'plan_markdown --stack "$stack" --diff "$BASE_SHA"' in plan["run"]
    assert plan["env"] == {
        "BASE_SHA": "${{ github.event.pull_request.base.sha }}",
        "LINK_BASE": LINK_BASE,
    }
    assert '>> "$GITHUB_STEP_SUMMARY"' in plan["run"]
    # each report travels to the comment job as a job output
    assert check["outputs"] == {
        "check_report": "${{ steps.check-workspace.outputs.markdown }}",
        "plan_report": "${{ steps.plan-foundation.outputs.markdown }}",
        "affected_report": "${{ steps.show-affected.outputs.markdown }}",
    }
    comment = doc["jobs"]["comment"]
    assert {k: v for k, v in comment.items() if k != "steps"} == {
        "name": "Comment on the pull request",
        "needs": "check",
        "if": "!cancelled() && github.event_name == 'pull_request' && "
        "needs.check.result != 'skipped'",
        "runs-on": "ubuntu-latest",
        "timeout-minutes": 5,
        "permissions": {"pull-requests": "write"},
    }
    assert steps(comment)[0]["env"] == {
        "GITHUB_TOKEN": "${{ github.token }}",
        "PR_NUMBER": "${{ github.event.pull_request.number }}",
        "HEAD_REPOSITORY": "${{ github.event.pull_request.head.repo.full_name }}",
        "MARKER": "<!-- polyinfra:check -->",
        "CHECK_REPORT": "${{ needs.check.outputs.check_report }}",
        "PLAN_REPORT": "${{ needs.check.outputs.plan_report }}",
        "AFFECTED_REPORT": "${{ needs.check.outputs.affected_report }}",
    }


def test_settings_rename_labels_environments_and_variables(workspace: Path, cli: Runner) -> None:
    pyproject = workspace / "infrastructure" / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text()
        + "\n[tool.polyinfra.ci]\n"
        + 'sandbox_deploy_label = "deploy: sandbox\'s"\n'
        + 'workload_identity_provider_variable = "GHA_WIF"\n'
        + 'uv_version = "0.9.1"\n'
        + 'tool_project = "."\n'
        + "\n[tool.polyinfra.ci.workflows]\n"
        + 'deploy = "Ship it"\n'
    )
    assert generate(cli, workspace)[0] == 0
    deploy = load(workspace, "deploy.yaml")
    assert deploy["name"] == "Ship it"
    sandbox = load(workspace, "sandbox-deploy.yaml")
    assert "github.event.label.name == 'deploy: sandbox''s'" in sandbox["jobs"]["plan"]["if"]
    text = (workspace / ".github/workflows/deploy.yaml").read_text()
    assert "${{ vars.GHA_WIF }}" in text
    assert "vars.WIF_PROVIDER" not in text
    install = next(s for s in steps(deploy["jobs"]["plan"]) if s.get("id") == "install-polyinfra")
    assert install["run"] == 'uv sync --frozen\necho "$PWD/.venv/bin" >> "$GITHUB_PATH"\n'


def test_bad_variable_name_points_at_the_setting(workspace: Path, cli: Runner) -> None:
    pyproject = workspace / "infrastructure" / "pyproject.toml"
    text = pyproject.read_text() + '\n[tool.polyinfra.ci]\nregion_variable = "MY-REGION"\n'
    pyproject.write_text(text)
    line = text.splitlines().index('region_variable = "MY-REGION"') + 1
    code, out, err = generate(cli, workspace)
    assert code == 2
    assert out == ""
    assert (
        f"{pyproject}:{line}:1: [tool.polyinfra.ci] region_variable = 'MY-REGION' is not a "
        "GitHub variable name" in err
    )
    assert not (workspace / ".github").exists()
    # only the commands that write workflows ask: the workspace itself still reads
    assert Workspace.discover(workspace).settings.ci.region_variable == "MY-REGION"


def test_every_bad_setting_is_reported_at_once(workspace: Path, cli: Runner) -> None:
    pyproject = workspace / "infrastructure" / "pyproject.toml"
    text = pyproject.read_text() + (
        '\n[tool.polyinfra.ci]\nproduction_environment = "prod env"\n'
        'pulumi_passphrase_secret = "1PASS"\n'
    )
    pyproject.write_text(text)
    lines = text.splitlines()
    env_line = lines.index('production_environment = "prod env"') + 1
    secret_line = lines.index('pulumi_passphrase_secret = "1PASS"') + 1
    code, _, err = generate(cli, workspace)
    assert code == 2
    assert (
        f"{pyproject}:{env_line}:1: [tool.polyinfra.ci] production_environment = 'prod env' is "
        "not an environment name"
    ) in err
    assert "hint: use the overlay folder name (letters, digits, '.', '_', '-')" in err
    assert (
        f"{pyproject}:{secret_line}:1: [tool.polyinfra.ci] pulumi_passphrase_secret = '1PASS' "
        "is not a GitHub variable name"
    ) in err
    assert not (workspace / ".github").exists()


def test_tool_project_must_be_a_plain_folder(workspace: Path, cli: Runner) -> None:
    pyproject = workspace / "infrastructure" / "pyproject.toml"
    text = pyproject.read_text() + '\n[tool.polyinfra.ci]\ntool_project = "infra $(rm -rf)"\n'
    pyproject.write_text(text)
    line = text.splitlines().index('tool_project = "infra $(rm -rf)"') + 1
    code, _, err = generate(cli, workspace)
    assert code == 2
    assert f"{pyproject}:{line}:1: [tool.polyinfra.ci] tool_project = 'infra $(rm -rf)'" in err
    assert not (workspace / ".github").exists()


def test_hand_edited_workflow_is_kept_and_nothing_written(workspace: Path, cli: Runner) -> None:
    assert generate(cli, workspace)[0] == 0
    deploy = workspace / ".github/workflows/deploy.yaml"
    edited = deploy.read_text().replace("timeout-minutes: 45", "timeout-minutes: 90", 1)
    deploy.write_text(edited)
    (workspace / ".github/workflows/check.yaml").unlink()

    code, out, err = generate(cli, workspace)
    assert code == 1
    assert "edited by hand, kept   .github/workflows/deploy.yaml" in out
    assert "would" not in out
    assert "-    timeout-minutes: 90\n+    timeout-minutes: 45\n" in out  # the diff is shown
    assert "--- a/.github/workflows/deploy.yaml" in out
    assert ".github/workflows/deploy.yaml: edited by hand since it was generated" in err
    assert deploy.read_text() == edited
    assert not (workspace / ".github/workflows/check.yaml").exists()  # nothing half-written

    code, out, _ = generate(cli, workspace, "--force")
    assert code == 0
    assert "overwritten            .github/workflows/deploy.yaml" in out
    assert "created                .github/workflows/check.yaml" in out
    assert "timeout-minutes: 90" not in deploy.read_text()


def test_settings_change_updates_generated_files(workspace: Path, cli: Runner) -> None:
    assert generate(cli, workspace)[0] == 0
    pyproject = workspace / "infrastructure" / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + '\n[tool.polyinfra.ci]\nmain_branch = "trunk"\n')
    code, out, _ = generate(cli, workspace, "--dry-run")
    assert code == 0
    assert "would update           .github/workflows/check.yaml" in out
    assert "-    branches: [main]\n+    branches: [trunk]\n" in out
    assert "branches: [main]" in (workspace / ".github/workflows/check.yaml").read_text()

    code, out, _ = generate(cli, workspace)
    assert code == 0
    assert "updated                .github/workflows/check.yaml" in out
    assert "updated                .github/workflows/deploy.yaml" in out
    assert "unchanged              .github/workflows/infrastructure-provision.yaml" in out
    assert load(workspace, "check.yaml")["on"]["pull_request"]["branches"] == ["trunk"]


def test_hash_header_detects_any_edit() -> None:
    text = with_header("name: x\n")
    assert not edited_by_hand(text)
    assert edited_by_hand(text + "\n")
    assert edited_by_hand(text.replace("name: x", "name: y"))
    assert edited_by_hand("name: x\n")


def test_unknown_provider(workspace: Path, cli: Runner) -> None:
    code, _, err = generate(cli, workspace, "--provider", "gitlab")
    assert code == 2
    assert "unknown CI provider 'gitlab'" in err


def test_generation_is_deterministic(workspace: Path) -> None:
    ws = Workspace.discover(workspace)
    assert github_workflows(ws) == github_workflows(Workspace.discover(workspace))
