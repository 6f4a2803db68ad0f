"""A module of the engine as an earlier commit had it, read from git history, so a bench can
time the current code against what it replaced in one process without a copy in the tree.

    old = module_at("be8e17f", "kb_engine/cleanup.py")
    old.clean_bytes(window)

The module runs as part of ``kb_engine`` (its relative imports resolve to today's package),
with its own globals: caches and compiled databases are its own.
"""

from __future__ import annotations

import subprocess
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def module_at(commit: str, path: str) -> types.ModuleType:
    source = subprocess.run(["git", "show", f"{commit}:{path}"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout
    module = types.ModuleType(f"kb_engine._{Path(path).stem}_{commit}")
    module.__package__ = "kb_engine"
    exec(compile(source, f"{commit}:{path}", "exec"), module.__dict__)
    return module
