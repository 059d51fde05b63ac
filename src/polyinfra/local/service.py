"""What the rendered Cloud Run Service of a function app gives its container: the service name,
the ingress container's port, environment (plain values and secrets) and startup probe, the
trigger type and the request timeout."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from polyinfra.cloudrun.vocabulary import (
    FUNCTION_SIGNATURE_TYPE_ENV,
    SECRETS_ANNOTATION,
    SERVICE_POD,
    SIGNATURE_TYPES,
    TRIGGER_TYPE_ANNOTATION,
    CloudRunObject,
    signature_type,
)
from polyinfra.errors import UserError
from polyinfra.local.probe import StartupProbe, startup_probe
from polyinfra.manifests import RenderedApp, RenderedObject
from polyinfra.positions import Position
from polyinfra.yamlio import KeyPath

#: The signature types the Functions Framework's ``--signature-type`` takes.
DEFAULT_PORT = 8080
#: A Service's request timeout when ``timeoutSeconds`` is unset.
DEFAULT_REQUEST_TIMEOUT = 300


@dataclass(frozen=True)
class SecretVar:
    """An environment variable Cloud Run fills from Secret Manager: ``secret`` is the secret
    (``projects/P/secrets/S`` when the ``run.googleapis.com/secrets`` annotation names it,
    else the name ``secretKeyRef`` gives), ``version`` its ``key``."""

    name: str
    secret: str
    version: str
    path: KeyPath


@dataclass(frozen=True)
class FunctionService:
    """The parts of a function's rendered Service that running it locally needs."""

    rendered: RenderedObject
    name: str
    container: str
    container_path: KeyPath
    port: int
    #: plain values, in the manifest's order, and where each is
    env: dict[str, str]
    env_paths: dict[str, KeyPath]
    secrets: tuple[SecretVar, ...]
    probe: StartupProbe
    trigger_type: str | None
    request_timeout: int

    def position(self, path: KeyPath, *, value: bool = False) -> Position:
        """Where ``path`` of the rendered Service was written in the base or an overlay."""
        return self.rendered.position(path, value=value)

    @property
    def signature_type(self) -> str:
        """``FUNCTION_SIGNATURE_TYPE``, else what the trigger type implies: ``http`` for an
        HTTP trigger (or none), ``cloudevent`` for an event type."""
        declared = self.env.get(FUNCTION_SIGNATURE_TYPE_ENV)
        if declared and declared not in SIGNATURE_TYPES:
            raise UserError(
                f"FUNCTION_SIGNATURE_TYPE {declared!r} is not one the Functions Framework "
                f"takes ({', '.join(SIGNATURE_TYPES)})",
                position=self.position(
                    (*self.env_paths[FUNCTION_SIGNATURE_TYPE_ENV], "value"), value=True
                ),
                hint="write http or cloudevent",
            )
        return signature_type(declared, self.trigger_type)


def function_service(app: RenderedApp) -> FunctionService:
    """The Service of ``app`` as its container sees it; UserError when the app renders no
    Service or no container clearly receives its requests."""
    service = next((obj for obj in app.objects if obj.kind == "Service"), None)
    if service is None:
        raise UserError(
            f"{app.app} ({app.env}) renders no Cloud Run Service: a function is one",
            position=Position(app.overlay),
            hint="a function's base is a serving.knative.dev/v1 Service",
        )
    view = CloudRunObject(service.data)
    index, container = _ingress_container(view, service)
    path: KeyPath = (*SERVICE_POD, "containers", index)
    env, env_paths, secrets = _environment(service, container, path, _aliases(view))
    port = _port(container)
    timeout = view.pod_spec.get("timeoutSeconds")
    trigger = view.template_annotations.get(TRIGGER_TYPE_ANNOTATION)
    return FunctionService(
        rendered=service,
        name=view.name or app.app,
        container=str(container.get("name") or f"#{index}"),
        container_path=path,
        port=port,
        env=env,
        env_paths=env_paths,
        secrets=tuple(secrets),
        probe=startup_probe(container),
        trigger_type=trigger if isinstance(trigger, str) else None,
        request_timeout=timeout
        if isinstance(timeout, int) and not isinstance(timeout, bool) and timeout > 0
        else DEFAULT_REQUEST_TIMEOUT,
    )


def _ingress_container(
    view: CloudRunObject, service: RenderedObject
) -> tuple[int, Mapping[str, Any]]:
    """The container that receives requests: the one with ports, or the only one."""
    containers = list(enumerate(view.containers))
    with_ports = [(i, c) for i, c in containers if c.get("ports")]
    if len(with_ports) == 1:
        return with_ports[0]
    if len(containers) == 1:
        return containers[0]
    raise UserError(
        f"{view.name}: no one container receives requests ({len(with_ports)} of "
        f"{len(containers)} declare a port)",
        position=service.position((*SERVICE_POD, "containers")),
        hint="give exactly one container (the function's) a containerPort",
    )


def _port(container: Mapping[str, Any]) -> int:
    ports = container.get("ports")
    first = ports[0] if isinstance(ports, list) and ports else None
    number = first.get("containerPort") if isinstance(first, Mapping) else None
    return number if isinstance(number, int) and not isinstance(number, bool) else DEFAULT_PORT


def _aliases(view: CloudRunObject) -> dict[str, str]:
    """``alias -> projects/P/secrets/S`` from the ``run.googleapis.com/secrets`` annotation."""
    found: dict[str, str] = {}
    for table in (view.annotations, view.template_annotations):
        text = table.get(SECRETS_ANNOTATION)
        if isinstance(text, str):
            for entry in filter(None, (part.strip() for part in text.split(","))):
                alias, _, reference = entry.partition(":")
                if reference:
                    found[alias.strip()] = reference.strip()
    return found


def _environment(
    service: RenderedObject,
    container: Mapping[str, Any],
    container_path: KeyPath,
    aliases: Mapping[str, str],
) -> tuple[dict[str, str], dict[str, KeyPath], list[SecretVar]]:
    env: dict[str, str] = {}
    paths: dict[str, KeyPath] = {}
    secrets: list[SecretVar] = []
    entries = container.get("env")
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        if not isinstance(entry, Mapping) or not isinstance(entry.get("name"), str):
            continue
        name = entry["name"]
        path: KeyPath = (*container_path, "env", index)
        source = entry.get("valueFrom")
        if source is None:
            value = entry.get("value", "")
            env[name] = value if isinstance(value, str) else str(value)
            paths[name] = path
            continue
        ref = source.get("secretKeyRef") if isinstance(source, Mapping) else None
        if not isinstance(ref, Mapping) or not isinstance(ref.get("name"), str):
            raise UserError(
                f"environment variable {name} takes its value from something other than a "
                "secret (secretKeyRef), which Cloud Run does not provide",
                position=service.position((*path, "valueFrom")),
                hint="give it a value, or valueFrom.secretKeyRef",
            )
        secret = aliases.get(ref["name"], ref["name"])
        version = ref.get("key")
        secrets.append(SecretVar(name, secret, str(version or "latest"), path))
    return env, paths, secrets
