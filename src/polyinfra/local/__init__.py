"""A function app run on this machine under the Cloud Run container contract, before it is
deployed: ``polyinfra run``.

Public API::

    prepare(ws, app, env, *, port=None, env_file=None, python=None) -> LocalFunction
        # rendered as `render` renders it; its function, secrets, interpreter and environment
    stop_requests() -> ContextManager[threading.Event]     # set by SIGINT / SIGTERM
    started(local, stop, show) -> ContextManager[Background]  # started, probed, then stopped
    serve(local, process, stop)                            # until stop is set
    load_event(path) -> CloudEvent; send(local, event, stop) -> Response
"""

from polyinfra.local.event import CloudEvent, Response, load_event
from polyinfra.local.function import HOST, LOCAL_VERSION, LocalFunction, prepare
from polyinfra.local.server import send, serve, started, stop_requests

__all__ = [
    "HOST",
    "LOCAL_VERSION",
    "CloudEvent",
    "LocalFunction",
    "Response",
    "load_event",
    "prepare",
    "send",
    "serve",
    "started",
    "stop_requests",
]
