"""Names and ranges of the platform resources: workload identity pools and providers, the
GitHub repository they trust, VPC networks and subnets."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from polyinfra.values.base import InvalidValue, _text, shown

#: Pool and provider ids (pulumi-gcp ``iam.WorkloadIdentityPool`` and
#: ``WorkloadIdentityPoolProvider``: "4-32 characters, and may contain the characters
#: [a-z0-9-]. The prefix `gcp-` is reserved for use by Google, and may not be specified").
_WORKLOAD_IDENTITY_ID = re.compile(r"[a-z0-9-]{4,32}", re.ASCII)


def _workload_identity_id(what: str) -> Any:
    def check(value: Any) -> Any:
        text = _text(value, f"a {what} id")
        if not _WORKLOAD_IDENTITY_ID.fullmatch(text):
            raise InvalidValue(
                f"{shown(text)}: not a workload identity {what} id: 4-32 lowercase letters, "
                "digits and hyphens"
            )
        if text.startswith("gcp-"):
            raise InvalidValue(
                f"{shown(text)}: the prefix 'gcp-' is reserved by Google", "choose another id"
            )
        return value

    return check


workload_identity_pool_id = _workload_identity_id("pool")
workload_identity_provider_id = _workload_identity_id("provider")

#: A GitHub repository as the ``repository`` claim of GitHub's OIDC token names it,
#: ``<owner>/<name>``. An owner (user or organization) is at most 39 letters, digits and single
#: hyphens, not starting or ending with one; a repository name is at most 100 letters, digits,
#: ``.``, ``-`` and ``_``, and neither ``.`` nor ``..`` (GitHub's sign-up and new-repository
#: forms).
_GITHUB_OWNER = r"[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38}"
_GITHUB_REPOSITORY = re.compile(rf"({_GITHUB_OWNER})/([A-Za-z0-9._-]{{1,100}})", re.ASCII)


def github_repository(value: Any) -> Any:
    """A GitHub repository, ``owner/name``."""
    text = _text(value, "a GitHub repository")
    found = _GITHUB_REPOSITORY.fullmatch(text)
    if found is None or found.group(2) in (".", ".."):
        hint = (
            "write the repository as owner/name, without https://github.com/ or .git"
            if "github.com" in text or text.endswith(".git")
            else "write the repository as owner/name, e.g. acme/data-platform"
        )
        raise InvalidValue(
            f"{shown(text)}: not a GitHub repository: <owner>/<name>, the owner at most 39 "
            "letters, digits and hyphens, the name at most 100 letters, digits, '.', '-' and '_'",
            hint,
        )
    return value


#: Compute Engine resource names, networks and subnets among them (pulumi-gcp
#: ``compute.Network`` and ``compute.Subnetwork`` ``name``: "1-63 characters long, and comply
#: with RFC1035 ... the first character must be a lowercase letter, and all following characters
#: must be a dash, lowercase letter, or digit, except the last character, which cannot be a
#: dash").
_COMPUTE_NAME = re.compile(r"[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?", re.ASCII)


def compute_name(value: Any) -> Any:
    """A Compute Engine resource name (a VPC network, a subnet)."""
    text = _text(value, "a name")
    if not _COMPUTE_NAME.fullmatch(text):
        raise InvalidValue(
            f"{shown(text)}: not a Compute Engine name: 1-63 lowercase letters, digits and "
            "hyphens, starting with a letter and not ending with a hyphen"
        )
    return value


#: The smallest range a subnet may have: a /29 (https://cloud.google.com/vpc/docs/subnets
#: #valid-ranges, the sizes of a subnet's IPv4 ranges).
SMALLEST_SUBNET_PREFIX = 29


def subnet_range(value: Any) -> Any:
    """A subnet's primary IPv4 range in CIDR notation (pulumi-gcp ``compute.Subnetwork``
    ``ip_cidr_range``: "For example, 10.0.0.0/8 or 192.168.0.0/16 ... Only IPv4 is
    supported")."""
    text = _text(value, "an IP range")
    try:
        network = ipaddress.IPv4Network(text, strict=False)
    except ValueError:
        network = None
    if network is None or "/" not in text:
        raise InvalidValue(f"{shown(text)}: not an IPv4 range in CIDR notation", "e.g. 10.8.0.0/24")
    if network.prefixlen > SMALLEST_SUBNET_PREFIX:
        raise InvalidValue(
            f"{shown(text)}: a subnet's range is at least a /{SMALLEST_SUBNET_PREFIX}",
            f"use a prefix length of {SMALLEST_SUBNET_PREFIX} or less",
        )
    return value


#: A project number: the decimal number Google assigns a project when it is created (the
#: ``projectNumber`` of the Resource Manager API's Project, an int64, so at most 19 digits and
#: no leading zero). Service agents are named after it.
_PROJECT_NUMBER = re.compile(r"[1-9][0-9]{0,18}", re.ASCII)


def project_number(value: Any) -> Any:
    """A Google Cloud project number, as a string of digits (a YAML integer is read as one)."""
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    text = _text(text, "a project number")
    if not _PROJECT_NUMBER.fullmatch(text):
        raise InvalidValue(
            f"{shown(text)}: not a project number: the digits Google assigned the project, "
            "without a leading zero",
            "`gcloud projects describe <project id> --format='value(projectNumber)'` prints it",
        )
    return value
