"""The benchmark's answer check at a small size: on a generated rule pack and generated logs,
kb's per-signature line counts (``RuleSet.match_counts``) equal a naive loop's that tries
every signature regex on every line. Nothing here is timed."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from kb_engine import load_rules

ROOT = Path(__file__).resolve().parents[2]


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"kb_bench_{name}", ROOT / "bench" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses resolve their module while the file runs
    spec.loader.exec_module(mod)
    return mod


gen = _load("generate")
naive = _load("naive")
probe = _load("probe")

N_RULES = 300


@pytest.fixture(scope="module")
def bench_inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    tmp = tmp_path_factory.mktemp("bench")
    pages = gen.build_pages(N_RULES, boundaries=(N_RULES,))
    pack = tmp / "packs" / f"rules-{N_RULES}"
    gen.write_pack(pages, pack)
    logs = gen.write_logs(pages, {"small": 300_000}, tmp / "logs", core=N_RULES // 2)
    adv = gen.write_adversarial(pages, tmp / "adv", 60_000)
    return {"pages": pages, "pack": pack, "log": logs["small"], "adv": adv}


def _kb_counts(pack: Path, log: Path, bundled: bool = False) -> dict[str, int]:
    rules = load_rules([pack], include_bundled=bundled, use_cache=False)
    counts = rules.match_counts(iter(probe._chunks(log)))
    return {k: v for k, v in counts.items() if v}


@pytest.mark.slow
def test_generated_pack_is_valid_and_shaped_like_real_rules(bench_inputs: dict) -> None:
    pages = bench_inputs["pages"]
    keyed = gen.regex_keys(pages)
    assert len(keyed) == N_RULES
    sigs = [s for p in pages for c in p.causes for s in c.regexes + c.rule_out]
    assert all(s.longest_literal() >= 3 for s in sigs)
    assert any(s.ignore_case for s in sigs)
    assert any(c.exc for p in pages for c in p.causes)
    assert any(c.frame for p in pages for c in p.causes)
    rules = load_rules([bench_inputs["pack"]], include_bundled=False, use_cache=False)
    assert len(rules.page_ids()) == len(pages)
    patterns = (bench_inputs["pack"].parent / f"patterns-{N_RULES}.re2").read_text()
    assert len(patterns.splitlines()) == N_RULES


@pytest.mark.slow
def test_kb_counts_equal_the_naive_loop_on_a_mixed_log(bench_inputs: dict) -> None:
    keyed = gen.regex_keys(bench_inputs["pages"])
    lines = naive.mixed_lines(bench_inputs["log"])
    ref, any_hit = naive.count(lines, keyed, "re")
    assert 0 < any_hit < len(lines) / 100, "the log must have a few matching lines, under 1 %"
    assert len(ref) >= 5
    assert _kb_counts(bench_inputs["pack"], bench_inputs["log"]) == ref


@pytest.mark.slow
@pytest.mark.parametrize("name", gen.ADV_NAMES)
def test_kb_counts_equal_the_naive_loop_on_adversarial_input(bench_inputs: dict,
                                                             name: str) -> None:
    keyed = gen.regex_keys(bench_inputs["pages"])
    path = bench_inputs["adv"][name]
    ref, _ = naive.count(naive.kb_cleaned_lines(path), keyed, "re2")
    assert _kb_counts(bench_inputs["pack"], path) == ref


@pytest.mark.slow
@pytest.mark.parametrize("name", ["adv-crashloop", "adv-ciprefix", "adv-headers"])
def test_the_crash_loops_check_counts_the_bundled_rules_too(bench_inputs: dict,
                                                              name: str) -> None:
    """The generated pack matches nothing in the crash loops' real traceback: with the
    bundled pack's signatures (read from its YAML by the bench) the check compares hits."""
    keyed = gen.regex_keys(bench_inputs["pages"]) + naive.bundled_regex_keys(ROOT / "rules")
    path = bench_inputs["adv"][name]
    ref, _ = naive.count(naive.kb_cleaned_lines(path), keyed, "re2")
    bundled_hits = [k for k in ref if not k.startswith(tuple(p.id for p in bench_inputs["pages"]))]
    assert bundled_hits or name == "adv-headers"  # its first 60 KB: header runs, no crash
    assert _kb_counts(bench_inputs["pack"], path, bundled=True) == ref
