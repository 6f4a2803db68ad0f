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
