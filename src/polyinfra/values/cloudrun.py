"""Cloud Run service, job and function names."""

from __future__ import annotations

import re
from typing import Any

from polyinfra.values.base import (
    InvalidValue,
    _text,
    shown,
)

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


def cloud_run_function_name(value: Any) -> Any:
    """A Cloud Run function name (a function is a service)."""
    return cloud_run_name(value, "function")
