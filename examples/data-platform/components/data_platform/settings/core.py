"""Runtime settings read from the environment Cloud Run sets for each app."""

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    environment: str
    version: str
    gcp_project_id: str


def load_settings() -> Settings:
    return Settings(
        environment=os.environ.get("ENVIRONMENT", "local"),
        version=os.environ.get("VERSION", "dev"),
        gcp_project_id=os.environ.get("GCP_PROJECT_ID", ""),
    )
