"""What a Cloud Run call can end in besides an answer: Google's error body read as a value, the
exceptions a deploy tells apart (transient, conflict, deadline, interrupted), and what an HTTP
error status or a broken connection means for the user."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

JsonObject = dict[str, Any]


RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


class Cancelled(Exception):
    """The deploy was interrupted (Ctrl-C): nothing more is sent."""


class CloudRunError(Exception):
    """A Cloud Run call failed; ``str()`` says what it means for the user."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class TransientError(CloudRunError):
    """A failure worth retrying (429, 5xx, connection trouble); ``exhausted`` once the retries
    allowed for it were spent, so that it is not retried again."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        exhausted: bool = False,
    ) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after
        self.exhausted = exhausted


class ConflictError(CloudRunError):
    """409: the object changed (or was created) concurrently."""


class DeadlineExceeded(CloudRunError):
    """The time allowed for an app (``deploy --timeout``) ran out during a call or before the
    next attempt."""


@dataclass(frozen=True)
class GoogleError:
    """Google's error body: ``{"error": {"code", "message", "status", "details"}}``."""

    code: int
    message: str
    status: str = ""
    details: tuple[JsonObject, ...] = ()

    @classmethod
    def parse(cls, http_status: int, content: bytes) -> GoogleError:
        try:
            data = json.loads(content)
        except ValueError:
            text = content.decode("utf-8", "replace").strip()
            return cls(http_status, " ".join(text.split())[:300])
        error = data.get("error") if isinstance(data, dict) else None
        if not isinstance(error, dict):
            return cls(http_status, "")
        details = error.get("details")
        return cls(
            code=int(error.get("code") or http_status),
            message=str(error.get("message") or "").strip(),
            status=str(error.get("status") or ""),
            details=tuple(d for d in details if isinstance(d, dict))
            if isinstance(details, list)
            else (),
        )

    def _detail(self, kind: str) -> list[JsonObject]:
        return [d for d in self.details if str(d.get("@type", "")).endswith(f"google.rpc.{kind}")]

    @property
    def reason(self) -> str:
        """``ErrorInfo.reason`` (e.g. ``IAM_PERMISSION_DENIED``), if Google sent one."""
        for info in self._detail("ErrorInfo"):
            if info.get("reason"):
                return str(info["reason"])
        return ""

    @property
    def permission(self) -> str:
        """The missing permission an ``ErrorInfo`` names, if any."""
        for info in self._detail("ErrorInfo"):
            metadata = info.get("metadata") or {}
            if isinstance(metadata, dict) and metadata.get("permission"):
                return str(metadata["permission"])
        return ""

    def text(self) -> str:
        """The message, then the field violations and help links Google attached."""
        parts = [self.message] if self.message else []
        for bad in self._detail("BadRequest"):
            for violation in bad.get("fieldViolations") or []:
                if isinstance(violation, dict):
                    where = str(violation.get("field") or "").strip()
                    what = str(violation.get("description") or "").strip()
                    parts.append(f"{where}: {what}" if where else what)
        for help_ in self._detail("Help"):
            for link in help_.get("links") or []:
                if isinstance(link, dict) and link.get("url"):
                    parts.append(f"see {link['url']}")
        return "; ".join(p for p in parts if p)


def classify(
    status: int, error: GoogleError, what: str, endpoint: str, headers: Mapping[str, str]
) -> CloudRunError:
    """The error an answer with HTTP ``status`` and Google's ``error`` body means for ``what``
    (the call, e.g. ``get service api (project p)``) sent to ``endpoint``."""
    code = f"HTTP {status}{f' {error.status}' if error.status else ''}"
    detail = error.text()
    said = f": {detail}" if detail else ""
    if status in RETRYABLE_STATUSES:
        return TransientError(
            f"{what}: {code}{said}", status=status, retry_after=_retry_after(headers)
        )
    if status == 409:
        return ConflictError(f"{what}: {code} conflict{said}", status=status)
    if status == 400:
        return CloudRunError(
            f"{what}: Cloud Run rejected the manifest ({code}){said}", status=status
        )
    if status == 401:
        return CloudRunError(
            f"{what}: not authenticated ({code}){said}. Refresh your credentials with "
            "`gcloud auth application-default login`",
            status=status,
        )
    if status == 403:
        missing = error.permission
        needs = (
            f"`{missing}`"
            if missing
            else "`run.services.update`/`run.jobs.update` (e.g. roles/run.developer)"
        )
        return CloudRunError(
            f"{what}: permission denied ({code}){said}. The deploying identity needs "
            f"{needs} on the project and `iam.serviceAccounts.actAs` "
            "(roles/iam.serviceAccountUser) on the app's runtime service account",
            status=status,
        )
    if status == 404:
        return CloudRunError(
            f"{what}: deployment endpoint not found ({code}){said}. Check the region "
            f"({endpoint}) and "
            "that the project in metadata.namespace exists and has the Cloud Run API "
            "enabled",
            status=status,
        )
    return CloudRunError(f"{what}: {code}{said}", status=status)


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300]


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and the errors inside it, outermost first (urllib3 keeps them in ``reason``)."""
    inner: BaseException | None = exc
    seen: set[int] = set()
    while inner is not None and id(inner) not in seen:
        seen.add(id(inner))
        yield inner
        reason = getattr(inner, "reason", None)
        if isinstance(reason, BaseException):
            inner = reason
        elif inner.args and isinstance(inner.args[0], BaseException):
            inner = inner.args[0]
        else:
            inner = inner.__cause__ or inner.__context__


def connection_cause(exc: BaseException) -> str:
    """The innermost reason of a requests/urllib3 connection error, in a few words."""
    inner = list(_chain(exc))[-1]
    return f"{type(inner).__name__}: {one_line(inner)}" if str(inner) else type(inner).__name__


def never_connected(exc: BaseException) -> bool:
    """Whether a connection error happened before anything was sent (refused, unreachable)."""
    from urllib3.exceptions import NewConnectionError

    return any(isinstance(e, NewConnectionError | ConnectionRefusedError) for e in _chain(exc))


def name_resolution_failed(exc: BaseException) -> bool:
    import socket

    from urllib3.exceptions import NameResolutionError

    return any(isinstance(e, NameResolutionError | socket.gaierror) for e in _chain(exc))
