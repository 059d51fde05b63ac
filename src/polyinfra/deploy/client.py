"""Cloud Run Admin API v1 client: the REST paths through google-auth's ``AuthorizedSession``,
regional endpoints, reads retried by our own policy (``deploy.retry``), and failures turned into
what they mean (``deploy.errors``)."""

from __future__ import annotations

import copy
import json
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal
from urllib.parse import quote

from polyinfra.cloudrun.vocabulary import (
    JOB_API,
    JOB_LABEL,
    REVISION_SERVICE_LABEL,
    SERVICE_API,
    SERVICE_KIND,
)
from polyinfra.deploy.endpoint import (
    CONNECT_TIMEOUT,
    DEFAULT_HTTP_TIMEOUT,
    EMULATOR_ENV,
    emulator_endpoint,
    log,
    redact_headers,
    regional_endpoint,
    user_agent,
)
from polyinfra.deploy.errors import (
    Cancelled,
    CloudRunError,
    DeadlineExceeded,
    GoogleError,
    JsonObject,
    TransientError,
    classify,
    connection_cause,
    name_resolution_failed,
    never_connected,
    one_line,
)
from polyinfra.deploy.retry import Pacer, RetryPolicy

if TYPE_CHECKING:
    import requests
    from google.auth.credentials import Credentials


Kind = Literal["Service", "Job"]


# A Cloud Run object is a few KiB; an answer larger than this is not one (and one that never
# ends must not be read until memory runs out).
MAX_ANSWER_BYTES = 4 * 1024 * 1024


# A list call is followed across at most this many pages (each holds what the server chose).
MAX_PAGES = 1000


_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)


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
    def api(self) -> str:
        return SERVICE_API if self.kind == SERVICE_KIND else JOB_API

    @property
    def path(self) -> str:
        """The REST path of the object below the endpoint."""
        return f"{collection_path(self.api, self.namespace, self.collection)}/{_segment(self.name)}"

    def __str__(self) -> str:
        return f"{self.kind.lower()} {self.name} (project {self.namespace})"


def _segment(value: str) -> str:
    return quote(value, safe="")


def collection_path(api: str, namespace: str, collection: str) -> str:
    """``/apis/<group>/v1/namespaces/<project>/<collection>``."""
    return f"/apis/{api}/namespaces/{_segment(namespace)}/{collection}"


