"""The compiled, picklable form of a rule set: what matching actually runs on.

Validated pages (pydantic) are turned into plain records plus the indexes
the matcher needs: an Aho-Corasick automaton over every signature literal, a
map from exception type names to signatures, and an automaton over frame
literals. This form is what the loader caches, so a new ``kb`` process does not
import pydantic or re-validate YAML when no rule file changed.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import ahocorasick

from .errorline import ErrorLineScan
from .hsexpr import case_partners, expression
from .markers import BUILTIN_REGEXES, FIRST_ONLY, PROBE_ERROR_LINE, builtin_literals
from .partners import has_word_boundary
from .prefilter import HAVE_HYPERSCAN, LiteralTable, Prefilter, escape_literal
from .prefilter import build as build_prefilter
from .record import FrozenRecord, Record
from .regexes import Literals, required_literals
from .scoretable import ScoreTable, score_table

if TYPE_CHECKING:
    from .model import Page

_NO_DEFAULT = object()


def _lean(obj: object) -> dict[str, Any]:
    """Pickled state without the fields left at their class defaults: every start
    unpickles thousands of signatures, and the defaults come back from the class."""
    cls = type(obj)
    return {k: v for k, v in obj.__dict__.items() if getattr(cls, k, _NO_DEFAULT) != v}


class Sig(FrozenRecord):
    """One compiled signature. ``patterns`` holds the regexes the kind needs. The defaults
    are class attributes too: a cached signature's state leaves them out (``_lean``)."""

    sid: int
    cause: int
    kind: str
    weight: float
    negative: bool
    index: int  # position in the cause's signatures or rule_out list
    label: str
    patterns: tuple[str, ...] = ()
    ignore_case: bool = False
    exc_type: str | None = None
    where: str = "any"
    ordered: bool = True
    window: int = 50
    frame_fields: tuple[str | None, str | None, str | None] = (None, None, None)

    def __init__(
        self, sid: int, cause: int, kind: str, weight: float, negative: bool, index: int,
        label: str, patterns: tuple[str, ...] = (), ignore_case: bool = False,
        exc_type: str | None = None, where: str = "any", ordered: bool = True,
        window: int = 50,
        frame_fields: tuple[str | None, str | None, str | None] = (None, None, None),
    ) -> None:
        self.sid = sid
        self.cause = cause
        self.kind = kind
        self.weight = weight
        self.negative = negative
        self.index = index
        self.label = label
        self.patterns = patterns
        self.ignore_case = ignore_case
        self.exc_type = exc_type
        self.where = where
        self.ordered = ordered
        self.window = window
        self.frame_fields = frame_fields

    def __getstate__(self) -> dict[str, Any]:
        return _lean(self)


class Probe(FrozenRecord):
    """A line-level test: signature ``sid``'s sub-pattern ``sub`` (or an exception line)."""

    pid: int
    sid: int
    sub: int
    exc_line: bool = False

    def __init__(self, pid: int, sid: int, sub: int, exc_line: bool = False) -> None:
        self.pid = pid
        self.sid = sid
        self.sub = sub
        self.exc_line = exc_line

    def __getstate__(self) -> dict[str, Any]:
        return _lean(self)


CauseText = tuple[str, list[dict[str, Any]], list[dict[str, Any]]]  # explanation, fix, verify


class TextStore(Protocol):
    def texts(self, at: tuple[int, int]) -> CauseText: ...


