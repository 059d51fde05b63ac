"""``[tool.polyinfra]`` in ``infrastructure/pyproject.toml``: every setting polyinfra reads.

Each field has a default, so an absent or empty table is valid. Unknown keys are errors.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class AppSettings(BaseModel):
    """``[tool.polyinfra.apps.<app>]``: per-app overrides."""

    model_config = ConfigDict(extra="forbid")

    project: str | None = Field(
        default=None,
        description="Polylith project (folder under projects/) that the app deploys. "
        "Default: the project with the app's name, '-' and '_' treated alike.",
    )


class Settings(BaseModel):
    """The whole ``[tool.polyinfra]`` table."""

    model_config = ConfigDict(extra="forbid")

    apps: dict[str, AppSettings] = Field(default_factory=dict)
    environments: dict[str, str] = Field(
        default_factory=dict,
        description="Overlay (environment) name -> Pulumi stack name, where they differ.",
    )
