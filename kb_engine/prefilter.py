"""The literal prefilter: which lines of a window could match which probe.

Every probe (a signature's line regex, an exception name, a built-in marker)
has literals of which every match must contain one. One pass over the window
finds all literal occurrences at once and maps them to line numbers by counting
newlines between sorted offsets (C speed, no Python loop over lines: kb_engine.hitbuf
keeps each match and numbers them in C where the helpers are built).

Two backends give the same answers:

- Hyperscan (x86-64 wheels), several hundred MB/s whatever the number of literals;
  its database is compiled once and cached serialized beside the rule cache.
- pyahocorasick everywhere else.

A probe the matcher needs only the first line of (``LiteralTable.first_only``) may give
just the first line of each scan with Hyperscan, every line with the other backend.

A window whose literals occur pathologically often (a 10 MB line of ``aaaa``)
stops the all-occurrences pass after a budget and switches to a bounded path: a
single-match pass tells which literals occur at all, then each is found line by
line with ``bytes.find``, skipping to the end of each matching line.
"""

from __future__ import annotations

import bisect
import contextlib
import re
from collections.abc import Iterable, Sequence
from itertools import accumulate, compress, repeat
from operator import is_
from typing import Any

from .errorline import ErrorLineScan
from .hitbuf import HAVE_C_HITBUFFER, HitBuffer, HitBufferPy, record
from .hitbuf import Candidates as Candidates
from .lazy import LazyList
from .record import FrozenRecord, Record
from .speedups import newlines
from .windows import capped_line_blocks

_hs: Any
try:  # pragma: no cover - depends on the platform's wheels
    import hyperscan as _hs
except ImportError:  # pragma: no cover
    _hs = None

HAVE_HYPERSCAN = _hs is not None
# Budget of literal occurrences per window before the bounded path takes over.
_BUDGET_MIN = 20_000
# Hyperscan's budget (_hit_budget): hits a line (fewer where each costs a Python call),
# and bytes a hit at most.
_HITS_PER_LINE, _BYTES_PER_HIT = (8 if HAVE_C_HITBUFFER else 2), 32
_NEWLINE = re.compile(rb"\n")
# See HyperscanPrefilter: line text -> ((probe id, offset in the line), ...) for at most
# _LINE_MEMO lines; windows longer than _SEGMENT go a segment at a time, sampled.
_LineMemo = dict[bytes, tuple[tuple[int, int], ...]]
_LINE_MEMO, _SEGMENT, _SAMPLE = 8192, 256 * 1024, 16 * 1024


class Entry(FrozenRecord):
    """One pattern of the prefilter: a literal, or (Hyperscan only) a whole-regex superset.

    ``literals`` are what the portable backend and the bounded path search for.
    """

    expr: bytes
    is_regex: bool
    caseless: bool
    ids: tuple[int, ...]
    literals: tuple[bytes, ...]

    def __init__(self, expr: bytes, is_regex: bool, caseless: bool, ids: tuple[int, ...],
                 literals: tuple[bytes, ...]) -> None:
        self.expr = expr
        self.is_regex = is_regex
        self.caseless = caseless
        self.ids = ids
        self.literals = literals


class LiteralTable(Record):
    """literal -> probe ids (caseless literals lower-cased), plus per-probe regex entries."""

    exact: dict[str, list[int]]
    caseless: dict[str, list[int]]
    regexes: list[tuple[int, bytes, bool, tuple[str, ...]]]
    first_only: set[int]  # probes of regex entries Hyperscan reports once a scan

    def __init__(self, exact: dict[str, list[int]] | None = None,
                 caseless: dict[str, list[int]] | None = None,
                 regexes: list[tuple[int, bytes, bool, tuple[str, ...]]] | None = None,
                 first_only: set[int] | None = None) -> None:
        self.exact = {} if exact is None else exact
        self.caseless = {} if caseless is None else caseless
        self.regexes = [] if regexes is None else regexes
        self.first_only = set() if first_only is None else first_only

    def add(self, literal: str, pid: int, caseless: bool) -> None:
        table = self.caseless if caseless else self.exact
        ids = table.setdefault(literal.lower() if caseless else literal, [])
        if pid not in ids:
            ids.append(pid)

    def add_regex(self, pid: int, expr: bytes, caseless: bool, literals: tuple[str, ...]) -> None:
        self.regexes.append((pid, expr, caseless, literals))

    def entries(self, with_regexes: bool) -> list[Entry]:
        out: list[Entry] = []
        for ci, table in ((False, self.exact), (True, self.caseless)):
            for lit, ids in sorted(table.items()):
                b = lit.encode()
                out.append(Entry(b, False, ci, tuple(ids), (b,)))
        for pid, expr, ci, lits in self.regexes:
            enc = tuple((x.lower() if ci else x).encode() for x in lits)
            if with_regexes:
                out.append(Entry(expr, True, ci, (pid,), enc))
            else:
                out += [Entry(b, False, ci, (pid,), (b,)) for b in enc]
        return out


