"""Live PostgreSQL driver reproductions (psycopg2, psycopg 3, asyncpg, pgbouncer).

Each committed sample must still be what the drivers print against a real server today, and the
rules must rank the right cause first (pos) or not report it at all (neg). Servers come from
``.ci/services.sh`` (see pg_repro.py for the environment variables). Without a reachable server
the tests skip locally, and fail under CI=true.

A sample without error-looking lines (psycopg2/psycopg raise classes such as
``psycopg2.errors.LockNotAvailable`` or ``psycopg.errors.AdminShutdown`` whose names do not end
in Error/Exception, and a healthy near-miss log has no error at all) is compared on the
engine's masked headline instead.
"""

from __future__ import annotations

import functools

import pytest
from pg_repro import CASE, RULES, SAMPLES, run_case, server_error

from tests.repro.harness import require_service, same_headline, sample_test

pytestmark = pytest.mark.slow

_server_problem = functools.cache(server_error)


def _require(case: str) -> None:
    require_service(_server_problem(CASE[case].server))


test_sample_reproduces = sample_test(
    SAMPLES, run_case, RULES, fallback=same_headline, require=_require
)
