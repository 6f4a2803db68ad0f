"""Scanning an input in independent parts and merging them, so a big log can use every core.

Each part is scanned on its own (another process may do it) and returns its raw state;
``merge`` shifts the later parts' line numbers, combines the states and only then closes
multi-line signatures, so a ``lines`` signature whose lines straddle a split still matches.
The caller picks split points between whole records (``kb_cli.parallel``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .compiled import CompiledRules
from .hits import MAX_HITS_PER_SIG, MAX_LINE_HITS, Kept, ScanResult, SigHits
from .masks import masked, remember
from .matcher import MAX_FOREIGN_BLOCKS, Scanner
from .record import Record
from .scoring import failure_texts
from .tbmatch import MAX_TRACEBACKS
from .tbmatch import shift_traceback as _shift_tb
from .tbtypes import Traceback
from .versions import add_version


class PartialScan(Record):
    """What scanning one part found, with line numbers relative to the part."""

    sig_hits: dict[int, SigHits]
    line_hits: dict[tuple[int, int], list[int]]
    tracebacks: list[Traceback]
    foreign_blocks: list[tuple[int, int, str]]
    versions: dict[str, str]
    warnings: list[str]
    failed_sigs: set[int]
    line_text: dict[int, str]
    first_error: tuple[int, str] | None
    lines: int
    bytes: int
    masked: dict[str, str]  # texts ranking will mask

    def __init__(
        self, sig_hits: dict[int, SigHits] | None = None,
        line_hits: dict[tuple[int, int], list[int]] | None = None,
        tracebacks: list[Traceback] | None = None,
        foreign_blocks: list[tuple[int, int, str]] | None = None,
        versions: dict[str, str] | None = None, warnings: list[str] | None = None,
        failed_sigs: set[int] | None = None, line_text: dict[int, str] | None = None,
        first_error: tuple[int, str] | None = None, lines: int = 0, bytes: int = 0,
        masked: dict[str, str] | None = None,
    ) -> None:
        self.sig_hits = {} if sig_hits is None else sig_hits
        self.line_hits = {} if line_hits is None else line_hits
        self.tracebacks = [] if tracebacks is None else tracebacks
        self.foreign_blocks = [] if foreign_blocks is None else foreign_blocks
        self.versions = {} if versions is None else versions
        self.warnings = [] if warnings is None else warnings
        self.failed_sigs = set() if failed_sigs is None else failed_sigs
        self.line_text = {} if line_text is None else line_text
        self.first_error = first_error
        self.lines = lines
        self.bytes = bytes
        self.masked = {} if masked is None else masked


def scan_part(
    rules: CompiledRules, chunks: Iterable[bytes], kept: Kept | None = None
) -> PartialScan:
    """Scan one part. ``kept``: what this process's earlier parts of the same input kept,
    updated with this part's (pass one per process, parts in input order)."""
    scanner = Scanner(rules, kept=kept)
    total = 0

    def counted() -> Iterable[bytes]:
        nonlocal total
        for c in chunks:
            total += len(c)
            yield c

    scanner.feed(counted())
    if kept is not None:
        for sid, sh in scanner.sig_hits.items():
            kept.hits[sid] = kept.hits.get(sid, 0) + len(sh.hits)
        for key, lines in scanner.line_hits.items():
            kept.line_hits[key] = kept.line_hits.get(key, 0) + len(lines)
        kept.tracebacks += len(scanner.tracebacks)
        kept.foreign_blocks += len(scanner.foreign_blocks)
    return PartialScan(
        sig_hits=scanner.sig_hits, line_hits=scanner.line_hits, tracebacks=scanner.tracebacks,
        foreign_blocks=scanner.foreign_blocks, versions=scanner.versions,
        warnings=scanner.warnings, failed_sigs=scanner.failed_sigs,
        line_text=scanner.line_text, first_error=scanner.first_error,
        lines=scanner.lines_seen, bytes=total,
        # Masking is the costly part of ranking: each part masks its own texts, in parallel.
        masked=masked(failure_texts(scanner.tracebacks, scanner.line_text,
                                    scanner.first_error[1] if scanner.first_error else None)),
    )


