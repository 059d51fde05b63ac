"""Splitting one stack file into the platform's and the services' (`migrate three-stack`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from polyinfra.errors import PolyinfraError, UserError
from polyinfra.scaffold.split import split_stack
from polyinfra.yamlio import load_text
from tests.conftest import EXAMPLE

STACK = """\
# header comment
config:
  gcp:project: &project acme-sandbox # the sandbox project
  gcp:region: asia-southeast1
  input:environment: sandbox
  input:protect: false
  label:team: data

  # Shared values
  input:location: &location ASIA-SOUTHEAST1
  input:unused: &unused 1

  # who deploys
  input:workload_identity:
    pool_id: github
    provider_id: acme
    repository: acme/data-platform
    deployer:
      account_id: github-deployer
      roles: [roles/run.admin]

  input:notification_channels:
    - name: oncall # the on-call rota
      type: email
      labels: {email_address: oncall@acme.example}

  input:projects:
    # the API
    api:
      service_account:
        account_id: api
        display_name: *project
      # its images
      artifact_registry:
        repository_id: api
        format: DOCKER
        location: asia-southeast1
      apis: [run.googleapis.com]
      cloud_storage:
        name: acme-sandbox-api
        location: *location
    registry-only:
      artifact_registry: {repository_id: only, format: DOCKER, location: *location}

  input:monitoring:
    notification_channel_id: oncall
    alert_policies: []
  acme:db_tier: small # read by the program
  pulumi:tags: {team: data}
