"""Each kind of value's one check: what it accepts, and what it says about what it does not."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from polyinfra import values
from polyinfra.values import InvalidValue


def refused(check: Callable[[Any], Any], value: Any) -> InvalidValue:
    """What ``check`` refuses ``value`` with (fails the test if it passes)."""
    with pytest.raises(InvalidValue) as caught:
        check(value)
    return caught.value


def refusal(check: Callable[[Any], Any], value: Any) -> tuple[str, str | None]:
    """The message and hint ``check`` refuses ``value`` with."""
    error = refused(check, value)
    return error.message, error.hint


def test_regions_are_the_ones_google_lists_for_cloud_run() -> None:
    regions = values.regions()
    assert {"asia-southeast1", "europe-west1", "us-central1", "africa-south1"} <= regions
    assert all(values.region(name) == name for name in regions)
    assert refusal(values.region, "asia-southeast") == (
        "'asia-southeast' is not a Google Cloud region",
        "did you mean 'asia-southeast1'?",
    )
    message, hint = refusal(values.region, "mars-north1; rm -rf /")
    assert message == "'mars-north1; rm -rf /' is not a Google Cloud region"
    assert hint == "use one of " + ", ".join(sorted(regions))


def test_zones() -> None:
    assert values.zone("asia-southeast1-a") == "asia-southeast1-a"
    assert refusal(values.zone, "asia-southeast1") == (
        "'asia-southeast1' is not a Google Cloud zone: a region and a zone letter, e.g. "
        "asia-southeast1-a",
        "add the zone's letter: asia-southeast1-a, asia-southeast1-b...",
    )
    assert refusal(values.zone, "asia-southeest1-b")[1] == "did you mean 'asia-southeast1-b'?"


@pytest.mark.parametrize(
    ("check", "good", "bad", "message"),
    [
        (
            values.bucket_location,
            ["ASIA-SOUTHEAST1", "asia-southeast1", "EU", "nam4", "US-CENTRAL1-A"],
            "MARS",
            "'MARS' is not a Cloud Storage location",
        ),
        (
            values.registry_location,
            ["asia-southeast1", "europe", "us"],
            "EUROPE",
            "'EUROPE' is not an Artifact Registry location",
        ),
        (
            values.bigquery_location,
            ["asia-southeast1", "US", "eu", "aws-us-east-1"],
            "asia",
            "'asia' is not a BigQuery location",
        ),
    ],
)
def test_locations(check: Callable[[Any], Any], good: list[str], bad: str, message: str) -> None:
    for value in good:
        assert check(value) == value
    assert refusal(check, bad)[0] == message


def test_enumerations_name_every_allowed_value() -> None:
    assert values.storage_class("nearline") == "nearline"  # the API takes any case
    assert refusal(values.storage_class, "SUPERFAST") == (
        "'SUPERFAST' is not a Cloud Storage class: use one of STANDARD, NEARLINE, COLDLINE, "
        "ARCHIVE, MULTI_REGIONAL, REGIONAL",
        None,
    )
    assert refusal(values.registry_format, "DOCKERZ") == (
        "'DOCKERZ' is not an Artifact Registry format: use one of DOCKER, MAVEN, NPM, PYTHON, "
        "APT, YUM, GO, KFP, GENERIC",
        "did you mean 'DOCKER'?",
    )
    action = values.one_of(("DELETE", "KEEP"), "a policy action")
    assert refusal(action, "delete") == (
        "'delete' is not a policy action: use one of DELETE, KEEP",
        "did you mean 'DELETE'?",
    )


def test_integers_and_numbers_state_their_range() -> None:
    days = values.integer(0, values.INT32_MAX, "an age in days")
    assert days(0) == 0
    assert refusal(days, -30) == (
        "-30 is out of range: an age in days must be from 0 to 2,147,483,647",
        None,
    )
    assert refusal(days, 10**40)[0] == (
        "1000000000...(41 digits) is out of range: an age in days must be from 0 to 2,147,483,647"
    )
    assert refusal(days, True)[0] == "expected an integer, got bool"
    deadline = values.integer(10, 600, "the deadline", also=(0,))
    assert deadline(0) == 0
    assert refusal(deadline, 5)[0] == (
        "5 is out of range: the deadline must be from 10 to 600 (or 0)"
    )
    assert refusal(values.integer(1), 0)[0] == "0 is out of range: must be at least 1"
    assert refusal(values.number(1, "the growth factor"), 0.5)[0] == (
        "0.5 is out of range: the growth factor must be more than 1"
    )


def test_durations_are_protobuf_seconds() -> None:
    any_duration = values.duration()
    for good in ("0s", "600s", "2592000s", "3.5s", "0.000000001s"):
        assert any_duration(good) == good
    assert refusal(any_duration, "30d") == (
        "'30d' is not a duration: write whole seconds (up to nine decimals) followed by 's'",
        "write 2592000s",
    )
    assert refusal(any_duration, "1.0000000001s")[1] == (
        "e.g. '600s' for ten minutes, '2592000s' for 30 days"
    )
    assert refusal(any_duration, "-30s")[0] == (
        "'-30s' is out of range: the duration must be from 0s to 315,576,000,000s"
    )
    retention = values.duration(600, 2_678_400)
    assert refusal(retention, "60s")[0] == (
        "'60s' is out of range: the duration must be from 600s to 2,678,400s"
    )
    assert refusal(values.duration(multiple_of=60), "90s")[0] == (
        "'90s' must be a whole multiple of 60s"
    )
    assert values.duration(allow_empty=True)("") == ""
    assert values.seconds("1.5s") == 1.5
    assert values.seconds("1.5") is None


def test_dates() -> None:
    assert values.date("2026-02-28") == "2026-02-28"
    for bad in ("2026-02-30", "2026-2-1", "20260201"):
        assert refusal(values.date, bad)[0] == (
            f"{bad!r} is not a date: write YYYY-MM-DD, e.g. 2026-01-31"
        )


def test_labels_follow_googles_rules() -> None:
    assert values.labels({"team": "data-eng", "équipe": "données", "tier": ""}) is not None
    error = refused(values.labels, {"team": "Data Engineering"})
    assert (error.message, error.at, error.at_key) == (
        "invalid label value 'Data Engineering': at most 63 lowercase letters, digits, '_' and '-'",
        ("team",),
        False,
    )
    error = refused(values.labels, {"9lives": "x"})
    assert (error.message, error.at, error.at_key) == (
        "invalid label key '9lives': 1-63 lowercase letters, digits, '_' and '-', starting "
        "with a lowercase letter",
        ("9lives",),
        True,
    )
    too_many = {f"k{n}": "v" for n in range(65)}
    assert refusal(values.labels, too_many)[0] == "65 labels; a resource takes at most 64"


def test_iam_roles_are_googles_or_custom() -> None:
    assert len(values.predefined_roles()) == 2390
    for good in (
        "roles/run.invoker",
        "roles/owner",
        "projects/acme-prod/roles/deployer",
        "organizations/123456/roles/custom.auditor",
    ):
        assert values.role(good) == good
    assert refusal(values.role, "roles/bigquery.dataEditr") == (
        "'roles/bigquery.dataEditr' is not a predefined IAM role",
        "did you mean 'roles/bigquery.dataEditor'?",
    )
    assert refusal(values.role, "admin") == (
        "'admin' is not an IAM role",
        "use roles/<name> or projects/<project>/roles/<custom>",
    )


@pytest.mark.parametrize(
    ("check", "good", "bad"),
    [
        (values.service_account_id, "dmd-ingest", "dmd_ingest"),
        (values.repository_id, "dmd-ingest", "Dmd-Ingest"),
        (values.dataset_id, "bronze_dmd", "bronze-dmd"),
        (values.table_id, "inventory movement-2026", "inventory/movement"),
        (values.bucket_name, "acme-raw.data", "acme-google-raw"),
        (values.pubsub_name, "stock-events", "goog-events"),
        (values.secret_id, "DMD_API_TOKEN", "dmd/api/token"),
        (values.scheduler_job_name, "dmd-inv-mov", "dmd inv mov"),
        (values.log_metric_name, "dmd_ingest/errors", "/errors"),
        (values.api_name, "bigquery.googleapis.com", "bigquery"),
    ],
)
def test_names_and_ids(check: Callable[[Any], Any], good: str, bad: str) -> None:
    assert check(good) == good
    with pytest.raises(InvalidValue):
        check(bad)


def test_a_service_account_id_is_never_echoed() -> None:
    message, _ = refusal(values.service_account_id, "sk_live_secret_value_x")
    assert "sk_live" not in message


def test_cron_and_time_zones() -> None:
    assert values.cron("*/15 * * * 1-5") == "*/15 * * * 1-5"
    for bad in ("0 4 * *", "0 25 * * *", "0 4 * * *\n0 5 * * *"):
        assert refusal(values.cron, bad)[0] == (
            f"{values.shown(bad)} is not a valid cron expression: Cloud Scheduler takes five "
            "fields (minute hour day-of-month month day-of-week)"
        )
    assert values.time_zone("Asia/Kuala_Lumpur") == "Asia/Kuala_Lumpur"
    assert refusal(values.time_zone, "Asia/KualaLumpur") == (
        "'Asia/KualaLumpur' is not a known IANA time zone",
        "did you mean 'Asia/Kuala_Lumpur'?",
    )


@pytest.mark.parametrize(("kind", "longest"), [("service", 49), ("function", 49), ("job", 63)])
def test_cloud_run_names(kind: str, longest: int) -> None:
    assert values.cloud_run_name("a" * longest, kind) == "a" * longest
    with pytest.raises(InvalidValue) as caught:
        values.cloud_run_name("a" * (longest + 1), kind)
    assert (caught.value.message, caught.value.hint) == (
        f"'{'a' * (longest + 1)}' is {longest + 1} characters long; Cloud Run {kind} names "
        f"have at most {longest}",
        "choose a shorter name",
    )
    for bad in ("inventory-äpi", "Inventory", "api-", "9api", "api\n", "api_x"):
        with pytest.raises(InvalidValue) as caught:
            values.cloud_run_name(bad, kind)
        assert caught.value.message == (
            f"{bad!r} is not a valid Cloud Run {kind} name: use lowercase letters, digits and "
            "hyphens, start with a letter and do not end with a hyphen"
        )


@pytest.mark.parametrize(
    "reference",
    [
        "europe-docker.pkg.dev/acme/apps/api:1.4.2",
        "asia-southeast1-docker.pkg.dev/acme/apps/api",
        "localhost:5000/api:latest",
        "api",
        "docker.io/library/python:3.12-slim",
        "gcr.io/acme/api@sha256:" + "a" * 64,
        "gcr.io/acme/api:v1@sha256:" + "0" * 64,
        "[::1]:5000/api:v1",
        "ghcr.io/acme/a__b.c-d/e:" + "x" * 128,
    ],
)
def test_image_references_that_docker_takes(reference: str) -> None:
    assert values.image_reference(reference) == reference


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        (
            "Bad Image:??",
            "image reference 'Bad Image:??' contains a space, a line break or a control character",
        ),
        (
            "gcr.io/acme/api:1\nimage: evil",
            "image reference 'gcr.io/acme/api:1\\nimage: evil' contains a space, a line break "
            "or a control character",
        ),
        (
            "gcr.io/acme/API:1",
            "image reference 'gcr.io/acme/API:1': path component 'API' must be lowercase "
            "letters and digits, joined by '.', '_', '__' or '-'",
        ),
        (
            "gcr.io/acme/api:-1",
            "image reference 'gcr.io/acme/api:-1': the tag '-1' must be up to 128 letters, "
            "digits, '_', '.' and '-', not starting with '.' or '-'",
        ),
        (
            "gcr.io/acme/api@sha256:abc",
            "image reference 'gcr.io/acme/api@sha256:abc': the digest must be sha256: and 64 "
            "lowercase hex digits",
        ),
        (
            "gcr.io/",
            "image reference 'gcr.io/': path component '' must be lowercase letters "
            "and digits, joined by '.', '_', '__' or '-'",
        ),
        (
            "bad_host.io/api:1",
            "image reference 'bad_host.io/api:1': 'bad_host.io' is not a registry host[:port]",
        ),
    ],
)
def test_image_references_that_docker_refuses(reference: str, message: str) -> None:
    assert refusal(values.image_reference, reference) == (
        message,
        "write [HOST[:PORT]/]PATH[:TAG][@sha256:DIGEST], e.g. "
        "europe-docker.pkg.dev/my-project/apps/api:1.4.2",
    )


def test_registry_prefixes() -> None:
    for good in ("europe-docker.pkg.dev/acme/apps", "europe-docker.pkg.dev/acme/apps/", "ghcr.io"):
        assert values.registry_prefix(good) == good
    assert refusal(values.registry_prefix, "europe-docker.pkg.dev/acme/apps:1.0") == (
        "registry 'europe-docker.pkg.dev/acme/apps:1.0' has a tag or digest: it is only the "
        "part before the image name",
        "e.g. --registry europe-docker.pkg.dev/my-project/apps",
    )
    assert refusal(values.registry_prefix, "Bad Registry")[0] == (
        "registry 'Bad Registry' contains a space, a line break or a control character"
    )


def test_image_tags() -> None:
    assert values.image_tag("2026.11.26-3f2a9c1") == "2026.11.26-3f2a9c1"
    for bad in ("", ".1", "1.0\n", "v" * 129, "1.0+build"):
        with pytest.raises(InvalidValue):
            values.image_tag(bad)


def test_each_names_the_item() -> None:
    error = refused(values.each(values.storage_class), ["STANDARD", "FAST"])
    assert error.at == (1,)


# --- the pydantic types over the checks ---------------------------------------------------


def test_a_type_reports_its_check_in_the_validation_error() -> None:
    from pydantic import TypeAdapter, ValidationError

    from polyinfra.values.types import CronSchedule

    with pytest.raises(ValidationError) as caught:
        TypeAdapter(CronSchedule).validate_python("every day")
    (error,) = caught.value.errors()
    invalid = error["ctx"]["error"]
    assert isinstance(invalid, values.InvalidValue)
    assert invalid.message == str(invalid)
    assert TypeAdapter(CronSchedule).validate_python("0 4 * * *") == "0 4 * * *"


def test_the_encrypted_stand_in_is_skipped_only_when_the_reader_says_so() -> None:
    from pydantic import TypeAdapter, ValidationError

    from polyinfra.values.types import Labels, Region, encrypted_as

    context = encrypted_as("[secret]")
    assert TypeAdapter(Region).validate_python("[secret]", context=context) == "[secret]"
    with pytest.raises(ValidationError):
        TypeAdapter(Region).validate_python("[secret]")
    with pytest.raises(ValidationError):  # another value is still checked
        TypeAdapter(Region).validate_python("mars-north1", context=context)
    labels = {"team": "[secret]", "owner": "data"}
    assert TypeAdapter(Labels).validate_python(labels, context=context) == labels
    with pytest.raises(ValidationError) as caught:
        TypeAdapter(Labels).validate_python({"Team": "[secret]"}, context=context)
    assert caught.value.errors()[0]["ctx"]["error"].at_key


@pytest.mark.parametrize(
    ("type_name", "good", "bad", "message"),
    [
        ("GithubVariableName", "GCP_PROJECT_ID", "1PASS", "is not a GitHub variable name"),
        ("GithubVariableName", "_X", "MY-REGION", "is not a GitHub variable name"),
        ("GithubEnvironmentName", "prod.eu_1-a", "prod env", "is not an environment name"),
        ("PlainFolder", "infra/tools", "infra $(rm -rf)", "is not a plain folder path"),
        ("PlainFolder", ".", "-rf", "is not a plain folder path"),
    ],
)
def test_ci_names(type_name: str, good: str, bad: str, message: str) -> None:
    from pydantic import TypeAdapter, ValidationError

    from polyinfra.values import types

    adapter: TypeAdapter[str] = TypeAdapter(getattr(types, type_name))
    assert adapter.validate_python(good) == good
    with pytest.raises(ValidationError) as caught:
        adapter.validate_python(bad)
    assert caught.value.errors()[0]["ctx"]["error"].message == message


@pytest.mark.parametrize(
    "event",
    [
        "google.cloud.pubsub.topic.v1.messagePublished",
        "google.cloud.storage.object.v1.finalized",
        "google.cloud.storage.object.v1.metadataUpdated",
        "google.cloud.audit.log.v1.written",
        "google.cloud.firestore.document.v1.written",
        "google.cloud.firestore.document.v1.created.withAuthContext",
        "google.cloud.dataflow.job.v1beta3.statusChanged",
    ],
)
def test_event_types_eventarc_filters_on(event: str) -> None:
    assert values.event_type(event) == event


@pytest.mark.parametrize(
    ("event", "message", "hint"),
    [
        (
            "google.cloud.storage.object.v1.finalize",
            "'google.cloud.storage.object.v1.finalize' is not an event type Eventarc delivers",
            "did you mean 'google.cloud.storage.object.v1.finalized'?",
        ),
        (
            "google.cloud.pubsub.subscription.v1.acked",
            "'google.cloud.pubsub.subscription.v1.acked' is not an event type Eventarc delivers",
            "use one of google.cloud.audit.log.v1.written, "
            "google.cloud.pubsub.topic.v1.messagePublished, "
            "google.cloud.storage.object.v1.archived, google.cloud.storage.object.v1.deleted, "
            "google.cloud.storage.object.v1.finalized, "
            "google.cloud.storage.object.v1.metadataUpdated",
        ),
        (
            "google.storage.object.finalize",
            "'google.storage.object.finalize' is a Cloud Functions (1st gen) event type, which "
            "Eventarc does not filter on",
            "use 'google.cloud.storage.object.v1.finalized'",
        ),
        (
            "object.finalize",
            "'object.finalize' is not a Google CloudEvent type polyinfra can check: those read "
            "google.cloud.<product>.<resource>.v<N>.<event> (or google.firebase....)",
            "e.g. google.cloud.pubsub.topic.v1.messagePublished",
        ),
        (
            "google.cloud.firestore.document.written",
            "'google.cloud.firestore.document.written' is not a Google CloudEvent type polyinfra "
            "can check: those read google.cloud.<product>.<resource>.v<N>.<event> (or "
            "google.firebase....)",
            "e.g. google.cloud.pubsub.topic.v1.messagePublished",
        ),
    ],
)
def test_event_types_eventarc_refuses(event: str, message: str, hint: str) -> None:
    assert refusal(values.event_type, event) == (message, hint)


def test_eventarc_trigger_names() -> None:
    for good in ("a", "stock-updates", "s" + "1" * 62):
        assert values.eventarc_trigger_name(good) == good
    for bad, example in (
        ("Stock_Updates", "stock-updates"),
        ("1-stock", "stock"),
        ("s" * 64, "s" * 63),
        ("", "my-trigger"),
    ):
        assert refusal(values.eventarc_trigger_name, bad) == (
            f"{values.shown(bad)} is not an Eventarc trigger name: at most 63 lowercase letters, "
            "digits and hyphens, starting with a letter",
            f"for example {example!r}",
        )


def test_pubsub_topics_by_name_or_full_id() -> None:
    for good in ("stock-updates", "projects/acme-shared/topics/stock-updates"):
        assert values.pubsub_topic(good) == good
    assert refusal(values.pubsub_topic, "projects/acme-shared/subscriptions/stock") == (
        "'projects/acme-shared/subscriptions/stock' is not a Pub/Sub topic: give its name, or "
        "its full id projects/<project>/topics/<name>",
        None,
    )
    assert refusal(values.pubsub_topic, "projects/acme-shared/topics/goog-x")[0] == (
        "'goog-x': not a Pub/Sub name: 3-255 letters, digits and - _ . ~ + %, starting with a "
        "letter and not with 'goog'"
    )
    assert values.cloud_run_function_name("stock-events") == "stock-events"
    with pytest.raises(InvalidValue):
        values.cloud_run_function_name("s" * 50)


def test_firebase_event_types_are_accepted() -> None:
    assert values.event_type("google.firebase.database.ref.v1.written") == (
        "google.firebase.database.ref.v1.written"
    )
