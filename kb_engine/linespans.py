"""The window's lines that parsed tracebacks took, kept as spans rather than one set entry
per line.

A crash loop holds thousands of tracebacks of a hundred lines a window; adding each one's
lines to a set cost a tenth of its scan. Spans go in as tracebacks are found (in order of
their first line, but any order works), and asking about a line is one bisection.
"""

from __future__ import annotations

from bisect import bisect_right, insort
from itertools import accumulate


class LineSpans:
    """A set of line numbers given as spans ``first..last`` (both included)."""

    __slots__ = ("_reach", "_spans", "_starts")

    def __init__(self) -> None:
        self._spans: list[tuple[int, int]] = []
        self._starts: list[int] = []
        self._reach: list[int] = []  # _reach[k]: the furthest last line of spans 0..k

    def add(self, first: int, last: int) -> None:
        if last < first:
            return  # holds no line
        if not self._starts or first >= self._starts[-1]:
            self._spans.append((first, last))
            self._starts.append(first)
            self._reach.append(last if not self._reach else max(last, self._reach[-1]))
            return
        insort(self._spans, (first, last))  # seldom: a span before the last one
        self._starts = [s for s, _ in self._spans]
        self._reach = list(accumulate((e for _, e in self._spans), max))

    def __contains__(self, line: object) -> bool:
        """Whether some span holds ``line``: the spans starting at or before it, sorted,
        reach it if the furthest of them does."""
        if not isinstance(line, int):
            return False
        k = bisect_right(self._starts, line) - 1
        return k >= 0 and line <= self._reach[k]

    def __len__(self) -> int:
        return len(self._spans)

    def __bool__(self) -> bool:
        return bool(self._spans)


__all__ = ["LineSpans"]
