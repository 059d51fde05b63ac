"""The four GitHub Actions workflows of the delivery flow, built from ``[tool.polyinfra.ci]``.

- ``check.yaml``: pull requests run ``polyinfra check`` and an offline foundation plan diff.
- ``infrastructure-provision.yaml``: the foundation; production by manual dispatch into the
  protected environment, sandbox from a pull-request label.
- ``deploy.yaml``: push to main -> ``polyinfra affected`` -> build the ``rebuild`` images ->
  ``polyinfra deploy`` to production.
- ``sandbox-deploy.yaml``: the same into sandbox from a labelled pull request's code.
"""

from __future__ import annotations

import io
import re
import shlex
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString

from polyinfra.ci import actions
from polyinfra.ci.actions import PinnedAction
from polyinfra.errors import UserError, UserErrors
from polyinfra.workspace import Workspace
from polyinfra.workspace.settings import CiSettings
from polyinfra.workspace.tomlfile import key_position

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ENV_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
# Written into shell scripts unquoted-safe: no spaces, quotes or expansions.
_PATH = re.compile(r"^[A-Za-z0-9_.][A-Za-z0-9_./-]*$")


@dataclass(frozen=True)
class Workflow:
    """One generated workflow file: its name under ``.github/workflows/`` and its YAML."""

    filename: str
    body: str


def github_workflows(ws: Workspace) -> tuple[Workflow, ...]:
    """Every workflow for ``ws``, in a fixed order; the same inputs give the same bytes."""
    ci = ws.settings.ci
    _validate(ws, ci)
    ctx = _Context(ws, ci)
    return (
        Workflow("check.yaml", _dump(_check(ctx))),
        Workflow("infrastructure-provision.yaml", _dump(_provision(ctx))),
        Workflow("deploy.yaml", _dump(_deploy(ctx, production=True))),
        Workflow("sandbox-deploy.yaml", _dump(_deploy(ctx, production=False))),
    )


class _Context:
    def __init__(self, ws: Workspace, ci: CiSettings) -> None:
        self.ws = ws
        self.ci = ci
        self.production_stack = ws.stack_for_env(ci.production_environment)
        self.sandbox_stack = ws.stack_for_env(ci.sandbox_environment)
        self.stacks = tuple(sorted({s for p in ws.programs for s in p.stacks}))
        tool = ci.tool_project.strip("/") or "."
        self.tool_dir = tool
        self.venv_bin = ".venv/bin" if tool == "." else f"{tool}/.venv/bin"
        self.released_tag = re.sub(r"[^A-Za-z0-9_.-]", "-", ci.main_branch)[:128]

    def var(self, name: str) -> str:
        return "${{ vars." + name + " }}"


def _validate(ws: Workspace, ci: CiSettings) -> None:
    where = ws.infra_pyproject
    errors: list[UserError] = []
    for field in (
        "region_variable",
        "project_id_variable",
        "workload_identity_provider_variable",
        "service_account_variable",
        "pulumi_backend_variable",
        "pulumi_passphrase_secret",
    ):
        value = getattr(ci, field)
        if not _NAME.match(value):
            errors.append(
                UserError(
                    f"[tool.polyinfra.ci] {field} = {value!r} is not a GitHub variable name",
                    position=key_position(where, ("tool", "polyinfra", "ci"), field)
                    if where
                    else None,
                    hint="use letters, digits and underscores, not starting with a digit",
                )
            )
    for field in ("production_environment", "sandbox_environment"):
        value = getattr(ci, field)
        if not _ENV_NAME.match(value):
            errors.append(
                UserError(
                    f"[tool.polyinfra.ci] {field} = {value!r} is not an environment name",
                    position=key_position(where, ("tool", "polyinfra", "ci"), field)
                    if where
                    else None,
                    hint="use the overlay folder name (letters, digits, '.', '_', '-')",
                )
            )
    if not _PATH.match(ci.tool_project):
        errors.append(
            UserError(
                f"[tool.polyinfra.ci] tool_project = {ci.tool_project!r} is not a plain "
                "folder path",
                position=key_position(where, ("tool", "polyinfra", "ci"), "tool_project")
                if where
                else None,
                hint="use a workspace-relative folder such as 'infrastructure' or '.'",
            )
        )
    if errors:
        raise errors[0] if len(errors) == 1 else UserErrors(errors)


