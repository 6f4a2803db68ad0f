"""Run the SQLAlchemy reproduction scripts in ``cases/`` and (re)write their samples.

Each case script is copied to a fresh temporary directory as ``app.py`` (with the shared
``models.py``) and run with the current interpreter; stdout and stderr are captured
interleaved, as a terminal would show them. Machine paths are rewritten to the neutral
forms the samples use (``/app``, ``/usr/local/lib/python3.11/...``).

    python3 tests/repro/sqlalchemy/sa_repro.py          # rewrite every sample from a live run
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
CASES = HERE / "cases"
RULES = HERE.parents[2] / "rules" / "sqlalchemy"
SHARED = ("models.py",)

# sample file name -> (case script, expected cause, "pos" | "neg")
SAMPLES: dict[str, tuple[str, str, str]] = {}


def sample(name: str, script: str, cause: str, kind: str) -> None:
    SAMPLES[name] = (script, cause, kind)


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
    sample(f"{page}.{cause}.pos.log", pos, f"{page}/{cause}", "pos")
    sample(f"{page}.{cause}.neg.log", neg, f"{page}/{cause}", "neg")


def neutralise(text: str, workdir: str) -> str:
    """Rewrite this machine's paths to the neutral forms used in committed samples."""
    paths = sysconfig.get_paths()
    site, stdlib = paths["purelib"], paths["stdlib"]
    pairs = [
        (os.path.relpath(site, workdir), "/usr/local/lib/python3.11/site-packages"),
        (site, "/usr/local/lib/python3.11/site-packages"),
        (os.path.relpath(stdlib, workdir), "/usr/local/lib/python3.11"),
        (stdlib, "/usr/local/lib/python3.11"),
        (os.path.realpath(workdir), "/app"),
        (workdir, "/app"),
    ]
    for old, new in pairs:
        text = text.replace(old, new)
    return text


def run_case(script: str, timeout: float = 60) -> str:
    """Run ``cases/<script>.py`` as /app/app.py and return its neutralised output."""
    with tempfile.TemporaryDirectory(prefix="kb-repro-") as tmp:
        for name in SHARED:
            shutil.copy(CASES / name, Path(tmp) / name)
        shutil.copy(CASES / f"{script}.py", Path(tmp) / "app.py")
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        proc = subprocess.run(
            [sys.executable, "app.py"],
            cwd=tmp,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
            check=False,
        )
        return neutralise(proc.stdout, tmp)


def write_samples(names: list[str] | None = None) -> None:
    cache: dict[str, str] = {}
    for name, (script, _cause, _kind) in SAMPLES.items():
        if names and name not in names:
            continue
        if script not in cache:
            cache[script] = run_case(script)
        (RULES / name).write_text(cache[script])
        print("wrote", RULES / name)


if __name__ == "__main__":
    write_samples(sys.argv[1:] or None)
