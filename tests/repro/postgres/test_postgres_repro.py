"""Live PostgreSQL driver reproductions (psycopg2, psycopg 3, asyncpg, pgbouncer).

Each committed sample must still be what the drivers print against a real server today, and the
rules must rank the right cause first (pos) or not report it at all (neg). Servers come from
``.ci/services.sh`` (see pg_repro.py for the environment variables). Without a reachable server
the tests skip locally, and fail under CI=true.
"""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

import pytest
from pg_repro import CASE, RULES, SAMPLES, run_case, server_error

try:  # `python -m pytest` from the repo root puts it on sys.path
    from tests.support import error_lines, reported_causes, rules, same_error, top_cause
except ImportError:  # pragma: no cover - plain `pytest` from elsewhere
    sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
    from tests.support import error_lines, reported_causes, rules, same_error, top_cause

pytestmark = pytest.mark.slow

capture = functools.cache(run_case)


@functools.cache
def _server_problem(server: str) -> str | None:
    return server_error(server)


def _require(server: str) -> None:
    problem = _server_problem(server)
    if problem is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{problem} (CI must run .ci/services.sh first)")
    pytest.skip(f"{problem}; run .ci/services.sh to start it")


def _headline(text: str) -> str | None:
    return rules().diagnose(text).to_dict()["input"]["headline"]


def _same_error(captured: str, name: str) -> None:
    """support.same_error, plus a fallback for samples it sees no error line in.

    psycopg2/psycopg raise classes such as ``psycopg2.errors.LockNotAvailable`` or
    ``psycopg.errors.AdminShutdown`` whose names do not end in Error/Exception, and a healthy
    near-miss log has no error at all; for those, compare the engine's masked headline.
    """
    sample = RULES / name
    if error_lines(sample.read_text(encoding="utf-8")):
        same_error(captured, sample)
    else:
        assert _headline(captured) == _headline(sample.read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_sample_reproduces(name: str) -> None:
    case, cause, kind = SAMPLES[name]
    _require(CASE[case].server)
    captured = capture(case)
    _same_error(captured, name)
    if kind == "pos":
        assert top_cause(captured) == cause, captured
    else:
        assert cause not in reported_causes(captured), captured
