"""Live SQLAlchemy reproductions: each committed sample must still be what the library prints,
and the rules must rank the right cause first (pos) or not report it at all (neg)."""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import pytest
from sa_repro import RULES, SAMPLES, run_case

try:  # `python -m pytest` from the repo root puts it on sys.path
    from tests.support import error_lines, reported_causes, same_error, top_cause
except ImportError:  # pragma: no cover - plain `pytest` from elsewhere
    sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
    from tests.support import error_lines, reported_causes, same_error, top_cause

from kb_engine import clean_text, mask

capture = functools.cache(run_case)


def same_output(captured: str, sample: Path) -> None:
    """same_error(), or for samples without exception/error-level lines (warnings, asyncio
    log lines) every masked non-blank line of the sample must appear in the capture."""
    text = sample.read_text(encoding="utf-8")
    if error_lines(text):
        same_error(captured, sample)
        return
    got = {mask(line.strip()) for line in clean_text(captured).split("\n")}
    expected = [mask(line.strip()) for line in clean_text(text).split("\n") if line.strip()]
    missing = [line for line in expected if line not in got]
    assert expected, f"{sample.name} is empty"
    assert not missing, f"{sample.name}: no longer printed:\n  " + "\n  ".join(missing)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_sample_reproduces(name: str) -> None:
    script, cause, kind = SAMPLES[name]
    captured = capture(script)
    same_output(captured, RULES / name)
    if kind == "pos":
        assert top_cause(captured) == cause
    else:
        assert cause not in reported_causes(captured)
