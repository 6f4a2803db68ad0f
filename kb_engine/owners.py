"""Which failure each input line belongs to, kept as spans where the lines run on.

A traceback's failure owns all its lines, and a kept traceback may be 5,000 lines long:
a dict entry per line cost about 100 bytes each, 250 MB for the 500 tracebacks a report
keeps. Tracebacks come in input order and never overlap (a header inside one is not
parsed again), so they are held as sorted spans and found by bisection; the few other
lines (a record just above a traceback, evidence clusters) are held one by one.
"""

from __future__ import annotations

import bisect


class LineOwners:
    """``get(line)``: the failure id owning ``line``, or None (a dict's ``get``)."""

    def __init__(self) -> None:
        self._firsts: list[int] = []
        self._spans: list[tuple[int, int, int]] = []  # (first, last, failure), in order
        self._lines: dict[int, int] = {}
        self._ordered = True  # spans so far came in order (else all are lines)

    def add_span(self, first: int, last: int, owner: int) -> None:
        """Lines first..last belong to ``owner``, as ``[line] = owner`` for each would
        say: a span that does not come after the previous one (never seen from the
        scanner) turns every span into lines, later ones winning."""
        if self._spans and first <= self._spans[-1][1]:
            spans, self._spans, self._firsts = self._spans, [], []
            for a, b, fid in [*spans, (first, last, owner)]:
                for ln in range(a, b + 1):
                    self._lines[ln] = fid
            self._ordered = False
            return
        if not self._ordered:
            for ln in range(first, last + 1):
                self._lines[ln] = owner
            return
        self._firsts.append(first)
        self._spans.append((first, last, owner))

    def _in_span(self, line: int) -> int | None:
        k = bisect.bisect_right(self._firsts, line) - 1
        if k >= 0:
            _, last, owner = self._spans[k]
            if line <= last:
                return owner
        return None

    def get(self, line: int) -> int | None:
        got = self._lines.get(line)  # lines stored one by one override spans
        return got if got is not None else self._in_span(line)

    def __len__(self) -> int:
        """How many lines have an owner."""
        spanned = sum(last - first + 1 for first, last, _ in self._spans)
        return spanned + sum(1 for ln in self._lines if self._in_span(ln) is None)

    def __contains__(self, line: int) -> bool:
        return self.get(line) is not None

    def setdefault(self, line: int, owner: int) -> None:
        if line not in self:
            self._lines[line] = owner

    def __setitem__(self, line: int, owner: int) -> None:
        self._lines[line] = owner


__all__ = ["LineOwners"]
