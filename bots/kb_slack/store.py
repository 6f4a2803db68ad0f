"""The bot's state: delivery dedup, the reply each message got, and user feedback.

One database, shared by every replica. ``KB_SLACK_DB_URL`` selects it:

* ``sqlite:///relative/path.sqlite3``, ``sqlite:////absolute/path.sqlite3`` (default
  ``sqlite:///kb-slack.sqlite3``), ``sqlite:///:memory:`` for tests. Replicas on one host may share
  the file (WAL mode, busy timeout). Do not put it on a network filesystem.
* ``postgresql://user:pass@host/db`` for replicas on several hosts; needs ``psycopg`` (v3).

Dedup is a primary-key insert (``INSERT ... ON CONFLICT DO NOTHING``): of several replicas that
receive the same event, exactly one gets ``claim() == True``.
"""

from __future__ import annotations

import importlib
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

log = logging.getLogger(__name__)

_SCHEMA = [
    """CREATE TABLE IF NOT EXISTS kb_dedup (
        key TEXT PRIMARY KEY,
        created_at DOUBLE PRECISION NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS kb_replies (
        message_key TEXT PRIMARY KEY,
        channel TEXT NOT NULL,
        thread_ts TEXT NOT NULL,
        reply_ts TEXT NOT NULL,
        text_hash TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        updated_at DOUBLE PRECISION NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS kb_feedback (
        channel TEXT NOT NULL,
        message_ts TEXT NOT NULL,
        user_id TEXT NOT NULL,
        diagnosis_id TEXT NOT NULL,
        team_id TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        verdict TEXT NOT NULL,
        confidence DOUBLE PRECISION,
        actual TEXT,
        created_at DOUBLE PRECISION NOT NULL,
        updated_at DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (channel, message_ts, user_id, diagnosis_id)
    )""",
    "CREATE INDEX IF NOT EXISTS kb_dedup_created ON kb_dedup (created_at)",
]

FEEDBACK_COLUMNS = (
    "created_at", "updated_at", "team_id", "channel", "message_ts", "user_id",
    "diagnosis_id", "fingerprint", "verdict", "confidence", "actual",
)


@dataclass(frozen=True)
class Reply:
    message_key: str
    channel: str
    thread_ts: str
    reply_ts: str
    text_hash: str
    fingerprint: str


@dataclass(frozen=True)
class Feedback:
    team_id: str
    channel: str
    message_ts: str
    user_id: str
    diagnosis_id: str
    fingerprint: str
    verdict: str  # "fixed" | "wrong"
    confidence: float | None = None