# --- building blocks -----------------------------------------------------------------------


def _map(**items: Any) -> CommentedMap:
    result = CommentedMap()
    for key, value in items.items():
        if value is not None:
            result[key.replace("__", "-")] = value
    return result


def _uses(
    name: str, action: PinnedAction, step_id: str | None = None, **with_: Any
) -> CommentedMap:
    step = CommentedMap()
    step["name"] = name
    if step_id:
        step["id"] = step_id
    step["uses"] = action.uses
    step.yaml_add_eol_comment(action.version, "uses")
    if with_:
        step["with"] = _map(**with_)
    return step


def _run(
    name: str, step_id: str, script: str, env: dict[str, str] | None = None, **extra: Any
) -> CommentedMap:
    step = CommentedMap()
    step["name"] = name
    step["id"] = step_id
    for key, value in extra.items():
        step[key] = value
    if env:
        step["env"] = _map(**env)
    text = script.strip("\n") + "\n"
    step["run"] = LiteralScalarString(text) if "\n" in text.strip("\n") else text.strip("\n")
    return step


def _seq(*items: Any) -> CommentedSeq:
    return CommentedSeq(items)


def _flow(*items: str) -> CommentedSeq:
    seq = CommentedSeq(items)
    seq.fa.set_flow_style()
    return seq


def _quote(text: str) -> str:
    """``text`` as a GitHub expression string literal."""
    return "'" + text.replace("'", "''") + "'"


def _checkout(ref: str | None = None, full_history: bool = False) -> CommentedMap:
    return _uses(
        "Check out",
        actions.CHECKOUT,
        ref=ref,
        fetch__depth=0 if full_history else None,
        persist__credentials=False,
    )


def _setup(ctx: _Context) -> list[CommentedMap]:
    sync = "uv sync --frozen" + ("" if ctx.tool_dir == "." else f" --directory {ctx.tool_dir}")
    return [
        _uses(
            "Set up Python",
            actions.SETUP_PYTHON,
            python__version__file=ctx.ci.python_version_file,
        ),
        _uses("Set up uv", actions.SETUP_UV, version=DoubleQuotedScalarString(ctx.ci.uv_version)),
        _run(
            "Install polyinfra",
            "install-polyinfra",
            f"""
{sync}
echo "$PWD/{ctx.venv_bin}" >> "$GITHUB_PATH"
""",
        ),
    ]


def _auth(ctx: _Context, access_token: bool = False) -> CommentedMap:
    return _uses(
        "Authenticate to Google Cloud",
        actions.GCP_AUTH,
        "authenticate-gcp",
        workload_identity_provider=ctx.var(ctx.ci.workload_identity_provider_variable),
        service_account=ctx.var(ctx.ci.service_account_variable),
        project_id=ctx.var(ctx.ci.project_id_variable),
        token_format="access_token" if access_token else None,
        # The registry login needs only the token: no credentials file in the build context.
        create_credentials_file=False if access_token else None,
    )


def _job(
    ctx: _Context,
    name: str,
    steps: list[CommentedMap],
    *,
    permissions: dict[str, str],
    needs: Any = None,
    if_: str | None = None,
    environment: str | None = None,
    outputs: dict[str, str] | None = None,
    strategy: CommentedMap | None = None,
    timeout: int = 30,
) -> CommentedMap:
    job = CommentedMap()
    job["name"] = name
    if needs is not None:
        job["needs"] = needs
    if if_ is not None:
        job["if"] = if_
    job["runs-on"] = ctx.ci.runs_on
    if environment is not None:
        job["environment"] = environment
    job["timeout-minutes"] = timeout
    job["permissions"] = _map(**{k.replace("-", "__"): v for k, v in permissions.items()})
    if outputs:
        job["outputs"] = _map(**outputs)
    if strategy is not None:
        job["strategy"] = strategy
    job["steps"] = _seq(*steps)
    return job


