"""The prefilter without Hyperscan (RE2 finds the lines, Aho-Corasick names the literals)
must propose exactly the lines the reference rule proposes: a line is a candidate for an
entry's probes iff it holds one of the entry's literals (caseless ones after ASCII
``bytes.lower()``)."""

from __future__ import annotations

import pickle
import random
import sys
from pathlib import Path

import pytest

from kb_engine import RuleSet, cleanup
from kb_engine import prefilter as pf
from kb_engine.cleanup import clean_bytes
from kb_engine.compiled import compile_pages
from kb_engine.fallback import (
    SMALL_WINDOW,
    AhoCorasickPrefilter,
    Re2LiteralPrefilter,
    present_literals,
)
from kb_engine.loader import bundled_rules_dir, collect
from tests.support import PACKS
from tests.support import sample_inputs as _inputs


def _reference(entries: list[pf.Entry], window: bytes) -> tuple[dict[int, set[int]], int]:
    """The rule itself, line by line."""
    out: dict[int, set[int]] = {}
    lines = window.split(b"\n")
    for n, line in enumerate(lines):
        lowered = line.lower()
        for e in entries:
            hay = lowered if e.caseless else line
            if any(lit in hay for lit in e.literals):
                for pid in e.ids:
                    out.setdefault(pid, set()).add(n)
    return out, len(lines)


def _check(pre: pf.Prefilter, window: bytes) -> dict[int, set[int]]:
    cands, n_lines = pre.candidates(window)
    want, want_lines = _reference(pre.entries, window)
    got = {pid: set(found) for pid, found in cands.items()}
    assert got == want
    assert n_lines == want_lines
    starts = [0]
    for i, c in enumerate(window):
        if c == 10:
            starts.append(i + 1)
    ends = [s - 1 for s in starts[1:]] + [len(window)]
    for found in cands.values():
        for line, offset in found.items():
            assert starts[line] <= offset < max(ends[line], starts[line] + 1), (line, offset)
    return got


def _table(exact: list[str], caseless: list[str]) -> pf.LiteralTable:
    table = pf.LiteralTable()
    for i, lit in enumerate(exact):
        table.add(lit, i, False)
    for i, lit in enumerate(caseless):
        table.add(lit, 100 + i, True)
    return table


def test_build_without_hyperscan_gives_the_re2_backend() -> None:
    pre = pf.build(_table(["boom"], ["quiet"]), prefer_hyperscan=False)
    assert type(pre) is Re2LiteralPrefilter


CRAFTED = [
    b"",
    b"\n",
    b"\n\n\n",
    b"boom",
    b"boom\n",
    b"\nboom",
    b"xx\n\nboom\n\n\nyy boom\n",
    b"abcd",  # overlapping literals: abc, bcd, abcd, cd
    b"xabcx\nxbcdx\nabcd\ncd",
    b"QUIET\nQuiet please\nqUiEt\nquie t",
    b"Caf\xc3\xa9 CAF\xc3\x89 caf\xc3\xa9",  # non-ASCII: only ASCII letters fold
    b"\xff\xfe\xfd boom \xc3\x28\n\x00\x00 a.b*c\n(x|y)[z]\n",
    b"a.b*c(x|y)[z]^$\\",
    b"boom" * 50 + b"\n" + b"tail quiet",
    b"\xe0GREEK\xc0 \xe0greek\xe0",  # Latin-1 case partners are not ASCII-folded
]
EXACT = ["boom", "abc", "bcd", "abcd", "cd", "a.b*c", "(x|y)[z]", "\xff\xfe", "\x00",
         "^$\\", "Caf\xe9"]
CASELESS = ["quiet", "caf\xe9", "\xe0greek"]


@pytest.mark.parametrize("window", CRAFTED, ids=range(len(CRAFTED)))
def test_crafted_windows(window: bytes) -> None:
    pre = pf.build(_table(EXACT, CASELESS), prefer_hyperscan=False)
    assert isinstance(pre, Re2LiteralPrefilter)
    _check(pre, window)