class Prefilter:
    """Base: the literal-per-line bounded path, shared by both backends."""

    # Probes whose hits on an ASCII line are matches already (see kb_engine.hsexpr), and
    # those of them whose hits are matches on any line (set by compile_pages).
    exact_pids: frozenset[int] = frozenset()
    exact_any_pids: frozenset[int] = frozenset()
    # Caseless probes that lines holding KELVIN SIGN or LONG S may match (kb_engine.partners).
    partner_pids: frozenset[int] = frozenset()
    partner_always: frozenset[int] = frozenset()
    partner_scan: Prefilter | None = None  # their entries alone, for the folded lines
    error_lines: ErrorLineScan | None = None  # Hyperscan: the error words, apart

    def __init__(self, table: LiteralTable, with_regexes: bool = False) -> None:
        self.entries: Sequence[Entry] = table.entries(with_regexes)
        self.ids_of = [e.ids for e in self.entries]  # what a hit needs, per entry

    def candidates(self, window: bytes) -> tuple[Candidates, int]:  # pragma: no cover
        """(probe id -> {line: offset}, number of lines in the window)."""
        raise NotImplementedError

    def _bounded(self, window: bytes, present: Iterable[int]) -> Candidates:
        """Every line holding a literal of each present entry, one find per line."""
        cands: Candidates = {}
        lowered: bytes | None = None
        index = _LineIndex(window)
        for i in present:
            entry = self.entries[i]
            if entry.caseless and lowered is None:
                lowered = window.lower()
            hay = lowered if entry.caseless and lowered is not None else window
            for literal in entry.literals:
                _lines_with(hay, literal, entry.ids, cands, index)
        return cands


