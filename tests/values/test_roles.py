"""IAM roles in a stack file: a misspelt predefined role is an error with the role meant, a
custom role passes, a role Google lists as deprecated is a warning under ``plan`` and
``check``, each at the role's line."""

from __future__ import annotations

from pathlib import Path

import pytest

from polyinfra.checks.check import check_workspace
from polyinfra.cli.main import main
from polyinfra.errors import UserError
from polyinfra.foundation.config import load_stack_config
from polyinfra.values import deprecated_role, predefined_roles
from polyinfra.values.roles import predefined_role
from tests.conftest import write_tree

STACK = """\
config:
  gcp:project: acme-sandbox
  gcp:region: europe-west1
  input:projects:
    api:
      service_account:
        account_id: api-runner
      service_account_iam:
        roles:
          - roles/run.invoker
          - {role}
"""
#: line and column of ``{role}`` in STACK
ROLE_AT = "11:13"
DEPRECATED_HINT = (
    'its title is "Service Broker Admin"; see https://cloud.google.com/iam/docs/roles-permissions '
    "for the role to grant instead"
)


def workspace(tmp_path: Path, role: str) -> Path:
    """A workspace whose sandbox stack grants ``role`` after ``roles/run.invoker``."""
    return write_tree(
        tmp_path / "acme",
        {
            "workspace.toml": '[tool.polylith]\nnamespace = "acme"\n\n'
            '[tool.polylith.structure]\ntheme = "loose"\n',
            "pyproject.toml": '[project]\nname = "acme"\nversion = "0.1.0"\n',
            "infrastructure/pyproject.toml": '[project]\nname = "acme-infrastructure"\n'
            'version = "0.1.0"\ndependencies = ["pulumi>=3", "pulumi-gcp>=8"]\n',
            "infrastructure/pulumi/Pulumi.yaml": "name: acme-infra\nruntime:\n  name: python\n"
            "  options:\n    virtualenv: venv\n",
            "infrastructure/pulumi/Pulumi.sandbox.yaml": STACK.format(role=role),
            "infrastructure/pulumi/__main__.py": "from polyinfra.foundation import run\n\nrun()\n",
        },
    )


def stack_of(root: Path) -> Path:
    return root / "infrastructure" / "pulumi" / "Pulumi.sandbox.yaml"


@pytest.mark.parametrize(
    ("role", "meant"),
    [
        ("roles/logging.logwriter", "roles/logging.logWriter"),
        ("roles/bigquery.dataEditer", "roles/bigquery.dataEditor"),
    ],
)
def test_a_misspelt_predefined_role_is_an_error_naming_the_role_meant(
    tmp_path: Path, role: str, meant: str
) -> None:
    stack = stack_of(workspace(tmp_path, role))
    with pytest.raises(UserError) as caught:
        load_stack_config(stack)
    assert caught.value.render() == (
        f"{stack}:{ROLE_AT}: input:projects.api.service_account_iam.roles[1]: "
        f"'{role}' is not a predefined IAM role\n"
        f"  hint: did you mean '{meant}'?"
    )


@pytest.mark.parametrize(
    "role", ["projects/acme-sandbox/roles/deployer", "organizations/123456/roles/custom.auditor"]
)
def test_a_custom_role_passes(tmp_path: Path, role: str) -> None:
    config = load_stack_config(stack_of(workspace(tmp_path, role)))
    assert config.input.projects["api"].service_account_iam is not None
    assert config.input.projects["api"].service_account_iam.roles == ["roles/run.invoker", role]
    assert config.warnings == ()


def test_the_shipped_list_knows_each_roles_stage_and_title() -> None:
    assert len(predefined_roles()) == 2390
    deprecated = sorted(r for r in predefined_roles() if predefined_role(r).stage == "DEPRECATED")
    assert deprecated == [
        "roles/datacatalog.searchAdmin",
        "roles/servicebroker.admin",
        "roles/servicebroker.operator",
    ]
    assert deprecated_role("roles/servicebroker.admin") == (
        "'roles/servicebroker.admin' is deprecated: Google lists its launch stage as DEPRECATED",
        DEPRECATED_HINT,
    )
    assert deprecated_role("roles/run.invoker") is None
    assert deprecated_role("projects/p/roles/servicebroker.admin") is None


def test_a_deprecated_role_is_a_warning_at_its_line_in_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = workspace(tmp_path, "roles/servicebroker.admin")
    assert main(["plan", "-w", str(root), "--stack", "sandbox"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1] == (
        f"  {stack_of(root)}:{ROLE_AT}: warning: input:projects.api.service_account_iam.roles[1]: "
        "'roles/servicebroker.admin' is deprecated: Google lists its launch stage as "
        f"DEPRECATED; {DEPRECATED_HINT}"
    )


def test_a_deprecated_role_is_a_warning_at_its_line_in_check(tmp_path: Path) -> None:
    root = workspace(tmp_path, "roles/servicebroker.admin")
    result = check_workspace(root, select=["config/deprecated-role"])
    assert [
        (str(p.position.relative_to(root)), p.level.label, p.rule, p.message, p.hint)
        for p in result.problems
    ] == [
        (
            f"infrastructure/pulumi/Pulumi.sandbox.yaml:{ROLE_AT}",
            "warning",
            "config/deprecated-role",
            "input:projects.api.service_account_iam.roles[1]: 'roles/servicebroker.admin' is "
            "deprecated: Google lists its launch stage as DEPRECATED",
            DEPRECATED_HINT,
        )
    ]


def test_a_deprecated_deployer_role_is_reported_too(tmp_path: Path) -> None:
    root = workspace(tmp_path, "roles/run.invoker")
    stack_of(root).write_text(
        "config:\n"
        "  gcp:project: acme-sandbox\n"
        "  input:workload_identity:\n"
        "    pool_id: github\n"
        "    provider_id: acme-platform\n"
        "    repository: acme/platform\n"
        "    deployer:\n"
        "      account_id: deployer\n"
        "      roles:\n"
        "        - roles/datacatalog.searchAdmin\n"
    )
    config = load_stack_config(stack_of(root))
    assert [str(w) for w in config.warnings] == [
        f"{stack_of(root)}:10:11: warning: input:workload_identity.deployer.roles[0]: "
        "'roles/datacatalog.searchAdmin' is deprecated: Google lists its launch stage as "
        'DEPRECATED; its title is "DataCatalog Search Admin"; see '
        "https://cloud.google.com/iam/docs/roles-permissions for the role to grant instead"
    ]
