"""A local fake of Slack's Web API (plus file downloads and response_url hooks) on 127.0.0.1.

* Records every call (method, headers, parsed body) and wakes waiters on each one.
* Realistic responses for the methods the bot uses; ``invalid_auth`` without the right token.
* Failure knobs: ``fail(method, status=429, retry_after=1)``, ``fail(method, error="...")``.
* Files under ``/files-pri/...`` only with ``Authorization: Bearer <bot token>``; without it, a
  302 to an HTML login page (what Slack does). ``redirect`` files 302 to ``/steal`` on this same
  server, which records whether a token arrived there (it must never).
* Every message or view is checked against Block Kit limits; violations are recorded, answered
  the way Slack answers (``invalid_blocks`` / ``msg_blocks_too_long``), and the test fixture
  fails the test at teardown if there were any.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from slack_sdk.models.blocks import Block

BOT_TOKEN = "xoxb-test-bot-token"
BOT_USER = "UBOT"
BOT_ID = "BBOT"
TEAM = "T0001"

# Slack's limits (docs + the empirical msg_blocks_too_long ceiling, bolt-js #2509).
MAX_BLOCKS_MESSAGE = 50
MAX_BLOCKS_VIEW = 100
CUMULATIVE_CEILING = 13_000
MESSAGE_METHODS = {"chat.postMessage", "chat.update", "chat.postEphemeral", "hooks"}
VIEW_METHODS = {"views.open", "views.push", "views.update", "views.publish"}


@dataclass
class Call:
    method: str
    headers: dict[str, str]
    body: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


@dataclass
class Failure:
    status: int = 200
    error: str | None = None
    retry_after: int | None = None
    count: int = 1
    delay: float = 0.0


def _texts(obj: Any) -> list[str]:
    out: list[str] = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == "text" and isinstance(v, str):
                out.append(v)
            else:
                out.extend(_texts(v))
    elif isinstance(obj, list):
        for v in obj:
            out.extend(_texts(v))
    return out


def block_kit_problems(body: dict[str, Any], *, view: bool = False) -> list[str]:
    """Independent check of a chat payload or a view against Slack's published limits."""
    problems: list[str] = []
    blocks = body.get("blocks")
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    if blocks is None:
        return problems
    if not view and not str(body.get("text") or "").strip():
        problems.append("message has blocks but no top-level text")
    limit = MAX_BLOCKS_VIEW if view else MAX_BLOCKS_MESSAGE
    if len(blocks) > limit:
        problems.append(f"{len(blocks)} blocks > {limit}")
    total = sum(len(t) for t in _texts(blocks))
    if not view and total > CUMULATIVE_CEILING:
        problems.append(f"cumulative block text {total} > {CUMULATIVE_CEILING}")
    ids: set[str] = set()
    for b in blocks:
        bid = b.get("block_id")
        if bid:
            if bid in ids:
                problems.append(f"duplicate block_id {bid}")
            ids.add(bid)
            if len(bid) > 255:
                problems.append("block_id > 255")
        try:
            Block.parse(b).validate_json()  # slack_sdk's own per-block validators
        except Exception as exc:  # SlackObjectFormationError
            problems.append(f"{b.get('type')}: {exc}")
        t = b.get("type")
        if t == "section":
            txt = (b.get("text") or {}).get("text", "")
            if len(txt) > 3000:
                problems.append(f"section text {len(txt)} > 3000")
        if t == "header" and len((b.get("text") or {}).get("text", "")) > 150:
            problems.append("header > 150")
        if t == "context" and len(b.get("elements", [])) > 10:
            problems.append("context > 10 elements")
        elements = list(b.get("elements", [])) if t == "actions" else []
        if b.get("accessory"):
            elements.append(b["accessory"])
        if t == "actions" and len(elements) > 25:
            problems.append("actions > 25 elements")
        for e in elements:
            if e.get("type") == "button":
                if len(e.get("text", {}).get("text", "")) > 75:
                    problems.append("button text > 75")
                if len(e.get("value", "")) > 2000:
                    problems.append("button value > 2000")
                if len(e.get("action_id", "")) > 255:
                    problems.append("action_id > 255")
    return problems


