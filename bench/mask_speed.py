"""Masking speed, the previous implementation against the current one, in one process.

    python bench/mask_speed.py [--log FILE] [--count N] [--repeat N]

Takes ``--count`` distinct error lines (those holding "Error", "ERROR" or "Exception") from
the log (default ``bench/data/logs/mixed-100m.log``; made up with a fixed seed when it is
missing) and times, best of ``--repeat`` with the mask cache cleared before each run:

- ``masked(lines)``: what each worker of ``kb diagnose`` does with its failure texts;
- ``mask(line)`` for each line: one text at a time (ranking, pastes).

The previous implementation (every mask in turn on each text, skipping a mask whose digit
or literal is absent) is read from git history (``bench/baseline.py``). Both must give the
same masks, or the script fails. Run ``python -m compileall -q kb_engine`` first when
bytecode writing is off.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.baseline import module_at  # noqa: E402
from kb_engine import masks  # noqa: E402

BASELINE = "be8e17f"  # the last commit before batch masking


# --- inputs ---
def log_lines(path: Path, count: int) -> list[str]:
    seen: dict[str, None] = {}
    with path.open("rb") as fh:
        for raw in fh:
            if b"Error" in raw or b"ERROR" in raw or b"Exception" in raw:
                seen[raw.decode("utf-8", "replace").strip()] = None
                if len(seen) >= count:
                    break
    return list(seen)


def made_up_lines(count: int) -> list[str]:
    rng = random.Random(7)
    services = ["orders", "auth", "billing", "ingest", "reports", "gateway"]
    errors = ["TimeoutError", "ConnectionResetError", "KeyError", "RedisCircuitOpenError",
              "OperationalError", "GrpcUnavailableError", "ValueError"]
    lines: dict[str, None] = {}
    while len(lines) < count:
        ts = (f"2024-05-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:"
              f"{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}.{rng.randint(0, 999):03d}Z")
        svc, err, n = rng.choice(services), rng.choice(errors), rng.randint(1, 65535)
        shapes = [
            f"{ts} ERROR [{svc}.api] {err}: upstream 10.0.{n % 256}.{n // 256}:{n} closed",
            f'{{"ts":"{ts}","level":"error","logger":"{svc}.worker","msg":"{err}: request '
            f'{rng.getrandbits(128):032x} failed after {n % 900} ms"}}',
            f'File "/app/{svc}/client_{n % 99}.py", line {n % 900}, in call',
            f"{ts} ERROR [{svc}.db] {err} pid={n} on port {n % 9000 + 1000}",
            f"{svc}.exceptions.{err}: object at 0x{rng.getrandbits(48):x} is gone (code {n})",
            f"{ts} ERROR [{svc}.api] Exception in task {n} /v1/{svc}/items/{n * 7}",
        ]
        lines[rng.choice(shapes)] = None
    return list(lines)


def best(run: Callable[[], object], clear: Callable[[], None], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        clear()
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--log", type=Path, default=ROOT / "bench/data/logs/mixed-100m.log")
    ap.add_argument("--count", type=int, default=2500)
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args(argv)

    if args.log.exists():
        lines, source = log_lines(args.log, args.count), str(args.log)
    else:
        lines, source = made_up_lines(args.count), "made-up lines (no log)"
    chars = sum(len(t) for t in lines)
    print(f"{len(lines)} distinct lines, {chars / max(len(lines), 1):.0f} chars on average, "
          f"from {source}")

    def clear_new() -> None:
        masks._known.clear()

    previous = module_at(BASELINE, "kb_engine/masks.py")
    want = previous.masked(lines)
    clear_new()
    if masks.masked(lines) != want:
        print("FAIL: masked() differs from the previous implementation", file=sys.stderr)
        return 1
    clear_new()
    if any(masks.mask(t) != want[t[: masks.MAX_MASKED_LEN]] for t in lines):
        print("FAIL: mask() differs from the previous implementation", file=sys.stderr)
        return 1

    rows = [
        ("masked(lines)", best(lambda: previous.masked(lines), previous._known.clear, args.repeat),
         best(lambda: masks.masked(lines), clear_new, args.repeat)),
        ("mask(line) each", best(lambda: [previous.mask(t) for t in lines], previous._known.clear,
                                 args.repeat),
         best(lambda: [masks.mask(t) for t in lines], clear_new, args.repeat)),
    ]
    masks._known.clear()
    print(f"{'':16} {'previous':>10} {'current':>10} {'ratio':>7}   (best of {args.repeat})")
    for label, old, new in rows:
        print(f"{label:16} {old * 1e3:8.1f}ms {new * 1e3:8.1f}ms {old / new:6.1f}x"
              f"   {new / len(lines) * 1e6:.1f} us a line now")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
