"""The literal prefilter must never change an answer: same reports with and without it."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb_engine import RuleSet
from kb_engine.cleanup import clean_bytes
from kb_engine.compiled import compile_pages
from kb_engine.loader import bundled_rules_dir, collect
from kb_engine.prefilter import HAVE_HYPERSCAN, AhoCorasickPrefilter, HyperscanPrefilter
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


@pytest.mark.parametrize("path", _inputs(), ids=lambda p: p.name)
def test_prefilter_gives_identical_reports(rules: RuleSet, path: Path) -> None:
    text = path.read_text(encoding="utf-8", errors="replace")
    fast = rules.diagnose(text, explain=True, min_confidence=0.0).to_dict(explain=True)
    slow = rules.diagnose(text, explain=True, min_confidence=0.0,
                          use_prefilter=False).to_dict(explain=True)
    assert fast == slow


@pytest.mark.parametrize("path", _inputs(), ids=lambda p: p.name)
def test_bounded_path_gives_identical_reports(
    rules: RuleSet, path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = path.read_text(encoding="utf-8", errors="replace")
    normal = rules.diagnose(text, explain=True, min_confidence=0.0).to_dict(explain=True)
    # Every window takes the path meant for pathological ones.
    monkeypatch.setattr("kb_engine.prefilter._budget", lambda window: -1)
    bounded = rules.diagnose(text, explain=True, min_confidence=0.0).to_dict(explain=True)
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
