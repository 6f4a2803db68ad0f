"""The result of a diagnosis and its versioned JSON shape (``docs/json-output.md``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SCHEMA = "kb.report/1"


@dataclass(frozen=True)
class Evidence:
    line: int  # 1-based
    text: str
    signature: str
    weight: float
    count: int = 1

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "text": self.text, "signature": self.signature,
                "weight": self.weight, "count": self.count}


@dataclass(frozen=True)
class SignatureCheck:
    """One signature's outcome, for ``--explain``."""

    label: str
    weight: float
    matched: bool
    negative: bool
    line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"signature": self.label, "weight": self.weight, "matched": self.matched,
                "rule_out": self.negative, "line": self.line}


@dataclass
class Diagnosis:
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
    applies: bool = True
    applicability_note: str | None = None
    ranking: str | None = None
    checks: list[SignatureCheck] = field(default_factory=list)

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


@dataclass(frozen=True)
class Failure:
    id: int
    headline: str
    fingerprint: str
    first_line: int  # 1-based
    last_line: int
    occurrences: int = 1

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "headline": self.headline, "fingerprint": self.fingerprint,
                "first_line": self.first_line, "last_line": self.last_line,
                "occurrences": self.occurrences}


@dataclass
class Report:
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
    near_misses: list[Diagnosis] = field(default_factory=list)

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


@dataclass(frozen=True)
class SearchHit:
    """A runbook page found by ``RuleSet.search``."""

    page_id: str
    title: str
    score: float  # 0..100
    snippet: str
    cause_id: str | None = None
