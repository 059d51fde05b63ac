"""The four GitHub Actions workflows of the delivery flow, built from ``[tool.polyinfra.ci]``.

- ``check.yaml``: pull requests run ``polyinfra check`` and an offline foundation plan diff;
  their markdown reports go to the job summary and the pull request's comment
  (:mod:`polyinfra.ci.review`).
- ``infrastructure-provision.yaml``: the foundation; production by manual dispatch into the
  protected environment, sandbox from a pull-request label (:mod:`polyinfra.ci.provision`:
  one job per Pulumi program in the three-stack layout).
- ``deploy.yaml``: push to main -> ``polyinfra affected`` -> build the ``rebuild`` images ->
  ``polyinfra deploy`` to production.
- ``sandbox-deploy.yaml``: the same into sandbox from a labelled pull request's code; when
  the pull request closes, the apps it added are removed from sandbox (:func:`_teardown`).

Jobs authenticate as :mod:`polyinfra.ci.identity` says: through the workload identity the
environment's stack file declares, else through the GitHub variables of the settings.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Any

from ruamel.yaml.comments import CommentedMap

from polyinfra.ci import actions
from polyinfra.ci.blocks import (
    auth_step,
    checkout_step,
    dump,
    flow_seq,
    job_node,
    node,
    quote,
    run_step,
    setup_steps,
    uses_step,
    workflow_node,
)
from polyinfra.ci.context import (
    WorkflowContext,
    validate_settings,
)
from polyinfra.ci.provision import provision_workflow
from polyinfra.ci.review import comment_job, link_base, publish, step_output
from polyinfra.workspace import Workspace


@dataclass(frozen=True)
class Workflow:
    """One generated workflow file: its name under ``.github/workflows/`` and its YAML."""

    filename: str
    body: str


def github_workflows(ws: Workspace) -> tuple[Workflow, ...]:
    """Every workflow for ``ws``, in a fixed order; the same inputs give the same bytes."""
    ci = ws.settings.ci
    validate_settings(ws, ci)
    ctx = WorkflowContext(ws, ci)
    return (
        Workflow("check.yaml", dump(_check(ctx))),
        Workflow("infrastructure-provision.yaml", dump(provision_workflow(ctx))),
        Workflow("deploy.yaml", dump(_deploy(ctx, production=True))),
        Workflow("sandbox-deploy.yaml", dump(_deploy(ctx, production=False))),
    )


def _check(ctx: WorkflowContext) -> CommentedMap:
    links = {"LINK_BASE": link_base("${{ github.event.pull_request.head.sha }}")}
    base = {"BASE_SHA": "${{ github.event.pull_request.base.sha }}"}
    steps = [checkout_step(full_history=True), *setup_steps(ctx)]
    steps.append(
        run_step(
            "Check workspace",
            "check-workspace",
            f"""
report="$(mktemp)"
status=0
polyinfra check --format github || status=$?
# The same findings for reviewers. Exit 1 means errors found; more, that there is no report.
markdown_status=0
polyinfra check --format markdown --link-base "$LINK_BASE" > "$report" || markdown_status=$?
if [ "$status" -eq 0 ] && [ "$markdown_status" -gt 1 ]; then status="$markdown_status"; fi
{publish()}exit "$status"
""",
            env=links,
        )
    )
    reports = {"CHECK_REPORT": "check-workspace"}
    if ctx.stacks:
        steps.append(
            run_step(
                "Plan foundation changes",
                "plan-foundation",
                _PLAN_MARKDOWN + _plan_script(ctx) + publish() + 'exit "$status"\n',
                env={**base, **links},
                **{"if": "${{ !cancelled() }}"},
            )
        )
        reports["PLAN_REPORT"] = "plan-foundation"
    steps.append(
        run_step(
            "Show what the change affects",
            "show-affected",
            f"""
