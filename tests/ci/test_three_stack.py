"""`polyinfra ci generate` in the three-stack layout: one provision job per Pulumi program,
platform before services, each in a GitHub environment of its own and run only when its
program is affected; every workflow authenticates through the workload identity the
platform stack file declares."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from polyinfra.ci import github_workflows
from polyinfra.workspace import Workspace
from polyinfra.yamlio import load_file, load_text
from tests.affected.conftest import REPO_ROOT, Repo, Runner, copy_example
from tests.affected.three_stack import PLATFORM, SERVICES, three_stack_example

DISPATCH = "github.event_name == 'workflow_dispatch'"
GUARD = (
    f"{DISPATCH} || (github.event.label.name == 'provision infrastructure' && "
    "github.event.pull_request.head.repo.full_name == github.repository)"
)
POOL_PATH = "locations/global/workloadIdentityPools/github/providers/data-platform"
PROD_ACCOUNT = "github-deployer@data-platform-prod.iam.gserviceaccount.com"
SANDBOX_ACCOUNT = "github-deployer@data-platform-sandbox.iam.gserviceaccount.com"
VARIABLE_AUTH = {
    "workload_identity_provider": "${{ vars.WIF_PROVIDER }}",
    "service_account": "${{ vars.WIF_SERVICE_ACCOUNT }}",
    "project_id": "${{ vars.GCP_PROJECT_ID }}",
}
SETUP_IDS = [None, None, "install-polyinfra"]  # setup-python, setup-uv, uv sync


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return three_stack_example(tmp_path / "ws")


def generate(cli: Runner, root: Path) -> dict[str, dict[str, Any]]:
    code, _, err = cli("ci", "generate", "-w", str(root))
    assert code == 0, err
    return {
        path.name: load_file(path).data
        for path in sorted((root / ".github" / "workflows").glob("*.yaml"))
    }


def step(job: dict[str, Any], step_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(s for s in job["steps"] if s.get("id") == step_id)
    return found


def ids(job: dict[str, Any]) -> list[str | None]:
    return [s.get("id") for s in job["steps"]]


def provision_job(program: str, needs: Any, condition: str) -> dict[str, Any]:
    """What each program's job is, but for its steps."""
    return {
        "name": f"Provision {program} ${{{{ {DISPATCH} && 'production' || 'sandbox' }}}}",
        "needs": needs,
        "if": condition,
        "runs-on": "ubuntu-latest",
        "environment": (f"${{{{ {DISPATCH} && 'production-{program}' || 'sandbox-{program}' }}}}"),
        "timeout-minutes": 60,
        "permissions": {"contents": "read", "id-token": "write"},
    }


