"""Interleaved A/B of two kb source trees, each run as a new `kb diagnose` process.

    python bench/ab.py OLD [--new TREE] [--rounds N] [--log FILE] [--rules DIR ...] [--engine]

With ``--engine`` each variant is one long-lived process that loads the rules and the log
once and times ``RuleSet.diagnose`` on it each round (in 1 MiB chunks, as ``kb diagnose``
reads it; before 2026-11-28 23:10 the whole log went in as one bytes object, which the
engine scans as one window): the engine alone, without the
start-up and the reading of the log that a new process adds to every run (100 ms and more
of noise on a 10 MB input).

OLD is a source tree or a git revision (checked out into a temporary worktree, removed
afterwards). The variants alternate within each round, so both see the same noise; the
report gives each one's best wall and CPU time and the median of the per-round ratios.
On a shared machine the median ratio is the number to read.

Each variant runs ``python -P -m kb_cli.main`` with PYTHONPATH set to its tree and its own
KB_CACHE_DIR. ``-P`` matters: without it the current directory comes first on sys.path,
and run from a checkout both variants would import that checkout's code. Before timing,
each variant is asked which kb_engine it imports (and whether its C helpers are built: a
checked-out revision gets them built in place), and its rule caches are filled.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PACKS = HERE / "data" / "packs"


def _cpu_of(usage_before: os.times_result, usage_after: os.times_result) -> float:
    return (usage_after.children_user - usage_before.children_user
            + usage_after.children_system - usage_before.children_system)


def _run(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    before, t0 = os.times(), time.perf_counter()
    proc = subprocess.run(argv, env=env, capture_output=True, cwd=tempfile.gettempdir())
    elapsed = time.perf_counter() - t0
    # 1 is "no diagnosis", but also what a crash exits with: a report must have come out
    if proc.returncode not in (0, 1) or not proc.stdout.startswith(b'{\n  "schema"'):
        raise SystemExit(f"{' '.join(argv)} failed: {proc.stderr.decode()[-500:]}")
    return elapsed, _cpu_of(before, os.times())


# The --engine worker: rules and log loaded once, one timed diagnose per line read.
_WORKER = """
import sys, time
from kb_engine.loader import load_rules
rules = load_rules([sys.argv[1]], include_bundled=False)
data = open(sys.argv[2], "rb").read()
# 1 MiB chunks, as `kb diagnose` reads a file (kb_cli.main.CHUNK): the engine makes windows
# of about 2 MB from them. One bytes object of the whole log would be one window.
chunks = [data[i:i + (1 << 20)] for i in range(0, len(data), 1 << 20)]
rules.diagnose(iter(chunks))
for _ in sys.stdin:
    t0 = time.perf_counter()
    rules.diagnose(iter(chunks))
    print(time.perf_counter() - t0, flush=True)
