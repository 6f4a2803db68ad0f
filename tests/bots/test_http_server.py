"""HTTP mode over a real socket: the bot's start path (``cli.run``) serving /slack/events."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bots.kb_slack.cli import run

from . import slackreq as R
from .conftest import make_settings, sample
from .fake_slack import FakeSlack

# Uses servers on 127.0.0.1 (the fake Slack, and more): marked slow as the brief asks.
pytestmark = pytest.mark.slow

POOL = "sqlalchemy/sqlalchemy-pool-exhausted.connections-not-returned.pos.log"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(fake: FakeSlack, tmp_path: Path) -> Iterator[int]:
    port = _free_port()
    settings = make_settings(fake, port=port, db_url=f"sqlite:///{tmp_path}/h.sqlite3",
                             max_request_bytes=256 * 1024)
    stop = threading.Event()
    result: list[int] = []
    t = threading.Thread(target=lambda: result.append(run(settings, stop)), daemon=True)
    t.start()
    deadline = time.monotonic() + 30  # generous: CI machines can be busy
    while True:  # bounded: wait for the listener to accept connections
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.05)
    yield port
    stop.set()
    t.join(15)
    assert result == [0]


def post(port: int, body: bytes, headers: dict[str, str], path: str = "/slack/events"
         ) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("POST", path, body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def signed(encoded: tuple[str, str], **kw: Any) -> tuple[bytes, dict[str, str]]:
    body, ctype = encoded
    return body.encode(), {"Content-Type": ctype, **R.sign(body, **kw)}


def test_signed_event_over_http_is_answered(server: int, fake: FakeSlack) -> None:
    body, headers = signed(R.json_body(R.event_envelope(R.mention(sample(POOL)))))
    t0 = time.monotonic()
    status, _ = post(server, body, headers)
    assert status == 200 and time.monotonic() - t0 < 3.0  # acked well within Slack's 3 s
    upd = fake.wait_count("chat.update", 1)[0].body
    assert "sqlalchemy-pool-exhausted" in json.dumps(upd["blocks"])


def test_bad_signature_over_http_is_401(server: int, fake: FakeSlack) -> None:
    body, headers = signed(R.json_body(R.event_envelope(R.mention("x"))), tamper=True)
    assert post(server, body, headers)[0] == 401


def test_url_verification_challenge(server: int) -> None:
    body, headers = signed(R.json_body({"token": "x", "challenge": "abc123",
                                        "type": "url_verification"}))
    status, out = post(server, body, headers)
    assert status == 200 and json.loads(out)["challenge"] == "abc123"


def test_oversized_request_is_413_without_reading(server: int) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server, timeout=10)
    try:
        conn.putrequest("POST", "/slack/events")
        conn.putheader("Content-Length", str(50 * 1024 * 1024))
        conn.putheader("Content-Type", "application/json")
        conn.endheaders()
        resp = conn.getresponse()
        assert resp.status == 413
    finally:
        conn.close()


def test_other_paths_and_health(server: int) -> None:
    assert post(server, b"{}", {"Content-Type": "application/json"}, path="/nope")[0] == 404
    conn = http.client.HTTPConnection("127.0.0.1", server, timeout=10)
    conn.request("GET", "/healthz")
    assert conn.getresponse().status == 200
    conn.close()