def test_provision_runs_platform_then_services(workspace: Path, cli: Runner) -> None:
    doc = generate(cli, workspace)["infrastructure-provision.yaml"]
    assert list(doc["on"]) == ["workflow_dispatch", "pull_request"]
    assert doc["on"]["pull_request"] == {"types": ["labeled"]}
    assert list(doc["jobs"]) == ["plan", "provision-platform", "provision-services", "comment"]
    plan = doc["jobs"]["plan"]
    platform = doc["jobs"]["provision-platform"]
    services = doc["jobs"]["provision-services"]

    assert {k: v for k, v in plan.items() if k != "steps"} == {
        "name": "Find the programs to provision",
        "if": GUARD,
        "runs-on": "ubuntu-latest",
        "timeout-minutes": 15,
        "permissions": {"contents": "read"},
        "outputs": {
            "stack": "${{ steps.determine-stack.outputs.stack }}",
            "program_stacks": "${{ steps.find-affected.outputs.program_stacks }}",
            "plan_report": "${{ steps.plan-foundation.outputs.markdown }}",
        },
    }
    assert ids(plan) == ["determine-stack", None, *SETUP_IDS, "find-affected", "plan-foundation"]
    checkout = plan["steps"][1]
    assert checkout["with"] == {
        "ref": "${{ github.event.pull_request.head.sha || github.sha }}",
        "fetch-depth": 0,  # affected compares with the base
        "persist-credentials": False,
    }
    find = step(plan, "find-affected")
    assert find["env"] == {
        "EVENT_NAME": "${{ github.event_name }}",
        "BASE_SHA": "${{ github.event.pull_request.base.sha }}",
    }
    assert find["run"] == (
        'if [ "$EVENT_NAME" = "workflow_dispatch" ]; then\n'
        "  # A manual run provisions every program.\n"
        '  echo \'program_stacks={"platform":["production"],"services":["production"]}\' '
        '>> "$GITHUB_OUTPUT"\n'
        "else\n"
        '  polyinfra affected --base "$BASE_SHA" --fallback all --format github\n'
        "fi\n"
    )
    # each program that has the stack planned, in the plan job (no environment, no approval)
    show = step(plan, "plan-foundation")
    assert show["env"] == {
        "STACK": "${{ steps.determine-stack.outputs.stack }}",
        "BASE": "${{ github.event.pull_request.base.sha || inputs.base }}",
        "LINK_BASE": "${{ github.server_url }}/${{ github.repository }}/blob/"
        "${{ github.event.pull_request.head.sha || github.sha }}",
    }
    assert show["run"].splitlines()[9:11] == [
        'case "$STACK" in production | sandbox) plan_markdown --stack "$STACK" '
        "-w infrastructure/pulumi/platform ;; esac",
        'case "$STACK" in production | sandbox) plan_markdown --stack "$STACK" '
        "-w infrastructure/pulumi/services ;; esac",
    ]

    affected = (
        "contains(fromJSON(needs.plan.outputs.program_stacks)['{}'], needs.plan.outputs.stack)"
    )
    assert {k: v for k, v in platform.items() if k != "steps"} == provision_job(
        "platform", "plan", affected.format("platform")
    )
    # services waits for platform, and runs only when platform succeeded or had nothing to do
    assert {k: v for k, v in services.items() if k != "steps"} == provision_job(
        "services",
        ["plan", "provision-platform"],
        "!cancelled() && needs.plan.result == 'success' && "
        + affected.format("services")
        + " && (needs.provision-platform.result == 'success' || "
        "needs.provision-platform.result == 'skipped')",
    )
    for program, job in (("platform", platform), ("services", services)):
        assert ids(job) == [
            None,
            *SETUP_IDS,
            "install-pulumi",
            "authenticate-gcp",
            "provision-stack",
        ]
        assert job["steps"][0]["with"] == {
            "ref": "${{ github.event.pull_request.head.sha || github.sha }}",
            "persist-credentials": False,
        }
        # the provisioning identity of the settings, not the deployer the platform creates
        assert step(job, "authenticate-gcp")["with"] == VARIABLE_AUTH
        run = step(job, "provision-stack")
        assert run["name"] == f"Provision the {program} stack"
        # from the checkout's root, narrowed to the program's folder
        assert "working-directory" not in run
        assert run["run"] == (
            f'polyinfra provision --stack "$STACK" -w infrastructure/pulumi/{program} --yes'
        )
        assert run["env"] == {
            "STACK": "${{ needs.plan.outputs.stack }}",
            "PULUMI_BACKEND_URL": "${{ vars.PULUMI_BACKEND_URL }}",
            "PULUMI_CONFIG_PASSPHRASE": "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}",
        }


def test_dispatch_provisions_only_the_programs_that_have_the_stack(
    workspace: Path, cli: Runner
) -> None:
    (workspace / SERVICES / "Pulumi.production.yaml").unlink()
    plan = generate(cli, workspace)["infrastructure-provision.yaml"]["jobs"]["plan"]
    assert (
        '\'program_stacks={"platform":["production"],"services":[]}\''
        in step(plan, "find-affected")["run"]
    )


def test_check_plans_each_program_s_stacks(workspace: Path, cli: Runner) -> None:
    job = generate(cli, workspace)["check.yaml"]["jobs"]["check"]
    loop = (
        "for stack in production sandbox; do\n"
        '  plan_markdown --stack "$stack" -w infrastructure/pulumi/{0} --diff "$BASE_SHA"\n'
        "done\n"
    )
    assert loop.format("platform") + loop.format("services") in step(job, "plan-foundation")["run"]


def test_deploy_workflows_authenticate_as_the_platform_deployer(
    workspace: Path, cli: Runner
) -> None:
    docs = generate(cli, workspace)
    for name, env, account, project in (
        ("deploy.yaml", "PRODUCTION", PROD_ACCOUNT, "data-platform-prod"),
        ("sandbox-deploy.yaml", "SANDBOX", SANDBOX_ACCOUNT, "data-platform-sandbox"),
    ):
        jobs = docs[name]["jobs"]
        expected = {
            "workload_identity_provider": (
                f"projects/${{{{ vars.GCP_PROJECT_NUMBER_{env} }}}}/{POOL_PATH}"
            ),
            "service_account": account,
            "project_id": project,
        }
        # the build job runs in no GitHub environment: the variable names the environment
        assert "environment" not in jobs["build"]
        assert step(jobs["build"], "authenticate-gcp")["with"] == {
            **expected,
            "token_format": "access_token",
            "create_credentials_file": False,
        }
        assert step(jobs["deploy"], "authenticate-gcp")["with"] == expected
    text = (workspace / ".github/workflows/deploy.yaml").read_text()
    assert "WIF_PROVIDER" not in text
    assert "WIF_SERVICE_ACCOUNT" not in text
    assert "GCP_PROJECT_ID" not in text


