"""Crash loops: the same traceback thousands of times costs little, and counts stay exact."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb_engine import RuleSet
from kb_engine.compiled import compile_pages
from kb_engine.hits import MAX_HITS_PER_SIG
from kb_engine.loader import collect
from kb_engine.matcher import Scanner, scan_text
from kb_engine.tbmemo import TracebackMemo
from kb_engine.tracebacks import parse_traceback, parse_traceback_at
from kb_engine.windows import WindowLines
from tests.support import rules as bundled
from tests.support import sample_inputs

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


def _without_memo(monkeypatch: pytest.MonkeyPatch) -> None:
    def parse(self: TracebackMemo, lines: WindowLines, start: int) -> object:
        return parse_traceback(lines, start), None
    monkeypatch.setattr(TracebackMemo, "parse", parse)


def _reports(ruleset: RuleSet, text: str, monkeypatch: pytest.MonkeyPatch,
             kept: int | None = None) -> list[object]:
    """The full report and the scan's tracebacks, with the memo and then without it
    (``kept``: that many tracebacks kept, not MAX_TRACEBACKS)."""
    out: list[object] = []
    for memo in (True, False):
        if not memo:
            _without_memo(monkeypatch)
        if kept is not None:
            monkeypatch.setattr("kb_engine.tbmatch.MAX_TRACEBACKS", kept)
        scan = scan_text(ruleset.compiled, text)
        out.append((ruleset.diagnose(text, explain=True, min_confidence=0.0).to_dict(
            explain=True), scan.tracebacks, {k: (v.count, v.hits) for k, v in
                                              scan.sig_hits.items()}))
        monkeypatch.undo()
    return out


def test_the_memo_changes_no_answer_on_any_sample_repeated(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Each sample three times over, then all of them once more: blocks seen once, twice
    # and three times, next to different neighbours.
    texts = [p.read_text(errors="replace") for p in sample_inputs()]
    texts = [t for t in texts if "Traceback" in t]
    assert len(texts) >= 50
    for text in texts:
        with_memo, without = _reports(bundled(), "\n".join([text] * 3), monkeypatch)
        assert with_memo == without
    with_memo, without = _reports(bundled(), "\n".join(texts), monkeypatch)
    assert with_memo == without


def test_a_block_is_reused_only_when_the_line_that_ended_it_is_the_same_too(
        rules: RuleSet, monkeypatch: pytest.MonkeyPatch) -> None:
    # The same traceback, its exception line followed by a continuation of its message
    # (part of the exception) or by a new record (which ends it): a memo keyed on the
    # traceback's own lines alone would give the first answer to both.
    variants = [_traceback(1) + "\n  while serving /orders",
                _traceback(1) + "\n2026-11-28 10:00:01 INFO next request"]
    text = "\n".join(variants[n % 3 == 0] for n in range(12))
    with_memo, without = _reports(rules, text, monkeypatch)
    assert with_memo == without
    details = {tuple(tb.exceptions[-1].detail) for tb in with_memo[1]}  # type: ignore[index]
    assert details == {(), ("while serving /orders",)}


def _count_parses(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The header lines the memo hands to the parser (the others it copied), in order."""
    parsed: list[int] = []

    def counted(lines: WindowLines, start: int) -> object:
        parsed.append(start)
        return parse_traceback_at(lines, start)

    monkeypatch.setattr("kb_engine.tbmemo.parse_traceback_at", counted)
    return parsed


def test_a_crash_loop_is_parsed_twice_and_copied_after(
        rules: RuleSet, monkeypatch: pytest.MonkeyPatch) -> None:
    parsed = _count_parses(monkeypatch)
    text = "\n".join(_traceback(n) for n in range(100))
    Scanner(rules.compiled).scan([text.encode()])
    # Each traceback ends at the next one's first line, a new record whose time stamp
    # differs every time: the first two are parsed, then copies, but for the last one
    # (no record after it, so no copy: the end of the input might have continued it).
    assert parsed == [1, 8, 99 * 7 + 1]


def test_remembered_message_captures_belong_to_their_own_message(rules: RuleSet) -> None:
    text = "\n".join(_traceback(n).replace("pool of 5", f"pool of {n % 3 + 5}")
                     for n in range(12))
    scan = scan_text(rules.compiled, text)
    sig = next(s for s in rules.compiled.sigs if s.kind == "exception")
    hits = scan.sig_hits[sig.sid].hits
    assert [h.captures for h in hits] == [{"size": str(n % 3 + 5)} for n in range(12)]
    assert len({id(h.captures) for h in hits}) == 12  # each hit owns its dict


