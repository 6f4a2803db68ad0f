"""Runbook lookup by the words an on-call engineer types (fuzzy, rapidfuzz)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from rapidfuzz import fuzz
from rapidfuzz.utils import default_process

from .report import SearchHit

# How much a match in each field counts: titles and error text beat prose.
_WEIGHTS = {
    "title": 1.0, "tag": 0.95, "error": 0.95, "symptom": 0.9, "cause": 0.9, "faq": 0.85,
    "pitfall": 0.75, "summary": 0.7, "triage": 0.6, "incident": 0.6, "background": 0.5,
}
_LITERALISH = re.compile(r"\\[dswbDSWB]|[\\()\[\]{}^$*+?|]")


def _pattern_text(pattern: str) -> str:
    return " ".join(_LITERALISH.sub(" ", pattern).split())


def _fields(page: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    out: list[tuple[str, str, str | None]] = [("title", page["title"], None),
                                              ("summary", page["summary"], None)]
    out += [("tag", t, None) for t in page.get("tags", [])]
    out += [("pitfall", p, None) for p in page.get("pitfalls", [])]
    out += [("faq", f["q"], None) for f in page.get("faq", [])]
    out += [("faq", f["a"][:300], None) for f in page.get("faq", [])]
    out += [("triage", s["text"], None) for s in page.get("triage", [])]
    out += [("incident", i["title"], None) for i in page.get("incidents", [])]
    if page.get("background"):
        out.append(("background", page["background"][:500], None))
    for cause in page["causes"]:
        cid = cause["id"]
        out.append(("cause", cause["title"], cid))
        out += [("symptom", s, cid) for s in cause.get("symptoms", [])]
        for sig in cause["signatures"]:
            if sig["kind"] == "exception":
                out.append(("error", sig["type"] + " " + _pattern_text(sig.get("message", "")),
                            cid))
            elif sig["kind"] == "regex":
                out.append(("error", _pattern_text(sig["pattern"]), cid))
            elif sig["kind"] == "lines":
                out += [("error", _pattern_text(p), cid) for p in sig["patterns"]]
    return [(k, t, c) for k, t, c in out if t and t.strip()]


class SearchIndex:
    def __init__(self, pages: Mapping[str, dict[str, Any]]) -> None:
        self.entries: list[tuple[str, str, str, str | None, str]] = []
        self.titles = {pid: p["title"] for pid, p in pages.items()}
        self.full: dict[str, set[str]] = {}
        for pid, page in pages.items():
            words: set[str] = set()
            for kind, text, cid in _fields(page):
                processed = default_process(text)
                self.entries.append((pid, kind, text, cid, processed))
                words.update(processed.split())
            self.full[pid] = words

    def search(self, query: str, limit: int = 5) -> list[SearchHit]:
        q = default_process(query[:500])
        if not q.strip():
            return []
        q_words = q.split()
        best: dict[str, tuple[float, str, str | None]] = {}
        for pid, kind, text, cid, processed in self.entries:
            score = max(fuzz.token_set_ratio(q, processed),
                        fuzz.partial_ratio(q, processed) * 0.9 if len(q) > 3 else 0.0)
            score *= _WEIGHTS[kind]
            if score > best.get(pid, (0.0, "", None))[0]:
                best[pid] = (score, text, cid)
        hits = []
        for pid, (score, text, cid) in best.items():
            words = self.full[pid]
            present = sum(1 for w in q_words if w in words or any(x.startswith(w) for x in words))
            score = min(100.0, score * (0.6 + 0.4 * present / len(q_words)))
            if score >= 45:
                hits.append(SearchHit(pid, self.titles[pid], round(score, 1), text[:200], cid))
        hits.sort(key=lambda h: (-h.score, h.page_id))
        return hits[:limit]