encryptionsalt: v1:abc
"""


def split(text: str, name: str = "Pulumi.sandbox.yaml") -> tuple[str, str]:
    result = split_stack(text, Path(name), old_name="acme", services_name="acme-services")
    return result.platform, result.services


def config(text: str) -> dict[str, object]:
    data = load_text(text, Path("x.yaml")).data
    assert isinstance(data, dict)
    return data["config"]


def test_what_goes_where() -> None:
    platform, services = split(STACK)

    assert list(config(platform)) == [
        "gcp:project",
        "gcp:region",
        "input:environment",
        "input:protect",
        "label:team",
        "input:location",
        "input:workload_identity",
        "input:notification_channels",
        "input:projects",
    ]
    assert config(platform)["input:projects"] == {
        "api": {
            "artifact_registry": {
                "repository_id": "api",
                "format": "DOCKER",
                "location": "asia-southeast1",
            },
            "apis": ["run.googleapis.com"],
        },
        "registry-only": {
            "artifact_registry": {
                "repository_id": "only",
                "format": "DOCKER",
                "location": "ASIA-SOUTHEAST1",
            }
        },
    }
    assert list(config(services)) == [
        "gcp:project",
        "gcp:region",
        "input:environment",
        "input:protect",
        "label:team",
        "input:location",
        "input:unused",
        "input:projects",
        "input:monitoring",
        "acme-services:db_tier",
        "pulumi:tags",
    ]
    assert config(services)["gcp:project"] == config(platform)["gcp:project"]
    assert list(config(services)["input:projects"]) == ["api"]  # type: ignore[call-overload]
    assert config(services)["input:monitoring"] == {
        "notification_channel_id": "${platform.notification_channels.oncall}",
        "alert_policies": [],
    }
    for text in (platform, services):
        assert text.startswith("# header comment\nconfig:\n")
        assert text.endswith("encryptionsalt: v1:abc\n")


def test_comments_and_anchors_are_kept_as_written() -> None:
    platform, services = split(STACK)

    assert "  gcp:project: &project acme-sandbox # the sandbox project\n" in platform
    assert "  gcp:project: &project acme-sandbox # the sandbox project\n" in services
    # a comment above a key moves with the key
    assert "\n  # who deploys\n  input:workload_identity:\n" in platform
    assert "# who deploys" not in services
    assert "    - name: oncall # the on-call rota\n" in platform
    assert "      # its images\n      artifact_registry:\n" in platform
    assert "its images" not in services
    assert "    # the API\n    api:\n      service_account:\n" in services
    assert "  acme-services:db_tier: small # read by the program\n" in services
    # a shared anchor goes to every file that uses it, with its comment
    for text in (platform, services):
        assert "  # Shared values\n  input:location: &location ASIA-SOUTHEAST1\n" in text
        assert "location: *location" in text
    # used by neither: with the rest, in services
    assert "input:unused: &unused 1" in services
    assert "input:unused" not in platform


def test_the_example_stack_file() -> None:
    path = EXAMPLE / "infrastructure" / "pulumi" / "Pulumi.sandbox.yaml"
    result = split_stack(
        path.read_text(), path, old_name="data-platform", services_name="data-platform-services"
    )
    platform, services = result.platform, result.services

    anchor = "input:artifact_registry_cleanup_policies: &artifact_registry_cleanup_policies\n"
    assert anchor in platform
    assert anchor not in services
    assert platform.count("cleanup_policies: *artifact_registry_cleanup_policies\n") == 3
    assert "        older_than: 2592000s # 30 days\n" in platform
    descriptor = "input:log_metric_distribution_descriptor: &log_metric_distribution_descriptor\n"
    assert descriptor in services
    assert descriptor not in platform
    assert "metric_descriptor: *log_metric_distribution_descriptor\n" in services
    assert "  # One entry per Polylith project (kebab-case project name)\n" in platform
    assert "  # One entry per Polylith project (kebab-case project name)\n" in services
    assert "  # Workspace-wide monitoring\n  input:monitoring:\n" in services
    assert "- role: roles/run.invoker # Cloud Scheduler runs the job as this account\n" in services
    assert "      iam: # roles on one resource each, not on the whole project\n" in services
    assert "artifact_registry" not in services
    assert "service_account" not in platform
    # the services file is the original without the platform's lines
    kept = iter(path.read_text().splitlines())
    assert all(line in kept for line in services.splitlines())  # a subsequence, in order


def test_crlf_line_breaks_are_kept() -> None:
    platform, services = split(STACK.replace("\n", "\r\n"))
    assert "\n" not in platform.replace("\r\n", "")
    assert "\n" not in services.replace("\r\n", "")
    assert config(platform)["input:environment"] == "sandbox"


def test_a_shared_value_is_copied_with_the_shared_values_it_uses() -> None:
    text = (
        "config:\n"
        "  gcp:project: acme\n"
        "  input:region: &region asia-southeast1\n"
        "  input:registry: &registry {format: DOCKER, location: *region}\n"
        "  input:projects:\n"
        "    api:\n"
        "      artifact_registry: *registry\n"
        "      service_account: {account_id: api}\n"
    )
    platform, services = split(text)
    assert "input:region: &region" in platform
    assert "input:registry: &registry" in platform
    assert "input:region" not in services
    assert "input:registry" not in services


def test_an_empty_projects_mapping_stays_with_services() -> None:
    platform, services = split("config:\n  gcp:project: acme\n  input:projects: {}\n")
    assert "input:projects" not in platform
    assert config(services) == {"gcp:project": "acme", "input:projects": {}}


def test_a_channel_id_that_names_no_moved_channel_is_kept() -> None:
    _, services = split(
        "config:\n  gcp:project: acme\n  input:monitoring:\n    notification_channel_id: '123'\n"
    )
    assert "    notification_channel_id: '123'\n" in services


@pytest.mark.parametrize(
    ("text", "line", "col", "message"),
    [
        (
            "config:\n  gcp:project: acme\n  input:projects: {api: {artifact_registry: {}}}\n",
            3,
            19,
            "input:projects is written in flow style",
        ),
        (
            "config:\n  gcp:project: acme\n  input:projects:\n    api: {apis: []}\n",
            4,
            10,
            "input:projects.api is written in flow style",
        ),
        (
            "config:\n  gcp:project: acme\n  input:projects:\n    api:\n"
            "      service_account:\n        account_id: &id api\n"
            "      artifact_registry:\n        repository_id: *id\n",
            8,
            24,
            "alias *id goes to the platform stack file, but its anchor &id (line 6) goes to "
            "the services stack file only",
        ),
        (
            "config:\n  gcp:project: acme\n  input:d: &d {apis: []}\n  input:projects:\n"
            "    api:\n      <<: *d\n",
            6,
            7,
            "input:projects.api has a key that is not a plain string",
        ),
        (
            "config:\n  input:p: &p {api: {apis: []}}\n  input:projects: *p\n",
            3,
            19,
            "input:projects is an alias (*p)",
        ),
    ],
)
def test_what_cannot_be_split_is_an_error_at_its_line(
    text: str, line: int, col: int, message: str
) -> None:
    with pytest.raises(UserError) as caught:
        split(text)
    error = caught.value
    assert error.position is not None
    assert (error.position.file.name, error.position.line, error.position.col) == (
        "Pulumi.sandbox.yaml",
        line,
        col,
    )
    assert message in error.message
    assert error.hint


def test_invalid_yaml_is_an_error_at_its_line() -> None:
    with pytest.raises(UserError) as caught:
        split("config:\n  gcp:project: [acme\n")
    assert caught.value.position is not None
    assert caught.value.position.line >= 2


def test_a_split_that_would_change_the_data_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from polyinfra.scaffold import split as module

    monkeypatch.setattr(module, "PLATFORM_SECTIONS", frozenset({"artifact_registry"}))
    monkeypatch.setattr(module, "_sections", lambda entry, side: entry)  # keeps every section
    with pytest.raises(PolyinfraError, match="does not hold what it should"):
        split(STACK)
