"""Traffic between a service's revisions: what ``deploy --traffic N``, ``--no-traffic`` and
``--tag T`` write to ``spec.traffic``, what ``promote`` writes, and how a split is shown.

A split that leaves the new revision with less than everything pins every target to a named
revision (a target that follows the latest revision would move to the new one as soon as it is
ready), so the new revision is named before it exists: ``spec.template.metadata.name`` is
:func:`revision_name`, which Cloud Run accepts when it starts with the service's name and a
hyphen. Cloud Run keeps a pinned split for every later deploy (Rollbacks, gradual rollouts, and
traffic migration, "Lifecycle of traffic splits":
https://cloud.google.com/run/docs/rollouts-rollbacks-traffic-migration), which is how a new
revision silently ends up with no traffic; a deploy without these flags therefore writes the
manifest's traffic and says which pinned split it replaced.

Everything here is computed from the live object alone, so an ``adjust`` hook of
:func:`~polyinfra.deploy.apply.apply_object` made from it is idempotent: against a live object
that already holds its write it makes the same body.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from polyinfra.deploy.apply import DeployFailed, stamped_version
from polyinfra.deploy.errors import JsonObject

#: The longest revision name Cloud Run takes (a DNS label).
MAX_REVISION_NAME = 63

_NOT_LABEL = re.compile(r"[^a-z0-9-]+")

#: A traffic tag: a DNS-1035 label (Knative's validation of ``spec.traffic[].tag``).
TAG = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")

#: What the output says when a service had no other revision to keep traffic on.
ALONE = (
    "nothing else serves traffic: the new revision gets 100% (Cloud Run cannot split "
    "traffic without another revision)"
)


@dataclass(frozen=True)
class Target:
    """One entry of a service's traffic: a share of its requests for a named revision, or for
    the latest ready one (``latest``), and the tag that gives it a URL of its own.

    ``revision`` is the revision a target resolves to where that is known (a ``latest`` target
    read from ``status.traffic``, or resolved with :func:`resolve`), else "" for ``latest``."""

    revision: str
    percent: int
    tag: str = ""
    latest: bool = False
    url: str = ""

    @classmethod
    def from_json(cls, value: JsonObject) -> Target:
        """A target from its JSON form (``spec.traffic[]`` or ``status.traffic[]``)."""
        name = str(value.get("revisionName") or "")
        latest = value.get("latestRevision")
        return cls(
            revision=name,
            percent=int(value.get("percent") or 0),
            tag=str(value.get("tag") or ""),
            latest=bool(latest) if latest is not None else not name,
            url=str(value.get("url") or ""),
        )

    def to_json(self) -> JsonObject:
        """The ``spec.traffic[]`` entry that writes this target."""
        written: JsonObject = (
            {"latestRevision": True} if self.latest else {"revisionName": self.revision}
        )
        written["percent"] = self.percent
        if self.tag:
            written["tag"] = self.tag
        return written


def targets(obj: JsonObject | None, where: str = "spec") -> list[Target]:
    """The traffic targets of a service object's ``spec`` (or ``status``)."""
    section = (obj or {}).get(where) or {}
    return [Target.from_json(t) for t in section.get("traffic") or () if isinstance(t, dict)]


def latest_ready(obj: JsonObject | None) -> str:
    """The service's latest ready revision ("" when none is ready)."""
    return str(((obj or {}).get("status") or {}).get("latestReadyRevisionName") or "")


def resolve(obj: JsonObject | None) -> list[Target]:
    """The live split: the spec's targets, each pinned to the revision it routes to now (a
    target that follows the latest revision routes to the latest ready one). Empty when the
    service does not exist or has no ready revision: nothing serves."""
    ready = latest_ready(obj)
    if not ready:
        return []
    return [
        replace(t, revision=ready, latest=False) if t.latest else t for t in targets(obj, "spec")
    ]


def is_pinned(obj: JsonObject | None) -> bool:
    """True when a live service serves and none of its traffic follows the latest revision:
    a new revision would get no traffic unless the split is replaced."""
    return bool(latest_ready(obj)) and not any(t.latest for t in targets(obj, "spec"))


def revision_name(service: str, desired: JsonObject) -> str:
    """The name a deploy gives the revision ``desired`` (a stamped manifest) cuts:
    ``<service>-<version>-<hash>``, the version made a DNS label and the hash the first 6 hex
    digits of the SHA-256 of the revision template (without a name). The same version and
    template always get the same name; a template that changed under the same version gets
    another (Cloud Run refuses to reuse a name for a different template). "" when the service's
    name leaves no room (it is longer than Cloud Run allows)."""
    template = copy.deepcopy((desired.get("spec") or {}).get("template") or {})
    (template.get("metadata") or {}).pop("name", None)
    digest = hashlib.sha256(json.dumps(template, sort_keys=True).encode()).hexdigest()[:6]
    version = _NOT_LABEL.sub("-", (stamped_version(desired) or "").lower()).strip("-")
    room = MAX_REVISION_NAME - len(service) - len(digest) - 2
    if room < 0:
        return ""  # Cloud Run's services have shorter names; this one cannot name a revision
    version = version[:room].rstrip("-")
    return "-".join(part for part in (service, version, digest) if part)


