"""Cloud Scheduler jobs that start Cloud Run jobs through the Admin API ``:run`` endpoint of the
job's region, with an OAuth token of the project's service account."""

from __future__ import annotations

from polyinfra.foundation.naming import make_resource_name
from polyinfra.foundation.resources import BuildContext

NAME = "scheduler_jobs"
API = "cloudscheduler.googleapis.com"


def run_job_url(region: str, project: str, job: str) -> str:
    """The Cloud Run Admin API v1 URL that starts an execution of ``job``.

    >>> run_job_url("asia-southeast1", "my-gcp-project", "dmd-inv-mov-api2bq")
    'https://asia-southeast1-run.googleapis.com/apis/run.googleapis.com/v1/namespaces/my-gcp-project/jobs/dmd-inv-mov-api2bq:run'
    """
    return (
        f"https://{region}-run.googleapis.com/apis/run.googleapis.com/v1/namespaces/"
        f"{project}/jobs/{job}:run"
    )


def build(ctx: BuildContext) -> None:
    """Declare ``cloudscheduler.Job`` resources."""
    import pulumi_gcp as gcp

    for name, project in ctx.config.input.projects.items():
        account = ctx.resources.service_accounts.get(name)
        if not project.cloud_scheduler or account is None:
            continue
        declared = ctx.resources.scheduler_jobs.setdefault(name, {})
        for job in project.cloud_scheduler:
            region = job.region or ctx.config.gcp.region
            assert region is not None  # validated
            declared[job.name] = gcp.cloudscheduler.Job(
                resource_name=make_resource_name("scheduler", job.name),
                opts=ctx.options(api=API),
                **{**job.args, "region": region},
                http_target=gcp.cloudscheduler.JobHttpTargetArgs(
                    uri=run_job_url(region, ctx.config.project, job.target_job),
                    http_method="POST",
                    oauth_token=gcp.cloudscheduler.JobHttpTargetOauthTokenArgs(
                        service_account_email=account.email,
                    ),
                ),
            )