def _budget(window: bytes) -> int:
    # The portable backend's: about one hit per 80-byte line. Past that, scanning line
    # by line (about a microsecond a line) costs less than a Python callback per hit.
    return max(_BUDGET_MIN, len(window) // 80)


def _hit_budget(window: bytes, start: int, end: int, floor: int = 0) -> int:
    """Hits Hyperscan may report in ``window[start:end]`` before the bounded path takes
    over. The C hit buffer costs about 0.5 µs a hit and the bounded path 3-4 µs a new
    line, so the budget is _HITS_PER_LINE a line (a run of traceback headers, one hit a
    line, stays on this path; a line of a literal repeated 200 times goes line by line);
    at most one hit per _BYTES_PER_HIT bytes: the budget a scan may spend and then
    give up (a segment of short lines with a few long dense ones: adv-repeat)."""
    lines = newlines(window, start, end) + 1
    return max(floor, min(_HITS_PER_LINE * lines, (end - start) // _BYTES_PER_HIT))


def _all_hits(db: Any, data: bytes | memoryview, budget: int) -> HitBufferPy | None:
    """Every (end offset, entry) match in ``data``; None (the scan stopped) past budget."""
    hits = HitBuffer(budget)
    with contextlib.suppress(_hs.ScanTerminated):  # the buffer stopped it: budget spent
        db.scan(data, match_event_handler=hits)
    return None if len(hits) > budget else hits


class _LineIndex:
    """Newline offsets of a pathological window, built once for every literal's walk."""

    def __init__(self, hay: bytes) -> None:
        self.newlines = [m.start() for m in _NEWLINE.finditer(hay)]


def _lines_with(
    hay: bytes, literal: bytes, ids: tuple[int, ...], cands: Candidates, index: _LineIndex
) -> None:
    """Record every line of ``hay`` holding ``literal``: one find per matching line, so a
    line repeating the literal a million times costs one step."""
    nl = index.newlines
    pos = hay.find(literal)
    while pos >= 0:
        line = bisect.bisect_left(nl, pos)
        record(cands, ids, line, pos)
        if line >= len(nl):
            return
        pos = hay.find(literal, nl[line] + 1)


class HyperscanPrefilter(Prefilter):
    """Two databases, both compiled once and cached serialized: every entry with all its
    matches (the normal path), and the same entries in single-match mode, scanned line by
    line where a window holds pathologically many matches (the bounded path)."""

    def __init__(self, table: LiteralTable) -> None:
        super().__init__(table, with_regexes=True)
        once = table.first_only  # their entries' own (LiteralTable.add_regex): one probe each

        def main_flags() -> list[int]:
            return [_hs_flags(e, e.is_regex and e.ids[0] in once) for e in self.entries]

        try:
            main = _compile([_hs_expr(e) for e in self.entries], main_flags())
        except _hs.error:  # some regex is beyond Hyperscan: find it, use its literals
            self.entries = _demote_rejected(list(self.entries))
            self.ids_of = [e.ids for e in self.entries]
            main = _compile([_hs_expr(e) for e in self.entries], main_flags())
        self.exact_pids = frozenset(pid for e in self.entries if e.is_regex for pid in e.ids)
        self.serialized = bytes(_hs.dumpb(main))
        self.serialized_single = bytes(_hs.dumpb(_compile(
            [_hs_expr(e) for e in self.entries], [_hs_flags(e, True) for e in self.entries])))
        self._db: Any = None
        self._single: Any = None

    def _main_db(self) -> Any:
        if self._db is None:
            self._db = _load(self.serialized)
        return self._db

    def _single_db(self) -> Any:
        # Only dense windows need it: a normal log never loads it (half the load time).
        if self._single is None:
            self._single = _load(self.serialized_single)
        return self._single

    def candidates(self, window: bytes) -> tuple[Candidates, int]:
        if not self.entries or not window:
            return {}, window.count(b"\n") + 1  # b"" is one empty line
        db = self._main_db()
        # Segments of whole lines (matches lie inside lines: kb_engine.hsexpr). After a dense
        # one, a segment with a dense sample goes line by line without spending the budget.
        cands: Candidates = {}
        memo: _LineMemo = {}
        view = memoryview(window)  # Hyperscan scans slices of it without copies
        line, start, dense = 0, 0, len(window) > _SEGMENT
        while start <= len(window):
            end = window.find(b"\n", start + _SEGMENT)
            end = len(window) if end < 0 else end
            hits = None
            if not dense or _all_hits(db, view[start:start + _SAMPLE], _hit_budget(
                    window, start, min(start + _SAMPLE, end))) is not None:  # not dense
                hits = _all_hits(db, view[start:end], _hit_budget(
                    window, start, end, _BUDGET_MIN if end - start == len(window) else 0))
            dense = hits is None
            if hits is None:
                line += self._per_line(window[start:end], self._single_db(), memo, cands, line,
                                       start)[1]
            else:
                line += hits.number(window, self.ids_of, cands, line, start, end)
            start = end + 1
        return cands, line

    def _per_line(self, window: bytes, single: Any, memo: _LineMemo, cands: Candidates,
                  line0: int = 0, off0: int = 0) -> tuple[Candidates, int]:
        """The bounded path: each line scanned on its own in single-match mode, so a line
        costs one call plus one callback per entry it holds, however often it repeats it
        (a line seen before, a lookup in ``memo``). Only a line's first MAX_LINE_BYTES are
        scanned: signatures see no more of it. Lines from ``line0``, offsets from ``off0``."""
        ids_of = self.ids_of
        found: list[tuple[int, int]] = []

        def on_match(idx: int, _from: int, to: int, _flags: int, _ctx: Any) -> None:
            found.append((idx, to))

        scan, get, line = single.scan, memo.get, line0
        for start, texts in capped_line_blocks(window):
            # Lookups, and which lines to visit (new ones, then ones holding something), in C
            held = list(map(get, texts))
            for k in compress(range(len(held)), map(is_, held, repeat(None))):
                hits = get(texts[k])  # None, unless the line came earlier in this block
                if hits is None:
                    found.clear()
                    scan(texts[k], match_event_handler=on_match)
                    seen: dict[int, int] = {}  # as record keeps them: each probe's first
                    for idx, to in found:
                        for pid in ids_of[idx]:
                            seen.setdefault(pid, max(to - 1, 0))
                    if len(memo) >= _LINE_MEMO:  # endless distinct lines: start over
                        memo.clear()
                    hits = memo[texts[k]] = tuple(seen.items())
                held[k] = hits
            if any(held):
                before = list(accumulate(map(len, texts), initial=off0 + start))
                for k in compress(range(len(held)), held):
                    at = before[k] + k  # the line's offset: the lines and newlines before it
                    for pid, rel in held[k]:  # type: ignore[union-attr]
                        cands.setdefault(pid, {})[line + k] = at + rel  # one visit a line
            line += len(texts)
        return cands, line - line0

    def __getstate__(self) -> dict[str, Any]:
        state = {k: v for k, v in self.__dict__.items() if k not in ("_db", "_single")}
        if not isinstance(self.entries, LazyList):  # a scan reads ids_of, not entries
            state["entries"] = LazyList(self.entries, Entry)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._db = self._single = None


def escape_literal(literal: bytes) -> bytes:
    return b"".join(b"\\x%02x" % c for c in literal)


def _hs_expr(e: Entry) -> bytes:
    return e.expr if e.is_regex else escape_literal(e.expr)


def _hs_flags(e: Entry, single: bool) -> int:
    f = _hs.HS_FLAG_CASELESS if e.caseless else 0
    f |= _hs.HS_FLAG_MULTILINE if e.is_regex else 0
    return f | (_hs.HS_FLAG_SINGLEMATCH if single else 0)


def _compile(exprs: list[bytes], flags: list[int]) -> Any:
    db = _hs.Database(mode=_hs.HS_MODE_BLOCK)
    if not exprs:  # Hyperscan refuses an empty database: match a byte a log never holds
        exprs, flags = [b"\\x00\\x00\\x00\\x00"], [0]
    db.compile(expressions=exprs, ids=list(range(len(exprs))), elements=len(exprs),
               flags=flags)
    return db


def _load(serialized: bytes) -> Any:
    db = _hs.loadb(serialized, _hs.HS_MODE_BLOCK)
    db.scratch = _hs.Scratch(db)
    return db


def _demote_rejected(entries: list[Entry]) -> list[Entry]:
    """Regex entries Hyperscan refuses become literal entries. One compile when all are
    accepted (the usual case); otherwise bisection finds the refused ones."""
    regexes = [i for i, e in enumerate(entries) if e.is_regex]
    bad: set[int] = set()

    def accepted(ids: list[int]) -> bool:
        try:
            _compile([entries[i].expr for i in ids], [_hs_flags(entries[i], False) for i in ids])
        except _hs.error:
            return False
        return True

    def bisect(ids: list[int]) -> None:
        if not ids or accepted(ids):
            return
        if len(ids) == 1:
            bad.add(ids[0])
            return
        mid = len(ids) // 2
        bisect(ids[:mid])
        bisect(ids[mid:])

    bisect(regexes)
    out: list[Entry] = []
    for i, e in enumerate(entries):
        if i in bad:
            out += [Entry(lit, False, e.caseless, e.ids, (lit,)) for lit in e.literals]
        else:
            out.append(e)
    return out


def build(table: LiteralTable, prefer_hyperscan: bool = True) -> Prefilter:
    if prefer_hyperscan and HAVE_HYPERSCAN:
        return HyperscanPrefilter(table)
    import re2

    from .fallback import Re2LiteralPrefilter

    try:  # RE2 finds the lines, the automata name them: several times pyahocorasick's speed
        return Re2LiteralPrefilter(table)
    except re2.error:  # pragma: no cover - RE2 refused the literal alternation
        from .fallback import AhoCorasickPrefilter

        return AhoCorasickPrefilter(table)
