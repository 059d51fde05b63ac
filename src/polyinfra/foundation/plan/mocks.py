"""Running the real foundation program under Pulumi's mocks: every resource it declares is
recorded, with the outputs Google Cloud would compute for it; nothing is sent anywhere."""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from polyinfra.cloudrun.vocabulary import service_account_email
from polyinfra.foundation.plan.model import (
    PlannedResource,
)

#: The invoke that answers the Cloud Storage service agent of a project.
STORAGE_AGENT_INVOKE = "gcp:storage/getProjectServiceAccount:getProjectServiceAccount"
#: Offline there is no project number: a stand-in, all zeros so no one takes it for a real one.
#: Google's answer is ``service-<PROJECT_NUMBER>@gs-project-accounts.iam.gserviceaccount.com``
#: (https://cloud.google.com/storage/docs/projects#service-agents).
STAND_IN_PROJECT_NUMBER = "000000000000"
#: The invoke that answers a project's details, its number among them.
PROJECT_INVOKE = "gcp:organizations/getProject:getProject"


def invoke_result(token: str, args: Mapping[str, Any], project: str) -> dict[str, Any]:
    """What Google Cloud would answer a data-source call, as far as the plan needs it."""
    if token == STORAGE_AGENT_INVOKE:
        email = f"service-{STAND_IN_PROJECT_NUMBER}@gs-project-accounts.iam.gserviceaccount.com"
        return {
            "emailAddress": email,
            "member": f"serviceAccount:{email}",
            "id": email,
            "project": str(args.get("project") or project),
        }
    if token == PROJECT_INVOKE:
        project_id = str(args.get("projectId") or project)
        return {
            "id": f"projects/{project_id}",
            "projectId": project_id,
            "name": project_id,
            "number": STAND_IN_PROJECT_NUMBER,
        }
    return {}


def computed_state(
    type_: str, inputs: Mapping[str, Any], project: str, name: str = ""
) -> dict[str, Any]:
    """The outputs Google Cloud would compute for a new resource, as far as the plan needs them."""
    state = dict(inputs)
    if type_ == "gcp:serviceaccount/account:Account":
        email = service_account_email(str(inputs.get("accountId")), str(project))
        state.update(
            email=email,
            member=f"serviceAccount:{email}",
            name=f"projects/{project}/serviceAccounts/{email}",
        )
    elif type_ == "gcp:pubsub/topic:Topic":
        state["id"] = f"projects/{project}/topics/{inputs.get('name')}"
    elif type_ == "gcp:secretmanager/secret:Secret":
        state["name"] = f"projects/{project}/secrets/{inputs.get('secretId')}"
    elif type_ == "gcp:bigquery/dataset:Dataset":
        state["id"] = f"projects/{project}/datasets/{inputs.get('datasetId')}"
    elif type_ == "gcp:sql/databaseInstance:DatabaseInstance" and "name" in inputs:
        # Cloud SQL's instance connection name, "{project}:{location}:{instance}" (the Cloud
        # Run Admin API's CloudSqlInstance, https://cloud.google.com/sql/docs/mysql/connect-run)
        region = inputs.get("region")
        if region:
            state["connectionName"] = f"{project}:{region}:{inputs['name']}"
    else:
        state.update(platform_state(type_, inputs, project, name))
    return state


#: A workload identity pool's and provider's ``name`` hold the project *number* (Google's
#: ``projects/<number>/locations/global/workloadIdentityPools/<pool>``); offline it is
#: :data:`STAND_IN_PROJECT_NUMBER`. Their ``id`` (pulumi-gcp's import id) holds the project id.
_POOLS = "locations/global/workloadIdentityPools"


def platform_state(
    type_: str, inputs: Mapping[str, Any], project: str, name: str
) -> dict[str, Any]:
    """What Google Cloud computes for the platform resources (``name``: the Pulumi resource
    name): the full names and ids their stack outputs carry."""
    if type_ == "gcp:iam/workloadIdentityPool:WorkloadIdentityPool":
        pool = inputs.get("workloadIdentityPoolId")
        return {
            "id": f"projects/{project}/{_POOLS}/{pool}",
            "name": f"projects/{STAND_IN_PROJECT_NUMBER}/{_POOLS}/{pool}",
            "state": "ACTIVE",
        }
    if type_ == "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider":
        pool = inputs.get("workloadIdentityPoolId")
        provider = f"{pool}/providers/{inputs.get('workloadIdentityPoolProviderId')}"
        return {
            "id": f"projects/{project}/{_POOLS}/{provider}",
            "name": f"projects/{STAND_IN_PROJECT_NUMBER}/{_POOLS}/{provider}",
            "state": "ACTIVE",
        }
    if type_ == "gcp:compute/network:Network":
        return {"id": f"projects/{project}/global/networks/{inputs.get('name')}"}
    if type_ == "gcp:compute/subnetwork:Subnetwork":
        where = f"projects/{project}/regions/{inputs.get('region')}"
        return {"id": f"{where}/subnetworks/{inputs.get('name')}"}
    if type_ == "gcp:monitoring/notificationChannel:NotificationChannel":
        # Monitoring numbers a channel when it creates it: a stand-in of the same form, from
        # the resource name so that a plan is the same every time.
        channel = f"projects/{project}/notificationChannels/{stand_in_number(name)}"
        return {"id": channel, "name": channel}
    return {}


