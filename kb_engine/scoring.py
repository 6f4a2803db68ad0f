"""Turn scan results into ranked, explained diagnoses.

Confidence of a cause (documented in ``docs/ranking.md``)::

    c = 1 - prod(1 - w_i)   over the cause's signatures that matched (each once)
    c = c * 0.5             when a version seen in the input is outside its range
    c = 0                   when any rule_out signature matched

A cause is reported when ``c >= min_confidence`` (0.5 by default). Ties break on
the number of matched signatures, then the summed weight, then the id.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator

from .compiled import CompiledRules
from .hits import ScanResult, hit_captures
from .masks import fingerprint, mask
from .owners import LineOwners
from .record import Record
from .report import Diagnosis, Evidence, Failure, Report, SignatureCheck
from .tbtypes import Traceback
from .templates import fill as _fill
from .templates import fill_steps as _fill_steps
from .versions import check as check_versions

DEFAULT_MIN_CONFIDENCE = 0.5
VERSION_PENALTY = 0.5
MAX_EVIDENCE = 8
MAX_FAILURES = 20
_CLUSTER_GAP = 5
_LEAD_IN = 2
_EXTRA_FAILURES = 2
_ERRORISH = re.compile(r"(?:Error|Exception|ERROR|CRITICAL|FATAL|Failed|failed)\b")


class _Scored(Record):
    """A candidate cause, scored from the rules' columns (``ScoreTable``): signatures are
    ids, and the Cause and Sig objects are built only for what a report shows."""

    cause: int  # index into rules.causes
    confidence: float
    matched: list[int]  # signature ids, in the cause's order
    checks: list[tuple[int, int | None, bool]]  # (signature id, first line, negative)
    note: str | None
    ruled_out: bool
    weight: float  # summed weight of the matched signatures (a tie-break)

    def __init__(self, cause: int, confidence: float, matched: list[int],
                 checks: list[tuple[int, int | None, bool]], note: str | None,
                 ruled_out: bool, weight: float) -> None:
        self.cause = cause
        self.confidence = confidence
        self.matched = matched
        self.checks = checks
        self.note = note
        self.ruled_out = ruled_out
        self.weight = weight

    def signature_checks(self, rules: CompiledRules) -> list[SignatureCheck]:
        out = []
        for sid, first, negative in self.checks:
            sig = rules.sigs[sid]
            out.append(SignatureCheck(sig.label, sig.weight, first is not None, negative,
                                      first + 1 if first is not None else None))
        return out


class Ranker:
    def __init__(self, rules: CompiledRules, scan: ScanResult) -> None:
        self.rules = rules
        self.table = rules.scores
        self.scan = scan
        self.foreign = scan.foreign_blocks
        # Foreign blocks merged into sorted disjoint spans: one bisection per hit line.
        spans: list[list[int]] = []
        for a, b, _ in sorted(scan.foreign_blocks):
            if spans and a <= spans[-1][1]:
                spans[-1][1] = max(spans[-1][1], b)
            else:
                spans.append([a, b])
        self._starts = [a for a, _ in spans]
        self._ends = [b for _, b in spans]

    def _in_foreign(self, line: int) -> bool:
        i = bisect.bisect_right(self._starts, line) - 1
        return i >= 0 and line <= self._ends[i]

    def _first_hit(self, sid: int, python: bool) -> int | None:
        """The first line the signature matched (outside foreign stack traces for Python
        rules), or None."""
        sh = self.scan.sig_hits.get(sid)
        if sh is None:
            return None
        if python and self.foreign:
            return next((h.line for h in sh.hits if not self._in_foreign(h.line)), None)
        return sh.hits[0].line if sh.hits else None

    def score(self, ci: int) -> _Scored:
        t = self.table
        python = t.cause_python[ci]
        weights = t.sig_weight
        matched: list[int] = []
        # (signature, first line, negative): SignatureChecks are built only for what is shown.
        checks: list[tuple[int, int | None, bool]] = []
        for sid in t.cause_sigs[ci]:
            first = self._first_hit(sid, python)
            if first is not None:
                matched.append(sid)
            checks.append((sid, first, False))
        ruled_out = False
        for sid in t.cause_rule_out[ci]:
            first = self._first_hit(sid, python)
            ruled_out = ruled_out or first is not None
            checks.append((sid, first, True))
        miss = 1.0
        for sid in matched:
            miss *= 1.0 - weights[sid]
        confidence = 1.0 - miss
        note = None
        if t.cause_versioned[ci] and self.scan.versions:
            cause = self.rules.causes[ci]
            note = check_versions(cause.packages, cause.python, self.scan.versions)
        if note:
            confidence *= VERSION_PENALTY
        if ruled_out:
            confidence = 0.0
        return _Scored(ci, round(confidence, 4), matched, checks, note, ruled_out,
                       sum(weights[sid] for sid in matched))

    def candidates(self) -> list[int]:
        cause_of, negative = self.table.sig_cause, self.table.sig_negative
        return sorted({cause_of[sid] for sid in self.scan.sig_hits if not negative[sid]})


def rank(
    rules: CompiledRules, scan: ScanResult, *, top: int = 5,
    min_confidence: float = DEFAULT_MIN_CONFIDENCE, explain: bool = False,
) -> Report:
    ranker = Ranker(rules, scan)
    scored = [ranker.score(ci) for ci in ranker.candidates()]
    scored = [s for s in scored if s.matched]
    keys = rules.scores.cause_key
    scored.sort(key=lambda s: (-s.confidence, -len(s.matched), -s.weight, keys[s.cause]))
    reported = [s for s in scored if s.confidence >= min_confidence and not s.ruled_out]
    # Failures come from tracebacks and the evidence of reported causes only: a signature
    # that matched for a cause nobody reports is no failure of its own.
    evidence = {h.line for s in reported for sid in s.matched
                for h in scan.sig_hits[sid].hits}
    weights = rules.scores.sig_weight
    primary = [_primary_line(s, scan, weights) for s in reported]
    below = [s for s in scored if s.confidence < min_confidence or s.ruled_out][:top]
    shown = set(primary) | ({_primary_line(s, scan, weights) for s in below} if explain else set())
    failures, locate = _failures(scan, evidence, shown)
    kept = _keep_each_failure(reported, [locate.get(line) for line in primary], top)
    diagnoses = [_diagnosis(rules, s, scan, locate, i + 1) for i, s in enumerate(kept)]
    for i, d in enumerate(diagnoses):
        if i + 1 < len(diagnoses):
            d.ranking = _why(rules, kept[i], kept[i + 1], diagnoses[i + 1])
    near = []
    if explain:
        near = [_diagnosis(rules, s, scan, locate, 0) for s in below]
    used = {d.failure for d in diagnoses}
    kind = _kind(scan)
    headline, fp = _headline(scan, failures)
    return Report(
        status="diagnosed" if diagnoses else "no_diagnosis",
        kind=kind, fingerprint=fp, headline=headline, bytes=scan.byte_count,
        lines=scan.line_count, versions=scan.versions,
        failures=[f for f in failures if f.id in used] or failures[:1] if failures else [],
        diagnoses=diagnoses, warnings=list(scan.warnings), near_misses=near,
    )


def _primary_line(s: _Scored, scan: ScanResult, weights: list[float]) -> int:
    """The first line of the cause's heaviest matched signature: where its failure is."""
    best = max(s.matched, key=weights.__getitem__)
    return scan.sig_hits[best].hits[0].line