def _workflow(
    name: str, run_name: str, on: CommentedMap, jobs: CommentedMap, concurrency: CommentedMap
) -> CommentedMap:
    doc = CommentedMap()
    doc["name"] = name
    doc["run-name"] = run_name
    doc["on"] = on
    # Nothing by default; each job asks for what it needs.
    doc["permissions"] = CommentedMap()
    doc["concurrency"] = concurrency
    doc["jobs"] = jobs
    return doc


def _dump(doc: CommentedMap) -> str:
    yaml = YAML(typ="rt")
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    buffer = io.StringIO()
    yaml.dump(doc, buffer)
    return buffer.getvalue()


# --- the workflows --------------------------------------------------------------------------


def _check(ctx: _Context) -> CommentedMap:
    steps = [_checkout(full_history=True), *_setup(ctx)]
    steps.append(_run("Check workspace", "check-workspace", "polyinfra check --format github"))
    if ctx.stacks:
        stacks = " ".join(shlex.quote(s) for s in ctx.stacks)
        steps.append(
            _run(
                "Plan foundation changes",
                "plan-foundation",
                f"""
for stack in {stacks}; do
  {{
    echo "### Foundation plan for stack $stack against the base branch"
    echo '```text'
    polyinfra plan --stack "$stack" --diff "$BASE_SHA"
    echo '```'
  }} >> "$GITHUB_STEP_SUMMARY"
done
""",
                env={"BASE_SHA": "${{ github.event.pull_request.base.sha }}"},
                **{"if": "${{ !cancelled() }}"},
            )
        )
    steps.append(
        _run(
            "Show what the change affects",
            "show-affected",
            """
{
  echo "### What this pull request affects"
  echo '```text'
  polyinfra affected --base "$BASE_SHA"
  echo '```'
} >> "$GITHUB_STEP_SUMMARY"
""",
            env={"BASE_SHA": "${{ github.event.pull_request.base.sha }}"},
            **{"if": "${{ !cancelled() }}"},
        )
    )
    jobs = _map(check=_job(ctx, "Check workspace", steps, permissions={"contents": "read"}))
    return _workflow(
        ctx.ci.workflows.check,
        "Check ${{ github.event.pull_request.title }}",
        _map(pull_request=_map(branches=_flow(ctx.ci.main_branch))),
        jobs,
        _map(group="check-${{ github.event.pull_request.number }}", cancel__in__progress=True),
    )


def _provision(ctx: _Context) -> CommentedMap:
    ci = ctx.ci
    dispatch = "github.event_name == 'workflow_dispatch'"
    environment = (
        f"${{{{ {dispatch} && {_quote(ci.production_environment)} || "
        f"{_quote(ci.sandbox_environment)} }}}}"
    )
    guard = (
        f"{dispatch} || (github.event.label.name == {_quote(ci.provision_label)} && "
        "github.event.pull_request.head.repo.full_name == github.repository)"
    )
    steps = [
        _run(
            "Determine stack",
            "determine-stack",
            f"""
if [ "$EVENT_NAME" = "workflow_dispatch" ]; then
  stack={shlex.quote(ctx.production_stack)}
else
  stack={shlex.quote(ctx.sandbox_stack)}
fi
echo "stack=$stack"
echo "stack=$stack" >> "$GITHUB_OUTPUT"
""",
            env={"EVENT_NAME": "${{ github.event_name }}"},
        ),
        _checkout(ref="${{ github.event.pull_request.head.sha || github.sha }}"),
        *_setup(ctx),
        _run(
            "Install the Pulumi CLI",
            "install-pulumi",
            f"""
version="$(uv tree --package pulumi --depth 0 --frozen{_directory(ctx)} | sed 's/.* v//')"
echo "pulumi $version"
curl -fsSL https://get.pulumi.com | sh -s -- --version "$version"
echo "$HOME/.pulumi/bin" >> "$GITHUB_PATH"
""",
        ),
        _auth(ctx),
        _run(
            "Provision the foundation stack",
            "provision-stack",
            'polyinfra provision --stack "$STACK" --yes',
            env={
                "STACK": "${{ steps.determine-stack.outputs.stack }}",
                "PULUMI_BACKEND_URL": ctx.var(ci.pulumi_backend_variable),
                "PULUMI_CONFIG_PASSPHRASE": "${{ secrets." + ci.pulumi_passphrase_secret + " }}",
            },
        ),
    ]
    job = _job(
        ctx,
        f"Provision {environment}",
        steps,
        permissions={"contents": "read", "id-token": "write"},
        if_=guard,
        environment=environment,
        timeout=60,
    )
    on = CommentedMap()
    on["workflow_dispatch"] = None
    on["pull_request"] = _map(types=_flow("labeled"))
    return _workflow(
        ci.workflows.provision,
        f"Provision {environment}",
        on,
        _map(provision=job),
        _map(group=f"provision-{environment}", cancel__in__progress=False),
    )


