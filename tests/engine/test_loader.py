"""Loading rules: locations on every error, all errors at once, overrides, the cache."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from kb_engine import RuleSetError, load_rules

FIX = Path(__file__).resolve().parent.parent / "fixtures"


def test_all_errors_come_back_with_file_line_and_field() -> None:
    with pytest.raises(RuleSetError) as info:
        load_rules([FIX / "bad"], include_bundled=False, use_cache=False, strict=True)
    msgs = [str(e) for e in info.value.errors]
    broken = str(FIX / "bad" / "broken-rule.yaml")
    assert f"{broken}:4: colour: Extra inputs are not permitted" in msgs
    assert any(m.startswith(f"{broken}:14: causes[0].signatures[2]: ") for m in msgs)
    assert any(m.startswith(f"{FIX / 'bad' / 'syntax.yaml'}:3: YAML syntax") for m in msgs)
    assert any("must equal the file name stem" in m for m in msgs)


def test_a_user_pack_overrides_a_page_id(tmp_path: Path) -> None:
    base = FIX / "pack"
    user = tmp_path / "user"
    shutil.copytree(base, user)
    page = user / "demo" / "demo-errors.yaml"
    page.write_text(page.read_text().replace("Demo failures for engine tests", "Overridden"))
    rules = load_rules([base, user], include_bundled=False, use_cache=False)
    assert rules.page("demo-errors")["title"] == "Overridden"


def test_cache_is_used_and_invalidated_when_a_rule_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KB_CACHE_DIR", str(tmp_path / "cache"))
    pack = tmp_path / "pack"
    shutil.copytree(FIX / "pack", pack)
    first = load_rules([pack], include_bundled=False)
    assert len(list((tmp_path / "cache").glob("rules-*.pickle"))) == 1
    again = load_rules([pack], include_bundled=False)
    assert again.page("demo-errors") == first.page("demo-errors")
    page = pack / "demo" / "demo-errors.yaml"
    page.write_text(page.read_text().replace("Demo failures for engine tests", "Edited"))
    st = page.stat()
    os.utime(page, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    assert load_rules([pack], include_bundled=False).page("demo-errors")["title"] == "Edited"


def test_unwritable_cache_dir_does_not_break_loading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("KB_CACHE_DIR", str(blocker / "cache"))
    assert load_rules([FIX / "pack"], include_bundled=False).page_ids() == ["demo-errors"]


def test_bundled_pack_loads_and_is_shipped_in_the_package() -> None:
    rules = load_rules(use_cache=False)
    assert "python-recursion" in rules.page_ids()
    assert rules.source("python-recursion").endswith("python-recursion.yaml")


def test_by_default_a_broken_page_is_skipped_and_reported() -> None:
    rules = load_rules([FIX / "bad", FIX / "pack"], include_bundled=False, use_cache=False)
    assert "demo-errors" in rules.page_ids()
    assert "broken-rule" not in rules.page_ids()
    assert any("colour" in str(e) for e in rules.load_errors)


def test_a_missing_rule_folder_is_an_error_even_on_a_cache_hit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KB_CACHE_DIR", str(tmp_path / "cache"))
    missing = tmp_path / "typo"
    for _ in range(2):  # the second load reads the cache the first one wrote
        rules = load_rules([FIX / "pack", missing], include_bundled=False)
        assert rules.page_ids() == ["demo-errors"]
        assert [str(e) for e in rules.load_errors] == [
            f"{missing}: no such rule folder or file"]
    assert list((tmp_path / "cache").iterdir())  # a missing folder does not stop caching
    with pytest.raises(RuleSetError) as info:
        load_rules([missing], include_bundled=False, strict=True)
    assert [e.location.path for e in info.value.errors] == [str(missing)]
