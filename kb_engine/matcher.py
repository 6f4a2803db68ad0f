"""Run compiled signatures over an input, window by window.

The input streams through in windows of whole lines. For each window:

1. one Aho-Corasick pass finds every literal of every signature (the prefilter),
2. tracebacks are parsed from the header lines it found,
3. only the candidate (probe, line) pairs are confirmed with RE2,
4. exceptions and frames of parsed tracebacks are looked up in their indexes.

With ``use_prefilter=False`` every probe is tried on every line; a test proves
both paths give identical results.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from . import foreign
from .compiled import (
    BUILTIN_FOREIGN,
    PROBE_ERROR_LINE,
    PROBE_PARTNER,
    PROBE_SYNTAX,
    PROBE_TB_HEADER,
    PROBE_VERSION,
    CompiledRules,
    Sig,
    builtin_literals,
)
from .hits import (
    MAX_EVIDENCE_TEXT,
    MAX_HITS_PER_SIG,
    MAX_LINE_HITS,
    Hit,
    Kept,
    ScanResult,
    SigHits,
    named_groups,
    regex_captures,
)
from .partners import add_partner_candidates
from .prefilter import Candidates
from .regexes import bytes_tester, compile_re2, fast_search
from .tracebacks import ParsedException, Traceback, parse_bare_syntax_error, parse_traceback
from .versions import find_versions
from .windows import MAX_LINE_BYTES, WindowLines, window_match, windows

MAX_TRACEBACKS = 500
MAX_FOREIGN_BLOCKS = 1000
MAX_FRAME_MEMO = 20_000
_EXC_ON_LINE = re.compile(
    r"(?:^|[\s:(\[\"'=|])((?:[A-Za-z_]\w*\.)*[A-Za-z_]\w*)(?:: ?(.*))?$"
)


_ERROR_LINE = re.compile(r"\b(?:ERROR|CRITICAL|FATAL|Error|Exception)\b")


class Scanner:
    def __init__(
        self, rules: CompiledRules, *, use_prefilter: bool = True, kept: Kept | None = None
    ) -> None:
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

    # -- windows -----------------------------------------------------------------
    def scan(self, chunks: Iterable[bytes]) -> ScanResult:
        self.feed(chunks)
        return self.result()

    def feed(self, chunks: Iterable[bytes]) -> None:
        """Scan windows without closing multi-line signatures (parts are merged first)."""
        for window in windows(chunks):
            self._window(self.lines_seen, window)

    def _window(self, base: int, window: bytes) -> None:
        candidates, lines = self._candidates(window)
        self.lines_seen = base + len(lines)
        for local in sorted(candidates.pop(PROBE_VERSION, {})):
            find_versions(lines[local], self.versions)
        errs = candidates.pop(PROBE_ERROR_LINE, {})
        if self.first_error is None:
            for local in sorted(errs):
                if _ERROR_LINE.search(lines[local]):
                    self.first_error = (base + local, lines[local][:MAX_EVIDENCE_TEXT])
                    break
        tb_lines: set[int] = set()
        for local in sorted(candidates.pop(PROBE_TB_HEADER, {})):
            if local in tb_lines:  # past MAX_TRACEBACKS still parsed: hits, not kept
                continue
            tb = parse_traceback(lines, local)
            if tb:
                tb_lines.update(range(tb.first_line, tb.last_line + 1))
                self._add_traceback(tb, base, lines)
        for local in sorted(candidates.pop(PROBE_SYNTAX, {})):
            if local in tb_lines:
                continue
            tb = parse_bare_syntax_error(lines, local)
            if tb:
                tb_lines.update(range(tb.first_line, tb.last_line + 1))
                self._add_traceback(tb, base, lines)
        marks: dict[int, str] = {}
        for kind, pid in BUILTIN_FOREIGN.items():
            for local in candidates.pop(pid, {}):
                if local not in tb_lines and foreign.confirm(kind, lines[local]):
                    marks[local] = kind
        for first, last, kind in foreign.blocks(marks, lines):
            if len(self.foreign_blocks) + self.kept.foreign_blocks < MAX_FOREIGN_BLOCKS:
                self.foreign_blocks.append((base + first, base + last, kind))
        self._confirm_probes(candidates, base, lines, tb_lines)

    def _candidates(self, window: bytes) -> tuple[Candidates, WindowLines]:
        """probe id -> {local line: offset} worth confirming, and the window's lines."""
        rules = self.rules
        if not self.use_prefilter:
            return self._every_line(window)
        out, n = rules.prefilter.candidates(window)
        known: dict[int, int] = {}
        for found in out.values():
            known.update(found)
        lines = WindowLines(window, known, n)
        holding = out.pop(PROBE_PARTNER, None)
        if holding:
            add_partner_candidates(rules.prefilter, lines, holding, out)
        if rules.always_probes:
            every = {i: lines.start(i) for i in range(len(lines))}
            for pid in rules.always_probes:
                out.setdefault(pid, {}).update(every)
        return out, lines

    def _every_line(self, window: bytes) -> tuple[Candidates, WindowLines]:
        """The reference path: every probe on every line (tests compare it with the prefilter)."""
        lines = WindowLines(window, n=window.count(b"\n") + 1)
        every = {i: lines.start(i) for i in range(len(lines))}
        out: Candidates = {probe.pid: dict(every) for probe in self.rules.probes}
        # Built-in probes are literal tests by definition: check them line by line.
        for literal, pid in builtin_literals():
            hits = {i: every[i] for i in range(len(lines)) if literal in lines[i]}
            out.setdefault(pid, {}).update(hits)
        return out, lines

    # -- line probes ---------------------------------------------------------------
    def _confirm_probes(
        self, candidates: Candidates, base: int, lines: WindowLines, tb_lines: set[int]
    ) -> None:
        rules = self.rules
        for pid, locals_ in candidates.items():
            if pid < 0:
                continue
            probe = rules.probes[pid]
            sig = rules.sigs[probe.sid]
            if probe.sid in self.failed_sigs:
                continue
            try:
                if probe.exc_line:
                    for local in sorted(locals_):
                        if local not in tb_lines:
                            self._exception_line(sig, base + local, lines[local])
                    continue
                exact = self.use_prefilter and pid in rules.prefilter.exact_pids
                anywhere = exact and pid in rules.prefilter.exact_any_pids
                test = None  # compiled on first need: exact probes may never need RE2
                for local, offset in sorted(locals_.items()):
                    raw = lines.raw(local)
                    if not (exact and (anywhere or raw.isascii())
                            and offset - lines.start(local) < MAX_LINE_BYTES):
                        if not raw.isascii():  # RE2 sees what decoding made of bad bytes
                            raw = lines[local].encode("utf-8", "surrogatepass")
                        if test is None:
                            test = bytes_tester(sig.patterns[probe.sub], sig.ignore_case)
                        if not test(raw):
                            continue
                    line = lines[local]
                    if sig.kind == "regex":
                        self._regex_hit(sig, base + local, line)
                    else:
                        key = (sig.sid, probe.sub)
                        hits = self.line_hits.setdefault(key, [])
                        if len(hits) + self.kept.line_hits.get(key, 0) < MAX_LINE_HITS:
                            hits.append(base + local)
                            self.line_text[base + local] = line[:MAX_EVIDENCE_TEXT]
            except Exception as exc:  # a broken rule must not take the diagnosis down
                self._fail(sig, exc)

    def _exception_line(self, sig: Sig, lineno: int, line: str) -> None:
        m = _EXC_ON_LINE.search(line.rstrip())
        if not m:
            return
        exc = ParsedException(type=m.group(1), message=(m.group(2) or "").strip(), line=lineno)
        if _type_matches(exc.type, sig.exc_type or ""):
            caps = self._message_caps(sig, exc)
            if caps is not None:
                self._hit(sig, lineno, line, caps)

    # -- tracebacks ------------------------------------------------------------------
    def _add_traceback(self, tb: Traceback, base: int, lines: WindowLines) -> None:
        first = tb.first_line
        shift_traceback(tb, base)
        if len(self.tracebacks) + self.kept.tracebacks < MAX_TRACEBACKS:
            self.tracebacks.append(tb)
            for exc in tb.exceptions:
                self.line_text[exc.line] = lines[exc.line - base][:MAX_EVIDENCE_TEXT]
            self.line_text[tb.first_line] = lines[first][:MAX_EVIDENCE_TEXT]
        final = tb.final
        rules = self.rules
        for exc in tb.exceptions:
            for sid in self._exc_sigs(exc.type):
                sig = rules.sigs[sid]
                if sid in self.failed_sigs or (sig.where == "last" and exc is not final):
                    continue
                try:
                    caps = self._message_caps(sig, exc)
                    if caps is not None:
                        self._hit(sig, exc.line, lines[exc.line - base], caps)
                except Exception as err:
                    self._fail(sig, err)
        self._frames(tb, base, lines)

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

    def _frames(self, tb: Traceback, base: int, lines: WindowLines) -> None:
        if not self.rules.frame_sigs:
            return
        for exc in tb.exceptions:
            for pos, fr in enumerate(exc.frames):
                innermost = pos == len(exc.frames) - 1
                for sid in self._frame_sigs(fr.module, fr.file, fr.function or "", innermost):
                    self._hit(self.rules.sigs[sid], fr.line, lines[fr.line - base], {})

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

    # -- helpers ---------------------------------------------------------------------
    def _message_caps(self, sig: Sig, exc: ParsedException) -> dict[str, str] | None:
        """None if the message pattern fails, else its named captures."""
        pattern = sig.patterns[0] if sig.patterns else ""
        if not pattern:
            return {}
        regex = compile_re2(pattern, sig.ignore_case)
        # The first line alone first, so ^...$ anchors mean what authors expect.
        m = regex.search(exc.message)
        if m is None and exc.detail:
            m = regex.search(exc.full_message)
        return None if m is None else named_groups(m)

    def _regex_hit(self, sig: Sig, lineno: int, line: str) -> None:
        """A regex signature's hit. Its captures are found later, and only if the cause is
        reported (``hit_captures``): most hits never need them, and the capturing compile
        of thousands of patterns was the biggest fixed cost of a big log."""
        caps = None
        sh = self.sig_hits.get(sig.sid)
        if len(line) > MAX_EVIDENCE_TEXT and (sh is None or len(sh.hits) < MAX_HITS_PER_SIG):
            # The stored text is cut: capture now.
            caps = regex_captures(sig, line)
        self._hit(sig, lineno, line, caps)

    def _hit(self, sig: Sig, lineno: int, line: str, caps: dict[str, str] | None) -> None:
        sh = self.sig_hits.get(sig.sid)
        if sh is None:
            sh = self.sig_hits[sig.sid] = SigHits()
        if len(sh.hits) + self.kept.hits.get(sig.sid, 0) >= MAX_HITS_PER_SIG:
            # counted, not kept: memory stays flat
            sh.count += 1
            return
        text = line[:MAX_EVIDENCE_TEXT]
        self.line_text[lineno] = text
        sh.add(Hit(lineno, text, caps))

    def _fail(self, sig: Sig, exc: BaseException) -> None:
        self.failed_sigs.add(sig.sid)
        cause = self.rules.causes[sig.cause]
        where = "rule_out" if sig.negative else "signatures"
        self.warnings.append(
            f"rule {cause.key} {where}[{sig.index}] failed and was skipped: "
            f"{type(exc).__name__}: {exc}"
        )

    def result(self) -> ScanResult:
        self._close_lines_sigs()
        return ScanResult(
            sig_hits=self.sig_hits, tracebacks=self.tracebacks,
            foreign_blocks=self.foreign_blocks,
            versions=self.versions, line_count=self.lines_seen, byte_count=self.bytes_seen,
            first_error_line=self.first_error, warnings=self.warnings, line_text=self.line_text,
        )

    def _close_lines_sigs(self) -> None:
        """Decide multi-line signatures once every window has been seen."""
        for sid in sorted({sid for sid, _ in self.line_hits}):  # not every rule's signatures
            sig = self.rules.sigs[sid]
            if sig.kind != "lines" or sig.sid in self.failed_sigs:
                continue
            per_sub = [self.line_hits.get((sig.sid, i)) for i in range(len(sig.patterns))]
            if not all(per_sub):
                continue
            found = window_match([sorted(h) for h in per_sub if h], sig.window, sig.ordered)
            if found:
                for sub, ln in enumerate(found):
                    text = self.line_text.get(ln, "")
                    self._hit(sig, ln, text, regex_captures(sig, text, sub))


