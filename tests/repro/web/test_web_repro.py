"""Live FastAPI/Starlette reproductions against a real uvicorn on 127.0.0.1: each committed
sample must still be what the software prints, and the rules must rank the right cause first
(pos) or not report it at all (neg)."""

from __future__ import annotations

import pytest
from web_cases import CASES, RULES

from tests.repro.harness import call, sample_test
from tests.repro.servers.srvharness import same_key_lines

test_web_sample_reproduces = pytest.mark.slow(
    sample_test(CASES, call, RULES, fallback=same_key_lines)
)
