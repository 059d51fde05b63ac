"""The kinds of value a user writes (a region, a duration, a label, a Cloud Run name, an image
reference...), each checked by one function wherever it is written: the stack-file model, the
command-line options, the manifest rules, ``polyinfra init`` and ``add``.

A check returns the value it was given (so it can be a pydantic ``AfterValidator``) or raises
:class:`InvalidValue`: what is wrong, with the allowed values or range, and how to fix it. The
caller adds where the value stands (file:line:col, or the option that carried it).
"""

from __future__ import annotations

import datetime
import functools
import importlib.resources
import re
import unicodedata
import zoneinfo
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal

from polyinfra.suggest import closest

#: A check: the value back, or :class:`InvalidValue`.
Check = Callable[[Any], Any]


class InvalidValue(ValueError):
    """A value of the wrong kind. ``at`` is where inside the value (a label's key, a list
    item), relative to it; ``at_key`` says the problem is that key, not its value."""

    def __init__(
        self,
        message: str,
        hint: str | None = None,
        *,
        at: tuple[str | int, ...] = (),
        at_key: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.at = at
        self.at_key = at_key


def shown(value: Any, limit: int = 80) -> str:
    """``value`` as a message quotes it: ``repr`` (a line break reads ``\\n``), cut short."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 4] + "...'"


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise InvalidValue(f"expected {what} (a string), got {type(value).__name__}")
    return value


# --- enumerations and ranges -----------------------------------------------------------------


def one_of(allowed: Iterable[str], what: str, *, case_sensitive: bool = True) -> Check:
    """A check that the value is one of ``allowed`` (``what`` names the kind in messages)."""
    choices = tuple(allowed)
    folded = {choice.upper() for choice in choices}

    def check(value: Any) -> Any:
        text = _text(value, what)
        if text in choices or (not case_sensitive and text.upper() in folded):
            return value
        close = closest(text, choices)
        raise InvalidValue(
            f"{shown(text)} is not {what}: use one of {', '.join(choices)}",
            f"did you mean {close!r}?" if close else None,
        )

    return check


#: The largest value of a 32-bit signed integer: the API type of most counts and days.
INT32_MAX = 2**31 - 1


def integer(
    minimum: int | None = None,
    maximum: int | None = None,
    what: str = "",
    *,
    also: tuple[int, ...] = (),
) -> Check:
    """A check that an integer lies in ``[minimum, maximum]`` (either bound may be open) or is
    one of ``also`` (a value with a meaning of its own, such as 0 for "the default")."""

    def check(value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidValue(f"expected an integer, got {type(value).__name__}")
        if value in also:
            return value
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            extra = "".join(f" (or {number})" for number in also)
            raise InvalidValue(
                f"{_cut(value)} is out of range: {_range(minimum, maximum, what)}{extra}"
            )
        return value

    return check


def number(greater_than: float, what: str = "") -> Check:
    """A check that a number is greater than ``greater_than``."""

    def check(value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidValue(f"expected a number, got {type(value).__name__}")
        if not value > greater_than:
            noun = f"{what} " if what else ""
            raise InvalidValue(
                f"{_number(value)} is out of range: {noun}must be more than {_number(greater_than)}"
            )
        return value

    return check


def _cut(number: int) -> str:
    text = str(number)
    return text if len(text) <= 24 else f"{text[:10]}...({len(text)} digits)"


def _number(value: float) -> str:
    """``2147483647`` -> ``2,147,483,647``; ``0.5`` -> ``0.5``."""
    if isinstance(value, int):
        return _cut(value) if abs(value) > 10**15 else f"{value:,}"
    return f"{int(value):,}" if value.is_integer() else f"{value:g}"


def _range(minimum: float | None, maximum: float | None, what: str, unit: str = "") -> str:
    noun = f"{what} " if what else ""
    if minimum is not None and maximum is not None:
        return f"{noun}must be from {_number(minimum)}{unit} to {_number(maximum)}{unit}"
    if minimum is not None:
        return f"{noun}must be at least {_number(minimum)}{unit}"
    return f"{noun}must be at most {_number(maximum or 0)}{unit}"


def text_length(
    maximum: int, what: str, *, unit: Literal["characters", "bytes"] = "characters"
) -> Check:
    """A check that a text has at most ``maximum`` characters (or UTF-8 bytes)."""

    def check(value: Any) -> Any:
        text = _text(value, what)
        size = len(text.encode("utf-8")) if unit == "bytes" else len(text)
        if size > maximum:
            raise InvalidValue(f"{what} has {size} {unit}; at most {maximum} are allowed")
        return value

    return check


def each(check: Check) -> Check:
    """``check`` applied to every item of a list (the error names the item)."""

    def check_all(value: Any) -> Any:
        if isinstance(value, list):
            for index, item in enumerate(value):
                try:
                    check(item)
                except InvalidValue as exc:
                    raise InvalidValue(
                        exc.message, exc.hint, at=(index, *exc.at), at_key=exc.at_key
                    ) from None
        return value

    return check_all


# --- durations and dates ---------------------------------------------------------------------

#: A google.protobuf.Duration as JSON writes it: seconds with up to nine decimals, then ``s``
#: (https://protobuf.dev/reference/protobuf/google.protobuf/#duration); what every pulumi-gcp
#: duration argument passes on ("A duration in seconds with up to nine fractional digits,
#: terminated by 's'").
_DURATION = re.compile(r"(-?)(\d+)(?:\.(\d{1,9}))?s", re.ASCII)
#: The protobuf Duration range: +-315,576,000,000 s (10,000 years).
MAX_DURATION = 315_576_000_000
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_WITH_UNIT = re.compile(r"(\d+)\s*([smhdw])", re.ASCII)


def seconds(value: str) -> float | None:
    """The seconds of a protobuf duration (``"600s"`` -> 600.0); None when it is not one."""
    match = _DURATION.fullmatch(value)
    if match is None:
        return None
    sign, whole, fraction = match.groups()
    amount = int(whole) + (int(fraction.ljust(9, "0")) / 1e9 if fraction else 0.0)
    return -amount if sign else amount


def duration(
    minimum: float = 0,
    maximum: float = MAX_DURATION,
    *,
    multiple_of: int | None = None,
    allow_empty: bool = False,
) -> Check:
    """A check that a text is a protobuf duration (``"2592000s"``) within the bounds
    (``allow_empty``: or ``""``, where the argument gives that a meaning, such as "never")."""

    def check(value: Any) -> Any:
        text = _text(value, "a duration")
        if allow_empty and text == "":
            return value
        amount = seconds(text)
        if amount is None:
            unit = _WITH_UNIT.fullmatch(text.strip())
            hint = (
                f"write {int(unit.group(1)) * _UNITS[unit.group(2)]}s"
                if unit
                else "e.g. '600s' for ten minutes, '2592000s' for 30 days"
            )
            raise InvalidValue(
                f"{shown(text)} is not a duration: write whole seconds (up to nine decimals) "
                "followed by 's'",
                hint,
            )
        if not minimum <= amount <= maximum:
            raise InvalidValue(
                f"{shown(text)} is out of range: {_range(minimum, maximum, 'the duration', 's')}"
            )
        if multiple_of and amount % multiple_of:
            raise InvalidValue(f"{shown(text)} must be a whole multiple of {multiple_of}s")
        return value

    return check


def date(value: Any) -> Any:
    """A calendar date written ``YYYY-MM-DD`` (RFC 3339 full-date)."""
    text = _text(value, "a date")
    try:
        if len(text) != 10:
            raise ValueError(text)
        datetime.date.fromisoformat(text)
    except ValueError:
        raise InvalidValue(
            f"{shown(text)} is not a date: write YYYY-MM-DD, e.g. 2026-01-31"
        ) from None
    return value


# --- locations -------------------------------------------------------------------------------


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


# --- enumerations of Google's own --------------------------------------------------------------

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


# --- names and ids ---------------------------------------------------------------------------


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


# --- IAM roles -------------------------------------------------------------------------------

#: Custom roles: ``projects/<project>/roles/<id>`` or ``organizations/<number>/roles/<id>``
#: (pulumi-gcp ``projects.IAMMember`` ``role``: "custom roles must be of the format
#: `[projects|organizations]/{parent-name}/roles/{role-name}`"); a role id is 3-64 letters,
#: digits, ``_`` and ``.`` (https://cloud.google.com/iam/docs/reference/rest/v1/projects.roles).
_CUSTOM_ROLE = re.compile(
    r"(?:projects/[a-z][a-z0-9-:.]{4,61}|organizations/[0-9]+)/roles/[A-Za-z0-9_.]{3,64}",
    re.ASCII,
)


@functools.cache
def predefined_roles() -> frozenset[str]:
    """Google's predefined IAM roles, from ``data/gcp-predefined-roles.tsv`` (its header says
    where the list comes from and when it was taken)."""
    resource = importlib.resources.files("polyinfra").joinpath("data/gcp-predefined-roles.tsv")
    names = set()
    for line in resource.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            names.add(line.split("\t", 1)[0])
    return frozenset(names)


def role(value: Any) -> Any:
    """An IAM role: a predefined ``roles/<name>`` Google lists, or a custom role."""
    text = _text(value, "a role")
    if text in predefined_roles() or _CUSTOM_ROLE.fullmatch(text):
        return value
    if text.startswith("roles/"):
        close = closest(text, predefined_roles(), cutoff=0.8)
        raise InvalidValue(
            f"{shown(text)} is not a predefined IAM role",
            f"did you mean {close!r}?"
            if close
            else "see https://cloud.google.com/iam/docs/roles-permissions; a custom role is "
            "projects/<project>/roles/<id>",
        )
    raise InvalidValue(
        f"{shown(text)} is not an IAM role",
        "use roles/<name> or projects/<project>/roles/<custom>",
    )


# --- labels ----------------------------------------------------------------------------------

#: Google Cloud labels (https://cloud.google.com/resource-manager/docs/labels-overview
#: #requirements): at most 64 per resource; keys 1-63 characters, values at most 63, each at
#: most 128 bytes of lowercase letters (of any script), digits, ``_`` and ``-``; a key starts
#: with a lowercase letter.
MAX_LABELS = 64
_LABEL_LETTERS = ("Ll", "Lo")


def _label_chars(text: str) -> bool:
    return (
        all(unicodedata.category(c) in _LABEL_LETTERS or c in "_-" or c.isdigit() for c in text)
        and len(text.encode("utf-8")) <= 128
    )


def is_label_key(text: str) -> bool:
    """Whether Google Cloud takes ``text`` as a label key: 1-63 lowercase letters (any
    script), digits, ``_`` and ``-``, starting with a letter.

    >>> is_label_key("team"), is_label_key("Team"), is_label_key("1team")
    (True, False, False)
    """
    return (
        1 <= len(text) <= 63
        and unicodedata.category(text[0]) in _LABEL_LETTERS
        and _label_chars(text)
    )


def is_label_value(text: str) -> bool:
    """Whether Google Cloud takes ``text`` as a label value: at most 63 lowercase letters (any
    script), digits, ``_`` and ``-``.

    >>> is_label_value("v1-2-3"), is_label_value("v1.2.3"), is_label_value("")
    (True, False, True)
    """
    return len(text) <= 63 and _label_chars(text)


def label_key(value: Any) -> Any:
    """A label key."""
    text = _text(value, "a label key")
    if not is_label_key(text):
        raise InvalidValue(
            f"invalid label key {shown(text)}: 1-63 lowercase letters, digits, '_' and '-', "
            "starting with a lowercase letter"
        )
    return value


def label_value(value: Any) -> Any:
    """A label value."""
    text = _text(value, "a label value")
    if not is_label_value(text):
        raise InvalidValue(
            f"invalid label value {shown(text)}: at most 63 lowercase letters, digits, '_' and '-'"
        )
    return value


def labels(value: Any) -> Any:
    """A mapping of labels: at most :data:`MAX_LABELS`, each key and value valid."""
    if not isinstance(value, Mapping):
        return value
    if len(value) > MAX_LABELS:
        raise InvalidValue(f"{len(value)} labels; a resource takes at most {MAX_LABELS}")
    for key, item in value.items():
        try:
            label_key(key)
        except InvalidValue as exc:
            raise InvalidValue(exc.message, exc.hint, at=(key,), at_key=True) from None
        if isinstance(item, str):
            try:
                label_value(item)
            except InvalidValue as exc:
                raise InvalidValue(exc.message, exc.hint, at=(key,)) from None
    return value


# --- schedules -------------------------------------------------------------------------------


def cron(value: Any) -> Any:
    """A unix-cron expression of five fields, as Cloud Scheduler takes it."""
    from croniter import croniter

    text = _text(value, "a schedule")
    if len(text.split()) != 5 or not text.isprintable() or not croniter.is_valid(text):
        raise InvalidValue(
            f"{shown(text)} is not a valid cron expression: Cloud Scheduler takes five fields "
            "(minute hour day-of-month month day-of-week)",
            "e.g. '0 4 * * *' (every day at 04:00)",
        )
    return value


@functools.cache
def time_zones() -> frozenset[str]:
    """IANA time zone names (from tzdata)."""
    return frozenset(zoneinfo.available_timezones())


def time_zone(value: Any) -> Any:
    """An IANA time zone name such as ``Asia/Kuala_Lumpur`` (pulumi-gcp ``cloudscheduler.Job``
    ``time_zone``: "a time zone name from the tz database")."""
    text = _text(value, "a time zone")
    if text not in time_zones():
        close = closest(text, sorted(time_zones()))
        raise InvalidValue(
            f"{shown(text)} is not a known IANA time zone",
            f"did you mean {close!r}?"
            if close
            else "use a name from the tz database, e.g. Asia/Kuala_Lumpur or Etc/UTC",
        )
    return value


# --- Cloud Run -------------------------------------------------------------------------------

#: Longest Cloud Run name per kind. A service name is at most 49 characters (the Admin API:
#: "CreateServiceRequest.service_id: ... must be less than 50 characters", quoted in
#: StructuredLabs/preswald#787; a revision name adds a suffix to it); a job name at most 63
#: (v1 ``metadata.name``: "Maximum length is 63 characters",
#: terraform-google-modules/terraform-docs-samples#171). A function is a service.
MAX_NAME_LENGTH: dict[str, int] = {"service": 49, "function": 49, "job": 63}
_CLOUD_RUN_NAME = re.compile(r"[a-z](?:[a-z0-9-]*[a-z0-9])?", re.ASCII)


def suggest_name(name: str) -> str:
    """A valid-looking Cloud Run name close to ``name``."""
    cleaned = re.sub(r"[^a-z0-9-]+", "-", name.lower(), flags=re.ASCII).strip("-")
    cleaned = re.sub(r"^[^a-z]+", "", cleaned)
    return cleaned or "my-app"


def cloud_run_name(value: Any, kind: str = "service") -> Any:
    """A Cloud Run service, job or function name: lowercase letters, digits and hyphens, a
    letter first, no hyphen last, at most :data:`MAX_NAME_LENGTH` characters."""
    text = _text(value, "a name")
    if not _CLOUD_RUN_NAME.fullmatch(text):
        raise InvalidValue(
            f"{shown(text)} is not a valid Cloud Run {kind} name: use lowercase letters, digits "
            "and hyphens, start with a letter and do not end with a hyphen",
            f"for example {suggest_name(text)!r}",
        )
    limit = MAX_NAME_LENGTH[kind]
    if len(text) > limit:
        raise InvalidValue(
            f"{shown(text)} is {len(text)} characters long; Cloud Run {kind} names have at "
            f"most {limit}",
            "choose a shorter name",
        )
    return value


def cloud_run_job_name(value: Any) -> Any:
    """A Cloud Run job name."""
    return cloud_run_name(value, "job")


# --- images ----------------------------------------------------------------------------------

# The distribution reference grammar (github.com/distribution/reference, reference.go):
#   reference := name [ ":" tag ] [ "@" digest ]
#   name      := [ domain "/" ] path-component [ "/" path-component ]*
#   domain    := host [ ":" port ]
_DOMAIN_PART = r"(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])"
_HOST = rf"(?:{_DOMAIN_PART}(?:\.{_DOMAIN_PART})*|\[[0-9A-Fa-f:]+\])"
_DOMAIN = re.compile(rf"{_HOST}(?::[0-9]+)?", re.ASCII)
_PATH_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*", re.ASCII)
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}", re.ASCII)
#: Digests of the algorithms registries use: sha256 (64 hex digits) and sha512 (128).
_DIGEST = re.compile(r"sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128}", re.ASCII)
#: Longest name (everything before the tag), as the grammar's NameTotalLengthMax says.
MAX_IMAGE_NAME = 255

IMAGE_FORM = "[HOST[:PORT]/]PATH[:TAG][@sha256:DIGEST]"


def image_tag(value: Any) -> Any:
    """An image tag: 1-128 letters, digits, ``_``, ``.`` and ``-``, not starting with ``.``
    or ``-``."""
    text = _text(value, "a tag")
    if not _TAG.fullmatch(text):
        raise InvalidValue(
            f"{shown(text)} is not an image tag: up to 128 letters, digits, '_', '.' and '-', "
            "not starting with '.' or '-'",
            "e.g. 1.4.2 or 2026.11.26-3f2a9c1",
        )
    return value


def _image_name(name: str, what: str) -> None:
    """InvalidValue unless ``name`` is ``[domain/]path``."""
    if not name:
        raise InvalidValue(f"{what} has no repository path")
    if len(name) > MAX_IMAGE_NAME:
        raise InvalidValue(f"{what} is {len(name)} characters long; at most {MAX_IMAGE_NAME}")
    parts = name.split("/")
    first = parts[0]
    # the first part is a registry host when it has a '.' or ':' or is localhost (the grammar)
    if len(parts) > 1 and ("." in first or ":" in first or first == "localhost"):
        if not _DOMAIN.fullmatch(first):
            raise InvalidValue(f"{what}: {shown(first)} is not a registry host[:port]")
        parts = parts[1:]
    for part in parts:
        if not _PATH_COMPONENT.fullmatch(part):
            raise InvalidValue(
                f"{what}: path component {shown(part)} must be lowercase letters and digits, "
                "joined by '.', '_', '__' or '-'"
            )


def image_reference(value: Any) -> Any:
    """A container image reference, ``[HOST[:PORT]/]PATH[:TAG][@sha256:DIGEST]``."""
    text = _text(value, "an image reference")
    what = f"image reference {shown(text)}"
    hint = f"write {IMAGE_FORM}, e.g. europe-docker.pkg.dev/my-project/apps/api:1.4.2"
    try:
        if not text.isprintable() or any(c.isspace() for c in text):
            raise InvalidValue(f"{what} contains a space, a line break or a control character")
        rest, at, digest = text.partition("@")
        if at and not _DIGEST.fullmatch(digest):
            raise InvalidValue(f"{what}: the digest must be sha256: and 64 lowercase hex digits")
        name, colon, tag = rest.rpartition(":")
        if not colon or "/" in tag:  # the ':' was a port, or there is none
            name, tag = rest, ""
        elif not _TAG.fullmatch(tag):
            raise InvalidValue(
                f"{what}: the tag {shown(tag)} must be up to 128 letters, digits, '_', '.' "
                "and '-', not starting with '.' or '-'"
            )
        _image_name(name, what)
    except InvalidValue as exc:
        raise InvalidValue(exc.message, exc.hint or hint) from None
    return value


def registry_prefix(value: Any) -> Any:
    """An image prefix, ``HOST[:PORT]/PATH``, that an app's name and tag are appended to."""
    text = _text(value, "a registry")
    what = f"registry {shown(text)}"
    try:
        if not text.isprintable() or any(c.isspace() for c in text):
            raise InvalidValue(f"{what} contains a space, a line break or a control character")
        name = text.rstrip("/")
        if "@" in name or re.search(r":[^/]*$", name.partition("/")[2] or "\0"):
            raise InvalidValue(
                f"{what} has a tag or digest: it is only the part before the image name"
            )
        _image_name(name, what)
    except InvalidValue as exc:
        raise InvalidValue(
            exc.message, exc.hint or "e.g. --registry europe-docker.pkg.dev/my-project/apps"
        ) from None
    return value