class CloudRunClient:
    """The Cloud Run Admin API v1 over HTTPS with google-auth credentials.

    The same code talks to Google (``https://<region>-run.googleapis.com``, application default
    credentials) and to an emulator (plain HTTP; anonymous unless credentials are given).
    Each request is sent at most once by the HTTP layer: urllib3 retries nothing and follows no
    redirect, so a write whose answer was lost is re-read by the caller, never re-sent blindly.
    The only automatic repeat is google-auth's: one retry with a refreshed token after a 401,
    which Google answers before acting on the request.

    Every call is bounded: ``timeout`` seconds for its answer (``CONNECT_TIMEOUT`` at most to
    connect), an answer of at most ``MAX_ANSWER_BYTES``, and, in a view made by
    :meth:`bounded`, the deadline of the app it deploys, which retries respect too. Once the
    pacer is cancelled (Ctrl-C) no request is sent and none is retried.
    """

    def __init__(
        self,
        *,
        endpoint: str,
        credentials: Credentials | None,
        retry: RetryPolicy | None = None,
        pacer: Pacer | None = None,
        timeout: float = DEFAULT_HTTP_TIMEOUT,
        pool_size: int = 10,
        max_answer_bytes: int = MAX_ANSWER_BYTES,
    ) -> None:
        from google.auth.credentials import AnonymousCredentials

        self.endpoint = endpoint.rstrip("/")
        self.authenticated = credentials is not None
        self.retry = retry or RetryPolicy()
        self.pacer = pacer or Pacer()
        self.timeout = timeout
        self.max_answer_bytes = max_answer_bytes
        #: when the app this view deploys must be done (``pacer.clock()`` time), if bounded
        self.deadline: float | None = None
        self.budget = 0.0
        #: what a write whose outcome is not known yet was (sent, no answer so far)
        self.unconfirmed_write = ""
        self._credentials: Credentials = credentials or AnonymousCredentials()  # type: ignore[no-untyped-call]
        self._pool_size = pool_size
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._sessions_lock = threading.Lock()
        self._user_agent = user_agent()

    @classmethod
    def connect(
        cls,
        region: str,
        *,
        endpoint: str | None = None,
        retry: RetryPolicy | None = None,
        pacer: Pacer | None = None,
        credentials: Credentials | None = None,
        timeout: float = DEFAULT_HTTP_TIMEOUT,
    ) -> CloudRunClient:
        """Client for ``region``, or for the emulator named by ``endpoint``/the environment.

        ``credentials`` default to application default credentials for Google and to none for
        an emulator.
        """
        emulator = emulator_endpoint(endpoint)
        if emulator is not None:
            return cls(
                endpoint=emulator,
                credentials=credentials,
                retry=retry,
                pacer=pacer,
                timeout=timeout,
            )
        if credentials is None:
            credentials = default_credentials()
        return cls(
            endpoint=regional_endpoint(region),
            credentials=credentials,
            retry=retry,
            pacer=pacer,
            timeout=timeout,
        )

    def bounded(self, deadline: float, budget: float) -> CloudRunClient:
        """A view of this client (same connections) for one app that must be done by
        ``deadline`` (``pacer.clock()`` time; ``budget`` is the seconds it was given, for
        messages). Its calls and retries end with :class:`DeadlineExceeded` when time runs
        out; :attr:`unconfirmed_write` is its own."""
        view = copy.copy(self)
        view.deadline = deadline
        view.budget = budget
        view.unconfirmed_write = ""
        return view

    def remaining(self) -> float | None:
        """Seconds left before the deadline (None when unbounded)."""
        return None if self.deadline is None else self.deadline - self.pacer.clock()

    def _out_of_time(self, what: str) -> DeadlineExceeded:
        return DeadlineExceeded(
            f"{what}: no answer from {self.endpoint} within the {self.budget:g}s allowed"
        )

    def pause(self, seconds: float, after: BaseException) -> None:
        """Wait ``seconds`` before another attempt after ``after``; DeadlineExceeded instead
        when the deadline would pass first, Cancelled on Ctrl-C."""
        remaining = self.remaining()
        if remaining is not None and seconds >= remaining:
            raise DeadlineExceeded(
                f"{after} (the {self.budget:g}s allowed would run out before another attempt)"
            )
        self.pacer.sleep(seconds)

    # ---- HTTP ------------------------------------------------------------------------------

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            import requests.adapters
            from google.auth.transport.requests import AuthorizedSession
            from urllib3.util.retry import Retry

            session = AuthorizedSession(  # type: ignore[no-untyped-call]
                self._credentials, max_refresh_attempts=1 if self.authenticated else 0
            )
            adapter = requests.adapters.HTTPAdapter(
                max_retries=Retry(total=0, read=False, redirect=False, raise_on_status=False),
                pool_maxsize=self._pool_size,
            )
            session.mount("https://", adapter)
            session.mount("http://", adapter)
            session.headers["User-Agent"] = self._user_agent
            session.headers["Accept"] = "application/json"
            self._local.session = session
            with self._sessions_lock:
                self._sessions.append(session)
        return session

    def request(
        self,
        method: str,
        path: str,
        what: str,
        *,
        body: JsonObject | None = None,
        params: Mapping[str, str] | None = None,
    ) -> JsonObject:
        """Send one request; map every failure to a :class:`CloudRunError` with its meaning.

        Nothing is sent once the pacer is cancelled (Cancelled) or the deadline has passed
        (DeadlineExceeded). A write stays in :attr:`unconfirmed_write` until an answer says
        what became of it.
        """
        import google.auth.exceptions
        import requests

        if self.pacer.cancel.is_set():
            raise Cancelled
        self._take_turn(method, what)
        read_timeout = self.timeout
        remaining = self.remaining()
        if remaining is not None:
            if remaining <= 0:
                raise DeadlineExceeded(f"{what}: not sent, the {self.budget:g}s allowed ran out")
            read_timeout = min(read_timeout, remaining)
        url = f"{self.endpoint}{path}"
        headers = {"Content-Type": "application/json"} if body is not None else {}
        writing = method in _WRITES and not (params or {}).get("dryRun")
        if writing:
            self.unconfirmed_write = what
        try:
            response = self._session().request(
                method,
                url,
                data=json.dumps(body).encode() if body is not None else None,
                headers=headers,
                params=dict(params or {}),
                timeout=(min(CONNECT_TIMEOUT, read_timeout), read_timeout),
                allow_redirects=False,
                stream=True,
            )
        except google.auth.exceptions.GoogleAuthError as exc:
            self._not_sent(writing)
            raise CloudRunError(
                f"{what}: cannot get an access token ({one_line(exc)}); run `gcloud auth "
                "application-default login` or check GOOGLE_APPLICATION_CREDENTIALS"
            ) from exc
        except requests.exceptions.ConnectTimeout as exc:
            self._not_sent(writing)
            if self._past_deadline():
                raise self._out_of_time(what) from exc
            raise TransientError(
                f"{what}: could not connect to {self.endpoint} within "
                f"{min(CONNECT_TIMEOUT, read_timeout):g}s"
            ) from exc
        except requests.exceptions.ConnectionError as exc:
            if never_connected(exc):
                self._not_sent(writing)
            if name_resolution_failed(exc):
                raise CloudRunError(
                    f"{what}: cannot resolve the host of {self.endpoint}; check the region "
                    "and your network"
                ) from exc
            log.debug("✗ %s %s: %s", method, url, type(exc).__name__)
            raise TransientError(
                f"{what}: connection to {self.endpoint} failed ({connection_cause(exc)})"
            ) from exc
        except requests.exceptions.Timeout as exc:
            if self._past_deadline():
                raise self._out_of_time(what) from exc
            raise TransientError(
                f"{what}: no answer from {self.endpoint} within {read_timeout:g}s"
            ) from exc
        except requests.exceptions.RequestException as exc:
            raise TransientError(f"{what}: {type(exc).__name__}: {one_line(exc)}") from exc
        try:
            content = self._read_answer(response, what)
        finally:
            response.close()
        if writing:
            # Google answered: a success was applied, an error was not.
            self.unconfirmed_write = ""
        if log.isEnabledFor(logging.DEBUG):
            sent = response.request
            log.debug("→ %s %s headers=%s", method, sent.url, redact_headers(sent.headers))
            log.debug(
                "← %s %s %s (%s)",
                response.status_code,
                method,
                sent.url,
                response.headers.get("content-encoding", "identity"),
            )
        if response.status_code >= 300:
            error = GoogleError.parse(response.status_code, content)
            raise classify(response.status_code, error, what, self.endpoint, response.headers)
        try:
            result = json.loads(content)
        except ValueError as exc:
            raise CloudRunError(
                f"{what}: {self.endpoint} answered HTTP {response.status_code} with a body that "
                "is not JSON"
            ) from exc
        if not isinstance(result, dict):
            raise CloudRunError(f"{what}: unexpected answer from {self.endpoint}")
        return result

    def _take_turn(self, method: str, what: str) -> None:
        """Wait for this region's request pace (the pacer's quota) to let the request go; a
        dry-run write counts as a write, as it does at Google. DeadlineExceeded when the wait
        would outlast the deadline."""
        write = method in _WRITES
        remaining = self.remaining()
        if not self.pacer.take(
            self.endpoint, write=write, limit=None if remaining is None else max(0.0, remaining)
        ):
            kind = "writes" if write else "reads"
            raise DeadlineExceeded(
                f"{what}: not sent, the {self.budget:g}s allowed would run out before the "
                f"pace of {kind} per minute in this region let it go"
            )

    def _read_answer(self, response: requests.Response, what: str) -> bytes:
        """The whole (decoded) body, at most ``max_answer_bytes`` of it, read within the
        deadline; an interrupted deploy stops reading."""
        import requests

        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_content(chunk_size=64 * 1024):
                size += len(chunk)
                if size > self.max_answer_bytes:
                    raise CloudRunError(
                        f"{what}: the answer from {self.endpoint} is larger than "
                        f"{self.max_answer_bytes // (1024 * 1024)} MiB and was not read further; "
                        "a Cloud Run object is a few KiB. Check that the endpoint is the Cloud Run "
                        "Admin API",
                        status=response.status_code,
                    )
                if self.pacer.cancel.is_set():
                    raise Cancelled
                if self._past_deadline():
                    raise self._out_of_time(what)
                chunks.append(chunk)
        except requests.exceptions.RequestException as exc:
            if self._past_deadline():
                raise self._out_of_time(what) from exc
            raise TransientError(
                f"{what}: the answer from {self.endpoint} broke off ({type(exc).__name__})"
            ) from exc
        return b"".join(chunks)

    def _past_deadline(self) -> bool:
        remaining = self.remaining()
        return remaining is not None and remaining <= 0

    def _not_sent(self, writing: bool) -> None:
        if writing:
            self.unconfirmed_write = ""

    def _read(self, path: str, what: str, params: Mapping[str, str] | None = None) -> JsonObject:
        return self.retry.run(lambda: self.request("GET", path, what, params=params), self.pause)

    # ---- services and jobs -----------------------------------------------------------------

    def get(self, ref: ObjectRef) -> JsonObject | None:
        """The live object, or None when it does not exist. Retried on transient errors."""

        def call() -> JsonObject | None:
            try:
                return self.request("GET", ref.path, f"get {ref}")
            except CloudRunError as exc:
                if exc.status == 404 and not isinstance(exc, TransientError):
                    return None
                raise

        return self.retry.run(call, self.pause)

    def create(self, ref: ObjectRef, body: JsonObject, *, dry_run: bool = False) -> JsonObject:
        """POST once; the caller decides what to do when the outcome is unknown."""
        return self.request(
            "POST",
            collection_path(ref.api, ref.namespace, ref.collection),
            f"create {ref}",
            body=body,
            params=_dry_run(dry_run),
        )

    def replace(self, ref: ObjectRef, body: JsonObject, *, dry_run: bool = False) -> JsonObject:
        """PUT once (carrying ``metadata.resourceVersion`` when the body has it)."""
        return self.request("PUT", ref.path, f"replace {ref}", body=body, params=_dry_run(dry_run))

    def delete(self, ref: ObjectRef, *, dry_run: bool = False) -> JsonObject:
        """DELETE once."""
        return self.request("DELETE", ref.path, f"delete {ref}", params=_dry_run(dry_run))

    # ---- executions and revisions ----------------------------------------------------------

    def run_job(self, ref: ObjectRef, overrides: JsonObject | None = None) -> JsonObject:
        """POST ``:run`` once, with the run's ``overrides`` (the API's ``Overrides``: container
        args and env, task count, timeout) when given; see ``apply.start_execution`` for what
        follows a lost answer."""
        body: JsonObject = {"overrides": overrides} if overrides else {}
        return self.request("POST", f"{ref.path}:run", f"execute {ref}", body=body)

    def get_execution(self, namespace: str, name: str) -> JsonObject:
        path = f"{collection_path(JOB_API, namespace, 'executions')}/{_segment(name)}"
        return self._read(path, f"get execution {name}")

    def list_executions(self, ref: ObjectRef) -> list[JsonObject]:
        """The job's executions, every page."""
        return self._list(
            collection_path(JOB_API, ref.namespace, "executions"),
            f"list executions of {ref}",
            f"{JOB_LABEL}={ref.name}",
        )

    def list_revisions(self, ref: ObjectRef) -> list[JsonObject]:
        """The service's revisions, every page."""
        return self._list(
            collection_path(SERVICE_API, ref.namespace, "revisions"),
            f"list revisions of {ref}",
            f"{REVISION_SERVICE_LABEL}={ref.name}",
        )

    def get_revision(self, namespace: str, name: str) -> JsonObject | None:
        """One revision, or None when it does not exist."""
        path = f"{collection_path(SERVICE_API, namespace, 'revisions')}/{_segment(name)}"

        def call() -> JsonObject | None:
            try:
                return self.request("GET", path, f"get revision {name}")
            except CloudRunError as exc:
                if exc.status == 404 and not isinstance(exc, TransientError):
                    return None
                raise

        return self.retry.run(call, self.pause)

    def list_objects(self, kind: Kind, namespace: str, selector: str = "") -> list[JsonObject]:
        """The project's services or jobs (in this client's region) whose labels match
        ``selector`` (``key=value,...``), every page."""
        api = SERVICE_API if kind == SERVICE_KIND else JOB_API
        collection = "services" if kind == SERVICE_KIND else "jobs"
        return self._list(
            collection_path(api, namespace, collection),
            f"list {collection} of project {namespace}",
            selector,
        )

    def _list(self, path: str, what: str, selector: str) -> list[JsonObject]:
        """Every item of a list call, following ``metadata.continue`` from page to page."""
        items: list[JsonObject] = []
        token = ""
        for _ in range(MAX_PAGES):
            params = {"labelSelector": selector} if selector else {}
            if token:
                params["continue"] = token
            answer = self._read(path, what, params)
            items.extend(item for item in answer.get("items") or [] if isinstance(item, dict))
            metadata = answer.get("metadata")
            token = str(metadata.get("continue") or "") if isinstance(metadata, dict) else ""
            if not token:
                return items
        raise CloudRunError(f"{what}: more than {MAX_PAGES} pages; narrow the selector")

    def close(self) -> None:
        """Close every session this client opened, in any thread."""
        with self._sessions_lock:
            for session in self._sessions:
                session.close()
            self._sessions.clear()


def default_credentials() -> Credentials:
    """Application default credentials for the cloud-platform scope, or a clear error."""
    import google.auth
    import google.auth.exceptions

    from polyinfra.errors import UserError

    try:
        credentials, _ = google.auth.default(scopes=list(SCOPES))
    except google.auth.exceptions.DefaultCredentialsError as exc:
        raise UserError(
            "no Google Cloud credentials found",
            hint="run `gcloud auth application-default login`, set "
            "GOOGLE_APPLICATION_CREDENTIALS, or use an emulator with "
            f"{EMULATOR_ENV}=host:port / --endpoint",
        ) from exc
    return credentials


def _dry_run(dry_run: bool) -> dict[str, str]:
    return {"dryRun": "all"} if dry_run else {}
