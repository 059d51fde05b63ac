"""The function rules on copies of the example workspace, whose stock-webhook function is an
HTTP function served by ``handle_stock_event`` (bases/data_platform/stock_webhook/core.py):
each copy carries one mistake, reported at the file:line:col the user edits, with its message;
the example itself, and the shapes that are right, report nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from polyinfra.checks.check import check_workspace
from polyinfra.cli.main import main
from tests.conftest import copy_example, copy_real, edit, write_tree

RULES = (
    "workspace/function-target",
    "workspace/function-signature",
    "workspace/functions-framework-dependency",
    "workspace/function-start-command",
)
FUNCTION = "infrastructure/cloudrun_function/stock-webhook"
BASE = f"{FUNCTION}/base/service.yaml"
SANDBOX = f"{FUNCTION}/overlays/sandbox/kustomization.yaml"
CORE = "bases/data_platform/stock_webhook/core.py"
PYPROJECT = "projects/stock_webhook/pyproject.toml"
DOCKERFILE = "projects/stock_webhook/Dockerfile"
CMD = "CMD exec functions-framework --target=${FUNCTION_TARGET} --port=${PORT}"
TARGET_ENV = "        - name: FUNCTION_TARGET\n          value: handle_stock_event\n"
DECORATOR = "@functions_framework.http\n"
HTTP_TRIGGER = "trigger-type: HTTP_TRIGGER"
PUBSUB_TRIGGER = "trigger-type: google.cloud.pubsub.topic.v1.messagePublished"
SIGNATURE_ENV = (
    "        - name: FUNCTION_SIGNATURE_TYPE\n          value: {}\n        - name: COMPONENT\n"
)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return copy_example(tmp_path / "data-platform")


def findings(root: Path, *rules: str) -> list[str]:
    result = check_workspace(root, select=list(rules or RULES), plan=False)
    return [
        f"{p.position.relative_to(root)} {p.rule} {p.level.label}: {p.message}"
        for p in result.problems
    ]


def with_signature_type(root: Path, value: str) -> None:
    edit(root, BASE, "        - name: COMPONENT\n", SIGNATURE_ENV.format(value))


def test_the_example_function_is_clean(root: Path) -> None:
    assert findings(root) == []


# -- workspace/function-target


def test_a_target_that_no_brick_defines_is_reported_at_its_value_with_a_suggestion(
    root: Path,
) -> None:
    edit(root, BASE, "value: handle_stock_event", "value: handle_stock_events")
    assert findings(root) == [
        f"{BASE}:36:18 workspace/function-target error: FUNCTION_TARGET 'handle_stock_events' "
        "is not a module-level function of the bricks of project 'stock_webhook' (did you "
        "mean 'handle_stock_event'?)"
    ]


def test_a_target_an_overlay_sets_is_reported_in_that_overlay_only(root: Path) -> None:
    edit(
        root,
        SANDBOX,
        "          value: sandbox\n",
        "          value: sandbox\n      - op: add\n"
        "        path: /spec/template/spec/containers/0/env/-\n"
        "        value:\n          name: FUNCTION_TARGET\n          value: apply_movement\n",
    )
    assert findings(root, "workspace/function-target") == [
        f"{SANDBOX}:43:18 workspace/function-target error: FUNCTION_TARGET 'apply_movement' "
        "is not a module-level function of the bricks of project 'stock_webhook' (did you mean "
        "'apply_movements'?)"
    ]


def test_a_function_of_a_component_the_project_includes_is_a_target(root: Path) -> None:
    edit(root, CORE, "def handle_stock_event(", "def handle(")
    write_tree(
        root,
        {
            "components/data_platform/log/hooks.py": (
                "import functions_framework\n\n\n@functions_framework.http\n"
                "def handle_stock_event(request):\n    return 'ok'\n"
            )
        },
    )
    assert findings(root) == []


def test_a_missing_target_is_reported_at_the_container_env(root: Path) -> None:
    edit(root, BASE, TARGET_ENV, "")
    assert findings(root) == [
        f"{BASE}:33:9 workspace/function-target error: function 'stock-webhook' sets no "
        "FUNCTION_TARGET and its image's command passes no --target: the Functions Framework "
        'stops at start ("Target is not specified")'
    ]


@pytest.mark.parametrize(
    "command",
    [
        "CMD exec functions-framework --target=handle_stock_event",
        "CMD exec functions-framework --target=${FUNCTION_TARGET:-handle_stock_event}",
        'CMD ["functions-framework", "--target", "handle_stock_event"]',
    ],
)
def test_no_target_in_the_env_is_fine_when_the_command_names_it(root: Path, command: str) -> None:
    edit(root, BASE, TARGET_ENV, "")
    edit(root, DOCKERFILE, CMD, command)
    assert findings(root) == []


def test_the_default_target_of_the_command_is_looked_up_when_the_env_sets_none(
    root: Path,
) -> None:
    edit(root, BASE, TARGET_ENV, "")
    edit(
        root,
        DOCKERFILE,
        CMD,
        "CMD exec functions-framework --target=${FUNCTION_TARGET:-handle_stock}",
    )
    assert findings(root) == [
        f"{DOCKERFILE}:26:1 workspace/function-target error: the default --target "
        "'handle_stock' is not a module-level function of the bricks of project "
        "'stock_webhook' (did you mean 'handle_stock_event'?)"
    ]


# -- workspace/function-signature


def test_a_function_that_requires_two_arguments_is_reported_at_its_def(root: Path) -> None:
    edit(root, CORE, "(request: Request)", "(request: Request, retries: int)")
    assert findings(root) == [
        f"{CORE}:14:1 workspace/function-signature error: handle_stock_event requires 2 "
        "positional arguments, but the Functions Framework calls it as an HTTP function, with "
        f"one argument (the request) (function 'stock-webhook', {BASE}:36:18)"
    ]


@pytest.mark.parametrize(
    "parameters",
    ["(request, retries=3)", "(*args)", "(request, /, *rest, flag=False)", "(request=None)"],
)
def test_a_function_callable_with_one_argument_is_fine(root: Path, parameters: str) -> None:
    edit(root, CORE, "(request: Request)", parameters)
    assert findings(root, "workspace/function-signature") == []


def test_a_function_that_takes_no_argument_is_reported(root: Path) -> None:
    edit(root, CORE, "(request: Request)", "()")
    assert findings(root, "workspace/function-signature") == [
        f"{CORE}:14:1 workspace/function-signature error: handle_stock_event takes no "
        "positional argument, but the Functions Framework calls it as an HTTP function, with "
        f"one argument (the request) (function 'stock-webhook', {BASE}:36:18)"
    ]


def test_an_http_decorator_on_an_event_function_is_reported_at_its_def(root: Path) -> None:
    edit(root, BASE, HTTP_TRIGGER, PUBSUB_TRIGGER)
    assert findings(root) == [
        f"{CORE}:14:1 workspace/function-signature error: handle_stock_event is decorated "
        "@functions_framework.http, so the framework calls it as an HTTP function, with one "
        "argument (the request), but the trigger type "
        f"google.cloud.pubsub.topic.v1.messagePublished ({BASE}:21:53) makes it an event "
        "function (function 'stock-webhook')"
    ]


def test_a_cloud_event_decorator_on_an_http_function_is_reported(root: Path) -> None:
    edit(root, CORE, DECORATOR, "@functions_framework.cloud_event\n")
    assert findings(root) == [
        f"{CORE}:14:1 workspace/function-signature error: handle_stock_event is decorated "
        "@functions_framework.cloud_event, so the framework calls it as an event function, "
        f"with one argument (the CloudEvent), but the trigger type HTTP_TRIGGER ({BASE}:21:53) "
        "makes it an HTTP function (function 'stock-webhook')"
    ]


def test_an_event_function_nothing_marks_as_one_is_reported_at_the_trigger(root: Path) -> None:
    edit(root, BASE, HTTP_TRIGGER, PUBSUB_TRIGGER)
    edit(root, CORE, DECORATOR, "")
    assert findings(root) == [
        f"{BASE}:21:53 workspace/function-signature error: the trigger type "
        "google.cloud.pubsub.topic.v1.messagePublished makes 'stock-webhook' an event "
        "function, but neither FUNCTION_SIGNATURE_TYPE: cloudevent nor "
        f"@functions_framework.cloud_event on handle_stock_event ({CORE}:13:1) says so: the "
        "framework would call it as an HTTP function, with the request"
    ]


@pytest.mark.parametrize(
    ("decorator", "signature_type"),
    [("", "cloudevent"), ("@functions_framework.cloud_event\n", None)],
)
def test_an_event_function_marked_by_the_env_or_its_decorator_is_fine(
    root: Path, decorator: str, signature_type: str | None
) -> None:
    edit(root, BASE, HTTP_TRIGGER, PUBSUB_TRIGGER)
    edit(root, CORE, DECORATOR, decorator)
    if signature_type is not None:
        with_signature_type(root, signature_type)
    assert findings(root) == []


def test_a_signature_type_of_the_other_kind_than_the_trigger_is_reported_at_it(
    root: Path,
) -> None:
    edit(root, CORE, DECORATOR, "")
    with_signature_type(root, "cloudevent")
    assert findings(root) == [
        f"{BASE}:38:18 workspace/function-signature error: FUNCTION_SIGNATURE_TYPE cloudevent "
        "makes the framework call handle_stock_event as an event function, with one argument "
        f"(the CloudEvent), but the trigger type HTTP_TRIGGER ({BASE}:21:53) makes it an HTTP "
        "function"
    ]


def test_a_signature_type_the_framework_does_not_have_is_reported(root: Path) -> None:
    with_signature_type(root, "cloud_event")
    assert findings(root) == [
        f"{BASE}:38:18 workspace/function-signature error: FUNCTION_SIGNATURE_TYPE "
        "'cloud_event' is not a signature type of the Functions Framework (did you mean "
        "'cloudevent'?): it refuses to start"
    ]


def test_a_background_function_takes_data_and_context(root: Path) -> None:
    edit(root, BASE, HTTP_TRIGGER, PUBSUB_TRIGGER)
    edit(root, CORE, DECORATOR, "")
    with_signature_type(root, "event")
    assert findings(root) == [
        f"{CORE}:13:1 workspace/function-signature error: handle_stock_event takes only 1 "
        "positional argument, but the Functions Framework calls it as a background function, "
        "with two arguments (the event's data and context) (function 'stock-webhook', "
        f"{BASE}:36:18)"
    ]
    edit(root, CORE, "(request: Request)", "(data, context)")
    assert findings(root) == []


def test_the_signature_type_of_the_command_wins_over_the_env(root: Path) -> None:
    edit(root, BASE, HTTP_TRIGGER, PUBSUB_TRIGGER)
    edit(root, CORE, DECORATOR, "")
    with_signature_type(root, "http")
    edit(root, DOCKERFILE, CMD, "CMD exec functions-framework --signature-type cloudevent")
    assert findings(root) == []


# -- workspace/functions-framework-dependency


def test_a_project_without_the_framework_is_reported_at_its_dependencies(root: Path) -> None:
    edit(root, PYPROJECT, '    "functions-framework>=3.10.0",\n', "")
    assert findings(root) == [
        f"{PYPROJECT}:10:1 workspace/functions-framework-dependency error: {PYPROJECT} does "
        "not depend on functions-framework, which function 'stock-webhook' runs: the image has "
        "no Functions Framework to start"
    ]


def test_a_project_with_no_dependencies_key_is_reported_at_its_project_table(root: Path) -> None:
    edit(
        root,
        PYPROJECT,
        'dependencies = [\n    "flask>=3.1.2",\n    "functions-framework>=3.10.0",\n]\n',
        "",
    )
    assert [line.split(" ", 2)[:2] for line in findings(root)] == [
        [f"{PYPROJECT}:5:1", "workspace/functions-framework-dependency"]
    ]


@pytest.mark.parametrize(
    "dependency",
    ['"Functions_Framework >= 3"', '"functions.framework[extra]~=3.10"', '"functions-framework"'],
)
def test_the_framework_is_found_by_its_normalized_name(root: Path, dependency: str) -> None:
    edit(root, PYPROJECT, '"functions-framework>=3.10.0"', dependency)
    assert findings(root, "workspace/functions-framework-dependency") == []


def test_dynamic_dependencies_are_not_checked(root: Path) -> None:
    edit(
        root,
        PYPROJECT,
        'dependencies = [\n    "flask>=3.1.2",\n    "functions-framework>=3.10.0",\n]\n',
        'dynamic = ["dependencies"]\n',
    )
    assert findings(root, "workspace/functions-framework-dependency") == []


# -- workspace/function-start-command


def test_a_command_that_does_not_start_the_framework_is_reported_at_it(root: Path) -> None:
    edit(root, DOCKERFILE, CMD, 'CMD ["python", "main.py"]')
    assert findings(root) == [
        f"{DOCKERFILE}:26:1 workspace/function-start-command error: the Dockerfile's CMD "
        '`["python", "main.py"]` does not start the Functions Framework, which function '
        "'stock-webhook' needs"
    ]


def test_a_dockerfile_without_a_command_is_reported_at_its_last_from(root: Path) -> None:
    edit(root, DOCKERFILE, CMD, "")
    assert findings(root) == [
        f"{DOCKERFILE}:1:1 workspace/function-start-command error: the Dockerfile sets no CMD or "
        "ENTRYPOINT, so its image does not start the Functions Framework, which function "
        "'stock-webhook' needs"
    ]


def test_a_variable_in_an_exec_form_command_is_reported(root: Path) -> None:
    edit(root, DOCKERFILE, CMD, 'CMD ["functions-framework", "--target=${FUNCTION_TARGET}"]')
    assert findings(root) == [
        f"{DOCKERFILE}:26:1 workspace/function-start-command error: the Dockerfile's CMD is in "
        "exec form, so no shell expands '--target=${FUNCTION_TARGET}': the framework receives "
        "it as written"
    ]


def test_a_literal_target_other_than_the_manifests_is_reported(root: Path) -> None:
    edit(
        root,
        CORE,
        "\n\n@functions_framework.http",
        "\n\ndef other(request):\n    return ''\n\n\n@functions_framework.http",
    )
    edit(root, DOCKERFILE, CMD, "CMD exec functions-framework --target=other")
    assert findings(root) == [
        f"{DOCKERFILE}:26:1 workspace/function-start-command error: the Dockerfile's "
        "--target=other overrides FUNCTION_TARGET 'handle_stock_event' of function "
        f"'stock-webhook' ({BASE}:36:18): the framework serves other"
    ]


@pytest.mark.parametrize(
    "command",
    [
        "CMD exec functions-framework",
        "CMD exec functions-framework --target=handle_stock_event",
        'CMD ["python", "-m", "functions_framework", "--port", "8080"]',
        'ENTRYPOINT ["tini", "--"]\n'
        'CMD ["sh", "-c", "uv run functions-framework --target=$FUNCTION_TARGET"]',
        'ENTRYPOINT ["/app/.venv/bin/functions-framework"]\nCMD ["--target=handle_stock_event"]',
        'ENTRYPOINT exec functions-framework --target=${FUNCTION_TARGET}\nCMD ["ignored"]',
    ],
)
def test_commands_that_start_the_framework_are_fine(root: Path, command: str) -> None:
    edit(root, DOCKERFILE, CMD, command)
    assert findings(root) == []


def test_a_final_stage_built_from_another_keeps_its_command(root: Path) -> None:
    text = (root / DOCKERFILE).read_text(encoding="utf-8")
    first = text.splitlines()[0]
    text = text.replace(first, f"{first} AS image", 1)
    (root / DOCKERFILE).write_text(text + "\nFROM image\nUSER app\n", encoding="utf-8")
    assert findings(root) == []


def test_a_container_with_its_own_command_is_not_checked_against_the_dockerfile(
    root: Path,
) -> None:
    edit(root, DOCKERFILE, CMD, 'CMD ["python", "main.py"]')
    edit(
        root,
        BASE,
        "        image: IMAGE_URL\n",
        "        image: IMAGE_URL\n        command: [functions-framework]\n",
    )
    assert findings(root) == []


# -- odd input: other rules report it, these do not fail


def test_a_function_whose_project_is_missing_or_has_no_dockerfile_is_passed_over(
    root: Path,
) -> None:
    (root / DOCKERFILE).unlink()
    assert findings(root) == []
    edit(root, BASE, TARGET_ENV, "")
    assert [line.split(" ", 2)[1] for line in findings(root)] == ["workspace/function-target"]
    for path in sorted((root / "projects/stock_webhook").rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    (root / "projects/stock_webhook").rmdir()
    assert findings(root) == []


def test_an_unparsable_file_defines_no_function(root: Path) -> None:
    edit(root, CORE, "def handle_stock_event(", "def handle_stock_event((")
    assert findings(root, "workspace/function-target", "workspace/function-signature") == [
        f"{BASE}:36:18 workspace/function-target error: FUNCTION_TARGET 'handle_stock_event' is "
        "not a module-level function of the bricks of project 'stock_webhook'"
    ]


def test_a_project_whose_bricks_define_no_function_says_so(root: Path) -> None:
    edit(
        root,
        PYPROJECT,
        '"../../components/data_platform/inventory" = "data_platform/inventory"\n',
        "",
    )
    edit(root, PYPROJECT, '"../../components/data_platform/log" = "data_platform/log"\n', "")
    edit(
        root,
        PYPROJECT,
        '"../../components/data_platform/settings" = "data_platform/settings"\n',
        "",
    )
    edit(root, CORE, "def handle_stock_event(", "def handle_stock_event((")
    assert findings(root, "workspace/function-target") == [
        f"{BASE}:36:18 workspace/function-target error: FUNCTION_TARGET 'handle_stock_event' is "
        "not a module-level function of the bricks of project 'stock_webhook': they define none"
    ]


# -- what `polyinfra add function` writes, on workspaces others wrote


def test_a_function_added_to_a_real_workspace_passes(tmp_path: Path) -> None:
    """python-polylith-example-uv's GCP function project: its base's ``handler`` is an HTTP
    function, and its pyproject depends on functions-framework."""
    root = copy_real("python-polylith-example-uv", tmp_path / "uv")
    assert main(["init", "--no-lock", "-w", str(root)]) == 0
    add = ["add", "function", "greet", "--project", "my_gcp_function_project"]
    assert main([*add, "--target", "handler", "-w", str(root)]) == 0
    assert findings(root) == []
    edit(root, "bases/example/greet_gcp_function/core.py", "(_request)", "(_request, extra)")
    assert findings(root) == [
        "bases/example/greet_gcp_function/core.py:9:1 workspace/function-signature error: "
        "handler requires 2 positional arguments, but the Functions Framework calls it as an "
        "HTTP function, with one argument (the request) (function 'greet', "
        "infrastructure/cloudrun_function/greet/base/service.yaml:32:18)"
    ]


def test_an_event_function_added_with_its_trigger_passes_until_its_code_disagrees(
    root: Path,
) -> None:
    write_tree(
        root,
        {
            "bases/data_platform/stock_webhook/events.py": (
                "import functions_framework\n\n\n@functions_framework.cloud_event\n"
                "def on_update(event):\n    return None\n"
            )
        },
    )
    add = ["add", "function", "stock-events", "--project", "stock_webhook", "--target"]
    assert main([*add, "on_update", "--trigger", "pubsub:stock-updates", "-w", str(root)]) == 0
    assert findings(root) == []
    events = "bases/data_platform/stock_webhook/events.py"
    edit(root, events, "cloud_event", "http")
    assert [line.split(": ", 1)[0] for line in findings(root)] == [
        f"{events}:5:1 workspace/function-signature error"
    ]