def test_crafted_windows_are_really_proposed() -> None:
    # The reference could be wrong in the same way as the backend: pin some answers.
    pre = pf.build(_table(EXACT, CASELESS), prefer_hyperscan=False)
    got = _check(pre, b"xabcx\nxbcdx\nabcd\ncd")
    assert got[1] == {0, 2} and got[2] == {1, 2} and got[3] == {2} and got[4] == {1, 2, 3}
    got = _check(pre, b"QUIET\nQuiet please\nqUiEt\nquie t")
    assert got[100] == {0, 1, 2}
    got = _check(pre, b"Caf\xc3\xa9 CAF\xc3\x89\nCAF\xc3\x89\ncAf\xc3\xa9")
    assert got[101] == {0, 2}  # "CAFÉ" is not "café" after ASCII lowering
    assert got[10] == {0}


def test_random_windows_against_the_reference() -> None:
    rng = random.Random(7)
    alphabet = [b"a", b"b", b"c", b"A", b"B", b"\n", b"\n", b" ", b"\xc3", b"\xa9", b"\xff"]
    pre = pf.build(_table(["ab", "ba", "abc", "cab", "\xff"], ["abc", "bb", "c\xe9"]),
                   prefer_hyperscan=False)
    for _ in range(3000):
        window = b"".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        _check(pre, window)


def test_literals_spanning_lines_or_empty_are_handled() -> None:
    table = _table(["foo\nbar", "zzz"], [])
    pre = pf.build(table, prefer_hyperscan=False)
    assert isinstance(pre, Re2LiteralPrefilter)
    cands, n = pre.candidates(b"x\nfoo\nbar zzz\nfoo\n")
    assert n == 5
    assert set(cands[0]) == {1}  # the line where it starts: no single line matches anyway
    assert set(cands[1]) == {2}
    only_odd = pf.build(_table(["a\nb"], []), prefer_hyperscan=False)
    assert {k: set(v) for k, v in only_odd.candidates(b"a\nb\na")[0].items()} == {0: {0}}
    assert only_odd.candidates(b"x\ny")[1] == 2


def test_pathological_window_is_named_line_by_line(monkeypatch: pytest.MonkeyPatch) -> None:
    pre = pf.build(_table(["boom", "never"], ["quiet"]), prefer_hyperscan=False)
    assert isinstance(pre, Re2LiteralPrefilter)
    used: list[int] = []
    original = pre._per_line
    monkeypatch.setattr(pre, "_per_line", lambda *a: used.append(1) or original(*a))
    window = b"\n".join([b"boom" * 300_000, b"", b"QUIET and boom", b"tail"])
    assert _check(pre, window) == {0: {0, 2}, 100: {2}}
    assert used
    used.clear()
    _check(pre, b"boom\nquiet\n" * 10)
    assert not used
    monkeypatch.setattr("kb_engine.prefilter._budget", lambda window: 3)
    _check(pre, b"boom\nquiet\n" * 10)
    assert used


