"""Cloud Run Admin API v1 client: discovery client, endpoint selection, retries, error meanings."""

from __future__ import annotations

import http.client
import json
import os
import random
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from polyinfra.deploy.transport import Credentials, Transport

JsonObject = dict[str, Any]
Kind = Literal["Service", "Job"]
T = TypeVar("T")

EMULATOR_ENV = "CLOUD_RUN_EMULATOR_HOST"
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


class Cancelled(Exception):
    """The deploy was interrupted (Ctrl-C) while waiting."""


class CloudRunError(Exception):
    """A Cloud Run call failed; ``str()`` says what it means for the user."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class TransientError(CloudRunError):
    """A failure worth retrying (429, 5xx, connection trouble)."""

    def __init__(
        self, message: str, *, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


class ConflictError(CloudRunError):
    """409: the object changed (or was created) concurrently."""


@dataclass(frozen=True)
class ObjectRef:
    """One Cloud Run object: a service or a job in a project (the v1 namespace)."""

    kind: Kind
    namespace: str
    name: str

    @property
    def collection(self) -> str:
        return "services" if self.kind == "Service" else "jobs"

    @property
    def path(self) -> str:
        return f"namespaces/{self.namespace}/{self.collection}/{self.name}"

    def __str__(self) -> str:
        return f"{self.kind.lower()} {self.name} (project {self.namespace})"


@dataclass
class Pacer:
    """Time for retries and polling; ``sleep`` raises :class:`Cancelled` once ``cancel`` is set."""

    cancel: threading.Event = field(default_factory=threading.Event)
    clock: Callable[[], float] = time.monotonic
    wait: Callable[[float], None] | None = None

    def sleep(self, seconds: float) -> None:
        if self.cancel.is_set():
            raise Cancelled
        if self.wait is not None:
            self.wait(seconds)
        elif self.cancel.wait(max(0.0, seconds)):
            raise Cancelled
        if self.cancel.is_set():
            raise Cancelled


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter, bounded in attempts and per-wait delay."""

    attempts: int = 6
    base: float = 0.5
    cap: float = 16.0
    rand: Callable[[], float] = random.random

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number ``attempt`` (1-based)."""
        ceiling = min(self.cap, self.base * 2.0 ** (attempt - 1))
        chosen = ceiling * (0.5 + self.rand() / 2)
        if retry_after is not None:
            chosen = max(chosen, min(retry_after, self.cap))
        return chosen


def emulator_endpoint(endpoint: str | None, environ: dict[str, str] | None = None) -> str | None:
    """The plain-HTTP endpoint from ``--endpoint`` or ``CLOUD_RUN_EMULATOR_HOST``, if any."""
    if endpoint:
        return endpoint.rstrip("/")
    host = (environ if environ is not None else dict(os.environ)).get(EMULATOR_ENV, "").strip()
    if not host:
        return None
    if "://" in host:
        return host.rstrip("/")
    return f"http://{host}"


def regional_endpoint(region: str) -> str:
    return f"https://{region}-run.googleapis.com"


def _error_message(content: bytes) -> str:
    try:
        data = json.loads(content)
    except ValueError:
        text = content.decode("utf-8", "replace").strip()
        return text[:300]
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        return str(data["error"].get("message", "")).strip()
    return ""


def _retry_after(resp: Any) -> float | None:
    value = resp.get("retry-after") if hasattr(resp, "get") else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


class CloudRunClient:
    """Thin, typed layer over ``googleapiclient``'s ``run`` v1 client (bundled discovery).

    The same code talks to Google (``https://<region>-run.googleapis.com`` with application
    default credentials) and to an emulator (plain HTTP, no credentials).
    """

    def __init__(
        self,
        *,
        endpoint: str,
        credentials: Credentials | None,
        retry: RetryPolicy | None = None,
        pacer: Pacer | None = None,
        timeout: float = 60.0,
    ) -> None:
        from googleapiclient.discovery import build

        self.endpoint = endpoint
        self.authenticated = credentials is not None
        self.retry = retry or RetryPolicy()
        self.pacer = pacer or Pacer()
        self._transport = Transport(credentials, timeout=timeout)
        self._api = build(
            "run",
            "v1",
            http=self._transport,
            static_discovery=True,
            cache_discovery=False,
            client_options={"api_endpoint": endpoint},
        )

    @classmethod
    def connect(
        cls,
        region: str,
        *,
        endpoint: str | None = None,
        retry: RetryPolicy | None = None,
        pacer: Pacer | None = None,
    ) -> CloudRunClient:
        """Client for ``region``, or for the emulator named by ``endpoint``/the environment."""
        emulator = emulator_endpoint(endpoint)
        if emulator is not None:
            return cls(endpoint=emulator, credentials=None, retry=retry, pacer=pacer)
        import google.auth
        import google.auth.exceptions

        from polyinfra.errors import UserError

        try:
            credentials, _ = google.auth.default(
                scopes=["https://www.googleapis.com/auth/cloud-platform"]
            )
        except google.auth.exceptions.DefaultCredentialsError as exc:
            raise UserError(
                "no Google Cloud credentials found",
                hint="run `gcloud auth application-default login`, set "
                "GOOGLE_APPLICATION_CREDENTIALS, or use an emulator with "
                f"{EMULATOR_ENV}=host:port / --endpoint",
            ) from exc
        return cls(
            endpoint=regional_endpoint(region), credentials=credentials, retry=retry, pacer=pacer
        )

    # ---- calls -----------------------------------------------------------------------------

    def _collection(self, kind: Kind) -> Any:
        namespaces = self._api.namespaces()
        return namespaces.services() if kind == "Service" else namespaces.jobs()

    def _execute(self, request: Any, what: str) -> JsonObject:
        """Send once; map failures to :class:`CloudRunError` subclasses with their meaning."""
        from googleapiclient.errors import HttpError

        try:
            result = request.execute(num_retries=0)
        except HttpError as exc:
            status = int(exc.resp.status)
            message = _error_message(exc.content)
            raise self._classify(status, message, what, _retry_after(exc.resp)) from exc
        except socket.gaierror as exc:
            raise CloudRunError(
                f"{what}: cannot resolve the host of {self.endpoint} ({exc}); check the region "
                "and your network"
            ) from exc
        except (OSError, http.client.HTTPException) as exc:
            raise TransientError(
                f"{what}: connection to {self.endpoint} failed ({type(exc).__name__}: {exc})"
            ) from exc
        if not isinstance(result, dict):
            raise CloudRunError(f"{what}: unexpected answer from {self.endpoint}")
        return result

    def _classify(
        self, status: int, message: str, what: str, retry_after: float | None
    ) -> CloudRunError:
        detail = f": {message}" if message else ""
        if status in RETRYABLE_STATUSES:
            return TransientError(
                f"{what}: HTTP {status}{detail}", status=status, retry_after=retry_after
            )
        if status == 409:
            return ConflictError(f"{what}: HTTP 409 conflict{detail}", status=status)
        if status == 400:
            return CloudRunError(
                f"{what}: Cloud Run rejected the manifest (HTTP 400){detail}", status=status
            )
        if status == 401:
            return CloudRunError(
                f"{what}: not authenticated (HTTP 401); refresh your credentials with "
                "`gcloud auth application-default login`",
                status=status,
            )
        if status == 403:
            return CloudRunError(
                f"{what}: permission denied (HTTP 403){detail}. The deploying identity needs "
                "`run.services.update`/`run.jobs.update` (e.g. roles/run.developer) on the "
                "project and `iam.serviceAccounts.actAs` (roles/iam.serviceAccountUser) on "
                "the app's runtime service account",
                status=status,
            )
        if status == 404:
            return CloudRunError(
                f"{what}: deployment endpoint not found (HTTP 404){detail}. Check the region "
                f"({self.endpoint}) and that the project in metadata.namespace exists and has "
                "the Cloud Run API enabled",
                status=status,
            )
        return CloudRunError(f"{what}: HTTP {status}{detail}", status=status)

    def _with_retries(self, call: Callable[[], T]) -> T:
        attempt = 0
        while True:
            try:
                return call()
            except TransientError as exc:
                attempt += 1
                if attempt >= self.retry.attempts:
                    raise TransientError(
                        f"{exc} (gave up after {attempt} attempts)", status=exc.status
                    ) from exc
                self.pacer.sleep(self.retry.delay(attempt, exc.retry_after))

    def get(self, ref: ObjectRef) -> JsonObject | None:
        """The live object, or None when it does not exist. Retried on transient errors."""
        request = self._collection(ref.kind).get(name=ref.path)

        def call() -> JsonObject | None:
            try:
                return self._execute(request, f"get {ref}")
            except CloudRunError as exc:
                if exc.status == 404 and not isinstance(exc, TransientError):
                    return None
                raise

        return self._with_retries(call)

    def create(self, ref: ObjectRef, body: JsonObject, *, dry_run: bool = False) -> JsonObject:
        """POST once; the caller decides what to do when the outcome is unknown."""
        extra = {"dryRun": "all"} if dry_run else {}
        request = self._collection(ref.kind).create(
            parent=f"namespaces/{ref.namespace}", body=body, **extra
        )
        return self._execute(request, f"create {ref}")

    def replace(self, ref: ObjectRef, body: JsonObject, *, dry_run: bool = False) -> JsonObject:
        """PUT once (carrying ``metadata.resourceVersion`` when the body has it)."""
        extra = {"dryRun": "all"} if dry_run else {}
        collection = self._collection(ref.kind)
        method = collection.replaceService if ref.kind == "Service" else collection.replaceJob
        request = method(name=ref.path, body=body, **extra)
        return self._execute(request, f"replace {ref}")

    def run_job(self, ref: ObjectRef) -> JsonObject:
        """POST ``:run`` once; see ``apply.start_execution`` for what follows a lost answer."""
        request = self._api.namespaces().jobs().run(name=ref.path, body={})
        return self._execute(request, f"execute {ref}")

    def get_execution(self, namespace: str, name: str) -> JsonObject:
        request = (
            self._api.namespaces()
            .executions()
            .get(name=f"namespaces/{namespace}/executions/{name}")
        )
        return self._with_retries(lambda: self._execute(request, f"get execution {name}"))

    def close(self) -> None:
        self._transport.close()
