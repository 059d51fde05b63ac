"""What a local run is made of, before anything starts: the signature type, the function's
file, the bricks' folders, the interpreter, the environment; and the errors on the way."""

from __future__ import annotations

from pathlib import Path

import pytest

from polyinfra.errors import UserError
from polyinfra.local import prepare
from polyinfra.manifests.links import discover_workspace
from tests.conftest import edit, stub_executable
from tests.local.conftest import (
    APPS,
    EVENT_FUNCTION,
    TDD_BRICKS,
    add_function_app,
    free_port,
    to_tdd_theme,
)

WEBHOOK_SERVICE = f"{APPS}/stock-webhook/base/service.yaml"


def test_the_example_function(workspace: Path) -> None:
    port = free_port()
    local = prepare(discover_workspace(workspace), "stock-webhook", "production", port=port)
    assert (local.target, local.signature_type, local.url) == (
        "handle_stock_event",
        "http",
        f"http://127.0.0.1:{port}",
    )
    assert local.function.path == workspace / "bases/data_platform/stock_webhook/core.py"
    assert local.pythonpath == (workspace / "bases", workspace / "components")
    assert local.command()[1:] == [
        "-m",
        "functions_framework",
        "--target",
        "handle_stock_event",
        "--source",
        str(local.function.path),
        "--signature-type",
        "http",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    environment = local.environment
    assert environment["ENVIRONMENT"] == "production"
    assert environment["VERSION"] == "local"
    assert environment["PORT"] == str(port)
    assert environment["K_REVISION"] == "stock-webhook-00001-loc"
    assert environment["PYTHONPATH"] == f"{workspace / 'bases'}:{workspace / 'components'}"


def test_the_port_defaults_to_the_container_port(workspace: Path) -> None:
    port = free_port()
    edit(workspace, WEBHOOK_SERVICE, "containerPort: 8080", f"containerPort: {port}")
    local = prepare(discover_workspace(workspace), "stock-webhook", "sandbox")
    assert local.port == port
    assert local.contract["PORT"] == str(port)


def test_the_trigger_type_makes_an_event_function(workspace: Path) -> None:
    edit(
        workspace,
        f"{APPS}/stock-events/base/service.yaml",
        "        - name: FUNCTION_SIGNATURE_TYPE\n          value: cloudevent\n",
        "",
    )
    local = prepare(discover_workspace(workspace), "stock-events", "sandbox", port=free_port())
    assert local.signature_type == "cloudevent"
    assert local.service.trigger_type == "google.cloud.pubsub.topic.v1.messagePublished"


def test_a_signature_type_the_framework_does_not_take(workspace: Path) -> None:
    edit(workspace, f"{APPS}/stock-events/base/service.yaml", "value: cloudevent", "value: pubsub")
    with pytest.raises(UserError) as caught:
        prepare(discover_workspace(workspace), "stock-events", "sandbox", port=free_port())
    assert str(caught.value).startswith(
        f"{workspace / APPS / 'stock-events/base/service.yaml'}:38:18: FUNCTION_SIGNATURE_TYPE "
        "'pubsub' is not one the Functions Framework takes (http, event, cloudevent, typed)"
    )


def test_an_unknown_target_is_reported_at_its_value(workspace: Path) -> None:
    edit(workspace, WEBHOOK_SERVICE, "value: handle_stock_event", "value: handle_stock_events")
    with pytest.raises(UserError) as caught:
        prepare(discover_workspace(workspace), "stock-webhook", "sandbox", port=free_port())
    assert str(caught.value).startswith(
        f"{workspace / WEBHOOK_SERVICE}:36:18: FUNCTION_TARGET 'handle_stock_events' is no "
        "module-level function of the bricks of project stock_webhook (did you mean "
        "'handle_stock_event'?)"
    )


def test_no_target(workspace: Path) -> None:
    edit(workspace, WEBHOOK_SERVICE, "- name: FUNCTION_TARGET", "- name: FUNCTION_NAME")
    with pytest.raises(UserError, match="container worker sets no FUNCTION_TARGET"):
        prepare(discover_workspace(workspace), "stock-webhook", "sandbox", port=free_port())


def test_a_base_wins_over_a_component_that_defines_the_same_name(workspace: Path) -> None:
    inventory = workspace / "components/data_platform/inventory/core.py"
    inventory.write_text(inventory.read_text() + "\n\ndef handle_stock_event(request):\n    pass\n")
    local = prepare(discover_workspace(workspace), "stock-webhook", "sandbox", port=free_port())
    assert local.function.path.name == "core.py"
    assert local.function.brick == "bases/data_platform/stock_webhook"


def test_a_python_without_the_framework(workspace: Path, tmp_path: Path) -> None:
    python = stub_executable(
        tmp_path / "bin",
        "python",
        "echo \"ModuleNotFoundError: No module named 'functions_framework'\" >&2\nexit 1\n",
    )
    with pytest.raises(UserError) as caught:
        prepare(
            discover_workspace(workspace),
            "stock-webhook",
            "sandbox",
            port=free_port(),
            python=python,
        )
    assert str(caught.value) == (
        f"{python} cannot import functions_framework:\n"
        "  ModuleNotFoundError: No module named 'functions_framework'\n"
        "  hint: install it where that Python runs (`uv add functions-framework` in the "
        "project, or `pip install functions-framework`), or pass --python PATH to an "
        "interpreter that has it"
    )


def test_the_workspace_venv_is_the_default_python(workspace: Path) -> None:
    python = stub_executable(workspace / ".venv" / "bin", "python", "exit 0\n")
    local = prepare(discover_workspace(workspace), "stock-webhook", "sandbox", port=free_port())
    assert local.python == str(python)


def test_no_such_python(workspace: Path, tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"--python .*: no executable file there"):
        prepare(
            discover_workspace(workspace),
            "stock-webhook",
            "sandbox",
            port=free_port(),
            python=tmp_path / "python3.99",
        )


def test_the_bricks_of_a_tdd_workspace_are_importable_from_their_src(
    workspace: Path,
) -> None:
    to_tdd_theme(workspace)
    local = prepare(discover_workspace(workspace), "stock-webhook", "sandbox", port=free_port())
    assert local.pythonpath == tuple(workspace / kind / name / "src" for kind, name in TDD_BRICKS)
    assert local.function.path == (
        workspace / "bases/stock_webhook/src/data_platform/stock_webhook/core.py"
    )


def test_an_event_function_added_beside(workspace: Path) -> None:
    add_function_app(
        workspace, "stock-more", "stock_more", "stock_more", EVENT_FUNCTION, "handle_stock_update"
    )
    local = prepare(discover_workspace(workspace), "stock-more", "sandbox", port=free_port())
    # no trigger type, no FUNCTION_SIGNATURE_TYPE: the decorator decides at run time
    assert local.signature_type == "http"
    assert local.function.decorated == "cloudevent"
