"""Config namespaces other than polyinfra's (the Pulumi project's own, other providers') are the
program's: never validated, passed to it untouched under ``plan``, secrets never shown."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from polyinfra.checks.check import check_workspace
from polyinfra.cli.main import main
from polyinfra.errors import UserError
from polyinfra.foundation import plan_stack
from polyinfra.foundation.config import load_stack_config
from polyinfra.foundation.plan import runtime_config_values
from tests.conftest import write_tree

STACK = """\
config:
  gcp:project: acme-sandbox
  gcp:region: europe-west1
  input:environment: sandbox
  label:team: data
  acme-infra:db_tier: small
  acme-infra:replicas: 3
  acme-infra:db_password:
    secure: v1:AAAAcipherTEXTnotforprinting
  acme-infra:settings:
    flags: [a, b]
    token:
      secure: v1:BBBBnestedCIPHERtext
  google-native:project: p
  random:seed: 42
  acme-infra:config:legacy: older-key-form
  input:projects:
    api:
      service_account:
        account_id: api-runner
"""

MAIN = """\
import pulumi
import pulumi_gcp as gcp

from polyinfra.foundation import run

resources = run()
own = pulumi.Config()  # the project's namespace: acme-infra
native = pulumi.Config("google-native")
gcp.storage.Bucket(
    "db",
    name=f"acme-{own.require('db_tier')}-{native.require('project')}",
    location=pulumi.Config("gcp").require("region"),
    uniform_bucket_level_access=True,
    public_access_prevention="enforced",
    labels={
        "team": "data",
        "replicas": str(own.require_int("replicas")),
        "legacy": own.require("legacy"),
        "seed": pulumi.Config("random").require("seed"),
        "unset": own.get("not_in_the_stack_file") or "none",
    },
)
pulumi.export("db_password", own.require_secret("db_password"))
pulumi.export("settings", own.require_secret_object("settings"))
pulumi.export(
    "secret_keys",
    sorted(
        key
        for key in ("acme-infra:db_password", "acme-infra:settings", "acme-infra:db_tier")
        if pulumi.runtime.is_config_secret(key)
    ),
)
"""


def acme(tmp_path: Path, stack: str = STACK, main: str = MAIN) -> Path:
    """A workspace whose Pulumi project is ``acme-infra`` and whose program reads its own
    namespace and google-native's next to polyinfra's."""
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
            "infrastructure/pulumi/Pulumi.sandbox.yaml": stack,
            "infrastructure/pulumi/__main__.py": main,
        },
    )


def test_plan_shows_every_namespace_to_the_program(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = acme(tmp_path)
    # A value the shell holds is not the stack file's: the plan does not see it.
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({"acme-infra:not_in_the_stack_file": "env"}))
    plan = plan_stack(root / "infrastructure" / "pulumi", "sandbox")
    bucket = plan.find("gcp:storage/bucket:Bucket", "db")
    assert dict(bucket.inputs) == {
        "name": "acme-small-p",
        "location": "europe-west1",
        "uniformBucketLevelAccess": True,
        "publicAccessPrevention": "enforced",
        "labels": {
            "team": "data",
            "replicas": "3",
            "legacy": "older-key-form",
            "seed": "42",
            "unset": "none",
        },
    }
    assert plan.outputs["db_password"] == "[secret]"
    assert plan.outputs["settings"] == {"flags": ["a", "b"], "token": "[secret]"}
    assert plan.outputs["secret_keys"] == ["acme-infra:db_password", "acme-infra:settings"]
    assert [(r.type, r.name) for r in plan.resources] == [
        ("gcp:serviceaccount/account:Account", "serviceaccount_api_runner"),
        ("gcp:storage/bucket:Bucket", "db"),
    ]
    assert plan.warnings == ()
    assert json.loads(os.environ["PULUMI_CONFIG"]) == {"acme-infra:not_in_the_stack_file": "env"}


def test_runtime_config_is_what_the_engine_hands_over(tmp_path: Path) -> None:
    root = acme(tmp_path)
    config = load_stack_config(root / "infrastructure" / "pulumi" / "Pulumi.sandbox.yaml")
    values, secret_keys = runtime_config_values(config)
    assert values == {
        "gcp:project": "acme-sandbox",
        "gcp:region": "europe-west1",
        "input:environment": "sandbox",
        "label:team": "data",
        "acme-infra:db_tier": "small",
        "acme-infra:replicas": "3",
        "acme-infra:db_password": "[secret]",
        "acme-infra:settings": '{"flags": ["a", "b"], "token": "[secret]"}',
        "google-native:project": "p",
        "random:seed": "42",
        "acme-infra:legacy": "older-key-form",
        "input:projects": '{"api": {"service_account": {"account_id": "api-runner"}}}',
    }
    assert secret_keys == ["acme-infra:db_password", "acme-infra:settings"]


def test_plan_cli_never_prints_ciphertext(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = acme(tmp_path)
    assert main(["plan", "-w", str(root), "--stack", "sandbox"]) == 0
    text = capsys.readouterr().out
    assert "db_password: [secret]" in text
    assert "settings.token: [secret]" in text
    assert main(["plan", "-w", str(root), "--stack", "sandbox", "--json"]) == 0
    text += capsys.readouterr().out
    assert "cipher" not in text.lower()


def test_check_accepts_other_namespaces_and_warns_of_a_typo(tmp_path: Path) -> None:
    stack = STACK.replace("  input:environment: sandbox\n", "  inptu:environment: sandbox\n")
    root = acme(tmp_path, stack)
    result = check_workspace(root)
    assert [
        (f"{p.position.relative_to(root)}", p.level.label, p.message, p.rule)
        for p in result.problems
    ] == [
        (
            "infrastructure/pulumi/Pulumi.sandbox.yaml:4:3",
            "warning",
            "config key 'inptu:environment' goes to the program untouched: polyinfra reads "
            "only gcp:, input: and label: keys",
            "config/namespace-typo",
        )
    ]
    assert result.problems[0].hint == "did you mean 'input:environment'?"


def test_a_missing_module_says_where_to_install_it(tmp_path: Path) -> None:
    root = acme(tmp_path, main="import pulumi_google_native_missing\n")
    with pytest.raises(UserError) as caught:
        plan_stack(root / "infrastructure" / "pulumi", "sandbox")
    assert caught.value.render() == (
        f"{root / 'infrastructure' / 'pulumi' / '__main__.py'}:1: the Pulumi program failed: "
        "ModuleNotFoundError: No module named 'pulumi_google_native_missing'\n"
        "  hint: the plan runs the program in polyinfra's own Python environment: install the "
        "program's dependencies there (its requirements.txt or pyproject.toml)"
    )
