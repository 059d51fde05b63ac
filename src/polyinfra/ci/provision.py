"""``infrastructure-provision.yaml``: the foundation, production by manual dispatch into the
protected GitHub environment, sandbox from a pull-request label.

A ``plan`` job in no environment runs first and writes the plan (``polyinfra plan --diff``
against the pull request's base or the dispatch's ``base`` input) to the job summary and the
pull request's comment, so an approver reads it before approving what waits for them.

With one Pulumi program, one job then provisions the stack. With several (the three-stack
layout: ``platform`` and ``services``), the ``plan`` job also asks ``polyinfra affected`` which
programs the pull request changes (a manual dispatch provisions every program), then one job
per program, in :attr:`Workspace.ordered_programs` order, each after the ones before it and
each in a GitHub environment of its own, ``<environment>-<program>`` (``production-platform``),
so each team approves its own program. A program's job runs only when every program before it
was provisioned, or had nothing to provision.
"""

from __future__ import annotations

import json
import re
import shlex
from typing import Any

from ruamel.yaml.comments import CommentedMap

from polyinfra.ci.blocks import (
    auth_step,
    checkout_step,
    flow_seq,
    job_node,
    node,
    quote,
    run_step,
    setup_steps,
    workflow_node,
)
from polyinfra.ci.context import WorkflowContext
from polyinfra.ci.identity import settings_inputs
from polyinfra.ci.review import comment_job, link_base, publish, step_output
from polyinfra.errors import UserError
from polyinfra.positions import Position
from polyinfra.workspace import PulumiProgram
from polyinfra.workspace.programs import reference_name

DISPATCH = "github.event_name == 'workflow_dispatch'"
#: The commit provisioned: the pull request's head, or the dispatched branch's.
HEAD = "${{ github.event.pull_request.head.sha || github.sha }}"
#: A program folder name that can name a job (``provision-<program>``) and, after the
#: environment, a GitHub environment.
_JOB_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*", re.ASCII)


def provision_workflow(ctx: WorkflowContext) -> CommentedMap:
    ci = ctx.ci
    environment = _by_event(ci.production_environment, ci.sandbox_environment)
    layered = ctx.ws.layered
    if layered:
        jobs = _program_jobs(ctx)
    else:
        jobs = node(plan=_single_plan_job(ctx), provision=_single_job(ctx, environment))
    # The sandbox's plan on the labelled pull request too: reviewers read it there.
    jobs["comment"] = comment_job(
        ctx,
        "infrastructure-provision",
        "plan",
        {"PLAN_REPORT": "${{ needs.plan.outputs.plan_report }}"},
    )
    on = CommentedMap()
    on["workflow_dispatch"] = node(
        inputs=node(
            base=node(
                description="Show the foundation plan against this ref (branch, tag or SHA, "
                "e.g. the commit last provisioned) before the approval; leave empty to show "
                "the whole plan.",
                required=False,
                default="",
                type="string",
            )
        )
    )
    on["pull_request"] = node(types=flow_seq("labeled"))
    return workflow_node(
        ci.workflows.provision,
        f"Provision {environment}",
        on,
        jobs,
        node(group=f"provision-{environment}", cancel__in__progress=False),
    )


def _by_event(production: str, sandbox: str) -> str:
    return f"${{{{ {DISPATCH} && {quote(production)} || {quote(sandbox)} }}}}"


def _guard(ctx: WorkflowContext) -> str:
    return (
        f"{DISPATCH} || (github.event.label.name == {quote(ctx.ci.provision_label)} && "
        "github.event.pull_request.head.repo.full_name == github.repository)"
    )


def _determine_stack(ctx: WorkflowContext) -> CommentedMap:
    return run_step(
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
    )