@pytest.mark.parametrize("kept", [0, 1, 10])
def test_copies_past_the_kept_tracebacks_still_count_every_hit(
        rules: RuleSet, monkeypatch: pytest.MonkeyPatch, kept: int) -> None:
    # Copies only kept while tracebacks are kept; their hits come from one plan per block.
    text = "\n".join(_traceback(n) for n in range(3 * MAX_HITS_PER_SIG))
    with_memo, without = _reports(rules, text, monkeypatch, kept)
    assert with_memo == without
    monkeypatch.setattr("kb_engine.tbmatch.MAX_TRACEBACKS", kept)
    planned: list[int] = []
    original = Scanner._plan

    def counted(self: Scanner, tb: object) -> object:
        planned.append(1)
        return original(self, tb)  # type: ignore[arg-type]

    monkeypatch.setattr(Scanner, "_plan", counted)
    scan = scan_text(rules.compiled, text)
    assert [tb.first_line for tb in scan.tracebacks] == [n * 7 + 1 for n in range(kept)]
    assert {sh.count for sh in scan.sig_hits.values()} == {3 * MAX_HITS_PER_SIG}
    # parsed: the first, the second and the last; planned once more, at the first copy
    assert len(planned) == 4


_VERSION_RESTS = [
    "requests==2.31.0", "  httpx==0.27.0  ", "==1.0", "a==1", "1.0.dist-info", "-1.0.dist-info",
    "foo-1.2.dist-info/METADATA", "Z-1.dist-info", "Python 3.11.4 (main)", "python/3.12.1",
    'File "/usr/lib/python3.11/site-packages/x.py", line 3', "-packages/", "1-packages/",
    "Successfully installed a-1.0 b_c-2.0", "CPython 3.10.2", "T==2", "", "plain text"]


def test_a_stamped_line_names_what_its_rest_names_behind_any_stamp() -> None:
    import random

    from kb_engine.versions import STAMP, find_versions

    rng = random.Random(3)
    for _ in range(3000):
        rest = rng.choice(_VERSION_RESTS)
        if rng.random() < 0.5:
            rest = rng.choice(_VERSION_RESTS) + rng.choice([" ", "", "\t"]) + rest
        stamps = ["".join([rng.choice("0123456789"), *rng.choices("0123456789:.TZ+-", k=k)])
                  for k in (rng.randrange(30), rng.randrange(30))]
        blank = rng.choice([" ", "\t"])
        lines = [s + blank + rest for s in stamps]
        assert [STAMP.match(x.encode()).end() for x in lines] == [len(s) for s in stamps]
        assert find_versions(lines[0]) == find_versions(lines[1]), lines


def test_versions_behind_ci_stamps_are_those_of_every_line_read() -> None:
    import random

    from kb_engine.versions import find_versions

    rng = random.Random(4)
    lines = []
    for k in range(3000):
        rest = rng.choice(_VERSION_RESTS)
        lines.append(f"2026-11-28T10:00:{k % 60:02d}.{k:07d}Z {rest}" if k % 3 else rest)
    text = "\n".join(lines)
    expected: dict[str, str] = {}
    for line in lines:
        find_versions(line, expected)
    assert scan_text(bundled().compiled, text).versions == expected
    assert expected  # the test reads versions at all


def _ci_stamped(text: str, seed: int) -> str:
    """``text`` as a CI runner stores it: every line behind its own time stamp."""
    import random

    rng = random.Random(seed)
    return "\n".join(f"2026-11-28T10:{k // 60 % 60:02d}:{k % 60:02d}.{rng.randrange(10**7):07d}Z"
                     f" {line}" for k, line in enumerate(text.split("\n")))


