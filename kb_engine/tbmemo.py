"""Tracebacks a log repeats byte for byte: parsed twice at most, then copied.

A crash loop prints the same traceback thousands of times. The parser reads from the
header to the line that ends the traceback and looks at nothing else
(``parse_traceback_at``), so the same bytes from a header through that line give the
same traceback wherever they stand, its line numbers moved. The memo keeps those bytes
(a block) under the header line's bytes; a header whose window goes on with a known
block gets a copy of its traceback, moved to its line. When the traceback ended at a
line starting a new record (which in a crash loop differs by its time stamp each time),
the block stops before that line and the line must only pass the parser's own test
(``ends_after_exception``). A block is kept at its first sighting and its traceback at
its second (most logs never repeat one: they pay a byte copy per traceback, not a copy
of its objects). Bounded: blocks of at most 64 KiB, a few per header, and the memo
starts over past 8 MB.
"""

from __future__ import annotations

from .tracebacks import (
    Frame,
    ParsedException,
    Traceback,
    ends_after_exception,
    parse_traceback_at,
)
from .windows import WindowLines

_BLOCK_MAX = 64 << 10
_PER_HEAD = 8
_MEMO_BYTES = 8 << 20
_PENDING: Traceback = Traceback(-1, -1)  # a block seen once: parse it again, then keep it


class Block:
    """Bytes read before from a header line on, and (from their second sighting) their
    traceback, its lines counted from the header's. ``plan`` is the caller's: what it
    derived from that traceback once, for every copy (kb_engine.tbmatch)."""

    __slots__ = ("data", "lines", "plan", "record_end", "tb")

    def __init__(self, data: bytes, lines: int, record_end: bool) -> None:
        self.data = data
        self.lines = lines  # how many lines data holds (each with its newline)
        self.record_end = record_end  # the line after data must pass ends_after_exception
        self.tb: Traceback | None = _PENDING  # at line 0 once known
        self.plan: list[tuple[int, int, dict[str, str] | None]] | None = None


class TracebackMemo:
    def __init__(self) -> None:
        self._by_head: dict[bytes, list[Block]] = {}  # header line bytes -> its blocks
        self._bytes = 0

    def parse(self, lines: WindowLines, start: int) -> tuple[Traceback | None, Block | None]:
        """``parse_traceback(lines, start)`` as (traceback, None); or, when the lines from
        ``start`` on are a block read twice before, (its traceback, the block): that
        traceback is the block's own, shared by every copy, its lines counted from 0
        (``moved(tb, start)`` gives the window's)."""
        head = lines.raw(start)
        block = None
        for candidate in self._by_head.get(head, ()):
            if lines.window.startswith(candidate.data, lines.start(start)):
                after = start + candidate.lines
                if not candidate.record_end or (
                        after < len(lines) and ends_after_exception(lines[after])):
                    block = candidate
                    break
        if block is not None and block.tb is not _PENDING:
            return block.tb, block
        tb, stop, record_end = parse_traceback_at(lines, start)
        if block is not None:  # the second sighting: keep the traceback
            block.tb = None if tb is None else moved(tb, -start)
        elif 0 <= stop < len(lines) - 1:  # the block ends with a whole line
            # The ending line belongs to the block unless only its kind matters.
            end_line = stop if record_end else stop + 1
            self._first_sighting(head, lines, start, end_line, record_end)
        return tb, None

    def _first_sighting(self, head: bytes, lines: WindowLines, start: int, end_line: int,
                        record_end: bool) -> None:
        at, end = lines.start(start), lines.start(end_line)  # lines start..end_line - 1
        if end - at > _BLOCK_MAX:
            return
        if self._bytes + end - at > _MEMO_BYTES:
            self._by_head.clear()
            self._bytes = 0
        blocks = self._by_head.setdefault(head, [])
        if len(blocks) >= _PER_HEAD:
            self._bytes -= len(blocks.pop(0).data)
        blocks.append(Block(lines.window[at:end], end_line - start, record_end))
        self._bytes += end - at


def moved(tb: Traceback, delta: int) -> Traceback:
    """A copy of ``tb`` (its own exceptions and frames) with every line number + delta."""
    return Traceback(tb.first_line + delta, tb.last_line + delta, [
        ParsedException(
            e.type, e.message, e.line + delta,
            [Frame(f.file, f.lineno, f.function, f.module, f.line + delta, f.code, f.repeated)
             for f in e.frames],
            list(e.detail), e.chain, e.group_depth, e.syntax)
        for e in tb.exceptions])


__all__ = ["Block", "TracebackMemo", "moved"]
