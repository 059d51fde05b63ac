"""Google Cloud locations: regions (from the Cloud Run discovery document), zones, and the
locations of buckets, Artifact Registry and BigQuery; Google's own enumerations."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Any

from polyinfra.suggest import closest
from polyinfra.values.base import (
    InvalidValue,
    _text,
    shown,
)
from polyinfra.values.ranges import (
    one_of,
)


@functools.cache
def regions() -> frozenset[str]:
    """Google Cloud regions: every location of the Cloud Run Admin API's regional endpoints, as
    Google lists them in its discovery document (``run.v1.json``, shipped with polyinfra;
    refreshed with it when Google opens a region)."""
    from polyinfra.cloudrun.discovery import document

    return frozenset(
        str(endpoint["location"])
        for endpoint in document().get("endpoints", [])
        if isinstance(endpoint, dict) and isinstance(endpoint.get("location"), str)
    )


def _unknown_location(text: str, what: str, choices: Iterable[str]) -> InvalidValue:
    options = sorted(choices)
    # names of places differ by a few letters: only a near one is a likely typo
    close = closest(text, options, cutoff=0.8)
    hint = f"did you mean {close!r}?" if close else "use one of " + ", ".join(options)
    return InvalidValue(f"{shown(text)} is not {what}", hint)


def region(value: Any) -> Any:
    """A Google Cloud region such as ``asia-southeast1`` (:func:`regions`)."""
    text = _text(value, "a region")
    if text not in regions():
        raise _unknown_location(text, "a Google Cloud region", regions())
    return value


def zone(value: Any) -> Any:
    """A zone of a Google Cloud region: ``asia-southeast1-a``."""
    text = _text(value, "a zone")
    head, _, letter = text.rpartition("-")
    if head in regions() and re.fullmatch(r"[a-z]", letter):
        return value
    if text in regions():
        hint: str | None = f"add the zone's letter: {text}-a, {text}-b..."
    else:
        close = closest(head, regions(), cutoff=0.8)
        hint = f"did you mean '{close}-{letter}'?" if close else None
    raise InvalidValue(
        f"{shown(text)} is not a Google Cloud zone: a region and a zone letter, e.g. "
        "asia-southeast1-a",
        hint,
    )


#: Cloud Storage multi-regions and predefined dual-regions
#: (https://cloud.google.com/storage/docs/locations); regions and zones come from :func:`regions`.
BUCKET_MULTI_REGIONS = ("ASIA", "EU", "US")


BUCKET_DUAL_REGIONS = ("ASIA1", "EUR4", "EUR5", "EUR7", "EUR8", "NAM4")


def bucket_location(value: Any) -> Any:
    """A Cloud Storage bucket location, in any case: a region, a zone (Rapid buckets), a
    multi-region or a predefined dual-region."""
    text = _text(value, "a bucket location")
    upper = text.upper()
    known = {name.upper() for name in regions()}
    head, _, letter = upper.rpartition("-")
    if (
        upper in known
        or upper in BUCKET_MULTI_REGIONS
        or upper in BUCKET_DUAL_REGIONS
        or (head in known and re.fullmatch(r"[A-Z]", letter))
    ):
        return value
    choices = (*BUCKET_MULTI_REGIONS, *BUCKET_DUAL_REGIONS, *sorted(known))
    raise _unknown_location(upper, "a Cloud Storage location", choices)


#: Artifact Registry multi-regions, besides the regions (pulumi-gcp ``artifactregistry.Repository``
#: ``location``: "special values for multi-region locations are `asia`, `europe`, and `us`").
REGISTRY_MULTI_REGIONS = ("asia", "europe", "us")


def registry_location(value: Any) -> Any:
    """An Artifact Registry location: a region or ``asia``, ``europe``, ``us``."""
    text = _text(value, "a repository location")
    if text in regions() or text in REGISTRY_MULTI_REGIONS:
        return value
    choices = (*REGISTRY_MULTI_REGIONS, *regions())
    raise _unknown_location(text, "an Artifact Registry location", choices)


#: BigQuery multi-regions and BigQuery Omni locations, besides the regions
#: (https://cloud.google.com/bigquery/docs/locations).
BIGQUERY_MULTI_REGIONS = ("US", "EU")


BIGQUERY_OMNI = (
    "aws-us-east-1",
    "aws-us-west-2",
    "aws-ap-northeast-2",
    "aws-eu-west-1",
    "azure-eastus2",
)


def bigquery_location(value: Any) -> Any:
    """A BigQuery dataset location, in any case: a region, ``US``, ``EU`` or an Omni location."""
    text = _text(value, "a dataset location")
    lower = text.lower()
    if lower in regions() or text.upper() in BIGQUERY_MULTI_REGIONS or lower in BIGQUERY_OMNI:
        return value
    choices = (*BIGQUERY_MULTI_REGIONS, *sorted(regions()), *BIGQUERY_OMNI)
    raise _unknown_location(text, "a BigQuery location", choices)


#: Cloud Storage classes: pulumi-gcp ``storage.Bucket`` ``storage_class`` ("Supported values
#: include: STANDARD, MULTI_REGIONAL, REGIONAL, NEARLINE, COLDLINE, ARCHIVE"). The API takes them
#: in any case.
storage_class = one_of(
    ("STANDARD", "NEARLINE", "COLDLINE", "ARCHIVE", "MULTI_REGIONAL", "REGIONAL"),
    "a Cloud Storage class",
    case_sensitive=False,
)


#: Artifact Registry repository formats: the v1 API's ``Repository.Format`` enum
#: (https://cloud.google.com/dotnet/docs/reference/Google.Cloud.ArtifactRegistry.V1/latest/
#: Google.Cloud.ArtifactRegistry.V1.Repository.Types.Format), without FORMAT_UNSPECIFIED; the
#: provider upper-cases what it is given.
registry_format = one_of(
    ("DOCKER", "MAVEN", "NPM", "PYTHON", "APT", "YUM", "GO", "KFP", "GENERIC"),
    "an Artifact Registry format",
    case_sensitive=False,
)
