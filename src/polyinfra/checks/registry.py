"""Every rule, listed explicitly (no discovery by import or globbing)."""

from __future__ import annotations

from polyinfra.checks.rule import Rule
from polyinfra.checks.rules.cloudrun import (
    annotation,
    containers,
    env,
    functions,
    gpu,
    hygiene,
    images,
    limits,
    mistakes,
    schema,
)
from polyinfra.checks.rules.config.namespaces import NamespaceTypo
from polyinfra.checks.rules.config.roles import DeprecatedRole
from polyinfra.checks.rules.config.stack_file import StackPlans, StackValid
from polyinfra.checks.rules.crossstack import grants as grant_targets
from polyinfra.checks.rules.crossstack import (
    identity,
    projects,
    registry,
    scheduler,
    secrets,
    triggers,
)
from polyinfra.checks.rules.manifest.invalid_yaml import InvalidYaml
from polyinfra.checks.rules.manifest.not_a_manifest import NotAManifest
from polyinfra.checks.rules.manifest.unrendered_template import UnrenderedTemplate
from polyinfra.checks.rules.patches import paths as patch_paths
from polyinfra.checks.rules.patches import targets as patch_targets
from polyinfra.checks.rules.policy import foundation, grants, plain_secrets
from polyinfra.checks.rules.workspace import (
    apps,
    dockerfile,
    function_image,
    infra_project,
    layout,
    uv_lock,
)
from polyinfra.checks.rules.workspace import functions as function_code

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
    schema.UnsupportedField(),
    # limits and contract
    limits.TimeoutLimits(),
    limits.ProbeLimits(),
    limits.ContainerConcurrency(),
    limits.Resources(),
    gpu.Gpu(),
    limits.Scaling(),
    annotation.AnnotationPlacement(),
    annotation.UnknownAnnotation(),
    annotation.JobAnnotations(),
    annotation.AnnotationValues(),
    containers.Containers(),
    containers.Name(),
    containers.Ports(),
    containers.JobShape(),
    env.ReservedEnv(),
    containers.StartupProbe(),
    env.SecretKeyRef(),
    env.SecretsAnnotation(),
    env.VariableReference(),
    # the spec's common mistakes
    mistakes.StartupFailureThreshold(),
    mistakes.StartupInitialDelay(),
    mistakes.StartupTimeout(),
    # hygiene
    images.ImageReference(),
    images.ImageTag(),
    images.ProductionImageTag(),
    images.ImageHost(),
    hygiene.SecretLiteral(),
    hygiene.ServiceAccount(),
    hygiene.LabelValues(),
    hygiene.JobMaxRetries(),
    # functions
    functions.FunctionConcurrency(),
    functions.FunctionMinScale(),
    functions.FunctionHttpProbe(),
    functions.EventFunctionHttpProbe(),
)

_STACK_VALID = StackValid()
_CROSSSTACK_LINKS: tuple[Rule, ...] = (
    identity.ServiceAccountExists(),
    identity.NamespaceProject(),
    secrets.SecretDeclared(),
    secrets.SecretReadable(),
    registry.ImageRegistry(),
)
#: The links between the apps and their environment's foundation stack that ``polyinfra
#: deploy`` checks for the apps it deploys (besides the manifest rules; ``--skip-checks`` skips
#: these): the stack file reads and validates, the service account exists, the namespace is the
#: stack's project, the secrets are declared and readable, the image is in a repository of the
#: stack's project and region.
LINK_RULES: tuple[Rule, ...] = (_STACK_VALID, *_CROSSSTACK_LINKS)

#: Rules on a whole workspace: its layout, the foundation stack files, the seam between the
#: two stacks, and policy, in documentation order.
WORKSPACE_RULES: tuple[Rule, ...] = (
    # workspace conventions
    layout.InfrastructureFolder(),
    layout.InfraNotUvMember(),
    layout.NoInfraInProjects(),
    infra_project.InfraDependencies(),
    infra_project.InfraNoReadmeField(),
    infra_project.InfraNoReadmeFile(),
    infra_project.PulumiPythonRuntime(),
    uv_lock.UvLock(),
    apps.AppHasOverlay(),
    apps.OverlayReachesBase(),
    apps.OverlayNamespace(),
    apps.OverlayRenders(),
    dockerfile.DockerfileBricks(),
    dockerfile.DockerfileUnverified(),
    function_code.FunctionTarget(),
    function_code.FunctionSignature(),
    function_image.FunctionsFrameworkDependency(),
    function_image.FunctionStartCommand(),
    # kustomize patches, on the source overlays
    patch_paths.UnescapedAnnotationKey(),
    patch_paths.MissingPath(),
    patch_targets.TargetMatchesNothing(),
    patch_paths.WrongKindPath(),
    # foundation stack files
    _STACK_VALID,
    StackPlans(),
    NamespaceTypo(),
    DeprecatedRole(),
    # cross-stack consistency
    *_CROSSSTACK_LINKS,
    scheduler.SchedulerTarget(),
    scheduler.SchedulerRegion(),
    scheduler.SchedulerInvoker(),
    grant_targets.GrantTarget(),
    scheduler.JobTrigger(),
    triggers.TriggerSource(),
    triggers.TriggerFunction(),
    projects.AppProjectExists(),
    projects.ProjectWithoutApp(),
    projects.ProjectDockerfile(),
    # policy
    foundation.NoPrimitiveRoles(),
    grants.ProjectWideGrant(),
    foundation.NoPublicMembers(),
    foundation.BucketAccess(),
    foundation.Labels(),
    foundation.ProtectStateful(),
    plain_secrets.NoPlainSecrets(),
)

#: What ``polyinfra check`` runs (and ``check --list-rules`` lists): the manifest rules on every
#: rendered overlay, and the workspace rules.
CHECK_RULES: tuple[Rule, ...] = MANIFEST_RULES + WORKSPACE_RULES

#: Every rule polyinfra has (``check`` runs them all).
ALL_RULES: tuple[Rule, ...] = CHECK_RULES

#: What ``polyinfra lint`` runs: the manifest rules, and the report of overlays that fail to
#: render (the same rule object ``check`` uses).
LINT_RULES: tuple[Rule, ...] = (
    *MANIFEST_RULES,
    *(rule for rule in WORKSPACE_RULES if rule.ID == "workspace/overlay-renders"),
)


def by_id() -> dict[str, Rule]:
    """Rule id -> rule."""
    return {rule.ID: rule for rule in ALL_RULES}
