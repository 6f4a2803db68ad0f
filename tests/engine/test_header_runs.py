"""Runs of traceback headers cost one parse each, over their own lines only.

A header read before any exception ends the parse (the traceback starts there), and a
header is the last thing on its line. Before this, a log of bare headers cost one parse
per header over the same lines: 1 MB of ``Traceback (most recent call last):`` lines took
about a minute, and the time grew with the square of the run (up to the 5,000-line cap).
"""

from __future__ import annotations

import random

import pytest

from kb_engine import tbmemo, tbscan
from kb_engine.loader import load_rules
from kb_engine.matcher import scan_text
from kb_engine.ruleset import RuleSet
from kb_engine.tbtypes import Lines, Traceback
from kb_engine.tracebacks import HEADER, _opening, log_prefix, parse_traceback

FRAME = '  File "/app/a.py", line 3, in f'


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rules()


def test_a_header_before_any_exception_ends_the_parse() -> None:
    lines = [HEADER, HEADER, FRAME, "ValueError: x"]
    assert parse_traceback(lines, 0) is None
    tb = parse_traceback(lines, 1)
    assert tb is not None and (tb.first_line, tb.last_line) == (1, 3)
    # two replicas' tracebacks interleaved: each found at its own header, with its prefix
    mixed = ["web-1  | " + HEADER, "web-2  | " + HEADER, "web-2  | " + FRAME,
             "web-2  | KeyError: 'k'"]
    assert parse_traceback(mixed, 0) is None
    tb = parse_traceback(mixed, 1)
    assert tb is not None and tb.final is not None and tb.final.type == "KeyError"


def test_a_header_after_an_exception_still_continues_the_traceback() -> None:
    lines = [HEADER, FRAME, "ValueError: a", HEADER, FRAME, "KeyError: b"]
    tb = parse_traceback(lines, 0)
    assert tb is not None and [e.type for e in tb.exceptions] == ["ValueError", "KeyError"]


def test_a_header_ends_its_line() -> None:
    assert parse_traceback([HEADER + " x", FRAME, "ValueError: x"], 0) is None
    assert log_prefix(HEADER + " x") is None
    tb = parse_traceback([HEADER + "  ", FRAME, "ValueError: x"], 0)  # trailing blanks
    assert tb is not None and tb.final is not None and tb.final.message == "x"