def _directory(ctx: _Context) -> str:
    return "" if ctx.tool_dir == "." else f" --directory {ctx.tool_dir}"


def _deploy(ctx: _Context, *, production: bool) -> CommentedMap:
    ci = ctx.ci
    env = ci.production_environment if production else ci.sandbox_environment
    q_env = shlex.quote(env)
    q_released = shlex.quote(ctx.released_tag)
    if production:
        on = _map(
            push=_map(branches=_flow(ci.main_branch)),
            workflow_dispatch=_map(
                inputs=_map(
                    base=_map(
                        description="Deploy the apps affected since this ref (branch, tag or "
                        "SHA); leave empty to deploy every app.",
                        required=False,
                        default="",
                        type="string",
                    )
                )
            ),
        )
        head_ref = None
        version = 'version="$GITHUB_SHA"'
        find = f"""
# Image references come from the stack: builds push them, the deploy runs them.
images=(--version "$VERSION" --released-tag {q_released})
if [ "$EVENT_NAME" = "workflow_dispatch" ] && [ -z "$BASE_INPUT" ]; then
  polyinfra affected --all --env {q_env} "${{images[@]}}" --format github
elif [ "$EVENT_NAME" = "workflow_dispatch" ]; then
  polyinfra affected --base "$BASE_INPUT" --env {q_env} "${{images[@]}}" --format github
else
  # A first push or a rewritten history has no usable base: deploy everything, never nothing.
  polyinfra affected --base "$BEFORE" --env {q_env} --fallback all "${{images[@]}}" \\
    --format github
fi
"""
        find_env = {
            "EVENT_NAME": "${{ github.event_name }}",
            "BEFORE": "${{ github.event.before }}",
            "BASE_INPUT": "${{ inputs.base }}",
            "VERSION": "${{ steps.determine-version.outputs.version }}",
        }
        guard = None
        run_name = f"Deploy to {env} at ${{{{ github.sha }}}}"
        concurrency = _map(group=f"deploy-{env}", cancel__in__progress=False)
    else:
        label = _quote(ci.sandbox_deploy_label)
        on = _map(pull_request=_map(types=_flow("labeled", "synchronize")))
        head_ref = "${{ github.event.pull_request.head.sha }}"
        version = (
            "branch=\"$(printf '%s' \"$HEAD_REF\" | tr -c 'A-Za-z0-9_.' '_' | cut -c1-60)\"\n"
            'version="${branch}-$(date -u +%Y%m%d-%H%M%S)"'
        )
        # No released image to reuse here: every app to deploy is built at this version.
        find = (
            f'polyinfra affected --base "$BASE_SHA" --env {q_env} --version "$VERSION" '
            "--format github\n"
        )
        find_env = {
            "BASE_SHA": "${{ github.event.pull_request.base.sha }}",
            "VERSION": "${{ steps.determine-version.outputs.version }}",
        }
        # Pull requests from forks get no OIDC token or secrets: never run for them.
        guard = (
            "github.event.pull_request.head.repo.full_name == github.repository && ("
            f"(github.event.action == 'labeled' && github.event.label.name == {label}) || "
            f"(github.event.action == 'synchronize' && "
            f"contains(github.event.pull_request.labels.*.name, {label})))"
        )
        run_name = f"Deploy pull request #${{{{ github.event.pull_request.number }}}} to {env}"
        concurrency = _map(
            group=f"deploy-{env}-${{{{ github.event.pull_request.number }}}}",
            cancel__in__progress=True,
        )

    plan_steps = [
        _checkout(ref=head_ref, full_history=True),
        *_setup(ctx),
        _run(
            "Determine version",
            "determine-version",
            f"""
{version}
echo "version=$version"
echo "version=$version" >> "$GITHUB_OUTPUT"
""",
            env={"HEAD_REF": "${{ github.head_ref }}"} if not production else None,
        ),
        _run("Find affected apps", "find-affected", find, env=find_env),
    ]
    outputs = {
        name: "${{ steps.find-affected.outputs." + name + " }}"
        for name in ("apps", "build_matrix", "images")
    }
    outputs["version"] = "${{ steps.determine-version.outputs.version }}"
    plan = _job(
        ctx,
        "Find affected apps",
        plan_steps,
        permissions={"contents": "read"},
        if_=guard,
        outputs=outputs,
        timeout=15,
    )

    # One image per project, tagged with the reference of each of its apps (`polyinfra
    # image-ref`): the repository the environment's stack creates for the project.
    build_push: dict[str, Any] = {
        "context": ".",
        "file": "${{ matrix.dockerfile }}",
        "push": True,
        "tags": "${{ matrix.tags }}",
    }
    if not production:
        # Sandbox builds reuse layers; production images are always built from scratch.
        build_push["cache__from"] = "type=gha"
        build_push["cache__to"] = "type=gha,mode=max"
    build_steps = [
        _checkout(ref=head_ref),
        _auth(ctx, access_token=True),
        _uses(
            "Log in to the registry",
            actions.DOCKER_LOGIN,
            registry="${{ matrix.registry }}",
            username="oauth2accesstoken",
            password="${{ steps.authenticate-gcp.outputs.access_token }}",
        ),
        _uses("Set up Docker Buildx", actions.SETUP_BUILDX),
        _uses("Build and push image", actions.BUILD_PUSH, "build-push-image", **build_push),
    ]
    strategy = _map(
        fail__fast=True, matrix=_map(include="${{ fromJSON(needs.plan.outputs.build_matrix) }}")
    )
    build = _job(
        ctx,
        "Build ${{ matrix.project }}",
        build_steps,
        permissions={"contents": "read", "id-token": "write"},
        needs="plan",
        # An empty matrix is an error in GitHub Actions: skip the job instead. No environment:
        # images are pushed with repository-level variables, so a protected environment asks
        # for one approval (the deploy), not one per image.
        if_="needs.plan.result == 'success' && needs.plan.outputs.build_matrix != '[]'",
        strategy=strategy,
        timeout=45,
    )

    deploy_steps = [
        _checkout(ref=head_ref),
        *_setup(ctx),
        _auth(ctx),
        _run(
            "Deploy apps",
            "deploy-apps",
            f"""
mapfile -t app_args < <(jq -r '.[]' <<<"$APPS")
# Each app runs the reference `polyinfra affected` gave it: the image built above, or for
# an app whose image did not change, the one the last release built.
mapfile -t image_args < <(jq -r '.[] | "--image=\\(.app)=\\(.image)"' <<<"$IMAGES")
region_args=()
if [ -n "$REGION" ]; then region_args=(--region "$REGION"); fi
polyinfra deploy "${{app_args[@]}}" --env {q_env} --version "$VERSION" \\
  "${{image_args[@]}}" "${{region_args[@]}}"
""",
            env={
                "APPS": "${{ needs.plan.outputs.apps }}",
                "IMAGES": "${{ needs.plan.outputs.images }}",
                "VERSION": "${{ needs.plan.outputs.version }}",
                "REGION": ctx.var(ci.region_variable),
            },
        ),
    ]
    deploy = _job(
        ctx,
        f"Deploy to {env}",
        deploy_steps,
        permissions={"contents": "read", "id-token": "write"},
        needs=_flow("plan", "build"),
        # Runs when there is something to deploy and every image it needs was built (or no
        # image was needed: a manifest-only redeploy). A status function is needed for a
        # skipped build to count; !cancelled(), unlike always(), still stops on cancel.
        if_=(
            "!cancelled() && needs.plan.result == 'success' && needs.plan.outputs.apps != '[]' && "
            "(needs.build.result == 'success' || needs.build.result == 'skipped')"
        ),
        environment=env,
        timeout=45,
    )
    name = ci.workflows.deploy if production else ci.workflows.sandbox_deploy
    return _workflow(name, run_name, on, _map(plan=plan, build=build, deploy=deploy), concurrency)
