"""The prefilter for machines without Hyperscan: RE2 finds the lines, Aho-Corasick names them.

pyahocorasick walks every character of a window in Python-object land (~20 MB/s), yet a
log's literal hits sit on a few hundred lines per window. RE2's DFA skips between them
much faster: one pattern, the alternation of every exact literal plus a ``(?i:...)`` group
of the caseless ones, compiled in Latin-1 (one byte = one character, every byte escaped).
Behind a lazy ``(?s:.*?)`` and anchored at the search position, a match ends inside the
first line at or after that position holding a literal (literals hold no newline), and
only the forward DFA runs: no reverse program, no captures. That line alone is handed to
the automata, which name its literals exactly (caseless ones compared after ASCII
``bytes.lower()``, as everywhere else; RE2's Latin-1 case folding may propose a line more,
never one less), and the search resumes after it. Newlines are counted once, between
visited lines and then to the end.

RE2 silently falls back to its NFA (~3 MB/s here) when the DFA has too little memory for
the program, which thousands of literals make large: ``max_mem`` grows with them.

The compiled RE2 object cannot be pickled (the rule set is, into the disk cache): it is
built on first use in each process, by the first window of SMALL_WINDOW bytes or more
(smaller ones, pastes, go through the automata alone until then). Past the
literal-occurrence budget a window takes the shared bounded path, so pathological windows
stay linear.

``AhoCorasickPrefilter``, the automata alone, is the backend of last resort (RE2 refused
the alternation) and the reference the RE2 path is tested against.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import re2

from . import prefilter as _pf
from .hitbuf import numbered, record
from .prefilter import Candidates, LiteralTable, Prefilter, escape_literal
from .speedups import newlines
from .windows import capped_lines

_core: Any = getattr(re2, "_re2", None)

# DFA memory per byte of literal: 5,000 signatures (240 KB of literals) need about 48 MiB
# before RE2 stops falling back to the NFA; this gives 2.5 times that.
_MEM_PER_LITERAL_BYTE = 512
_MEM_MIN = 64 << 20
_MEM_MAX = 2 << 30
# Compiling the pattern takes 10-90 ms per process (hundreds to 5,000 signatures): a window
# smaller than this (a paste) is cheaper to walk with the automata alone, same answers.
SMALL_WINDOW = 64 << 10

EndOf = Callable[[bytes, int], int]


def _odd(literal: bytes) -> bool:
    """Literals the line search cannot name: empty, or spanning lines."""
    return not literal or b"\n" in literal


def literal_pattern(exact: list[bytes], caseless: list[bytes]) -> bytes:
    """``(?s:.*?)(?:a|b|(?i:c|d))`` with every byte escaped; b"" when there is no literal."""
    alts = [escape_literal(lit) for lit in exact]
    if caseless:
        alts.append(b"(?i:" + b"|".join(escape_literal(lit) for lit in caseless) + b")")
    return b"(?s:.*?)(?:" + b"|".join(alts) + b")" if alts else b""


def compile_end_of(pattern: bytes, max_mem: int) -> EndOf:
    """``end_of(data, pos)``: where the first match at or after ``pos`` ends, or -1.
    Raises ``re2.error`` when RE2 refuses the pattern."""
    options = re2.Options()
    options.encoding = re2.Options.Encoding.LATIN1
    options.max_mem = max_mem
    options.never_capture = True
    options.log_errors = False
    if _core is not None:
        regexp = _core.RE2(pattern, options)
        if not regexp.ok():
            raise re2.error(regexp.error())
        anchored = _core.RE2.Anchor.ANCHOR_START
        match = regexp.Match

        def end_of(data: bytes, pos: int) -> int:
            return int(match(anchored, data, pos, len(data))[0][1])

        return end_of
    compiled = re2.compile(pattern, options)  # pragma: no cover - another google-re2 layout

    def end_of_public(data: bytes, pos: int) -> int:  # pragma: no cover
        m = compiled.match(data, pos)
        return -1 if m is None else int(m.end())

    return end_of_public  # pragma: no cover


@functools.lru_cache(maxsize=256)
def _alternation(literals: tuple[bytes, ...]) -> Any:
    options = re2.Options()
    options.encoding = re2.Options.Encoding.LATIN1
    options.never_capture = True
    options.log_errors = False
    return re2.compile(b"|".join(escape_literal(lit) for lit in literals), options)


@functools.lru_cache(maxsize=16)
def _by_first_byte(literals: tuple[bytes, ...]) -> tuple[tuple[bytes, tuple[bytes, ...]], ...]:
    groups: dict[bytes, list[bytes]] = {}
    for lit in literals:
        groups.setdefault(lit[:1], []).append(lit)
    return tuple((first, tuple(group)) for first, group in groups.items())


def present_literals(data: bytes, literals: tuple[bytes, ...]) -> set[bytes]:
    """Which of ``literals`` (non-empty) occur in ``data``, much faster than one substring
    search per literal. Literals are grouped by first byte; a group whose byte is absent
    (memchr) costs nothing more. Otherwise RE2 searches the alternation of the group's
    literals not found yet (sharing a first byte, they let RE2 skip ahead with memchr); at a
    hit every one of them starting there is taken, and the search resumes one byte further
    with the smaller alternation (cached): at most one search per literal found."""
    found: set[bytes] = set()
    for first, group in _by_first_byte(literals):
        if first not in data:
            continue
        if group == (first,):
            found.add(first)
            continue
        remaining = group
        pos = 0
        while remaining:
            m = _alternation(remaining).search(data, pos)
            if m is None:
                break
            start = m.start()
            here = {lit for lit in remaining if data.startswith(lit, start)}
            found |= here
            remaining = tuple(lit for lit in remaining if lit not in here)
            pos = start + 1
    return found


class AhoCorasickPrefilter(Prefilter):
    """Portable backend: pyahocorasick over the window decoded as latin-1 (1 byte = 1 char)."""

    def __init__(self, table: LiteralTable) -> None:
        import ahocorasick

        super().__init__(table)
        self._exact: Any = None
        self._caseless: Any = None
        exact = [(e.expr, i) for i, e in enumerate(self.entries) if not e.caseless]
        caseless = [(e.expr, i) for i, e in enumerate(self.entries) if e.caseless]
        for name, items in (("_exact", exact), ("_caseless", caseless)):
            if items:
                auto = ahocorasick.Automaton()
                for lit, i in items:
                    auto.add_word(lit.decode("latin-1"), i)
                auto.make_automaton()
                setattr(self, name, auto)

    def candidates(self, window: bytes) -> tuple[Candidates, int]:
        if not window:
            return {}, 1  # one empty line
        budget = _pf._budget(window)
        hits: list[tuple[int, int]] = []
        for auto, hay in ((self._exact, window), (self._caseless, None)):
            if auto is None:
                continue
            if hay is None:
                hay = window.lower()
            for end, idx in auto.iter(hay.decode("latin-1")):
                hits.append((end + 1, idx))
                if len(hits) > budget:
                    cands = self._bounded(window, range(len(self.entries)))
                    return cands, window.count(b"\n") + 1
        return numbered(window, hits, self.ids_of)


class Re2LiteralPrefilter(AhoCorasickPrefilter):
    """RE2 over the window for the lines, the Aho-Corasick automata over those lines only.
    Answers exactly as ``AhoCorasickPrefilter`` (which it falls back to if RE2 fails)."""

    def __init__(self, table: LiteralTable) -> None:
        super().__init__(table)
        self.odd = tuple(i for i, e in enumerate(self.entries) if any(map(_odd, e.literals)))
        exact: set[bytes] = set()
        caseless: set[bytes] = set()
        for i, e in enumerate(self.entries):
            if i not in self.odd:
                (caseless if e.caseless else exact).update(e.literals)
        self.pattern = literal_pattern(sorted(exact), sorted(caseless))
        size = sum(map(len, exact)) + sum(map(len, caseless))
        self.max_mem = min(_MEM_MAX, max(_MEM_MIN, size * _MEM_PER_LITERAL_BYTE))
        self._end_of: EndOf | None = None
        self._broken = False
        if self.pattern:
            self._end_of = compile_end_of(self.pattern, self.max_mem)  # refused: raise now

    def _search(self) -> EndOf | None:
        if self._end_of is None and self.pattern and not self._broken:
            try:
                self._end_of = compile_end_of(self.pattern, self.max_mem)
            except re2.error:  # pragma: no cover - it compiled when the rule set was built
                self._broken = True
        return self._end_of

    def candidates(self, window: bytes) -> tuple[Candidates, int]:
        if len(window) < SMALL_WINDOW and self._end_of is None and self.pattern:
            return super().candidates(window)
        end_of = self._search()
        if end_of is None:
            if self._broken:  # pragma: no cover
                return super().candidates(window)
            return self._odd_lines(window, {}), window.count(b"\n") + 1
        budget = _pf._budget(window)
        spent = 0
        cands: Candidates = {}
        entries = self.entries
        autos = [(auto, lower) for auto, lower in ((self._exact, False), (self._caseless, True))
                 if auto is not None]
        find, rfind, count = window.find, window.rfind, newlines
        size = len(window)
        pos = prev = line = 0
        while pos < size and spent <= budget:
            end = end_of(window, pos)
            if end < 0:
                break
            nl = rfind(b"\n", pos, end)  # the match holds no newline: its line starts here
            start = pos if nl < 0 else nl + 1
            stop = find(b"\n", end)
            if stop < 0:
                stop = size
            line += count(window, prev, start)
            prev = start
            text = window[start:stop]
            spent += 1
            for auto, lower in autos:
                for last, idx in auto.iter((text.lower() if lower else text).decode("latin-1")):
                    record(cands, entries[idx].ids, line, start + last)
                    spent += 1
                    if spent > budget:
                        break
            pos = stop + 1
        if spent > budget:  # pathological: every line full of literals
            return self._per_line(window, autos)
        return self._odd_lines(window, cands), line + count(window, prev) + 1

    def _per_line(self, window: bytes, autos: list[tuple[Any, bool]]) -> tuple[Candidates, int]:
        """Each line's literals named once by the automata, over the part of the line
        signatures see: a line repeating a literal a thousand times costs its characters,
        not a search per literal of the pack across the window."""
        cands: Candidates = {}
        entries = self.entries
        line = 0
        for start, seen in capped_lines(window):
            for auto, lower in autos:
                named: set[int] = set()
                for last, idx in auto.iter((seen.lower() if lower else seen).decode("latin-1")):
                    if idx not in named:
                        named.add(idx)
                        record(cands, entries[idx].ids, line, start + last)
            line += 1
        return self._odd_lines(window, cands), line

    def _odd_lines(self, window: bytes, cands: Candidates) -> Candidates:
        if self.odd:
            for pid, found in self._bounded(window, self.odd).items():
                for line, offset in found.items():
                    record(cands, (pid,), line, offset)
        return cands

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_end_of"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._end_of = None
