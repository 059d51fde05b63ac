"""Every rule, listed explicitly (no discovery by import or globbing)."""

from __future__ import annotations

from polyinfra.checks.rule import Rule
from polyinfra.checks.rules.cloudrun import schema
from polyinfra.checks.rules.manifest.invalid_yaml import InvalidYaml
from polyinfra.checks.rules.manifest.unrendered_template import UnrenderedTemplate

#: Rules ``polyinfra lint`` runs on manifests, in documentation order.
MANIFEST_RULES: tuple[Rule, ...] = (
    InvalidYaml(),
    UnrenderedTemplate(),
    schema.UnknownField(),
    schema.MisplacedField(),
    schema.KubernetesField(),
    schema.SchemaType(),
    schema.StringInteger(),
)

#: Every rule polyinfra has.
ALL_RULES: tuple[Rule, ...] = MANIFEST_RULES


def by_id() -> dict[str, Rule]:
    """Rule id -> rule."""
    return {rule.ID: rule for rule in ALL_RULES}
