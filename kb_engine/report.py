"""The result of a diagnosis and its versioned JSON shape (``docs/json-output.md``)."""

from __future__ import annotations

from typing import Any

from .record import FrozenRecord, Record

SCHEMA = "kb.report/1"


class Evidence(FrozenRecord):
    line: int  # 1-based
    text: str
    signature: str
    weight: float
    count: int

    def __init__(self, line: int, text: str, signature: str, weight: float,
                 count: int = 1) -> None:
        self.line = line
        self.text = text
        self.signature = signature
        self.weight = weight
        self.count = count

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "text": self.text, "signature": self.signature,
                "weight": self.weight, "count": self.count}


class SignatureCheck(FrozenRecord):
    """One signature's outcome, for ``--explain``."""

    label: str
    weight: float
    matched: bool
    negative: bool
    line: int | None

    def __init__(self, label: str, weight: float, matched: bool, negative: bool,
                 line: int | None = None) -> None:
        self.label = label
        self.weight = weight
        self.matched = matched
        self.negative = negative
        self.line = line

    def to_dict(self) -> dict[str, Any]:
        return {"signature": self.label, "weight": self.weight, "matched": self.matched,
                "rule_out": self.negative, "line": self.line}


class Diagnosis(Record):
    rank: int
    id: str
    page: str
    page_title: str
    cause: str
    title: str
    confidence: float
    failure: int | None
    explanation: str
    captures: dict[str, str]
    evidence: list[Evidence]
    fix: list[dict[str, Any]]
    verify: list[dict[str, Any]]
    applies: bool
    applicability_note: str | None
    ranking: str | None
    checks: list[SignatureCheck]

    def __init__(
        self, rank: int, id: str, page: str, page_title: str, cause: str, title: str,
        confidence: float, failure: int | None, explanation: str, captures: dict[str, str],
        evidence: list[Evidence], fix: list[dict[str, Any]], verify: list[dict[str, Any]],
        applies: bool = True, applicability_note: str | None = None,
        ranking: str | None = None, checks: list[SignatureCheck] | None = None,
    ) -> None:
        self.rank = rank
        self.id = id
        self.page = page
        self.page_title = page_title
        self.cause = cause
        self.title = title
        self.confidence = confidence
        self.failure = failure
        self.explanation = explanation
        self.captures = captures
        self.evidence = evidence
        self.fix = fix
        self.verify = verify
        self.applies = applies
        self.applicability_note = applicability_note
        self.ranking = ranking
        self.checks = [] if checks is None else checks

    def to_dict(self, explain: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rank": self.rank, "id": self.id, "page": self.page, "page_title": self.page_title,
            "cause": self.cause, "title": self.title, "confidence": self.confidence,
            "failure": self.failure, "explanation": self.explanation, "captures": self.captures,
            "evidence": [e.to_dict() for e in self.evidence],
            "fix": self.fix, "verify": self.verify,
            "applicability": {"applies": self.applies, "note": self.applicability_note},
        }
        if self.ranking:
            out["ranking"] = self.ranking
        if explain:
            out["checks"] = [c.to_dict() for c in self.checks]
        return out


class Failure(FrozenRecord):
    id: int
    headline: str
    fingerprint: str
    first_line: int  # 1-based
    last_line: int
    occurrences: int

    def __init__(self, id: int, headline: str, fingerprint: str, first_line: int,
                 last_line: int, occurrences: int = 1) -> None:
        self.id = id
        self.headline = headline
        self.fingerprint = fingerprint
        self.first_line = first_line
        self.last_line = last_line
        self.occurrences = occurrences

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "headline": self.headline, "fingerprint": self.fingerprint,
                "first_line": self.first_line, "last_line": self.last_line,
                "occurrences": self.occurrences}


class Report(Record):
    status: str
    kind: str
    fingerprint: str
    headline: str | None
    bytes: int
    lines: int
    versions: dict[str, str]
    failures: list[Failure]
    diagnoses: list[Diagnosis]
    warnings: list[str]
    near_misses: list[Diagnosis]

    def __init__(
        self, status: str, kind: str, fingerprint: str, headline: str | None, bytes: int,
        lines: int, versions: dict[str, str], failures: list[Failure],
        diagnoses: list[Diagnosis], warnings: list[str],
        near_misses: list[Diagnosis] | None = None,
    ) -> None:
        self.status = status
        self.kind = kind
        self.fingerprint = fingerprint
        self.headline = headline
        self.bytes = bytes
        self.lines = lines
        self.versions = versions
        self.failures = failures
        self.diagnoses = diagnoses
        self.warnings = warnings
        self.near_misses = [] if near_misses is None else near_misses

    @property
    def diagnosed(self) -> bool:
        return self.status == "diagnosed"

    def to_dict(self, explain: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "schema": SCHEMA,
            "status": self.status,
            "input": {
                "bytes": self.bytes, "lines": self.lines, "kind": self.kind,
                "fingerprint": self.fingerprint, "headline": self.headline,
                "versions": dict(sorted(self.versions.items())),
            },
            "failures": [f.to_dict() for f in self.failures],
            "diagnoses": [d.to_dict(explain) for d in self.diagnoses],
            "warnings": list(self.warnings),
        }
        if explain:
            out["near_misses"] = [d.to_dict(True) for d in self.near_misses]
        return out


class SearchHit(FrozenRecord):
    """A runbook page found by ``RuleSet.search``."""

    page_id: str
    title: str
    score: float  # 0..100
    snippet: str
    cause_id: str | None

    def __init__(self, page_id: str, title: str, score: float, snippet: str,
                 cause_id: str | None = None) -> None:
        self.page_id = page_id
        self.title = title
        self.score = score
        self.snippet = snippet
        self.cause_id = cause_id
