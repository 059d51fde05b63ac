"""Public test helpers: a fake Cloud Run Admin API v1 server on 127.0.0.1 to deploy against
(usage in docs/deploy.md)."""

from polyinfra.testing.fake_cloud_run import FakeCloudRun, Fault, Outcome, RecordedRequest

__all__ = ["FakeCloudRun", "Fault", "Outcome", "RecordedRequest"]
