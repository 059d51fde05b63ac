"""``input:projects.<name>.triggers[]``: an Eventarc trigger delivering events to a Cloud Run
function, and what each kind of event needs (a topic, a bucket, filters).

A Pub/Sub trigger listens to ``topic``; a Cloud Storage trigger to ``bucket``; every other event
type is matched by ``filters``. Each trigger gets an identity of its own, whose id is derived
from the trigger's name (:meth:`Trigger.account_id`).
"""

from __future__ import annotations

import hashlib
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from polyinfra.values import AUDIT_LOG_EVENT, PUBSUB_EVENT, STORAGE_EVENTS, InvalidValue
from polyinfra.values.types import (
    BucketName,
    CloudRunFunctionName,
    EventarcTriggerName,
    EventType,
    PubsubTopic,
    Region,
)

EVENTARC_API = "eventarc.googleapis.com"
RUN_API = "run.googleapis.com"
PUBSUB_API = "pubsub.googleapis.com"
STORAGE_API = "storage.googleapis.com"

#: Filters a Cloud Audit Logs trigger must set (https://cloud.google.com/eventarc/docs/
#: reference/supported-events, "Cloud Audit Logs": the service and the method that wrote it).
AUDIT_LOG_FILTERS = ("serviceName", "methodName")

#: The prefix of every trigger's account id, so they read as such in the IAM console.
ACCOUNT_PREFIX = "trigger-"
#: Service account ids are 6-30 characters (pulumi-gcp ``serviceaccount.Account``
#: ``account_id``).
_ACCOUNT_ID_MAX = 30

Source = Literal["pubsub", "storage", "filters"]


class Trigger(BaseModel):
    """``triggers[]``: an Eventarc trigger delivering events to a Cloud Run function."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: EventarcTriggerName = Field(description="The Eventarc trigger's id.")
    function: CloudRunFunctionName = Field(
        description="The function app (its Cloud Run service name) events are delivered to."
    )
    event_type: EventType = Field(
        description=f"The CloudEvent type: {PUBSUB_EVENT} (with topic), "
        f"{', '.join(sorted(STORAGE_EVENTS))} (with bucket), {AUDIT_LOG_EVENT} or another "
        "google.cloud.<product>.<resource>.v<N>.<event> type (with filters)."
    )
    topic: PubsubTopic | None = Field(
        default=None,
        description="Pub/Sub triggers: a topic of this stack's pubsub_topics, or a full id "
        "projects/<project>/topics/<name>.",
    )
    bucket: BucketName | None = Field(
        default=None,
        description="Cloud Storage triggers: a bucket of this stack's cloud_storage (or one "
        "managed elsewhere, with external: true).",
    )
    filters: dict[str, str] = Field(
        default_factory=dict,
        description="Other event types: CloudEvent attribute -> the value it must have.",
    )
    region: Region | None = Field(
        default=None,
        description="Where the trigger is and where the function runs; defaults to gcp:region.",
    )
    external: bool = Field(
        default=False,
        description="The topic or bucket is managed outside this stack.",
    )

    @property
    def source(self) -> Source:
        """What the trigger listens to: a topic, a bucket, or events matched by filters."""
        if self.event_type == PUBSUB_EVENT:
            return "pubsub"
        if self.event_type in STORAGE_EVENTS:
            return "storage"
        return "filters"

    @property
    def apis(self) -> tuple[str, ...]:
        """The Google APIs the trigger needs enabled."""
        extra = {"pubsub": (PUBSUB_API,), "storage": (STORAGE_API,), "filters": ()}
        return (EVENTARC_API, RUN_API, *extra[self.source])

    @property
    def account_id(self) -> str:
        """The id of the trigger's own service account: ``trigger-<name>``; a name too long
        for an account id is cut and given a short hash of the whole name, so two long names
        sharing a beginning still get two accounts.

        >>> pubsub = {"function": "stock-events", "event_type": PUBSUB_EVENT, "topic": "stock"}
        >>> Trigger(name="stock-updates", **pubsub).account_id
        'trigger-stock-updates'
        >>> Trigger(name="warehouse-stock-files-landed", **pubsub).account_id
        'trigger-warehouse-stock-90b171'
        """
        room = _ACCOUNT_ID_MAX - len(ACCOUNT_PREFIX)
        if len(self.name) <= room and not self.name.endswith("-"):
            return ACCOUNT_PREFIX + self.name
        digest = hashlib.sha256(self.name.encode()).hexdigest()[:6]
        stem = self.name[: room - len(digest) - 1].rstrip("-")
        return f"{ACCOUNT_PREFIX}{stem}-{digest}"

    def topic_id(self, gcp_project: str) -> str | None:
        """The full id of the topic a Pub/Sub trigger listens to (a name is a topic of
        ``gcp_project``)."""
        if self.topic is None:
            return None
        return self.topic if "/" in self.topic else f"projects/{gcp_project}/topics/{self.topic}"

    @model_validator(mode="after")
    def _keys_of_the_source(self) -> Trigger:
        if "type" in self.filters:
            raise InvalidValue(
                "the event type is `event_type`, not a filter",
                "remove filters.type",
                at=("filters", "type"),
                at_key=True,
            )
        if self.source == "pubsub":
            self._needs("topic", "a Pub/Sub trigger", "the topic whose messages it delivers")
            self._takes_no("bucket", "a Pub/Sub trigger", "it listens to `topic`")
            self._takes_no("filters", "a Pub/Sub trigger", "Eventarc matches its topic only")
        elif self.source == "storage":
            self._needs("bucket", "a Cloud Storage trigger", "the bucket whose objects it reports")
            self._takes_no("topic", "a Cloud Storage trigger", "Eventarc makes its own topic")
            self._takes_no("filters", "a Cloud Storage trigger", "Eventarc matches its bucket only")
        else:
            what = f"a {self.event_type} trigger"
            self._takes_no("topic", what, "its events are matched by `filters`")
            self._takes_no("bucket", what, "its events are matched by `filters`")
        if self.event_type == AUDIT_LOG_EVENT:
            missing = [key for key in AUDIT_LOG_FILTERS if key not in self.filters]
            if missing:
                raise InvalidValue(
                    "a Cloud Audit Logs trigger needs the filters serviceName and methodName: "
                    f"{' and '.join(missing)} missing",
                    "e.g. filters: {serviceName: bigquery.googleapis.com, methodName: "
                    "google.cloud.bigquery.v2.JobService.InsertJob}",
                    at=("filters",) if self.filters else (),
                    at_key=bool(self.filters),
                )
        return self

    def _needs(self, key: str, what: str, why: str) -> None:
        if getattr(self, key) is None:
            example = {
                "topic": "`topic: <a topic of pubsub_topics>` or its full id "
                "projects/<project>/topics/<name>",
                "bucket": "`bucket: <a bucket of cloud_storage>` (or one managed elsewhere, "
                "with `external: true`)",
            }[key]
            raise InvalidValue(f"{what} needs `{key}`: {why}", f"add {example}")

    def _takes_no(self, key: str, what: str, why: str) -> None:
        if getattr(self, key):
            raise InvalidValue(
                f"{what} takes no `{key}`: {why}", f"remove `{key}`", at=(key,), at_key=True
            )