class Cause:
    """One cause of a page. Its texts (explanation, fix and verify steps) matter only for
    the causes a report shows: a cached rule set keeps them in a side file (``loader``)
    and a cause reads its own on first use."""

    def __init__(
        self, key: str, page: str, cause_id: str, title: str, page_title: str,
        explanation: str, fix: list[dict[str, Any]], verify: list[dict[str, Any]],
        packages: dict[str, str], python: str | None, runtime: str,
        sigs: list[int] | None = None, rule_out: list[int] | None = None,
    ) -> None:
        self.key = key
        self.page = page
        self.cause_id = cause_id
        self.title = title
        self.page_title = page_title
        self.packages = packages
        self.python = python
        self.runtime = runtime
        self.sigs: list[int] = sigs if sigs is not None else []
        self.rule_out: list[int] = rule_out if rule_out is not None else []
        self._text: CauseText | None = (explanation, fix, verify)
        self._store: TextStore | None = None
        self._at = (0, 0)

    @property
    def text(self) -> CauseText:
        if self._text is None:
            assert self._store is not None
            self._text = self._store.texts(self._at)
        return self._text

    @property
    def explanation(self) -> str:
        return self.text[0]

    @property
    def fix(self) -> list[dict[str, Any]]:
        return self.text[1]

    @property
    def verify(self) -> list[dict[str, Any]]:
        return self.text[2]

    def with_texts_in(self, store: TextStore, at: tuple[int, int]) -> Cause:
        """A copy whose texts are read from ``store`` at ``at`` (offset, length) on use."""
        out = copy.copy(self)
        out._text, out._store, out._at = None, store, at
        return out

    def __repr__(self) -> str:
        return f"Cause({self.key!r}, sigs={self.sigs!r}, rule_out={self.rule_out!r})"


class CompiledRules(Record):
    pages: Mapping[str, dict[str, Any]]  # a lazy mapping when read from the cache
    sources: dict[str, str]  # page id -> rule file path
    # Lists when compiled, LazyLists when read from the cache (kb_engine.rulecache).
    causes: Sequence[Cause]
    sigs: Sequence[Sig]
    probes: Sequence[Probe]
    prefilter: Prefilter  # every literal of every probe, one pass per window
    always_probes: list[int]  # probes without a usable literal: tried on every line
    exc_index: dict[str, list[int]]  # exception type suffix -> signature ids
    frame_automaton: Any
    frame_always: list[int]
    frame_sigs: list[int]
    scores: ScoreTable  # what ranking reads, without building causes and signatures

    def __init__(
        self, pages: Mapping[str, dict[str, Any]], sources: dict[str, str],
        causes: Sequence[Cause], sigs: Sequence[Sig], probes: Sequence[Probe],
        prefilter: Prefilter, always_probes: list[int], exc_index: dict[str, list[int]],
        frame_automaton: Any, frame_always: list[int], frame_sigs: list[int],
        scores: ScoreTable,
    ) -> None:
        self.pages = pages
        self.sources = sources
        self.causes = causes
        self.sigs = sigs
        self.probes = probes
        self.prefilter = prefilter
        self.always_probes = always_probes
        self.exc_index = exc_index
        self.frame_automaton = frame_automaton
        self.frame_always = frame_always
        self.frame_sigs = frame_sigs
        self.scores = scores

    def replace(self, **changes: Any) -> CompiledRules:
        """A copy with ``changes`` applied."""
        out = copy.copy(self)
        for name, value in changes.items():
            if name not in self._fields:
                raise TypeError(f"CompiledRules has no field {name!r}")
            setattr(out, name, value)
        return out


def _label(kind: str, sig: Any) -> str:
    if kind == "regex":
        return f"regex /{sig.pattern}/"
    if kind == "exception":
        msg = f" /{sig.message}/" if sig.message else ""
        return f"exception {sig.type}{msg}"
    if kind == "frame":
        parts = [f"{k}=/{v}/" for k in ("module", "file", "function") if (v := getattr(sig, k))]
        return f"frame ({sig.where}) " + " ".join(parts)
    return "lines " + " ... ".join(f"/{p}/" for p in sig.patterns)


