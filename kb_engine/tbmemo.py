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

A traceback whose every line carries a log prefix (a CI runner's time stamp) never
repeats byte for byte. The parser strips from each line what matches the header's
prefix with any digits (``log_prefix``), and reads only whether it matched and what
follows. So such blocks are compared with that prefix made a NUL on each line (one
``re.sub`` in C, the prefix as a bytes pattern, the blank after it left in the form):
equal forms give the parser the same lines. The bytes pattern matches where the parser's
matches, and where the parser's matches further (a Unicode digit or space), it does so by
what follows: equal in equal forms. A block holding a NUL byte is not kept. The version
reader may skip a copy's lines only when no prefix can be part of a version
(``Block.same_versions``). The first traceback of each prefix shape keeps no block: a
log can put a new prefix on every header, and each form needs its pattern compiled.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .prefixes import PrefixPattern, literal_parts
from .tbscan import nul_prefixes
from .tbtypes import Frame, ParsedException, Traceback
from .tracebacks import (
    HEADER,
    ends_after_exception,
    header_follows,
    log_prefix,
    parse_traceback_at,
)
from .windows import WindowLines

_BLOCK_MAX = 64 << 10
_PER_HEAD = 8
_MEMO_BYTES = 8 << 20
_SHAPES_MAX = 1024
_HEADER_B = HEADER.encode()
_PENDING: Traceback = Traceback(-1, -1)  # a block seen once: parse it again, then keep it


class Block:
    """Bytes read before from a header line on, and (from their second sighting) their
    traceback, its lines counted from the header's. ``plan`` is the caller's: what it
    derived from that traceback once, for every copy, and ``kept`` what of it a kept copy
    holds (kb_engine.tbmatch)."""

    __slots__ = ("data", "kept", "lines", "plan", "raw_len", "record_end", "same_versions",
                 "tb")

    def __init__(self, data: bytes, lines: int, record_end: bool, same_versions: bool) -> None:
        self.data = data  # the lines' bytes, each line's log prefix made a NUL if prefixed
        # whether a copy's lines name the versions this block's lines named (_versions_same)
        self.same_versions = same_versions
        self.lines = lines  # how many lines data holds (each with its newline)
        self.record_end = record_end  # the line after data must pass ends_after_exception
        self.tb: Traceback | None = _PENDING  # at line 0 once known
        self.plan: list[tuple[int, int, dict[str, str] | None]] | None = None
        self.kept: Traceback | None = None  # the caller's: tb as a kept copy holds it
        # Bytes the lines took where last seen: a prefixed copy's (stamps of one width)
        # usually take as many, so its end is checked there before being searched for.
        self.raw_len = 0


class TracebackMemo:
    def __init__(self) -> None:
        # header line bytes (prefix made a NUL, after the pattern) -> its blocks
        self._by_head: dict[bytes | tuple[str, bytes], list[Block]] = {}
        self._bytes = 0
        self._shapes: set[str] = set()  # prefix shapes of headers seen

    def parse(self, lines: WindowLines, start: int) -> tuple[Traceback | None, Block | None]:
        """``parse_traceback(lines, start)`` as (traceback, None); or, when the lines from
        ``start`` on are a block read twice before, (its traceback, the block): that
        traceback is the block's own, shared by every copy, its lines counted from 0
        (``moved(tb, start)`` gives the window's)."""
        if (start + 1 < len(lines) and _HEADER_B in lines.raw(start + 1)
                and header_follows(lines, start)):  # the parse ends on the next line
            return None, None
        head = lines.raw(start)
        prefix = log_prefix(lines[start])
        key: bytes | tuple[str, bytes] = head
        if prefix is not None:
            if b"\0" in head or self._first_of_shape(prefix.pattern):
                return parse_traceback_at(lines, start)[0], None
            key = (prefix.pattern, _nul_prefixes(prefix.pattern, head))
        block = None
        for candidate in self._by_head.get(key, ()):
            after = start + candidate.lines
            if self._same(candidate, lines, start, after, prefix) and (
                    not candidate.record_end or (
                        after < len(lines) and ends_after_exception(lines[after], prefix))):
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
            self._first_sighting(key, lines, start, end_line, record_end, prefix)
        return tb, None

    def _first_of_shape(self, pattern: str) -> bool:
        """Whether no header of this prefix shape came before: its form would need a
        bytes regex compiled, which costs what parsing 200 lines does, and a log can put
        a new prefix on every header (kb_engine.prefixes). Such a traceback is parsed
        and kept no block; the memo starts with the shape's second traceback."""
        if pattern in self._shapes:
            return False
        if len(self._shapes) >= _SHAPES_MAX:
            self._shapes.clear()
        self._shapes.add(pattern)
        return True

    @staticmethod
    def _same(block: Block, lines: WindowLines, start: int, after: int,
              prefix: PrefixPattern | None) -> bool:
        """Whether lines start..after - 1 are the block (its form, if prefixed)."""
        if prefix is None:
            at = lines.start(start)
            if not lines.window.startswith(block.data, at):
                return False
            lines.note_start(after, at + len(block.data))  # no walk to it (ends_after_...)
            return True
        if after >= len(lines):
            return False
        window, at = lines.window, lines.start(start)
        end = at + block.raw_len
        # Where the block's bytes ended last time: the form equal there means exactly its
        # lines are there (a form keeps every newline), so the line after starts there,
        # found without a walk to it.
        if (block.raw_len and end <= len(window) and window[end - 1] == 10
                and _is_form(block, prefix, window[at:end])):
            lines.note_start(after, end)
            return True
        end = lines.start(after)
        if _is_form(block, prefix, window[at:end]):
            block.raw_len = end - at
            return True
        return False

    def _first_sighting(self, key: bytes | tuple[str, bytes], lines: WindowLines, start: int,
                        end_line: int, record_end: bool, prefix: PrefixPattern | None,
                        ) -> None:
        at, end = lines.start(start), lines.start(end_line)  # lines start..end_line - 1
        if end - at > _BLOCK_MAX:
            return
        data = lines.window[at:end]
        if prefix is not None:
            if b"\0" in data:
                return
            data = _nul_prefixes(prefix.pattern, data)
        if self._bytes + len(data) > _MEMO_BYTES:
            self._by_head.clear()
            self._bytes = 0
        blocks = self._by_head.setdefault(key, [])
        if len(blocks) >= _PER_HEAD:
            self._bytes -= len(blocks.pop(0).data)
        block = Block(data, end_line - start, record_end,
                      prefix is None or _versions_same(prefix.pattern, data))
        block.raw_len = end - at
        blocks.append(block)
        self._bytes += len(data)


@lru_cache(maxsize=64)
def _prefix_bytes(pattern: str) -> re.Pattern[bytes]:
    # "^" at every line start in MULTILINE; \d ASCII in bytes. The parser's pattern ends in
    # \s?, left out here: the blank stays in the form (the parser takes it from there, and
    # a newline must never be taken: two lines would become one form).
    assert pattern.endswith(r"\s?")
    return re.compile(pattern[:-3].encode("utf-8"), re.MULTILINE)


# The parser's pattern for a prefix of digits, ":", ".", "-", "+", T and Z, digits first:
# a CI runner's stamp (kb_engine.versions.STAMP).
_STAMP_SHAPE = re.compile(r"\^\\d\+(?:\\d\+|\\?[:.TZ+-])*")
_NUL_WITHOUT_BLANK = re.compile(b"\0(?![ \t])")


def _versions_same(pattern: str, form: bytes) -> bool:
    """Whether every block of this form names the versions this one does: each prefix is
    a stamp (``pattern``, the parser's, of digits and ``:.-+TZ`` only) followed by a blank,
    so a line names what its rest names (kb_engine.versions.STAMP); the other bytes are
    the same in every block of the form."""
    return (_STAMP_SHAPE.fullmatch(pattern[:-3]) is not None
            and _NUL_WITHOUT_BLANK.search(form) is None)


def _is_form(block: Block, prefix: PrefixPattern, data: bytes) -> bool:
    """Whether ``data``, lines behind ``prefix``, are the block's form."""
    return (len(data) <= _BLOCK_MAX and b"\0" not in data
            and _nul_prefixes(prefix.pattern, data) == block.data)


def _nul_prefixes(pattern: str, data: bytes) -> bytes:
    """``data`` with each line's log prefix (``pattern``, the parser's) made a NUL: one C
    pass over the shape's literal parts where the helper is built (kb_engine.tbscan)."""
    if nul_prefixes is not None:
        literals = literal_parts(pattern)
        if literals is not None:
            return nul_prefixes(data, literals)
    return _prefix_bytes(pattern).sub(b"\0", data)


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