def test_the_memo_changes_no_answer_on_any_stamped_sample_repeated(
        monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [p.read_text(errors="replace") for p in sample_inputs()]
    texts = [t for t in texts if "Traceback" in t]
    for n, text in enumerate(texts):
        stamped = "\n".join(_ci_stamped(text, 3 * n + k) for k in range(3))
        with_memo, without = _reports(bundled(), stamped, monkeypatch)
        assert with_memo == without
    everything = "\n".join(_ci_stamped(t, n) for n, t in enumerate(texts))
    with_memo, without = _reports(bundled(), everything, monkeypatch)
    assert with_memo == without


def test_a_stamped_crash_loop_is_parsed_three_times_and_copied_after(
        rules: RuleSet, monkeypatch: pytest.MonkeyPatch) -> None:
    parsed = _count_parses(monkeypatch)
    text = _ci_stamped("\n".join(_traceback(n) for n in range(100)), 1)
    scan = Scanner(rules.compiled)
    scan.scan([text.encode()])
    # the first traceback of a prefix shape keeps no block (TracebackMemo._first_of_shape)
    assert parsed == [1, 8, 15, 99 * 7 + 1]
    assert scan.result().sig_hits[0].count == 100


def test_stamped_blocks_are_reused_only_where_the_parser_reads_the_same_lines(
        rules: RuleSet, monkeypatch: pytest.MonkeyPatch) -> None:
    # Each variant differs from the plain stamped traceback in what a prefix-blind memo
    # (or one whose pattern took a newline or a Unicode digit) would miss.
    base = _traceback(1).split("\n")

    def stamped(k: int, line: str, stamp: str = "") -> str:
        return (stamp or f"2026-11-28T10:00:{k:02d}.{k * 7919 % 10**7:07d}Z") + " " + line

    plain = [stamped(k, line) for k, line in enumerate(base)]
    variants = [
        plain,
        [*plain[:4], base[4], *plain[5:]],  # a frame line without its stamp
        [*plain[:3], stamped(3, "")[:-1], *plain[3:]],  # a stamp alone on its line
        [*plain[:6], stamped(6, base[6], "2026-11-28T10:00:06Z")],  # another stamp shape
        [*plain[:6], stamped(6, base[6]).replace("Z ", "Z\xa0")],  # a no-break space
        [*plain[:6], stamped(6, "٣" + base[6])],  # an Arabic-Indic digit after it
        [*plain[:6], stamped(6, base[6]).replace("Z ", "Z+01:00 ")],  # a zone after it
        [*plain[:6], stamped(6, base[6] + "\x00")],  # a NUL byte
        [*plain[:6], stamped(6, base[6]), stamped(7, "  while serving /orders")],
        [*plain[:6], stamped(6, base[6]), "  while serving /orders"],  # unstamped detail
    ]
    for first in range(len(variants)):
        order = [first] * 3 + [n % len(variants) for n in range(4 * len(variants))]
        text = "\n".join("\n".join(variants[v]) for v in order)
        with_memo, without = _reports(rules, text, monkeypatch)
        assert with_memo == without, first


def test_prefix_forms_keep_every_line_apart() -> None:
    from kb_engine.tbmemo import _nul_prefixes
    from kb_engine.tracebacks import log_prefix

    prefix = log_prefix("2026-11-28T10:00:00.0000001Z Traceback (most recent call last):")
    assert prefix is not None
    data = b"2026-11-28T10:00:00.1Z\n2026-11-28T10:00:00.2Z \n\n2026-11-28T10:00:00.3Z x\n"
    assert _nul_prefixes(prefix.pattern, data) == b"\0\n\0 \n\n\0 x\n"


_DENSE_PAGE = """\
id: dense
title: Lines a busy log repeats
summary: Fixture page for signatures past their caps.
causes:
  - id: pool
    title: The pool is exhausted
    explanation: Every request waits for a connection and gives up.
    signatures:
      - {kind: regex, pattern: 'QueuePool limit of size \\d+ overflow', weight: 0.6}
      - kind: lines
        patterns: ['site-packages/sqlalchemy/', 'in run_endpoint_function$']
        window: 5
        weight: 0.3
    fix: [Return connections to the pool.]
    verify: [No more timeouts.]
"""


@pytest.mark.parametrize("extra", ["", "caf\u00e9 ", "x" * (70 * 1024)],
                         ids=["ascii", "non-ascii", "long-line"])
def test_signatures_past_their_caps_give_the_answers_of_confirming_every_line(
        tmp_path: Path, extra: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # ASCII windows with short lines take the path that confirms nothing and counts the
    # rest at once; a non-ASCII character or a line past MAX_LINE_BYTES takes the other.
    (tmp_path / "dense.yaml").write_text(_DENSE_PAGE)
    pages, errors = collect([tmp_path])
    assert not errors
    ruleset = RuleSet(compile_pages(pages))
    block = ['  File "/venv/site-packages/sqlalchemy/pool.py", line 9, in get',
             '  File "/venv/site-packages/fastapi/routing.py", line 5, in run_endpoint_function',
             "sqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 10 reached"]
    text = "\n".join(f"{n} {extra if n == 77 else ''}{line}"
                     for n in range(5 * MAX_HITS_PER_SIG) for line in block)
    fast = scan_text(ruleset.compiled, text)
    slow = scan_text(ruleset.compiled, text, use_prefilter=False)
    assert {k: (v.count, v.hits) for k, v in fast.sig_hits.items()} == {
        k: (v.count, v.hits) for k, v in slow.sig_hits.items()}
    assert {s.sid: s.kind for s in ruleset.compiled.sigs if fast.sig_hits.get(s.sid)} == {
        0: "regex", 1: "lines"}
    # signatures see a line's first MAX_LINE_BYTES: past them the long line's match is lost
    assert fast.sig_hits[0].count == 5 * MAX_HITS_PER_SIG - (len(extra) > 65536)
    explained = [ruleset.diagnose(text, explain=True, use_prefilter=p).to_dict(explain=True)
                 for p in (True, False)]
    assert explained[0] == explained[1]
    # A "lines" pattern keeps its first MAX_LINE_HITS lines and confirms none after them.
    monkeypatch.setattr("kb_engine.matcher.MAX_LINE_HITS", 7)
    for use_prefilter in (True, False):
        scanner = Scanner(ruleset.compiled, use_prefilter=use_prefilter)
        scanner.feed([text.encode()])
        assert {k: v for k, v in scanner.line_hits.items()} == {
            (1, 0): [3 * n for n in range(7)], (1, 1): [3 * n + 1 for n in range(7)]}


@pytest.mark.parametrize(("prefix", "glued"), [("2026-11-28T10:00:00.{n:07d}Z ", True),
                                               ("pkg{n}-1.0.dist-info ", False)])
def test_versions_in_prefixed_copies_are_read_unless_the_prefix_cannot_name_one(
        rules: RuleSet, monkeypatch: pytest.MonkeyPatch, prefix: str, glued: bool) -> None:
    # A message line glued to a CI stamp, or a prefix that is a version source itself:
    # the lines of copies name new packages (the prefix's digits are part of the name).
    def block(n: int) -> list[str]:
        lines = _traceback(n).split("\n")[1:]
        lines.append("x7-1.0.dist-info")  # the message goes on (glued to a stamp)
        lines.append(f"2026-11-28 10:00:{n % 60:02d} INFO next")  # a new record
        return lines

    lines = [line for n in range(40) for line in block(n)]
    text = "\n".join((prefix.format(n=k).rstrip() if glued and line.startswith("x7") else
                      prefix.format(n=k)) + line for k, line in enumerate(lines))
    with_memo, without = _reports(rules, text, monkeypatch)
    assert with_memo == without
    names = with_memo[0]["input"]["versions"]  # type: ignore[index]
    assert len(names) >= 40, names  # one per copy at least: each was read
    parsed = _count_parses(monkeypatch)
    scan_text(rules.compiled, text)
    assert len(parsed) < 10  # the copies came from the memo


def test_kept_copies_of_deep_chained_tracebacks_are_trimmed_as_parsed_ones(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # A copy is made from the block's traceback trimmed once (30 frames, a chain of 50):
    # the kept copies hold what trimming each parsed one holds, lines and all.
    from kb_engine.tbmatch import KEPT_EXCEPTIONS, KEPT_FRAMES

    frames = [f'  File "/app/walk.py", line {k + 1}, in step_{k}\n    step()'
              for k in range(3 * KEPT_FRAMES)]
    deep = "\n".join(["Traceback (most recent call last):", *frames,
                      "RecursionError: maximum recursion depth exceeded"])
    link = "\n\nDuring handling of the above exception, another exception occurred:\n\n"
    chain = link.join(f"Traceback (most recent call last):\n{frames[k % 5]}\n"
                      f"KeyError: 'k{k}'" for k in range(5 * KEPT_EXCEPTIONS // 2))
    text = "\n".join(f"2026-11-28 ERROR request {n}\n{deep}\nINFO next\n{chain}"
                     for n in range(6))
    with_memo, without = _reports(bundled(), text, monkeypatch)
    assert with_memo == without
    kept = with_memo[1]
    assert len(kept) == 12  # type: ignore[arg-type]
    assert {len(tb.exceptions[0].frames) for tb in kept[::2]} == {2 * KEPT_FRAMES}  # type: ignore[index]
    assert {len(tb.exceptions) for tb in kept[1::2]} == {2 * KEPT_EXCEPTIONS}  # type: ignore[index]
