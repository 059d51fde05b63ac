"""Keyless deploys from GitHub Actions (``input:workload_identity``): a workload identity pool,
an OIDC provider for GitHub's tokens that accepts one repository only, the deployer's service
account with its project roles, and the grant that lets that repository's workflows act as it.

The shape follows Google's guide (https://cloud.google.com/iam/docs/
workload-identity-federation-with-deployment-pipelines, "GitHub Actions"), GitHub's
(https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-
deployments/configuring-openid-connect-in-google-cloud-platform) and the README of
google-github-actions/auth (https://github.com/google-github-actions/auth, "Workload Identity
Federation through a Service Account"), which a workflow uses with the provider's full name and
the deployer's email: this stack's outputs ``workload_identity_provider`` and
``deployer_service_account``.
"""

from __future__ import annotations

from polyinfra.foundation.naming import make_resource_name
from polyinfra.foundation.platform_model import IAM_API
from polyinfra.foundation.resources import BuildContext

NAME = "workload_identity"
API = IAM_API
PROJECT_IAM_API = "cloudresourcemanager.googleapis.com"

#: The issuer of GitHub Actions' OIDC tokens (GitHub's guide: "the issuer ... is
#: https://token.actions.githubusercontent.com").
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
#: Claims of GitHub's token as attributes: ``google.subject`` is required by Google ("assertion.
#: sub" is GitHub's subject, ``repo:<owner>/<repo>:...``); ``repository`` is what the grant
#: below and the condition match; ``repository_owner``, ``actor`` and ``ref`` are the attributes
#: google-github-actions/auth's README maps so that further grants can name an owner, the user
#: who started the run or a branch.
ATTRIBUTE_MAPPING = {
    "google.subject": "assertion.sub",
    "attribute.actor": "assertion.actor",
    "attribute.repository": "assertion.repository",
    "attribute.repository_owner": "assertion.repository_owner",
    "attribute.ref": "assertion.ref",
}
#: The role that lets a federated principal impersonate a service account (Google's guide,
#: "Allow the external workload to impersonate the service account").
WORKLOAD_IDENTITY_USER = "roles/iam.workloadIdentityUser"


def attribute_condition(repository: str) -> str:
    """The provider accepts tokens of ``repository`` only. GitHub uses a single issuer URL for
    every organization, so without a condition any repository's workflow could authenticate:
    Google's guide tells to restrict a GitHub provider with an attribute condition on the
    repository or its owner.

    >>> attribute_condition("acme/data-platform")
    "assertion.repository == 'acme/data-platform'"
    """
    return f"assertion.repository == '{repository}'"


def principal_set(pool_name: str, repository: str) -> str:
    """Every workflow run of ``repository``, as an IAM member: the pool's full name
    (``projects/<project number>/locations/global/workloadIdentityPools/<pool>``) and the
    mapped ``attribute.repository`` (Google's guide, "principalSet://iam.googleapis.com/
    projects/PROJECT_NUMBER/locations/global/workloadIdentityPools/POOL_ID/
    attribute.ATTRIBUTE_NAME/ATTRIBUTE_VALUE").

    >>> principal_set("projects/123/locations/global/workloadIdentityPools/github", "acme/web")
    'principalSet://iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/github/attribute.repository/acme/web'
    """
    return f"principalSet://iam.googleapis.com/{pool_name}/attribute.repository/{repository}"


def build(ctx: BuildContext) -> None:
    """Declare the pool, its GitHub provider, the deployer, its roles and the grant."""
    import pulumi_gcp as gcp

    identity = ctx.config.input.workload_identity
    if identity is None:
        return
    project = ctx.config.project
    pool = gcp.iam.WorkloadIdentityPool(
        resource_name=make_resource_name("workloadidentitypool", identity.pool_id),
        workload_identity_pool_id=identity.pool_id,
        display_name=identity.pool_display_name,
        project=project,
        opts=ctx.options(api=API),
    )
    provider = gcp.iam.WorkloadIdentityPoolProvider(
        resource_name=make_resource_name(
            "workloadidentityprovider", identity.pool_id, identity.provider_id
        ),
        workload_identity_pool_id=pool.workload_identity_pool_id,
        workload_identity_pool_provider_id=identity.provider_id,
        display_name=identity.provider_display_name,
        attribute_mapping=ATTRIBUTE_MAPPING,
        attribute_condition=attribute_condition(identity.repository),
        oidc=gcp.iam.WorkloadIdentityPoolProviderOidcArgs(issuer_uri=GITHUB_ISSUER),
        project=project,
        opts=ctx.options(api=API),
    )
    deployer = identity.deployer
    account = gcp.serviceaccount.Account(
        resource_name=make_resource_name("serviceaccount", deployer.account_id),
        opts=ctx.options(api=API),
        **deployer.args,
    )
    roles = [
        gcp.projects.IAMMember(
            resource_name=make_resource_name("iammember", deployer.account_id, role),
            member=account.member,
            project=project,
            role=role,
            opts=ctx.options(api=PROJECT_IAM_API),
        )
        for role in deployer.roles
    ]
    repository = identity.repository
    user = gcp.serviceaccount.IAMMember(
        resource_name=make_resource_name(
            "serviceaccountiammember", deployer.account_id, WORKLOAD_IDENTITY_USER
        ),
        service_account_id=account.name,
        role=WORKLOAD_IDENTITY_USER,
        member=pool.name.apply(lambda name: principal_set(name, repository)),
        opts=ctx.options(api=API),
    )
    ctx.resources.workload_identity_pools[identity.pool_id] = pool
    ctx.resources.workload_identity_providers[identity.provider_id] = provider
    ctx.resources.deployers[deployer.account_id] = account
    ctx.resources.deployer_roles[deployer.account_id] = roles
    ctx.resources.workload_identity_users[deployer.account_id] = user
