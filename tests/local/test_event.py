"""CloudEvent files: the attributes checked where they are written, and the request of binary
content mode (the cloudevents SDK, which the Functions Framework uses, reads it back)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from cloudevents.http import from_http

from polyinfra.errors import UserError
from polyinfra.local.event import load_event

PUBSUB = {
    "specversion": "1.0",
    "type": "google.cloud.pubsub.topic.v1.messagePublished",
    "source": "//pubsub.googleapis.com/projects/p/topics/t",
    "id": "17",
}


def event_file(tmp_path: Path, event: Any, *, indent: int | None = 2) -> Path:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event, indent=indent))
    return path


def test_binary_mode_reads_back_as_the_event(tmp_path: Path) -> None:
    data = {"message": {"data": base64.b64encode(b"hi").decode()}, "subscription": "s"}
    event = load_event(
        event_file(
            tmp_path,
            {
                **PUBSUB,
                "time": "2025-06-01T08:30:00.5+07:00",
                "subject": "objects/é.csv",
                "traceparent": "00-abc-01",
                "retries": 3,
                "replay": False,
                "data": data,
            },
        )
    )
    headers = event.headers()
    assert headers["ce-id"] == "17"
    assert headers["ce-retries"] == "3"
    assert headers["ce-replay"] == "false"
    assert headers["ce-subject"] == "objects/%C3%A9.csv"
    assert headers["Content-Type"] == "application/json"
    received = from_http(headers, event.body)
    assert received["type"] == PUBSUB["type"]
    assert received["source"] == PUBSUB["source"]
    assert received["traceparent"] == "00-abc-01"
    assert received.data == data


def test_data_base64_and_text_data(tmp_path: Path) -> None:
    raw = load_event(event_file(tmp_path, {**PUBSUB, "data_base64": "AAEC"}))
    assert (raw.body, raw.content_type) == (b"\x00\x01\x02", "application/json")
    text = load_event(
        event_file(tmp_path, {**PUBSUB, "datacontenttype": "text/csv", "data": "a,b\n1,2\n"})
    )
    assert (text.body, text.headers()["Content-Type"]) == (b"a,b\n1,2\n", "text/csv")
    assert "ce-datacontenttype" not in text.headers()
    none = load_event(event_file(tmp_path, PUBSUB))
    assert none.body == b""


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ([PUBSUB], ":1:1: a CloudEvent is a JSON object of attributes"),
        (
            {"specversion": "1.0", "type": "t"},
            ":1:1: the CloudEvent lacks the required attributes id, source",
        ),
        ({**PUBSUB, "specversion": "0.3"}, ":2:18: specversion '0.3' is not one this command"),
        ({**PUBSUB, "id": ""}, ":5:9: id must be a non-empty string"),
        ({**PUBSUB, "source": 7}, ":4:13: source must be a non-empty string"),
        ({**PUBSUB, "time": "yesterday"}, ":6:11: time must be an RFC 3339 timestamp"),
        ({**PUBSUB, "Retries": 1}, ":6:3: attribute name 'Retries': CloudEvents attribute"),
        ({**PUBSUB, "labels": {"a": "b"}}, ":6:13: attribute labels is a dict where"),
        ({**PUBSUB, "data": 1, "data_base64": "AA=="}, ":7:3: the CloudEvent has both data"),
        ({**PUBSUB, "data_base64": "not base64!"}, ":6:18: data_base64 is not base64 text"),
    ],
)
def test_errors_point_at_the_attribute(tmp_path: Path, event: Any, message: str) -> None:
    path = event_file(tmp_path, event)
    with pytest.raises(UserError) as caught:
        load_event(path)
    assert str(caught.value).startswith(f"{path}{message}")


def test_not_json(tmp_path: Path) -> None:
    path = tmp_path / "event.json"
    path.write_text('{\n  "id": "1",\n  oops\n}\n')
    with pytest.raises(UserError) as caught:
        load_event(path)
    assert str(caught.value).startswith(f"{path}:3:3: not JSON: Expecting property name")
