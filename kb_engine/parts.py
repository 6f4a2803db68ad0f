"""Scanning an input in independent parts and merging them, so a big log can use every core.

Each part is scanned on its own (another process may do it) and returns its raw state;
``merge`` shifts the later parts' line numbers, combines the states and only then closes
multi-line signatures, so a ``lines`` signature whose lines straddle a split still matches.
The caller picks split points between whole records (``kb_cli.parallel``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from .compiled import CompiledRules
from .hits import MAX_HITS_PER_SIG, MAX_LINE_HITS, Hit, ScanResult, SigHits
from .masks import masked, remember
from .matcher import Scanner
from .matcher import shift_traceback as _shift_tb
from .scoring import failure_texts
from .tracebacks import Traceback


@dataclass
class PartialScan:
    """What scanning one part found, with line numbers relative to the part."""

    sig_hits: dict[int, SigHits] = field(default_factory=dict)
    line_hits: dict[tuple[int, int], list[int]] = field(default_factory=dict)
    tracebacks: list[Traceback] = field(default_factory=list)
    foreign_blocks: list[tuple[int, int, str]] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    failed_sigs: set[int] = field(default_factory=set)
    line_text: dict[int, str] = field(default_factory=dict)
    first_error: tuple[int, str] | None = None
    lines: int = 0
    bytes: int = 0
    masked: dict[str, str] = field(default_factory=dict)  # texts ranking will mask


def scan_part(rules: CompiledRules, chunks: Iterable[bytes]) -> PartialScan:
    scanner = Scanner(rules)
    total = 0

    def counted() -> Iterable[bytes]:
        nonlocal total
        for c in chunks:
            total += len(c)
            yield c

    scanner.feed(counted())
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
    """One ScanResult for the parts in input order."""
    sc = Scanner(rules)
    offset = 0
    for part in parts:
        remember(part.masked)
        for sid, hits in part.sig_hits.items():
            into = sc.sig_hits.setdefault(sid, SigHits())
            for hit in hits.hits:
                if len(into.hits) < MAX_HITS_PER_SIG:
                    into.hits.append(Hit(hit.line + offset, hit.text, hit.captures))
            into.count += hits.count
        for key, lines in part.line_hits.items():
            got = sc.line_hits.setdefault(key, [])
            got.extend(ln + offset for ln in lines[: MAX_LINE_HITS - len(got)])
        for tb in part.tracebacks:
            _shift_tb(tb, offset)
            sc.tracebacks.append(tb)
        sc.foreign_blocks += [(a + offset, b + offset, k) for a, b, k in part.foreign_blocks]
        for name, version in part.versions.items():
            sc.versions.setdefault(name, version)
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
_SEARCH = 1 << 20


def safe_split(data: bytes, near: int) -> int | None:
    """A split offset at or after ``near`` that no traceback, stack trace or continuation
    crosses: between two lines that both start a log record and carry no error markers.
    None when no such place lies within 1 MB (scan that input whole)."""
    start = data.find(b"\n", near)
    limit = min(len(data), near + _SEARCH)
    while 0 <= start < limit:
        prev_start = data.rfind(b"\n", 0, start) + 1
        prev = data[prev_start:start]
        end = data.find(b"\n", start + 1)
        nxt = data[start + 1: end if end >= 0 else len(data)]
        if (prev and nxt and _RECORD_START.match(prev) and _RECORD_START.match(nxt)
                and not any(m in prev or m in nxt for m in _UNSAFE)):
            return start + 1
        start = end
    return None
