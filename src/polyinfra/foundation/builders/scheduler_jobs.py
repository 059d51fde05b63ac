"""Cloud Scheduler jobs that start Cloud Run jobs through the Admin API ``:run`` endpoint of the
job's region, with an OAuth token of the project's service account; and, once per account the
jobs run as, the grant that lets the Cloud Scheduler service agent mint that token.

Cloud Scheduler mints a job's token as its service agent,
``service-<PROJECT_NUMBER>@gcp-sa-cloudscheduler.iam.gserviceaccount.com``, which needs
``iam.serviceAccounts.getAccessToken`` on the job's account
(https://cloud.google.com/scheduler/docs/http-target-auth). Google gives the agent that
permission project-wide through ``roles/cloudscheduler.serviceAgent`` when the API is enabled,
but only for APIs enabled from 19 March 2019 on, and the role can be removed
(https://cloud.google.com/iam/docs/roles-permissions/cloudscheduler). The grant here,
``roles/iam.serviceAccountTokenCreator`` on the account itself (which holds that permission),
makes the jobs independent of the project-wide role and names the dependency in the stack.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from polyinfra.foundation.naming import make_resource_name
from polyinfra.foundation.resources import BuildContext

if TYPE_CHECKING:
    import pulumi

    from polyinfra.foundation.model import StackConfig
    from polyinfra.yamlio import KeyPath

NAME = "scheduler_jobs"
API = "cloudscheduler.googleapis.com"
TOKEN_CREATOR = "roles/iam.serviceAccountTokenCreator"


def run_job_url(region: str, project: str, job: str) -> str:
    """The Cloud Run Admin API v1 URL that starts an execution of ``job``.

    >>> run_job_url("asia-southeast1", "my-gcp-project", "dmd-inv-mov-api2bq")
    'https://asia-southeast1-run.googleapis.com/apis/run.googleapis.com/v1/namespaces/my-gcp-project/jobs/dmd-inv-mov-api2bq:run'
    """
    return (
        f"https://{region}-run.googleapis.com/apis/run.googleapis.com/v1/namespaces/"
        f"{project}/jobs/{job}:run"
    )


def scheduler_agent(project_number: str) -> str:
    """The email of a project's Cloud Scheduler service agent.

    >>> scheduler_agent("123456789012")
    'service-123456789012@gcp-sa-cloudscheduler.iam.gserviceaccount.com'
    """
    return f"service-{project_number}@gcp-sa-cloudscheduler.iam.gserviceaccount.com"


def project_number_source(config: StackConfig, stand_in: str) -> tuple[KeyPath, str] | None:
    """Where the project number naming the scheduler agent comes from, for the offline plan
    (whose number is ``stand_in`` when it is looked up) to say: the model path to point at and
    the sentence (None when no job needs the agent)."""
    first = next(
        (
            name
            for name, project in config.input.projects.items()
            if project.cloud_scheduler and project.service_account is not None
        ),
        None,
    )
    if first is None:
        return None
    number = config.input.project_number
    if number is not None:
        return (
            ("input", "project_number"),
            f"project number: from input:project_number (Cloud Scheduler service agent "
            f"{scheduler_agent(number)})",
        )
    return (
        ("input", "projects", first, "cloud_scheduler", 0),
        f"project number: looked up at run time (stand-in {stand_in} in this "
        "plan) for the Cloud Scheduler service agent; set input:project_number to plan the "
        "real one",
    )


def build(ctx: BuildContext) -> None:
    """Declare the agent's grant on each account that jobs run as, then the jobs."""
    import pulumi
    import pulumi_gcp as gcp

    member: pulumi.Input[str] | None = None
    for name, project in ctx.config.input.projects.items():
        account = ctx.resources.service_accounts.get(name)
        if not project.cloud_scheduler or account is None or project.service_account is None:
            continue
        if member is None:
            member = _agent_member(ctx)
        account_id = project.service_account.account_id
        grant = gcp.serviceaccount.IAMMember(
            resource_name=make_resource_name(
                "serviceaccountiammember", account_id, "cloudscheduler-agent", TOKEN_CREATOR
            ),
            service_account_id=account.name,
            role=TOKEN_CREATOR,
            member=member,
            opts=ctx.options(api=API),
        )
        ctx.resources.scheduler_agent_grants[name] = grant
        declared = ctx.resources.scheduler_jobs.setdefault(name, {})
        for job in project.cloud_scheduler:
            region = job.region or ctx.config.gcp.region
            assert region is not None  # validated
            declared[job.name] = gcp.cloudscheduler.Job(
                resource_name=make_resource_name("scheduler", job.name),
                # the first run needs the token: the grant is in place before the job
                opts=pulumi.ResourceOptions.merge(
                    ctx.options(api=API), pulumi.ResourceOptions(depends_on=[grant])
                ),
                **{**job.args, "region": region},
                http_target=gcp.cloudscheduler.JobHttpTargetArgs(
                    uri=run_job_url(region, ctx.config.project, job.target_job),
                    http_method="POST",
                    oauth_token=gcp.cloudscheduler.JobHttpTargetOauthTokenArgs(
                        service_account_email=account.email,
                    ),
                ),
            )


def _agent_member(ctx: BuildContext) -> pulumi.Input[str]:
    """``serviceAccount:<the scheduler agent>``: from ``input:project_number``, else with the
    number Resource Manager gives for the project when the program runs."""
    import pulumi_gcp as gcp

    number = ctx.config.input.project_number
    if number is not None:
        return f"serviceAccount:{scheduler_agent(number)}"
    found = gcp.organizations.get_project_output(project_id=ctx.config.project)
    return found.number.apply(lambda value: f"serviceAccount:{scheduler_agent(value)}")
