"""What a container's environment may hold: reserved names, Secret Manager references and the
``run.googleapis.com/secrets`` annotation, ``$(VAR)`` references Cloud Run does not expand."""

from __future__ import annotations

import re
from collections.abc import Iterator

from polyinfra.checks.context import CheckContext, Manifest
from polyinfra.checks.problem import Level, Problem
from polyinfra.checks.rules.cloudrun.base import CloudRunRule
from polyinfra.checks.rules.cloudrun.shape import (
    containers,
    env_entries,
    ingress_container,
    mapping,
    pod_path,
    sequence,
)
from polyinfra.checks.rules.manifest.templates import is_templated
from polyinfra.cloudrun.vocabulary import (
    RESERVED_JOB_ENV,
    RESERVED_SERVICE_ENV,
    RUN,
    TEMPLATE_META,
)
from polyinfra.yamlio import KeyPath


class ReservedEnv(CloudRunRule):
    """Cloud Run sets some environment variables itself and rejects a revision that sets
    them ("The following reserved env names were provided: PORT. These values are
    automatically set by the system."). In a Service: ``PORT`` in the ingress container (it is
    the ``containerPort``), ``K_SERVICE``, ``K_REVISION`` and ``K_CONFIGURATION`` in every
    container. A sidecar may set ``PORT`` for itself (Google's multi-container sample does).
    In a Job: ``CLOUD_RUN_JOB``, ``CLOUD_RUN_EXECUTION``, ``CLOUD_RUN_TASK_INDEX``,
    ``CLOUD_RUN_TASK_ATTEMPT`` and ``CLOUD_RUN_TASK_COUNT``; a Job has no ``PORT``.

    Bad::

        kind: Service
        spec:
          template:
            spec:
              containers:
                - image: gcr.io/acme/api:v1
                  env:
                    - name: PORT
                      value: "8080"

    Good::

        kind: Service
        spec:
          template:
            spec:
              containers:
                - image: gcr.io/acme/api:v1
                  ports:
                    - containerPort: 8080
    """

    ID = "cloudrun/reserved-env"
    LEVEL = Level.ERROR

    def check_manifest(self, manifest: Manifest, ctx: CheckContext) -> Iterator[Problem]:
        if manifest.is_job:
            reserved: tuple[str, ...] = RESERVED_JOB_ENV
            ingress = None
        elif manifest.is_service:
            reserved = RESERVED_SERVICE_ENV
            ingress = ingress_container(manifest)
        else:
            return
        for container in containers(manifest):
            names = (
                (*reserved, "PORT")
                if ingress is not None and container.path == ingress.path
                else reserved
            )
            for path, entry in env_entries(container):
                name = entry.get("name")
                if name in names:
                    hint = "set containerPort instead" if name == "PORT" else "remove it"
                    yield self.problem(
                        manifest,
                        (*path, "name"),
                        f"env {name} is reserved: Cloud Run sets it in container {container.name}",
                        hint=hint,
                    )


_VERSION = re.compile(r"^(latest|[1-9][0-9]*)$")


def _secret_refs(manifest: Manifest) -> Iterator[tuple[KeyPath, str, object]]:
    """(path of the reference, secret name, key) for env secretKeyRefs and secret volumes."""
    for container in containers(manifest):
        for path, entry in env_entries(container):
            ref_path = (*path, "valueFrom", "secretKeyRef")
            ref = mapping(mapping(entry.get("valueFrom")).get("secretKeyRef"))
            if ref:
                yield ref_path, str(ref.get("name", "")), ref.get("key")
    volumes = (*pod_path(manifest), "volumes")
    for index, volume in enumerate(sequence(manifest.get(volumes))):
        secret = mapping(mapping(volume).get("secret"))
        if not secret:
            continue
        name = str(secret.get("secretName", ""))
        items = sequence(secret.get("items"))
        for item_index, item in enumerate(items):
            yield (*volumes, index, "secret", "items", item_index), name, mapping(item).get("key")
        if not items:
            yield (*volumes, index, "secret"), name, "latest"