def view_problems(view: dict[str, Any]) -> list[str]:
    problems = block_kit_problems(view, view=True)
    for key in ("title", "submit", "close"):
        if key in view and len(view[key].get("text", "")) > 24:
            problems.append(f"view {key} > 24")
    if len(view.get("private_metadata", "")) > 3000:
        problems.append("private_metadata > 3000")
    if not 1 <= len(view.get("blocks", [])) <= 100:
        problems.append("view must have 1..100 blocks")
    return problems


class FakeSlack:
    def __init__(self, token: str = BOT_TOKEN) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.violations: list[str] = []
        self.stolen: list[dict[str, str]] = []
        self.files: dict[str, bytes] = {}
        self.file_types: dict[str, str] = {}
        self.threads: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.ws_url = "ws://127.0.0.1:9/link"
        self.failures: dict[str, list[Failure]] = {}
        self.handlers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {}
        self._ts = itertools.count(1)
        self._cond = threading.Condition()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self.api_url = self.url + "/api/"
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                        daemon=True)

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> FakeSlack:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)

    # -- knobs ----------------------------------------------------------------------------------

    def fail(self, method: str, *, status: int = 200, error: str | None = None,
             retry_after: int | None = None, count: int = 1, delay: float = 0.0) -> None:
        self.failures.setdefault(method, []).append(
            Failure(status, error, retry_after, count, delay))

    def add_file(self, name: str, data: bytes, content_type: str = "text/plain") -> str:
        self.files[name] = data
        self.file_types[name] = content_type
        return f"{self.url}/files-pri/{TEAM}-F1/{name}"

    def response_url(self, name: str = "cmd") -> str:
        return f"{self.url}/hooks/{name}"

    # -- inspection -----------------------------------------------------------------------------

    def methods(self) -> list[str]:
        with self._cond:
            return [c.method for c in self.calls]

    def of(self, method: str) -> list[Call]:
        with self._cond:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, pred: Callable[[list[Call]], bool], timeout: float = 10.0) -> list[Call]:
        """Block until ``pred(calls)`` holds (checked on every new call); fail after timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not pred(list(self.calls)):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"timed out waiting; calls so far: {[c.method for c in self.calls]}")
                self._cond.wait(left)
            return list(self.calls)

    def wait_count(self, method: str, n: int, timeout: float = 10.0) -> list[Call]:
        self.wait_for(lambda cs: sum(c.method == method for c in cs) >= n, timeout)
        return self.of(method)

    def settle(self, quiet: float = 0.3, timeout: float = 5.0) -> None:
        """Wait until no call arrived for ``quiet`` seconds (used to prove *no* extra calls)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while time.monotonic() < deadline:
                n = len(self.calls)
                self._cond.wait(quiet)
                if len(self.calls) == n:
                    return

    # -- server ---------------------------------------------------------------------------------

    def _record(self, call: Call) -> None:
        with self._cond:
            self.calls.append(call)
            self._cond.notify_all()

    def _take_failure(self, method: str) -> Failure | None:
        with self._cond:
            queue = self.failures.get(method)
            if not queue:
                return None
            f = queue[0]
            f.count -= 1
            if f.count <= 0:
                queue.pop(0)
            return f

    def _api(self, method: str, body: dict[str, Any], headers: dict[str, str]
             ) -> tuple[int, dict[str, str], dict[str, Any]]:
        auth = headers.get("authorization", "")
        if method == "apps.connections.open":
            if not auth.startswith("Bearer xapp-"):
                return 200, {}, {"ok": False, "error": "invalid_auth"}
            return 200, {}, {"ok": True, "url": self.ws_url}
        if auth != f"Bearer {self.token}":
            return 200, {}, {"ok": False, "error": "invalid_auth"}
        failure = self._take_failure(method)
        if failure is not None:
            if failure.delay:
                time.sleep(failure.delay)
            hdrs = {}
            if failure.retry_after is not None:
                hdrs["Retry-After"] = str(failure.retry_after)
            if failure.status != 200:
                return failure.status, hdrs, {"ok": False, "error": failure.error or "ratelimited"}
            return 200, hdrs, {"ok": False, "error": failure.error or "fatal_error"}
        if method in MESSAGE_METHODS:
            problems = block_kit_problems(body)
            if problems:
                self.violations.extend(f"{method}: {p}" for p in problems)
                too_long = any("cumulative" in p for p in problems)
                return 200, {}, {"ok": False,
                                 "error": "msg_blocks_too_long" if too_long else "invalid_blocks"}
        if method in VIEW_METHODS:
            view = body.get("view")
            if isinstance(view, str):
                view = json.loads(view)
            problems = view_problems(view or {})
            if problems:
                self.violations.extend(f"{method}: {p}" for p in problems)
                return 200, {}, {"ok": False, "error": "invalid_arguments"}
        if method in self.handlers:
            return 200, {}, self.handlers[method](body)
        channel = body.get("channel", "C1")
        if method == "auth.test":
            return 200, {"x-oauth-scopes": "app_mentions:read,chat:write"}, {
                "ok": True, "url": "https://example.slack.com/", "team": "Test",
                "user": "kb", "team_id": TEAM, "user_id": BOT_USER, "bot_id": BOT_ID,
                "is_enterprise_install": False}
        if method == "chat.postMessage":
            ts = f"1700000000.{next(self._ts):06d}"
            return 200, {}, {"ok": True, "channel": channel, "ts": ts,
                             "message": {"type": "message", "text": body.get("text"),
                                         "user": BOT_USER, "bot_id": BOT_ID, "ts": ts}}
        if method == "chat.update":
            return 200, {}, {"ok": True, "channel": channel, "ts": body.get("ts"),
                             "text": body.get("text")}
        if method == "chat.postEphemeral":
            return 200, {}, {"ok": True, "message_ts": f"1700000000.{next(self._ts):06d}"}
        if method in VIEW_METHODS:
            return 200, {}, {"ok": True, "view": {"id": f"V{next(self._ts)}"}}
        if method == "conversations.replies":
            msgs = self.threads.get((channel, str(body.get("ts"))), [])
            return 200, {}, {"ok": True, "messages": msgs[: int(body.get("limit", 100))],
                             "has_more": False}
        if method == "files.info":
            return 200, {}, {"ok": False, "error": "file_not_found"}
        return 200, {}, {"ok": True}

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _reply(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _headers(self) -> dict[str, str]:
                return {k.lower(): v for k, v in self.headers.items()}

            def do_GET(self) -> None:
                path = urlsplit(self.path).path
                headers = self._headers()
                if path.startswith("/files-pri/"):
                    name = path.rsplit("/", 1)[-1]
                    fake._record(Call("file:" + name, headers, {}))
                    if name.startswith("redirect"):
                        self._reply(302, b"", {"Location": f"{fake.url}/steal/{name}"})
                        return
                    if headers.get("authorization") != f"Bearer {fake.token}":
                        page = b"<!DOCTYPE html><html><body>Sign in to Slack</body></html>"
                        self._reply(302, page, {"Location": "https://example.slack.com/?redir=1",
                                                "Content-Type": "text/html"})
                        return
                    if name not in fake.files:
                        self._reply(404, b"not found", {"Content-Type": "text/plain"})
                        return
                    self._reply(200, fake.files[name],
                                {"Content-Type": fake.file_types.get(name, "text/plain")})
                    return
                if path.startswith("/steal/"):
                    fake.stolen.append(headers)
                    fake._record(Call("steal", headers, {}))
                    self._reply(200, b"gotcha", {"Content-Type": "text/plain"})
                    return
                self._reply(404, b"not found", {"Content-Type": "text/plain"})

            def do_POST(self) -> None:
                path = urlsplit(self.path).path
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode("utf-8") if length else ""
                headers = self._headers()
                body: dict[str, Any]
                if raw.lstrip().startswith("{"):
                    body = json.loads(raw)
                else:
                    body = {k: v[0] for k, v in parse_qs(raw).items()}
                if path.startswith("/hooks/"):
                    problems = block_kit_problems(body)
                    fake.violations.extend(f"response_url: {p}" for p in problems)
                    fake._record(Call("hooks", headers, body))
                    self._reply(200 if not problems else 400, b"ok" if not problems
                                else b"invalid_blocks", {"Content-Type": "text/plain"})
                    return
                method = path.rsplit("/", 1)[-1]
                status, extra, data = fake._api(method, body, headers)
                fake._record(Call(method, headers, body))
                out = json.dumps(data).encode()
                self._reply(status, out, {"Content-Type": "application/json", **extra})

        return Handler
