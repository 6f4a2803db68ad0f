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
from .compiled import CompiledRules, Sig
from .errorline import ERROR_LINE
from .hits import (
    MAX_EVIDENCE_TEXT,
    MAX_HITS_PER_SIG,
    MAX_LINE_HITS,
    ScanResult,
    regex_captures,
)
from .linespans import LineSpans
from .markers import (
    BUILTIN_FOREIGN,
    PROBE_ERROR_LINE,
    PROBE_PARTNER,
    PROBE_PYTHON_VERSION,
    PROBE_SYNTAX,
    PROBE_TB_HEADER,
    PROBE_VERSION,
    builtin_literals,
)
from .partners import add_partner_candidates
from .prefilter import Candidates
from .regexes import bytes_tester
from .tbmatch import Recorder, type_matches
from .tbscan import headers_to_parse
from .tbtypes import ParsedException
from .tracebacks import parse_bare_syntax_error
from .versionlines import read_versions
from .windows import MAX_LINE_BYTES, WindowLines, window_match, windows

MAX_FOREIGN_BLOCKS = 1000
# Foreign-stack lines remembered with their answer, if short (Scanner._foreign_line).
_FOREIGN_MEMO, _FOREIGN_MEMO_BYTES = 8192, 512
_EXC_ON_LINE = re.compile(
    r"(?:^|[\s:(\[\"'=|])((?:[A-Za-z_]\w*\.)*[A-Za-z_]\w*)(?:: ?(.*))?$"
)


