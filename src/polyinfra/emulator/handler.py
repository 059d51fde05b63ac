"""The HTTP side of the emulator: the request handler that reads a request off the connection,
hands it to the front end and writes the answer, or, when a fault says so, hangs up, stays
silent until the emulator stops, or streams a body that never ends."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler
from typing import Any

from polyinfra.emulator.frontend import Frontend
from polyinfra.emulator.state import Settings
from polyinfra.emulator.wire import _JSON_HEADERS, _Drop, _Endless, _Hang

# What an endless answer repeats: valid JSON so far, so a client only notices by its size.
_ENDLESS_CHUNK = b'"' + b"x" * 65_534 + b'",'


def make_handler(
    frontend: Frontend, settings: Settings, stopping: threading.Event
) -> type[BaseHTTPRequestHandler]:
    """A handler class answering through ``frontend``, adding ``settings.latency`` to every
    answer; ``stopping`` is set when the emulator stops."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "FakeCloudRun/1"

        def _serve(self) -> None:
            received = time.monotonic()
            frontend.arrive(self.command, self.path, received)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            if settings.latency:
                time.sleep(settings.latency)
            try:
                status, payload, sent = frontend.handle(
                    self.command, self.path, headers, body, received=received
                )
            except _Drop:
                self._hang_up()
                return
            except _Hang:
                stopping.wait()
                self._hang_up()
                return
            except _Endless:
                self._answer_forever()
                return
            self.send_response(status)
            for key, value in sent.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(payload)

        def _hang_up(self) -> None:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)

        def _answer_forever(self) -> None:
            self.send_response(200)
            for key, value in _JSON_HEADERS.items():
                self.send_header(key, value)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.close_connection = True
            # A client that stops reading must not hold this thread past the fake's stop.
            self.connection.settimeout(0.2)
            with contextlib.suppress(ConnectionError):
                self._chunk(b'{"items": [')
                while not stopping.is_set():
                    with contextlib.suppress(TimeoutError):
                        self._chunk(_ENDLESS_CHUNK)
            self._hang_up()

        def _chunk(self, data: bytes) -> None:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

        do_GET = _serve
        do_POST = _serve
        do_PUT = _serve
        do_PATCH = _serve
        do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the fake keeps its own request log."""

    return Handler
