"""Live asyncio reproductions: each committed sample must still be what the library prints,
and the rules must rank the right cause first (pos) or not report it at all (neg)."""

from __future__ import annotations

from aio_repro import RULES, SAMPLES, run_case

from tests.repro.harness import sample_test

test_sample_reproduces = sample_test(SAMPLES, run_case, RULES)
