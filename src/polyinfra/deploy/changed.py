"""``deploy --changed``: the apps whose inputs changed since the version running in an
environment.

For each app with an overlay for the environment, its live objects are read. The commit each
was deployed from is the one a deploy records on the object (``polyinfra.dev/commit``), else
its version when that names a commit of the repository (a SHA or a tag). The files changed
between that commit and the checkout are then mapped to apps exactly as ``polyinfra affected``
maps them (bricks, project files, lock, Dockerfile, base and overlays), and an app is chosen
when the answer names it. An app that is not deployed, or whose running version cannot be
traced to a commit here, is chosen too, saying why: deploying it is the safe side.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from polyinfra.deploy.apply import stamped_version
from polyinfra.deploy.locate import locate
from polyinfra.deploy.release import deployed_commit, resolve_commit
from polyinfra.errors import ToolError

if TYPE_CHECKING:
    from polyinfra.deploy.client import CloudRunClient
    from polyinfra.deploy.errors import JsonObject
    from polyinfra.workspace import Workspace

#: Reasons listed per app; the rest are counted.
MAX_REASONS = 3


@dataclass(frozen=True)
class Choice:
    """One app and why it is deployed (or, with no reasons, why not)."""

    app: str
    #: the commit the live objects were deployed from ("" when not known)
    base: str
    reasons: tuple[str, ...] = ()

    @property
    def chosen(self) -> bool:
        return bool(self.reasons)


def live_commit(root: Path, live: JsonObject) -> str:
    """The commit ``live`` was deployed from: recorded by the deploy, else its version's."""
    return deployed_commit(live) or resolve_commit(root, stamped_version(live) or "") or ""


def choose_changed(
    ws: Workspace,
    env: str,
    *,
    region: str | None,
    client_for: Callable[[str], CloudRunClient],
) -> list[Choice]:
    """For every app with an overlay for ``env``: whether it changed since the version that
    runs there (``client_for(region)`` reads the live objects), in the order of the apps."""
    from polyinfra.affected import find_affected

    by_app: dict[str, list[str]] = {}
    bases: dict[str, str] = {}
    for target in locate(ws, [], env, region=region):
        if by_app.get(target.app):
            continue  # already chosen by another of its objects
        reasons = by_app.setdefault(target.app, [])
        live = client_for(target.region).get(target.ref)
        if live is None:
            reasons.append(f"not deployed in {env} ({target.ref})")
            continue
        back = _rolled_back(live)
        if back:
            reasons.append(back)
            continue
        commit = live_commit(ws.root, live)
        if not commit:
            version = stamped_version(live) or "none"
            reasons.append(
                f"the running version ({version}) is not a commit of this repository and its "
                "deploy recorded none"
            )
            continue
        known = bases.setdefault(target.app, commit)
        if known != commit:
            reasons.append(f"its objects run different commits ({known[:12]}, {commit[:12]})")
    answers: dict[str, dict[str, tuple[str, ...]]] = {}
    for app, base in bases.items():
        if by_app[app] or base in answers:
            continue
        try:
            answer = find_affected(ws, base, "HEAD", env=env)
        except ToolError as exc:
            answers[base] = {"*": (f"cannot compare with {base[:12]}: {exc.message}",)}
            continue
        answers[base] = {
            item.name: tuple(_reason(r.path, r.why) for r in item.reasons) for item in answer.apps
        }
    choices = []
    for app, reasons in by_app.items():
        base = bases.get(app, "")
        if not reasons and base:
            found = answers[base]
            reasons = list(found.get("*", found.get(app, ())))
        choices.append(Choice(app, base, tuple(_capped(reasons))))
    return choices


def _rolled_back(live: JsonObject) -> str:
    """Why a service whose latest revision serves no traffic (a rollback pinned it to an
    earlier one) runs something else than its recorded commit, or "" when it does not."""
    status = live.get("status") or {}
    latest = status.get("latestReadyRevisionName")
    shares = [t for t in status.get("traffic") or () if isinstance(t, dict)]
    if not latest or not shares:
        return ""
    if any(t.get("revisionName") == latest and int(t.get("percent") or 0) > 0 for t in shares):
        return ""
    serving = ", ".join(
        str(t.get("revisionName")) for t in shares if int(t.get("percent") or 0) > 0
    )
    return (
        f"rolled back: its latest revision {latest} serves no traffic ({serving or 'none'} "
        "does); deploying rolls it forward"
    )


def _reason(path: str, why: str) -> str:
    return f"{path}: {why}" if path else why


def _capped(reasons: Sequence[str]) -> list[str]:
    if len(reasons) <= MAX_REASONS:
        return list(reasons)
    return [*reasons[:MAX_REASONS], f"and {len(reasons) - MAX_REASONS} more"]
