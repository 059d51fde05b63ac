"""``[tool.polyinfra]`` in ``infrastructure/pyproject.toml``: every setting polyinfra reads.

Each field has a default, so an absent or empty table is valid. Unknown keys are errors.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ByteSize, ConfigDict, Field, field_validator

from polyinfra.workspace.model import AppKind

# --- [tool.polyinfra.rules]: read by the rule engine ---------------------------------------

LevelName = Literal["error", "warning", "info"]


class CloudRunRuleOptions(BaseModel):
    """``[tool.polyinfra.rules.cloudrun]``: limits where Cloud Run's own docs disagree."""

    model_config = ConfigDict(extra="forbid")

    job_startup_window_seconds: int = Field(
        default=600,
        ge=1,
        description="Largest failureThreshold x periodSeconds of a job's startup probe "
        "(the English docs say 600 s, some translations 240 s).",
    )
    job_task_timeout_seconds: int = Field(
        default=168 * 3600, ge=1, description="Largest job task timeoutSeconds (168 h)."
    )


class RulesSettings(BaseModel):
    """``[tool.polyinfra.rules]``."""

    model_config = ConfigDict(extra="forbid")

    disable: list[str] = Field(
        default_factory=list,
        description="Rule ids (or namespaces such as 'cloudrun') that never run.",
    )
    levels: dict[str, LevelName] = Field(
        default_factory=dict,
        description="Rule id (or namespace) -> level: error, warning or info.",
    )
    cloudrun: CloudRunRuleOptions = Field(default_factory=CloudRunRuleOptions)


#: A size in bytes: an integer, or a string with a unit ("64MiB", "500KB", "1GiB").
FileSize = Annotated[ByteSize, Field(gt=0)]

_OVERLAYS = (
    "Folder holding the app's overlays, one folder per environment, relative to the app "
    "folder; '.' when the environment folders sit beside base/ (every sibling folder of base/ "
    "that holds a kustomization is an overlay)."
)
_KIND_FROM_BASE = (
    "read from the base's manifests (a Job is a job; a Service labelled workload-type: "
    "cloud-function or annotated run.googleapis.com/client-name: cloudfunctions is a function, "
    "any other Service a service)."
)
_OVERLAY_ENVIRONMENTS = (
    "Overlay folder name -> environment name, for overlays named otherwise than the "
    'workspace\'s environments, e.g. {dev = "sandbox", prod = "production"}.'
)


class AppSettings(BaseModel):
    """``[tool.polyinfra.apps.<app>]``: per-app settings.

    Apps are found under ``infrastructure/cloudrun*/``; ``path`` declares one anywhere else.
    ``overlays``, ``kind`` and ``overlay_environments`` apply to the app of this name wherever
    it is found, and take precedence over those of an ``app_paths`` entry.
    """

    model_config = ConfigDict(extra="forbid")

    project: str | None = Field(
        default=None,
        description="Polylith project (folder under projects/) that the app deploys. "
        "Default: the project with the app's name, '-' and '_' treated alike; else the "
        "input:projects entry of the stack files that creates the service account the app "
        "runs as or schedules it, when every stack file agrees.",
    )
    image: str | None = Field(
        default=None,
        description="Name of the app's image inside its project's Artifact Registry "
        "repository. Default: the app's name. Images are "
        "<location>-docker.pkg.dev/<gcp:project>/<repository_id>/<image>:<version>.",
        pattern=r"^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$",
    )
    path: str | None = Field(
        default=None,
        description="The app's folder (the one holding base/), relative to the workspace "
        'root, e.g. "deploy/billing/manifests": declares an app outside '
        "infrastructure/cloudrun*/.",
    )
    overlays: str | None = Field(
        default=None, description=_OVERLAYS + " Default: the app_paths entry's, else 'overlays'."
    )
    kind: AppKind | None = Field(
        default=None,
        description="service, job or function. Default: the kind folder under infrastructure/ "
        "the app is in, else the app_paths entry's, else " + _KIND_FROM_BASE,
    )
    overlay_environments: dict[str, str] = Field(
        default_factory=dict, description=_OVERLAY_ENVIRONMENTS
    )


class AppPathSettings(BaseModel):
    """``[[tool.polyinfra.app_paths]]``: many apps found by one glob.

    Each folder the glob matches (relative to the workspace root) that holds a base/ is one
    app, named after the folder the pattern's last wildcard matches: ``deploy/*/manifests``
    finds ``deploy/billing/manifests`` as the app ``billing``. A plain string in the list is
    the glob with the defaults below: ``app_paths = ["deploy/*/manifests"]``.
    """

    model_config = ConfigDict(extra="forbid")

    glob: str = Field(
        description="Glob of app folders relative to the workspace root ('*' within a folder "
        "name, '**' across folders)."
    )
    overlays: str = Field(default="overlays", description=_OVERLAYS)
    kind: AppKind | None = Field(
        default=None, description="service, job or function. Default: " + _KIND_FROM_BASE
    )
    overlay_environments: dict[str, str] = Field(
        default_factory=dict, description=_OVERLAY_ENVIRONMENTS
    )


