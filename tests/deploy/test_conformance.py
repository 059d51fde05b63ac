"""The example workspace deployed end to end to an emulator that answers like Google's front
ends (gzip, bearer tokens, project numbers, server defaults), and every request polyinfra's
client sent, with every answer, checked against the Cloud Run discovery document."""

from __future__ import annotations

from typing import Any

import pytest

from polyinfra.deploy.apps import DeployRequest, deploy_apps
from polyinfra.deploy.client import CloudRunClient, ObjectRef, Pacer
from polyinfra.deploy.rollout import DeployOptions
from polyinfra.emulator import FakeCloudRun
from polyinfra.workspace import Workspace
from tests.conformance import check_exchanges
from tests.conftest import EXAMPLE
from tests.deploy.conftest import token_credentials

pytestmark = pytest.mark.slow

PROJECT = "data-platform-sandbox"
TOKEN = "ya29.test-token-for-the-emulator"
APPS = ["dmd-inv-mov-api2bq", "inventory-api", "stock-webhook"]


def deploy(fake: FakeCloudRun, version: str, **options: Any) -> Any:
    credentials = token_credentials(TOKEN)

    def factory(region: str, pacer: Pacer) -> CloudRunClient:
        return CloudRunClient(endpoint=fake.endpoint, credentials=credentials, pacer=pacer)

    return deploy_apps(
        Workspace.discover(EXAMPLE),
        DeployRequest(apps=(), env="sandbox", version=version, images={}),
        DeployOptions(version=version, first_poll=0.01, poll=0.02, **options),
        client_factory=factory,
    )


def test_the_example_deploys_to_a_google_like_api_and_every_exchange_conforms() -> None:
    with FakeCloudRun(require_auth=True, ready_after=2) as fake:
        first = deploy(fake, "v1", execute=True)
        dry = deploy(fake, "v2", dry_run=True)
        second = deploy(fake, "v2")
        again = deploy(fake, "v2")
        client = CloudRunClient(endpoint=fake.endpoint, credentials=token_credentials(TOKEN))
        revisions = client.list_revisions(ObjectRef("Service", PROJECT, "inventory-api"))
        executions = client.list_executions(ObjectRef("Job", PROJECT, "dmd-inv-mov-api2bq"))
        client.close()
        number = fake.project_number(PROJECT)
        requests = fake.requests

    for report, action in ((first, "created"), (second, "replaced"), (again, "unchanged")):
        assert report.ok, [r.message for r in report.results]
        assert sorted((r.target.app, r.action) for r in report.results) == [
            (app, action) for app in APPS
        ]
    assert [r.action for r in sorted(dry.results, key=lambda r: r.target.app)] == [
        "replace",
        "replace",
        "replace",
    ]
    urls = {r.target.app: r.url for r in second.results if r.url}
    assert urls == {
        "inventory-api": f"https://inventory-api-{number}.europe-west1.run.app",
        "stock-webhook": f"https://stock-webhook-{number}.europe-west1.run.app",
    }
    assert [r.execution for r in first.results if r.target.app == APPS[0]] == [
        executions[0]["metadata"]["name"]
    ]
    assert [rev["metadata"]["name"][: len("inventory-api-0000")] for rev in revisions] == [
        "inventory-api-0000",
        "inventory-api-0000",
    ]

    # Every call carried the token, every answer came compressed, nothing was rejected.
    assert {r.headers.get("authorization") for r in requests} == {f"Bearer {TOKEN}"}
    assert {r.response_headers.get("Content-Encoding") for r in requests} == {"gzip"}
    assert all(r.status < 400 or r.status == 404 for r in requests)
    # The dry run asked the API to validate the replaces without applying them.
    assert [r.method for r in requests if r.dry_run] == ["PUT", "PUT", "PUT"]
    # Every request the client sent and every answer the emulator gave fits the API's schemas.
    assert check_exchanges(requests) == []
