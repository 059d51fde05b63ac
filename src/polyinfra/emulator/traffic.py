"""A service's traffic the way Cloud Run checks and resolves it: the validation of
``spec.traffic`` (each target pinned to a revision of the service or following the latest one,
integer percents from 0 to 100 that sum to 100, unique DNS-label tags), the ``status.traffic``
a settled rollout answers (each target naming the revision it resolves to, a tagged one with its
own URL), and whether a revision serves traffic.

The Admin API v1 is Knative Serving's: the rules and their wording are Knative's route
validation (knative/serving, ``pkg/apis/serving/v1/route_validation.go``: "Traffic targets sum
to 90, want 100", "Multiple definitions for ...", "may not set revisionName ... when
latestRevision is true"), which Cloud Run answers as 400 INVALID_ARGUMENT with a
``google.rpc.BadRequest`` field violation per problem. A target that names neither a revision
nor ``latestRevision`` follows the latest revision (the discovery document: ``latestRevision``
"defaults to true otherwise"). A revision that does not exist is answered with Cloud Run's own
message ("Revision '...' does not exist or is deleted. Update all traffic to route to currently
available revisions.", seen in terraform-google-modules/terraform-docs-samples#269).

A tag gets the URL ``https://TAG---SERVICE-...run.app`` next to the service's own: Google's
announcement of traffic tags tests a tagged revision at ``https://green---myservice-abcdef.a.run.app``
(https://cloud.google.com/blog/products/serverless/cloud-run-now-supports-gradual-rollouts-and-rollbacks).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from polyinfra.emulator.wire import JsonObject

#: A DNS-1035 label (Knative checks tags with Kubernetes' ``IsDNS1035Label``).
_DNS_1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")

_DNS_1035_MESSAGE = (
    "not a DNS 1035 label: [a DNS-1035 label must consist of lower case alphanumeric "
    "characters or '-', start with an alphabetic character, and end with an alphanumeric "
    "character (e.g. 'my-name',  or 'abc-123', regex used for validation is "
    "'[a-z]([-a-z0-9]*[a-z0-9])?')]"
)

Violation = tuple[str, str]


def follows_latest(target: JsonObject) -> bool:
    """Whether ``target`` follows the latest ready revision (set, or defaulted for a target
    that names no revision)."""
    latest = target.get("latestRevision")
    return bool(latest) if latest is not None else not target.get("revisionName")


def _percent(value: Any) -> int | None:
    """The percent of a target (0 when absent), None when it is not an integer."""
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def violations(
    targets: Any,
    *,
    service: str,
    owner: Callable[[str], str | None],
    cutting: str = "",
) -> list[Violation]:
    """What is wrong with ``targets`` (a service's ``spec.traffic``, integers already in their
    JSON form) for ``service``. ``owner(name)`` is the service a revision belongs to (None when
    there is no such revision); ``cutting`` is the revision this very write cuts, which may be
    named before it exists."""
    where = "spec.traffic"
    if not isinstance(targets, list):
        return [(where, "Expected a list of traffic targets.")]
    found: list[Violation] = []
    tags: dict[str, int] = {}
    total = 0
    for index, target in enumerate(targets):
        here = f"{where}[{index}]"
        if not isinstance(target, dict):
            found.append((here, "Expected a traffic target object."))
            continue
        percent = _percent(target.get("percent"))
        if percent is None:
            found.append(
                (
                    f"{here}.percent",
                    f"Invalid value at 'service.{here}.percent' (TYPE_INT32), "
                    f"{target.get('percent')!r}",
                )
            )
        elif not 0 <= percent <= 100:
            found.append((f"{here}.percent", f"expected 0 <= {percent} <= 100"))
        else:
            total += percent
        found.extend(_pinning(target, here, service, owner, cutting))
        if target.get("url"):
            found.append((f"{here}.url", "must not set the field(s)"))
        tag = target.get("tag")
        if tag:
            tag = str(tag)
            if len(tag) > 63 or not _DNS_1035.match(tag):
                found.append((f"{here}.tag", _DNS_1035_MESSAGE))
            if tag in tags:
                found.append((f"{here}.tag", f'Multiple definitions for "{tag}"'))
            else:
                tags[tag] = index
    if total != 100 and not any(path.endswith(".percent") for path, _ in found):
        found.append((where, f"Traffic targets sum to {total}, want 100"))
    return found


def _pinning(
    target: JsonObject,
    here: str,
    service: str,
    owner: Callable[[str], str | None],
    cutting: str,
) -> list[Violation]:
    """A target's revision: pinned (and then an existing revision of ``service``) or following
    the latest, never both."""
    name = str(target.get("revisionName") or "")
    latest = target.get("latestRevision")
    if latest is not None and bool(latest) == bool(name):
        return [
            (
                f"{here}.latestRevision",
                f'may not set revisionName "{name}" when latestRevision is '
                f"{str(bool(latest)).lower()}",
            )
        ]
    if not name or name == cutting:
        return []
    belongs = owner(name)
    if belongs is None:
        return [
            (
                f"{here}.revisionName",
                f"Revision '{name}' does not exist or is deleted. Update all traffic to route "
                "to currently available revisions.",
            )
        ]
    if belongs != service:
        return [
            (
                f"{here}.revisionName",
                f"Revision '{name}' belongs to service '{belongs}', not to '{service}'.",
            )
        ]
    return []


def tag_url(service_url: str, tag: str) -> str:
    """The URL of ``tag`` of the service at ``service_url`` (``https://HOST``)."""
    scheme, _, host = service_url.partition("://")
    return f"{scheme}://{tag}---{host}"


def resolved(targets: Sequence[Any], latest_ready: str, service_url: str) -> list[JsonObject]:
    """``status.traffic``: the spec's targets, each naming the revision it resolves to (the
    latest ready one for a target that follows it), a tagged one with its URL."""
    answer = []
    for target in targets:
        if not isinstance(target, dict):
            continue
        entry: JsonObject = {}
        if follows_latest(target):
            entry["revisionName"] = latest_ready
            entry["latestRevision"] = True
        else:
            entry["revisionName"] = target["revisionName"]
        entry["percent"] = int(target.get("percent") or 0)
        if target.get("tag"):
            entry["tag"] = target["tag"]
            entry["url"] = tag_url(service_url, str(target["tag"]))
        answer.append(entry)
    return answer


def serves(targets: Sequence[Any], revision: str, latest_ready: str) -> bool:
    """Whether ``revision`` is routed to by ``targets``: it takes a share of the traffic or
    carries a tag (its tag's URL serves it)."""
    for target in targets:
        if not isinstance(target, dict):
            continue
        name = latest_ready if follows_latest(target) else str(target.get("revisionName") or "")
        if name == revision and (int(target.get("percent") or 0) > 0 or target.get("tag")):
            return True
    return False