class _Builder:
    def __init__(self, hyperscan: bool) -> None:
        self.hyperscan = hyperscan
        self.sigs: list[Sig] = []
        self.probes: list[Probe] = []
        self.table = LiteralTable()
        self.always: list[int] = []
        self.exc_index: dict[str, list[int]] = {}
        self.frame_lits: dict[str, list[int]] = {}
        self.frame_always: list[int] = []
        self.frame_sigs: list[int] = []
        self.exact_any: list[int] = []  # probes whose expression is exact on any line
        self.partner_pids: list[int] = []  # caseless probes taking k or s (kb_engine.partners)
        self.partner_always: list[int] = []
        self.partner_table = LiteralTable()  # their entries alone, for the folded lines

    def add_probe(self, sid: int, sub: int, lits: Literals | None, exc_line: bool = False,
                  pattern: str | None = None, ignore_case: bool = False) -> None:
        pid = len(self.probes)
        self.probes.append(Probe(pid, sid, sub, exc_line))
        if self.hyperscan and pattern is not None and lits is not None and all(
                s.isascii() for s in lits.strings):
            got = expression(pattern, ignore_case)
            if got is not None:  # the prefilter demotes what Hyperscan refuses
                expr, exact_anywhere, partners = got
                entry = (pid, expr, lits.caseless, tuple(sorted(lits.strings)))
                self.table.add_regex(*entry)
                if exact_anywhere:
                    self.exact_any.append(pid)
                # (Demoted to its literals, the probe needs the literals' partners instead.)
                if self._partners(pid, pattern, partners | case_partners(
                        lits.strings, lits.caseless)):
                    self.partner_table.add_regex(*entry)
                return
        # Caseless non-ASCII literals would need Unicode case folding on bytes: try the
        # probe on every line instead (rare, and kb lint keeps such rules visible).
        if lits is None or (lits.caseless and not all(s.isascii() for s in lits.strings)):
            self.always.append(pid)
            return
        partner = self._partners(pid, pattern, case_partners(lits.strings, lits.caseless))
        for s in lits.strings:
            self.table.add(s, pid, lits.caseless)
            if partner:
                self.partner_table.add(s, pid, lits.caseless)

    def _partners(self, pid: int, pattern: str | None, partners: frozenset[str]) -> bool:
        """Lines holding KELVIN SIGN or LONG S may match where a caseless k or s does not
        show to the prefilter (see kb_engine.partners): True for such a probe, whose
        entries go to the folded lines' prefilter too."""
        if partners:
            self.partner_pids.append(pid)
            if pattern is None or has_word_boundary(pattern):
                self.partner_always.append(pid)
        return bool(partners)

    def add_sig(self, cause: int, index: int, sig: Any, negative: bool) -> int:
        sid = len(self.sigs)
        kind = sig.kind
        common = dict(
            sid=sid, cause=cause, kind=kind, weight=sig.weight, negative=negative,
            index=index, label=_label(kind, sig),
        )
        if kind == "regex":
            s = Sig(**common, patterns=(sig.pattern,), ignore_case=sig.ignore_case)
            self.add_probe(sid, 0, required_literals(sig.pattern, sig.ignore_case),
                           pattern=sig.pattern, ignore_case=sig.ignore_case)
        elif kind == "lines":
            s = Sig(**common, patterns=tuple(sig.patterns), ignore_case=sig.ignore_case,
                    ordered=sig.ordered, window=sig.window)
            for sub, pattern in enumerate(sig.patterns):
                self.add_probe(sid, sub, required_literals(pattern, sig.ignore_case),
                               pattern=pattern, ignore_case=sig.ignore_case)
        elif kind == "exception":
            s = Sig(**common, patterns=(sig.message or "",), ignore_case=sig.ignore_case,
                    exc_type=sig.type, where=sig.where)
            self.exc_index.setdefault(sig.type, []).append(sid)
            short = sig.type.rsplit(".", 1)[-1]
            self.add_probe(sid, 0, Literals(frozenset({short}), False), exc_line=True)
        else:
            fields = (sig.module, sig.file, sig.function)
            s = Sig(**common, frame_fields=fields, where=sig.where)
            self.frame_sigs.append(sid)
            best: Literals | None = None
            for pattern in fields:
                if pattern:
                    lits = required_literals(pattern)
                    if lits and (best is None or min(map(len, lits.strings)) >
                                 min(map(len, best.strings))):
                        best = lits
            if best is None:
                self.frame_always.append(sid)
            else:
                for lit in best.strings:
                    self.frame_lits.setdefault(lit.casefold(), []).append(sid)
        self.sigs.append(s)
        return sid