def _diagnosis(rules: CompiledRules, s: _Scored, scan: ScanResult, locate: LineOwners,
               rank_: int) -> Diagnosis:
    caps: dict[str, str] = {}
    evidence: list[Evidence] = []
    primary: int | None = None
    for sig in sorted((rules.sigs[sid] for sid in s.matched), key=lambda x: -x.weight):
        sh = scan.sig_hits[sig.sid]
        for hit in sh.hits:
            for k, v in hit_captures(sig, hit).items():
                caps.setdefault(k, v)
        first = sh.hits[0]
        if primary is None:
            primary = first.line
        if len(evidence) < MAX_EVIDENCE:
            evidence.append(Evidence(first.line + 1, first.text, sig.label, sig.weight, sh.count))
    evidence.sort(key=lambda e: e.line)
    cause = rules.causes[s.cause]
    return Diagnosis(
        rank=rank_, id=cause.key, page=cause.page, page_title=cause.page_title,
        cause=cause.cause_id, title=_fill(cause.title, caps), confidence=s.confidence,
        failure=locate.get(primary) if primary is not None else None,
        explanation=_fill(cause.explanation, caps), captures=caps, evidence=evidence,
        fix=_fill_steps(cause.fix, caps), verify=_fill_steps(cause.verify, caps),
        applies=s.note is None, applicability_note=s.note,
        checks=s.signature_checks(rules),
    )


def _traceback_key(tb: Traceback) -> tuple[str, list[str]] | None:
    """What a traceback's failure is known by: its final exception and innermost frames."""
    final = tb.final
    if final is None:
        return None
    head = f"{final.type}: {final.message}" if final.message else final.type
    return head, [f"{fr.module}:{fr.function}" for fr in final.frames[-3:]]


def failure_texts(
    tracebacks: list[Traceback], line_text: dict[int, str], first_error: str | None
) -> Iterator[str]:
    """Every text ``_failures`` and ``_headline`` may mask, so that the parts of a big log
    can mask theirs in parallel (``kb_engine.parts``) instead of the merge doing it all."""
    for tb in tracebacks:
        key = _traceback_key(tb)
        if key is not None:
            yield key[0]
            yield from key[1]
    for text in line_text.values():
        yield text.strip()
    if first_error is not None:
        yield first_error.strip()


