"""Checks of ``iam`` grants that need the whole stack: a short name names a resource the stack
declares, a grant without ``member`` has the project's service account to go to, a Cloud Run
grant has a region, and no two grants share a logical name."""

from __future__ import annotations

from collections.abc import Callable

from polyinfra.foundation.grants import CLOUD_RUN_KINDS, KINDS, grant_names
from polyinfra.foundation.model import Findings, StackConfig, display_path
from polyinfra.suggest import closest
from polyinfra.yamlio import KeyPath

#: Claims a logical name for the resource at a model path (reports a name used twice).
Claim = Callable[[str, KeyPath], None]


def declared_names(config: StackConfig) -> dict[str, list[str]]:
    """Kind -> the names of the resources of that kind the stack creates, in file order."""
    found: dict[str, list[str]] = {kind: [] for kind in KINDS}
    for project in config.input.projects.values():
        found["secret"] += [secret.secret_id for secret in project.secrets]
        found["bucket"] += [bucket.name for bucket in project.cloud_storage]
        if project.bigquery_dataset is not None:
            found["dataset"].append(project.bigquery_dataset.dataset_id)
        for topic in project.pubsub_topics:
            found["topic"].append(topic.name)
            found["subscription"] += [subscription.name for subscription in topic.subscriptions]
        if project.service_account is not None:
            found["service_account"].append(project.service_account.account_id)
    return found


def check_grants(config: StackConfig, errors: Findings, claim: Claim) -> None:
    """Add every problem of the stack's ``iam`` grants to ``errors``."""
    declared = declared_names(config)
    seen: dict[tuple[str, ...], KeyPath] = {}
    named = grant_names(config.input.projects, config.gcp.region)
    for name, project in config.input.projects.items():
        account = project.service_account
        for index, grant in enumerate(project.iam):
            path: KeyPath = ("input", "projects", name, "iam", index)
            target = grant.target
            kind = KINDS[target.kind]
            if grant.member is None and account is None:
                errors.add(
                    path,
                    f"the grant has no member: it is for the project's service account, but "
                    f"input:projects.{name} declares no service_account",
                    "add `member:` (serviceAccount:<email>, group:<email>...) or a "
                    "service_account to the project",
                )
                continue
            if target.kind in CLOUD_RUN_KINDS:
                if not target.full and grant.location is None and config.gcp.region is None:
                    errors.add(
                        path,
                        f"no location for the Cloud Run {target.kind}",
                        "set location here or gcp:region",
                    )
                    continue
            elif not target.full and target.name not in declared[target.kind]:
                names = declared[target.kind]
                close = closest(target.name, names)
                what = target.kind.replace("_", " ")
                listed = f" (its {what}s: {', '.join(names)})" if names and not close else ""
                errors.add(
                    (*path, "resource", target.kind),
                    f"{what} '{target.name}' is not declared by this stack{listed}",
                    f"did you mean '{close}'?"
                    if close
                    else f"declare it ({kind.declared}), or name an existing one by its full "
                    f"name {kind.full}",
                    value=True,
                )
                continue
            misfit = _role_misfit(grant.role, target.kind)
            if misfit is not None:
                errors.add((*path, "role"), *misfit, value=True)
                continue
            resource, identity = named[(name, index)]
            if identity in seen:
                errors.add(
                    path,
                    f"the same grant as {display_path(seen[identity])}: {grant.role} on "
                    f"{target.kind} '{target.name}' for the same member",
                    "remove one of the two",
                )
                continue
            seen[identity] = path
            claim(resource, path)


#: The basic roles, which are not tied to one service.
_BASIC_ROLES = frozenset({"roles/owner", "roles/editor", "roles/viewer"})


def _role_misfit(role: str, kind: str) -> tuple[str, str] | None:
    """Why Google would refuse ``role`` on a resource of ``kind`` (message, hint), or None.

    A resource's IAM policy takes the predefined roles of its own service (the roles Google
    lists as grantable on it: https://cloud.google.com/iam/docs/roles-permissions, one page
    per service); a role of another service is refused when the policy is set. Custom roles
    and the basic roles are not judged here.
    """
    if not role.startswith("roles/") or role in _BASIC_ROLES:
        return None
    service = role.removeprefix("roles/").split(".", 1)[0]
    expected = KINDS[kind].api.split(".", 1)[0]
    if service == expected:
        return None
    what = kind.replace("_", " ")
    return (
        f"{role} cannot be granted on a {what}: a {what}'s IAM policy takes roles of "
        f"{KINDS[kind].api} (roles/{expected}.*), and Google refuses this grant when the stack "
        "is applied",
        f"grant a roles/{expected}.* role on the {what}, or grant {role} on a resource of its "
        "own service",
    )