def _automaton(table: dict[str, list[int]]) -> Any:
    if not table:
        return None
    auto = ahocorasick.Automaton()
    for literal, ids in table.items():
        auto.add_word(literal, tuple(ids))
    auto.make_automaton()
    return auto


def compile_pages(
    pages: list[tuple[Page, str]], *, prefer_hyperscan: bool = True
) -> CompiledRules:
    """Compile validated pages (with their source paths) into the matching form."""
    b = _Builder(prefer_hyperscan and HAVE_HYPERSCAN)
    causes: list[Cause] = []
    page_dicts: dict[str, dict[str, Any]] = {}
    sources: dict[str, str] = {}
    for page, path in pages:
        page_dicts[page.id] = page.model_dump(mode="json", exclude_none=True)
        sources[page.id] = path
        page_pk = dict(page.applies_to.packages) if page.applies_to else {}
        page_py = page.applies_to.python if page.applies_to else None
        for c in page.causes:
            ci = len(causes)
            packages = dict(page_pk)
            python = page_py
            if c.applies_to:
                packages.update(c.applies_to.packages)
                python = c.applies_to.python or python
            cause = Cause(
                key=f"{page.id}/{c.id}", page=page.id, cause_id=c.id, title=c.title,
                page_title=page.title, explanation=c.explanation,
                fix=[s.model_dump(mode="json") for s in c.fix],
                verify=[s.model_dump(mode="json") for s in c.verify],
                packages=packages, python=python, runtime=page.runtime,
            )
            cause.sigs = [b.add_sig(ci, i, s, False) for i, s in enumerate(c.signatures)]
            cause.rule_out = [b.add_sig(ci, i, s, True) for i, s in enumerate(c.rule_out)]
            causes.append(cause)
    apart = prefer_hyperscan and HAVE_HYPERSCAN  # the error words: kb_engine.errorline
    for literal, pid in builtin_literals():
        if apart and pid == PROBE_ERROR_LINE:
            continue
        regex = BUILTIN_REGEXES.get((literal, pid))
        if apart and pid in FIRST_ONLY:  # an entry of its own: no rule shares its matches
            regex = escape_literal(literal.encode())
            b.table.first_only.add(pid)
        if regex is None:
            b.table.add(literal, pid, False)
        else:
            b.table.add_regex(pid, regex, False, (literal,))
    prefilter = build_prefilter(b.table, prefer_hyperscan)
    prefilter.partner_pids = frozenset(b.partner_pids)
    if apart:
        prefilter.error_lines = ErrorLineScan()
    # A partner line's candidates must meet RE2 (hsexpr never makes those exact anywhere).
    prefilter.exact_any_pids = prefilter.exact_pids & frozenset(b.exact_any) - \
        prefilter.partner_pids
    prefilter.partner_always = frozenset(b.partner_always)
    if b.partner_pids:
        prefilter.partner_scan = build_prefilter(b.partner_table, prefer_hyperscan)
    return CompiledRules(
        pages=page_dicts, sources=sources, causes=causes, sigs=b.sigs, probes=b.probes,
        prefilter=prefilter, always_probes=b.always,
        exc_index=b.exc_index,
        frame_automaton=_automaton(b.frame_lits), frame_always=b.frame_always,
        frame_sigs=b.frame_sigs, scores=score_table(causes, b.sigs),
    )
