"""Bearer-token auth as Google's front end checks it: where a request's token is found (the
``Authorization`` header, else the ``access_token`` or ``oauth_token`` query parameter), the
tokens rejected as expired or revoked, and the 401 answers with their ``ErrorInfo`` and
``WWW-Authenticate`` header."""

from __future__ import annotations

import threading
from collections.abc import Mapping

from polyinfra.emulator.wire import (
    _REALM,
    CREDENTIALS_MISSING_MESSAGE,
    INVALID_CREDENTIALS_MESSAGE,
    _ApiError,
    _error_info,
    _Route,
)


class TokenCheck:
    """The tokens answered 401 whether or not a token is required, and the check itself."""

    def __init__(self, lock: threading.RLock) -> None:
        self._lock = lock
        self._rejected: set[str] = set()

    def reject(self, token: str) -> None:
        """Answer 401 (``ACCESS_TOKEN_EXPIRED``) to every request bearing ``token``."""
        with self._lock:
            self._rejected.add(token)

    def check(
        self,
        headers: Mapping[str, str],
        query: Mapping[str, str],
        route: _Route | None,
        *,
        required: bool,
    ) -> None:
        """Raise the 401 for a request bearing a rejected token, or bearing none when a token
        is ``required``."""
        scheme, _, value = headers.get("authorization", "").strip().partition(" ")
        token = value.strip() if scheme.lower() == "bearer" and value.strip() else None
        if token is None:
            # The discovery document's global parameters carry a token in the query too.
            token = query.get("access_token") or query.get("oauth_token") or None
        metadata = {"service": "run.googleapis.com"}
        if route is not None:
            metadata["method"] = route.method_id
        with self._lock:
            rejected = token is not None and token in self._rejected
        if rejected:
            raise _ApiError(
                401,
                INVALID_CREDENTIALS_MESSAGE,
                details=[_error_info("ACCESS_TOKEN_EXPIRED", metadata)],
                # RFC 6750 section 3.1: an expired or revoked token is "invalid_token".
                headers={"WWW-Authenticate": f'{_REALM}, error="invalid_token"'},
            )
        if token is None and required:
            raise _ApiError(
                401,
                CREDENTIALS_MISSING_MESSAGE,
                details=[_error_info("CREDENTIALS_MISSING", metadata)],
                headers={"WWW-Authenticate": _REALM},
            )
