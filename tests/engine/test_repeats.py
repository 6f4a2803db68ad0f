"""Crash loops: the same traceback thousands of times costs little, and counts stay exact."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb_engine import RuleSet
from kb_engine.compiled import compile_pages
from kb_engine.hits import MAX_HITS_PER_SIG
from kb_engine.loader import collect
from kb_engine.matcher import scan_text

_PAGE = """\
id: crash-loop
title: A worker that fails the same way on every request
summary: Fixture page for repeated tracebacks.
causes:
  - id: pool
    title: The pool is exhausted
    explanation: Every request waits for a connection and gives up.
    signatures:
      - {kind: exception, type: PoolTimeout, message: 'pool of (?P<size>\\d+) exhausted',
         weight: 0.6}
      - {kind: frame, module: '^app\\.db$', function: '^checkout$', weight: 0.3}
      - {kind: regex, pattern: 'request \\d+ failed', weight: 0.2}
    fix: [Return connections to the pool.]
    verify: [No more timeouts.]
"""


def _traceback(n: int, detail: bool = False) -> str:
    lines = [f"2026-11-28 10:00:{n % 60:02d} ERROR request {n} failed",
             "Traceback (most recent call last):",
             '  File "/app/web.py", line 10, in handle',
             "    conn = checkout()",
             '  File "/app/db.py", line 42, in checkout',
             "    raise PoolTimeout(size)",
             "app.errors.PoolTimeout: pool of 5 exhausted"]
    if detail:
        lines.append("  while serving /orders")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def rules(tmp_path_factory: pytest.TempPathFactory) -> RuleSet:
    root: Path = tmp_path_factory.mktemp("crash-loop")
    (root / "crash-loop.yaml").write_text(_PAGE)
    pages, errors = collect([root])
    assert not errors
    return RuleSet(compile_pages(pages))


@pytest.mark.parametrize("use_prefilter", [True, False])
def test_every_repeat_is_counted_and_the_first_hits_are_kept(
        rules: RuleSet, use_prefilter: bool) -> None:
    repeats = 3 * MAX_HITS_PER_SIG + 7
    text = "\n".join(_traceback(n) for n in range(repeats))
    scan = scan_text(rules.compiled, text, use_prefilter=use_prefilter)
    assert len(scan.tracebacks) == repeats
    per_block = 7
    for sig in rules.compiled.sigs:
        sh = scan.sig_hits[sig.sid]
        assert sh.count == repeats, sig.kind  # one hit per traceback, none lost
        assert len(sh.hits) == MAX_HITS_PER_SIG  # the first ones, with their lines
        offset = {"exception": 6, "frame": 4, "regex": 0}[sig.kind]
        assert [h.line for h in sh.hits] == [
            n * per_block + offset for n in range(MAX_HITS_PER_SIG)]
        assert all(h.text for h in sh.hits)


def test_a_repeated_traceback_still_gives_its_diagnosis_and_captures(rules: RuleSet) -> None:
    text = "\n".join(_traceback(n, detail=n % 2 == 1) for n in range(200))
    top = rules.diagnose(text).diagnoses[0]
    assert (top.cause, top.captures) == ("pool", {"size": "5"})
    assert {e.signature.split()[0]: e.count for e in top.evidence} == {
        "exception": 200, "frame": 200, "regex": 200}


def test_versions_read_from_repeated_lines_are_those_of_the_distinct_ones(
        rules: RuleSet) -> None:
    site = '  File "/usr/lib/python3.11/site-packages/sqlalchemy/pool/impl.py", line 9, in get'
    lines = [site, "requests==2.31.0", "Python 3.11.4 (main)"] * 50 + ["httpx==0.27.0"]
    scan = scan_text(rules.compiled, "\n".join(lines))
    # the first line naming a version wins, as it does without repeats
    assert scan.versions == {"python": "3.11", "requests": "2.31.0", "httpx": "0.27.0"}