"""


class _Worker:
    def __init__(self, pack: str, log: str, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen([sys.executable, "-P", "-c", _WORKER, pack, log], env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                     cwd=tempfile.gettempdir())

    def run(self) -> tuple[float, float]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline()
        if not answer:
            raise SystemExit(f"the engine worker died (exit {self.proc.wait()})")
        return float(answer), float(answer)

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait()


def _engine_of(tree: Path, env: dict[str, str]) -> str:
    """Which kb_engine the variant imports, and whether its C helpers are built."""
    code = ("import importlib, kb_engine; print(kb_engine.__file__)\n"
            "built = []\n"
            "for name in ('_speedups', '_hitbuf', '_tbscan'):\n"
            "    try:\n        importlib.import_module('kb_engine.' + name)\n"
            "    except ImportError:\n        continue\n"
            "    built.append(name)\n"
            "print('C helpers built: ' + ', '.join(built) if built else 'no C helpers')\n")
    out = subprocess.run([sys.executable, "-P", "-c", code], env=env, capture_output=True,
                         text=True, check=True, cwd=tempfile.gettempdir())
    where, helpers = [*out.stdout.strip().splitlines(), "", ""][:2]
    # where is "None" for a folder without __init__.py
    if not (os.path.isabs(where) and Path(where).resolve().is_relative_to(tree.resolve())):
        raise SystemExit(f"{tree}: imports kb_engine from {where}, not from the tree")
    return f"{where} ({helpers})"


def _build_helpers(tree: Path) -> None:
    """Build a checked-out revision's C helpers in place, as its install would."""
    if (tree / "setup.py").exists() and (tree / "kb_engine" / "_speedups.c").exists():
        subprocess.run([sys.executable, "setup.py", "-q", "build_ext", "--inplace"], cwd=tree,
                       capture_output=True, check=False)
        shutil.rmtree(tree / "build", ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="example: python bench/ab.py HEAD~3 --rounds 12")
    ap.add_argument("old", help="the baseline: a source tree, or a git revision")
    ap.add_argument("--new", default=str(ROOT), help="the tree to compare (this checkout)")
    ap.add_argument("--rounds", type=int, default=12, help="rounds (12)")
    ap.add_argument("--log", default=str(HERE / "data" / "logs" / "mixed-100m.log"),
                    help="input (the bench's 100 MB mixed log)")
    ap.add_argument("--rules", action="append", default=[],
                    help="rule pack, repeatable: one comparison each (the bench's packs)")
    ap.add_argument("--engine", action="store_true",
                    help="time the engine in one long-lived process per variant")
    args = ap.parse_args(argv)
    # absolute: the variants run from the temporary directory, not from here
    packs = [str(Path(p).resolve()) for p in args.rules] or [
        str(p) for p in (PACKS / "rules-1000", PACKS / "rules-5000")]
    args.log = str(Path(args.log).resolve())
    scratch = Path(tempfile.mkdtemp(prefix="kb-ab-"))
    old = Path(args.old)
    worktree = None
    try:
        if not old.is_dir():
            worktree = old = scratch / "old"
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach",
                            str(old), args.old], check=True)
            _build_helpers(old)
        trees = {"old": old, "new": Path(args.new)}
        envs = {name: dict(os.environ, PYTHONPATH=str(tree), NO_COLOR="1",
                           KB_CACHE_DIR=str(scratch / f"cache-{name}"))
                for name, tree in trees.items()}
        for name, tree in trees.items():
            print(f"{name}: {_engine_of(tree, envs[name])}")
            subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "kb_engine"),
                            str(tree / "kb_cli")], check=True)  # as an installed kb has it
        size = Path(args.log).stat().st_size / 1e6
        for pack in packs:
            argv = [sys.executable, "-P", "-m", "kb_cli.main", "diagnose", "--format", "json",
                    "--rules", pack, "--no-bundled", args.log]
            for env in envs.values():  # fills the variant's rule cache: not timed
                _run(argv, env)
            workers = {name: _Worker(pack, args.log, env) for name, env in envs.items()
                       } if args.engine else {}
            got: dict[str, list[tuple[float, float]]] = {"old": [], "new": []}
            for r in range(args.rounds):
                for name in ("old", "new") if r % 2 == 0 else ("new", "old"):
                    got[name].append(workers[name].run() if workers
                                     else _run(argv, envs[name]))
            for worker in workers.values():
                worker.close()
            ratios = [o[0] / n[0] for o, n in zip(got["old"], got["new"], strict=True)]
            what = "engine, " if args.engine else ""
            line = [f"{Path(pack).name}, {size:.0f} MB, {what}{args.rounds} rounds:"]
            for name, runs in got.items():
                best = min(w for w, _ in runs)
                line.append(f"{name} best {best:.3f} s ({size / best:.0f} MB/s), "
                            f"cpu {min(c for _, c in runs):.2f} s;")
            best_ratio = min(w for w, _ in got["old"]) / min(w for w, _ in got["new"])
            line.append(f"old/new median {statistics.median(ratios):.2f}x "
                        f"(best {best_ratio:.2f}x)")
            print(" ".join(line))
    finally:
        if worktree is not None:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                            str(worktree)], check=False)
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
