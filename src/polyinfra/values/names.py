"""Names and ids Google Cloud takes: BigQuery tables, buckets, Pub/Sub names and others."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from polyinfra.values.base import (
    Check,
    InvalidValue,
    _text,
    shown,
)
from polyinfra.values.ranges import (
    text_length,
)


def _pattern(pattern: str, message: str, hint: str | None = None, *, show: bool = True) -> Check:
    """A check that the whole text matches ``pattern`` (ASCII classes: ``\\w`` is no letter of
    another script)."""
    compiled = re.compile(pattern, re.ASCII)

    def check(value: Any) -> Any:
        text = _text(value, "a name")
        if not compiled.fullmatch(text):
            raise InvalidValue(f"{shown(text)}: {message}" if show else message, hint)
        return value

    return check


#: Service account ids (pulumi-gcp ``serviceaccount.Account`` ``account_id``: "must be 6-30
#: characters long, and match the regular expression `[a-z]([-a-z0-9]*[a-z0-9])` to comply with
#: RFC1035"). The message leaves the value out: a mistyped secret must not be echoed.
service_account_id = _pattern(
    r"[a-z][a-z0-9-]{4,28}[a-z0-9]",
    "service account id must be 6-30 characters: lowercase letters, digits and hyphens, "
    "starting with a letter and not ending with a hyphen",
    show=False,
)


#: Artifact Registry repository ids: lowercase letters, digits and hyphens, a letter first, a
#: letter or digit last, at most 63 (https://cloud.google.com/artifact-registry/docs/manage-repos).
repository_id = _pattern(
    r"[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?",
    "not an Artifact Registry repository id: at most 63 lowercase letters, digits and hyphens, "
    "starting with a letter and ending with a letter or digit",
)


#: BigQuery dataset ids (pulumi-gcp ``bigquery.Dataset`` ``dataset_id``: "letters (a-z, A-Z),
#: numbers (0-9), or underscores (_). The maximum length is 1,024 characters").
dataset_id = _pattern(
    r"[A-Za-z0-9_]{1,1024}",
    "not a BigQuery dataset id: at most 1,024 letters, digits and underscores",
)


def table_id(value: Any) -> Any:
    """A BigQuery table id: at most 1,024 bytes of letters, marks, digits, connectors (``_``),
    dashes and spaces (https://cloud.google.com/bigquery/docs/tables#table_naming)."""
    text = _text(value, "a table id")
    allowed = ("L", "M", "N", "Pc", "Pd", "Zs")
    if (
        text
        and len(text.encode("utf-8")) <= 1024
        and all(unicodedata.category(c).startswith(allowed) for c in text)
    ):
        return value
    raise InvalidValue(
        f"{shown(text)}: not a BigQuery table id: at most 1,024 bytes of letters, digits, "
        "underscores, dashes and spaces"
    )


#: Cloud Storage bucket names (https://cloud.google.com/storage/docs/buckets#naming): 3-63
#: lowercase letters, digits, ``-`` and ``_`` (with dots, up to 222, each dot-separated part at
#: most 63), starting and ending with a letter or digit.
_BUCKET_PART = r"[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?"


_BUCKET_NAME = re.compile(rf"{_BUCKET_PART}(?:\.{_BUCKET_PART})*", re.ASCII)


def bucket_name(value: Any) -> Any:
    """A Cloud Storage bucket name."""
    text = _text(value, "a bucket name")
    longest = 222 if "." in text else 63
    if not (3 <= len(text) <= longest and _BUCKET_NAME.fullmatch(text)):
        raise InvalidValue(
            "bucket names are 3-63 lowercase letters, digits, '.', '_' or '-', starting and "
            "ending with a letter or digit"
        )
    if text.startswith("goog") or "google" in text:
        raise InvalidValue("bucket names cannot start with 'goog' or contain 'google'")
    return value


#: Pub/Sub topic and subscription names (https://cloud.google.com/pubsub/docs/pubsub-basics
#: #resource_names): 3-255 characters, a letter first, then letters, digits, ``-_.~+%``; not
#: starting with ``goog``.
_PUBSUB_NAME = re.compile(r"[A-Za-z][A-Za-z0-9._~+%-]{2,254}", re.ASCII)


def pubsub_name(value: Any) -> Any:
    """A Pub/Sub topic or subscription name."""
    text = _text(value, "a Pub/Sub name")
    if not _PUBSUB_NAME.fullmatch(text) or text.lower().startswith("goog"):
        raise InvalidValue(
            f"{shown(text)}: not a Pub/Sub name: 3-255 letters, digits and - _ . ~ + %, "
            "starting with a letter and not with 'goog'"
        )
    return value


#: Secret Manager secret ids (https://cloud.google.com/secret-manager/docs/reference/rest/v1/
#: projects.secrets/create): at most 255 letters, digits, hyphens and underscores.
secret_id = _pattern(
    r"[A-Za-z0-9_-]{1,255}",
    "not a Secret Manager secret id: at most 255 letters, digits, '-' and '_'",
)


#: Cloud Scheduler job ids (https://cloud.google.com/scheduler/docs/reference/rest/v1/
#: projects.locations.jobs): at most 500 letters, digits, hyphens and underscores.
scheduler_job_name = _pattern(
    r"[A-Za-z0-9_-]{1,500}",
    "not a Cloud Scheduler job name: at most 500 letters, digits, '-' and '_'",
)


#: Log-based metric names (pulumi-gcp ``logging.Metric`` ``name``: "limited to 100 characters
#: and can include only the following characters A-Z, a-z, 0-9, and the special characters
#: _-.,+!*',()%/ ... cannot be the first character").
log_metric_name = _pattern(
    r"[A-Za-z0-9_\-.,+!*'()%][A-Za-z0-9_\-.,+!*'()%/]{0,99}",
    "not a log-based metric name: at most 100 letters, digits and _-.,+!*',()%/, not "
    "starting with '/'",
)


#: Artifact Registry cleanup policy ids (pulumi-gcp ``cleanup_policies``: "under 128
#: characters").
cleanup_policy_id = text_length(127, "a cleanup policy id")


#: Google API service names such as ``bigquery.googleapis.com``.
api_name = _pattern(
    r"[a-z0-9-]+(?:\.[a-z0-9-]+)*\.googleapis\.com",
    "not a Google API service name",
    "use the service name, e.g. bigquery.googleapis.com",
    show=False,
)


def _ci_name(pattern: str, what: str, hint: str) -> Check:
    """A ``[tool.polyinfra.ci]`` name written into a workflow's YAML or shell: the message says
    what it is not (the settings reader quotes the value with its key)."""
    compiled = re.compile(pattern, re.ASCII)

    def check(value: Any) -> Any:
        if not isinstance(value, str) or not compiled.fullmatch(value):
            raise InvalidValue(f"is not {what}", hint)
        return value

    return check


#: A GitHub Actions variable or secret name (``vars.<NAME>``, ``secrets.<NAME>``).
github_variable_name = _ci_name(
    r"[A-Za-z_][A-Za-z0-9_]*",
    "a GitHub variable name",
    "use letters, digits and underscores, not starting with a digit",
)

#: A GitHub environment that is also an overlay folder.
github_environment_name = _ci_name(
    r"[A-Za-z0-9_.-]+",
    "an environment name",
    "use the overlay folder name (letters, digits, '.', '_', '-')",
)

#: A folder path written into shell scripts unquoted: no spaces, quotes or expansions.
plain_folder = _ci_name(
    r"[A-Za-z0-9_.][A-Za-z0-9_./-]*",
    "a plain folder path",
    "use a workspace-relative folder such as 'infrastructure' or '.'",
)
