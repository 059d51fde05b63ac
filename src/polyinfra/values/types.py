"""The kinds of value as pydantic types, for the models that read them: the stack
configuration (``StackConfig``) and the workspace settings (``[tool.polyinfra]``).

Each type is ``Annotated[...]`` with the one check :mod:`polyinfra.values` has for that kind as
an after-validator. A failed check keeps its :class:`~polyinfra.values.base.InvalidValue` in the
validation error's ``ctx``, so the reader reports its message and hint at the value's
file:line:col.

A value that is held encrypted cannot be checked offline: a reader that replaces encrypted values
by a stand-in passes ``context=encrypted_as(stand_in)`` to ``model_validate``, and the checks
skip that stand-in (in a mapping, such a value reads as empty: its key is still checked).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, ValidationInfo

from polyinfra.values.base import Check
from polyinfra.values.cloudrun import cloud_run_function_name, cloud_run_job_name
from polyinfra.values.events import event_type, eventarc_trigger_name, pubsub_topic
from polyinfra.values.labels import label_key, label_value, labels
from polyinfra.values.locations import region, zone
from polyinfra.values.members import iam_member
from polyinfra.values.names import (
    api_name,
    bucket_name,
    github_environment_name,
    github_variable_name,
    plain_folder,
    service_account_id,
)
from polyinfra.values.platform import (
    github_repository,
    project_number,
    workload_identity_pool_id,
    workload_identity_provider_id,
)
from polyinfra.values.roles import role
from polyinfra.values.schedules import cron, time_zone

_ENCRYPTED = "encrypted"


def encrypted_as(stand_in: str) -> dict[str, str]:
    """The validation context of a reader that shows each encrypted value as ``stand_in``."""
    return {_ENCRYPTED: stand_in}


def checked(check: Check) -> AfterValidator:
    """``check`` as a pydantic after-validator, skipping the context's encrypted stand-in."""

    def validate(value: Any, info: ValidationInfo) -> Any:
        context = info.context if isinstance(info.context, dict) else {}
        stand_in = context.get(_ENCRYPTED)
        if stand_in is None:
            check(value)
        elif isinstance(value, dict):
            check({k: "" if v == stand_in else v for k, v in value.items()})
        elif value != stand_in:
            check(value)
        return value

    return AfterValidator(validate)


# --- the stack configuration --------------------------------------------------------------

Region = Annotated[str, checked(region)]
Zone = Annotated[str, checked(zone)]
Role = Annotated[str, checked(role)]
IamMember = Annotated[str, checked(iam_member)]
ApiName = Annotated[str, checked(api_name)]
BucketName = Annotated[str, checked(bucket_name)]
ServiceAccountId = Annotated[str, checked(service_account_id)]
CloudRunJobName = Annotated[str, checked(cloud_run_job_name)]
CloudRunFunctionName = Annotated[str, checked(cloud_run_function_name)]
EventarcTriggerName = Annotated[str, checked(eventarc_trigger_name)]
EventType = Annotated[str, checked(event_type)]
PubsubTopic = Annotated[str, checked(pubsub_topic)]
CronSchedule = Annotated[str, checked(cron)]
TimeZone = Annotated[str, checked(time_zone)]
LabelKey = Annotated[str, checked(label_key)]
LabelValue = Annotated[str, checked(label_value)]
#: A whole ``labels`` mapping: each key and value, and at most 64 of them.
Labels = Annotated[dict[str, str], checked(labels)]

# --- the CI settings ------------------------------------------------------------------------

GithubVariableName = Annotated[str, checked(github_variable_name)]
GithubEnvironmentName = Annotated[str, checked(github_environment_name)]
PlainFolder = Annotated[str, checked(plain_folder)]

# --- the platform resources -----------------------------------------------------------------

WorkloadIdentityPoolId = Annotated[str, checked(workload_identity_pool_id)]
WorkloadIdentityProviderId = Annotated[str, checked(workload_identity_provider_id)]
GithubRepository = Annotated[str, checked(github_repository)]
#: ``input:project_number``: a string of digits; an unquoted YAML number is read as its digits.
ProjectNumber = Annotated[
    str,
    BeforeValidator(lambda v: str(v) if isinstance(v, int) and not isinstance(v, bool) else v),
    checked(project_number),
]
