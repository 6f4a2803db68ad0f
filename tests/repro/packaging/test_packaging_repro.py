"""Live packaging/import reproductions: real interpreters and pip against a local wheel
directory. Each committed sample must still be what the tools print, and the rules must rank
the right cause first (pos) or not report it at all (neg)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from packaging_cases import CASES, NEEDS, RULES

from tests.repro.harness import call, sample_test
from tests.repro.servers.srvharness import same_key_lines


def _needs(fn: Callable[[], str]) -> None:
    """Skip a case whose interpreter/tool is absent from this machine (CI included)."""
    if fn in NEEDS:
        probe, what = NEEDS[fn]
        if not probe():
            pytest.skip(f"needs {what}")


test_packaging_sample_reproduces = pytest.mark.slow(
    sample_test(CASES, call, RULES, fallback=same_key_lines, require=_needs)
)
