"""Names derived once: Pulumi logical resource names (``make_resource_name``, exactly as the
spec defines it) and where an Artifact Registry repository is pushed to."""

from __future__ import annotations


def make_resource_name(resource_type: str, *identifiers: str) -> str:
    """Generate standardized Pulumi resource name.

    Args:
        resource_type: Type prefix (e.g., 'bucket', 'serviceaccount', 'registry')
        *identifiers: One or more identifying strings

    Returns:
        str: Standardized resource name in format: {type}_{id1}_{id2}...

    Every ``-``, ``.`` and ``/`` in an identifier becomes ``_``; nothing is dropped. The
    specification's third example shows ``'iam_my_sa_run_invoker'`` for the role
    ``roles/run.invoker``, which its own code cannot produce: the code keeps the ``roles``
    segment, and that is what this function does (changing it would rename, and so replace,
    every IAM member already deployed with the spec's helper).

    Examples:
        >>> make_resource_name("bucket", "my-bucket")
        'bucket_my_bucket'
        >>> make_resource_name("registry", "data-integration", "asia-southeast1")
        'registry_data_integration_asia_southeast1'
        >>> make_resource_name("iam", "my-sa", "roles/run.invoker")
        'iam_my_sa_roles_run_invoker'
    """

    def normalize(s: str) -> str:
        return s.replace("-", "_").replace(".", "_").replace("/", "_")

    parts = [resource_type] + [normalize(identifier) for identifier in identifiers]
    return "_".join(parts)


def registry_url(
    location: str, project: str, repository_id: str, repository_format: str = "DOCKER"
) -> str:
    """Where images (or packages) of a repository are pushed: the host is the location and the
    format in lower case, as Artifact Registry spells it.

    >>> registry_url("asia-southeast1", "my-gcp-project", "data-integration-dmd")
    'asia-southeast1-docker.pkg.dev/my-gcp-project/data-integration-dmd'
    >>> registry_url("ASIA-SOUTHEAST1", "acme-prod", "apps", "PYTHON")
    'asia-southeast1-python.pkg.dev/acme-prod/apps'
    """
    host = f"{location.lower()}-{repository_format.lower()}.pkg.dev"
    return f"{host}/{project}/{repository_id}"