def _failures(
    scan: ScanResult, evidence: set[int], shown: set[int] | None = None
) -> tuple[list[Failure], LineOwners]:
    """One failure per distinct traceback fingerprint, plus evidence lines outside tracebacks.

    ``shown``: the only lines whose failure is looked up (the primary line of each cause the
    report may show, near misses included). Once MAX_FAILURES are listed, a cluster holding
    none of them changes nothing, and its fingerprint is not computed; None computes all."""
    failures: list[Failure] = []
    by_fp: dict[str, int] = {}
    locate = LineOwners()
    for tb in scan.tracebacks:
        key = _traceback_key(tb)
        if key is None:
            continue
        head, frames = key
        fp = fingerprint(head, *frames)
        if fp in by_fp:
            fid = by_fp[fp]
            old = failures[fid - 1]
            failures[fid - 1] = Failure(old.id, old.headline, old.fingerprint, old.first_line,
                                        old.last_line, old.occurrences + 1)
        elif len(failures) < MAX_FAILURES:
            fid = len(failures) + 1
            by_fp[fp] = fid
            failures.append(Failure(fid, mask(head)[:300], fp, tb.first_line + 1,
                                    tb.last_line + 1))
        else:
            continue
        locate.add_span(tb.first_line, tb.last_line, fid)
    # A log line just above a traceback ("ERROR: Exception in ASGI application") belongs
    # to that traceback's failure.
    for tb in scan.tracebacks:
        owner = locate.get(tb.first_line)
        if owner is not None:
            for ln in range(max(0, tb.first_line - _LEAD_IN), tb.first_line):
                locate.setdefault(ln, owner)
    # Evidence outside tracebacks: nearby lines (gap <= 5) form one failure.
    loose = sorted(ln for ln in evidence if ln not in locate)
    clusters: list[list[int]] = []
    for ln in loose:
        if clusters and ln - clusters[-1][-1] <= _CLUSTER_GAP:
            clusters[-1].append(ln)
        else:
            clusters.append([ln])
    for cluster in clusters:
        if (len(failures) >= MAX_FAILURES and shown is not None
                and shown.isdisjoint(cluster)):
            continue
        texts = [scan.line_text.get(ln, "") for ln in cluster]
        head = next((t for t in texts if _ERRORISH.search(t)), texts[0]).strip()
        fp = fingerprint(head)
        if fp not in by_fp:
            if len(failures) >= MAX_FAILURES:
                continue
            by_fp[fp] = len(failures) + 1
            failures.append(Failure(len(failures) + 1, mask(head)[:300], fp,
                                    cluster[0] + 1, cluster[-1] + 1))
        for ln in cluster:
            locate[ln] = by_fp[fp]
    return failures, locate


def _keep_each_failure(
    reported: list[_Scored], failure_of: list[int | None], top: int
) -> list[_Scored]:
    """The top N, plus the best cause of up to two other independent failures."""
    keep = list(range(min(top, len(reported))))
    answered = {failure_of[i] for i in keep}
    for i in range(top, len(reported)):
        if len(keep) >= top + _EXTRA_FAILURES:
            break
        if failure_of[i] not in answered:
            keep.append(i)
            answered.add(failure_of[i])
    return [reported[i] for i in keep]


def _why(rules: CompiledRules, a: _Scored, b: _Scored, other: Diagnosis) -> str:
    a_labels = {rules.sigs[sid].label for sid in a.matched}
    b_labels = {rules.sigs[sid].label for sid in b.matched}
    only_a = sorted(a_labels - b_labels)
    parts = [f"ranks above {other.id} ({b.confidence:.2f} vs {a.confidence:.2f})"]
    if b.note and not a.note:
        parts.append(f"{other.id} does not apply: {b.note}")
    if only_a:
        parts.append("it matched " + "; ".join(only_a[:3]) + f" which {other.id} lacks")
    elif a.confidence == b.confidence:
        parts.append("equal confidence; it matched more or heavier signatures")
    return ": ".join(parts[:1]) + (": " + "; ".join(parts[1:]) if parts[1:] else "")


def _kind(scan: ScanResult) -> str:
    kinds = {k for _, _, k in scan.foreign_blocks}
    python = bool(scan.tracebacks)
    if scan.line_count == 0:
        return "empty"
    if python and kinds:
        return "mixed"
    if python:
        return "python"
    if len(kinds) == 1:
        return kinds.pop()
    if kinds:
        return "mixed"
    return "log"


def _headline(scan: ScanResult, failures: list[Failure]) -> tuple[str | None, str]:
    key = _traceback_key(scan.tracebacks[-1]) if scan.tracebacks else None
    if key is not None:
        head, frames = key
        return mask(head)[:300], fingerprint(head, *frames)
    if scan.first_error_line is not None:
        text = scan.first_error_line[1].strip()
        return mask(text)[:300], fingerprint(text)
    if failures:
        return failures[0].headline, failures[0].fingerprint
    return None, fingerprint("")