def stand_in_number(name: str) -> str:
    """A 19-digit stand-in for a number Google assigns, derived from ``name``: its first 12
    digits are :data:`STAND_IN_PROJECT_NUMBER`'s zeros, so no one takes it for a real one.

    >>> stand_in_number("notificationchannel_oncall")[:12]
    '000000000000'
    """
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()
    return STAND_IN_PROJECT_NUMBER + str(int(digest, 16) % 10**7).zfill(7)


class _Recorder:
    """Records each registration: the mocks see inputs, the monitor sees protect and deps."""

    def __init__(self, project: str) -> None:
        self.project = project
        self.resources: list[PlannedResource] = []
        self.options: dict[tuple[str, str], tuple[bool, tuple[str, ...]]] = {}


def _mocks_and_monitor(recorder: _Recorder) -> tuple[Any, Any]:
    import pulumi
    from pulumi.runtime.mocks import MockMonitor

    class RecordingMocks(pulumi.runtime.Mocks):
        def new_resource(self, args: Any) -> tuple[str, dict[str, Any]]:
            protect, depends_on = recorder.options.pop((args.typ, args.name), (False, ()))
            inputs = _plain(dict(args.inputs))
            recorder.resources.append(
                PlannedResource(args.typ, args.name, inputs, protect, depends_on)
            )
            state = computed_state(args.typ, inputs, recorder.project, args.name)
            return str(state.get("id") or f"{args.name}_id"), state

        def call(self, args: Any) -> tuple[dict[str, Any], list[tuple[str, str]]]:
            # no failures: an empty list (the mock monitor iterates it; None fails there)
            return invoke_result(args.token, dict(args.args), recorder.project), []

    class RecordingMonitor(MockMonitor):
        def RegisterResource(self, request: Any) -> Any:
            if request.type != "pulumi:pulumi:Stack":
                # sorted: the SDK lists them in the order they resolved, which varies
                depends = tuple(sorted(urn.rsplit("::", 1)[-1] for urn in request.dependencies))
                recorder.options[(request.type, request.name)] = (bool(request.protect), depends)
            return super().RegisterResource(request)  # type: ignore[no-untyped-call]

    mocks = RecordingMocks()
    return mocks, RecordingMonitor(mocks)


#: What a plan shows for an input that is another resource's output Google Cloud computes
#: (an id, a generated name) and the mocks cannot know.
UNKNOWN = "[unknown]"


def _plain(value: Any) -> Any:
    """Inputs as the user wrote them: the wire format turns every number into a float; an
    output not known before the resource exists is :data:`UNKNOWN`."""
    from pulumi.output import Unknown

    if isinstance(value, Unknown):
        return UNKNOWN
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def run_under_mocks(
    program: Callable[[], Any],
    *,
    project: str,
    stack: str,
    gcp_project: str,
    config: Mapping[str, str] | None = None,
    secret_keys: list[str] | None = None,
) -> tuple[list[PlannedResource], dict[str, Any]]:
    """Run ``program`` as a Pulumi program under recording mocks; resources and stack outputs.

    The Pulumi SDK keeps its state in globals (root stack, pending RPCs, config), so each call
    starts from a clean slate and may be repeated in one process.
    """
    import pulumi
    from pulumi.runtime import settings
    from pulumi.runtime.config import set_all_config
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    recorder = _Recorder(gcp_project)
    mocks, monitor = _mocks_and_monitor(recorder)
    settings.ROOT.set(None)
    # The SDK falls back to PULUMI_CONFIG* variables for keys it was not given: the plan shows
    # what the stack file says, not what this shell happens to hold.
    hidden = {
        name: os.environ.pop(name)
        for name in list(os.environ)
        if name.startswith("PULUMI_CONFIG") and not name.startswith("PULUMI_CONFIG_PASSPHRASE")
    }
    # The SDK runs on the thread's current event loop and would otherwise leave one open until
    # the interpreter's teardown, whose garbage collection then fails to close it ("Exception
    # ignored in BaseEventLoop.__del__"): each run gets its own loop and closes it.
    # The mock monitor answers on the loop's executor threads, where the SDK makes one more
    # loop per thread: those are made here, and closed with the rest.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    thread_loops: list[asyncio.AbstractEventLoop] = []

    def thread_loop() -> None:
        made = asyncio.new_event_loop()
        asyncio.set_event_loop(made)
        thread_loops.append(made)

    executor = ThreadPoolExecutor(thread_name_prefix="pulumi-mocks", initializer=thread_loop)
    loop.set_default_executor(executor)
    try:
        set_all_config(dict(config or {}), secret_keys or [])
        pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=True, monitor=monitor)
        settings.SETTINGS.rpc_manager.clear()
        settings.SETTINGS.outputs.clear()
        _sync_await(run_pulumi_func(program))
        root = settings.get_root_resource()
        exported = dict(getattr(root, "outputs", {}) or {})
        outputs = {
            name: _sync_await(pulumi.Output.from_input(value).future())
            for name, value in exported.items()
        }
    finally:
        settings.ROOT.set(None)
        set_all_config({}, [])
        os.environ.update(hidden)
        _close_loop(loop)
        executor.shutdown(wait=True)
        for made in thread_loops:
            made.close()
    # Registration order depends on when dependencies resolve: sort for stable plans and diffs.
    return sorted(recorder.resources, key=lambda r: (r.type, r.name)), outputs


def _close_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel what the program left running on ``loop``, then close it and unset it."""
    try:
        pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
    finally:
        loop.close()
        asyncio.set_event_loop(None)
