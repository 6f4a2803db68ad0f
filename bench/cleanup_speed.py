"""Time ``clean_bytes`` against the plain one-step-after-the-other cleanup it replaced.

Both run in this process, interleaved, best of ``--repeat`` runs per window, on 2 MB windows
cut at a newline as ``kb_engine.windows`` cuts them:

- every window of ``bench/data/logs/adv-chars-10m.log`` (entity, escape, smart-quote,
  fence storms and invalid UTF-8: the pathological case);
- the first window of ``mixed-10m.log`` (a normal log: a few hundred escapes and CRs);
- the first window of ``adv-repeat-10m.log`` (no cleanup marker at all).

The baseline is ``clean_bytes`` of ``kb_engine/cleanup.py`` as of commit be8e17f, read from
git history (no copy in the tree), and each window's two outputs are compared. Needs the
git history and the generated logs (``python bench/run.py --quick`` or
``bench/generate.py``); missing logs are skipped.

    python bench/cleanup_speed.py [--repeat 15]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.baseline import module_at  # noqa: E402
from kb_engine.cleanup import clean_bytes  # noqa: E402
from kb_engine.windows import WINDOW_BYTES  # noqa: E402

LOGS = ROOT / "bench" / "data" / "logs"
BASELINE = "be8e17f"  # the last commit before the bulk paths


def windows(data: bytes, limit: int | None = None) -> list[bytes]:
    out = []
    start = 0
    while start < len(data) and (limit is None or len(out) < limit):
        cut = data.rfind(b"\n", start, start + WINDOW_BYTES)
        if cut <= start or start + WINDOW_BYTES >= len(data):
            cut = len(data)
        out.append(data[start:cut])
        start = cut + 1
    return out


def best_of(funcs: dict[str, Callable[[], bytes]], repeat: int) -> dict[str, float]:
    best = dict.fromkeys(funcs, float("inf"))
    for _ in range(repeat):
        for name, func in funcs.items():
            t0 = time.perf_counter()
            func()
            best[name] = min(best[name], time.perf_counter() - t0)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    reference_clean_bytes = module_at(BASELINE, "kb_engine/cleanup.py").clean_bytes
    cases = [("adv-chars", "adv-chars-10m.log", None), ("normal (mixed)", "mixed-10m.log", 1),
             ("no markers", "adv-repeat-10m.log", 1)]
    print(f"{'window':<22}{'MB':>6}{'old ms':>10}{'new ms':>10}{'old/new':>10}")
    ok = True
    for label, name, limit in cases:
        path = LOGS / name
        if not path.exists():
            print(f"{label:<22} skipped: {path.relative_to(ROOT)} not generated")
            continue
        ratios = []
        for i, window in enumerate(windows(path.read_bytes(), limit)):
            same = clean_bytes(window) == reference_clean_bytes(window)
            ok &= same
            t = best_of({"old": lambda w=window: reference_clean_bytes(w),
                         "new": lambda w=window: clean_bytes(w)}, args.repeat)
            ratios.append(t["old"] / t["new"])
            print(f"{label + ' #' + str(i + 1):<22}{len(window) / 1e6:>6.2f}"
                  f"{t['old'] * 1e3:>10.2f}{t['new'] * 1e3:>10.2f}{ratios[-1]:>9.2f}x"
                  + ("" if same else "  OUTPUTS DIFFER"))
        if len(ratios) > 1:
            print(f"{label + ' median':<22}{'':>26}{statistics.median(ratios):>9.2f}x")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
