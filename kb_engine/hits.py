"""What matching found: hits per signature, kept bounded, and the scan result."""

from __future__ import annotations

from .compiled import Sig
from .record import Record
from .regexes import search_captures
from .tbtypes import Traceback

MAX_HITS_PER_SIG = 20
MAX_LINE_HITS = 2000
MAX_EVIDENCE_TEXT = 500


class Hit(Record):
    line: int  # 0-based line in the whole input
    text: str
    captures: dict[str, str] | None  # None: not computed yet (see hit_captures)

    def __init__(self, line: int, text: str, captures: dict[str, str] | None = None) -> None:
        self.line = line
        self.text = text
        self.captures = captures


def regex_captures(sig: Sig, text: str, sub: int = 0) -> dict[str, str]:
    pattern = sig.patterns[sub]
    if "(?P<" not in pattern and "(?<" not in pattern:
        # No named group (RE2 spells them only so): nothing to capture, and no capturing
        # compile, which a new process pays per pattern (a long line's hits capture at once).
        return {}
    return search_captures(pattern, sig.ignore_case, text) or {}


def hit_captures(sig: Sig, hit: Hit) -> dict[str, str]:
    """The named captures of a hit, computed on first use."""
    if hit.captures is None:
        hit.captures = regex_captures(sig, hit.text)
    return hit.captures


class SigHits(Record):
    hits: list[Hit]
    count: int

    def __init__(self, hits: list[Hit] | None = None, count: int = 0) -> None:
        self.hits = [] if hits is None else hits
        self.count = count

    def add(self, hit: Hit) -> None:
        self.count += 1
        if len(self.hits) < MAX_HITS_PER_SIG:
            self.hits.append(hit)


class Kept(Record):
    """What the parts one process scanned before kept (``kb_engine.parts``). A later part
    of the same process keeps only what the caps leave: everything it would keep beyond
    them lies after at least as many kept items, so the merge would drop it anyway, and
    memory stays flat however many parts a big log is cut into."""

    hits: dict[int, int]  # signature id -> hits kept
    line_hits: dict[tuple[int, int], int]
    tracebacks: int
    foreign_blocks: int

    def __init__(self, hits: dict[int, int] | None = None,
                 line_hits: dict[tuple[int, int], int] | None = None, tracebacks: int = 0,
                 foreign_blocks: int = 0) -> None:
        self.hits = {} if hits is None else hits
        self.line_hits = {} if line_hits is None else line_hits
        self.tracebacks = tracebacks
        self.foreign_blocks = foreign_blocks


class ScanResult(Record):
    """Everything matching found; scoring turns it into diagnoses."""

    sig_hits: dict[int, SigHits]
    tracebacks: list[Traceback]
    foreign_blocks: list[tuple[int, int, str]]
    versions: dict[str, str]
    line_count: int
    byte_count: int
    first_error_line: tuple[int, str] | None
    warnings: list[str]
    line_text: dict[int, str]  # text of lines that carry evidence or failures

    def __init__(
        self, sig_hits: dict[int, SigHits], tracebacks: list[Traceback],
        foreign_blocks: list[tuple[int, int, str]], versions: dict[str, str], line_count: int,
        byte_count: int, first_error_line: tuple[int, str] | None, warnings: list[str],
        line_text: dict[int, str],
    ) -> None:
        self.sig_hits = sig_hits
        self.tracebacks = tracebacks
        self.foreign_blocks = foreign_blocks
        self.versions = versions
        self.line_count = line_count
        self.byte_count = byte_count
        self.first_error_line = first_error_line
        self.warnings = warnings
        self.line_text = line_text