def merge(rules: CompiledRules, parts: list[PartialScan]) -> ScanResult:
    """One ScanResult for the parts in input order; the parts are consumed (shifted in
    place), so pass each part once."""
    sc = Scanner(rules)
    offset = 0
    for part in parts:
        remember(part.masked)
        # The parts are the merge's to consume (tracebacks are shifted in place too): a
        # signature's hits are adopted or appended, not copied, hit by hit.
        for sid, hits in part.sig_hits.items():
            if offset:
                for hit in hits.hits:
                    hit.line += offset
            into = sc.sig_hits.get(sid)
            if into is None:
                sc.sig_hits[sid] = hits
                continue
            room = MAX_HITS_PER_SIG - len(into.hits)
            if room > 0:
                into.hits += hits.hits[:room]
            into.count += hits.count
        for key, lines in part.line_hits.items():
            got = sc.line_hits.setdefault(key, [])
            got.extend(ln + offset for ln in lines[: MAX_LINE_HITS - len(got)])
        for tb in part.tracebacks[: MAX_TRACEBACKS - len(sc.tracebacks)]:  # first N, as
            _shift_tb(tb, offset)  # one scan keeps them
            sc.tracebacks.append(tb)
        sc.foreign_blocks += [(a + offset, b + offset, k) for a, b, k in
                              part.foreign_blocks[: MAX_FOREIGN_BLOCKS - len(sc.foreign_blocks)]]
        for name, version in part.versions.items():  # the first names, as one scan keeps
            add_version(sc.versions, name, version)
        sc.warnings += [w for w in part.warnings if w not in sc.warnings]
        sc.failed_sigs |= part.failed_sigs
        sc.line_text.update({ln + offset: t for ln, t in part.line_text.items()})
        if sc.first_error is None and part.first_error is not None:
            sc.first_error = (part.first_error[0] + offset, part.first_error[1])
        offset += part.lines
        sc.bytes_seen += part.bytes
    sc.lines_seen = offset
    return sc.result()


_RECORD_START = re.compile(rb"^(?:\d|\[|\{|(?:DEBUG|INFO|WARNING|WARN|NOTICE)\b)")
_UNSAFE = (b"Traceback", b'File "', b"Error", b"Exception", b"at ", b"Caused by", b"panic",
           b"goroutine", b"During handling", b"The above exception", b"|", b"+-")
SPLIT_SEARCH = 1 << 20  # how far past ``near`` safe_split looks for a cut
# An exception message's continuation ("[SQL: ...]" after a SQLAlchemy error) can look like
# a record, but it never runs past tracebacks._MAX_DETAIL (40) lines after the exception
# line, and the line before that always carries a marker (a frame, a caret, a header).
LOOKBACK_LINES = 48


# One search for all markers: four times quicker than a test per marker, and a file with
# no safe place to cut (a crash loop) is searched a MB at a time (kb_cli.parallel).
_UNSAFE_SEARCH = re.compile(b"|".join(map(re.escape, _UNSAFE))).search


def _marked(line: bytes) -> bool:
    return _UNSAFE_SEARCH(line) is not None


def _clean_run_before(data: bytes, end: int, starts_input: bool) -> int:
    """How many marker-free lines end at ``end`` (counted up to LOOKBACK_LINES); the lines
    before ``data`` begins count as marked unless ``data`` starts the input."""
    run = 0
    while run < LOOKBACK_LINES:
        if end < 0:
            return LOOKBACK_LINES if starts_input else run
        start = data.rfind(b"\n", 0, end) + 1
        if start == 0 and not starts_input:
            return run  # this line may have begun before the data we were given
        if _marked(data[start:end]):
            return run
        run += 1
        end = start - 1
    return run


def safe_split(data: bytes, near: int, *, starts_input: bool = True) -> int | None:
    """A split offset at or after ``near`` that no traceback, stack trace or continuation
    crosses: between two lines that both start a log record and carry no error markers,
    after at least LOOKBACK_LINES lines without markers. ``starts_input`` says whether
    ``data`` begins at the start of the input (else its first line may be partial). None
    when no such place lies within 1 MB (scan that input whole)."""
    start = data.find(b"\n", near)
    if start < 0:
        return None
    limit = min(len(data), near + SPLIT_SEARCH)
    prev_start = data.rfind(b"\n", 0, start) + 1
    run = _clean_run_before(data, prev_start - 1, starts_input)  # lines before ``prev``
    while 0 <= start < limit:
        prev = data[prev_start:start]
        run = 0 if _marked(prev) or (prev_start == 0 and not starts_input) else run + 1
        end = data.find(b"\n", start + 1)
        nxt = data[start + 1: end if end >= 0 else len(data)]
        if (run >= LOOKBACK_LINES and prev and nxt and _RECORD_START.match(prev)
                and _RECORD_START.match(nxt) and not _marked(nxt)):
            return start + 1
        prev_start, start = start + 1, end
    return None
