"""The naive baseline and the reference answers: every signature regex on every line.

kb's answer for a regex signature is the number of input lines it matches, after kb's
documented input cleanup. The reference here is written independently of kb's scan path:

- lines are the file decoded as UTF-8 (errors replaced), split on ``\\n`` only;
- cleanup for the generated mixed logs is re-implemented here for the only triggers those
  logs contain (CRLF line ends and ANSI colour codes); ``check_cleanup_subset`` proves the
  file holds no other cleanup trigger;
- each pattern is compiled with Python's ``re`` (``re.ASCII``, like RE2's ``\\d \\w \\s \\b``;
  ``re.IGNORECASE`` for ``ignore_case``) and ``search``-ed in every line.

For the adversarial inputs (pathological characters, a 10 MB line) Python's ``re`` is too
slow (``.*`` gaps backtrack on a 10 MB line) and their cleanup triggers are many, so the
reference there is ``naive-re2``: kb's own ``clean_text`` then RE2 on every line, still
without any prefilter. Both are labelled in the output.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

NAIVE_VERSION = "2"
_ANSI_SGR = re.compile(r"\x1b\[[0-9;]*m")
# Everything else kb's cleanup would touch; the generated mixed logs must contain none.
_OTHER_TRIGGERS = re.compile(
    "\x1b|&lt;|&gt;|&quot;|&#39;|&amp;|```|mailto:|<https?://|<ftp://"
    "|[\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u201f\u2032\u2033"
    "\u00a0\u2007\u202f\u200b\ufeff]"
)

Keyed = Sequence[tuple[str, str, bool]]  # (key, RE2 pattern, ignore_case)


def bundled_regex_keys(rules_dir: Path) -> list[tuple[str, str, bool]]:
    """(key, RE2 pattern, ignore_case) of every regex signature of the rule files under
    ``rules_dir`` (kb's bundled pack), read from the YAML itself, not through kb's loader:
    the keys ``RuleSet.match_counts`` gives (a signature's index is its place in its list,
    whatever the kinds before it). Folders starting with ``_`` hold corpora, no rules."""
    import yaml

    out = []
    for path in sorted(rules_dir.rglob("*.yaml")):
        if any(part.startswith("_") for part in path.relative_to(rules_dir).parts):
            continue
        page = yaml.safe_load(path.read_text(encoding="utf-8"))
        for cause in page.get("causes") or ():
            for group in ("signatures", "rule_out"):
                for i, sig in enumerate(cause.get(group) or ()):
                    if sig.get("kind") == "regex":
                        out.append((f"{page['id']}/{cause['id']}#{group}[{i}]",
                                    sig["pattern"], bool(sig.get("ignore_case", False))))
    return out


def read_text(path: Path, limit: int | None = None) -> str:
    with path.open("rb") as fh:
        data = fh.read() if limit is None else fh.read(limit)
    if limit is not None:
        data = data[: data.rfind(b"\n") + 1]  # whole lines only
    return data.decode("utf-8", errors="replace")


def clean_mixed(text: str) -> str:
    """The generated logs' cleanup: CRLF / CR to LF and ANSI colour codes removed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _ANSI_SGR.sub("", text)


def check_cleanup_subset(cleaned: str) -> None:
    m = _OTHER_TRIGGERS.search(cleaned)
    if m:
        raise ValueError(f"input holds a cleanup trigger the reference does not model: "
                         f"{m.group()!r} at {m.start()}")


def split_lines(text: str) -> list[str]:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def mixed_lines(path: Path, limit: int | None = None) -> list[str]:
    text = clean_mixed(read_text(path, limit))
    check_cleanup_subset(text)
    return split_lines(text)


def compile_py(keyed: Keyed) -> list[tuple[str, re.Pattern[str]]]:
    return [(k, re.compile(p, re.ASCII | (re.IGNORECASE if ci else 0))) for k, p, ci in keyed]


def compile_re2(keyed: Keyed) -> list[tuple[str, object]]:
    import re2

    opts = re2.Options()
    opts.log_errors = False
    return [(k, re2.compile(("(?i)" if ci else "") + p, opts)) for k, p, ci in keyed]


# -- counting -------------------------------------------------------------------------------

_LINES: list[str] = []


def _count_part(args: tuple[list[tuple[str, str, bool]], str]) -> tuple[dict[str, int], set[int]]:
    keyed, engine = args
    compiled = compile_py(keyed) if engine == "re" else compile_re2(keyed)
    counts: dict[str, int] = {}
    hit_lines: set[int] = set()
    lines = _LINES
    for key, rx in compiled:
        search = rx.search  # type: ignore[attr-defined]
        hits = [i for i, line in enumerate(lines) if search(line)]
        if hits:
            counts[key] = len(hits)
            hit_lines.update(hits)
    return counts, hit_lines


def count(lines: list[str], keyed: Keyed, engine: str = "re", workers: int = 1
          ) -> tuple[dict[str, int], int]:
    """(key -> matched line count for keys with >= 1 match, lines matching any key)."""
    global _LINES
    _LINES = lines
    keyed = list(keyed)
    try:
        if workers <= 1 or len(keyed) < 2:
            counts, hit = _count_part((keyed, engine))
            return counts, len(hit)
        parts = [(keyed[i::workers], engine) for i in range(workers)]
        counts = {}
        hit = set()
        with ProcessPoolExecutor(workers, mp_context=get_context("fork")) as pool:
            for c, h in pool.map(_count_part, parts):
                counts.update(c)
                hit |= h
        return counts, len(hit)
    finally:
        _LINES = []


def cached_count(path: Path, lines_fn: str, keyed: Keyed, engine: str, cache: Path,
                 workers: int = 2) -> tuple[dict[str, int], int, float, bool]:
    """Reference counts for a whole file, cached by content (answers, never timings).

    Returns (counts, lines matching any, seconds spent now, from_cache)."""
    h = hashlib.sha256(f"{NAIVE_VERSION}|{engine}|{lines_fn}".encode())
    h.update(json.dumps(list(keyed)).encode())
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            h.update(block)
    cache.mkdir(parents=True, exist_ok=True)
    cfile = cache / f"{h.hexdigest()[:32]}.json"
    if cfile.exists():
        got = json.loads(cfile.read_text())
        return got["counts"], got["any"], 0.0, True
    t0 = time.perf_counter()
    lines = mixed_lines(path) if lines_fn == "mixed" else kb_cleaned_lines(path)
    counts, any_hit = count(lines, keyed, engine, workers)
    spent = time.perf_counter() - t0
    tmp = cfile.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"counts": counts, "any": any_hit, "file": str(path)}))
    tmp.replace(cfile)
    return counts, any_hit, spent, False


def kb_cleaned_lines(path: Path) -> list[str]:
    from kb_engine import clean_text

    return split_lines(clean_text(read_text(path)))


def time_slice(path: Path, keyed: Keyed, budget_s: float, start_bytes: int = 64_000
               ) -> tuple[float, int, float]:
    """Time the naive loop on a growing head slice until it takes ~``budget_s``.

    Returns (MB/s, slice bytes, seconds). Single process, like a user's script.
    """
    compiled = compile_py(keyed)
    size = path.stat().st_size
    nbytes = min(start_bytes, size)
    while True:
        with path.open("rb") as fh:
            data = fh.read(nbytes)
        data = data[: data.rfind(b"\n") + 1]
        real = len(data)
        lines = split_lines(clean_mixed(data.decode("utf-8", errors="replace")))
        t0 = time.perf_counter()
        for _key, rx in compiled:
            search = rx.search
            for line in lines:
                search(line)
        spent = time.perf_counter() - t0
        if spent >= budget_s * 0.4 or nbytes >= size:
            return real / 1e6 / spent, real, spent
        nbytes = min(size, int(nbytes * max(2.0, budget_s / max(spent, 1e-3) * 0.8)))