def test_without_workload_identity_the_variables_stay(workspace: Path, cli: Runner) -> None:
    for stack in ("production", "sandbox"):
        path = workspace / PLATFORM / f"Pulumi.{stack}.yaml"
        text = path.read_text()
        path.write_text(text[: text.index("  input:workload_identity:")])
    docs = generate(cli, workspace)
    provision = docs["infrastructure-provision.yaml"]["jobs"]
    for job in ("provision-platform", "provision-services"):
        assert step(provision[job], "authenticate-gcp")["with"] == VARIABLE_AUTH
    deploy = docs["deploy.yaml"]["jobs"]
    assert step(deploy["deploy"], "authenticate-gcp")["with"] == VARIABLE_AUTH


def test_one_environment_with_workload_identity(workspace: Path, cli: Runner) -> None:
    """Production declares none: its deploys keep the variables, sandbox's use the platform's
    deployer, and provisioning uses the variables in both."""
    path = workspace / PLATFORM / "Pulumi.production.yaml"
    text = path.read_text()
    path.write_text(text[: text.index("  input:workload_identity:")])
    docs = generate(cli, workspace)
    for job in ("provision-platform", "provision-services"):
        provision = docs["infrastructure-provision.yaml"]["jobs"][job]
        assert step(provision, "authenticate-gcp")["with"] == VARIABLE_AUTH
    assert step(docs["deploy.yaml"]["jobs"]["deploy"], "authenticate-gcp")["with"] == VARIABLE_AUTH
    sandbox = step(docs["sandbox-deploy.yaml"]["jobs"]["deploy"], "authenticate-gcp")["with"]
    assert sandbox["service_account"] == SANDBOX_ACCOUNT


def test_project_number_variable_setting(workspace: Path, cli: Runner) -> None:
    pyproject = workspace / "infrastructure" / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text()
        + '\n[tool.polyinfra.ci]\nproject_number_variable = "PROJECT_NO"\n'
        + 'sandbox_environment = "sandbox"\n'
    )
    docs = generate(cli, workspace)
    auth = step(docs["sandbox-deploy.yaml"]["jobs"]["deploy"], "authenticate-gcp")
    assert auth["with"]["workload_identity_provider"] == (
        f"projects/${{{{ vars.PROJECT_NO_SANDBOX }}}}/{POOL_PATH}"
    )


def test_bad_project_number_variable_points_at_the_setting(workspace: Path, cli: Runner) -> None:
    pyproject = workspace / "infrastructure" / "pyproject.toml"
    text = pyproject.read_text() + '\n[tool.polyinfra.ci]\nproject_number_variable = "NO-1"\n'
    pyproject.write_text(text)
    line = text.splitlines().index('project_number_variable = "NO-1"') + 1
    code, _, err = cli("ci", "generate", "-w", str(workspace))
    assert code == 2
    assert (
        f"{pyproject}:{line}:1: [tool.polyinfra.ci] project_number_variable = 'NO-1' is not a "
        "GitHub variable name"
    ) in err


def test_bad_workload_identity_value_is_reported_where_it_is(workspace: Path, cli: Runner) -> None:
    path = workspace / PLATFORM / "Pulumi.sandbox.yaml"
    path.write_text(path.read_text().replace("pool_id: github", "pool_id: gcp-github"))
    line = path.read_text().splitlines().index("    pool_id: gcp-github") + 1
    code, out, err = cli("ci", "generate", "-w", str(workspace))
    assert code == 2
    assert out == ""
    assert f"{path}:{line}:14: input:workload_identity.pool_id 'gcp-github' " in err
    assert not (workspace / ".github").exists()


def test_missing_deployer_is_reported_at_the_section(workspace: Path, cli: Runner) -> None:
    path = workspace / PLATFORM / "Pulumi.production.yaml"
    text = path.read_text()
    path.write_text(text[: text.index("    deployer:")])
    code, _, err = cli("ci", "generate", "-w", str(workspace))
    assert code == 2
    assert "input:workload_identity.deployer is missing: the workflows act as it" in err


