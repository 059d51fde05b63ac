"""Promote a service: move a share of its traffic (all of it by default) to its latest ready
revision, without a new build, render or revision, and wait until it is ready."""

from __future__ import annotations

import copy
from dataclasses import dataclass

from polyinfra.deploy.apply import DeployFailed, Progress, apply_object, wait_ready
from polyinfra.deploy.client import CloudRunClient
from polyinfra.deploy.errors import JsonObject
from polyinfra.deploy.rollout import DeployTarget
from polyinfra.deploy.traffic import Target, latest_ready, promoted, resolve


@dataclass(frozen=True)
class Promotion:
    """What a promotion did: the revision it promoted, whether it wrote (``replaced``) or
    found the split already so (``unchanged``), the split before and after (as routed once
    ready, tags with their URLs), and the service's URL."""

    target: DeployTarget
    revision: str
    action: str
    before: tuple[Target, ...]
    after: tuple[Target, ...]
    url: str = ""


def promote(
    client: CloudRunClient,
    target: DeployTarget,
    percent: int,
    *,
    timeout: float,
    poll: float = 1.0,
    first_poll: float = 0.2,
    progress: Progress | None = None,
) -> Promotion:
    """Give ``percent`` of the service's traffic to its latest ready revision, the other
    revisions keeping their relative shares of the rest (with 100 every request follows the
    latest revision again, so later deploys roll forward); tags stay. DeployFailed when the
    service is not deployed, has no ready revision, or does not become ready."""
    ref = target.ref
    live = client.get(ref)
    if live is None:
        raise DeployFailed(f"not deployed: there is no {ref} in region {target.region}")
    if not latest_ready(live):
        created = (live.get("status") or {}).get("latestCreatedRevisionName") or "none"
        raise DeployFailed(
            f"{ref} has no ready revision to promote (latest created: {created}); deploy a "
            "version that becomes ready first"
        )
    before = tuple(resolve(live))
    promoting = [latest_ready(live)]

    def adjust(desired: JsonObject, current: JsonObject | None) -> JsonObject:
        if current is None:
            raise DeployFailed(f"{ref} disappeared while it was being promoted")
        promoting[0] = latest_ready(current) or promoting[0]
        body = copy.deepcopy(current)
        body.pop("status", None)
        body.setdefault("spec", {})["traffic"] = [t.to_json() for t in promoted(current, percent)]
        return body

    if progress is not None:
        progress(f"moving {percent}% of the traffic to {promoting[0]}")
    applied = apply_object(client, ref, live, adjust=adjust)
    if progress is not None:
        progress(f"{applied.action}; waiting for Ready")
    state = wait_ready(
        client,
        ref,
        applied.generation,
        timeout=timeout,
        poll=poll,
        first_poll=first_poll,
        progress=progress,
    )
    return Promotion(
        target=target,
        revision=promoting[0],
        action=applied.action,
        before=before,
        after=tuple(Target.from_json(t) for t in state.traffic),
        url=state.url,
    )
