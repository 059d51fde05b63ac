"""The order of a workspace's Pulumi programs: each after those its stack files reference."""

from __future__ import annotations

from pathlib import Path

from polyinfra.workspace.model import PulumiProgram
from polyinfra.workspace.programs import order_programs, referenced_programs


def _program(root: Path, folder: str, sandbox: str) -> PulumiProgram:
    path = root / folder
    path.mkdir(parents=True)
    (path / "Pulumi.yaml").write_text(f"name: x-{folder}\nruntime: python\n")
    stack = path / "Pulumi.sandbox.yaml"
    stack.write_text(sandbox)
    return PulumiProgram(path, path / "Pulumi.yaml", f"x-{folder}", "python", {"sandbox": stack})


def _names(programs: tuple[PulumiProgram, ...]) -> list[str]:
    return [p.path.name for p in programs]


def test_a_program_comes_after_the_programs_it_references(tmp_path: Path) -> None:
    apps = _program(tmp_path, "apps", "config:\n  gcp:project: ${ shared.gcp_project }\n")
    shared = _program(tmp_path, "shared", "config:\n  gcp:project: p\n")
    assert referenced_programs(apps) == {"shared"}
    assert _names(order_programs([apps, shared])) == ["shared", "apps"]


def test_platform_comes_first_when_nothing_is_referenced(tmp_path: Path) -> None:
    services = _program(tmp_path, "services", "config:\n  gcp:project: p\n")
    platform = _program(tmp_path, "platform", "config:\n  gcp:project: p\n")
    analytics = _program(tmp_path, "analytics", "config:\n  gcp:project: p\n")
    order = order_programs([services, analytics, platform])
    assert _names(order) == ["platform", "analytics", "services"]


def test_a_literal_dollar_brace_and_a_self_reference_are_not_dependencies(tmp_path: Path) -> None:
    platform = _program(
        tmp_path, "platform", "config:\n  a: $${services.x}\n  b: ${platform.gcp_project}\n"
    )
    services = _program(
        tmp_path, "services", "config:\n  input:environment: ${platform.environment}\n"
    )
    assert referenced_programs(platform) == set()
    assert _names(order_programs([services, platform])) == ["platform", "services"]


def test_a_cycle_keeps_the_fallback_order(tmp_path: Path) -> None:
    platform = _program(tmp_path, "platform", "config:\n  a: ${services.x}\n")
    services = _program(tmp_path, "services", "config:\n  b: ${platform.y}\n")
    assert _names(order_programs([services, platform])) == ["platform", "services"]


def test_a_reference_in_a_comment_is_not_a_dependency(tmp_path: Path) -> None:
    core = _program(
        tmp_path, "core", "# apps reads ${apps.environment}?\nconfig:\n  gcp:project: p\n"
    )
    apps = _program(tmp_path, "apps", "config:\n  input:environment: ${core.environment}\n")
    assert referenced_programs(core) == set()
    assert _names(order_programs([apps, core])) == ["core", "apps"]
