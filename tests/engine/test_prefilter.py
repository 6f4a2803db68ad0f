"""The literal prefilter must never change an answer: same reports with and without it."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb_engine import RuleSet, load_rules
from kb_engine.loader import corpus_files, rule_files, sample_files

ROOT = Path(__file__).resolve().parents[2]
PACKS = [ROOT / "rules", ROOT / "tests" / "fixtures" / "pack"]


def _inputs() -> list[Path]:
    out: list[Path] = []
    for path in rule_files(PACKS):
        out += [s.path for s in sample_files(path)[0]]
    return out + corpus_files(PACKS)


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rules([PACKS[1]], use_cache=False)


@pytest.mark.parametrize("path", _inputs(), ids=lambda p: p.name)
def test_prefilter_gives_identical_reports(rules: RuleSet, path: Path) -> None:
    text = path.read_text(encoding="utf-8", errors="replace")
    fast = rules.diagnose(text, explain=True, min_confidence=0.0).to_dict(explain=True)
    slow = rules.diagnose(text, explain=True, min_confidence=0.0,
                          use_prefilter=False).to_dict(explain=True)
    assert fast == slow
