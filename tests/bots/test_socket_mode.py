"""Socket Mode end to end: the bot's real start path (``cli.run``) with slack_sdk's built-in
Socket Mode client, against a local aiohttp WebSocket server on 127.0.0.1 that plays Slack's side
(hello, envelopes, reading the acks). ``apps.connections.open`` on the fake Web API returns this
server's ws:// URL, exactly as Slack returns its wss:// URL."""

from __future__ import annotations

import asyncio
import json
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

web = pytest.importorskip("aiohttp.web")

# Uses servers on 127.0.0.1 (the fake Slack, and more): marked slow as the brief asks.
pytestmark = pytest.mark.slow

POOL = "sqlalchemy/sqlalchemy-pool-exhausted.connections-not-returned.pos.log"


class FakeSocketModeServer:
    def __init__(self) -> None:
        self.acks: list[dict[str, Any]] = []
        self.connections = 0
        self._cond = threading.Condition()
        self._loop = asyncio.new_event_loop()
        self._queue: asyncio.Queue[dict[str, Any]] | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.port = 0

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._start())
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(self._runner.cleanup())
        self._loop.close()

    async def _start(self) -> None:
        self._queue = asyncio.Queue()
        app = web.Application()
        app.router.add_get("/link", self._ws)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def _ws(self, request: Any) -> Any:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        with self._cond:
            self.connections += 1
            self._cond.notify_all()
        await ws.send_str(json.dumps({"type": "hello", "num_connections": 1,
                                      "connection_info": {"app_id": "A0001"},
                                      "debug_info": {"host": "fake"}}))

        async def reader() -> None:
            async for msg in ws:
                if msg.type == web.WSMsgType.TEXT:
                    with self._cond:
                        self.acks.append(json.loads(msg.data))
                        self._cond.notify_all()

        task = asyncio.ensure_future(reader())
        assert self._queue is not None
        while not ws.closed:
            try:
                env = await asyncio.wait_for(self._queue.get(), 0.2)
            except TimeoutError:
                if task.done():
                    break
                continue
            await ws.send_str(json.dumps(env))
        task.cancel()
        return ws

    def start(self) -> FakeSocketModeServer:
        self._thread.start()
        self._ready.wait(10)
        return self

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def send(self, envelope: dict[str, Any]) -> None:
        assert self._queue is not None
        self._loop.call_soon_threadsafe(self._queue.put_nowait, envelope)

    def wait(self, pred: Any, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not pred(self):
                left = deadline - time.monotonic()
                assert left > 0, f"timed out; acks={self.acks}"
                self._cond.wait(left)

    def ack_for(self, envelope_id: str) -> dict[str, Any]:
        self.wait(lambda s: any(a.get("envelope_id") == envelope_id for a in s.acks))
        return next(a for a in self.acks if a.get("envelope_id") == envelope_id)


@pytest.fixture
def ws_server() -> Iterator[FakeSocketModeServer]:
    s = FakeSocketModeServer().start()
    yield s
    s.stop()


def test_socket_mode_start_path_events_commands_and_retries(
        fake: FakeSlack, ws_server: FakeSocketModeServer, tmp_path: Path) -> None:
    fake.ws_url = f"ws://127.0.0.1:{ws_server.port}/link"
    settings = make_settings(fake, mode="socket", signing_secret=None,
                             db_url=f"sqlite:///{tmp_path}/sm.sqlite3")
    stop = threading.Event()
    result: list[int] = []
    t = threading.Thread(target=lambda: result.append(run(settings, stop)), daemon=True)
    t.start()
    try:
        ws_server.wait(lambda s: s.connections >= 1)
        assert fake.of("apps.connections.open")[0].headers["authorization"] == \
            "Bearer xapp-1-test"

        payload = R.event_envelope(R.mention(sample(POOL)))
        env = {"envelope_id": "env-1", "type": "events_api", "accepts_response_payload": False,
               "retry_attempt": 0, "retry_reason": "", "payload": payload}
        ws_server.send(env)
        assert ws_server.ack_for("env-1") == {"envelope_id": "env-1"}
        upd = fake.wait_count("chat.update", 1)[0].body
        assert "sqlalchemy-pool-exhausted/connections-not-returned" in json.dumps(upd["blocks"])

        # Slack redelivers the same event (retry): acked, not answered again.
        ws_server.send(dict(env, envelope_id="env-2", retry_attempt=1,
                            retry_reason="timeout"))
        ws_server.ack_for("env-2")
        fake.settle()
        assert fake.methods().count("chat.postMessage") == 1

        # Slash command over the socket: the help text comes back in the ack payload.
        cmd = {"envelope_id": "env-3", "type": "slash_commands", "accepts_response_payload": True,
               "payload": R.command_form("help", fake.response_url())}
        ws_server.send(cmd)
        ack = ws_server.ack_for("env-3")
        assert "/kb search" in json.dumps(ack.get("payload"))

        # Interactivity over the socket: feedback button.
        value = next(e["value"] for b in upd["blocks"] if b["type"] == "actions"
                     for e in b["elements"] if e["action_id"] == "kb_fixed_1")
        act = R.block_action("kb_fixed_1", value, response_url=fake.response_url("fb"),
                             message_ts=upd["ts"])
        ws_server.send({"envelope_id": "env-4", "type": "interactive",
                        "accepts_response_payload": False, "payload": act})
        ws_server.ack_for("env-4")
        assert "Thanks" in fake.wait_count("hooks", 1)[0].body["text"]
    finally:
        stop.set()
        t.join(15)
    assert result == [0]
