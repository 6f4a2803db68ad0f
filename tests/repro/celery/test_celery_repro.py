"""Live Celery reproductions: real workers (prefork) and producers with the Redis broker.

Each committed sample must still be what Celery/kombu print today (a sample without error lines
is compared on the engine's masked headline), and the rules must rank the right cause first
(pos) or not report it at all (neg). The broker is the Redis server from ``.ci/services.sh``
(see celery_repro.py). Without it the tests skip locally and fail under CI=true.
"""

from __future__ import annotations

import functools

import pytest
from celery_repro import RULES, SAMPLES, broker_error, run_case

from tests.repro.harness import require_service, same_headline, sample_test

pytestmark = pytest.mark.slow

_problem = functools.cache(broker_error)


def _require(_case: str) -> None:
    require_service(_problem(), "run .ci/services.sh")


test_sample_reproduces = sample_test(
    SAMPLES, run_case, RULES, fallback=same_headline, require=_require
)
