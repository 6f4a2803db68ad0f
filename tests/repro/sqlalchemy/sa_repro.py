"""Run the SQLAlchemy reproduction scripts in ``cases/`` and (re)write their samples.

Each case runs as ``/app/app.py``, beside the shared ``models.py``, in a fresh temporary
directory (``harness.run_case``: output interleaved, machine paths neutralised).

    python3 tests/repro/sqlalchemy/sa_repro.py          # rewrite every sample from a live run
    python3 tests/repro/sqlalchemy/sa_repro.py NAME...  # only these sample files
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))  # the repo root: tests.repro

from tests.repro import harness

CASES = Path(__file__).resolve().parent / "cases"
RULES = harness.RULES / "sqlalchemy"
SHARED = ("models.py",)

# sample file name -> (case script, "page/cause", "pos" | "neg")
SAMPLES: dict[str, tuple[str, str, str]] = {}

P, S, A, L, M, Q, IE = (
    "sqlalchemy-pool-exhausted",
    "sqlalchemy-session-state",
    "sqlalchemy-asyncio",
    "sqlalchemy-sqlite",
    "sqlalchemy-mapper-config",
    "sqlalchemy-query-api",
    "sqlalchemy-integrity-error",
)

for page, cause, pos, neg in [
    (P, "connections-not-returned", "pool_timeout", "sqlite_locked"),
    (P, "gc-cleaned-connection", "pool_gc", "pool_timeout"),
    (S, "detached-lazy-load", "detached_lazy_load", "detached_expired"),
    (S, "expired-after-commit", "detached_expired", "detached_lazy_load"),
    (S, "pending-rollback", "pending_rollback", "integrity_unique"),
    (S, "sql-in-commit-hook", "commit_hook_sql", "closed_ctx"),
    (S, "closed-transaction-context", "closed_ctx", "commit_hook_sql"),
    (S, "object-in-another-session", "other_session", "async_shared_session"),
    (S, "unmapped-instance", "unmapped", "other_session"),
    (A, "lazy-load-in-async", "async_lazy_load", "async_expired"),
    (A, "expired-attribute-in-async", "async_expired", "async_lazy_load"),
    (A, "sync-driver-url", "async_sync_driver", "other_session"),
    (A, "session-shared-across-tasks", "async_shared_session", "other_session"),
    (L, "check-same-thread", "sqlite_thread", "sqlite_memory"),
    (L, "no-such-table", "sqlite_memory", "sqlite_locked"),
    (L, "database-locked", "sqlite_locked", "sqlite_memory"),
    (M, "fk-target-table-missing", "mapper_fk_table", "mapper_name"),
    (M, "relationship-target-not-found", "mapper_name", "mapper_fk_table"),
    (M, "no-foreign-key", "mapper_no_fk", "mapper_ambiguous"),
    (M, "ambiguous-foreign-keys", "mapper_ambiguous", "mapper_no_fk"),
    (M, "no-primary-key", "mapper_no_pk", "query_select_list"),
    (Q, "raw-string-execute", "query_raw_string", "query_needs_text"),
    (Q, "textual-sql-needs-text", "query_needs_text", "query_select_list"),
    (Q, "engine-execute-removed", "query_engine_execute", "query_raw_string"),
    (Q, "select-list-argument", "query_select_list", "query_needs_text"),
    (Q, "multiple-results", "query_multiple", "query_none"),
    (Q, "no-result", "query_none", "query_multiple"),
    (IE, "unique-violation", "integrity_unique", "pending_rollback"),
    (IE, "not-null-violation", "integrity_not_null", "integrity_unique"),
    (IE, "foreign-key-violation", "integrity_fk", "integrity_not_null"),
]:
    harness.add_samples(SAMPLES, page, cause, {"": pos}, [neg])


def run_case(script: str, timeout: float = 60) -> str:
    """Run ``cases/<script>.py`` as /app/app.py and return its neutralised output."""
    return harness.run_case(CASES, script, helpers=SHARED, timeout=timeout, relative=True)


if __name__ == "__main__":
    harness.write_samples(SAMPLES, run_case, RULES, sys.argv[1:])