class Scanner(Recorder):
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
        errs = candidates.pop(PROBE_ERROR_LINE, {})
        if self.first_error is None:
            scan = self.rules.prefilter.error_lines if self.use_prefilter else None
            for local in sorted(errs) if scan is None else scan.lines(window):
                if ERROR_LINE.search(lines[local]):
                    self.first_error = (base + local, lines[local][:MAX_EVIDENCE_TEXT])
                    break
        tb_lines = LineSpans()
        copies = LineSpans()  # tracebacks the memo copied: lines read before
        heads = headers_to_parse(window, candidates.pop(PROBE_TB_HEADER, {}), len(lines))
        for local in heads:
            if local in tb_lines:  # past MAX_TRACEBACKS still parsed: hits, not kept
                continue
            tb, block = self._tb_memo.parse(lines, local)
            if tb is None:
                continue
            first, last = tb.first_line, tb.last_line
            if block is not None:  # a copy: the block's traceback, lines from 0
                first, last = first + local, last + local
                if block.same_versions:  # its lines name what lines read before named
                    copies.add(first, last)
                self._add_copy(tb, block, local, base, lines)
            else:
                self._add_traceback(tb, base, lines)
            tb_lines.add(first, last)
        read_versions(lines, sorted(candidates.pop(PROBE_VERSION, {})),
                      candidates.pop(PROBE_PYTHON_VERSION, {}), copies, self.versions,
                      self._version_lines)
        for local in sorted(candidates.pop(PROBE_SYNTAX, {})):
            if local in tb_lines:
                continue
            tb = parse_bare_syntax_error(lines, local)
            if tb:
                tb_lines.add(tb.first_line, tb.last_line)
                self._add_traceback(tb, base, lines)
        self._foreign(candidates, base, lines, tb_lines)
        self._confirm_probes(candidates, base, lines, tb_lines)

    def _foreign(self, candidates: Candidates, base: int, lines: WindowLines,
                 tb_lines: LineSpans) -> None:
        """Foreign stack blocks (Java, Go, Node, Rust) among the candidates of their probes,
        which it takes out. Once MAX_FOREIGN_BLOCKS are kept no block is added, so their
        lines are not read (a Java crash loop has one block a request)."""
        room = len(self.foreign_blocks) + self.kept.foreign_blocks < MAX_FOREIGN_BLOCKS
        marks: dict[int, str] = {}
        for kind, pid in BUILTIN_FOREIGN.items():
            found = candidates.pop(pid, {})
            if not room:
                continue
            for local in found:
                if local not in tb_lines and self._foreign_line(kind, pid, lines, local):
                    marks[local] = kind
        for first, last, kind in foreign.blocks(marks, lines):
            if len(self.foreign_blocks) + self.kept.foreign_blocks < MAX_FOREIGN_BLOCKS:
                self.foreign_blocks.append((base + first, base + last, kind))

    def _foreign_line(self, kind: str, pid: int, lines: WindowLines, local: int) -> bool:
        """``foreign.confirm`` of the line, remembered by its bytes (its text is theirs): a
        Java or Go crash loop prints the same frames for every request, each a regex."""
        raw = lines.raw(local)
        memo = self._foreign_memo
        got = memo.get((pid, raw))
        if got is None:
            got = foreign.confirm(kind, lines[local])
            if len(raw) <= _FOREIGN_MEMO_BYTES:
                if len(memo) >= _FOREIGN_MEMO:
                    memo.clear()
                memo[(pid, raw)] = got
        return got

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
        self, candidates: Candidates, base: int, lines: WindowLines, tb_lines: LineSpans
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
                if (exact and sig.kind == "regex" and lines.lines_fit
                        and (anywhere or lines.is_ascii)):
                    self._exact_hits(sig, sorted(locals_), base, lines)
                    continue
                # A "lines" signature keeps this pattern's first MAX_LINE_HITS lines only.
                lines_kind, key = sig.kind != "regex", (sig.sid, probe.sub)
                hits = self.line_hits.get(key)
                room = MAX_LINE_HITS - len(hits or ()) - self.kept.line_hits.get(key, 0)
                test = None  # compiled on first need: exact probes may never need RE2
                for local, offset in sorted(locals_.items()):
                    if lines_kind and room <= 0:
                        break  # past the cap a "lines" hit records nothing: not confirmed
                    raw = lines.raw(local)
                    if not (exact and (anywhere or raw.isascii())
                            and offset - lines.start(local) < MAX_LINE_BYTES):
                        if not raw.isascii():  # RE2 sees what decoding made of bad bytes
                            raw = lines[local].encode("utf-8", "surrogatepass")
                        if test is None:
                            test = bytes_tester(sig.patterns[probe.sub], sig.ignore_case)
                        if not test(raw):
                            continue
                    if not lines_kind:
                        self._regex_hit(sig, base + local, lines[local])
                    else:
                        if hits is None:
                            hits = self.line_hits[key] = []
                        hits.append(base + local)
                        self.line_text[base + local] = lines[local][:MAX_EVIDENCE_TEXT]
                        room -= 1
            except Exception as exc:  # a broken rule must not take the diagnosis down
                self._fail(sig, exc)

    def _exact_hits(self, sig: Sig, where: list[int], base: int, lines: WindowLines) -> None:
        """Hits of a probe whose every prefilter hit on these lines is a match (ASCII, or
        any line, and none cut at MAX_LINE_BYTES): nothing to confirm, and once the
        signature keeps no more hits the rest are only counted, none decoded."""
        for n, local in enumerate(where):
            if self._counted_only(sig.sid):  # this one counted; the others too, at once
                self.sig_hits[sig.sid].count += len(where) - n - 1
                return
            self._regex_hit(sig, base + local, lines[local])

    def _exception_line(self, sig: Sig, lineno: int, line: str) -> None:
        m = _EXC_ON_LINE.search(line.rstrip())
        if not m:
            return
        exc = ParsedException(type=m.group(1), message=(m.group(2) or "").strip(), line=lineno)
        if type_matches(exc.type, sig.exc_type or ""):
            caps = self._message_caps(sig, exc)
            if caps is not None:
                self._hit(sig, lineno, line, caps)

    # -- helpers ---------------------------------------------------------------------
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
