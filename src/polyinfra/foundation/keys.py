"""The keys of a stack file: the namespaces polyinfra reads (``gcp:``, ``input:``, ``label:``),
the pulumi-gcp provider settings, the pass-through arguments checked against the installed
provider, and pydantic's errors mapped to the key they are about. ``validate_raw`` builds the
model from the split namespaces and runs the semantic checks
(:mod:`polyinfra.foundation.validation`).
"""

from __future__ import annotations

import importlib.util
import re
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ValidationError,
)

from polyinfra import values
from polyinfra.errors import UserError
from polyinfra.foundation import argspec
from polyinfra.foundation.arguments import ARGUMENT_VALUES
from polyinfra.foundation.model import (
    NAMESPACES,
    AlertPolicy,
    ArtifactRegistry,
    BigQueryDataset,
    BigQueryTable,
    Bucket,
    ConfigWarning,
    Dashboard,
    Findings,
    InputConfig,
    LogMetric,
    SchedulerJob,
    Secret,
    ServiceAccount,
    StackConfig,
    Subscription,
    Topic,
    doc_path,
)
from polyinfra.foundation.passthrough import PassThrough
from polyinfra.foundation.platform_model import (
    Deployer,
    Network,
    NotificationChannel,
    Subnet,
)
from polyinfra.positions import Position
from polyinfra.suggest import closest
from polyinfra.values.types import encrypted_as
from polyinfra.yamlio import (
    Bounds,
    KeyPath,
    YamlDocument,
)


def parse_config_key(key: str) -> tuple[str, str] | None:
    """``<namespace>:<name>`` -> ``(namespace, name)`` the way Pulumi reads a stack-file key,
    its older ``<namespace>:config:<name>`` form too; None for a key Pulumi rejects."""
    parts = key.split(":")
    if len(parts) == 2:
        return parts[0], parts[1]
    if len(parts) == 3 and parts[1] == "config":
        return parts[0], parts[2]
    return None


def misspelt_key(key: str, project: str | None = None) -> str | None:
    """The key polyinfra reads that ``key`` was probably meant to be (``inptu:environment`` ->
    ``input:environment``), or None.

    A key of another namespace goes to the program untouched; it is reported only when its
    namespace is close to one of ours, is not the Pulumi project's own and its name is one
    that namespace reads.
    """
    parsed = parse_config_key(key)
    if parsed is None:
        return None
    namespace, name = parsed
    if namespace in NAMESPACES or namespace == project:
        return None
    close = closest(namespace, NAMESPACES)
    if close == "input" and name in InputConfig.model_fields:
        return f"input:{name}"
    if close == "gcp" and name in provider_config_keys():
        return f"gcp:{name}"
    if close == "label" and re.fullmatch(r"[a-z][a-z0-9_-]{0,62}", name):
        return f"label:{name}"
    return None


def split_namespaces(
    config: dict[str, Any], anchored: set[str], errors: Findings, project: str | None
) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "gcp": {},
        "input": {},
        "labels": {},
        "shared_keys": [],
        # the program's own keys, by namespace: read only to find references nothing resolves
        "program": {},
    }
    input_fields = set(InputConfig.model_fields)
    own = f"`{project}:<name>`" if project else "`<project>:<name>` (the name in Pulumi.yaml)"
    written: dict[str, str] = {}  # <namespace>:<name> -> the key as written
    for full_key, value in config.items():
        key = str(full_key)
        doc_path: KeyPath = ("config", full_key)
        position = errors.doc.position(doc_path) if errors.doc else None
        parsed = parse_config_key(key)
        if parsed is None:
            what = "has no namespace" if ":" not in key else "has too many ':'"
            errors.items.append(
                UserError(
                    f"config key '{key}' {what}: Pulumi reads only `<namespace>:<name>` keys",
                    position=position,
                    hint=f"polyinfra reads `input:...`, `gcp:...` and `label:...`; your "
                    f"program's own settings go under {own}, as `pulumi config set` writes them",
                )
            )
            continue
        namespace, name = parsed
        canonical = f"{namespace}:{name}"
        if canonical in written:
            errors.items.append(
                UserError(
                    f"config key '{key}' is '{written[canonical]}' written again: Pulumi "
                    "would keep only one of the two values",
                    position=position,
                    hint=f"keep one of them, spelt '{canonical}'",
                )
            )
            continue
        written[canonical] = key
        if namespace not in NAMESPACES:
            meant = misspelt_key(key, project)
            if meant is not None:
                errors.warnings.append(
                    ConfigWarning(
                        position or Position(errors.file),
                        f"config key '{key}' goes to the program untouched: polyinfra reads "
                        f"only gcp:, input: and label: keys; did you mean '{meant}'?",
                    )
                )
            raw["program"].setdefault(namespace, {})[name] = value
            continue
        if namespace == "gcp":
            raw["gcp"][name] = value
        elif namespace == "label":
            raw["labels"][name] = value
        elif name in input_fields:
            raw["input"][name] = value
        elif key in anchored:
            raw["shared_keys"].append(name)
        else:
            close = closest(name, input_fields)
            errors.items.append(
                UserError(
                    f"unknown key '{key}'",
                    position=position,
                    hint=f"did you mean 'input:{close}'?"
                    if close
                    else "keys under input: are "
                    + ", ".join(sorted(input_fields))
                    + " (or a key that only holds a YAML anchor for reuse); your program's "
                    f"own settings go under {own}",
                )
            )
    return raw


