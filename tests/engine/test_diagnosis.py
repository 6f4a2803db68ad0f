"""Scoring, ranking and explanations, on a fixture pack that exercises each signature kind."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb_engine import RuleSet, load_rules
from kb_engine.compiled import Sig

PACK = Path(__file__).resolve().parent.parent / "fixtures" / "pack"
DEMO = PACK / "demo"


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rules([PACK], include_bundled=False, use_cache=False)


def sample(name: str) -> str:
    return (DEMO / f"demo-errors.{name}.log").read_text()


def test_captures_fill_title_explanation_and_fix(rules: RuleSet) -> None:
    d = rules.diagnose(sample("pool.pos")).diagnoses[0]
    assert d.id == "demo-errors/pool"
    assert d.title == "Pool of 5 exhausted"
    assert d.explanation == "The pool of size 5 ran dry after 30.00 seconds."
    assert d.fix[0]["text"] == "Close sessions (size 5)."
    assert d.confidence == pytest.approx(1 - 0.3 * 0.7)
    assert [e.line for e in d.evidence] == [3, 5]


def test_version_outside_range_ranks_lower_and_says_why(rules: RuleSet) -> None:
    text = "SQLAlchemy==1.3.24\n" + sample("pool.pos")
    d = rules.diagnose(text, min_confidence=0.1).diagnoses[0]
    assert not d.applies
    assert d.applicability_note == "sqlalchemy 1.3.24 seen in the input is outside >=1.4"
    assert d.confidence == pytest.approx((1 - 0.3 * 0.7) * 0.5)


def test_rule_out_silences_a_cause(rules: RuleSet) -> None:
    report = rules.diagnose(sample("env-missing.neg"), explain=True)
    assert report.diagnoses == []
    near = {d.id: d for d in report.near_misses}
    assert any(c.negative and c.matched for c in near["demo-errors/env-missing"].checks)


def test_lines_signature_respects_its_window(rules: RuleSet) -> None:
    assert rules.diagnose(sample("worker-timeout.pos")).diagnoses[0].id == (
        "demo-errors/worker-timeout")
    assert rules.diagnose(sample("worker-timeout.neg")).diagnoses == []


def test_independent_failures_are_reported_separately(rules: RuleSet) -> None:
    text = sample("pool.pos") + "\nINFO unrelated\n" + sample("env-missing.pos")
    report = rules.diagnose(text, top=1)
    ids = [d.id for d in report.diagnoses]
    assert set(ids) == {"demo-errors/pool", "demo-errors/env-missing"}
    assert len({d.failure for d in report.diagnoses}) == 2
    assert len(report.failures) == 2
    assert report.diagnoses[0].ranking is not None and "ranks above" in report.diagnoses[0].ranking


def test_repeated_tracebacks_are_one_failure(rules: RuleSet) -> None:
    text = "\n".join([sample("pool.pos")] * 3)
    report = rules.diagnose(text)
    assert len(report.failures) == 1 and report.failures[0].occurrences == 3
    assert report.diagnoses[0].evidence[-1].count == 3


def test_foreign_stack_traces_are_not_python_evidence(rules: RuleSet) -> None:
    java = (
        "Exception in thread \"main\" java.util.NoSuchElementException: KeyError: 'X'\n"
        "\tat java.base/java.util.Scanner.throwFor(Scanner.java:937)\n"
        "\tat Main.main(Main.java:5)\n"
    )
    report = rules.diagnose(java)
    assert report.kind == "java"
    assert report.diagnoses == []


def test_remembered_foreign_lines_give_the_blocks_of_confirming_each(
        rules: RuleSet, monkeypatch: pytest.MonkeyPatch) -> None:
    # A Java crash loop prints the same frames each time: their answers are remembered by
    # the line's bytes. Near misses (no parentheses, a Python frame, "at" in prose) too.
    from kb_engine import matcher

    frames = ["\tat com.example.Service.handle(Service.java:87)", "\tat Main.main(Main.java:5)",
              "    at processTicks (node:internal/process/task_queues:95:5)",
              "\tat not a frame", "    at the moment nothing", "goroutine 7 [running]:",
              "\tat java.base/Thread.run(Unknown Source)", "INFO ok", ""]
    rng = __import__("random").Random(9)
    text = "\n".join(rng.choice(frames) for _ in range(6000))
    with_memo = matcher.scan_text(rules.compiled, text).foreign_blocks
    monkeypatch.setattr(matcher, "_FOREIGN_MEMO_BYTES", -1)  # nothing remembered
    assert matcher.scan_text(rules.compiled, text).foreign_blocks == with_memo
    assert len(with_memo) > 100


def test_foreign_blocks_past_the_cap_are_not_read(
        rules: RuleSet, monkeypatch: pytest.MonkeyPatch) -> None:
    from kb_engine import matcher

    block = "\n".join(["ERROR boom", "java.lang.IllegalStateException: x",
                       "\tat a.B.c(B.java:1)", "\tat a.B.d(B.java:2)", "INFO ok", "INFO ok"])
    chunks = [(block + "\n").encode()] * 40  # a window of whole blocks each (WINDOW_BYTES)
    from kb_engine import windows

    monkeypatch.setattr(windows, "WINDOW_BYTES", 100)
    every = matcher.scan_text(rules.compiled, iter(chunks)).foreign_blocks
    assert len(every) == 40
    monkeypatch.setattr(matcher, "MAX_FOREIGN_BLOCKS", 3)
    read: list[int] = []
    original = matcher.Scanner._foreign_line
    monkeypatch.setattr(matcher.Scanner, "_foreign_line",
                        lambda self, *a: read.append(1) or original(self, *a))
    assert matcher.scan_text(rules.compiled, iter(chunks)).foreign_blocks == every[:3]
    assert len(read) < 20  # the windows after the third block are not read


def test_a_rule_that_fails_at_match_time_is_a_warning(rules: RuleSet) -> None:
    broken = RuleSet(rules.compiled)
    sigs = list(broken.compiled.sigs)
    pool = next(s for s in sigs if s.kind == "exception" and "QueuePool" in s.patterns[0])
    sigs[pool.sid] = Sig(**{**pool.__dict__, "patterns": ("(unclosed",)})
    broken.compiled = type(rules.compiled)(**{**rules.compiled.__dict__, "sigs": sigs})
    report = broken.diagnose(sample("pool.pos"), min_confidence=0.1)
    assert any("demo-errors/pool signatures[0] failed" in w for w in report.warnings)
    assert report.diagnoses[0].id == "demo-errors/pool"  # the frame signature still counts


def test_json_shape_is_the_documented_contract(rules: RuleSet) -> None:
    data = rules.diagnose(sample("pool.pos")).to_dict()
    assert data["schema"] == "kb.report/1"
    assert set(data) == {"schema", "status", "input", "failures", "diagnoses", "warnings"}
    assert set(data["input"]) == {"bytes", "lines", "kind", "fingerprint", "headline",
                                  "versions"}
    assert set(data["diagnoses"][0]) >= {
        "rank", "id", "page", "page_title", "cause", "title", "confidence", "failure",
        "explanation", "captures", "evidence", "fix", "verify", "applicability"}


def test_healthy_and_empty_input_have_no_diagnosis(rules: RuleSet) -> None:
    assert rules.diagnose("").status == "no_diagnosis"
    assert rules.diagnose("INFO: Application startup complete.\n").diagnoses == []


def _busy_pack(tmp_path: Path) -> Path:
    """Three causes whose regexes each match 20 far-apart lines of distinct text."""
    causes = "".join(
        f"  - id: c{n}\n    title: Cause {n}\n    explanation: Fixture.\n"
        f"    signatures:\n      - kind: regex\n        pattern: 'boom{n} in [a-z]+'\n"
        f"        weight: 0.9\n    fix: [Fix it.]\n    verify: [Check it.]\n"
        for n in range(3))
    pack = tmp_path / "busy"
    pack.mkdir()
    (pack / "busy.yaml").write_text(
        "id: busy\ntitle: Busy fixture\nsummary: Many failures.\ncauses:\n" + causes)
    return pack


def test_failures_past_the_cap_do_not_change_the_report(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past MAX_FAILURES, ranking skips the clusters that hold no shown cause's line; the
    failures and where each shown line belongs are what computing every one gives."""
    from kb_engine import scoring

    words = [a + b for a in "abcdefgh" for b in "abcdefgh"]
    lines = []
    for i in range(60):
        # 24 texts, then the same again: a later cluster can belong to a listed failure
        lines += [f"ERROR boom{i % 3} in {words[i % 24]}"] + ["INFO fine"] * 8
    busy = load_rules([_busy_pack(tmp_path)], include_bundled=False, use_cache=False)
    calls = []
    real = scoring._failures

    def both(scan, evidence, shown=None):  # type: ignore[no-untyped-def]
        quick = real(scan, evidence, shown)
        full = real(scan, evidence, None)
        calls.append((len(evidence), len(full[0])))
        assert quick[0] == full[0]
        assert {ln: quick[1].get(ln) for ln in shown} == {ln: full[1].get(ln) for ln in shown}
        assert len(quick[1]) < len(full[1])  # clusters were skipped
        return quick

    monkeypatch.setattr(scoring, "_failures", both)
    report = busy.diagnose("\n".join(lines), explain=True)
    assert [d.id for d in report.diagnoses] == ["busy/c0", "busy/c1", "busy/c2"]
    assert calls == [(60, scoring.MAX_FAILURES)]


