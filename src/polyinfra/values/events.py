"""Eventarc values: trigger names, CloudEvent types and the Pub/Sub topic a trigger listens to."""

from __future__ import annotations

import re
from typing import Any

from polyinfra.suggest import closest
from polyinfra.values.base import (
    InvalidValue,
    _text,
    shown,
)
from polyinfra.values.names import pubsub_name

#: The event a Pub/Sub trigger delivers (https://cloud.google.com/eventarc/docs/reference/
#: supported-events, "Pub/Sub": the one direct event of the provider).
PUBSUB_EVENT = "google.cloud.pubsub.topic.v1.messagePublished"
#: The direct Cloud Storage events (the same page, "Cloud Storage").
STORAGE_EVENTS = frozenset(
    {
        "google.cloud.storage.object.v1.finalized",
        "google.cloud.storage.object.v1.deleted",
        "google.cloud.storage.object.v1.archived",
        "google.cloud.storage.object.v1.metadataUpdated",
    }
)
#: A Cloud Audit Logs entry written (the same page, "Cloud Audit Logs").
AUDIT_LOG_EVENT = "google.cloud.audit.log.v1.written"
KNOWN_EVENTS = frozenset({PUBSUB_EVENT, AUDIT_LOG_EVENT, *STORAGE_EVENTS})
#: Cloud Functions (1st gen) event types (``gcloud functions deploy --trigger-event``) and the
#: Eventarc types that replace them.
_LEGACY_EVENTS = {
    "google.pubsub.topic.publish": PUBSUB_EVENT,
    "google.storage.object.finalize": "google.cloud.storage.object.v1.finalized",
    "google.storage.object.delete": "google.cloud.storage.object.v1.deleted",
    "google.storage.object.archive": "google.cloud.storage.object.v1.archived",
    "google.storage.object.metadataUpdate": "google.cloud.storage.object.v1.metadataUpdated",
}
#: Providers whose whole set of direct events is :data:`KNOWN_EVENTS`: any other type under
#: them is a misspelling.
_CLOSED_PREFIXES = ("google.cloud.pubsub.", "google.cloud.storage.", "google.cloud.audit.")

#: The shape of Google's CloudEvent types, ``google.cloud.<product>.<resource>.<version>.<event>``
#: (github.com/googleapis/google-cloudevents: "google.cloud.firestore.document.v1.written",
#: "google.cloud.dataflow.job.v1beta3.statusChanged"), and of Firebase's, which Eventarc
#: delivers too ("google.firebase.database.ref.v1.written"); a suffix such as
#: ``.withAuthContext`` may follow the event.
_EVENT_TYPE = re.compile(
    r"google\.(?:cloud|firebase)\.[a-z][a-z0-9]*(?:\.[A-Za-z][A-Za-z0-9]*)*\.v[0-9]+[a-z0-9]*"
    r"(?:\.[A-Za-z][A-Za-z0-9]*)+",
    re.ASCII,
)


def event_type(value: Any) -> Any:
    """A CloudEvent type Eventarc filters on: a known direct event, or one of Google's
    ``google.cloud.<product>.<resource>.v<N>.<event>`` (or ``google.firebase....``) types."""
    text = _text(value, "an event type")
    if text in KNOWN_EVENTS:
        return value
    if text in _LEGACY_EVENTS:
        raise InvalidValue(
            f"{shown(text)} is a Cloud Functions (1st gen) event type, which Eventarc does not "
            "filter on",
            f"use {_LEGACY_EVENTS[text]!r}",
        )
    close = closest(text, sorted(KNOWN_EVENTS), cutoff=0.8)
    hint = f"did you mean {close!r}?" if close else None
    if text.startswith(_CLOSED_PREFIXES):
        raise InvalidValue(
            f"{shown(text)} is not an event type Eventarc delivers",
            hint or "use one of " + ", ".join(sorted(KNOWN_EVENTS)),
        )
    if not _EVENT_TYPE.fullmatch(text):
        raise InvalidValue(
            f"{shown(text)} is not a Google CloudEvent type polyinfra can check: those read "
            "google.cloud.<product>.<resource>.v<N>.<event> (or google.firebase....)",
            hint or f"e.g. {PUBSUB_EVENT}",
        )
    return value


#: Eventarc trigger ids: lowercase letters, digits and hyphens, a letter first, at most 63
#: characters (https://cloud.google.com/eventarc/docs/creating-triggers, the trigger name).
_TRIGGER_NAME = re.compile(r"[a-z][a-z0-9-]{0,62}", re.ASCII)


def eventarc_trigger_name(value: Any) -> Any:
    """An Eventarc trigger name."""
    text = _text(value, "a trigger name")
    if not _TRIGGER_NAME.fullmatch(text):
        raise InvalidValue(
            f"{shown(text)} is not an Eventarc trigger name: at most 63 lowercase letters, "
            "digits and hyphens, starting with a letter",
            f"for example {_suggest(text)!r}",
        )
    return value


def _suggest(text: str) -> str:
    cleaned = re.sub(r"[^a-z0-9-]+", "-", text.lower(), flags=re.ASCII).strip("-")
    cleaned = re.sub(r"^[^a-z]+", "", cleaned)[:63].rstrip("-")
    return cleaned or "my-trigger"


#: A topic's full id (pulumi-gcp ``eventarc.Trigger`` ``transport.pubsub.topic``: "Format:
#: `projects/{PROJECT_ID}/topics/{TOPIC_NAME}`"); project ids as :mod:`values.roles` reads them.
_TOPIC_ID = re.compile(r"projects/([a-z][a-z0-9-:.]{4,61}[a-z0-9])/topics/([^/]+)", re.ASCII)


def pubsub_topic(value: Any) -> Any:
    """A Pub/Sub topic: its name (a topic of the stack) or its full id
    ``projects/<project>/topics/<name>``."""
    text = _text(value, "a topic")
    if "/" not in text:
        return pubsub_name(text)
    found = _TOPIC_ID.fullmatch(text)
    if found is None:
        raise InvalidValue(
            f"{shown(text)} is not a Pub/Sub topic: give its name, or its full id "
            "projects/<project>/topics/<name>"
        )
    pubsub_name(found.group(2))
    return value
