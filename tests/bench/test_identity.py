"""bench/run.py names the engine it measured: a checkout by its commit, a regular install
(site-packages, which may sit inside some other git repository, like pyenv's) as a copy of
this checkout only when its sources are the same."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from .test_bench_equivalence import ROOT, _load

run = _load("run")


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True).stdout.strip()


def test_an_install_inside_another_repository_is_not_named_by_its_commit(
        tmp_path: Path) -> None:
    other = tmp_path / "pyenv"  # a repository whose subfolder holds site-packages
    site = other / "lib" / "site-packages"
    for name in ("kb_engine", "kb_cli"):
        shutil.copytree(ROOT / name, site / name, ignore=shutil.ignore_patterns("__pycache__"))
    _git(other, "init", "-q")
    _git(other, "-c", "user.email=a@b", "-c", "user.name=a", "commit", "-q",
         "--allow-empty", "-m", "x")
    dirs = [site / "kb_engine", site / "kb_cli"]
    assert run._git_state(dirs) is None
    here = [ROOT / "kb_engine", ROOT / "kb_cli"]
    assert run._source_sha(dirs) == run._source_sha(here)
    assert run._git_state(here) is not None  # the checkout itself: its commit
    (site / "kb_engine" / "cleanup.py").write_text("# changed\n")
    assert run._source_sha(dirs) != run._source_sha(here)
