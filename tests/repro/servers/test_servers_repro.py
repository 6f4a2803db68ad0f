"""Live uvicorn/gunicorn reproductions with real server processes on 127.0.0.1: each committed
sample must still be what the software prints, and the rules must rank the right cause first
(pos) or not report it at all (neg)."""

from __future__ import annotations

import functools

import pytest
from servers_cases import CASES, RULES
from srvharness import same_output
from support import reported_causes, top_cause

_run = functools.cache(lambda fn: fn())


def capture(name: str) -> str:
    return _run(CASES[name][0])


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CASES))
def test_servers_sample_reproduces(name: str) -> None:
    _, cause, kind = CASES[name]
    captured = capture(name)
    same_output(captured, RULES / name)
    if kind == "pos":
        assert top_cause(captured) == cause
    else:
        assert cause not in reported_causes(captured)