class SecretKeyRef(CloudRunRule):
    """A Secret Manager reference names a version: ``key`` is a version number or ``latest``
    (in ``env[].valueFrom.secretKeyRef`` and in secret volume ``items``), and ``name`` is set.

    Cloud Run rejects a reference without a name or with a key that is not a version.

    Bad::

                  env:
                    - name: API_TOKEN
                      valueFrom:
                        secretKeyRef:
                          name: api-token
                          key: API_TOKEN

    Good::

                  env:
                    - name: API_TOKEN
                      valueFrom:
                        secretKeyRef:
                          name: api-token
                          key: latest
    """

    ID = "cloudrun/secret-key-ref"
    LEVEL = Level.ERROR

    def check_manifest(self, manifest: Manifest, ctx: CheckContext) -> Iterator[Problem]:
        for path, name, key in _secret_refs(manifest):
            if not name:
                yield self.problem(
                    manifest, path, "secret reference without a secret name", value=False
                )
            key_text = str(key) if isinstance(key, int | str) else ""
            if is_templated(key_text):
                continue
            if not _VERSION.match(key_text):
                yield self.problem(
                    manifest,
                    (*path, "key"),
                    f"secret key {key_text!r} is not a Secret Manager version",
                    hint='use "latest" or a version number such as "3"',
                    value=key is not None,
                )


_SECRET_ENTRY = re.compile(r"^([^:,\s]+):(projects/[^/\s]+/secrets/[^/\s,]+)$")


class SecretsAnnotation(CloudRunRule):
    """``run.googleapis.com/secrets`` maps aliases to secrets of other projects:
    ``ALIAS:projects/PROJECT/secrets/NAME[,ALIAS2:...]`` on the template metadata. Every entry is
    well formed, every alias unique and used by a ``secretKeyRef.name`` or a secret volume.

    Cloud Run rejects a malformed entry or a repeated alias. An alias nothing uses most often
    means the secretKeyRef names the secret otherwise, a secret that does not exist in the
    project, and the deploy fails.

    Bad::

        spec:
          template:
            metadata:
              annotations:
                run.googleapis.com/secrets: "API_TOKEN:MY_API_TOKEN"

    Good::

        spec:
          template:
            metadata:
              annotations:
                run.googleapis.com/secrets: "API_TOKEN:projects/my-project/secrets/MY_API_TOKEN"
            spec:
              containers:
                - image: gcr.io/acme/api:v1
                  env:
                    - name: API_TOKEN
                      valueFrom:
                        secretKeyRef: {name: API_TOKEN, key: latest}
    """

    ID = "cloudrun/secrets-annotation"
    LEVEL = Level.ERROR

    def check_manifest(self, manifest: Manifest, ctx: CheckContext) -> Iterator[Problem]:
        key = RUN + "secrets"
        path = (*TEMPLATE_META, "annotations", key)
        value = manifest.get(path)
        if not isinstance(value, str) or is_templated(value):
            return
        used = {name for _, name, _ in _secret_refs(manifest)}
        seen: set[str] = set()
        for entry in (part.strip() for part in value.split(",")):
            match = _SECRET_ENTRY.match(entry)
            if not match:
                yield self.problem(
                    manifest,
                    path,
                    f"{key} entry {entry!r} is not ALIAS:projects/PROJECT/secrets/NAME",
                )
                continue
            alias = match.group(1)
            if alias in seen:
                yield self.problem(manifest, path, f"{key} declares alias {alias} twice")
            seen.add(alias)
            if alias not in used:
                yield self.problem(
                    manifest,
                    path,
                    f"{key} declares alias {alias} but no secretKeyRef or secret volume uses it",
                    hint=f"reference it with secretKeyRef.name: {alias}, or remove the entry",
                )


_VARIABLE_REFERENCE = re.compile(r"\$\([A-Za-z_][A-Za-z0-9_]*\)")


class VariableReference(CloudRunRule):
    """Kubernetes expands ``$(VAR)`` in ``command``, ``args`` and env values; Cloud Run does
    not, so the container receives the text ``$(VAR)`` literally. Read the variable in the
    program, or run through a shell (``sh -c '... $VAR'``).

    Cloud Run accepts it and the program breaks at run time on the literal text, hence a
    warning.

    Bad::

                - image: gcr.io/acme/api:v1
                  args: ["--port", "$(PORT)"]

    Good::

                - image: gcr.io/acme/api:v1
                  command: ["sh", "-c", "exec api --port $PORT"]
    """

    ID = "cloudrun/variable-reference"
    LEVEL = Level.WARNING

    def check_manifest(self, manifest: Manifest, ctx: CheckContext) -> Iterator[Problem]:
        for container in containers(manifest):
            places: list[tuple[KeyPath, object]] = [
                ((*container.path, field, index), item)
                for field in ("command", "args")
                for index, item in enumerate(sequence(container.data.get(field)))
            ]
            places += [
                ((*path, "value"), entry.get("value")) for path, entry in env_entries(container)
            ]
            for path, value in places:
                if isinstance(value, str) and (found := _VARIABLE_REFERENCE.search(value)):
                    yield self.problem(
                        manifest,
                        path,
                        f"{found.group(0)} is not expanded on Cloud Run (container "
                        f"{container.name})",
                        hint="read the variable in the program, or use a shell: sh -c",
                    )
