"""``[tool.polyinfra.rules]``: switch rules off, change their levels, tune their limits."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

LevelName = Literal["error", "warning", "info"]


class CloudRunRuleOptions(BaseModel):
    """``[tool.polyinfra.rules.cloudrun]``: limits where Cloud Run's own docs disagree."""

    model_config = ConfigDict(extra="forbid")

    job_startup_window_seconds: int = Field(
        default=600,
        ge=1,
        description="Largest failureThreshold x periodSeconds of a job's startup probe "
        "(the English docs say 600 s, some translations 240 s).",
    )
    job_task_timeout_seconds: int = Field(
        default=168 * 3600, ge=1, description="Largest job task timeoutSeconds (168 h)."
    )


class RulesSettings(BaseModel):
    """``[tool.polyinfra.rules]``."""

    model_config = ConfigDict(extra="forbid")

    disable: list[str] = Field(
        default_factory=list,
        description="Rule ids (or namespaces such as 'cloudrun') that never run.",
    )
    levels: dict[str, LevelName] = Field(
        default_factory=dict,
        description="Rule id (or namespace) -> level: error, warning or info.",
    )
    cloudrun: CloudRunRuleOptions = Field(default_factory=CloudRunRuleOptions)
