"""RuleSet: the facade the CLI and the Slack bot use."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .compiled import CompiledRules
from .errors import RuleError
from .hits import Kept
from .matcher import scan_text
from .parts import PartialScan, merge, scan_part
from .report import Report
from .scoring import DEFAULT_MIN_CONFIDENCE, rank

if TYPE_CHECKING:
    from .report import SearchHit
    from .search import SearchIndex


class RuleSet:
    """A compiled rule set. Pure: diagnosing and searching do no I/O."""

    def __init__(self, compiled: CompiledRules, dirs: list[Path] | None = None) -> None:
        self.compiled = compiled
        self.dirs = list(dirs or [])
        self._search: SearchIndex | None = None
        self.load_errors: list[RuleError] = []  # pages skipped at load (see load_rules)

    def diagnose(
        self, text: str | bytes | Iterable[str | bytes], *, top: int = 5,
        min_confidence: float = DEFAULT_MIN_CONFIDENCE, explain: bool = False,
        use_prefilter: bool = True,
    ) -> Report:
        """Diagnose a paste or log: text or UTF-8 bytes, whole or as an iterable of chunks
        (a 1 GB log streams through in windows; memory stays flat)."""
        scan = scan_text(self.compiled, text, use_prefilter=use_prefilter)
        return rank(self.compiled, scan, top=top, min_confidence=min_confidence,
                    explain=explain)

    def scan_part(self, chunks: Iterable[bytes], kept: Kept | None = None) -> PartialScan:
        """Scan one part of a big input (for parallel scanning; see ``diagnose_parts``).
        A process scanning several parts in input order passes the same ``Kept`` to each,
        so that later parts keep only what the caps leave."""
        return scan_part(self.compiled, chunks, kept)

    def diagnose_parts(
        self, parts: list[PartialScan], *, top: int = 5,
        min_confidence: float = DEFAULT_MIN_CONFIDENCE, explain: bool = False,
    ) -> Report:
        """The report for an input scanned as consecutive parts (same answer as whole).
        The parts are consumed: diagnose each list once."""
        return rank(self.compiled, merge(self.compiled, parts), top=top,
                    min_confidence=min_confidence, explain=explain)

    def match_counts(
        self, text: str | bytes | Iterable[str | bytes], *, use_prefilter: bool = True
    ) -> dict[str, int]:
        """Lines matched per regex signature (``page/cause#signatures[i]``): for benchmarks
        and tests that compare kb's matching with a naive per-line loop."""
        scan = scan_text(self.compiled, text, use_prefilter=use_prefilter)
        out: dict[str, int] = {}
        for sid, hits in scan.sig_hits.items():
            sig = self.compiled.sigs[sid]
            if sig.kind == "regex":
                group = "rule_out" if sig.negative else "signatures"
                key = f"{self.compiled.causes[sig.cause].key}#{group}[{sig.index}]"
                out[key] = hits.count
        return out

    def search(self, query: str, limit: int = 5) -> list[SearchHit]:
        if self._search is None:
            from .search import SearchIndex  # rapidfuzz: imported only when searching

            self._search = SearchIndex(self.compiled.pages)
        return self._search.search(query, limit)

    def page(self, page_id: str) -> dict[str, Any]:
        """The page's validated data as a dict; KeyError if unknown."""
        return self.compiled.pages[page_id]

    def page_ids(self) -> list[str]:
        return sorted(self.compiled.pages)

    def source(self, page_id: str) -> str:
        return self.compiled.sources[page_id]

    def cause_keys(self) -> list[str]:
        return [c.key for c in self.compiled.causes]
