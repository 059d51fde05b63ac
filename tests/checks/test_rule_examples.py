"""Every manifest rule's ``Bad::`` example is reported by that rule and its ``Good::`` example
is not, so the rule reference (docs/rules.md, generated from the same docstrings) cannot claim
what a rule does not do.

An example shows only the part of a manifest the rule is about; it is completed into a whole
Service or Job (a name, a dedicated service account, a pinned image), which no rule reports,
and linted with only that rule selected."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from polyinfra.checks.docs import examples
from polyinfra.checks.lint import lint_paths
from polyinfra.checks.problem import Level
from polyinfra.checks.registry import MANIFEST_RULES
from polyinfra.checks.rule import Rule

IMAGE = "europe-docker.pkg.dev/acme/apps/api:1.0.0"
ACCOUNT = "api@acme.iam.gserviceaccount.com"
SERVICE: dict[str, Any] = {
    "apiVersion": "serving.knative.dev/v1",
    "kind": "Service",
    "metadata": {"name": "api"},
    "spec": {
        "template": {
            "spec": {
                "serviceAccountName": ACCOUNT,
                "containers": [{"image": IMAGE, "ports": [{"containerPort": 8080}]}],
            }
        }
    },
}
JOB: dict[str, Any] = {
    "apiVersion": "run.googleapis.com/v1",
    "kind": "Job",
    "metadata": {"name": "etl"},
    "spec": {
        "template": {
            "spec": {
                "template": {
                    "spec": {"serviceAccountName": ACCOUNT, "containers": [{"image": IMAGE}]}
                }
            }
        }
    },
}
#: Keys of a pod spec, and of a container: where a fragment that starts with one belongs.
POD_KEYS = {"containers", "serviceAccountName", "timeoutSeconds", "containerConcurrency"}
POD_KEYS |= {"volumes", "nodeSelector", "maxRetries"}
CONTAINER_KEYS = {"image", "env", "ports", "startupProbe", "livenessProbe", "resources"}
CONTAINER_KEYS |= {"args", "command", "volumeMounts", "name"}
#: Rules whose examples are not single manifests: a template, a kustomize overlay, YAML that
#: does not parse. Each has its own tests.
NOT_MANIFESTS = {
    "manifest/invalid-yaml",
    "manifest/not-a-manifest",
    "cloudrun/production-image-tag",
    "cloudrun/image-host",
}


def merge(base: Any, extra: Any) -> Any:
    """``extra`` over ``base``: mappings merge key by key, anything else replaces."""
    if isinstance(base, dict) and isinstance(extra, dict):
        merged = dict(base)
        for key, value in extra.items():
            merged[key] = merge(base.get(key), value) if key in base else value
        return merged
    return extra


def complete(fragment: Any, rule: Rule, text: str) -> dict[str, Any]:
    """The whole manifest ``fragment`` stands for."""
    is_job = "kind: Job" in text or "job" in rule.ID
    skeleton = copy.deepcopy(JOB if is_job else SERVICE)
    if rule.ID == "cloudrun/service-account":  # the example is about the account itself
        del skeleton["spec"]["template"]["spec"]["serviceAccountName"]
    pod = (
        ("spec", "template", "spec", "template", "spec") if is_job else ("spec", "template", "spec")
    )
    if isinstance(fragment, list):  # container list items
        fragment = {"containers": fragment}
    assert isinstance(fragment, dict), f"{rule.ID}: an example is not a mapping: {text!r}"
    if {"apiVersion", "kind", "metadata", "spec"} & set(fragment):
        fragment = {k: v for k, v in fragment.items() if k != "apiVersion"}
        return merge(skeleton, fragment)  # type: ignore[no-any-return]
    if "annotations" in fragment:
        return merge(skeleton, {"spec": {"template": {"metadata": fragment}}})  # type: ignore[no-any-return]
    if set(fragment) & CONTAINER_KEYS and not set(fragment) & POD_KEYS:
        container = skeleton
        for step in pod:
            container = container[step]
        container["containers"][0] = merge(container["containers"][0], fragment)
        return skeleton
    nested: Any = fragment
    for step in reversed(pod):
        nested = {step: nested}
    return merge(skeleton, nested)  # type: ignore[no-any-return]


CASES = [
    pytest.param(rule, label, text, id=f"{rule.ID}-{label}{index}")
    for rule in MANIFEST_RULES
    if rule.ID not in NOT_MANIFESTS
    for index, (label, text) in enumerate(examples(rule))
]


def test_every_manifest_rule_has_a_bad_and_a_good_example() -> None:
    for rule in MANIFEST_RULES:
        labels = {label for label, _ in examples(rule)}
        assert labels == {"Bad", "Good"}, rule.ID


@pytest.mark.parametrize(("rule", "label", "text"), CASES)
def test_the_example_does_what_the_docs_say(
    rule: Rule, label: str, text: str, tmp_path: Path
) -> None:
    manifest = complete(yaml.safe_load(text), rule, text)
    path = tmp_path / "manifest.yaml"
    path.write_text(yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True))
    found = [p for p in lint_paths([path], select=[rule.ID]).problems if p.rule == rule.ID]
    if label == "Bad":
        assert found, f"{rule.ID}: its Bad example is not reported:\n{path.read_text()}"
    else:
        assert found == [], f"{rule.ID}: its Good example is reported: {found}"


#: How a docstring says what Cloud Run does with the input the rule reports.
SAYS = re.compile(
    r"Cloud Run\b[^.]*?\b(?:rejects|accepts|runs|deploys|gives|looks)|Nothing is deployed"
)
#: ... and, for an error, that Cloud Run rejects it or that it breaks at run time.
BREAKS = re.compile(r"rejects|fails|breaks")
#: Errors by the workspace's own policy, not Cloud Run's (each says so).
POLICY = {"cloudrun/production-image-tag"}


def test_every_manifest_rule_says_what_cloud_run_does_and_its_level_follows() -> None:
    for rule in MANIFEST_RULES:
        text = " ".join((rule.__doc__ or "").split("Bad::")[0].split())
        assert SAYS.search(text), f"{rule.ID} does not say what Cloud Run does with the input"
        if rule.LEVEL is Level.ERROR and rule.ID not in POLICY:
            assert BREAKS.search(text), f"{rule.ID} is an error for input Cloud Run runs"