report="$(mktemp)"
polyinfra affected --base "$BASE_SHA" --format markdown --link-base "$LINK_BASE" > "$report"
{publish()}""",
            env={**base, **links},
            **{"if": "${{ !cancelled() }}"},
        )
    )
    reports["AFFECTED_REPORT"] = "show-affected"
    outputs = {_output_name(name): step_output(step) for name, step in reports.items()}
    jobs = node(
        check=job_node(
            ctx, "Check workspace", steps, permissions={"contents": "read"}, outputs=outputs
        ),
        comment=comment_job(
            ctx,
            "check",
            "check",
            {name: f"${{{{ needs.check.outputs.{_output_name(name)} }}}}" for name in reports},
        ),
    )
    return workflow_node(
        ctx.ci.workflows.check,
        "Check ${{ github.event.pull_request.title }}",
        node(pull_request=node(branches=flow_seq(ctx.ci.main_branch))),
        jobs,
        node(group="check-${{ github.event.pull_request.number }}", cancel__in__progress=True),
    )


def _output_name(env_name: str) -> str:
    """``CHECK_REPORT`` -> ``check_report``: the job output that carries a report."""
    return env_name.lower()


#: Each plan's markdown goes to ``$report``, one after the other; a failed plan (a protected
#: resource removed, bad input) fails the step once every report is in the summary.
_PLAN_MARKDOWN = """report="$(mktemp)"
status=0
plan_markdown() {
  polyinfra plan "$@" --format markdown --link-base "$LINK_BASE" >> "$report" || status=$?
  echo >> "$report"
}
"""


def _plan_script(ctx: WorkflowContext) -> str:
    """Each stack's plan diff; with several Pulumi programs, each program's stacks in turn
    (platform first), each planned with ``-w`` narrowed to its program."""
    if not ctx.ws.layered:
        return _plan_loop(ctx.stacks, "")
    return "".join(
        _plan_loop(tuple(sorted(program.stacks)), f" -w {shlex.quote(ctx.ws.rel(program.path))}")
        for program in ctx.ws.ordered_programs
        if program.stacks
    )


def _plan_loop(stacks: tuple[str, ...], narrow: str) -> str:
    names = " ".join(shlex.quote(s) for s in stacks)
    return f"""for stack in {names}; do
  plan_markdown --stack "$stack"{narrow} --diff "$BASE_SHA"
done
"""


def _deploy(ctx: WorkflowContext, *, production: bool) -> CommentedMap:
    ci = ctx.ci
    env = ci.production_environment if production else ci.sandbox_environment
    q_env = shlex.quote(env)
    q_released = shlex.quote(ctx.released_tag)
    if production:
        on = node(
            push=node(branches=flow_seq(ci.main_branch)),
            workflow_dispatch=node(
                inputs=node(
                    base=node(
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
        # The same question for reviewers, in the job summary.
        summary = f"""
images=(--version "$VERSION" --released-tag {q_released})
if [ "$EVENT_NAME" = "workflow_dispatch" ] && [ -z "$BASE_INPUT" ]; then
  scope=(--all)
elif [ "$EVENT_NAME" = "workflow_dispatch" ]; then
  scope=(--base "$BASE_INPUT")
else
  scope=(--base "$BEFORE" --fallback all)
fi
polyinfra affected "${{scope[@]}}" --env {q_env} "${{images[@]}}" --format markdown \\
  >> "$GITHUB_STEP_SUMMARY"
"""
        guard = None
        run_name = f"Deploy to {env} at ${{{{ github.sha }}}}"
        concurrency = node(group=f"deploy-{env}", cancel__in__progress=False)
    else:
        label = quote(ci.sandbox_deploy_label)
        on = node(pull_request=node(types=flow_seq("labeled", "synchronize", "closed")))
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
        # The same question for reviewers: the job summary, and the pull request's comment.
        summary = f"""
