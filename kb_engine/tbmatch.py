"""Matching parsed tracebacks: exception and frame signatures, and recording hits.

``Recorder`` is the scanner's state and its hit bookkeeping; ``Scanner``
(``kb_engine.matcher``) adds the line probes. Hits past a signature's cap are only
counted: a crash loop repeats the same frames thousands of times, and each of those hits
would otherwise decode its line and build a ``Hit`` nobody keeps.
"""

from __future__ import annotations

from collections.abc import Iterator

from .compiled import CompiledRules, Sig
from .hits import MAX_EVIDENCE_TEXT, MAX_HITS_PER_SIG, Hit, Kept, SigHits
from .regexes import fast_search, search_captures
from .tbmemo import Block, TracebackMemo, moved
from .tbtypes import ParsedException, Traceback
from .windows import WindowLines

MAX_TRACEBACKS = 500
MAX_FRAME_MEMO = 20_000
KEPT_EXCEPTIONS = 20  # of a kept traceback's chain: the first and the last (trim_traceback)
KEPT_FRAMES = 10  # of each kept exception's frames: the outermost and the innermost
_CAPS_CHARS = 1024
_UNSEEN: dict[str, str] = {}  # not in the memo yet (None is a remembered miss)


class Recorder:
    """What a scan found so far, and how a hit is recorded."""

    def __init__(self, rules: CompiledRules, *, use_prefilter: bool = True,
                 kept: Kept | None = None) -> None:
        self.rules = rules
        self.use_prefilter = use_prefilter
        self.kept = kept or Kept()
        self.sig_hits: dict[int, SigHits] = {}
        self.line_hits: dict[tuple[int, int], list[int]] = {}  # (sid, sub) -> lines
        self.tracebacks: list[Traceback] = []
        self.foreign_blocks: list[tuple[int, int, str]] = []
        self.versions: dict[str, str] = {}
        self.warnings: list[str] = []
        self.failed_sigs: set[int] = set()
        self.line_text: dict[int, str] = {}
        self.lines_seen = 0
        self.bytes_seen = 0
        self.first_error: tuple[int, str] | None = None
        self._frame_memo: dict[tuple[str, str, str, bool], list[int]] = {}
        self._exc_memo: dict[str, list[int]] = {}  # exception type -> its signatures
        self._version_lines: set[bytes | tuple[bytes]] = set()  # see Scanner._versions
        self._tb_memo = TracebackMemo()
        self._caps_memo: dict[tuple[int, str], dict[str, str] | None] = {}
        self._foreign_memo: dict[tuple[int, bytes], bool] = {}  # see Scanner._foreign_line

    def _hit(self, sig: Sig, lineno: int, line: str, caps: dict[str, str] | None) -> None:
        if self._counted_only(sig.sid):
            return
        text = line[:MAX_EVIDENCE_TEXT]
        self.line_text[lineno] = text
        self.sig_hits[sig.sid].add(Hit(lineno, text, caps))

    def _counted_only(self, sid: int) -> bool:
        """True (and the hit counted) when the signature keeps no more hits: the caller
        need not decode the line. False: the caller records the hit (``_hit``)."""
        sh = self.sig_hits.get(sid)
        if sh is None:
            sh = self.sig_hits[sid] = SigHits()
        if len(sh.hits) + self.kept.hits.get(sid, 0) >= MAX_HITS_PER_SIG:
            sh.count += 1  # counted, not kept: memory stays flat
            return True
        return False

    def _fail(self, sig: Sig, exc: BaseException) -> None:
        self.failed_sigs.add(sig.sid)
        cause = self.rules.causes[sig.cause]
        where = "rule_out" if sig.negative else "signatures"
        self.warnings.append(
            f"rule {cause.key} {where}[{sig.index}] failed and was skipped: "
            f"{type(exc).__name__}: {exc}"
        )

    # -- tracebacks ------------------------------------------------------------------
    def _add_traceback(self, tb: Traceback, base: int, lines: WindowLines) -> None:
        """A traceback parsed in this window (its lines the window's): its hits, and the
        traceback itself while tracebacks are kept."""
        self._hits_of(self._plan(tb), 0, base, lines)
        self._keep(tb, base, lines)

    def _add_copy(self, tb: Traceback, block: Block, at: int, base: int,
                  lines: WindowLines) -> None:
        """A traceback the memo copied (``tb`` is its block's, lines from 0) at window line
        ``at``. The same signatures match the same exceptions and frames wherever the
        block stands, so its plan is made once, at its first copy; the traceback's objects
        are copied only to be kept, and only the exceptions and frames a kept one holds
        (trimming twice trims nothing more)."""
        if block.plan is None:
            block.plan = self._plan(tb)
        self._hits_of(block.plan, at, base, lines)
        if self._keeps_tracebacks():
            if block.kept is None:  # trimmed once: copies are made of what _keep keeps
                block.kept = moved(tb, 0)
                trim_traceback(block.kept)
            self._keep(moved(block.kept, at), base, lines)

    def _keeps_tracebacks(self) -> bool:
        return len(self.tracebacks) + self.kept.tracebacks < MAX_TRACEBACKS

    def _keep(self, tb: Traceback, base: int, lines: WindowLines) -> None:
        first = tb.first_line
        shift_traceback(tb, base)
        if self._keeps_tracebacks():
            trim_traceback(tb)
            self.tracebacks.append(tb)
            for exc in tb.exceptions:
                self.line_text[exc.line] = lines[exc.line - base][:MAX_EVIDENCE_TEXT]
            self.line_text[tb.first_line] = lines[first][:MAX_EVIDENCE_TEXT]

    def _plan(self, tb: Traceback) -> list[tuple[int, int, dict[str, str] | None]]:
        """The hits ``tb`` gives, in the order they are recorded: (signature, line of tb,
        the message's captures or None for a frame). Exception signatures first, then
        frame signatures, frame by frame."""
        out: list[tuple[int, int, dict[str, str] | None]] = []
        final = tb.final
        rules = self.rules
        for exc in tb.exceptions:
            for sid in self._exc_sigs(exc.type):
                sig = rules.sigs[sid]
                if sid in self.failed_sigs or (sig.where == "last" and exc is not final):
                    continue
                try:
                    caps = self._message_caps(sig, exc)
                except Exception as err:
                    self._fail(sig, err)
                    continue
                if caps is not None:
                    out.append((sid, exc.line, caps))
        if not rules.frame_sigs:
            return out
        for exc in tb.exceptions:
            last = len(exc.frames) - 1
            for pos, fr in enumerate(exc.frames):
                for sid in self._frame_sigs(fr.module, fr.file, fr.function or "", pos == last):
                    out.append((sid, fr.line, None))
        return out

    def _hits_of(self, plan: list[tuple[int, int, dict[str, str] | None]], at: int,
                 base: int, lines: WindowLines) -> None:
        """Record a plan's hits for its traceback at window line ``at``."""
        sigs, failed = self.rules.sigs, self.failed_sigs
        for sid, line, caps in plan:
            if sid in failed or self._counted_only(sid):
                continue
            line += at
            self._hit(sigs[sid], base + line, lines[line], {} if caps is None else dict(caps))

    def _exc_sigs(self, etype: str) -> list[int]:
        """Exception signatures naming ``etype`` or a dotted suffix of it; memoised, since
        a chain or a retry loop repeats the same few types."""
        got = self._exc_memo.get(etype)
        if got is None:
            if len(self._exc_memo) >= MAX_FRAME_MEMO:
                self._exc_memo.clear()
            index = self.rules.exc_index
            got = self._exc_memo[etype] = [
                sid for suffix in _suffixes(etype) for sid in index.get(suffix, ())]
        return got

    def _frame_sigs(self, module: str, file: str, function: str, innermost: bool) -> list[int]:
        """Frame signatures matching one frame; memoised, since tracebacks repeat frames."""
        key = (module, file, function, innermost)
        got = self._frame_memo.get(key)
        if got is not None:
            return got
        rules = self.rules
        cands: set[int] = set(rules.frame_always)
        if not self.use_prefilter:
            cands.update(rules.frame_sigs)
        elif rules.frame_automaton is not None:
            # casefold, not lower: RE2's (?i) takes LONG S for s, and lower() keeps it
            hay = f"{module}\n{file}\n{function}".casefold()
            for _, sids in rules.frame_automaton.iter(hay):
                cands.update(sids)
        out: list[int] = []
        for sid in sorted(cands):
            sig = rules.sigs[sid]
            if sid in self.failed_sigs or (sig.where == "innermost" and not innermost):
                continue
            try:
                if _frame_matches(sig, module, file, function):
                    out.append(sid)
            except Exception as err:
                self._fail(sig, err)
        if len(self._frame_memo) >= MAX_FRAME_MEMO:  # a log of endless distinct frames
            self._frame_memo.clear()
        self._frame_memo[key] = out
        return out

    def _message_caps(self, sig: Sig, exc: ParsedException) -> dict[str, str] | None:
        """None if the message pattern fails, else its named captures; remembered for
        short messages, which a crash loop or a retry loop repeats."""
        if len(exc.message) > _CAPS_CHARS or exc.detail:
            return self._search_message(sig, exc)
        key = (sig.sid, exc.message)
        got = self._caps_memo.get(key, _UNSEEN)
        if got is _UNSEEN:
            got = self._search_message(sig, exc)
            if len(self._caps_memo) >= MAX_FRAME_MEMO:
                self._caps_memo.clear()
            self._caps_memo[key] = got
        return None if got is None else dict(got)  # each hit owns its captures

    def _search_message(self, sig: Sig, exc: ParsedException) -> dict[str, str] | None:
        pattern = sig.patterns[0] if sig.patterns else ""
        if not pattern:
            return {}
        # The first line alone first, so ^...$ anchors mean what authors expect.
        caps = search_captures(pattern, sig.ignore_case, exc.message)
        if caps is None and exc.detail:
            caps = search_captures(pattern, sig.ignore_case, exc.full_message)
        return caps