DEFAULT_IGNORE = (
    "*.md",
    "docs/**",
    "LICENSE",
    ".gitignore",
    ".github/CODEOWNERS",
    ".github/ISSUE_TEMPLATE/**",
    "test/**",
    "development/**",
)
DEFAULT_GLOBAL_FILES = (
    "uv.lock",
    "pyproject.toml",
    "workspace.toml",
    ".python-version",
    "Dockerfile",
    ".dockerignore",
)


class AffectedSettings(BaseModel):
    """``[tool.polyinfra.affected]``: how changed paths map to what must be delivered."""

    model_config = ConfigDict(extra="forbid")

    ignore: list[str] = Field(
        default_factory=lambda: list(DEFAULT_IGNORE),
        description="gitignore patterns of paths that affect nothing (documentation, tests, "
        "files no image or stack reads), read as git reads them: a pattern without an inner '/' "
        "matches the name anywhere, '**' spans folders, '[...]' is a character class, a later "
        "'!pattern' takes paths back. Workflow files under .github/workflows/ are not ignored "
        "by default: a change to the delivery pipeline redeploys everything through the new "
        "pipeline.",
    )
    global_files: list[str] = Field(
        default_factory=lambda: list(DEFAULT_GLOBAL_FILES),
        description="gitignore patterns, relative to the workspace root, of the files every "
        "project's image is built from; a change affects every project (uv.lock is narrowed "
        "to the changed packages' users).",
    )


class CiWorkflowNames(BaseModel):
    """``[tool.polyinfra.ci.workflows]``: the ``name:`` of each generated workflow."""

    model_config = ConfigDict(extra="forbid")

    check: str = Field(default="Check", description="Pull-request checks: check and plan --diff.")
    provision: str = Field(
        default="Infrastructure Provision", description="Foundation stack: polyinfra provision."
    )
    deploy: str = Field(
        default="Deploy", description="Application stack on push to main: affected, build, deploy."
    )
    sandbox_deploy: str = Field(
        default="Sandbox Deploy",
        description="Application stack into sandbox from a labelled pull request.",
    )


class CiSettings(BaseModel):
    """``[tool.polyinfra.ci]``: inputs of the generated GitHub Actions workflows.

    GCP values are read from GitHub variables (``vars.<NAME>``), so each GitHub environment
    can hold its own; the settings name those variables.
    """

    model_config = ConfigDict(extra="forbid")

    workflows: CiWorkflowNames = Field(default_factory=CiWorkflowNames)
    main_branch: str = Field(default="main", description="Branch whose pushes deploy production.")
    runs_on: str = Field(default="ubuntu-latest", description="Runner label of every job.")
    production_environment: str = Field(
        default="production",
        description="Environment (overlay) deployed on push to main; also the protected "
        "GitHub environment (add required reviewers to it) that production jobs run in.",
    )
    sandbox_environment: str = Field(
        default="sandbox",
        description="Environment (overlay and GitHub environment) of label-triggered deploys "
        "and provisioning.",
    )
    provision_label: str = Field(
        default="provision infrastructure",
        description="Pull-request label that provisions the sandbox foundation stack.",
    )
    sandbox_deploy_label: str = Field(
        default="sandbox deploy",
        description="Pull-request label that deploys the pull request's apps to sandbox.",
    )
    python_version_file: str = Field(
        default="pyproject.toml", description="`python-version-file` of actions/setup-python."
    )
    uv_version: str = Field(default="0.7.8", description="uv version astral-sh/setup-uv installs.")
    tool_project: str = Field(
        default="infrastructure",
        description="Folder of the uv project that has polyinfra as a dependency; CI runs "
        "`uv sync --frozen` there and puts its .venv/bin on PATH.",
    )
    region_variable: str = Field(
        default="REGION", description="GitHub variable holding the Cloud Run region."
    )
    project_id_variable: str = Field(
        default="GCP_PROJECT_ID", description="GitHub variable holding the GCP project id."
    )
    workload_identity_provider_variable: str = Field(
        default="WIF_PROVIDER",
        description="GitHub variable holding the Workload Identity Federation provider "
        "(projects/N/locations/global/workloadIdentityPools/P/providers/X).",
    )
    service_account_variable: str = Field(
        default="WIF_SERVICE_ACCOUNT",
        description="GitHub variable holding the service account the workflows impersonate.",
    )
    project_number_variable: str = Field(
        default="GCP_PROJECT_NUMBER",
        description="When an environment's stack file declares input:workload_identity, the "
        "workflows authenticate through that provider as its deployer, read from the stack "
        "file; only the project number is not known offline. It is read from the GitHub "
        "variable <this>_<ENVIRONMENT> (the environment upper-cased, other characters than "
        "letters and digits as '_'), e.g. GCP_PROJECT_NUMBER_PRODUCTION, one per environment "
        "so that build jobs, which run in no GitHub environment, find it too.",
    )
    pulumi_backend_variable: str = Field(
        default="PULUMI_BACKEND_URL",
        description="GitHub variable holding the Pulumi state backend (gs://bucket).",
    )
    pulumi_passphrase_secret: str = Field(
        default="PULUMI_CONFIG_PASSPHRASE",
        description="GitHub secret holding the Pulumi config passphrase.",
    )


