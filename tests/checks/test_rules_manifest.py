"""Manifest-file rules: invalid YAML, unrendered templates (parsing or not), non-manifests."""

from __future__ import annotations

from pathlib import Path

from polyinfra.checks.context import CheckContext, manifests_from_file
from polyinfra.checks.engine import run
from polyinfra.checks.registry import MANIFEST_RULES
from polyinfra.checks.rules.manifest.templates import placeholders_in
from tests.checks.conftest import LintText, variant


def test_invalid_yaml(lint_text: LintText) -> None:
    assert lint_text("kind: Service\nmetadata:\n  name: [a\n", "manifest") == [
        "4:1 error invalid YAML: while parsing a flow sequence; expected ',' or ']', but got "
        "'<stream end>'"
    ]


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: caf\xe9\n".encode("latin-1"))
    manifests, unreadable = manifests_from_file(path)
    assert manifests == ()
    assert unreadable is not None
    assert (str(unreadable.position), unreadable.message) == (
        f"{path}:1:10",
        "not UTF-8 text: byte 0xE9 starts a character that the bytes after it do not complete",
    )


def test_template_that_is_not_yaml_is_reported_as_a_template(lint_text: LintText) -> None:
    text = "apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata:\n  name: %SERVICE%\n"
    assert lint_text(text, "manifest") == [
        "4:9 error unrendered template (%SERVICE%); it is not YAML until rendered: invalid "
        "YAML: while scanning for the next token; found character '%' that cannot start any token"
    ]


def test_placeholders_reported_once_per_object_at_the_first(lint_text: LintText) -> None:
    text = variant(
        "service",
        ("my-service@acme-prod.iam", "my-service@${PROJECT}.iam"),
        ("acme-prod/apps/my-service:1.4.2", "PROJECT_ID/apps/my-service:VERSION_PLACEHOLDER"),
        ("value: production", "value: '{{ .Values.env }}'"),
    )
    assert lint_text(text, "manifest/unrendered-template") == [
        "20:27 error unrendered template: placeholders ${PROJECT}, VERSION_PLACEHOLDER, "
        "PROJECT_ID and 1 more must be substituted before deploy"
    ]
    # templated values are not also type errors or bad image tags
    assert lint_text(text, "cloudrun") == []


def test_not_a_manifest(lint_text: LintText) -> None:
    assert lint_text("name: api\nimage: gcr.io/acme/api:v1\n", "manifest") == [
        "1:1 warning not a Kubernetes-style object (no apiVersion and kind): nothing to check"
    ]


def test_shell_variables_in_command_and_args_are_not_placeholders() -> None:
    args = ("spec", "template", "spec", "containers", 0, "args", 0)
    assert placeholders_in("exec app --port ${PORT}", args) == []
    assert placeholders_in("${PORT}", ("spec", "env", 0, "value")) == ["${PORT}"]
    assert placeholders_in("--name=%NAME%", args) == ["%NAME%"]
    # upper case is only a placeholder where values are lower case (images, accounts)
    assert placeholders_in("DEBUG_MODE", ("env", 0, "value")) == []
    assert placeholders_in("gcr.io/MY_PROJECT/app:v1", ("containers", 0, "image")) == ["MY_PROJECT"]


def test_unreadable_inputs_reach_the_rules(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("a: b: c\n")
    manifests, unreadable = manifests_from_file(path)
    assert unreadable is not None
    ctx = CheckContext(manifests=manifests, unreadable=(unreadable,))
    (problem,) = run(ctx, MANIFEST_RULES)
    assert (problem.rule, problem.position.line, problem.position.col) == (
        "manifest/invalid-yaml",
        1,
        5,
    )