def _suffixes(qualified: str) -> Iterator[str]:
    parts = qualified.split(".")
    for i in range(len(parts)):
        yield ".".join(parts[i:])


def type_matches(actual: str, wanted: str) -> bool:
    return actual == wanted or actual.endswith("." + wanted)


def _frame_matches(sig: Sig, module: str, file: str, function: str) -> bool:
    for pattern, value in zip(sig.frame_fields, (module, file, function), strict=True):
        if pattern and not fast_search(pattern, False, value):
            return False
    return True


def trim_traceback(tb: Traceback) -> None:
    """Keep of a traceback what a report reads: its final exception with its innermost
    frames, and its lines (kb_engine.scoring), with the first and last exceptions of a
    chain and the outermost and innermost frames of each. Its hits were recorded before,
    from all of it. Without this, 500 kept tracebacks of 5,000 lines each (long chains,
    deep recursions) held 400 MB from a 100 MB log."""
    excs = tb.exceptions
    if len(excs) > 2 * KEPT_EXCEPTIONS:
        final = tb.final
        middle = excs[KEPT_EXCEPTIONS:-KEPT_EXCEPTIONS]
        tb.exceptions = [*excs[:KEPT_EXCEPTIONS],
                         *[e for e in middle if e is final],  # its place in the order
                         *excs[-KEPT_EXCEPTIONS:]]
    for exc in tb.exceptions:
        if len(exc.frames) > 2 * KEPT_FRAMES:
            exc.frames = exc.frames[:KEPT_FRAMES] + exc.frames[-KEPT_FRAMES:]


def shift_traceback(tb: Traceback, base: int) -> None:
    if not base:
        return
    tb.first_line += base
    tb.last_line += base
    for exc in tb.exceptions:
        exc.line += base
        for fr in exc.frames:
            fr.line += base


__all__ = ["KEPT_EXCEPTIONS", "KEPT_FRAMES", "MAX_FRAME_MEMO", "MAX_TRACEBACKS", "Recorder",
           "shift_traceback", "trim_traceback", "type_matches"]
