"""Cross-stack references: ``${<program>.<output path>}`` in stack files, resolved offline from
the referenced program's plan of the same stack."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from polyinfra.errors import UserError, UserErrors
from polyinfra.foundation.config import load_stack_config
from polyinfra.foundation.plan import ReferencedPlans, plan_stack, runtime_config_values
from polyinfra.foundation.references import find_references, resolve
from polyinfra.yamlio import load_text
from tests.conftest import EXAMPLE, edit
from tests.foundation.three_stack import (
    PLATFORM,
    REGISTRY_URL,
    SERVICES,
    three_stack_workspace,
)

OUTPUTS = {
    "platform": {
        "gcp_project": "acme-sandbox",
        "port": 8080,
        "public": True,
        "projects": {"stock-webhook": {"registry_url": "r/u", "secret_ids": ["A", "B"]}},
    }
}


def errors_of(exc: UserError) -> list[UserError]:
    return exc.errors if isinstance(exc, UserErrors) else [exc]


def line_col(path: Path, needle: str) -> tuple[int, int]:
    """Line and column (1-based) of the value that contains ``needle``."""
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if needle in line:
            return number, line.index(": ") + 3
    raise AssertionError(needle)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return three_stack_workspace(tmp_path / "ws")


# --- resolve: the substitution itself -----------------------------------------------------


def resolved(text: str) -> dict[str, object]:
    doc = load_text(text, Path("Pulumi.sandbox.yaml"))
    return resolve(doc.data["config"], doc, OUTPUTS)


def test_whole_value_keeps_the_output_type() -> None:
    config = resolved(
        "config:\n"
        "  input:project: ${platform.gcp_project}\n"
        "  input:port: ${platform.port}\n"
        "  input:public: ${platform.public}\n"
        "  input:ids: ${platform.projects.stock-webhook.secret_ids}\n"
        "  input:first: ${platform.projects.stock-webhook.secret_ids.1}\n"
    )
    assert config == {
        "input:project": "acme-sandbox",
        "input:port": 8080,
        "input:public": True,
        "input:ids": ["A", "B"],
        "input:first": "B",
    }


def test_interpolation_inside_a_string() -> None:
    config = resolved(
        "config:\n"
        "  input:x:\n"
        "    - image: ${platform.projects.stock-webhook.registry_url}/app:${platform.port}\n"
        "    - url: https://${ platform.gcp_project }.example/?public=${platform.public}\n"
    )
    assert config == {
        "input:x": [
            {"image": "r/u/app:8080"},
            {"url": "https://acme-sandbox.example/?public=true"},
        ]
    }


def test_escape_is_a_literal_dollar_brace() -> None:
    config = resolved(
        "config:\n"
        "  input:a: $${platform.gcp_project}\n"
        "  input:b: cost $5 in ${platform.gcp_project} and $${HOME}\n"
        "  input:c: no reference here\n"
    )
    assert config == {
        "input:a": "${platform.gcp_project}",
        "input:b": "cost $5 in acme-sandbox and ${HOME}",
        "input:c": "no reference here",
    }


def test_find_references_gives_each_position() -> None:
    text = "config:\n  input:p: ${platform.gcp_project}\n  input:d: a ${platform.port} b\n"
    doc = load_text(text, Path("Pulumi.sandbox.yaml"))
    refs, errors = find_references(doc.data["config"], doc, doc.path)
    assert errors == []
    assert [(r.program, r.path, r.whole, r.position.line, r.position.col) for r in refs] == [
        ("platform", ("gcp_project",), True, 2, 12),
        ("platform", ("port",), False, 3, 12),
    ]


def test_every_error_at_once_each_with_a_hint() -> None:
    text = (
        "config:\n"
        "  input:p: ${platfrom.gcp_project}\n"
        "  input:a: ${platform.gcp_projet}\n"
        "  input:b: x-${platform.projects}\n"
        "  input:c: ${platform}\n"
        "  input:d: ${platform.gcp_project\n"
        "  input:e: ${platform.projects.stock-webhok.registry_url}\n"
    )
    doc = load_text(text, Path("Pulumi.sandbox.yaml"))
    with pytest.raises(UserErrors) as caught:
        resolve(doc.data["config"], doc, OUTPUTS)
    rendered = [error.render() for error in caught.value.errors]
    assert rendered == [
        "Pulumi.sandbox.yaml:2:12: reference '${platfrom.gcp_project}': unknown program "
        "'platfrom'\n  hint: did you mean 'platform'? programs are the folders next to this "
        "one holding a Pulumi.yaml: platform",
        "Pulumi.sandbox.yaml:3:12: reference '${platform.gcp_projet}': platform has no output "
        "'gcp_projet'\n  hint: did you mean 'gcp_project'? outputs of platform: gcp_project, "
        "port, projects, public",
        "Pulumi.sandbox.yaml:4:12: reference '${platform.projects}' is inside a longer string, "
        "but the output is a mapping\n  hint: only a string, number or boolean can be part of "
        "a string; make the reference the whole value to take the output as it is",
        "Pulumi.sandbox.yaml:5:12: reference '${platform}' names no output\n  hint: write "
        "${<program>.<output>[.<key>...]} (e.g. ${platform.gcp_project}), or $${ for a "
        "literal '${'",
        "Pulumi.sandbox.yaml:6:12: unterminated reference '${platform.gcp_project': no "
        "closing '}'\n  hint: write ${<program>.<output>[.<key>...]}, or $${ for a literal '${'",
        "Pulumi.sandbox.yaml:7:12: reference '${platform.projects.stock-webhok.registry_url}': "
        "platform.projects has no output 'stock-webhok'\n  hint: did you mean 'stock-webhook'? "
        "keys of platform.projects: stock-webhook",
    ]


# --- offline: plan and load ---------------------------------------------------------------


def test_plan_resolves_references_from_the_platform_plan(workspace: Path) -> None:
    plan = plan_stack(workspace / SERVICES, "sandbox")
    assert plan.project == "data-platform-sandbox"
    assert plan.outputs["gcp_project"] == "data-platform-sandbox"
    account = plan.find("gcp:serviceaccount/account:Account", "serviceaccount_stock_webhook")
    assert account.inputs["description"] == (
        f"Runtime identity of the stock-webhook function (images in {REGISTRY_URL})"
    )
    member = plan.find(
        "gcp:projects/iAMMember:IAMMember", "iammember_stock_webhook_roles_logging_logWriter"
    )
    assert member.inputs["project"] == "data-platform-sandbox"


def test_the_program_sees_resolved_values_in_its_runtime_config(workspace: Path) -> None:
    program = workspace / SERVICES
    config = load_stack_config(
        program / "Pulumi.sandbox.yaml",
        outputs_of=ReferencedPlans().outputs_of(program, "sandbox"),
    )
    values, _ = runtime_config_values(config)
    assert values["input:environment"] == "sandbox"
    assert REGISTRY_URL in values["input:projects"]
    assert "${" not in "".join(values.values())


def test_each_referenced_plan_is_made_once_per_command(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from polyinfra.foundation.plan import run

    planned: list[str] = []
    original = run.plan_stack

    def counting(program_dir: Path, stack: str, **kwargs: object) -> object:
        planned.append(program_dir.name)
        return original(program_dir, stack, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(run, "plan_stack", counting)
    plans = ReferencedPlans()
    for _ in range(2):
        run.plan_stack(workspace / SERVICES, "sandbox", plans=plans)
    assert planned == ["services", "platform", "services"]


def test_missing_output_at_its_line_with_did_you_mean(workspace: Path) -> None:
    stack = workspace / SERVICES / "Pulumi.sandbox.yaml"
    edit(
        workspace,
        f"{SERVICES}/Pulumi.sandbox.yaml",
        "stock-webhook.registry_url",
        "stock-webhook.registry",
    )
    line, col = line_col(stack, "stock-webhook.registry}")
    with pytest.raises(UserError) as caught:
        plan_stack(workspace / SERVICES, "sandbox")
    (error,) = errors_of(caught.value)
    assert error.position is not None
    assert (error.position.file, error.position.line, error.position.col) == (stack, line, col)
    assert error.message == (
        "reference '${platform.projects.stock-webhook.registry}': "
        "platform.projects.stock-webhook has no output 'registry'"
    )
    assert error.hint == (
        "did you mean 'registry_url'? keys of platform.projects.stock-webhook: registry_url"
    )


def test_cycle_names_the_loop(workspace: Path) -> None:
    edit(
        workspace,
        f"{PLATFORM}/Pulumi.sandbox.yaml",
        "input:environment: sandbox",
        "input:environment: ${services.environment}",
    )
    with pytest.raises(UserErrors) as caught:
        plan_stack(workspace / PLATFORM, "sandbox")
    messages = [error.render() for error in caught.value.errors]
    assert any(
        "a cycle of references between programs: platform -> services -> platform" in message
        for message in messages
    ), messages
    platform_file = workspace / PLATFORM / "Pulumi.sandbox.yaml"
    first = caught.value.errors[0]
    assert first.position is not None
    assert first.position.file == platform_file
    assert "reference '${services.environment}'" in first.message


def test_referenced_stack_file_missing(workspace: Path) -> None:
    (workspace / PLATFORM / "Pulumi.sandbox.yaml").unlink()
    stack = workspace / SERVICES / "Pulumi.sandbox.yaml"
    with pytest.raises(UserError) as caught:
        plan_stack(workspace / SERVICES, "sandbox")
    (error,) = errors_of(caught.value)  # once per program, at its first reference
    assert error.position == stack_position(stack, "${platform.environment}")
    missing = workspace / PLATFORM / "Pulumi.sandbox.yaml"
    assert error.message == (
        "reference '${platform.environment}': the services stack references platform, but "
        f"platform has no Pulumi.sandbox.yaml ({missing.resolve()})"
    )
    assert error.hint == (
        "create Pulumi.sandbox.yaml in platform/ (references read the stack of the same "
        "name), or remove the reference"
    )


def stack_position(stack: Path, needle: str) -> object:
    from polyinfra.positions import Position

    line, col = line_col(stack, needle)
    return Position(stack, line, col)


def test_unknown_program_suggests_a_sibling(workspace: Path) -> None:
    edit(
        workspace,
        f"{SERVICES}/Pulumi.sandbox.yaml",
        "${platform.environment}",
        "${platfrom.environment}",
    )
    with pytest.raises(UserError) as caught:
        plan_stack(workspace / SERVICES, "sandbox")
    error = errors_of(caught.value)[0]
    assert error.message == "reference '${platfrom.environment}': unknown program 'platfrom'"
    assert error.hint == (
        "did you mean 'platform'? programs are the folders next to this one holding a "
        "Pulumi.yaml: platform, services"
    )


def test_a_failing_referenced_stack_reports_its_own_errors(workspace: Path) -> None:
    edit(workspace, f"{PLATFORM}/Pulumi.sandbox.yaml", "format: DOCKER", "format: DOCKR")
    with pytest.raises(UserErrors) as caught:
        plan_stack(workspace / SERVICES, "sandbox")
    header, *inner = caught.value.errors
    assert header.message == (
        "reference '${platform.environment}': the platform program's stack cannot be planned "
        "(its errors follow)"
    )
    assert inner
    assert all(e.position is not None and e.position.file.parent.name == "platform" for e in inner)
    assert any("DOCKR" in e.render() for e in inner)


def test_a_reference_in_a_provider_setting_is_an_error() -> None:
    text = (
        "config:\n"
        "  gcp:project: ${platform.gcp_project}\n"
        "  gcp:region: europe-${platform.port}\n"
        "  acme:motd: ${platform.gcp_project}\n"
    )
    doc = load_text(text, Path("Pulumi.sandbox.yaml"))
    with pytest.raises(UserErrors) as caught:
        resolve(doc.data["config"], doc, OUTPUTS, project="acme")
    assert [(e.position.line, e.position.col, e.message) for e in caught.value.errors] == [  # type: ignore[union-attr]
        (
            2,
            16,
            "reference '${platform.gcp_project}' in gcp:project: the gcp provider reads its "
            "settings from the stack config before the program runs, so a reference there is "
            "never resolved",
        ),
        (
            3,
            15,
            "reference '${platform.port}' in gcp:region: the gcp provider reads its settings "
            "from the stack config before the program runs, so a reference there is never "
            "resolved",
        ),
    ]
    assert caught.value.errors[0].hint == (
        "write the value itself (the same one in each program that needs it); references work "
        "in input:, label: and the program's own keys"
    )
    # the program's own keys are resolved
    del doc.data["config"]["gcp:project"], doc.data["config"]["gcp:region"]
    assert resolve(doc.data["config"], doc, OUTPUTS, project="acme") == {
        "acme:motd": "acme-sandbox"
    }


def test_a_secret_value_is_never_parsed() -> None:
    text = "config:\n  input:token: pa${ss\n  input:other: ${platform.port}\n"
    doc = load_text(text, Path("Pulumi.sandbox.yaml"))
    assert resolve(doc.data["config"], doc, OUTPUTS, secret_keys={"input:token"}) == {
        "input:token": "pa${ss",
        "input:other": 8080,
    }
    with pytest.raises(UserError) as caught:
        resolve(doc.data["config"], doc, OUTPUTS)
    assert "'${ss'" in caught.value.message  # a piece of the secret: what secret_keys prevents


def test_a_stack_file_without_references_is_untouched(tmp_path: Path) -> None:
    program = EXAMPLE / "infrastructure" / "pulumi"
    for stack in ("sandbox", "production"):
        path = program / f"Pulumi.{stack}.yaml"
        plain = load_stack_config(path)
        linked = load_stack_config(path, outputs_of=ReferencedPlans().outputs_of(program, stack))
        assert linked == plain
        assert linked.document is not None
        assert plain.document is not None
        assert linked.document.data == plain.document.data


def test_no_planning_without_references(monkeypatch: pytest.MonkeyPatch) -> None:
    from polyinfra.foundation.plan import run

    plans = ReferencedPlans()
    monkeypatch.setattr(run, "sibling_programs", lambda _: pytest.fail("looked for programs"))
    plan_stack(EXAMPLE / "infrastructure" / "pulumi", "sandbox", plans=plans)
    assert plans.plans == {}


def test_plan_command_plans_the_program_holding_the_workspace_path(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from polyinfra.cli.main import main

    code = main(["plan", "-w", str(workspace / SERVICES), "--stack", "sandbox", "--json"])
    assert code == 0, capsys.readouterr().err
    (stack,) = json.loads(capsys.readouterr().out)["stacks"]
    assert stack["project"] == "data-platform-sandbox"
    assert stack["outputs"]["gcp_project"] == "data-platform-sandbox"


def test_diff_resolves_both_sides_from_the_working_tree(workspace: Path) -> None:
    import subprocess

    from polyinfra.foundation.plan import plan_diff

    def git(*args: str) -> None:
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
            cwd=workspace,
            check=True,
            capture_output=True,
        )

    git("init", "-q", "-b", "main")
    git("add", ".")
    git("commit", "-q", "-m", "three stacks")
    edit(workspace, f"{SERVICES}/Pulumi.sandbox.yaml", "(images in ", "(its images are in ")
    diff = plan_diff(workspace / SERVICES, "sandbox", "HEAD")
    assert diff.added == ()
    assert diff.removed == ()
    (changed,) = diff.changed
    assert changed.name == "serviceaccount_stock_webhook"
    (change,) = changed.changes
    assert change.new == (
        f"Runtime identity of the stock-webhook function (its images are in {REGISTRY_URL})"
    )


# --- next to references between resources of one stack file ---------------------------------


def test_cross_stack_references_leave_resource_references_to_the_program() -> None:
    text = (
        "config:\n"
        "  input:environment: ${platform.gcp_project}\n"
        "  input:resources:\n"
        "    db:\n"
        "      type: gcp.sql.Database\n"
        "      args:\n"
        "        name: ${platform.gcp_project}-${resources.db.name}\n"
        "        instance: $${resources.not.a_reference} and $${HOME}\n"
        "  acme:motd: $${resources.x.y}\n"
    )
    doc = load_text(text, Path("Pulumi.sandbox.yaml"))
    config = resolve(doc.data["config"], doc, {"platform": {"gcp_project": "acme"}}, project="acme")
    assert config["input:environment"] == "acme"
    assert config["input:resources"]["db"]["args"] == {
        "name": "acme-${resources.db.name}",
        # the escape of a resource reference stays for the program, which reads it as text
        "instance": "$${resources.not.a_reference} and ${HOME}",
    }
    assert config["acme:motd"] == "${resources.x.y}"