def _suffixes(qualified: str) -> Iterator[str]:
    parts = qualified.split(".")
    for i in range(len(parts)):
        yield ".".join(parts[i:])


def _type_matches(actual: str, wanted: str) -> bool:
    return actual == wanted or actual.endswith("." + wanted)


def _frame_matches(sig: Sig, module: str, file: str, function: str) -> bool:
    for pattern, value in zip(sig.frame_fields, (module, file, function), strict=True):
        if pattern and not fast_search(pattern, False, value):
            return False
    return True


def shift_traceback(tb: Traceback, base: int) -> None:
    if not base:
        return
    tb.first_line += base
    tb.last_line += base
    for exc in tb.exceptions:
        exc.line += base
        for fr in exc.frames:
            fr.line += base


def scan_text(
    rules: CompiledRules, data: str | bytes | Iterable[str | bytes], *,
    use_prefilter: bool = True,
) -> ScanResult:
    """Scan an input given as text or UTF-8 bytes, whole or as an iterable of chunks."""
    chunks: Iterable[str | bytes] = [data] if isinstance(data, str | bytes) else data
    scanner = Scanner(rules, use_prefilter=use_prefilter)

    def as_bytes() -> Iterator[bytes]:
        for c in chunks:
            b = c.encode("utf-8", "surrogatepass") if isinstance(c, str) else c
            scanner.bytes_seen += len(b)
            yield b

    return scanner.scan(as_bytes())