# --- validation ------------------------------------------------------------------------------

_PROJECT_SECTIONS: dict[str, type[PassThrough]] = {
    "service_account": ServiceAccount,
    "artifact_registry": ArtifactRegistry,
    "bigquery_dataset": BigQueryDataset,
    "bigquery_tables": BigQueryTable,
    "cloud_storage": Bucket,
    "cloud_scheduler": SchedulerJob,
    "pubsub_topics": Topic,
    "secrets": Secret,
}
_MONITORING_SECTIONS: dict[str, type[PassThrough]] = {
    "log_based_metrics": LogMetric,
    "alert_policies": AlertPolicy,
    "dashboard": Dashboard,
}


def validate_raw(
    raw: dict[str, Any],
    stack: str,
    program_dir: Path,
    errors: Findings,
    doc: YamlDocument | None,
    bounds: Bounds,
) -> StackConfig:
    _check_gcp_keys(raw["gcp"], errors)
    _check_pass_through(raw["input"], errors)
    from polyinfra.foundation import anyresource_checks

    anyresource_checks.check_raw(raw, errors)
    model: StackConfig | None = None
    try:
        model = StackConfig.model_validate(
            {
                "stack": stack,
                "gcp": raw["gcp"],
                "input": raw["input"],
                "labels": raw["labels"],
                "shared_keys": tuple(raw["shared_keys"]),
                "file": errors.file,
                "program_dir": program_dir.resolve(),
            },
            context=encrypted_as(argspec.SECRET_PLACEHOLDER),
        )
    except ValidationError as exc:
        _add_pydantic_errors(exc, errors)
    if model is None or errors.malformed:
        errors.raise_if_any()
    assert model is not None  # values of the wrong kind only: the cross-checks still run
    model._bounds = bounds
    from polyinfra.foundation import validation

    validation.check(model, errors)
    errors.raise_if_any()
    model = model.model_copy(update={"warnings": tuple(sorted(errors.warnings))})
    model._document = doc
    model._bounds = bounds
    return model


def _check_gcp_keys(gcp: dict[str, Any], errors: Findings) -> None:
    known = provider_config_keys()
    for key in gcp:
        if key not in known:
            close = closest(key, known)
            errors.add(
                ("gcp", key),
                "unknown pulumi-gcp provider setting",
                f"did you mean 'gcp:{close}'?" if close else None,
            )


@cache
def provider_config_keys() -> frozenset[str]:
    """Every ``gcp:`` setting the installed pulumi-gcp reads (from its config module source,
    so that pulumi-gcp itself need not be imported)."""
    found = importlib.util.find_spec("pulumi_gcp")
    if found is None or not found.submodule_search_locations:
        return frozenset({"project", "region", "zone"})
    source = Path(next(iter(found.submodule_search_locations))) / "config" / "vars.py"
    names = re.findall(r"__config__\.get\w*\('(\w+)'\)", source.read_text(encoding="utf-8"))
    return frozenset(names) | {"project", "region", "zone"}


def _check_pass_through(input_raw: dict[str, Any], errors: Findings) -> None:
    projects = input_raw.get("projects")
    if isinstance(projects, dict):
        for name, project in projects.items():
            if not isinstance(project, dict):
                continue
            for section, model in _PROJECT_SECTIONS.items():
                if section in project:
                    base: KeyPath = ("input", "projects", name, section)
                    _check_section(project[section], model, base, errors)
    monitoring = input_raw.get("monitoring")
    if isinstance(monitoring, dict):
        for section, model in _MONITORING_SECTIONS.items():
            if section in monitoring:
                base = ("input", "monitoring", section)
                _check_section(monitoring[section], model, base, errors)
    _check_platform(input_raw, errors)


def _check_platform(input_raw: dict[str, Any], errors: Findings) -> None:
    """The pass-through parts of the platform sections: the deployer's account, each network
    and its subnets, each notification channel."""
    identity = input_raw.get("workload_identity")
    if isinstance(identity, dict) and "deployer" in identity:
        base: KeyPath = ("input", "workload_identity", "deployer")
        _check_section(identity["deployer"], Deployer, base, errors)
    networks = input_raw.get("networks")
    if isinstance(networks, list):  # anything else is "expected a list", from the model
        _check_section(networks, Network, ("input", "networks"), errors)
        for index, network in enumerate(networks):
            if isinstance(network, dict) and isinstance(network.get("subnets"), list):
                base = ("input", "networks", index, "subnets")
                _check_section(network["subnets"], Subnet, base, errors)
    channels = input_raw.get("notification_channels")
    if isinstance(channels, list):
        base = ("input", "notification_channels")
        _check_section(channels, NotificationChannel, base, errors)


