"""Public test helpers: a fake Cloud Run Admin API v1 server to deploy against locally.

Example::

    from polyinfra.testing import FakeCloudRun

    with FakeCloudRun(ready_after=2) as fake:
        os.environ["CLOUD_RUN_EMULATOR_HOST"] = fake.host   # or pass endpoint=fake.endpoint
        ...  # run `polyinfra deploy` or your own pipeline
        assert fake.get_object("services", "my-project", "api") is not None
"""

from polyinfra.testing.fake_cloud_run import FakeCloudRun, Fault, Outcome, RecordedRequest

__all__ = ["FakeCloudRun", "Fault", "Outcome", "RecordedRequest"]
