"""What a Cloud Run call can end in besides an answer: Google's error body read as a value, and
the exceptions a deploy tells apart (transient, conflict, deadline, interrupted)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

JsonObject = dict[str, Any]


class Cancelled(Exception):
    """The deploy was interrupted (Ctrl-C): nothing more is sent."""


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