def _lines_read(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Lines each parse the memo hands to the parser reads (header included)."""
    read: list[int] = []
    real = tbmemo.parse_traceback_at

    def counting(lines: Lines, start: int) -> tuple[Traceback | None, int, bool]:
        got = real(lines, start)
        if _opening(lines[start]) is None:  # no header: only that line is read
            read.append(1)
        else:  # -1: the lines or the cap ran out
            stop = got[1] if got[1] >= 0 else min(len(lines), start + 5000) - 1
            read.append(stop - start + 1)
        return got

    monkeypatch.setattr(tbmemo, "parse_traceback_at", counting)
    return read


_RUNS = {
    "bare headers": lambda k: [HEADER],
    "headers and frames": lambda k: [HEADER, FRAME],
    "group headers": lambda k: ["  + Exception Group " + HEADER],
    "text after the header, each prefix new": lambda k: [f"  x{_word(k)} {HEADER}: y"],
    "each prefix new": lambda k: [f"{_word(k)} | {HEADER}"],
    "two prefixes": lambda k: [f"web-a | {HEADER}", f"web-b | {HEADER}"],
    "groups with sub-tracebacks": lambda k: [
        "Exception Group " + HEADER, "  +---------------- 1 ----------------",
        "    | " + HEADER],
    "time stamps": lambda k: [f"2026-11-28T10:00:00.{k:07d}Z {HEADER}"],
}


def _word(k: int) -> str:
    return "".join(chr(97 + int(d)) for d in str(k))  # no digits: a new prefix shape each


@pytest.mark.parametrize("name", sorted(_RUNS))
def test_runs_of_headers_are_read_about_once(
        name: str, rules: RuleSet, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = [text for k in range(6000) for text in _RUNS[name](k)] + ["INFO done"]
    # The parser's own bound: without the C pre-pass (kb_engine.tbscan), which leaves
    # these headers unparsed and reads no more lines than the parser would.
    monkeypatch.setattr(tbscan, "_may_parse", None)
    read = _lines_read(monkeypatch)
    rules.diagnose("\n".join(lines))
    assert read, "the headers were parsed"
    assert sum(read) <= 2 * len(lines) + 10, (name, sum(read), len(read))


_VOCABULARY = [
    HEADER, HEADER, f"2026-11-28 10:00:0{{d}} ERROR {HEADER}",
    '2026-11-28 10:00:0{d} ERROR   File "/app/a.py", line {d}, in f',
    "2026-11-28 10:00:0{d} ERROR ValueError: stamped {d}", f"web-{{d}}  | {HEADER}",
    'web-{d}  |   File "/app/b.py", line 3, in g', "web-{d}  | KeyError: 'k'",
    f"  + Exception Group {HEADER}", f"Exception Group {HEADER}", f"    | {HEADER}",
    f"  x {HEADER}: y", '  File "/app/a.py", line {d}, in f',
    '    |   File "/app/c.py", line 9, in h', "    return f()", "    ^^^^^^^^",
    "ValueError: bad {d}", "    | ValueError: in a group {d}",
    "  +---------------- 1 ----------------", "  +------------------------------------",
    "ExceptionGroup: two (2 sub-exceptions)", "",
    "During handling of the above exception, another exception occurred:",
    "The above exception was the direct cause of the following exception:",
    "2026-11-28 10:00:01 INFO ok", "INFO next record", "a continuation of the message",
]


def _reference(text: str) -> list[tuple[int, int, list[str]]]:
    """Every header parsed on its own, skipping the lines of tracebacks found before."""
    lines = text.split("\n")
    out, covered = [], -1
    for i, line in enumerate(lines):
        if HEADER not in line or i <= covered:
            continue
        tb = parse_traceback(lines, i)
        if tb is not None:
            out.append((tb.first_line, tb.last_line, [f"{e.type}: {e.message}"
                                                      for e in tb.exceptions]))
            covered = tb.last_line
    return out


def test_the_scanner_finds_the_tracebacks_parsing_every_header_finds(rules: RuleSet) -> None:
    rng = random.Random(5)
    found = 0
    for _ in range(40):
        lines: list[str] = []
        while len(lines) < 300:  # runs of headers drawn often
            text = rng.choice(_VOCABULARY).replace("{d}", str(rng.randrange(3)))
            lines += [text] * (rng.randrange(1, 6) if HEADER in text else 1)
        text = "\n".join(lines)
        got = [(tb.first_line, tb.last_line, [f"{e.type}: {e.message}" for e in tb.exceptions])
               for tb in scan_text(rules.compiled, text).tracebacks]
        assert got == _reference(text)
        found += len(got)
    assert found > 100


_PREFIX_TEXTS = ["2026-11-28T10:00:00.0000017Z", "web-1  |", "[pod/web-7d9f8b6c5-x2k4q/web]",
                 "12:00:01 ERROR", "x", "a1b22c333", "١٢-٣", "2026-11-28 10:00:00,123 - app -"]


def test_a_first_seen_prefix_matches_as_its_compiled_pattern() -> None:
    import re

    from kb_engine.prefixes import _SPLIT, FirstPrefix, prefix_shape

    rng = random.Random(9)
    alphabet = "0123456789٣ -:.TZ|[]/abcxyz\t\u00a0"
    heads = _PREFIX_TEXTS + ["".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 12)))
                             for _ in range(300)]
    compared = 0
    for head in heads:
        shape = prefix_shape(head, count=False)
        if shape is None:  # blank
            continue
        slow = FirstPrefix(shape.pattern, _SPLIT.split(head.rstrip()))
        compiled = re.compile(shape.pattern)
        for _ in range(40):
            cut = rng.randrange(len(head) + 1)
            text = head[:cut] + "".join(rng.choice(alphabet) for _ in range(rng.randrange(8)))
            for probe in (text, head + " rest", head, rng.choice(_PREFIX_TEXTS) + " z"):
                m, got = compiled.match(probe), slow.match(probe)
                assert (m is None) == (got is None), (head, probe)
                assert m is None or got is None or m.end() == got.end(), (head, probe)
                compared += m is not None
    assert compared > 3000


def test_a_new_prefix_on_every_header_compiles_no_pattern(
        rules: RuleSet, monkeypatch: pytest.MonkeyPatch) -> None:
    from kb_engine import prefixes

    monkeypatch.setattr(prefixes, "_compiled", {})
    monkeypatch.setattr(prefixes, "_seen", set())
    lines = [f"{_word(k)}x | {HEADER}" for k in range(3000)]
    rules.diagnose("\n".join(lines))
    assert prefixes._compiled == {}
    one = ["qq | " + HEADER, "qq | " + FRAME, "qq | ValueError: x", "INFO next"]
    rules.diagnose("\n".join(one * 2))  # a shape the parser sees twice is compiled
    assert list(prefixes._compiled) == [r"^qq\ \|\s?"]


def test_a_header_on_the_next_line_ends_the_parse_as_header_follows_says() -> None:
    from kb_engine.tracebacks import header_follows, parse_traceback_at

    rng = random.Random(13)
    # prefixes that take part of the next line's header, or all of it
    vocabulary = [*_VOCABULARY, f"Traceback (most {HEADER}", f"{HEADER}\u00a0",
                  f"{HEADER} {HEADER}", f"2026-11-28 10:00:0{{d}} ERROR Traceback (most {HEADER}"]
    said = 0
    for _ in range(3000):
        lines = [rng.choice(vocabulary).replace("{d}", str(rng.randrange(3))) for _ in range(3)]
        if header_follows(lines, 0):
            assert parse_traceback_at(lines, 0) == (None, 1, False), lines
            said += 1
    assert said > 300


def _long_chain(n: int) -> list[str]:
    lines: list[str] = []
    for k in range(n):
        lines += [HEADER, f'  File "/app/a.py", line {k + 1}, in step_{k}',
                  f"ValueError: step {k}"]
    return lines


# 60 chained errors, then a group of 15 groups of two: its final exception is the
# 62nd of 107, 45 sub-exceptions follow it (CPython's own output).
_GROUPED = """
def chain(n):
    try:
        if n == 0:
            raise ValueError("bottom")
        chain(n - 1)
    except ValueError as e:
        raise ValueError(f"step {n}") from e
try:
    chain(59)
except ValueError:
    raise ExceptionGroup("many", [ExceptionGroup(f"g{j}", [KeyError(j), OSError(j)])
                                  for j in range(15)])
"""


def _grouped() -> list[str]:
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-c", _GROUPED], capture_output=True, text=True,
                         timeout=60)
    return run.stderr.splitlines()


def test_kept_tracebacks_keep_what_a_report_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    from kb_engine import tbmatch
    from kb_engine.tbmatch import KEPT_EXCEPTIONS, KEPT_FRAMES, trim_traceback

    chain = parse_traceback(_long_chain(300), 0)
    assert chain is not None and len(chain.exceptions) == 300
    final = chain.final
    trim_traceback(chain)
    assert len(chain.exceptions) == 2 * KEPT_EXCEPTIONS and chain.final is final
    grouped_lines = _grouped()
    grouped = parse_traceback(grouped_lines, 0)
    assert grouped is not None and grouped.final is not None
    final = grouped.final
    assert final.type == "ExceptionGroup" and grouped.exceptions[-1] is not final
    trim_traceback(grouped)
    assert grouped.final is final and len(grouped.exceptions) == 2 * KEPT_EXCEPTIONS + 1
    deep = parse_traceback([HEADER, *[FRAME.replace("3", str(k)) for k in range(900)],
                            "RecursionError: deep"], 0)
    assert deep is not None and deep.final is not None
    inner = deep.final.frames[-3:]
    trim_traceback(deep)
    assert len(deep.final.frames) == 2 * KEPT_FRAMES and deep.final.frames[-3:] == inner
    rules = load_rules()
    lines = [*_long_chain(1600), "INFO next", *grouped_lines * 2, "INFO next",
             *_long_chain(100), "INFO end"]
    trimmed = rules.diagnose("\n".join(lines)).to_dict()
    monkeypatch.setattr(tbmatch, "KEPT_EXCEPTIONS", 10**6)
    monkeypatch.setattr(tbmatch, "KEPT_FRAMES", 10**6)
    assert rules.diagnose("\n".join(lines)).to_dict() == trimmed
