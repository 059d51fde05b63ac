"""``add function --trigger``: what starts a function, parsed from the command line.

``http`` (the default) is a request to the function's URL. The others are Eventarc triggers,
which the foundation stack declares (``input:projects.<project>.triggers``):
``pubsub:TOPIC`` (a message published to TOPIC), ``storage:BUCKET[:EVENT]`` (an object event in
BUCKET; EVENT is ``finalized`` unless given) and ``event:TYPE`` (any CloudEvent type Eventarc
delivers, e.g. ``google.cloud.audit.log.v1.written``).
"""

from __future__ import annotations

from dataclasses import dataclass

from polyinfra import values
from polyinfra.cloudrun.vocabulary import HTTP_TRIGGER
from polyinfra.errors import UserError
from polyinfra.positions import Position
from polyinfra.values.events import AUDIT_LOG_EVENT, PUBSUB_EVENT
from polyinfra.values.events import STORAGE_EVENTS as EVENTS_OF_STORAGE

STORAGE_EVENT = "google.cloud.storage.object.v1."
#: The short names of the Cloud Storage object events (``finalized``...).
STORAGE_EVENTS = tuple(sorted(e.removeprefix(STORAGE_EVENT) for e in EVENTS_OF_STORAGE))
FORMS = "http, pubsub:TOPIC, storage:BUCKET[:EVENT] or event:TYPE"


@dataclass(frozen=True)
class Trigger:
    """What starts a function: ``event_type`` is None for HTTP."""

    event_type: str | None = None
    topic: str | None = None
    bucket: str | None = None

    @property
    def trigger_type(self) -> str:
        """The value of the ``cloudfunctions.googleapis.com/trigger-type`` annotation."""
        return self.event_type or HTTP_TRIGGER

    @property
    def signature_type(self) -> str:
        """``FUNCTION_SIGNATURE_TYPE``: how the Functions Framework calls the function."""
        return "http" if self.event_type is None else "cloudevent"

    @property
    def ingress(self) -> str:
        """An event function is reached through Eventarc only: internal ingress."""
        return "all" if self.event_type is None else "internal"


def parse_trigger(text: str | None, where: Position | None = None) -> Trigger:
    """``--trigger`` as given; a malformed one is a UserError naming the accepted forms."""
    if text is None or text == "http":
        return Trigger()
    kind, _, rest = text.partition(":")
    try:
        if kind == "pubsub" and rest:
            values.pubsub_name(rest)
            return Trigger(PUBSUB_EVENT, topic=rest)
        if kind == "storage" and rest:
            bucket, _, event = rest.partition(":")
            values.bucket_name(bucket)
            event = event or "finalized"
            if event not in STORAGE_EVENTS:
                raise values.InvalidValue(
                    f"{event!r} is not a Cloud Storage object event",
                    f"use one of {', '.join(STORAGE_EVENTS)}",
                )
            return Trigger(STORAGE_EVENT + event, bucket=bucket)
        if kind == "event" and rest:
            if not rest.startswith("google.") or any(c.isspace() for c in rest):
                raise values.InvalidValue(
                    f"{rest!r} is not a CloudEvent type",
                    "use a type Eventarc delivers, e.g. google.cloud.audit.log.v1.written",
                )
            if rest == PUBSUB_EVENT:
                raise values.InvalidValue(
                    "a Pub/Sub trigger needs its topic", "use --trigger pubsub:TOPIC"
                )
            if rest.startswith(STORAGE_EVENT):
                raise values.InvalidValue(
                    "a Cloud Storage trigger needs its bucket",
                    f"use --trigger storage:BUCKET:{rest[len(STORAGE_EVENT) :]}",
                )
            if rest == AUDIT_LOG_EVENT:
                raise values.InvalidValue(
                    "a Cloud Audit Logs trigger needs the serviceName and methodName it "
                    "filters on, which add does not ask for",
                    "add the function without --trigger, then write its entry under "
                    "input:projects.<project>.triggers with filters (see docs/foundation.md)",
                )
            return Trigger(rest)
    except values.InvalidValue as exc:
        hint = exc.hint or f"use {FORMS}"
        raise UserError(f"--trigger {text}: {exc.message}", position=where, hint=hint) from None
    raise UserError(
        f"--trigger {text!r} is not a trigger",
        position=where,
        hint=f"use {FORMS}",
    )
