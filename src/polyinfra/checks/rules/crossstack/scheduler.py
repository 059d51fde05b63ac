"""Cloud Scheduler entries of the stack against the Cloud Run jobs of the environment."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from polyinfra.checks.context import CheckContext
from polyinfra.checks.problem import Level, Problem
from polyinfra.checks.rules.crossstack.workload import Workload, granted_in_plan, workloads
from polyinfra.checks.stacks import JOB_RUNNER_ROLES, Scheduler, StackFile
from polyinfra.foundation.grants import scoped_entry
from polyinfra.suggest import did_you_mean

_JOB_GRANTS = frozenset(
    {"gcp:cloudrunv2/jobIamMember:JobIamMember", "gcp:cloudrunv2/jobIamBinding:JobIamBinding"}
)


@dataclass(frozen=True)
class _EnvJobs:
    """Jobs of one environment: rendered ones by Cloud Run name, and the names of job apps that
    did not render (their overlay is reported by the workspace rules; no second report here)."""

    rendered: dict[str, Workload]
    apps: set[str]

    def names(self) -> list[str]:
        return sorted(set(self.rendered) | self.apps)


def _jobs(ctx: CheckContext, env: str) -> _EnvJobs:
    """The jobs of ``env``: looked up for every scheduler, worked out once per check."""
    return ctx.shared(_jobs_by_env).get(env) or _EnvJobs({}, set())


def _jobs_by_env(ctx: CheckContext) -> dict[str, _EnvJobs]:
    found: dict[str, _EnvJobs] = {}
    for w in workloads(ctx):
        if w.manifest.is_job:
            found.setdefault(w.env, _EnvJobs({}, set())).rendered[w.manifest.name] = w
    rendered_apps = {(w.env, w.app.name) for jobs in found.values() for w in jobs.rendered.values()}
    ws = ctx.workspace
    for app in ws.apps.values() if ws else []:
        if app.kind != "job":
            continue
        for env in app.overlays:
            jobs = found.setdefault(env, _EnvJobs({}, set()))
            if (env, app.name) not in rendered_apps:
                jobs.apps.add(app.name)
    return found


def _schedulers(ctx: CheckContext) -> Iterator[tuple[StackFile, Scheduler]]:
    for stack in ctx.stacks:
        if stack.valid:
            for scheduler in stack.schedulers():
                yield stack, scheduler


class SchedulerTarget:
    """Every ``cloud_scheduler[].target_job`` names a Cloud Run job app that exists in that
    environment.

    The scheduler calls the job's ``:run`` endpoint by name; a name with no job behind it fails
    every run, silently, until someone reads the scheduler's logs.

    Bad::

        cloud_scheduler:
          - name: dmd-inv-mov
            target_job: dmd-inv-mov-api2b

    Good::

        cloud_scheduler:
          - name: dmd-inv-mov
            target_job: dmd-inv-mov-api2bq
    """

    ID = "crossstack/scheduler-target"
    LEVEL = Level.ERROR

    def check(self, ctx: CheckContext) -> Iterator[Problem]:
        for stack, scheduler in _schedulers(ctx):
            if scheduler.target_job is None:
                continue
            jobs = _jobs(ctx, stack.env)
            if scheduler.target_job in jobs.rendered or scheduler.target_job in jobs.apps:
                continue
            names = jobs.names()
            close = did_you_mean(scheduler.target_job, names)
            yield Problem(
                stack.position((*scheduler.path, "target_job"), value=True),
                self.ID,
                f"scheduler {scheduler.name!r} targets job {scheduler.target_job!r}, which is "
                f"not a Cloud Run job of environment {stack.env!r}"
                + (close or f" (its jobs: {', '.join(names) or 'none'})"),
                hint="use the metadata.name of a Cloud Run job app deployed to this environment",
            )


class SchedulerRegion:
    """A scheduler runs its job in the job's region (the job's
    ``cloud.googleapis.com/location`` label, else the stack's ``gcp:region``).

    The ``:run`` endpoint is regional; a scheduler in another region calls a job that is not
    there.

    Bad::

        # gcp:region: asia-southeast1
        - name: dmd-inv-mov
          target_job: dmd-inv-mov-api2bq
          region: europe-west1

    Good::

        - name: dmd-inv-mov
          target_job: dmd-inv-mov-api2bq
          region: asia-southeast1
    """

    ID = "crossstack/scheduler-region"
    LEVEL = Level.ERROR

    def check(self, ctx: CheckContext) -> Iterator[Problem]:
        for stack, scheduler in _schedulers(ctx):
            job = _jobs(ctx, stack.env).rendered.get(scheduler.target_job or "")
            if job is None or job.region is None or scheduler.region is None:
                continue
            if job.region.lower() == scheduler.region.lower():
                continue
            yield Problem(
                stack.position(
                    (*scheduler.path, "region") if scheduler.region_set else scheduler.path,
                    value=True,
                ),
                self.ID,
                f"scheduler {scheduler.name!r} runs in {scheduler.region}, but job "
                f"{scheduler.target_job!r} deploys to {job.region}",
                hint=f"set `region: {job.region}`",
            )


class SchedulerInvoker:
    """The account a scheduler runs as (its project's service account) may run its Cloud Run
    job: the stack grants it ``roles/run.invoker`` on the job (an ``iam`` entry), or on the
    project.

    Without it every scheduled run is refused with a permission error. A grant the Pulumi
    program adds itself (on the project, or a ``cloudrunv2.JobIamMember`` on the job) counts
    too: it is read from the foundation plan.

    Bad::

        service_account:
          account_id: dmd-ingest
        cloud_scheduler:
          - name: dmd-inv-mov
            target_job: dmd-inv-mov-api2bq

    Good::

        service_account:
          account_id: dmd-ingest
        iam:
          - role: roles/run.invoker
            resource: {job: dmd-inv-mov-api2bq}
        cloud_scheduler:
          - name: dmd-inv-mov
            target_job: dmd-inv-mov-api2bq
    """

    ID = "crossstack/scheduler-invoker"
    LEVEL = Level.ERROR
    NEEDS_PLAN = True

    def check(self, ctx: CheckContext) -> Iterator[Problem]:
        for stack, scheduler in _schedulers(ctx):
            section = stack.project(scheduler.project)
            email = stack.account_of(scheduler.project)
            if section is None or email is None:
                yield Problem(
                    stack.position(scheduler.path),
                    self.ID,
                    f"scheduler {scheduler.name!r} has no service account to run as: "
                    f"input:projects.{scheduler.project} creates none",
                    hint="add a service_account (with roles/run.invoker) to the project",
                )
                continue
            if JOB_RUNNER_ROLES & set(stack.roles_of(scheduler.project)):
                continue
            job = scheduler.target_job or ""
            jobs = _jobs(ctx, stack.env)
            if job not in jobs.rendered and job not in jobs.apps:
                continue  # no such job: crossstack/scheduler-target reports the scheduler
            if stack.granted_on(email, JOB_RUNNER_ROLES, "job", job, scheduler.region):
                continue
            target = ("name", job)
            if granted_in_plan(ctx, stack, email, JOB_RUNNER_ROLES, _JOB_GRANTS, target):
                continue
            yield Problem(
                stack.grant_position(scheduler.project),
                self.ID,
                f"scheduler {scheduler.name!r} runs as the service account of "
                f"input:projects.{scheduler.project}, which lacks roles/run.invoker on job "
                f"{job!r}",
                hint=f"add to input:projects.{scheduler.project}.iam: "
                + scoped_entry("roles/run.invoker", "job", job),
            )


class JobTrigger:
    """A Cloud Run job that no scheduler of its environment targets is reported, as information:
    it only runs when someone starts it.

    Bad::

        # infrastructure/cloudrun_job/backfill/overlays/production/ exists,
        # no cloud_scheduler entry has target_job: backfill

    Good::

        cloud_scheduler:
          - name: backfill-nightly
            target_job: backfill
            schedule: "0 2 * * *"
    """

    ID = "crossstack/job-trigger"
    LEVEL = Level.INFO

    def check(self, ctx: CheckContext) -> Iterator[Problem]:
        targeted: dict[str, set[str]] = {}
        for stack, scheduler in _schedulers(ctx):
            targeted.setdefault(stack.env, set()).add(scheduler.target_job or "")
        for item in workloads(ctx):
            if not item.manifest.is_job:
                continue
            if item.manifest.name in targeted.get(item.env, set()):
                continue
            yield Problem(
                item.at(("metadata", "name")),
                self.ID,
                f"job {item.manifest.name!r} has no trigger in {item.env}: no cloud_scheduler "
                f"entry of {item.stack.path.name} targets it",
                hint="add a cloud_scheduler entry, or disable this rule for a job run by hand",
            )
