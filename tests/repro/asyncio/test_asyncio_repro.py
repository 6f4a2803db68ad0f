"""Live asyncio and pytest-asyncio reproductions: each committed sample must still be what
the library prints, and the rules must rank the right cause first
(pos) or not report it at all (neg)."""

from __future__ import annotations

import functools

import pytest
from aio_repro import RULES, SAMPLES, run_case
from support import reported_causes, same_error, top_cause

capture = functools.cache(run_case)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_sample_reproduces(name: str) -> None:
    script, cause, kind = SAMPLES[name]
    captured = capture(script)
    same_error(captured, RULES / name)
    if kind == "pos":
        assert top_cause(captured) == cause
    else:
        assert cause not in reported_causes(captured)