def test_ranking_builds_only_the_causes_a_report_shows(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Scoring reads the rules' columns: of a cached rule set, ranking builds the causes it
    shows (and those whose version limits must be checked), not every candidate."""
    from kb_engine.lazy import _MISSING

    monkeypatch.setenv("KB_CACHE_DIR", str(tmp_path / "cache"))
    pack = _busy_pack(tmp_path)
    load_rules([pack], include_bundled=False)  # writes the cache
    rules = load_rules([pack], include_bundled=False)
    text = "\n".join(f"ERROR boom{n} in x" for n in range(3))
    report = rules.diagnose(text, top=1)
    causes = rules.compiled.causes
    built = [i for i, item in enumerate(causes._items) if item is not _MISSING]  # type: ignore[attr-defined]
    assert [d.id for d in report.diagnoses] == ["busy/c0"]
    assert [causes[i].key for i in built] == ["busy/c0"]
    assert rules.compiled.scores == load_rules(
        [pack], include_bundled=False, use_cache=False).compiled.scores


def test_captures_only_compile_patterns_that_name_a_group(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from kb_engine import hits

    line = "x" * 600 + " pool size=7"  # longer than the stored evidence text
    named = [Sig(1, 0, "regex", 0.5, False, 0, "r", patterns=(p,))
             for p in (r"size=(?P<size>\d+)", r"size=(?<size>\d+)")]
    for sig in named:
        assert hits.regex_captures(sig, line) == {"size": "7"}
    plain = Sig(2, 0, "regex", 0.5, False, 0, "r", patterns=(r"size=(\d+)",))
    monkeypatch.setattr(hits, "search_captures", lambda *a: pytest.fail("compiled"))
    assert hits.regex_captures(plain, line) == {}  # a group, but no name: nothing to keep
