"""Recognise stack traces from other ecosystems (Java, Go, Node, Rust).

A Python knowledge base must not diagnose a Java ``ConnectException`` as a
Python one: lines inside such blocks are not evidence for Python rules.
"""

from __future__ import annotations

import re

from .tbtypes import Lines

# Literals for the prefilter; each confirmed by the pattern of its ecosystem.
LITERALS: dict[str, tuple[str, ...]] = {
    "java": ("\tat ", "    at ", "Caused by: ", "Exception in thread \""),
    "node": ("    at ", "node:internal", "Node.js v"),
    "go": ("goroutine ", "panic: "),
    "rust": ("panicked at", "RUST_BACKTRACE"),
}
_CONFIRM: dict[str, re.Pattern[str]] = {
    "java": re.compile(
        r"^\s+at [\w$.<>/]+\([^()]*(?:\.java|\.kt|\.scala|Native Method|Unknown Source)[^()]*\)"
        r"|^Caused by: [\w$.]+(?:Exception|Error|Throwable)\b"
        r"|^Exception in thread \""
        r"|^\s+\.\.\. \d+ (?:more|common frames omitted)"
    ),
    "node": re.compile(
        r"^\s+at (?:async )?(?:[\w$.<>\[\] ]+ \()?(?:node:|file://|/|[A-Za-z]:\\)[^()]*:\d+:\d+\)?\s*$"
        r"|^Node\.js v\d+"
    ),
    "go": re.compile(r"^goroutine \d+ \[[\w ,]+\]:|^panic: |^\t/.+\.go:\d+(?: \+0x[0-9a-f]+)?$"),
    "rust": re.compile(r"^thread '[^']*' panicked at |RUST_BACKTRACE=1"),
}
_HEADER_BACK = 3  # the exception line printed just above the first frame


def confirm(kind: str, line: str) -> bool:
    return bool(_CONFIRM[kind].search(line))


def blocks(marked: dict[int, str], lines: Lines) -> list[tuple[int, int, str]]:
    """Merge confirmed lines into (first, last, kind) blocks, reaching back to the header."""
    out: list[tuple[int, int, str]] = []
    for idx in sorted(marked):
        kind = marked[idx]
        if out and out[-1][2] == kind and idx - out[-1][1] <= 3:
            out[-1] = (out[-1][0], idx, kind)
            continue
        start = idx
        for j in range(idx - 1, max(-1, idx - 1 - _HEADER_BACK), -1):
            if not lines[j].strip():
                break
            start = j
        out.append((start, idx, kind))
    return out
