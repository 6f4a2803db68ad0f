"""Slack bot latency: time from an Events API delivery to the final answer, against the fake Slack.

    python bench/bot_latency.py [--runs 30] [--lines 100]

The traceback is real: SQLAlchemy's QueuePool timeout raised under ``--lines`` worth of nested
application frames (Python prints 2-3 lines per frame). Each run POSTs a freshly signed
``app_mention`` to the bot's HTTP server on 127.0.0.1 (real socket, signature check, bolt
dispatch) and stops the clock when the fake Slack Web API receives the ``chat.update`` that
carries the diagnosis. Nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bots.kb_slack.app import KbBot  # noqa: E402
from bots.kb_slack.engine import load_ruleset  # noqa: E402
from bots.kb_slack.server import BoltHTTPServer  # noqa: E402
from bots.kb_slack.store import Store  # noqa: E402
from tests.bots import slackreq as R  # noqa: E402
from tests.bots.conftest import make_settings  # noqa: E402
from tests.bots.fake_slack import FakeSlack  # noqa: E402


def real_traceback(target_lines: int, workdir: Path) -> str:
    """Run real code: ``depth`` distinct application frames, then a real QueuePool timeout."""
    import importlib.util

    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import QueuePool

    engine = create_engine("sqlite://", poolclass=QueuePool, pool_size=1, max_overflow=0,
                           pool_timeout=0.01)
    held = engine.connect()  # the leaked connection that starves the pool
    best = ""
    for depth in range(0, 200):
        # Distinct functions (identical recursive frames would be collapsed by Python).
        src = ["def layer_0(engine, text):",
               "    with engine.connect() as conn:",
               "        return conn.execute(text('select 1'))"]
        for i in range(1, depth + 1):
            src += [f"def layer_{i}(engine, text):", f"    return layer_{i - 1}(engine, text)"]
        mod_path = workdir / f"service_{depth}.py"
        mod_path.write_text("\n".join(src) + "\n")
        spec = importlib.util.spec_from_file_location(f"service_{depth}", mod_path)
        assert spec is not None and spec.loader is not None
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        try:
            getattr(mod, f"layer_{depth}")(engine, text)
        except Exception:
            best = traceback.format_exc()
            if len(best.splitlines()) >= target_lines:
                break
    held.close()
    engine.dispose()
    return best.replace(str(workdir), "/app").replace(str(ROOT), "/app")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--lines", type=int, default=100)
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="kb-bench-")
    tb = real_traceback(args.lines, Path(tmp))
    fake = FakeSlack().start()
    store = Store(f"sqlite:///{tmp}/bench.sqlite3")
    rules = load_ruleset()
    bot = KbBot(make_settings(fake, db_url=f"sqlite:///{tmp}/bench.sqlite3"), rules, store)
    server = BoltHTTPServer(("127.0.0.1", 0), bot.app)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    first = rules.diagnose(tb, top=1).to_dict()
    top = first["diagnoses"][0]["id"] if first["diagnoses"] else None
    ack_ms: list[float] = []
    placeholder_ms: list[float] = []
    total_ms: list[float] = []
    try:
        for i in range(args.runs + 3):  # 3 warm-up runs
            ev = R.mention("```" + tb + "```")
            body = json.dumps(R.event_envelope(ev))
            headers = {"Content-Type": "application/json", **R.sign(body)}
            n_upd = len(fake.of("chat.update"))
            n_post = len(fake.of("chat.postMessage"))
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
            t0 = time.monotonic()
            conn.request("POST", "/slack/events", body=body.encode(), headers=headers)
            resp = conn.getresponse()
            resp.read()
            t_ack = time.monotonic()
            conn.close()
            assert resp.status == 200, resp.status
            post = fake.wait_count("chat.postMessage", n_post + 1)[-1]
            upd = fake.wait_count("chat.update", n_upd + 1)[-1]
            if top:
                assert top in json.dumps(upd.body["blocks"]), "answer lacks the diagnosis"
            if i >= 3:
                ack_ms.append((t_ack - t0) * 1000)
                placeholder_ms.append((post.at - t0) * 1000)
                total_ms.append((upd.at - t0) * 1000)
    finally:
        server.shutdown()
        server.server_close()
        bot.executor.shutdown()
        store.close()
        fake.stop()

    def fmt(xs: list[float]) -> str:
        xs = sorted(xs)
        p95 = xs[max(0, int(len(xs) * 0.95) - 1)]
        return f"median {statistics.median(xs):.1f} ms, p95 {p95:.1f} ms, max {xs[-1]:.1f} ms"

    print(f"input: real SQLAlchemy traceback, {len(tb.splitlines())} lines, {len(tb)} bytes;"
          f" top diagnosis: {top}")
    print(f"runs: {args.runs} (after 3 warm-up), fake Slack + bot HTTP server on 127.0.0.1")
    print(f"HTTP ack (POST -> 200):            {fmt(ack_ms)}")
    print(f"event -> placeholder posted:        {fmt(placeholder_ms)}")
    print(f"event -> final answer (chat.update): {fmt(total_ms)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
