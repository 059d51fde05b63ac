"""The kinds of value a user writes (a region, a duration, a label, a Cloud Run name, an image
reference...), each checked by one function wherever it is written: the stack-file model, the
command-line options, the manifest rules, ``polyinfra init`` and ``add``.

A check returns the value it was given (so it can be a pydantic ``AfterValidator``) or raises
:class:`InvalidValue`: what is wrong, with the allowed values or range, and how to fix it. The
caller adds where the value stands (file:line:col, or the option that carried it).
"""

from polyinfra.values.base import (
    Check,
    InvalidValue,
    shown,
)
from polyinfra.values.cloudrun import (
    MAX_NAME_LENGTH,
    cloud_run_function_name,
    cloud_run_job_name,
    cloud_run_name,
    suggest_name,
)
from polyinfra.values.events import (
    AUDIT_LOG_EVENT,
    KNOWN_EVENTS,
    PUBSUB_EVENT,
    STORAGE_EVENTS,
    event_type,
    eventarc_trigger_name,
    pubsub_topic,
)
from polyinfra.values.images import (
    IMAGE_FORM,
    MAX_IMAGE_NAME,
    image_reference,
    image_tag,
    registry_prefix,
)
from polyinfra.values.labels import (
    MAX_LABELS,
    is_label_key,
    is_label_value,
    label_key,
    label_value,
    labels,
)
from polyinfra.values.locations import (
    BIGQUERY_MULTI_REGIONS,
    BIGQUERY_OMNI,
    BUCKET_DUAL_REGIONS,
    BUCKET_MULTI_REGIONS,
    REGISTRY_MULTI_REGIONS,
    bigquery_location,
    bucket_location,
    region,
    regions,
    registry_format,
    registry_location,
    storage_class,
    zone,
)
from polyinfra.values.names import (
    api_name,
    bucket_name,
    cleanup_policy_id,
    dataset_id,
    log_metric_name,
    pubsub_name,
    repository_id,
    scheduler_job_name,
    secret_id,
    service_account_id,
    table_id,
)
from polyinfra.values.platform import (
    compute_name,
    github_repository,
    subnet_range,
    workload_identity_pool_id,
    workload_identity_provider_id,
)
from polyinfra.values.ranges import (
    INT32_MAX,
    MAX_DURATION,
    date,
    duration,
    each,
    integer,
    number,
    one_of,
    seconds,
    text_length,
)
from polyinfra.values.roles import (
    predefined_roles,
    role,
)
from polyinfra.values.schedules import (
    cron,
    time_zone,
    time_zones,
)

__all__ = [
    "AUDIT_LOG_EVENT",
    "BIGQUERY_MULTI_REGIONS",
    "BIGQUERY_OMNI",
    "BUCKET_DUAL_REGIONS",
    "BUCKET_MULTI_REGIONS",
    "IMAGE_FORM",
    "INT32_MAX",
    "KNOWN_EVENTS",
    "MAX_DURATION",
    "MAX_IMAGE_NAME",
    "MAX_LABELS",
    "MAX_NAME_LENGTH",
    "PUBSUB_EVENT",
    "REGISTRY_MULTI_REGIONS",
    "STORAGE_EVENTS",
    "Check",
    "InvalidValue",
    "api_name",
    "bigquery_location",
    "bucket_location",
    "bucket_name",
    "cleanup_policy_id",
    "cloud_run_function_name",
    "cloud_run_job_name",
    "cloud_run_name",
    "compute_name",
    "cron",
    "dataset_id",
    "date",
    "duration",
    "each",
    "event_type",
    "eventarc_trigger_name",
    "github_repository",
    "image_reference",
    "image_tag",
    "integer",
    "is_label_key",
    "is_label_value",
    "label_key",
    "label_value",
    "labels",
    "log_metric_name",
    "number",
    "one_of",
    "predefined_roles",
    "pubsub_name",
    "pubsub_topic",
    "region",
    "regions",
    "registry_format",
    "registry_location",
    "registry_prefix",
    "repository_id",
    "role",
    "scheduler_job_name",
    "seconds",
    "secret_id",
    "service_account_id",
    "shown",
    "storage_class",
    "subnet_range",
    "suggest_name",
    "table_id",
    "text_length",
    "time_zone",
    "time_zones",
    "workload_identity_pool_id",
    "workload_identity_provider_id",
    "zone",
]