def _tool_steps(ctx: WorkflowContext) -> list[CommentedMap]:
    """Check out the change, install polyinfra, the locked Pulumi CLI, and authenticate."""
    directory = "" if ctx.tool_dir == "." else f" --directory {ctx.tool_dir}"
    ci = ctx.ci
    return [
        checkout_step(ref=HEAD),
        *setup_steps(ctx),
        run_step(
            "Install the Pulumi CLI",
            "install-pulumi",
            f"""
version="$(uv tree --package pulumi --depth 0 --frozen{directory} | sed 's/.* v//')"
echo "pulumi $version"
curl -fsSL https://get.pulumi.com | sh -s -- --version "$version"
echo "$HOME/.pulumi/bin" >> "$GITHUB_PATH"
""",
        ),
        # the provisioning identity, not the deployer a platform stack creates: it must exist
        # before the platform does, and create what the stacks declare
        auth_step(settings_inputs(ci).texts()),
    ]


def _provision_step(ctx: WorkflowContext, name: str, stack: str, program: str) -> CommentedMap:
    ci = ctx.ci
    return run_step(
        name,
        "provision-stack",
        f'polyinfra provision --stack "$STACK"{program} --yes',
        env={
            "STACK": stack,
            "PULUMI_BACKEND_URL": ctx.var(ci.pulumi_backend_variable),
            "PULUMI_CONFIG_PASSPHRASE": "${{ secrets." + ci.pulumi_passphrase_secret + " }}",
        },
    )


#: What the plan compares with: the pull request's base, or the ref a dispatch names (none:
#: the whole plan).
_PLAN_BASE = "${{ github.event.pull_request.base.sha || inputs.base }}"


def _plan_step(ctx: WorkflowContext, stack: str) -> CommentedMap:
    """The plan of the stack the run provisions (each program's, narrowed with ``-w``, when
    the program has the stack) in the job summary and the step's report, before any job waits
    for an approval. The plan informs the approver, it does not gate: a failed plan (a
    protected resource removed, a base that is no commit) is a warning on the run, and the
    approver decides (after `pulumi state unprotect`, the plan still sees the stack file's
    protection)."""
    if ctx.ws.layered:
        plans = "".join(
            f'case "$STACK" in {" | ".join(shlex.quote(s) for s in sorted(program.stacks))}) '
            f'plan_markdown --stack "$STACK" -w {shlex.quote(ctx.ws.rel(program.path))} ;; esac\n'
            for program in ctx.ws.ordered_programs
            if program.stacks
        )
    else:
        plans = 'plan_markdown --stack "$STACK"\n'
    return run_step(
        "Plan the foundation",
        "plan-foundation",
        f"""
report="$(mktemp)"
status=0
diff=()
if [ -n "$BASE" ]; then diff=(--diff "$BASE"); fi
plan_markdown() {{
  polyinfra plan "$@" "${{diff[@]}}" --format markdown --link-base "$LINK_BASE" \\
    >> "$report" || status=$?
  echo >> "$report"
}}
{plans}{publish()}if [ "$status" -ne 0 ]; then
  warning="polyinfra plan exited $status: read the job summary before approving"
  echo "::warning title=Foundation plan::$warning"
fi
""",
        env={"STACK": stack, "BASE": _PLAN_BASE, "LINK_BASE": link_base(HEAD)},
    )


def _single_plan_job(ctx: WorkflowContext) -> CommentedMap:
    """The plan, in no environment: it runs at once, and the provision job that waits for the
    environment's approval comes after it."""
    steps = [
        _determine_stack(ctx),
        checkout_step(ref=HEAD, full_history=True),
        *setup_steps(ctx),
        _plan_step(ctx, "${{ steps.determine-stack.outputs.stack }}"),
    ]
    return job_node(
        ctx,
        "Plan the foundation",
        steps,
        permissions={"contents": "read"},
        if_=_guard(ctx),
        outputs={"plan_report": step_output("plan-foundation")},
        timeout=15,
    )


def _single_job(ctx: WorkflowContext, environment: str) -> CommentedMap:
    steps = [
        _determine_stack(ctx),
        *_tool_steps(ctx),
        _provision_step(
            ctx,
            "Provision the foundation stack",
            "${{ steps.determine-stack.outputs.stack }}",
            "",
        ),
    ]
    return job_node(
        ctx,
        f"Provision {environment}",
        steps,
        permissions={"contents": "read", "id-token": "write"},
        needs="plan",
        if_=_guard(ctx),
        environment=environment,
        timeout=60,
    )


