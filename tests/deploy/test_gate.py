"""What `polyinfra deploy` checks before the first Cloud Run call: the rendered manifests and
their links to the foundation stack, reported as `polyinfra check` reports them, on a copy of
the example workspace deployed to the fake Cloud Run API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from polyinfra.checks import check as check_module
from polyinfra.cli.main import main
from polyinfra.emulator import FakeCloudRun
from tests.conftest import edit

pytestmark = pytest.mark.slow

SERVICE = "infrastructure/cloudrun_service/inventory-api"
SANDBOX = f"{SERVICE}/overlays/sandbox/kustomization.yaml"
PRODUCTION = f"{SERVICE}/overlays/production/kustomization.yaml"
BASE = f"{SERVICE}/base/service.yaml"
WEBHOOK_SANDBOX = (
    "infrastructure/cloudrun_function/stock-webhook/overlays/sandbox/kustomization.yaml"
)
SANDBOX_STACK = "infrastructure/pulumi/Pulumi.sandbox.yaml"
INFRA_PYPROJECT = "infrastructure/pyproject.toml"
SANDBOX_REGISTRY = "asia-southeast1-docker.pkg.dev/data-platform-sandbox/inventory-api"
PROD_REGISTRY = "asia-southeast1-docker.pkg.dev/data-platform-prod/inventory-api"
GOOD_ACCOUNT = "inventory-api@data-platform-sandbox.iam.gserviceaccount.com"
BAD_ACCOUNT = "inventory-apx@data-platform-sandbox.iam.gserviceaccount.com"
SKIPPED = (
    "warning: --skip-checks: the links to the foundation stack (service account, secrets, "
    "registry, project) were not checked"
)
UNKNOWN_ACCOUNT = (
    f"{SANDBOX}:18:16: error: inventory-api (sandbox) runs as {BAD_ACCOUNT}, which "
    f"{SANDBOX_STACK} does not create (did you mean '{GOOD_ACCOUNT}'?) "
    "[crossstack/service-account-exists]"
)


@pytest.fixture
def cloud_run(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeCloudRun]:
    monkeypatch.delenv("CLOUD_RUN_EMULATOR_HOST", raising=False)
    with FakeCloudRun(ready_after=1) as fake:
        yield fake


def deploy(root: Path, fake: FakeCloudRun, *args: str, env: str = "sandbox") -> int:
    options = ["--env", env, "--version", "v1", "--endpoint", fake.endpoint, "-w", str(root)]
    return main(["deploy", *args, *options])


def live_container(fake: FakeCloudRun, project: str = "data-platform-sandbox") -> Any:
    service = fake.get_object("services", project, "inventory-api")
    assert service is not None, "inventory-api was not deployed"
    return service["spec"]["template"]["spec"]


def stopped(err: str, summary: str) -> bool:
    return f"deploy stopped: {summary}; nothing was deployed" in err.splitlines()


def test_unknown_service_account_stops_at_the_overlay_line(
    root: Path, cloud_run: FakeCloudRun, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (root / SANDBOX).read_text().splitlines()[17] == f"        value: {GOOD_ACCOUNT}"
    edit(root, SANDBOX, GOOD_ACCOUNT, BAD_ACCOUNT)
    assert deploy(root, cloud_run, "inventory-api") == 1
    err = capsys.readouterr().err
    assert UNKNOWN_ACCOUNT in err.splitlines()
    assert stopped(err, "1 error(s) in the links to the foundation stack")
    assert cloud_run.writes() == []
    assert cloud_run.requests == []


def test_check_reports_the_same_problem_at_the_same_place(
    root: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    edit(root, SANDBOX, GOOD_ACCOUNT, BAD_ACCOUNT)
    monkeypatch.chdir(root)
    assert main(["check", "--env", "sandbox"]) == 1
    assert UNKNOWN_ACCOUNT in capsys.readouterr().out.splitlines()


def test_skip_checks_deploys_anyway_and_says_so(
    root: Path, cloud_run: FakeCloudRun, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(root, SANDBOX, GOOD_ACCOUNT, BAD_ACCOUNT)
    assert deploy(root, cloud_run, "inventory-api", "--skip-checks") == 0
    err = capsys.readouterr().err
    assert SKIPPED in err.splitlines()
    assert "service-account-exists" not in err
    assert live_container(cloud_run)["serviceAccountName"] == BAD_ACCOUNT


@pytest.mark.parametrize("image", ["nginx", "library/nginx:1.2"])
def test_image_override_without_registry_host_stops_at_the_overlay_images_entry(
    root: Path, cloud_run: FakeCloudRun, capsys: pytest.CaptureFixture[str], image: str
) -> None:
    assert (root / SANDBOX).read_text().splitlines()[9] == "  - name: IMAGE_URL"
    assert deploy(root, cloud_run, "inventory-api", f"--image=inventory-api={image}") == 1
    err = capsys.readouterr().err
    assert (
        f"{SANDBOX}:10:5: error: image {image} of container inventory-api names no registry "
        "host: Cloud Run would pull it from Docker Hub [cloudrun/image-host]"
    ) in err.splitlines()
    # the stack's registry rule reports the same image from its side
    assert f"{SANDBOX}:10:5: error: inventory-api (sandbox) deploys {image}, which" in err
    assert stopped(
        err, "2 error(s) in the rendered manifests and their links to the foundation stack"
    )
    assert cloud_run.writes() == []


def test_image_without_registry_host_is_refused_even_with_skip_checks(
    root: Path, cloud_run: FakeCloudRun, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        deploy(
            root, cloud_run, "inventory-api", "--image=inventory-api=nginx:1.27", "--skip-checks"
        )
        == 1
    )
    err = capsys.readouterr().err
    assert SKIPPED in err.splitlines()
    assert f"{SANDBOX}:10:5: error: image nginx:1.27 of container inventory-api" in err
    assert stopped(err, "1 error(s) in the rendered manifests")
    assert cloud_run.writes() == []


def test_base_image_without_registry_host_stops_at_the_base_line(
    root: Path, cloud_run: FakeCloudRun, capsys: pytest.CaptureFixture[str]
) -> None:
    # the overlay's images: entry names IMAGE_URL, so kustomize leaves this image as it is
    edit(root, BASE, "image: IMAGE_URL", "image: kustomize-example")
    assert (root / BASE).read_text().splitlines()[23] == "        image: kustomize-example"
    assert deploy(root, cloud_run, "inventory-api", "--skip-checks") == 1
    err = capsys.readouterr().err
    assert (
        f"{BASE}:24:16: error: image kustomize-example of container inventory-api names no "
        "registry host: Cloud Run would pull it from Docker Hub [cloudrun/image-host]"
    ) in err.splitlines()
    assert f"{BASE}:24:16: warning: image kustomize-example of container inventory-api is " in err
    assert stopped(err, "1 error(s) in the rendered manifests")
    assert cloud_run.writes() == []


@pytest.mark.parametrize(
    ("tag", "what"), [(":latest", "tagged :latest"), ("", "untagged (that is :latest)")]
)
def test_a_moving_tag_in_production_is_refused_even_with_skip_checks(
    root: Path,
    cloud_run: FakeCloudRun,
    capsys: pytest.CaptureFixture[str],
    tag: str,
    what: str,
) -> None:
    image = f"{PROD_REGISTRY}/inventory-api{tag}"
    for extra in ((), ("--skip-checks",)):
        code = deploy(
            root,
            cloud_run,
            "inventory-api",
            f"--image=inventory-api={image}",
            *extra,
            env="production",
        )
        assert code == 1
        err = capsys.readouterr().err
        assert (
            f"{PRODUCTION}:10:5: error: image {image} of container inventory-api is {what}, "
            "in production environment 'production' [cloudrun/production-image-tag]"
        ) in err.splitlines()
        assert stopped(err, "1 error(s) in the rendered manifests")
    assert cloud_run.writes() == []


def test_a_moving_tag_outside_production_is_a_warning_and_deploys(
    root: Path, cloud_run: FakeCloudRun, capsys: pytest.CaptureFixture[str]
) -> None:
    image = f"{SANDBOX_REGISTRY}/inventory-api:latest"
    assert deploy(root, cloud_run, "inventory-api", f"--image=inventory-api={image}") == 0
    err = capsys.readouterr().err
    assert (
        f"{SANDBOX}:10:5: warning: image {image} of container inventory-api is tagged :latest "
        "[cloudrun/image-tag]"
    ) in err.splitlines()
    assert "Found 1 problem (1 warning)." in err.splitlines()
    assert "deploy stopped" not in err
    assert live_container(cloud_run)["containers"][0]["image"] == image


def test_a_link_rule_set_to_warning_is_printed_and_does_not_stop(
    root: Path, cloud_run: FakeCloudRun, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(root, SANDBOX, GOOD_ACCOUNT, BAD_ACCOUNT)
    with (root / INFRA_PYPROJECT).open("a", encoding="utf-8") as f:
        f.write('\n[tool.polyinfra.rules]\nlevels = { "crossstack" = "warning" }\n')
    assert deploy(root, cloud_run, "inventory-api") == 0
    err = capsys.readouterr().err
    assert UNKNOWN_ACCOUNT.replace(": error: ", ": warning: ") in err.splitlines()
    assert live_container(cloud_run)["serviceAccountName"] == BAD_ACCOUNT


def test_a_disabled_rule_is_not_run(
    root: Path, cloud_run: FakeCloudRun, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(root, SANDBOX, GOOD_ACCOUNT, BAD_ACCOUNT)
    with (root / INFRA_PYPROJECT).open("a", encoding="utf-8") as f:
        f.write('\n[tool.polyinfra.rules]\ndisable = ["crossstack/service-account-exists"]\n')
    assert deploy(root, cloud_run, "inventory-api") == 0
    assert "service-account-exists" not in capsys.readouterr().err


def test_a_disable_comment_on_the_overlay_line_is_honoured(
    root: Path, cloud_run: FakeCloudRun, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(
        root,
        SANDBOX,
        GOOD_ACCOUNT,
        f"{BAD_ACCOUNT} # polyinfra: disable=crossstack/service-account-exists",
    )
    assert deploy(root, cloud_run, "inventory-api") == 0
    assert "service-account-exists" not in capsys.readouterr().err


def test_only_the_deployed_apps_are_checked(
    root: Path, cloud_run: FakeCloudRun, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(root, WEBHOOK_SANDBOX, "namespace: data-platform-sandbox", "namespace: data-platform-prod")
    assert deploy(root, cloud_run, "inventory-api") == 0
    capsys.readouterr()
    assert deploy(root, cloud_run, "--all") == 1
    err = capsys.readouterr().err
    assert (
        f"{WEBHOOK_SANDBOX}:4:12: error: overlay 'sandbox' of stock-webhook deploys to namespace "
        f"'data-platform-prod', but {SANDBOX_STACK} sets gcp:project 'data-platform-sandbox' "
        "[crossstack/namespace-project]"
    ) in err.splitlines()
    assert len(cloud_run.writes()) == 1  # inventory-api, from the first deploy


def test_a_stack_file_that_does_not_validate_stops_the_deploy(
    root: Path, cloud_run: FakeCloudRun, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(root, SANDBOX_STACK, "  input:bucket: ", "  input:buckett: ")
    assert deploy(root, cloud_run, "inventory-api") == 1
    err = capsys.readouterr().err
    assert f"{SANDBOX_STACK}:7:3: error: " in err
    assert "[config/stack-valid]" in err
    assert stopped(err, "1 error(s) in the links to the foundation stack")
    assert cloud_run.writes() == []


def test_the_foundation_program_runs_only_when_a_rule_needs_its_plan(
    root: Path,
    cloud_run: FakeCloudRun,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    planned: list[str] = []
    plan_stacks = check_module.plan_stacks

    def counting(ws: Any, stacks: Any) -> Any:
        planned.extend(stack.stack for stack in stacks)
        return plan_stacks(ws, stacks)

    monkeypatch.setattr(check_module, "plan_stacks", counting)
    # the stack file grants the job's account the secret reader role on the secret: no plan needed
    assert deploy(root, cloud_run, "--all") == 0
    assert planned == []
    capsys.readouterr()
    # without the grant in the stack file, the program is planned to look for one it adds
    edit(
        root,
        SANDBOX_STACK,
        "        - role: roles/secretmanager.secretAccessor # reads DMD_API_TOKEN\n"
        "          resource: {secret: DMD_API_TOKEN}\n",
        "",
    )
    writes = len(cloud_run.writes())
    assert deploy(root, cloud_run, "dmd-inv-mov-api2bq") == 1
    assert planned == ["sandbox"]
    err = capsys.readouterr().err
    assert (
        "error: dmd-ingest@data-platform-sandbox.iam.gserviceaccount.com cannot read "
        "DMD_API_TOKEN: input:projects.dmd-ingest grants it roles/secretmanager.secretAccessor "
        "neither on the secret nor on the project [crossstack/secret-readable]"
    ) in err
    assert len(cloud_run.writes()) == writes


def test_an_overlay_without_namespace_is_refused_at_the_overlay_with_the_stack_project(
    root: Path, cloud_run: FakeCloudRun, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(root, SANDBOX, "namespace: data-platform-sandbox\n", "")
    assert deploy(root, cloud_run, "inventory-api") == 2
    err = capsys.readouterr().err
    assert (
        f"error: {root / SANDBOX}:1:1: app inventory-api: Service 'inventory-api' has no "
        "metadata.namespace; Cloud Run would take the project from gcloud's --project, but "
        "polyinfra deploy needs the project in the manifest"
    ) in err.splitlines()
    assert (
        "  hint: add `namespace: data-platform-sandbox` (gcp:project of Pulumi.sandbox.yaml) "
        f"to {SANDBOX}"
    ) in err.splitlines()
    assert cloud_run.writes() == []
