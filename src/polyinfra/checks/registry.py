"""Every rule, listed explicitly (no discovery by import or globbing)."""

from __future__ import annotations

from polyinfra.checks.rule import Rule
from polyinfra.checks.rules.cloudrun import contract, hygiene, limits, mistakes, schema
from polyinfra.checks.rules.manifest.invalid_yaml import InvalidYaml
from polyinfra.checks.rules.manifest.not_a_manifest import NotAManifest
from polyinfra.checks.rules.manifest.unrendered_template import UnrenderedTemplate
from polyinfra.checks.rules.patches import paths as patch_paths
from polyinfra.checks.rules.patches import targets as patch_targets

#: Rules ``polyinfra lint`` runs on manifests, in documentation order.
MANIFEST_RULES: tuple[Rule, ...] = (
    InvalidYaml(),
    UnrenderedTemplate(),
    NotAManifest(),
    # schema
    schema.UnknownField(),
    schema.MisplacedField(),
    schema.KubernetesField(),
    schema.SchemaType(),
    schema.StringInteger(),
    # limits and contract
    limits.TimeoutLimits(),
    limits.ProbeLimits(),
    limits.ContainerConcurrency(),
    limits.Resources(),
    limits.Scaling(),
    contract.AnnotationPlacement(),
    contract.JobAnnotations(),
    contract.AnnotationValues(),
    contract.Containers(),
    contract.Ports(),
    contract.JobShape(),
    contract.ReservedEnv(),
    contract.StartupProbe(),
    contract.SecretKeyRef(),
    contract.SecretsAnnotation(),
    # the spec's common mistakes
    mistakes.StartupFailureThreshold(),
    mistakes.StartupInitialDelay(),
    mistakes.StartupTimeout(),
    # hygiene
    hygiene.ImageTag(),
    hygiene.SecretLiteral(),
    hygiene.ServiceAccount(),
    hygiene.LabelValues(),
    hygiene.JobMaxRetries(),
)

#: Kustomize patch rules, run on the source overlays of a workspace's apps.
PATCH_RULES: tuple[Rule, ...] = (
    patch_paths.UnescapedAnnotationKey(),
    patch_paths.MissingPath(),
    patch_targets.TargetMatchesNothing(),
    patch_paths.WrongKindPath(),
)

#: Every rule polyinfra has.
ALL_RULES: tuple[Rule, ...] = MANIFEST_RULES + PATCH_RULES


def by_id() -> dict[str, Rule]:
    """Rule id -> rule."""
    return {rule.ID: rule for rule in ALL_RULES}
