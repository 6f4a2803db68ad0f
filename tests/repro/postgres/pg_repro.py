"""Run the PostgreSQL driver reproductions in ``cases/`` and (re)write their samples.

Servers (started by ``.ci/services.sh``; override with environment variables):

    KB_TEST_PG_DSN         postgresql://kb:kb@127.0.0.1:5432/kb_test   normal server, ssl=on
    KB_TEST_PG_AUX_DSN     postgresql://kb@127.0.0.1:5433/kb_trust     misconfigured on purpose:
                           ssl=off, max_connections=4 (1 reserved), pg_hba only allows kb_trust
    KB_TEST_PGBOUNCER_DSN  postgresql://kb:kb@127.0.0.1:6432/kb_test   pgbouncer (transaction mode)

Each case script runs as ``/app/app.py`` in a fresh temporary directory (with the helper modules
``relay.py`` and ``accounts.py``), with ``DATABASE_URL`` pointing at the server the case needs.
stdout and stderr are captured interleaved; machine paths are rewritten to the neutral forms the
samples use (see ``tests/repro/harness.py``).

    python3 tests/repro/postgres/pg_repro.py             # rewrite every sample from a live run
    python3 tests/repro/postgres/pg_repro.py NAME...     # only these sample files
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))  # the repo root: tests.repro

from tests.repro import harness
from tests.repro.harness import free_port

HERE = Path(__file__).resolve().parent
CASES = HERE / "cases"
RULES = harness.RULES / "postgres"
HELPERS = ("relay.py", "accounts.py")

MAIN = os.environ.get("KB_TEST_PG_DSN", "postgresql://kb:kb@127.0.0.1:5432/kb_test")
AUX = os.environ.get("KB_TEST_PG_AUX_DSN", "postgresql://kb@127.0.0.1:5433/kb_trust")
BOUNCER = os.environ.get("KB_TEST_PGBOUNCER_DSN", "postgresql://kb:kb@127.0.0.1:6432/kb_test")
SERVERS = {"main": MAIN, "aux": AUX, "pgbouncer": BOUNCER}


def url(
    base: str,
    *,
    user: str | None = None,
    password: str | None = None,
    port: int | None = None,
    db: str | None = None,
    query: str | None = None,
) -> str:
    """``base`` with some of its parts replaced."""
    p = urlsplit(base)
    user = user if user is not None else (p.username or "")
    password = password if password is not None else p.password
    host = p.hostname or "127.0.0.1"
    netloc = user + (f":{password}" if password else "") + "@" + host
    netloc += f":{port if port is not None else (p.port or 5432)}"
    path = f"/{db}" if db is not None else p.path
    return urlunsplit((p.scheme, netloc, path, query if query is not None else p.query, ""))


class Case:
    def __init__(
        self,
        script: str,
        server: str,
        dsn: Callable[[], str],
        args: tuple[str, ...] = (),
        runs: int = 1,
    ) -> None:
        self.script, self.server, self.dsn, self.args, self.runs = script, server, dsn, args, runs


# case name -> how to run it
CASE: dict[str, Case] = {
    # connection establishment (page postgres-connect)
    "refused": Case("connect", "main", lambda: url(MAIN, port=free_port())),
    "refused_psycopg": Case("connect_psycopg", "main", lambda: url(MAIN, port=free_port())),
    "refused_asyncpg": Case("connect_asyncpg", "main", lambda: url(MAIN, port=free_port())),
    "socket_missing": Case(
        "connect", "main", lambda: "postgresql:///kb_test?host=/run/no-postgres-here&user=kb"
    ),
    "connect_timeout": Case("connect_timeout", "main", lambda: MAIN),
    "connect_timeout_asyncpg": Case("connect_timeout_asyncpg", "main", lambda: MAIN),
    "too_many": Case("too_many", "aux", lambda: url(AUX, user="postgres")),
    "too_many_asyncpg": Case("too_many_asyncpg", "aux", lambda: url(AUX, user="postgres")),
    "reserved": Case("too_many", "aux", lambda: AUX),
    "reserved_asyncpg": Case("too_many_asyncpg", "aux", lambda: AUX),
    "password": Case("connect", "main", lambda: url(MAIN, password="wrong-password")),
    "password_psycopg": Case("connect_psycopg", "main", lambda: url(MAIN, password="wrong-pw")),
    "password_asyncpg": Case("connect_asyncpg", "main", lambda: url(MAIN, password="wrong-pw")),
    "nodb": Case("connect", "main", lambda: url(MAIN, db="kb_tset")),
    "nodb_asyncpg": Case("connect_asyncpg", "main", lambda: url(MAIN, db="kb_tset")),
    "norole": Case("connect", "aux", lambda: url(AUX, user="app_user")),
    "norole_asyncpg": Case("connect_asyncpg", "aux", lambda: url(AUX, user="app_user")),
    "nohba": Case("connect", "aux", lambda: url(AUX, db="kb_test")),
    "nohba_asyncpg": Case("connect_asyncpg", "aux", lambda: url(AUX, db="kb_test")),
    "sslreq": Case("connect", "aux", lambda: url(AUX, query="sslmode=require")),
    "sslreq_asyncpg": Case("connect_asyncpg", "aux", lambda: url(AUX, query="sslmode=require")),
    # connection lost (page postgres-connection-lost)
    "dropped": Case("dropped", "main", lambda: MAIN, ("disable",)),
    "dropped_psycopg": Case("dropped_psycopg", "main", lambda: MAIN, ("disable",)),
    "dropped_asyncpg": Case("dropped_asyncpg", "main", lambda: MAIN),
    "dropped_ssl": Case("dropped", "main", lambda: MAIN, ("require",)),
    "dropped_ssl_psycopg": Case("dropped_psycopg", "main", lambda: MAIN, ("require",)),
    "terminated_ssl": Case("terminated_ssl", "main", lambda: MAIN),
    "terminated_psycopg": Case("terminated_psycopg", "main", lambda: MAIN),
    "terminated_asyncpg": Case("terminated_asyncpg", "main", lambda: MAIN),
    "idle_tx": Case("idle_tx", "main", lambda: MAIN),
    "idle_tx_psycopg2": Case("idle_tx_psycopg2", "main", lambda: MAIN),
    "idle_session": Case("idle_session", "main", lambda: MAIN),
    "reuse_closed": Case("reuse_closed", "main", lambda: MAIN),
    "reuse_closed_psycopg": Case("reuse_closed_psycopg", "main", lambda: MAIN),
    "reuse_closed_asyncpg": Case("reuse_closed_asyncpg", "main", lambda: MAIN),
    "cursor_closed": Case("cursor_closed", "main", lambda: MAIN),
    # statements (page postgres-statement-errors)
    "statement_timeout": Case("statement_timeout", "main", lambda: MAIN),
    "statement_timeout_asyncpg": Case("statement_timeout_asyncpg", "main", lambda: MAIN),
    "lock_timeout": Case("lock_timeout", "main", lambda: MAIN),
    "deadlock": Case("deadlock", "main", lambda: MAIN),
    "serialization": Case("serialization", "main", lambda: MAIN),
    "aborted": Case("aborted", "main", lambda: MAIN),
    "aborted_handled": Case("aborted_handled", "main", lambda: MAIN),
    "concurrent_asyncpg": Case("concurrent_asyncpg", "main", lambda: MAIN),
    # pgbouncer (page pgbouncer-transaction-pooling); the asyncpg case runs as two processes
    "bouncer_asyncpg": Case("bouncer_asyncpg", "pgbouncer", lambda: BOUNCER, runs=2),
    "bouncer_psycopg": Case("bouncer_psycopg", "pgbouncer", lambda: BOUNCER),
    "prepare_twice": Case("prepare_twice", "main", lambda: MAIN),
    "bouncer_params_asyncpg": Case("bouncer_params_asyncpg", "pgbouncer", lambda: BOUNCER),
    "bouncer_options": Case("bouncer_options", "pgbouncer", lambda: BOUNCER),
    "bouncer_nodb": Case("connect", "pgbouncer", lambda: url(BOUNCER, db="kb_tset")),
}

# sample file name -> (case, "page/cause", "pos" | "neg")
SAMPLES: dict[str, tuple[str, str, str]] = {}

CONNECT, LOST, STMT, BOUNCER_PAGE = (
    "postgres-connect",
    "postgres-connection-lost",
    "postgres-statement-errors",
    "pgbouncer-transaction-pooling",
)
for page, cause, positives, negatives in [
    (
        CONNECT,
        "server-unreachable",
        {
            "": "refused",
            "psycopg": "refused_psycopg",
            "asyncpg": "refused_asyncpg",
            "socket": "socket_missing",
        },
        ["connect_timeout"],
    ),
    (
        CONNECT,
        "connect-timeout",
        {"": "connect_timeout", "asyncpg": "connect_timeout_asyncpg"},
        ["refused", "statement_timeout"],
    ),
    (
        CONNECT,
        "max-connections",
        {
            "": "too_many",
            "reserved": "reserved",
            "asyncpg": "too_many_asyncpg",
            "reserved-asyncpg": "reserved_asyncpg",
        },
        ["nohba"],
    ),
    (
        CONNECT,
        "password-failed",
        {"": "password", "psycopg": "password_psycopg", "asyncpg": "password_asyncpg"},
        ["norole"],
    ),
    (
        CONNECT,
        "database-missing",
        {"": "nodb", "asyncpg": "nodb_asyncpg"},
        ["norole", "aborted_handled"],
    ),
    (CONNECT, "role-missing", {"": "norole", "asyncpg": "norole_asyncpg"}, ["nodb"]),
    (CONNECT, "no-hba-entry", {"": "nohba", "asyncpg": "nohba_asyncpg"}, ["sslreq"]),
    (CONNECT, "server-ssl-off", {"": "sslreq", "asyncpg": "sslreq_asyncpg"}, ["nohba"]),
    (
        LOST,
        "dropped",
        {"": "dropped", "psycopg": "dropped_psycopg", "asyncpg": "dropped_asyncpg"},
        ["terminated_asyncpg"],
    ),
    (
        LOST,
        "ssl-eof",
        {"": "dropped_ssl", "psycopg": "dropped_ssl_psycopg", "terminated": "terminated_ssl"},
        ["dropped"],
    ),
    (
        LOST,
        "admin-terminated",
        {"": "terminated_psycopg", "asyncpg": "terminated_asyncpg"},
        ["idle_tx"],
    ),
    (LOST, "idle-in-transaction-timeout", {"": "idle_tx"}, ["terminated_psycopg", "idle_session"]),
    (LOST, "idle-session-timeout", {"": "idle_session"}, ["idle_tx"]),
    (
        LOST,
        "closed-connection-reused",
        {"": "reuse_closed", "psycopg": "reuse_closed_psycopg", "asyncpg": "reuse_closed_asyncpg"},
        ["cursor_closed"],
    ),
    (
        STMT,
        "statement-timeout",
        {"": "statement_timeout", "asyncpg": "statement_timeout_asyncpg"},
        ["lock_timeout"],
    ),
    (STMT, "lock-timeout", {"": "lock_timeout"}, ["statement_timeout"]),
    (STMT, "deadlock", {"": "deadlock"}, ["lock_timeout"]),
    (STMT, "serialization-failure", {"": "serialization"}, ["deadlock"]),
    (STMT, "transaction-aborted", {"": "aborted"}, ["aborted_handled"]),
    (STMT, "concurrent-use-of-connection", {"": "concurrent_asyncpg"}, ["reuse_closed_asyncpg"]),
    (
        BOUNCER_PAGE,
        "prepared-statement-collision",
        {"": "bouncer_asyncpg", "psycopg": "bouncer_psycopg"},
        ["prepare_twice"],
    ),
    (
        BOUNCER_PAGE,
        "unsupported-startup-parameter",
        {"": "bouncer_params_asyncpg", "psycopg2": "bouncer_options"},
        ["bouncer_nodb"],
    ),
    (BOUNCER_PAGE, "database-not-configured", {"": "bouncer_nodb"}, ["nodb", "bouncer_options"]),
]:
    harness.add_samples(SAMPLES, page, cause, positives, negatives)


def server_error(server: str) -> str | None:
    """None when ``server`` accepts a connection, else why not."""
    import psycopg2  # only needed when a server is probed

    try:
        psycopg2.connect(SERVERS[server], connect_timeout=3).close()
    except psycopg2.Error as exc:
        return f"{server} PostgreSQL at {SERVERS[server]} unreachable: {exc}".strip()
    return None


def _wait_aux_idle(deadline_s: float = 5.0) -> None:
    """Wait (bounded) until the small aux server has no client sessions left from an earlier
    case, so connection-limit cases start from the same state. Uses the superuser slot."""
    import psycopg2

    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        try:
            conn = psycopg2.connect(url(AUX, user="postgres"), connect_timeout=3)
        except psycopg2.OperationalError:
            time.sleep(0.1)
            continue
        try:
            cur = conn.cursor()
            cur.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
            )
            row = cur.fetchone()
        finally:
            conn.close()
        if row is not None and row[0] == 0:
            return
        time.sleep(0.1)


def run_case(name: str, timeout: float = 60) -> str:
    """Run case ``name`` as /app/app.py and return its neutralised output (of the last run)."""
    case = CASE[name]
    if case.server == "aux":
        _wait_aux_idle()
    env = harness.clean_env("PG")
    env["DATABASE_URL"] = case.dsn()
    return harness.run_case(
        CASES,
        case.script,
        helpers=HELPERS,
        argv=[sys.executable, "app.py", *case.args],
        env=env,
        runs=case.runs,
        timeout=timeout,
    )


if __name__ == "__main__":
    harness.write_samples(SAMPLES, run_case, RULES, sys.argv[1:])
