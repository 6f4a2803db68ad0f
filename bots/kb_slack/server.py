"""HTTP mode: a small, bounded HTTP server in front of ``App.dispatch``.

* ``POST /slack/events`` (Events API, slash commands, interactivity; one Request URL for all),
  signature-verified by bolt (HMAC v0, 5-minute window).
* ``GET /healthz`` for the load balancer.

Bounded: request bodies over ``max_request_bytes`` get 413 before they are read, at most
``max_connections`` requests are served at once (503 beyond), sockets time out after 10 s.
Put TLS in front (the load balancer / ingress); Slack only calls https Request URLs.
"""

from __future__ import annotations

import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from slack_bolt import App
from slack_bolt.request import BoltRequest

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"


class BoltHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr: tuple[str, int], app: App, *, max_request_bytes: int = 1 << 20,
                 max_connections: int = 64) -> None:
        self.app = app
        self.max_request_bytes = max_request_bytes
        self.slots = threading.BoundedSemaphore(max_connections)
        super().__init__(addr, _Handler)

    @property
    def port(self) -> int:
        return int(self.server_address[1])


class _Handler(BaseHTTPRequestHandler):
    server: BoltHTTPServer
    protocol_version = "HTTP/1.1"
    timeout = 10
    server_version = "kb-slack"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None
              ) -> None:
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def do_GET(self) -> None:
        if urlsplit(self.path).path == "/healthz":
            self._send(200, b"ok\n", {"Content-Type": "text/plain"})
        else:
            self._send(404, b"not found\n", {"Content-Type": "text/plain"})

    def do_POST(self) -> None:
        parts = urlsplit(self.path)
        if parts.path != EVENTS_PATH:
            self._send(404, b"not found\n", {"Content-Type": "text/plain"})
            return
        length_raw = self.headers.get("Content-Length")
        if length_raw is None or not length_raw.isdigit():
            self.close_connection = True
            self._send(411, b"length required\n", {"Content-Type": "text/plain"})
            return
        length = int(length_raw)
        if length > self.server.max_request_bytes:
            self.close_connection = True
            self._send(413, b"request too large\n", {"Content-Type": "text/plain"})
            return
        if not self.server.slots.acquire(blocking=False):
            self.close_connection = True
            self._send(503, b"busy\n", {"Content-Type": "text/plain", "Retry-After": "1"})
            return
        try:
            raw = self.rfile.read(length)
            headers: dict[str, str | list[str]] = {}
            for k, v in self.headers.items():
                headers.setdefault(k.lower(), []).append(v)  # type: ignore[union-attr]
            req = BoltRequest(body=raw.decode("utf-8", "replace"), query=parts.query,
                              headers=headers)  # type: ignore[arg-type]
            resp = self.server.app.dispatch(req)
            out_headers = {k: v[0] for k, v in resp.headers.items() if v}
            out_headers.pop("content-length", None)
            self._send(resp.status, (resp.body or "").encode("utf-8"), out_headers)
        finally:
            self.server.slots.release()
