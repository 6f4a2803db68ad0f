"""The shared store on PostgreSQL (replicas on several hosts). Uses the CI PostgreSQL started by
.ci/services.sh (KB_TEST_PG_DSN); skipped when psycopg or that server is not available."""

from __future__ import annotations

import os
import uuid

import pytest

from bots.kb_slack.store import Feedback, Reply, Store, export_lines

psycopg = pytest.importorskip("psycopg")

# Uses PostgreSQL on 127.0.0.1: marked slow as the brief asks.
pytestmark = pytest.mark.slow

DSN = os.environ.get("KB_TEST_PG_DSN", "postgresql://kb:kb@127.0.0.1:5432/kb_test")


@pytest.fixture
def pg_url() -> str:
    try:
        psycopg.connect(DSN, connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL not reachable at KB_TEST_PG_DSN: {type(exc).__name__}")
    return DSN


def test_postgres_store_claims_once_across_replicas_and_keeps_feedback(pg_url: str) -> None:
    a, b = Store(pg_url), Store(pg_url)
    key = f"evt:test-{uuid.uuid4().hex}"
    chan = f"C{uuid.uuid4().hex[:10]}"
    try:
        assert a.claim(key) is True
        assert b.claim(key) is False
        b.save_reply(Reply(f"msg:{chan}:1", chan, "1", "2", "h", "f"))
        assert a.get_reply(f"msg:{chan}:1") == Reply(f"msg:{chan}:1", chan, "1", "2", "h", "f")
        a.record_feedback(Feedback("T", chan, "1.1", "U", "p/c", "abcdefabcdef", "fixed", 0.9))
        b.record_feedback(Feedback("T", chan, "1.1", "U", "p/c", "abcdefabcdef", "wrong", 0.9))
        assert a.set_actual(chan, "1.1", "U", "p/c", "dns")
        rows = [r for r in b.feedback() if r["channel"] == chan]
        assert len(rows) == 1 and rows[0]["verdict"] == "wrong" and rows[0]["actual"] == "dns"
        assert any(chan in line for line in export_lines(a, "jsonl"))
    finally:
        a._exec("DELETE FROM kb_dedup WHERE key = ?", (key,))
        a._exec("DELETE FROM kb_replies WHERE channel = ?", (chan,))
        a._exec("DELETE FROM kb_feedback WHERE channel = ?", (chan,))
        a.close()
        b.close()
