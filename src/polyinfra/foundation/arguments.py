"""The values the pulumi-gcp arguments of a stack file take, beyond their types: the kind of
value (:mod:`polyinfra.values`) of each argument, by ``<ArgsClass>.<argument>``, wherever that
class appears (a bucket's lifecycle condition, a topic's subscription, a policy's condition).

Arguments the provider documents with "Possible values are: ..." are checked against the
installed pulumi-gcp's own list (:func:`polyinfra.foundation.argspec.spec`), so they are not
repeated here. Every range below quotes where it comes from: the argument's documentation in
pulumi-gcp (which is Google's API documentation) unless another source is named.
"""

from __future__ import annotations

from polyinfra import values
from polyinfra.values import INT32_MAX, Check, duration, each, integer, number, one_of

#: Days, counts and other whole numbers the APIs keep as 32-bit integers.
_COUNT = integer(0, INT32_MAX)
_DURATION = duration()
#: Monitoring conditions: "only values that are a multiple of a minute--e.g., 0, 60, 120, or
#: 300 seconds--are supported".
_CONDITION_DURATION = duration(multiple_of=60)
#: Monitoring aggregations: "alignmentPeriod must be at least 60 seconds".
_ALIGNMENT_PERIOD = duration(60)

ARGUMENT_VALUES: dict[str, Check] = {
    # serviceaccount.Account
    "AccountArgs.account_id": values.service_account_id,
    # "The maximum length is 100 UTF-8 bytes" (IAM API ServiceAccount.displayName)
    "AccountArgs.display_name": values.text_length(100, "a display name", unit="bytes"),
    # "Must be less than or equal to 256 UTF-8 bytes"
    "AccountArgs.description": values.text_length(256, "a description", unit="bytes"),
    # artifactregistry.Repository
    "RepositoryArgs.repository_id": values.repository_id,
    "RepositoryArgs.format": values.registry_format,
    "RepositoryArgs.location": values.registry_location,
    "RepositoryArgs.labels": values.labels,
    "RepositoryCleanupPolicyArgs.id": values.cleanup_policy_id,
    # "Match versions older than a duration": a google.protobuf.Duration, which the API takes
    # only in seconds ("Illegal duration format; duration must end with 's'", pulumi/pulumi-gcp
    # #3344)
    "RepositoryCleanupPolicyConditionArgs.older_than": _DURATION,
    "RepositoryCleanupPolicyConditionArgs.newer_than": _DURATION,
    # "Minimum number of versions to keep" (an int32 in the API)
    "RepositoryCleanupPolicyMostRecentVersionsArgs.keep_count": _COUNT,
    # bigquery.Dataset, bigquery.Table
    "DatasetArgs.dataset_id": values.dataset_id,
    "DatasetArgs.location": values.bigquery_location,
    "DatasetArgs.labels": values.labels,
    # "The minimum value is 3600000 milliseconds (one hour)"
    "DatasetArgs.default_table_expiration_ms": integer(3_600_000, what="the expiration"),
    "DatasetArgs.default_partition_expiration_ms": integer(0),
    "TableArgs.table_id": values.table_id,
    "TableArgs.dataset_id": values.dataset_id,
    "TableArgs.labels": values.labels,
    # "The supported types are DAY, HOUR, MONTH, and YEAR"
    "TableTimePartitioningArgs.type": one_of(
        ("DAY", "HOUR", "MONTH", "YEAR"), "a time partitioning type"
    ),
    "TableTimePartitioningArgs.expiration_ms": integer(0),
    # storage.Bucket
    "BucketArgs.name": values.bucket_name,
    "BucketArgs.location": values.bucket_location,
    "BucketArgs.storage_class": values.storage_class,
    "BucketArgs.labels": values.labels,
    # 'Acceptable values are "inherited" or "enforced"'
    "BucketArgs.public_access_prevention": one_of(
        ("enforced", "inherited"), "a public access prevention setting"
    ),
    # '"DEFAULT" sets default replication. "ASYNC_TURBO" value enables turbo replication'
    "BucketArgs.rpo": one_of(("DEFAULT", "ASYNC_TURBO"), "a recovery point objective"),
    # "Supported values include: Delete, SetStorageClass and AbortIncompleteMultipartUpload"
    "BucketLifecycleRuleActionArgs.type": one_of(
        ("Delete", "SetStorageClass", "AbortIncompleteMultipartUpload"), "a lifecycle action"
    ),
    "BucketLifecycleRuleActionArgs.storage_class": values.storage_class,
    # "Minimum age of an object in days" and the other day counts: int32 in the JSON API
    "BucketLifecycleRuleConditionArgs.age": integer(0, INT32_MAX, "an age in days"),
    "BucketLifecycleRuleConditionArgs.days_since_custom_time": _COUNT,
    "BucketLifecycleRuleConditionArgs.days_since_noncurrent_time": _COUNT,
    "BucketLifecycleRuleConditionArgs.num_newer_versions": _COUNT,
    # "A date in the RFC 3339 format YYYY-MM-DD"
    "BucketLifecycleRuleConditionArgs.created_before": values.date,
    "BucketLifecycleRuleConditionArgs.custom_time_before": values.date,
    "BucketLifecycleRuleConditionArgs.noncurrent_time_before": values.date,
    "BucketLifecycleRuleConditionArgs.matches_storage_classes": each(values.storage_class),
    # 'Supported values include: "LIVE", "ARCHIVED", "ANY"'
    "BucketLifecycleRuleConditionArgs.with_state": one_of(
        ("LIVE", "ARCHIVED", "ANY"), "an object state"
    ),
    # "The value must be less than 3,155,760,000 seconds"
    "BucketRetentionPolicyArgs.retention_period": integer(0, 3_155_759_999, "the period"),
    # "The value must be in between 604800(7 days) and 7776000(90 days) ... set to 0" to disable
    "BucketSoftDeletePolicyArgs.retention_duration_seconds": integer(
        604_800, 7_776_000, "the retention", also=(0,)
    ),
    # cloudscheduler.Job
    "JobArgs.name": values.scheduler_job_name,
    "JobArgs.schedule": values.cron,
    "JobArgs.time_zone": values.time_zone,
    "JobArgs.region": values.region,
    # "This string must not contain more than 500 characters"
    "JobArgs.description": values.text_length(500, "a description"),
    # "For HTTP targets, between 15 seconds and 30 minutes" (the program's target is HTTP)
    "JobArgs.attempt_deadline": duration(15, 1800),
    # "Values greater than 5 and negative values are not allowed"
    "JobRetryConfigArgs.retry_count": integer(0, 5, "the retry count"),
    "JobRetryConfigArgs.max_doublings": _COUNT,
    "JobRetryConfigArgs.max_retry_duration": _DURATION,
    "JobRetryConfigArgs.min_backoff_duration": _DURATION,
    "JobRetryConfigArgs.max_backoff_duration": _DURATION,
    # pubsub.Topic, pubsub.Subscription
    "TopicArgs.name": values.pubsub_name,
    "TopicArgs.labels": values.labels,
    # "Cannot be more than 31 days or less than 10 minutes"
    "TopicArgs.message_retention_duration": duration(600, 2_678_400),
    "SubscriptionArgs.name": values.pubsub_name,
    "SubscriptionArgs.labels": values.labels,
    # "The minimum custom deadline you can specify is 10 seconds. The maximum ... 600 seconds
    # ... If this parameter is 0, a default value of 10 seconds is used"
    "SubscriptionArgs.ack_deadline_seconds": integer(10, 600, "the deadline", also=(0,)),
    # 'Cannot be more than 31 days ("2678400s") or less than 10 minutes ("600s")'
    "SubscriptionArgs.message_retention_duration": duration(600, 2_678_400),
    # "The value must be between 5 and 100"
    "SubscriptionDeadLetterPolicyArgs.max_delivery_attempts": integer(5, 100, "the attempts"),
    # "Value should be between 0 and 600 seconds"
    "SubscriptionRetryPolicyArgs.minimum_backoff": duration(0, 600),
    "SubscriptionRetryPolicyArgs.maximum_backoff": duration(0, 600),
    # 'If ttl is set to "", the associated resource never expires'
    "SubscriptionExpirationPolicyArgs.ttl": duration(allow_empty=True),
    # secretmanager.Secret
    "SecretArgs.secret_id": values.secret_id,
    "SecretArgs.labels": values.labels,
    "SecretArgs.ttl": _DURATION,
    # "at least 3600s (1h) and at most 3153600000s (100 years)"
    "SecretRotationArgs.rotation_period": duration(3600, 3_153_600_000),
    # logging.Metric
    "MetricArgs.name": values.log_metric_name,
    # "The maximum length of the description is 8000 characters"
    "MetricArgs.description": values.text_length(8000, "a description"),
    # "Must be greater than 0" / "Must be greater than 1"
    "MetricBucketOptionsLinearBucketsArgs.num_finite_buckets": integer(1),
    "MetricBucketOptionsLinearBucketsArgs.width": number(0, "the width"),
    "MetricBucketOptionsExponentialBucketsArgs.num_finite_buckets": integer(1),
    "MetricBucketOptionsExponentialBucketsArgs.growth_factor": number(1, "the growth factor"),
    "MetricBucketOptionsExponentialBucketsArgs.scale": number(0, "the scale"),
    # monitoring.AlertPolicy
    "AlertPolicyArgs.user_labels": values.labels,
    # "The name is limited to 512 Unicode characters"
    "AlertPolicyArgs.display_name": values.text_length(512, "a display name"),
    # 'Presently, only the value "text/markdown" is supported'
    "AlertPolicyDocumentationArgs.mime_type": one_of(("text/markdown",), "a documentation type"),
    # "The content may not exceed 8,192 Unicode characters"
    "AlertPolicyDocumentationArgs.content": values.text_length(8192, "the documentation"),
    "AlertPolicyConditionConditionThresholdArgs.duration": _CONDITION_DURATION,
    "AlertPolicyConditionConditionAbsentArgs.duration": _CONDITION_DURATION,
    "AlertPolicyConditionConditionMonitoringQueryLanguageArgs.duration": _CONDITION_DURATION,
    "AlertPolicyConditionConditionThresholdAggregationArgs.alignment_period": _ALIGNMENT_PERIOD,
    "AlertPolicyConditionConditionThresholdDenominatorAggregationArgs.alignment_period": (
        _ALIGNMENT_PERIOD
    ),
    "AlertPolicyConditionConditionAbsentAggregationArgs.alignment_period": _ALIGNMENT_PERIOD,
    "AlertPolicyAlertStrategyArgs.auto_close": _DURATION,
    "AlertPolicyAlertStrategyNotificationRateLimitArgs.period": _DURATION,
    # monitoring.NotificationChannel
    # "The display name is limited to 512 Unicode characters"
    "NotificationChannelArgs.display_name": values.text_length(512, "a display name"),
    "NotificationChannelArgs.user_labels": values.labels,
    # compute.Network, compute.Subnetwork
    "NetworkArgs.name": values.compute_name,
    # "The minimum value for this field is 1300 and the maximum value is 8896 bytes"
    "NetworkArgs.mtu": integer(1300, 8896, "the MTU"),
    "SubnetworkArgs.name": values.compute_name,
    "SubnetworkArgs.region": values.region,
    "SubnetworkArgs.ip_cidr_range": values.subnet_range,
}
