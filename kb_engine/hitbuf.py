"""Prefilter hits: where each probe's literal occurred, as (probe -> {line: offset}).

Hyperscan reports every match through a callback. ``HitBuffer(budget)`` is that callback:
it keeps (end offset, entry) and stops the scan past ``budget``. ``number`` then sorts
the kept hits, counts the newlines between consecutive ones once, and records each probe's
first offset on each line (``numbered``).

The C version (``kb_engine/_hitbuf.c``, built at install where a compiler is) does both
without a Python frame per match: a crash loop's window holds tens of thousands of
matches. ``HitBufferPy`` is the same in Python; tests compare the two.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .speedups import newlines

# probe id -> {0-based line index in the window: a byte offset inside that line}
Candidates = dict[int, dict[int, int]]


def record(cands: Candidates, ids: Iterable[int], line: int, offset: int) -> None:
    """Each probe of ``ids`` is on ``line`` at ``offset``, unless it was there already."""
    for pid in ids:
        got = cands.get(pid)
        if got is None:
            cands[pid] = {line: offset}
        elif line not in got:
            got[line] = offset


def numbered(window: bytes, hits: Iterable[tuple[int, int]], ids_of: Sequence[Iterable[int]],
             cands: Candidates | None = None, line0: int = 0, start: int = 0,
             end: int | None = None) -> tuple[Candidates, int]:
    """Candidates from (end offset, entry) hits, and the window's line count: the newlines
    are counted once, between consecutive hits and after the last one. Or the same for the
    segment ``window[start:end]``: hits from ``start``, lines from ``line0``, into ``cands``."""
    cands, line, prev, count = {} if cands is None else cands, line0, start, newlines
    for to, idx in sorted(hits):
        to += start
        line += count(window, prev, to)
        prev = to
        record(cands, ids_of[idx], line, max(to - 1, 0))
    return cands, line - line0 + count(window, prev, len(window) if end is None else end) + 1


class HitBufferPy:
    """Hyperscan's match callback, keeping (end offset, entry); True stops the scan."""

    def __init__(self, budget: int) -> None:
        self.hits: list[tuple[int, int]] = []
        self.budget = budget

    def __call__(self, idx: int, _from: int, to: int, _flags: int, _ctx: object) -> bool:
        self.hits.append((to, idx))
        return len(self.hits) > self.budget

    def __len__(self) -> int:
        return len(self.hits)

    def number(self, window: bytes, ids_of: Sequence[Iterable[int]], cands: Candidates,
               line0: int, start: int, end: int | None = None) -> int:
        """``numbered`` into ``cands``; the number of lines of ``window[start:end]``."""
        return numbered(window, self.hits, ids_of, cands, line0, start, end)[1]


HitBuffer: type[HitBufferPy]
try:
    from ._hitbuf import HitBuffer  # type: ignore[assignment]
except ImportError:  # pragma: no cover - built without a C compiler
    HitBuffer = HitBufferPy

HAVE_C_HITBUFFER = HitBuffer is not HitBufferPy
