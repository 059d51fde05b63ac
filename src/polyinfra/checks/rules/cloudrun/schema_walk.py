"""The schema walk behind the schema rules: every field of a Cloud Run Service or Job checked
against the Admin API v1 schema once, each finding tagged with the rule that reports it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from polyinfra.checks.context import CheckContext, Manifest
from polyinfra.checks.rules.manifest.templates import is_templated
from polyinfra.cloudrun import discovery
from polyinfra.cloudrun.discovery import FieldType, Pattern, format_pattern
from polyinfra.suggest import did_you_mean
from polyinfra.yamlio import KeyPath, format_path

INT32 = (-(2**31), 2**31 - 1)
#: How the discovery document marks Kubernetes fields Cloud Run does not implement.
_UNSUPPORTED = re.compile(
    r"^(\[Deprecated\] |Required\. |Optional\. )?Not supported (by|in) Cloud Run"
)

#: Kubernetes fields people carry over that Cloud Run has nowhere, with what to do instead.
KUBERNETES_ONLY = {
    "backoffLimit": "Cloud Run retries failed tasks per maxRetries "
    "(spec.template.spec.template.spec.maxRetries)",
    "restartPolicy": "Cloud Run decides restarts itself (maxRetries for jobs); remove it",
    "completions": "use taskCount (spec.template.spec.taskCount)",
    "activeDeadlineSeconds": "use the task timeoutSeconds (spec.template.spec.template.spec)",
    "ttlSecondsAfterFinished": "Cloud Run keeps execution history itself; remove it",
    "suspend": "Cloud Run Jobs run only when executed; remove it",
    "completionMode": "tasks get CLOUD_RUN_TASK_INDEX; remove it",
    "podFailurePolicy": "use maxRetries; remove it",
    "manualSelector": "Cloud Run has no label selectors; remove it",
    "selector": "Cloud Run has no label selectors; remove it",
    "replicas": "use the autoscaling.knative.dev/minScale and maxScale annotations",
    "strategy": "Cloud Run rolls out revisions itself; split traffic with spec.traffic",
    "minReadySeconds": "use a startupProbe",
    "revisionHistoryLimit": "Cloud Run keeps revisions itself; remove it",
    "progressDeadlineSeconds": "remove it",
    "paused": "remove it",
    "initContainers": "use a sidecar container and the "
    "run.googleapis.com/container-dependencies annotation",
    "hostNetwork": "not available on Cloud Run; remove it",
    "hostPID": "not available on Cloud Run; remove it",
    "hostIPC": "not available on Cloud Run; remove it",
    "hostAliases": "not available on Cloud Run; remove it",
    "dnsPolicy": "not available on Cloud Run; remove it",
    "dnsConfig": "not available on Cloud Run; remove it",
    "nodeName": "not available on Cloud Run; remove it",
    "affinity": "not available on Cloud Run; remove it",
    "tolerations": "not available on Cloud Run; remove it",
    "topologySpreadConstraints": "not available on Cloud Run; remove it",
    "priorityClassName": "not available on Cloud Run; remove it",
    "schedulerName": "not available on Cloud Run; remove it",
    "terminationGracePeriodSeconds": "Cloud Run sends SIGTERM 10 s before SIGKILL; remove it",
    "shareProcessNamespace": "not available on Cloud Run; remove it",
    "automountServiceAccountToken": "not available on Cloud Run; remove it",
    "readinessGates": "not available on Cloud Run; remove it",
    "lifecycle": "Cloud Run has no postStart/preStop hooks; handle SIGTERM instead",
    "stdin": "not available on Cloud Run; remove it",
    "tty": "not available on Cloud Run; remove it",
}


@dataclass(frozen=True)
class SchemaFinding:
    """One schema finding; the rule it belongs to picks it up."""

    manifest: Manifest
    rule: str
    path: KeyPath
    message: str
    hint: str | None = None
    at_value: bool = False
    sensitive: bool = False


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


class _Walker:
    def __init__(self, manifest: Manifest, root: str) -> None:
        self.manifest = manifest
        self.root = root
        self.schemas = discovery.load()
        self.locations = discovery.field_locations(root)
        self.findings: list[SchemaFinding] = []

    def add(
        self,
        rule: str,
        path: KeyPath,
        message: str,
        hint: str | None = None,
        *,
        at_value: bool = False,
    ) -> None:
        sensitive = at_value and _is_env_value(path)
        self.findings.append(
            SchemaFinding(self.manifest, rule, path, message, hint, at_value, sensitive)
        )

    def object(self, schema: str, data: Any, path: KeyPath, pattern: Pattern) -> None:
        props = self.schemas.properties(schema)
        if not isinstance(data, dict):
            self.type_error(path, f"a mapping ({schema})", data)
            return
        for key, value in data.items():
            field = props.get(key) if isinstance(key, str) else None
            if field is None:
                self.unknown(schema, str(key), (*path, key), (*pattern, str(key)), props)
                continue
            if _UNSUPPORTED.search(field.description) and value not in (None, False, "", [], {}):
                self.add(
                    "cloudrun/unsupported-field",
                    (*path, key),
                    f"'{key}' ({schema}) is in the API but not supported by Cloud Run",
                    "remove it: Cloud Run rejects or ignores it",
                )
            self.value(field, value, (*path, key), (*pattern, key))

    def value(self, field: FieldType, value: Any, path: KeyPath, pattern: Pattern) -> None:
        if value is None or is_templated(value, path):
            return  # null means unset; placeholders are manifest/unrendered-template's
        if field.ref:
            self.object(field.ref, value, path, pattern)
        elif field.type == "array":
            if not isinstance(value, list):
                self.type_error(path, "a list", value)
            elif field.items is not None:
                for index, item in enumerate(value):
                    self.value(field.items, item, (*path, index), (*pattern, "[]"))
        elif field.type == "object":
            if not isinstance(value, dict):
                self.type_error(path, "a mapping", value)
            elif field.values is not None:
                for key, item in value.items():
                    self.value(field.values, item, (*path, key), (*pattern, "*"))
        elif field.type == "string":
            self.string(field, value, path)
        elif field.type == "integer":
            self.integer(value, path)
        elif field.type == "boolean" and not isinstance(value, bool):
            hint = f"write {value.lower()} without quotes" if value in ("true", "false") else None
            self.type_error(path, "a boolean (true or false)", value, hint)
        elif field.type == "number" and (
            isinstance(value, bool) or not isinstance(value, int | float)
        ):
            self.type_error(path, "a number", value)

    def string(self, field: FieldType, value: Any, path: KeyPath) -> None:
        if field.format == "int64":
            # int64 travels as a JSON string; gcloud and the API take a number too
            if isinstance(value, int) and not isinstance(value, bool):
                return
            if isinstance(value, str) and value.lstrip("-").isdigit():
                return
            self.type_error(path, "an integer", value)
        elif not isinstance(value, str):
            hint = None
            if isinstance(value, bool | int | float):
                shown = str(value).lower() if isinstance(value, bool) else str(value)
                hint = f'quote it: "{shown}"'
            self.type_error(path, "a string", value, hint)

    def integer(self, value: Any, path: KeyPath) -> None:
        if isinstance(value, int) and not isinstance(value, bool):
            if not INT32[0] <= value <= INT32[1]:
                self.add(
                    "cloudrun/schema-type",
                    path,
                    f"'{format_path(path)}' is out of range for a 32-bit integer: {value}",
                    at_value=True,
                )
            return
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            self.add(
                "cloudrun/string-integer",
                path,
                f"'{format_path(path)}' is an integer field written as the string {value!r}",
                hint=f"write {value.strip()} without quotes",
                at_value=True,
            )
            return
        self.type_error(path, "an integer", value)

    def type_error(self, path: KeyPath, expected: str, value: Any, hint: str | None = None) -> None:
        actual = _kind_of(value)
        if _is_env_value(path):
            # never quote a value that may be a secret
            actual = actual.split(" ")[1] if actual.startswith("the ") else actual
            actual, hint = f"a {actual}", "quote it" if hint else None
        self.add(
            "cloudrun/schema-type",
            path,
            f"'{format_path(path)}' must be {expected}, not {actual}",
            hint,
            at_value=True,
        )

    def unknown(
        self, schema: str, key: str, path: KeyPath, pattern: Pattern, props: dict[str, FieldType]
    ) -> None:
        where = format_path(path[:-1]) or "the top level"
        if key in KUBERNETES_ONLY and key not in self.locations:
            self.add(
                "cloudrun/kubernetes-field",
                path,
                f"'{key}' is a Kubernetes field Cloud Run does not have (in {where})",
                KUBERNETES_ONLY[key],
            )
            return
        candidates = self.locations.get(key, ())
        parent = pattern[:-1]
        # a level left out: the key belongs one level deeper than here (a Job's
        # spec.template.template, written for spec.template.spec.template)
        deeper = [
            c
            for c in candidates
            if len(c) == len(parent) + 2 and c[: len(parent)] == parent and c[-2] != "[]"
        ]
        if deeper:
            level = deeper[0][len(parent)]
            self.add(
                "cloudrun/misplaced-field",
                path,
                f"'{key}' is not a field of {schema} ({where}): a '{level}:' level is missing "
                f"above it; it belongs at {format_pattern(deeper[0])}",
                f"put '{key}' under a '{level}:' key in {where}",
            )
            return
        if candidates:
            best = max(candidates, key=lambda c: (_common(c, pattern[:-1]), -len(c)))
            self.add(
                "cloudrun/misplaced-field",
                path,
                f"'{key}' is not a field of {schema} ({where}); it belongs at "
                f"{format_pattern(best)}",
                "move it there (kustomize patches: fix the patch path)",
            )
            return
        fields = ", ".join(sorted(props)) or "none"
        self.add(
            "cloudrun/unknown-field",
            path,
            f"unknown field '{key}' in {schema} ({where}){did_you_mean(key, props)}",
            f"{schema} has: {fields} (Admin API v1 schema of {self.schemas.revision}; a newer "
            "field needs a newer polyinfra)",
        )


def _is_env_value(path: KeyPath) -> bool:
    """Env values may be secrets: problems there never quote them."""
    return len(path) >= 3 and path[-1] == "value" and path[-3] == "env"


def _common(a: Pattern, b: Pattern) -> int:
    count = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        count += 1
    return count


def schema_findings(ctx: CheckContext) -> list[SchemaFinding]:
    """Walk every Service and Job once; all schema rules share the result."""
    findings: list[SchemaFinding] = []
    for manifest in ctx.manifests:
        root = discovery.ROOTS.get((manifest.api_version or "", manifest.kind or ""))
        if root is None:
            continue
        walker = _Walker(manifest, root)
        walker.object(root, manifest.data, (), ())
        findings += walker.findings
    return findings
