"""Live Celery reproductions: real workers (prefork) and producers with the Redis broker.

Each committed sample must still be what Celery/kombu print today, and the rules must rank the
right cause first (pos) or not report it at all (neg). The broker is the Redis server from
``.ci/services.sh`` (see celery_repro.py). Without it the tests skip locally and fail under
CI=true.
"""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

import pytest
from celery_repro import RULES, SAMPLES, broker_error, run_case

try:  # `python -m pytest` from the repo root puts it on sys.path
    from tests.support import error_lines, reported_causes, rules, same_error, top_cause
except ImportError:  # pragma: no cover - plain `pytest` from elsewhere
    sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
    from tests.support import error_lines, reported_causes, rules, same_error, top_cause

pytestmark = pytest.mark.slow

capture = functools.cache(run_case)


@functools.cache
def _problem() -> str | None:
    return broker_error()


def _require() -> None:
    problem = _problem()
    if problem is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{problem} (CI must run .ci/services.sh first)")
    pytest.skip(f"{problem}; run .ci/services.sh")


def _headline(text: str) -> str | None:
    return rules().diagnose(text).to_dict()["input"]["headline"]


def _same_error(captured: str, name: str) -> None:
    """support.same_error, or the engine's masked headline for a sample without error lines."""
    sample = RULES / name
    if error_lines(sample.read_text(encoding="utf-8")):
        same_error(captured, sample)
    else:
        assert _headline(captured) == _headline(sample.read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_sample_reproduces(name: str) -> None:
    case, cause, kind = SAMPLES[name]
    _require()
    captured = capture(case)
    _same_error(captured, name)
    if kind == "pos":
        assert top_cause(captured) == cause, captured
    else:
        assert cause not in reported_causes(captured), captured