def scaled(others: Sequence[Target], rest: int) -> list[Target]:
    """``others`` sharing ``rest`` percent in proportion to their percents, rounded by largest
    remainder so the shares sum to ``rest`` (ties: the larger share first, then the order
    given). A target left with 0% is kept only when it carries a tag."""
    total = sum(t.percent for t in others)
    if total <= 0:
        return [replace(t, percent=0) for t in others if t.tag]
    floors = [rest * t.percent // total for t in others]
    remainders = [rest * t.percent % total for t in others]
    order = sorted(range(len(others)), key=lambda i: (-remainders[i], -others[i].percent, i))
    for index in order[: rest - sum(floors)]:
        floors[index] += 1
    shares = [replace(t, percent=share) for t, share in zip(others, floors, strict=True)]
    return [t for t in shares if t.percent or t.tag]


def shifted(current: Sequence[Target], revision: str, percent: int, tag: str = "") -> list[Target]:
    """``current`` (a resolved split) with ``percent`` moved to ``revision`` and the other
    targets keeping their relative shares of the rest; ``revision`` keeps the tag it had
    unless ``tag`` is given, which moves to it from any other target. Empty when no other
    revision serves (there is nothing to split with)."""
    own = [t for t in current if t.revision == revision]
    others = [t for t in current if t.revision != revision]
    if tag:
        others = [replace(t, tag="") if t.tag == tag else t for t in others]
    kept_tags = [t.tag for t in own if t.tag]
    new_tag = tag or (kept_tags[0] if kept_tags else "")
    if not any(t.percent for t in others):
        return []
    extra = [Target(revision, 0, other) for other in kept_tags if other != new_tag]
    moved = [Target(revision, percent, new_tag)] if percent or new_tag else []
    return [*scaled(others, 100 - percent), *moved, *extra]


def alone(revision: str, tag: str, current: Sequence[Target]) -> list[Target]:
    """The traffic of a service whose new ``revision`` is the only one to serve: all of it to
    the latest revision, the tag (when given) on ``revision``, other tags kept."""
    kept = [replace(t, percent=0) for t in current if t.tag and t.tag != tag]
    tagged = [Target(revision, 0, tag)] if tag else []
    return [Target("", 100, latest=True), *kept, *tagged]


@dataclass(frozen=True)
class TrafficRequest:
    """What ``deploy`` was asked to do with each service's traffic: ``percent`` for the new
    revision (``--traffic N``; 0 for ``--no-traffic``; None: the manifest's traffic) and a
    ``tag`` for it (``--tag T``)."""

    percent: int | None = None
    tag: str = ""

    def flags(self) -> str:
        """The options as typed, for messages."""
        given = []
        if self.percent == 0:
            given.append("--no-traffic")
        elif self.percent is not None:
            given.append(f"--traffic {self.percent}")
        if self.tag:
            given.append(f"--tag {self.tag}")
        return " ".join(given)


def traffic_request(
    percent: int | None, *, no_traffic: bool, tag: str | None
) -> TrafficRequest | None:
    """The request made of ``deploy``'s options (None when none was given)."""
    if no_traffic:
        percent = 0
    if percent is None and not tag:
        return None
    return TrafficRequest(percent, tag or "")


@dataclass(frozen=True)
class TrafficReport:
    """What a deploy or a promotion did to a service's traffic: the split before and after
    (``after`` as the service routes it once ready, tags with their URLs), the revision it was
    about, a note for the output, the pinned split a deploy replaced (a warning), what was
    written, and whether the split is shown (it is when traffic options were given)."""

    revision: str
    before: tuple[Target, ...] = ()
    after: tuple[Target, ...] = ()
    note: str = ""
    replaced: tuple[Target, ...] = ()
    written: tuple[Target, ...] = ()
    shown: bool = True

    def tag_urls(self) -> list[tuple[str, str]]:
        """(tag, URL) of every tagged target after, in order."""
        return [(t.tag, t.url) for t in self.after if t.tag and t.url]


@dataclass
class TrafficPlan:
    """The traffic one service's deploy writes, as an ``adjust`` hook of ``apply_object``; it
    remembers what it found for the report."""

    service: str
    request: TrafficRequest | None = None
    before: tuple[Target, ...] | None = None
    note: str = ""
    replaced: tuple[Target, ...] = ()
    written: tuple[Target, ...] = ()
    revision: str = ""
    _seen: bool = field(default=False, repr=False)

    def adjust(self, desired: JsonObject, live: JsonObject | None) -> JsonObject:
        """The object to write: ``desired`` with its revision named and its traffic made from
        the request and ``live``. Idempotent (see the module docstring)."""
        request = self.request or TrafficRequest()
        planned = revision_name(self.service, desired)
        self.revision = planned
        current = resolve(live)
        if not self._seen:
            self.before, self._seen = tuple(current), True
        body = copy.deepcopy(desired)
        spec = body.setdefault("spec", {})
        template_meta = spec.setdefault("template", {}).setdefault("metadata", {})
        live_name = (((live or {}).get("spec") or {}).get("template") or {}).get("metadata") or {}
        self.note, self.replaced = "", ()
        if (request.percent is not None or request.tag) and not planned:
            raise DeployFailed(
                f"service name {self.service!r} is too long to name the new revision "
                f"({MAX_REVISION_NAME} characters at most with a suffix)"
            )
        if request.percent is None:
            written = self._manifest_traffic(body, live, planned, request.tag)
            if planned and (request.tag or live_name.get("name") == planned):
                template_meta["name"] = planned
        else:
            template_meta["name"] = planned
            written = shifted(current, planned, request.percent, request.tag)
            if not written:
                written = alone(planned, request.tag, current)
                self.note = ALONE
            spec["traffic"] = [t.to_json() for t in written]
        self.written = tuple(written)
        return body

    def _manifest_traffic(
        self, body: JsonObject, live: JsonObject | None, planned: str, tag: str
    ) -> list[Target]:
        """The manifest's traffic (Cloud Run's default, all to the latest revision, when it
        has none: then written explicitly over a pinned split, which an absent field would
        leave alone in a comparison) with ``tag`` on the new revision; a pinned live split it
        replaces is remembered. The manifest's own traffic is written as it is."""
        manifest = targets(body)
        written = manifest or [Target("", 100, latest=True)]
        if tag:
            written = [replace(t, tag="") if t.tag == tag else t for t in written]
            written.append(Target(planned, 0, tag))
        # the live tags stay where they point (as gcloud keeps them), with no traffic of their
        # own, unless the manifest or --tag names them
        named = {t.tag for t in written if t.tag}
        kept = [
            Target(t.revision, 0, t.tag)
            for t in resolve(live)
            if t.tag and t.tag not in named and t.revision
        ]
        written += kept
        pinned = is_pinned(live)
        if pinned and written != targets(live):
            self.replaced = tuple(resolve(live))
        if tag or kept or (pinned and not manifest):
            body["spec"]["traffic"] = [t.to_json() for t in written]
        return written

    def report(self, routed: Iterable[JsonObject] = ()) -> TrafficReport:
        """What the deploy did; ``routed`` is the ``status.traffic`` read once it was ready
        (the written targets stand in when it is not known)."""
        after = [Target.from_json(t) for t in routed]
        return TrafficReport(
            revision=self.revision,
            before=self.before or (),
            after=tuple(after or self.written),
            note=self.note,
            replaced=self.replaced,
            written=self.written,
            shown=self.request is not None,
        )


def promoted(live: JsonObject, percent: int) -> list[Target]:
    """The traffic ``promote`` writes: ``percent`` to the latest ready revision, the others
    keeping their relative shares of the rest; with 100, everything follows the latest
    revision again (later deploys roll forward). Tags stay where they are."""
    ready = latest_ready(live)
    current = targets(live, "spec")
    if percent == 100:
        kept = [replace(t, percent=0) for t in current if t.tag]
        return [Target("", 100, latest=True), *kept]
    return shifted(resolve(live), ready, percent) or [Target("", 100, latest=True)]


def describe(split: Sequence[Target]) -> str:
    """A split in a few words: ``90% api-00001-abc, 10% api-v2-1a2b3c``; a target that
    follows the latest revision is ``the latest revision``."""
    shares = [
        f"{t.percent}% {'to the latest revision' if t.latest and not t.revision else t.revision}"
        for t in split
        if t.percent
    ]
    return ", ".join(shares) or "no traffic"


def wrapped(text: str, width: int = 80) -> list[str]:
    """``text`` in lines of at most ``width`` columns, the ones after the first indented."""
    return textwrap.wrap(
        text, width, subsequent_indent="  ", break_long_words=False, break_on_hyphens=False
    )


def split_table(before: Sequence[Target], after: Sequence[Target], revision: str = "") -> list[str]:
    """Rows of a split before and after, one per revision (``before`` order, then new ones):
    its percent before and after (``-`` where it had no target), and notes (``new`` for
    ``revision`` when it had no target before, ``latest`` when it follows the latest revision,
    its tags)."""
    names: list[str] = []
    for target in (*before, *after):
        if target.revision not in names:
            names.append(target.revision)

    def share(split: Sequence[Target], name: str) -> str:
        mine = [t for t in split if t.revision == name]
        return f"{sum(t.percent for t in mine)}%" if mine else "-"

    width = max([len("revision"), *(len(name) for name in names)])
    rows = [f"  {'revision'.ljust(width)}  before  after"]
    for name in names:
        notes = []
        if name == revision and not any(t.revision == name for t in before):
            notes.append("new")
        if any(t.revision == name and t.latest for t in after):
            notes.append("latest")
        tags = [t.tag for t in after if t.revision == name and t.tag]
        if tags:
            notes.append(f"tag {', '.join(tags)}")
        row = f"  {name.ljust(width)}  {share(before, name):>6}  {share(after, name):>5}"
        rows.append(f"{row}  {', '.join(notes)}".rstrip())
    return rows
