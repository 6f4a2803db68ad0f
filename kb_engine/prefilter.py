"""The literal prefilter: which lines of a window could match which probe.

Every probe (a signature's line regex, an exception name, a built-in marker)
has literals of which every match must contain one. One pass over the window
finds all literal occurrences at once and maps them to line numbers by counting
newlines between sorted offsets (C speed; no Python loop over lines).

Two backends give the same answers:

- Hyperscan (x86-64 wheels), several hundred MB/s whatever the number of literals;
  its database is compiled once and cached serialized beside the rule cache.
- pyahocorasick everywhere else.

A window whose literals occur pathologically often (a 10 MB line of ``aaaa``)
stops the all-occurrences pass after a budget and switches to a bounded path: a
single-match pass tells which literals occur at all, then each is found line by
line with ``bytes.find``, skipping to the end of each matching line.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

_hs: Any
try:  # pragma: no cover - depends on the platform's wheels
    import hyperscan as _hs
except ImportError:  # pragma: no cover
    _hs = None

HAVE_HYPERSCAN = _hs is not None
# Budget of literal occurrences per window before the bounded path takes over.
_BUDGET_PER_KB = 64  # about 4 per line of a typical 60-byte log line
_BUDGET_MIN = 20_000


@dataclass(frozen=True)
class Entry:
    """One pattern of the prefilter: a literal, or (Hyperscan only) a whole-regex superset.

    ``literals`` are what the portable backend and the bounded path search for.
    """

    expr: bytes
    is_regex: bool
    caseless: bool
    ids: tuple[int, ...]
    literals: tuple[bytes, ...]


@dataclass
class LiteralTable:
    """literal -> probe ids (caseless literals lower-cased), plus per-probe regex entries."""

    exact: dict[str, list[int]] = field(default_factory=dict)
    caseless: dict[str, list[int]] = field(default_factory=dict)
    regexes: list[tuple[int, bytes, bool, tuple[str, ...]]] = field(default_factory=list)

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


# probe id -> {0-based line index in the window: a byte offset inside that line}
Candidates = dict[int, dict[int, int]]


def _record(cands: Candidates, ids: Iterable[int], line: int, offset: int) -> None:
    for pid in ids:
        got = cands.get(pid)
        if got is None:
            cands[pid] = {line: offset}
        elif line not in got:
            got[line] = offset


class Prefilter:
    """Base: the bounded path, shared by both backends."""

    def __init__(self, table: LiteralTable, with_regexes: bool = False) -> None:
        self.entries = table.entries(with_regexes)

    def candidates(self, window: bytes) -> Candidates:  # pragma: no cover - abstract
        raise NotImplementedError

    def _bounded(self, window: bytes, present: Iterable[int]) -> Candidates:
        """Every line holding literal ``i`` for each present entry, one find per line."""
        cands: Candidates = {}
        lowered: bytes | None = None
        for i in present:
            entry = self.entries[i]
            hay = window
            if entry.caseless:
                lowered = window.lower() if lowered is None else lowered
                hay = lowered
            for literal in entry.literals:
                pos, line, counted = hay.find(literal), 0, 0
                while pos >= 0:
                    line += hay.count(b"\n", counted, pos)
                    end = hay.find(b"\n", pos)
                    _record(cands, entry.ids, line, pos)
                    if end < 0:
                        break
                    counted = end
                    pos = hay.find(literal, end + 1)
        return cands


class HyperscanPrefilter(Prefilter):
    def __init__(self, table: LiteralTable, serialized: bytes | None = None) -> None:
        super().__init__(table, with_regexes=True)
        self.serialized = serialized or self._compile()
        self._db: Any = None
        self._single: Any = None

    def _compile(self) -> bytes:
        assert _hs is not None
        return bytes(_hs.dumpb(self._build(single=False)))

    def _build(self, single: bool) -> Any:
        assert _hs is not None
        db = _hs.Database(mode=_hs.HS_MODE_BLOCK)
        if not self.entries:
            return None
        exprs, flags = [], []
        for e in self.entries:
            exprs.append(e.expr if e.is_regex else b"".join(b"\\x%02x" % c for c in e.expr))
            f = _hs.HS_FLAG_CASELESS if e.caseless else 0
            f |= _hs.HS_FLAG_MULTILINE if e.is_regex else 0
            flags.append(f | (_hs.HS_FLAG_SINGLEMATCH if single else 0))
        db.compile(expressions=exprs, ids=list(range(len(exprs))), elements=len(exprs),
                   flags=flags)
        return db

    def _dbs(self) -> tuple[Any, Any]:
        if self._db is None and self.entries:
            assert _hs is not None
            self._db = _hs.loadb(self.serialized, _hs.HS_MODE_BLOCK)
            self._db.scratch = _hs.Scratch(self._db)
        return self._db, self._single

    def candidates(self, window: bytes) -> Candidates:
        db, _ = self._dbs()
        if db is None or not window:
            return {}
        hits: list[tuple[int, int]] = []
        budget = max(_BUDGET_MIN, len(window) // 1024 * _BUDGET_PER_KB)

        def on_match(idx: int, _from: int, to: int, _flags: int, _ctx: Any) -> bool:
            hits.append((to, idx))
            return len(hits) > budget  # True stops the scan

        with contextlib.suppress(_hs.ScanTerminated):  # on_match stopped it: budget spent
            db.scan(window, match_event_handler=on_match)
        if len(hits) > budget:
            if self._single is None:
                self._single = self._build(single=True)
            present: set[int] = set()
            self._single.scan(window, match_event_handler=lambda i, a, b, f, c: present.add(i))
            return self._bounded(window, sorted(present))
        cands: Candidates = {}
        line = prev = 0
        for to, idx in sorted(hits):
            line += window.count(b"\n", prev, to)
            prev = to
            _record(cands, self.entries[idx].ids, line, max(to - 1, 0))
        return cands

    def __getstate__(self) -> dict[str, Any]:
        return {"entries": self.entries, "serialized": self.serialized}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.entries = state["entries"]
        self.serialized = state["serialized"]
        self._db = self._single = None


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

    def candidates(self, window: bytes) -> Candidates:
        if not window:
            return {}
        budget = max(_BUDGET_MIN, len(window) // 1024 * _BUDGET_PER_KB)
        cands: Candidates = {}
        n = 0
        for auto, hay in ((self._exact, window), (self._caseless, None)):
            if auto is None:
                continue
            if hay is None:
                hay = window.lower()
            text = hay.decode("latin-1")
            line = prev = 0
            for end, idx in auto.iter(text):
                n += 1
                if n > budget:
                    return self._bounded(window, range(len(self.entries)))
                line += text.count("\n", prev, end)
                prev = end
                _record(cands, self.entries[idx].ids, line, end)
        return cands


def hyperscan_accepts(expr: bytes, caseless: bool) -> bool:
    """Whether Hyperscan compiles ``expr`` on its own (no backreferences, no empty match)."""
    if _hs is None:
        return False
    flags = _hs.HS_FLAG_MULTILINE | (_hs.HS_FLAG_CASELESS if caseless else 0)
    try:
        _hs.Database(mode=_hs.HS_MODE_BLOCK).compile(
            expressions=[expr], ids=[0], elements=1, flags=[flags])
    except _hs.error:
        return False
    return True


def build(table: LiteralTable, prefer_hyperscan: bool = True) -> Prefilter:
    if prefer_hyperscan and HAVE_HYPERSCAN:
        return HyperscanPrefilter(table)
    return AhoCorasickPrefilter(table)
