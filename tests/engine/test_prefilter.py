"""The literal prefilter must never change an answer: same reports with and without it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kb_engine import RuleSet
from kb_engine.cleanup import clean_bytes
from kb_engine.compiled import compile_pages
from kb_engine.fallback import AhoCorasickPrefilter
from kb_engine.loader import bundled_rules_dir, collect
from kb_engine.prefilter import HAVE_HYPERSCAN, HyperscanPrefilter
from tests.support import PACKS
from tests.support import sample_inputs as _inputs


@pytest.fixture(scope="module", params=["hyperscan", "ahocorasick"])
def rules(request: pytest.FixtureRequest) -> RuleSet:
    if request.param == "hyperscan" and not HAVE_HYPERSCAN:
        pytest.skip("no hyperscan wheel on this platform")
    pages, errors = collect([bundled_rules_dir(), PACKS[1]])
    assert not errors
    compiled = compile_pages(pages, prefer_hyperscan=request.param == "hyperscan")
    expected = HyperscanPrefilter if request.param == "hyperscan" else AhoCorasickPrefilter
    assert isinstance(compiled.prefilter, expected)
    return RuleSet(compiled)


def _full_report(rules: RuleSet, path: Path, use_prefilter: bool = True) -> dict[str, Any]:
    """Everything a report can say about ``path``: every cause, every signature check."""
    text = path.read_text(encoding="utf-8", errors="replace")
    return rules.diagnose(text, explain=True, min_confidence=0.0,
                          use_prefilter=use_prefilter).to_dict(explain=True)


@pytest.mark.parametrize("path", _inputs(), ids=lambda p: p.name)
def test_prefilter_gives_identical_reports(rules: RuleSet, path: Path) -> None:
    fast = _full_report(rules, path)
    slow = _full_report(rules, path, use_prefilter=False)
    assert fast == slow


def _non_ascii(text: str) -> str:
    """Every other line made non-ASCII where signatures look: accents inside words, a
    multi-byte character after each quote and colon, a character Python cannot encode."""
    lines = text.split("\n")
    for i in range(0, len(lines), 2):
        lines[i] = (lines[i].replace("e", "\u00e9", 1).replace('"', '"\u20ac')
                    .replace(": ", ": \U0001f525") + " \udcff\u00e9")
    return "\n".join(lines)


@pytest.mark.parametrize("path", _inputs(), ids=lambda p: p.name)
def test_prefilter_gives_identical_reports_on_non_ascii_lines(
        hs_rules: RuleSet, path: Path) -> None:
    """Probes exact on any line (kb_engine.hsexpr.exact_on_any_line) skip RE2 there too
    (only Hyperscan's entries are exact)."""
    text = _non_ascii(path.read_text(encoding="utf-8", errors="replace"))
    fast, slow = (hs_rules.diagnose(text, explain=True, min_confidence=0.0, use_prefilter=u
                                 ).to_dict(explain=True) for u in (True, False))
    assert fast == slow
    pf = hs_rules.compiled.prefilter
    assert pf.exact_any_pids and pf.exact_any_pids <= pf.exact_pids


@pytest.mark.parametrize("path", _inputs(), ids=lambda p: p.name)
def test_bounded_path_gives_identical_reports(
    rules: RuleSet, path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    normal = _full_report(rules, path)
    # Every window takes the path meant for pathological ones: no budget is enough (the
    # portable backend's, then Hyperscan's).
    asked: list[int] = []
    monkeypatch.setattr("kb_engine.prefilter._budget", lambda window: asked.append(1) or -1)
    monkeypatch.setattr("kb_engine.prefilter._hit_budget",
                        lambda *args: asked.append(1) or -1)
    bounded = _full_report(rules, path)
    assert asked, "the budget was consulted"
    assert bounded == normal


ADVERSARIAL = [
    ("long-line", b"aaa QueuePool limit of size " * 400_000),
    ("repeated-literals", (b"Traceback (most recent call last): Error ERROR == " * 2000 + b"\n")
     * 50),
    ("pathological", bytes(range(1, 256)) * 20_000),
]


@pytest.mark.parametrize(("name", "data"), ADVERSARIAL, ids=[a[0] for a in ADVERSARIAL])
def test_adversarial_input_same_answers_on_the_bounded_path(
    rules: RuleSet, name: str, data: bytes
) -> None:
    # These inputs blow the literal-occurrence budget, so the bounded path answers.
    fast, _ = rules.compiled.prefilter.candidates(data)
    from kb_engine.windows import WindowLines

    lines = WindowLines(data)
    for pid, found in fast.items():
        for line in found:
            assert 0 <= line < len(lines), (name, pid)
    report = rules.diagnose([data[i:i + 65536] for i in range(0, len(data), 65536)])
    cleaned = clean_bytes(data)  # a bare CR ends a line, as terminals show it
    assert report.lines == cleaned.count(b"\n") + (0 if cleaned.endswith(b"\n") else 1)


@pytest.mark.parametrize("backend", ["hyperscan", "ahocorasick"])
def test_bounded_path_finds_the_same_lines(backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from kb_engine import prefilter as pf

    if backend == "hyperscan" and not pf.HAVE_HYPERSCAN:
        pytest.skip("no hyperscan wheel on this platform")
    table = pf.LiteralTable()
    table.add("boom", 1, False)
    table.add("quiet", 2, True)
    table.add("never", 3, False)
    pre = pf.build(table, prefer_hyperscan=backend == "hyperscan")
    window = b"\n".join([b"boom" * 300_000, b"nothing here", b"QUIET and boom", b"tail"])
    used: list[int] = []
    name = "_per_line"  # both backends name a pathological window's literals line by line
    original = getattr(pre, name)
    monkeypatch.setattr(pre, name, lambda *a: used.append(1) or original(*a))
    cands, n_lines = pre.candidates(window)
    assert used, "a 1.2 MB line of repeated literals must take the bounded path"
    assert {pid: sorted(lines) for pid, lines in cands.items()} == {1: [0, 2], 2: [2]}
    assert n_lines == 4


def _hyperscan_table_prefilter() -> HyperscanPrefilter:
    from kb_engine import prefilter as pf

    if not pf.HAVE_HYPERSCAN:
        pytest.skip("no hyperscan wheel on this platform")
    table = pf.LiteralTable()
    for pid, literal in enumerate(["boom", "QueuePool limit", "Traceback", "=="]):
        table.add(literal, pid, False)
    table.add("quiet", 4, True)
    table.add("boom", 5, False)  # two probes share a literal
    table.add("size", 1, False)  # a probe with two literals on one line: the first counts
    table.add_regex(6, rb"time(?:d out|out)\b", False, ("time",))
    pre = pf.build(table)
    assert isinstance(pre, HyperscanPrefilter)
    return pre


def _line_by_line(pre: HyperscanPrefilter, window: bytes) -> tuple[list[object], int]:
    """The reference: every capped line scanned on its own, nothing remembered."""
    from kb_engine.hitbuf import record
    from kb_engine.windows import capped_lines

    cands: dict[int, dict[int, int]] = {}
    single = pre._single_db()
    n = 0
    found: list[tuple[int, int]] = []
    for line, (start, text) in enumerate(capped_lines(window)):
        found.clear()
        single.scan(text, match_event_handler=lambda i, _f, to, _fl, _c: found.append((i, to)))
        for idx, to in found:
            record(cands, pre.entries[idx].ids, line, start + max(to - 1, 0))
        n = line + 1
    return [(pid, list(got.items())) for pid, got in cands.items()], n


def _windows_of_repeats() -> list[bytes]:
    from kb_engine.windows import MAX_LINE_BYTES as cap

    lines = [b"boom " * 40, b"QUIET QueuePool limit of size 5 == 6", b"", b"nothing at all",
             b"Traceback (most recent call last):", b"ERROR " * 150 + b"== " * 30,
             b"timed out, timeout, time out", b"x" * (cap - 3) + b"boom",
             b"y" * (cap + 9) + b"boom", b"z" * (2 * cap + 1) + b" quiet"]
    repeated = b"\n".join(lines[i % len(lines)] for i in range(3_000))
    return [repeated, repeated + b"\n", b"\n" + repeated, b"boom\n" * 20_000,
            b"\n".join(lines[::-1]), lines[-1], b"\n\n\n", b"w" * (3 * cap) + b"\nboom"]


def test_remembered_lines_give_the_candidates_of_scanning_every_line() -> None:
    pre = _hyperscan_table_prefilter()
    single = pre._single_db()
    for window in _windows_of_repeats():
        cands, n = pre._per_line(window, single, {}, {})
        got = [(pid, list(found.items())) for pid, found in cands.items()]
        assert (got, n) == _line_by_line(pre, window)


def test_the_line_memo_stays_bounded_and_changes_nothing(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from kb_engine import prefilter as pf

    pre = _hyperscan_table_prefilter()
    single = pre._single_db()
    window = b"\n".join(b"boom %d == %d" % (i % 50, i) for i in range(20_000))
    expected = pre._per_line(window, single, {}, {})
    monkeypatch.setattr(pf, "_LINE_MEMO", 7)
    memo: pf._LineMemo = {}
    assert pre._per_line(window, single, memo, {}) == expected
    assert 0 < len(memo) <= 7


def test_big_windows_go_a_segment_at_a_time_with_the_same_lines(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from kb_engine import prefilter as pf

    pre = _hyperscan_table_prefilter()
    sparse = b"".join(b"2026-01-01 10:00:%02d INFO request %d served\n" % (i % 60, i)
                      for i in range(12_000))
    dense = b"boom boom == == quiet QUIET timeout\n" * 20_000
    window = sparse + dense + sparse + b"boom at the end"
    assert len(sparse) > 2 * pf._SEGMENT and len(dense) > 2 * pf._SEGMENT
    by_line: list[int] = []  # bytes sent line by line
    original = pre._per_line
    monkeypatch.setattr(pre, "_per_line", lambda *a: by_line.append(len(a[0])) or original(*a))
    cands, n = pre.candidates(window)
    assert abs(sum(by_line) - len(dense)) < 2 * pf._SEGMENT, "only the dense part, line by line"
    ref, ref_n = _line_by_line(pre, window)
    assert n == ref_n == window.count(b"\n") + 1
    assert {pid: sorted(found) for pid, found in cands.items()} == {
        pid: sorted(line for line, _ in found) for pid, found in ref}  # type: ignore[misc]
    # Sparse segments, each scanned whole, find what one scan of the window does.
    db = pre._main_db()
    whole = pf._all_hits(db, sparse * 3, 1 << 40)
    assert whole is not None
    cands_whole: dict[int, dict[int, int]] = {}
    n_whole = whole.number(sparse * 3, pre.ids_of, cands_whole, 0, 0)
    assert pre.candidates(sparse * 3) == (cands_whole, n_whole)


@pytest.mark.parametrize(("line", "by_line"), [
    (b"Traceback (most recent call last):", False),  # a hit a line: all kept
    (b"boom at the start of a line that goes on, and == at its end, x%d", False),
    (b"== " * 40 + b"x%d", True),  # forty a line: each new line scanned on its own
])
def test_the_bounded_path_is_taken_by_hits_per_line(
        line: bytes, by_line: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    from kb_engine import prefilter as pf

    pre = _hyperscan_table_prefilter()
    window = b"\n".join(line.replace(b"%d", b"%d" % i) for i in range(40_000))
    assert len(window) > pf._SEGMENT  # segments: no floor under the budget
    calls: list[int] = []
    original = pre._per_line
    monkeypatch.setattr(pre, "_per_line", lambda *a: calls.append(1) or original(*a))
    cands, n = pre.candidates(window)
    assert n == 40_000 and bool(calls) == by_line
    assert {pid: sorted(found) for pid, found in cands.items()} == {
        pid: sorted(line for line, _ in found)  # type: ignore[misc]
        for pid, found in _line_by_line(pre, window)[0]}


@pytest.fixture(scope="module")
def hs_rules() -> RuleSet:
    if not HAVE_HYPERSCAN:
        pytest.skip("no hyperscan wheel on this platform")
    pages, errors = collect([bundled_rules_dir(), PACKS[1]])
    assert not errors
    return RuleSet(compile_pages(pages, prefer_hyperscan=True))


@pytest.mark.parametrize("path", _inputs(), ids=lambda p: p.name)
def test_tiny_segments_give_identical_reports(
    hs_rules: RuleSet, path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    normal = _full_report(hs_rules, path)
    # Every window is cut into segments of a few lines; any match in a sample is dense.
    monkeypatch.setattr("kb_engine.prefilter._SEGMENT", 300)
    monkeypatch.setattr("kb_engine.prefilter._SAMPLE", 79)
    segmented = _full_report(hs_rules, path)
    assert segmented == normal


_CASE_PARTNER_PAGE = """\
id: case-partners
title: Caseless signatures holding k and s
summary: Fixture page for the prefilter's case partners.
causes:
  - id: expression
    title: A caseless regex Hyperscan can take whole
    explanation: Its expression looks for ASCII letters only.
    signatures:
      - {kind: regex, pattern: '(?i)disk quota exceeded for (?P<user>\\w+)', weight: 0.8}
    fix: [Free space.]
    verify: [Write again.]
  - id: literals
    title: A caseless regex left to its literals
    explanation: A local flag keeps it out of Hyperscan's subset.
    signatures:
      - {kind: regex, pattern: '(?i:task killed) after \\d+ retries', weight: 0.8}
    fix: [Retry less.]
    verify: [Run it again.]
  - id: lines
    title: Caseless lines near each other
    explanation: Two caseless patterns within a few lines.
    signatures:
      - kind: lines
        patterns: ['socket closed', 'keepalive expired']
        ignore_case: true
        window: 3
        weight: 0.8
    fix: [Raise the keepalive.]
    verify: [No closed sockets.]
  - id: boundary
    title: A caseless regex whose word boundary sees a partner
    explanation: Folded to k, KELVIN SIGN becomes a word character and the boundary goes.
    signatures:
      - {kind: regex, pattern: '(?i)disk\\b', weight: 0.8}
    fix: [Free space.]
    verify: [Write again.]
"""


@pytest.mark.parametrize("backend", ["hyperscan", "ahocorasick"])
@pytest.mark.parametrize("mutant", [None, "fold", "boundary"])
def test_lines_holding_case_partners_are_candidates(
        backend: str, mutant: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """RE2's caseless k and s also match KELVIN SIGN and LONG S: a line spelling a
    signature with them matches without the prefilter, so it must with it (the mutants:
    without the folded scan, and with word boundaries taken as safe to fold)."""
    if backend == "hyperscan" and not HAVE_HYPERSCAN:
        pytest.skip("no hyperscan wheel on this platform")
    if mutant == "fold":
        monkeypatch.setattr("kb_engine.partners.fold", lambda line: line)
    elif mutant == "boundary":
        monkeypatch.setattr("kb_engine.compiled.has_word_boundary", lambda pattern: False)
    (tmp_path / "case-partners.yaml").write_text(_CASE_PARTNER_PAGE)
    pages, errors = collect([tmp_path])
    assert not errors
    rules = RuleSet(compile_pages(pages, prefer_hyperscan=backend == "hyperscan"))
    k, s = "\u212a", "\u017f"
    apart = ["INFO ok"] * 10  # one failure each: a report keeps one diagnosis a failure
    text = "\n".join([
        f"di{s}k quota exceeded for ann", *apart,  # a line's first byte, the window's too
        f"ERROR di{s}k quota exceeded for bob", *apart,
        f"{s}ocket closed", f"{k}eepalive expired", *apart,
        f"ERROR ta{s}{k} killed after 3 retries", *apart,
        f"WARN {s}oc{k}et closed", f"WARN {k}eepalive expired", *apart,
        f"ERROR di{s}{k}ard",
    ])
    fast, slow = (rules.diagnose(text, explain=True, min_confidence=0.0, use_prefilter=u
                                 ).to_dict(explain=True) for u in (True, False))
    assert {d["cause"] for d in slow["diagnoses"]} == {
        "expression", "literals", "lines", "boundary"}
    # Literal backends never look at a boundary: only Hyperscan's expressions need it.
    assert (fast == slow) == (mutant is None or (mutant, backend) == ("boundary", "ahocorasick"))



_CASELESS_FRAME_PAGE = """\
id: caseless-frame
title: A caseless frame signature
summary: Fixture page for the frame automaton's case folding.
causes:
  - id: tasks
    title: A frame in the tasks module, any case
    explanation: RE2's caseless s also takes LONG S, and its k KELVIN SIGN.
    signatures:
      - {kind: frame, module: '(?i)^app\\.tasks\\.worker$', weight: 0.8}
    fix: [Fix the task.]
    verify: [Run it again.]
"""


@pytest.mark.parametrize("module", ["app/ta\u017fks/worker", "app/tasks/wor\u212aer",
                                    "APP/TASKS/WORKER"])
def test_a_caseless_frame_signature_matches_what_re2_matches(
        module: str, tmp_path: Path) -> None:
    """The frame literals' automaton folds case as RE2 does: a module spelled with LONG S
    or KELVIN SIGN matches a caseless frame pattern without the prefilter, so it must with
    it (``str.lower`` leaves LONG S alone; ``casefold`` takes it to s)."""
    (tmp_path / "caseless-frame.yaml").write_text(_CASELESS_FRAME_PAGE)
    pages, errors = collect([tmp_path])
    assert not errors
    rules = RuleSet(compile_pages(pages))
    text = "\n".join(["Traceback (most recent call last):",
                      f'  File "/{module}.py", line 3, in run',
                      "    step()", "RuntimeError: boom"])
    fast, slow = (rules.diagnose(text, explain=True, min_confidence=0.0, use_prefilter=u
                                 ).to_dict(explain=True) for u in (True, False))
    assert [d["cause"] for d in slow["diagnoses"]] == ["tasks"]
    assert fast == slow


def test_version_candidates_need_what_may_start_a_version(hs_rules: RuleSet) -> None:
    from kb_engine.markers import PROBE_VERSION

    lines = [b"ERROR " * 20 + b"== " * 30, b"requests==2.31.0", b"pkg==\xd9\xa3",
             b"a == b", b"fastapi==0.110.0  # pinned", b"x" * 50 + b"==1"]
    cands, n = hs_rules.compiled.prefilter.candidates(b"\n".join(lines))
    assert n == len(lines)
    assert sorted(cands.get(PROBE_VERSION, {})) == [1, 2, 5]  # 4: "# pinned" ends no version
