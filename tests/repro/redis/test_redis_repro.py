"""Live Redis client reproductions (redis-py sync and asyncio, real redis-server).

Each committed sample must still be what redis-py prints against a real server today, and the
rules must rank the right cause first (pos) or not report it at all (neg); a sample without
error lines is compared on the engine's masked headline. The shared server comes from
``.ci/services.sh``; cases needing special settings start throwaway redis-server processes (see
redis_repro.py). Without them the tests skip locally and fail under CI=true.
"""

from __future__ import annotations

import functools

import pytest
from redis_repro import CASE, RULES, SAMPLES, binary_error, main_error, run_case

from tests.repro.harness import require_service, same_headline, sample_test

pytestmark = pytest.mark.slow


@functools.cache
def _problem(server: str) -> str | None:
    if server == "main":
        return main_error()
    if server in ("private", "cluster"):
        return binary_error()
    return None


def _require(case: str) -> None:
    require_service(_problem(CASE[case].server), "run .ci/services.sh")


test_sample_reproduces = sample_test(
    SAMPLES, run_case, RULES, fallback=same_headline, require=_require
)