class DeploySettings(BaseModel):
    """``[tool.polyinfra.deploy]``: how `polyinfra deploy` paces itself.

    The command-line options of the same names take precedence. The Admin API quotas are per
    project and region; the console's Quotas & System Limits page shows a project's own (see
    "Concurrency and the Admin API quotas" in docs/deploy.md). A 429 still backs off and retries.
    """

    model_config = ConfigDict(extra="forbid")

    # the defaults are polyinfra.deploy's DEFAULT_CONCURRENCY, DEFAULT_WRITES_PER_MINUTE and
    # DEFAULT_READS_PER_MINUTE (a test keeps them equal)
    concurrency: int = Field(
        default=32,
        ge=1,
        description="Apps deployed at the same time (`--concurrency`): every app of a deploy, "
        "up to this many.",
    )
    max_writes_per_minute: int = Field(
        default=60,
        ge=2,
        description="Cloud Run Admin API writes (create, replace, delete, run) a deploy sends "
        "per minute per region, all apps together (`--max-writes-per-minute`): at most this many "
        "in any 60 seconds, half of them at once. Keep it at or below the project's 'Write "
        "requests per minute per region' quota.",
    )
    max_reads_per_minute: int = Field(
        default=600,
        ge=2,
        description="Cloud Run Admin API reads (gets, lists, readiness polls) a deploy sends per "
        "minute per region, all apps together: at most this many in any 60 seconds, half of "
        "them at once. Keep it at or below the project's 'Read requests per minute per region' "
        "quota.",
    )


class Settings(BaseModel):
    """The whole ``[tool.polyinfra]`` table."""

    model_config = ConfigDict(extra="forbid")

    apps: dict[str, AppSettings] = Field(default_factory=dict)
    app_paths: list[AppPathSettings] = Field(
        default_factory=list,
        description="Globs of app folders outside infrastructure/cloudrun*/, relative to the "
        'workspace root, e.g. ["deploy/*/manifests"]; see [[tool.polyinfra.app_paths]].',
    )
    environments: dict[str, str] = Field(
        default_factory=dict,
        description="Environment (overlay) name -> Pulumi stack name, where they differ, e.g. "
        '{dev = "sandbox"}.',
    )
    affected: AffectedSettings = Field(default_factory=AffectedSettings)
    ci: CiSettings = Field(default_factory=CiSettings)
    deploy: DeploySettings = Field(default_factory=DeploySettings)
    placeholders: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="Environment -> {PLACEHOLDER: value}: extra placeholders `polyinfra render` "
        "replaces in the kustomize output, like VERSION_PLACEHOLDER, e.g. "
        '[tool.polyinfra.placeholders.production] GCP_REGION_ABBREV_PLACEHOLDER = "ase1".',
    )
    external_service_accounts: list[str] = Field(
        default_factory=list,
        description="Service accounts (emails, '*' wildcards allowed) that apps may run as "
        "although no foundation stack creates them, e.g. accounts managed by another team.",
    )
    public_services: list[str] = Field(
        default_factory=list,
        description="Apps (Cloud Run services) that are public on purpose: only these may be "
        "granted to allUsers / allAuthenticatedUsers.",
    )
    allow_remote_resources: bool = Field(
        default=False,
        description="Let kustomizations load remote resources (URLs, git repositories). Off by "
        "default: a render must depend only on files in the workspace.",
    )
    max_file_size: FileSize = Field(
        default="64MiB",  # polyinfra.yamlio.text.MAX_FILE_SIZE
        validate_default=True,
        description="The largest file polyinfra reads: stack files, manifests, kustomizations, "
        "the JSON files a stack names. A larger file stops the command with an error at the "
        "file, as does one that is not a regular file (a device, a named pipe) or that "
        "resolves outside the workspace (symbolic links followed).",
    )
    rules: RulesSettings = Field(
        default_factory=RulesSettings,
        description="[tool.polyinfra.rules]: rules switched off, rule levels, rule limits.",
    )

    @field_validator("app_paths", mode="before")
    @classmethod
    def _glob_strings(cls, value: Any) -> Any:
        """A plain string in ``app_paths`` is an entry with that glob and the defaults."""
        if isinstance(value, list):
            return [{"glob": item} if isinstance(item, str) else item for item in value]
        return value