def _check_section(value: Any, model: type[PassThrough], base: KeyPath, errors: Findings) -> None:
    if isinstance(value, dict):
        _check_one(value, model, base, errors)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, dict):
                _check_one(item, model, (*base, index), errors)


def _check_one(
    value: dict[str, Any], model: type[PassThrough], base: KeyPath, errors: Findings
) -> None:
    value = model.expand(value)
    own = {key: value[key] for key in value if key in model.OWN}
    provider = {key: value[key] for key in value if key not in model.OWN}
    # Our required fields that are also provider arguments are reported by pydantic.
    ours_required = {
        name for name, field in model.model_fields.items() if field.is_required()
    } - model.OWN
    for issue in argspec.check_args(
        provider,
        model.ARGS,
        supplied=model.SUPPLIED | ours_required | model.EXCLUDED,
        excluded=model.EXCLUDED,
        values=ARGUMENT_VALUES,
    ):
        issue = _with_own(issue, model)
        if len(issue.path) == 1 and issue.path[0] in model.SHORTHANDS:
            # the key also takes a string: say so
            issue = argspec.ArgIssue(
                issue.path,
                issue.message.replace("expected a mapping", "expected a string or a mapping"),
                issue.hint or model.SHORTHANDS[str(issue.path[0])],
                issue.at_key,
            )
        errors.malformed |= not issue.of_value
        errors.add((*base, *issue.path), issue.message, issue.hint, value=not issue.at_key)
    if model is Topic and isinstance(own.get("subscriptions"), list):
        for index, item in enumerate(own["subscriptions"]):
            if isinstance(item, dict):
                _check_one(item, Subscription, (*base, "subscriptions", index), errors)


def _with_own(issue: argspec.ArgIssue, model: type[PassThrough]) -> argspec.ArgIssue:
    """Re-suggest an unknown top-level key among the provider's arguments and our own keys."""
    if len(issue.path) != 1 or not issue.message.startswith("unknown key"):
        return issue
    allowed = [f for f in argspec.field_names(model.ARGS) if f not in model.EXCLUDED]
    return argspec.unknown_key_issue((), str(issue.path[0]), allowed + sorted(model.OWN))


_PYDANTIC_MESSAGES = {
    "string_type": "expected a string",
    "bool_type": "expected a boolean (true/false)",
    "bool_parsing": "expected a boolean (true/false)",
    "int_type": "expected an integer",
    "int_parsing": "expected an integer",
    "list_type": "expected a list",
    "dict_type": "expected a mapping",
    "model_type": "expected a mapping",
    "model_attributes_type": "expected a mapping",
}


def _add_pydantic_errors(exc: ValidationError, errors: Findings) -> None:
    for error in exc.errors(include_input=False, include_url=False):
        loc = tuple(error["loc"])
        kind = error["type"]
        if kind == "missing":
            parent, key = loc[:-1], str(loc[-1])
            errors.add(parent, f"missing required key '{key}'", f"add '{key}'")
        elif kind == "extra_forbidden":
            parent, key = loc[:-1], str(loc[-1])
            errors.add(loc, f"unknown key '{key}'", _did_you_mean(parent, key))
        elif isinstance(invalid := error.get("ctx", {}).get("error"), values.InvalidValue):
            path = (*loc, *invalid.at)
            if doc_path(errors.doc, path) not in errors.reported:
                errors.add(path, invalid.message, invalid.hint, value=not invalid.at_key)
        elif doc_path(errors.doc, loc) not in errors.reported:
            message = _PYDANTIC_MESSAGES.get(kind, error["msg"])
            errors.add(loc, message, value=True)


def _did_you_mean(parent: KeyPath, key: str) -> str | None:
    model = _model_at(parent)
    if model is None:
        return None
    choices = list(model.model_fields)
    if issubclass(model, PassThrough):
        choices += argspec.field_names(model.ARGS)
    close = closest(key, choices)
    if close:
        return f"did you mean '{close}'?"
    return "accepted keys: " + ", ".join(sorted(choices))


def _model_at(path: KeyPath) -> type[BaseModel] | None:
    model: type[BaseModel] = StackConfig
    for step in path:
        if isinstance(step, int):
            continue
        field = model.model_fields.get(str(step))
        if field is None:
            if model is InputConfig or model is StackConfig:
                return None
            continue  # a dict key such as the project name
        annotation = field.annotation
        found = _model_in(annotation)
        if found is None:
            return None
        model = found
    return model


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None
