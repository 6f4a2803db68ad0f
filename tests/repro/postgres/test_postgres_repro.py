"""Live PostgreSQL driver reproductions (psycopg2, psycopg 3, asyncpg, pgbouncer).

Each committed sample must still be what the drivers print against a real server today, and the
rules must rank the right cause first (pos) or not report it at all (neg). Servers come from
``.ci/services.sh`` (see pg_repro.py for the environment variables). Without a reachable server
the tests skip locally, and fail under CI=true.
"""

from __future__ import annotations

import functools
import os

import pytest
from pg_repro import RULES, SAMPLES, CASE, run_case, server_error
from support import reported_causes, same_error, top_cause

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


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_sample_reproduces(name: str) -> None:
    case, cause, kind = SAMPLES[name]
    _require(CASE[case].server)
    captured = capture(case)
    same_error(captured, RULES / name)
    if kind == "pos":
        assert top_cause(captured) == cause, captured
    else:
        assert cause not in reported_causes(captured), captured
