"""Where Cloud Run calls go and how they are made: the regional endpoint or an emulator, the
per-call timeout, the user agent, and call logging with credentials redacted."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from urllib.parse import urlsplit

EMULATOR_ENV = "CLOUD_RUN_EMULATOR_HOST"


HTTP_TIMEOUT_ENV = "POLYINFRA_HTTP_TIMEOUT"


# Seconds to wait for an answer to one call (and at most CONNECT_TIMEOUT for the connection):
# the Admin API answers in a second or two, a rollout is waited for by polling.
DEFAULT_HTTP_TIMEOUT = 30.0


CONNECT_TIMEOUT = 5.0


log = logging.getLogger("polyinfra.deploy.http")


_REDACTED_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "x-goog-iam-authorization-token", "cookie"}
)


def emulator_endpoint(endpoint: str | None, environ: Mapping[str, str] | None = None) -> str | None:
    """The plain-HTTP endpoint from ``--endpoint`` or ``CLOUD_RUN_EMULATOR_HOST``, if any.

    A value that is no HTTP endpoint (``ftp://…``, ``host:notaport``) is bad input: a
    UserError naming where it came from, never a connection error retried.
    """
    if endpoint:
        return _checked_endpoint(endpoint.strip(), "--endpoint")
    host = (environ if environ is not None else os.environ).get(EMULATOR_ENV, "").strip()
    if not host:
        return None
    return _checked_endpoint(host if "://" in host else f"http://{host}", EMULATOR_ENV, host)


def _checked_endpoint(url: str, source: str, given: str | None = None) -> str:
    from polyinfra.errors import UserError

    def bad(what: str) -> UserError:
        return UserError(
            f"{source}: {given or url!r} is not an HTTP endpoint: {what}",
            hint="pass http://HOST:PORT to --endpoint, or set "
            f"{EMULATOR_ENV}=HOST:PORT (for example 127.0.0.1:8123)",
        )

    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise bad(f"the port is not a number from 0 to 65535 ({exc})") from None
    if parts.scheme not in ("http", "https"):
        raise bad(f"the scheme is {parts.scheme or 'missing'!r}, not http or https")
    if not parts.hostname:
        raise bad("there is no host")
    if port == 0:
        raise bad("port 0 cannot be connected to")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise bad("it has a query, a fragment or credentials, which an endpoint cannot have")
    return url.rstrip("/")


def http_timeout(value: float | None = None, environ: Mapping[str, str] | None = None) -> float:
    """Seconds to wait for one answer: ``value`` (``--http-timeout``), else
    ``POLYINFRA_HTTP_TIMEOUT``, else :data:`DEFAULT_HTTP_TIMEOUT`; UserError when not a
    positive number."""
    from polyinfra.errors import UserError

    if value is None:
        text = (environ if environ is not None else os.environ).get(HTTP_TIMEOUT_ENV, "").strip()
        if not text:
            return DEFAULT_HTTP_TIMEOUT
        try:
            value = float(text)
        except ValueError:
            raise UserError(
                f"{HTTP_TIMEOUT_ENV}={text!r} is not a number of seconds",
                hint=f"set {HTTP_TIMEOUT_ENV} to a positive number, e.g. 30, or unset it",
            ) from None
        source = HTTP_TIMEOUT_ENV
    else:
        source = "--http-timeout"
    if not value > 0 or value != value or value == float("inf"):
        raise UserError(
            f"{source}: {value:g} is not a positive number of seconds",
            hint="give the seconds to wait for one answer, e.g. 30",
        )
    return value


def regional_endpoint(region: str) -> str:
    """Google's regional endpoint: ``namespaces/…`` paths only work there."""
    return f"https://{region}-run.googleapis.com"


def log_http_calls() -> None:
    """``--debug``: log every Cloud Run call on stderr, credentials redacted."""
    log.setLevel(logging.DEBUG)
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("debug: %(message)s"))
        log.addHandler(handler)


def redact_headers(headers: Mapping[str, str | bytes]) -> dict[str, str]:
    """Headers safe to log: credentials replaced by ``<redacted>``."""
    return {
        k: ("<redacted>" if k.lower() in _REDACTED_HEADERS else str(v)) for k, v in headers.items()
    }


def user_agent() -> str:
    """``polyinfra/<version>`` followed by the HTTP library, as Google's own clients do."""
    from importlib.metadata import version

    from polyinfra import __version__

    return f"polyinfra/{__version__} python-requests/{version('requests')}"