class Store:
    """Thread-safe access to the bot's tables (one connection, one lock)."""

    def __init__(self, url: str, *, dedup_ttl_hours: int = 24) -> None:
        self.url = url
        self.ttl = dedup_ttl_hours * 3600.0
        self._lock = threading.Lock()
        self._claims = 0
        scheme = urlsplit(url).scheme
        self.kind = "sqlite" if scheme == "sqlite" else "postgresql"
        self._conn: Any = self._connect()
        with self._lock:
            for stmt in _SCHEMA:
                self._conn.execute(stmt)

    # -- connection ---------------------------------------------------------------------------

    def _connect(self) -> Any:
        if self.kind == "sqlite":
            path = sqlite_path(self.url)
            if path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                path, timeout=10.0, isolation_level=None, check_same_thread=False
            )
            if path != ":memory:":
                conn.execute("PRAGMA journal_mode=WAL")
                # WAL + NORMAL: no corruption on a crash; a power cut may lose the last commits
                # (a dedup key or a feedback row), which is an acceptable trade for latency.
                conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=10000")
            return conn
        try:
            psycopg = importlib.import_module("psycopg")
        except ImportError as exc:  # pragma: no cover - depends on the deployment
            raise RuntimeError(
                "KB_SLACK_DB_URL is a PostgreSQL URL but psycopg is not installed"
                " (pip install 'psycopg[binary]')"
            ) from exc
        url = self.url.replace("postgres://", "postgresql://", 1)
        return psycopg.connect(url, autocommit=True)

    def _sql(self, stmt: str) -> str:
        return stmt if self.kind == "sqlite" else stmt.replace("?", "%s")

    def _exec(self, stmt: str, params: tuple[Any, ...] = ()) -> Any:
        with self._lock:
            try:
                return self._conn.execute(self._sql(stmt), params)
            except Exception:
                if self.kind == "sqlite":
                    raise
                # A dropped PostgreSQL connection: reconnect once and retry.
                log.warning("database error, reconnecting once", exc_info=True)
                self._conn = self._connect()
                return self._conn.execute(self._sql(stmt), params)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # -- dedup --------------------------------------------------------------------------------

    def claim(self, key: str) -> bool:
        """Atomically claim ``key``; True for the first caller (any replica), False afterwards."""
        now = time.time()
        cur = self._exec(
            "INSERT INTO kb_dedup (key, created_at) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
            (key[:512], now),
        )
        self._claims += 1
        if self._claims % 500 == 1:
            self._exec("DELETE FROM kb_dedup WHERE created_at < ?", (now - self.ttl,))
        return bool(cur.rowcount == 1)

    # -- replies ------------------------------------------------------------------------------

    def get_reply(self, message_key: str) -> Reply | None:
        cur = self._exec(
            "SELECT message_key, channel, thread_ts, reply_ts, text_hash, fingerprint"
            " FROM kb_replies WHERE message_key = ?",
            (message_key,),
        )
        row = cur.fetchone()
        return Reply(*row) if row else None

    def save_reply(self, reply: Reply) -> None:
        self._exec(
            "INSERT INTO kb_replies (message_key, channel, thread_ts, reply_ts, text_hash,"
            " fingerprint, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (message_key) DO UPDATE SET reply_ts = excluded.reply_ts,"
            " text_hash = excluded.text_hash, fingerprint = excluded.fingerprint,"
            " updated_at = excluded.updated_at",
            (reply.message_key, reply.channel, reply.thread_ts, reply.reply_ts,
             reply.text_hash, reply.fingerprint, time.time()),
        )

    # -- feedback -----------------------------------------------------------------------------

    def record_feedback(self, fb: Feedback) -> None:
        """Upsert: one row per (message, user, diagnosis); the latest verdict wins."""
        now = time.time()
        self._exec(
            "INSERT INTO kb_feedback (channel, message_ts, user_id, diagnosis_id, team_id,"
            " fingerprint, verdict, confidence, actual, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)"
            " ON CONFLICT (channel, message_ts, user_id, diagnosis_id) DO UPDATE SET"
            " verdict = excluded.verdict, fingerprint = excluded.fingerprint,"
            " confidence = excluded.confidence, updated_at = excluded.updated_at",
            (fb.channel[:64], fb.message_ts[:64], fb.user_id[:64], fb.diagnosis_id[:256],
             fb.team_id[:64], fb.fingerprint[:64], fb.verdict, fb.confidence, now, now),
        )

    def set_actual(
        self, channel: str, message_ts: str, user_id: str, diagnosis_id: str, actual: str
    ) -> bool:
        cur = self._exec(
            "UPDATE kb_feedback SET actual = ?, updated_at = ?"
            " WHERE channel = ? AND message_ts = ? AND user_id = ? AND diagnosis_id = ?",
            (actual[:2000], time.time(), channel, message_ts, user_id, diagnosis_id),
        )
        return bool(cur.rowcount == 1)

    def feedback(self) -> Iterator[dict[str, Any]]:
        cur = self._exec(
            f"SELECT {', '.join(FEEDBACK_COLUMNS)} FROM kb_feedback ORDER BY created_at, user_id"
        )
        for row in cur.fetchall():
            yield dict(zip(FEEDBACK_COLUMNS, row, strict=True))


def sqlite_path(url: str) -> str:
    """``sqlite:///rel/x.db`` -> ``rel/x.db``; ``sqlite:////abs/x.db`` -> ``/abs/x.db``."""
    rest = url[len("sqlite://"):]
    if not rest.startswith("/"):
        raise ValueError("sqlite URLs look like sqlite:///relative.db or sqlite:////abs.db")
    path = unquote(rest[1:])
    if not path:
        raise ValueError("sqlite URL has no path")
    return path


def export_lines(store: Store, fmt: str) -> Iterator[str]:
    """Feedback rows as JSON Lines or CSV (with header), for rule authors."""
    if fmt == "jsonl":
        for row in store.feedback():
            yield json.dumps(row, sort_keys=True, ensure_ascii=False)
        return
    if fmt == "csv":
        import csv
        import io

        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="")
        writer.writerow(FEEDBACK_COLUMNS)
        yield buf.getvalue()
        for row in store.feedback():
            buf.seek(0)
            buf.truncate()
            writer.writerow([row[c] if row[c] is not None else "" for c in FEEDBACK_COLUMNS])
            yield buf.getvalue()
        return
    raise ValueError(f"unknown format {fmt!r} (jsonl or csv)")
