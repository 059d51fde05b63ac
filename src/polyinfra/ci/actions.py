"""The third-party actions generated workflows use, each pinned to a full commit SHA.

A SHA cannot be moved by whoever controls the tag; the comment names the release it is, so
Dependabot or Renovate can propose upgrades. Change a pin here and every generated workflow
follows on the next ``polyinfra ci generate``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PinnedAction:
    repository: str
    sha: str
    version: str

    @property
    def uses(self) -> str:
        return f"{self.repository}@{self.sha}"


CHECKOUT = PinnedAction("actions/checkout", "11bd71901bbe5b1630ceea73d27597364c9af683", "v4.2.2")
SETUP_PYTHON = PinnedAction(
    "actions/setup-python", "a26af69be951a213d495a4c3e4e4022e16d87065", "v5.6.0"
)
SETUP_UV = PinnedAction("astral-sh/setup-uv", "0c5e2b8115b80b4c7c5ddf6ffdd634974642d182", "v5.4.1")
GCP_AUTH = PinnedAction(
    "google-github-actions/auth", "7c6bc770dae815cd3e89ee6cdf493a5fab2cc093", "v3.0.0"
)
SETUP_BUILDX = PinnedAction(
    "docker/setup-buildx-action", "b5ca514318bd6ebac0fb2aedd5d36ec1b5c232a2", "v3.10.0"
)
DOCKER_LOGIN = PinnedAction(
    "docker/login-action", "74a5d142397b4f367a81961eba4e8cd7edddf772", "v3.4.0"
)
BUILD_PUSH = PinnedAction(
    "docker/build-push-action", "263435318d21b8e681c14492fe198d362a7d2c83", "v6.18.0"
)

ALL = (CHECKOUT, SETUP_PYTHON, SETUP_UV, GCP_AUTH, SETUP_BUILDX, DOCKER_LOGIN, BUILD_PUSH)