report="$(mktemp)"
polyinfra affected --base "$BASE_SHA" --env {q_env} --version "$VERSION" --format markdown \\
  > "$report"
{publish()}"""
        # Pull requests from forks get no OIDC token or secrets: never run for them.
        guard = (
            "github.event.pull_request.head.repo.full_name == github.repository && ("
            f"(github.event.action == 'labeled' && github.event.label.name == {label}) || "
            f"(github.event.action == 'synchronize' && "
            f"contains(github.event.pull_request.labels.*.name, {label})))"
        )
        # The same workflow removes a closed pull request's apps (the teardown job).
        number = "github.event.pull_request.number"
        deploy_name = quote(f"Deploy pull request #{{0}} to {env}")
        remove_name = quote(f"Remove the apps pull request #{{0}} added from {env}")
        run_name = (
            f"${{{{ github.event.action == 'closed' && format({remove_name}, {number}) || "
            f"format({deploy_name}, {number}) }}}}"
        )
        concurrency = node(
            group=f"deploy-{env}-${{{{ github.event.pull_request.number }}}}",
            cancel__in__progress=True,
        )

    plan_steps = [
        checkout_step(ref=head_ref, full_history=True),
        *setup_steps(ctx),
        run_step(
            "Determine version",
            "determine-version",
            f"""
{version}
echo "version=$version"
echo "version=$version" >> "$GITHUB_OUTPUT"
""",
            env={"HEAD_REF": "${{ github.head_ref }}"} if not production else None,
        ),
        run_step("Find affected apps", "find-affected", find, env=find_env),
        run_step("Summarize affected apps", "summarize-affected", summary, env=find_env),
    ]
    outputs = {
        name: "${{ steps.find-affected.outputs." + name + " }}"
        for name in ("apps", "build_matrix", "images")
    }
    if not production:
        outputs["affected_report"] = step_output("summarize-affected")
    outputs["version"] = "${{ steps.determine-version.outputs.version }}"
    plan = job_node(
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
        checkout_step(ref=head_ref),
        auth_step(ctx.auth(env).texts(), access_token=True),
        uses_step(
            "Log in to the registry",
            actions.DOCKER_LOGIN,
            registry="${{ matrix.registry }}",
            username="oauth2accesstoken",
            password="${{ steps.authenticate-gcp.outputs.access_token }}",
        ),
        uses_step("Set up Docker Buildx", actions.SETUP_BUILDX),
        uses_step("Build and push image", actions.BUILD_PUSH, "build-push-image", **build_push),
    ]
    strategy = node(
        fail__fast=True, matrix=node(include="${{ fromJSON(needs.plan.outputs.build_matrix) }}")
    )
    build = job_node(
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
        checkout_step(ref=head_ref),
        *setup_steps(ctx),
        auth_step(ctx.auth(env).texts()),
        run_step(
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
    deploy = job_node(
        ctx,
        f"Deploy to {env}",
        deploy_steps,
        permissions={"contents": "read", "id-token": "write"},
        needs=flow_seq("plan", "build"),
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
    jobs = node(plan=plan, build=build, deploy=deploy)
    if not production:
        jobs["teardown"] = _teardown(ctx, env)
        jobs["comment"] = comment_job(
            ctx,
            "sandbox-deploy",
            "plan",
            {"AFFECTED_REPORT": "${{ needs.plan.outputs.affected_report }}"},
        )
    name = ci.workflows.deploy if production else ci.workflows.sandbox_deploy
    return workflow_node(name, run_name, on, jobs, concurrency)


#: Removes from sandbox the apps a closed pull request added. The objects a labelled pull
#: request deploys carry the names the sandbox overlays give them, the same for every pull
#: request: an app the base branch also has is shared (the last pull request to deploy it
#: wins) and is never removed. An app only this pull request's tree has was deployed by it
#: alone; once it is closed unmerged nothing else deploys it, and once merged the base branch
#: has it and it stays. Any failure to list the apps stops the step before anything is removed.
_TEARDOWN = """
set -o pipefail
base_tree="$(mktemp -d)/base"
git worktree add --detach "$base_tree" "origin/$BASE_REF"
apps_of() {{
  polyinfra affected --all --env {env} -w "$1" --format json | jq -r '.apps[].name' | sort -u
}}
head_apps="$(apps_of .)"
base_apps="$(apps_of "$base_tree")"
mapfile -t added < <(comm -23 <(echo "$head_apps") <(echo "$base_apps") | sed '/^$/d')
if [ "${{#added[@]}}" -eq 0 ]; then
  echo "This pull request adds no app that $BASE_REF lacks: nothing to remove from {env}."
  exit 0
fi
region_args=()
if [ -n "$REGION" ]; then region_args=(--region "$REGION"); fi
# polyinfra removes only objects labelled as deployed by polyinfra for that app and env.
polyinfra remove "${{added[@]}}" --env {env} --yes "${{region_args[@]}}"
"""


def _teardown(ctx: WorkflowContext, env: str) -> CommentedMap:
    """The job that runs when a labelled pull request closes: ``polyinfra remove`` of the
    apps its tree has and the base branch (as it is then) has not."""
    label = quote(ctx.ci.sandbox_deploy_label)
    steps = [
        checkout_step(ref="${{ github.event.pull_request.head.sha }}", full_history=True),
        *setup_steps(ctx),
        auth_step(ctx.auth(env).texts()),
        run_step(
            "Remove the apps this pull request added",
            "remove-added-apps",
            _TEARDOWN.format(env=shlex.quote(env)),
            env={
                "BASE_REF": "${{ github.event.pull_request.base.ref }}",
                "REGION": ctx.var(ctx.ci.region_variable),
            },
        ),
    ]
    return job_node(
        ctx,
        f"Remove this pull request's apps from {env}",
        steps,
        permissions={"contents": "read", "id-token": "write"},
        # Pull requests from forks get no OIDC token: never run for them.
        if_=(
            "github.event.action == 'closed' && "
            "github.event.pull_request.head.repo.full_name == github.repository && "
            f"contains(github.event.pull_request.labels.*.name, {label})"
        ),
        environment=env,
        timeout=15,
    )
