"""In-process measurements of the installed kb engine, run by ``run.py`` in a child process.

    python bench/probe.py engine --pack DIR --log FILE [--small FILE] [--repeat N] [--budget S]
                                 [--no-hyperscan]
    python bench/probe.py paste  --pack DIR|--bundled-only --log FILE [--repeat N]
    python bench/probe.py counts --pack DIR --log FILE --out FILE.json [--no-hyperscan]

Prints one JSON object. The input is read into memory first exactly as the CLI reads it
(``kb_cli.main.read_chunks`` when it exists, so it gets ``str`` or ``bytes`` chunks as the
CLI of the day does), then only ``RuleSet.diagnose`` / ``match_counts`` is timed.
``--no-hyperscan`` makes ``import hyperscan`` fail, to measure the fallback path that
machines without the wheel get.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _chunks(path: Path) -> list[Any]:
    try:
        from kb_cli.main import read_chunks
    except ImportError:
        read_chunks = None
    if read_chunks is not None:
        return list(read_chunks([str(path)]))
    data = path.read_bytes()
    return [data[i:i + (1 << 20)] for i in range(0, len(data), 1 << 20)]


def _hyperscan_floor(prefilter: Any, chunks: list[Any]) -> Callable[[], int] | None:
    """The least work any design on kb's Hyperscan databases does on this input: one
    single-match pass of every pattern over each 2 MiB window of whole lines (each pattern
    reported once per window, nothing numbered or attributed to lines). Its MB/s on an
    input over its MB/s on the normal log says how much slower the input is for Hyperscan
    itself. Lines are cut as the engine cuts them (signatures see a line's first 64 KiB).
    None without Hyperscan (or an engine of the day without the database)."""
    single = getattr(prefilter, "_single_db", None)
    if single is None:
        return None
    db = single()
    try:
        from kb_engine.windows import cap_long_lines as cap
    except ImportError:  # an engine of the day without the cap
        def cap(piece: bytes) -> bytes:
            return piece
    data = b"".join(c.encode("utf-8", "surrogatepass") if isinstance(c, str) else c
                    for c in chunks)
    pieces, start = [], 0
    while start < len(data):
        end = data.find(b"\n", start + (2 << 20))
        end = len(data) if end < 0 else end + 1
        pieces.append(cap(data[start:end]))
        start = end

    def run() -> int:
        found = [0]

        def on_match(*_: Any) -> None:
            found[0] += 1

        for piece in pieces:
            db.scan(piece, match_event_handler=on_match)
        return found[0]

    return run


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=("engine", "paste", "counts"))
    ap.add_argument("--pack", action="append", default=[])
    ap.add_argument("--no-bundled", action="store_true")
    ap.add_argument("--log", required=True)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out")
    ap.add_argument("--small", help="engine: also time this (smaller) log in the same rounds")
    ap.add_argument("--no-hyperscan", action="store_true")
    ap.add_argument("--budget", type=float, default=60.0,
                    help="stop repeating once one run took longer than this")
    args = ap.parse_args(argv)
    if args.no_hyperscan:
        sys.modules["hyperscan"] = None  # type: ignore[assignment]
    import kb_engine
    from kb_engine import load_rules

    t0 = time.perf_counter()
    rules = load_rules(args.pack, include_bundled=not args.no_bundled)
    load_s = time.perf_counter() - t0
    path = Path(args.log)
    out: dict[str, Any] = {"load_s": load_s, "bytes": path.stat().st_size,
                           "engine_file": kb_engine.__file__}
    prefilter = getattr(rules.compiled, "prefilter", None)
    out["prefilter"] = type(prefilter).__name__ if prefilter is not None else "ahocorasick"
    if args.what == "counts":
        counts = rules.match_counts(iter(_chunks(path)))
        Path(args.out).write_text(json.dumps(counts))
        out["keys"] = len(counts)
    elif args.what == "engine":
        chunks = _chunks(path)
        small = _chunks(Path(args.small)) if args.small else None
        times: list[float] = []
        small_times: list[float] = []
        floor = _hyperscan_floor(prefilter, chunks)
        floor_times: list[float] = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            report = rules.diagnose(iter(chunks))
            times.append(time.perf_counter() - t0)
            if floor is not None:
                t0 = time.perf_counter()
                floor()
                floor_times.append(time.perf_counter() - t0)
            if small is not None:  # in the same rounds, so both see the machine alike
                for _ in range(3):
                    t0 = time.perf_counter()
                    rules.diagnose(iter(small))
                    small_times.append(time.perf_counter() - t0)
            if times[-1] > args.budget:
                break  # too slow to repeat: one run says enough
        out["times"] = times
        if floor_times:
            out["floor_times"] = floor_times
        if small is not None:
            out["small_times"] = small_times
        out["diagnosed"] = len(report.diagnoses)
    else:  # paste: one string, as the Slack bot and the API get it
        text = path.read_text(encoding="utf-8")
        rules.diagnose(text)  # first call pays lazy compiles, like the first paste of a process
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            report = rules.diagnose(text)
            times.append(time.perf_counter() - t0)
        out["times"] = times
        out["top"] = report.diagnoses[0].id if report.diagnoses else None
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
