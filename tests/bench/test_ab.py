"""bench/ab.py: the A/B it prints compares the trees it names, not the current directory."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACK = ROOT / "tests" / "fixtures" / "pack"


def test_ab_runs_each_tree_and_prints_a_ratio_per_pack(tmp_path: Path) -> None:
    log = PACK / "demo" / "demo-errors.pool.pos.log"
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "ab.py"), str(ROOT),
                          "--rounds", "2", "--log", str(log.relative_to(ROOT)),
                          "--rules", str(PACK.relative_to(ROOT))],
                         capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith(f"old: {ROOT / 'kb_engine' / '__init__.py'} (")
    assert lines[1].startswith(f"new: {ROOT / 'kb_engine' / '__init__.py'} (")
    assert re.search(r" \((C helpers built: _speedups(, _hitbuf)?(, _tbscan)?|no C helpers)\)$",
                     lines[0])
    assert lines[2].startswith("pack, 0 MB, 2 rounds: old best ") and "old/new median" in lines[2]


def test_ab_refuses_a_tree_that_does_not_hold_kb(tmp_path: Path) -> None:
    (tmp_path / "kb_engine").mkdir()  # no __init__.py: the installed kb_engine is imported
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "ab.py"), str(tmp_path),
                          "--rounds", "1", "--rules", str(PACK)],
                         capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert out.returncode != 0
    assert "not from the tree" in out.stderr


def test_ab_engine_mode_times_one_long_lived_process_per_tree() -> None:
    log = PACK / "demo" / "demo-errors.pool.pos.log"
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "ab.py"), str(ROOT),
                          "--rounds", "3", "--log", str(log), "--rules", str(PACK), "--engine"],
                         capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    line = out.stdout.splitlines()[2]
    assert line.startswith("pack, 0 MB, engine, 3 rounds: old best ") and "old/new median" in line
    assert float(re.search(r"old best ([0-9.]+) s", line).group(1)) < 1.0  # type: ignore[union-attr]