def _program_jobs(ctx: WorkflowContext) -> CommentedMap:
    programs = ctx.ws.ordered_programs
    names = [_job_safe_name(ctx, program) for program in programs]
    jobs = node(plan=_plan_job(ctx, dict(zip(names, programs, strict=True))))
    ci = ctx.ci
    for index, (program, name) in enumerate(zip(programs, names, strict=True)):
        earlier = [f"provision-{n}" for n in names[:index]]
        affected = (
            f"contains(fromJSON(needs.plan.outputs.program_stacks)[{quote(name)}], "
            "needs.plan.outputs.stack)"
        )
        needs: Any = "plan"
        if earlier:
            # A status function, so that an earlier program skipped for having nothing to
            # provision lets this one run; one that failed or was cancelled stops it.
            done = " && ".join(
                f"(needs.{job}.result == 'success' || needs.{job}.result == 'skipped')"
                for job in earlier
            )
            condition = f"!cancelled() && needs.plan.result == 'success' && {affected} && {done}"
            needs = flow_seq("plan", *earlier)
        else:
            condition = affected
        folder = shlex.quote(ctx.ws.rel(program.path))
        environment = _by_event(
            f"{ci.production_environment}-{name}", f"{ci.sandbox_environment}-{name}"
        )
        steps = [
            *_tool_steps(ctx),
            _provision_step(
                ctx,
                f"Provision the {name} stack",
                "${{ needs.plan.outputs.stack }}",
                f" -w {folder}",
            ),
        ]
        jobs[f"provision-{name}"] = job_node(
            ctx,
            f"Provision {name} {_by_event(ci.production_environment, ci.sandbox_environment)}",
            steps,
            permissions={"contents": "read", "id-token": "write"},
            needs=needs,
            if_=condition,
            environment=environment,
            timeout=60,
        )
    return jobs


def _plan_job(ctx: WorkflowContext, programs: dict[str, PulumiProgram]) -> CommentedMap:
    """Which stack the run provisions, and which programs have it affected: every program on a
    manual dispatch; on a pull request, those ``polyinfra affected`` lists (a platform change
    reaches services too), or every program when git cannot tell. A program without the
    stack has nothing to provision. Then the plan of each program that has the stack."""
    stack = ctx.production_stack
    every = json.dumps(
        {name: [stack] if stack in p.stacks else [] for name, p in programs.items()},
        separators=(",", ":"),
    )
    steps = [
        _determine_stack(ctx),
        checkout_step(ref=HEAD, full_history=True),
        *setup_steps(ctx),
        run_step(
            "Find affected programs",
            "find-affected",
            f"""
if [ "$EVENT_NAME" = "workflow_dispatch" ]; then
  # A manual run provisions every program.
  echo {shlex.quote("program_stacks=" + every)} >> "$GITHUB_OUTPUT"
else
  polyinfra affected --base "$BASE_SHA" --fallback all --format github
fi
""",
            env={
                "EVENT_NAME": "${{ github.event_name }}",
                "BASE_SHA": "${{ github.event.pull_request.base.sha }}",
            },
        ),
        _plan_step(ctx, "${{ steps.determine-stack.outputs.stack }}"),
    ]
    return job_node(
        ctx,
        "Find the programs to provision",
        steps,
        permissions={"contents": "read"},
        if_=_guard(ctx),
        outputs={
            "stack": "${{ steps.determine-stack.outputs.stack }}",
            "program_stacks": "${{ steps.find-affected.outputs.program_stacks }}",
            "plan_report": step_output("plan-foundation"),
        },
        timeout=15,
    )


def _job_safe_name(ctx: WorkflowContext, program: PulumiProgram) -> str:
    name = reference_name(program)
    if not _JOB_NAME.fullmatch(name):
        raise UserError(
            f"Pulumi program folder {name!r} cannot name a workflow job or a GitHub environment",
            position=Position(program.project_file),
            hint="name the folder with letters, digits, '_' and '-' (platform, services); the "
            "provision workflow runs it as job provision-<folder> in GitHub environment "
            "<environment>-<folder>",
        )
    return name
