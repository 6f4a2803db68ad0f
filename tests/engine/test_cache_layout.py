"""The on-disk cache: what a new process reads on every start, and what it reads lazily."""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import pytest

from kb_engine import load_rules

PACK = Path(__file__).resolve().parent.parent / "fixtures" / "pack"
DEMO = PACK / "demo"


@pytest.fixture
def cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KB_CACHE_DIR", str(tmp_path / "cache"))
    pack = tmp_path / "pack"
    shutil.copytree(PACK, pack)
    load_rules([pack], include_bundled=False)  # writes the cache
    return pack


def test_a_cached_rule_set_diagnoses_exactly_like_a_fresh_one(cached: Path) -> None:
    fresh = load_rules([cached], include_bundled=False, use_cache=False)
    again = load_rules([cached], include_bundled=False)
    assert [c.key for c in again.compiled.causes] == [c.key for c in fresh.compiled.causes]
    assert again.compiled.sigs == fresh.compiled.sigs
    assert again.compiled.probes == fresh.compiled.probes
    for log in sorted(DEMO.glob("*.log")):
        text = log.read_text()
        assert again.diagnose(text, explain=True).to_dict(True) == \
            fresh.diagnose(text, explain=True).to_dict(True), log.name


def test_cause_texts_are_read_only_for_the_causes_a_report_shows(cached: Path) -> None:
    rules = load_rules([cached], include_bundled=False)
    causes = rules.compiled.causes
    assert all(c._text is None for c in causes)  # not in the file every start reads
    report = rules.diagnose((DEMO / "demo-errors.pool.pos.log").read_text())
    shown = {d.id for d in report.diagnoses}
    assert shown and {c.key for c in causes if c._text is not None} == shown
    fresh = load_rules([cached], include_bundled=False, use_cache=False).compiled.causes
    assert [(c.explanation, c.fix, c.verify) for c in causes] == \
        [(c.explanation, c.fix, c.verify) for c in fresh]


def test_a_cache_loaded_rule_set_pickles_whole(cached: Path) -> None:
    rules = load_rules([cached], include_bundled=False)
    copy = pickle.loads(pickle.dumps(rules.compiled))
    assert [c.text for c in copy.causes] == [c.text for c in rules.compiled.causes]
    assert dict(copy.pages) == dict(rules.compiled.pages)


def test_a_cache_whose_fingerprint_differs_is_not_used(cached: Path, tmp_path: Path) -> None:
    from kb_engine import loader

    files = loader._rule_paths([cached])
    fingerprint = loader._fingerprint(files)
    key = loader._cache_key(fingerprint)
    assert loader._read_cache(key, fingerprint) is not None
    assert loader._read_cache(key, fingerprint + "x") is None  # a hash collision, say


def test_a_new_rule_file_invalidates_the_cache(cached: Path) -> None:
    page = cached / "demo" / "demo-errors.yaml"
    extra = cached / "more" / "more-errors.yaml"
    extra.parent.mkdir()
    extra.write_text(page.read_text().replace("id: demo-errors", "id: more-errors"))
    assert "more-errors" in load_rules([cached], include_bundled=False).page_ids()