def test_a_program_folder_that_cannot_name_a_job(workspace: Path, cli: Runner) -> None:
    target = workspace / "infrastructure/pulumi/my services"
    (workspace / SERVICES).rename(target)
    code, _, err = cli("ci", "generate", "-w", str(workspace))
    assert code == 2
    assert "Pulumi program folder 'my services' cannot name a workflow job" in err


def test_single_program_stack_with_workload_identity_uses_it(tmp_path: Path) -> None:
    """The workload identity is whichever stack file of the environment declares it; the
    provision workflow keeps its one job."""
    root = copy_example(tmp_path / "ws")
    before = {w.filename: w.body for w in github_workflows(Workspace.discover(root))}
    path = root / "infrastructure/pulumi/Pulumi.sandbox.yaml"
    path.write_text(
        path.read_text()
        + "  input:workload_identity:\n"
        + "    pool_id: github\n"
        + "    provider_id: data-platform\n"
        + "    repository: acme/data-platform\n"
        + "    deployer: {account_id: github-deployer}\n"
    )
    after = {w.filename: w.body for w in github_workflows(Workspace.discover(root))}
    assert after["deploy.yaml"] == before["deploy.yaml"]
    assert after["check.yaml"] == before["check.yaml"]
    sandbox = load_text(after["sandbox-deploy.yaml"], Path("sandbox-deploy.yaml")).data
    assert step(sandbox["jobs"]["deploy"], "authenticate-gcp")["with"] == {
        "workload_identity_provider": (
            f"projects/${{{{ vars.GCP_PROJECT_NUMBER_SANDBOX }}}}/{POOL_PATH}"
        ),
        "service_account": SANDBOX_ACCOUNT,
        "project_id": "data-platform-sandbox",
    }
    provision = load_text(after["infrastructure-provision.yaml"], Path("p.yaml")).data
    assert list(provision["jobs"]) == ["plan", "provision", "comment"]
    assert step(provision["jobs"]["provision"], "provision-stack")["run"] == (
        'polyinfra provision --stack "$STACK" --yes'
    )


# --- the plan job's script, run with bash against the real `polyinfra affected` -----------

BASH = shutil.which("bash")


@pytest.fixture
def repo(workspace: Path) -> Repo:
    repo = Repo(workspace).init()
    repo.commit("initial")
    return repo


def find_programs(repo: Repo, tmp_path: Path, base: str, event: str) -> dict[str, list[str]]:
    find = step(
        load_file(repo.root / ".github/workflows/infrastructure-provision.yaml").data["jobs"][
            "plan"
        ],
        "find-affected",
    )
    output = tmp_path / "github_output"
    output.write_text("")
    assert BASH is not None
    done = subprocess.run(
        [BASH, "-e", "-c", find["run"]],
        cwd=repo.root,
        env={
            "PATH": os.pathsep.join([str(REPO_ROOT / ".venv" / "bin"), os.environ["PATH"]]),
            "PYTHONPATH": str(REPO_ROOT / "src"),  # this checkout's polyinfra
            "HOME": os.environ.get("HOME", "/tmp"),
            "EVENT_NAME": event,
            "BASE_SHA": base,
            "GITHUB_OUTPUT": str(output),
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = dict(line.split("=", 1) for line in output.read_text().splitlines())
    result: dict[str, list[str]] = json.loads(lines["program_stacks"])
    return result


@pytest.mark.skipif(BASH is None, reason="bash runs the workflow steps (as on GitHub runners)")
def test_plan_step_picks_the_programs_a_pull_request_changes(
    repo: Repo, cli: Runner, tmp_path: Path
) -> None:
    generate(cli, repo.root)
    repo.commit("workflows")
    base = repo.sha()

    repo.replace(
        f"{SERVICES}/Pulumi.sandbox.yaml", "roles/logging.logWriter", "roles/logging.admin"
    )
    repo.commit("services only")
    assert find_programs(repo, tmp_path, base, "pull_request") == {
        "platform": [],
        "services": ["sandbox"],
    }

    repo.replace(f"{PLATFORM}/Pulumi.sandbox.yaml", "data-engineering", "platform-team")
    repo.commit("platform too")
    # platform's change reaches services, which reads platform's outputs
    assert find_programs(repo, tmp_path, base, "pull_request") == {
        "platform": ["sandbox"],
        "services": ["sandbox"],
    }
    assert find_programs(repo, tmp_path, base, "workflow_dispatch") == {
        "platform": ["production"],
        "services": ["production"],
    }
