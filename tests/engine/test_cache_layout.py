"""The on-disk cache: what a new process reads on every start, and what it reads lazily."""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import pytest

from kb_engine import load_rules, rulecache
from kb_engine.lazy import LazyList
from kb_engine.prefilter import HAVE_HYPERSCAN

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
    assert list(again.compiled.sigs) == list(fresh.compiled.sigs)
    assert list(again.compiled.probes) == list(fresh.compiled.probes)
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


def test_a_cached_rule_set_builds_only_the_signatures_an_input_touches(cached: Path) -> None:
    rules = load_rules([cached], include_bundled=False)
    sigs, probes, causes = rules.compiled.sigs, rules.compiled.probes, rules.compiled.causes
    assert isinstance(sigs, LazyList) and isinstance(probes, LazyList)
    assert isinstance(causes, LazyList)
    assert (sigs.built, probes.built, causes.built) == (0, 0, 0)
    report = rules.diagnose((DEMO / "demo-errors.pool.pos.log").read_text())
    assert report.diagnoses
    assert 0 < sigs.built < len(sigs) and 0 < causes.built < len(causes)
    assert probes.built < len(probes)


def test_a_cache_loaded_rule_set_pickles_whole(cached: Path) -> None:
    rules = load_rules([cached], include_bundled=False)
    copy = pickle.loads(pickle.dumps(rules.compiled))
    assert [c.text for c in copy.causes] == [c.text for c in rules.compiled.causes]
    assert dict(copy.pages) == dict(rules.compiled.pages)


def test_a_cache_whose_fingerprint_differs_is_not_used(cached: Path, tmp_path: Path) -> None:
    from kb_engine import loader

    files = loader._rule_paths([cached])
    fingerprint = rulecache.fingerprint(files, loader._backend() and HAVE_HYPERSCAN)
    key = rulecache.cache_key(fingerprint)
    assert rulecache.read(loader.cache_dir(), key, fingerprint) is not None
    assert rulecache.read(loader.cache_dir(), key, fingerprint + "x") is None  # a collision


def test_a_new_rule_file_invalidates_the_cache(cached: Path) -> None:
    page = cached / "demo" / "demo-errors.yaml"
    extra = cached / "more" / "more-errors.yaml"
    extra.parent.mkdir()
    extra.write_text(page.read_text().replace("id: demo-errors", "id: more-errors"))
    assert "more-errors" in load_rules([cached], include_bundled=False).page_ids()


def test_the_rule_walk_lists_what_os_walk_would(tmp_path: Path) -> None:
    """Every start walks the packs with scandir: the same files as os.walk, sorted."""
    import os

    from kb_engine import loader

    root = tmp_path / "pack"
    for rel in ("a.yaml", "b/c.yaml", "b/d/e.yaml", "b/notes.md", "_corpus/x.yaml",
                ".git/y.yaml", "b/_hidden.yaml", "b/.swap.yaml", "z/deep/deeper/w.yaml"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("id: x\n")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "linked.yaml").write_text("id: y\n")
    (root / "link-dir").symlink_to(outside, target_is_directory=True)  # listed, not entered
    (root / "link.yaml").symlink_to(outside / "linked.yaml")  # a file: kept
    (root / "broken.yaml").symlink_to(tmp_path / "missing.yaml")  # what os.walk lists too

    want: list[str] = []
    for base, subdirs, names in os.walk(root):
        subdirs[:] = [s for s in subdirs if not s.startswith(("_", "."))]
        want += [os.path.join(base, n) for n in names
                 if n.endswith(".yaml") and not n.startswith(("_", "."))]
    got = loader._rule_paths([root, str(root / "a.yaml"), tmp_path / "nowhere"])
    assert got == [*sorted(want), str(root / "a.yaml")]
    assert str(root / "link.yaml") in got and str(root / "b" / "d" / "e.yaml") in got
    assert not any("linked" in p or "_corpus" in p or ".git" in p for p in got)