def test_pickled_backend_answers_the_same() -> None:
    pre = pf.build(_table(EXACT, CASELESS), prefer_hyperscan=False)
    state = pre.__getstate__()  # type: ignore[attr-defined]
    assert "_end_of" not in state
    copy = pickle.loads(pickle.dumps(pre))
    assert isinstance(copy, Re2LiteralPrefilter)
    for window in CRAFTED:
        assert copy.candidates(window) == pre.candidates(window)
    assert copy._end_of is None  # small windows (pastes) do not pay for compiling RE2
    big = b"\n".join(CRAFTED) * (SMALL_WINDOW // 100)
    assert len(big) >= SMALL_WINDOW
    assert copy.candidates(big) == pre.candidates(big)
    assert copy._end_of is not None
    _check(copy, big)


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    pages, errors = collect([bundled_rules_dir(), PACKS[1]])
    assert not errors
    compiled = compile_pages(pages, prefer_hyperscan=False)
    assert type(compiled.prefilter) is Re2LiteralPrefilter
    return RuleSet(compiled)


@pytest.mark.parametrize("path", _inputs(), ids=lambda p: p.name)
def test_sample_logs_same_lines_as_the_reference(rules: RuleSet, path: Path) -> None:
    window = clean_bytes(path.read_bytes())
    pre = rules.compiled.prefilter
    _check(pre, window)
    automaton = AhoCorasickPrefilter.candidates(pre, window)  # the backend it replaces
    cands, n = pre.candidates(window)
    assert {k: set(v) for k, v in cands.items()} == {k: set(v) for k, v in automaton[0].items()}
    assert n == automaton[1]


def test_sample_logs_same_reports_as_without_prefilter(rules: RuleSet) -> None:
    for path in _inputs():
        text = path.read_text(encoding="utf-8", errors="replace")
        fast = rules.diagnose(text, explain=True, min_confidence=0.0).to_dict(explain=True)
        slow = rules.diagnose(text, explain=True, min_confidence=0.0,
                              use_prefilter=False).to_dict(explain=True)
        assert fast == slow, path.name


# -- cleanup markers without Hyperscan --------------------------------------------------------
MARKER_INPUTS = [
    b"",
    b"plain log line\n" * 100,
    b"a &amp;lt; b",
    b"&lt;&gt;&quot;&#39;&amp;",
    b"\r\n\x1b[31m",
    b"<http://x> <ftp://y> <mailto:z> ```",
    "\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u201f\u2032\u2033".encode(),
    "\u00a0\u2007\u202f\u200b\ufeff".encode(),
    "x\u2026y \u00e9 &\u2019 \u2028 ` < &am".encode(),  # first bytes present, no marker
    b"\xe2\x80\xe2\x80\x99\xc2\xc2\xa0\xef\xbb\xef\xbb\xbf",
    b"&" * 1000 + b"amp;",
    b"trailing &gt;",
]


@pytest.mark.parametrize("data", MARKER_INPUTS, ids=range(len(MARKER_INPUTS)))
def test_present_markers_without_hyperscan(
    data: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    want = {m for m in cleanup._MARKERS if m in data}
    assert present_literals(data, cleanup._MARKERS) == want
    monkeypatch.setitem(sys.modules, "hyperscan", None)  # type: ignore[arg-type]
    # The failed import is remembered in the module: restore it after this test, or every
    # later test in the process would silently clean windows on the fallback path.
    monkeypatch.setattr(cleanup, "_no_hyperscan", cleanup._no_hyperscan)
    assert cleanup._present_markers(data) == want


def test_present_literals_prefixes_and_overlaps() -> None:
    rng = random.Random(3)
    literals = (b"ab", b"abc", b"b", b"bca", b"cc", b"xyz", b"c")
    alphabet = [b"a", b"b", b"c", b"x", b"y", b"z", b"\n"]
    for _ in range(3000):
        data = b"".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        assert present_literals(data, literals) == {lit for lit in literals if lit in data}


def test_clean_bytes_same_without_hyperscan(monkeypatch: pytest.MonkeyPatch) -> None:
    inputs = [*MARKER_INPUTS, *(p.read_bytes() for p in _inputs())]
    normal = [clean_bytes(d) for d in inputs]
    monkeypatch.setitem(sys.modules, "hyperscan", None)  # type: ignore[arg-type]
    monkeypatch.setattr(cleanup, "_no_hyperscan", cleanup._no_hyperscan)  # restored after
    assert [clean_bytes(d) for d in inputs] == normal


def test_cleanup_uses_hyperscan_again_after_the_fallback_tests() -> None:
    # Runs after test_present_markers_without_hyperscan (file order): nothing leaked.
    pytest.importorskip("hyperscan")
    assert cleanup._no_hyperscan is False
    cleanup._present_markers(b"a\r\nb")
    assert cleanup._marker_db is not None
