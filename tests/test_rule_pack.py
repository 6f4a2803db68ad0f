"""The bundled pack's own samples: the contract every rule author signs.

- a positive sample ranks its cause first,
- a near-miss negative does not report its cause,
- every healthy or foreign-ecosystem corpus log produces no diagnosis,
- the pack lints clean.
"""

from __future__ import annotations

import pytest

from kb_cli.authoring import collect_samples, lint_errors
from kb_engine.selftest import Sample, check_sample
from tests.support import RULES, rules

SAMPLES = collect_samples([RULES])


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: f"{s.polarity}:{s.name}")
def test_sample(sample: Sample) -> None:
    outcome = check_sample(rules(), sample)
    assert outcome.passed, outcome.message


def test_pack_lints_clean() -> None:
    errors = [e for e in lint_errors([RULES]) if e.severity == "error"]
    assert not errors, "\n".join(str(e) for e in errors[:30])


def test_every_cause_has_a_positive_and_a_negative_sample() -> None:
    have = {(s.expected, s.polarity) for s in SAMPLES}
    for key in rules().cause_keys():
        assert (key, "pos") in have, f"{key} has no positive sample"
        assert (key, "neg") in have, f"{key} has no near-miss sample"


@pytest.mark.parametrize("query", ["depends generator", "async yield",
                                   "dependency override lambda", "QueuePool limit"])
def test_search_finds_the_fastapi_runbook_by_what_people_type(query: str) -> None:
    hits = [h.page_id for h in rules().search(query, limit=2)]
    assert "fastapi-dependencies" in hits


def test_show_renders_every_section_of_the_founding_runbook() -> None:
    from kb_cli.render import Style, page_text

    text = page_text(rules().page("fastapi-dependencies"), Style(False))
    for section in ("WHAT IT USUALLY MEANS", "First ten minutes", "Where to look", "Causes",
                    "Things that make it worse", "Incident:", "Background", "FAQ",
                    "References"):
        assert section.lower() in text.lower(), section
