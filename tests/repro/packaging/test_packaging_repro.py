"""Live packaging/import reproductions: real interpreters and pip against a local wheel
directory. Each committed sample must still be what the tools print, and the rules must rank
the right cause first (pos) or not report it at all (neg)."""

from __future__ import annotations

import functools

import pytest
from packaging_cases import CASES, NEEDS, RULES
from srvharness import same_output
from support import reported_causes, top_cause

_run = functools.cache(lambda fn: fn())


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CASES))
def test_packaging_sample_reproduces(name: str) -> None:
    fn, cause, kind = CASES[name]
    if fn in NEEDS:
        probe, what = NEEDS[fn]
        if not probe():
            pytest.skip(f"needs {what}")
    captured = _run(fn)
    same_output(captured, RULES / name)
    if kind == "pos":
        assert top_cause(captured) == cause
    else:
        assert cause not in reported_causes(captured)
