"""Lines holding KELVIN SIGN or LONG S: candidates for the caseless probes they may match.

RE2 folds two non-ASCII characters onto ASCII letters, and no others: KELVIN SIGN onto k
and LONG S onto s (``kb_engine.hsexpr``). The prefilter's caseless search is ASCII-only,
so ``(?i)task failed`` finds nothing in "taſk failed", which RE2 matches. The prefilter
names the lines holding either character (a built-in probe, so the window's one pass
finds them); those lines are scanned again with the two folded to their letters (one
character for one: RE2 sees the same characters where it looks), and what that finds
for a caseless probe taking k or s (``Prefilter.partner_pids``, whose entries alone make
``Prefilter.partner_scan``) becomes a candidate on the original line, which RE2 then
confirms. Folding keeps every RE2 match but for ``\\b``
and ``\\B`` (a partner is no word character, its letter is): probes with those
(``partner_always``) get every such line. Only those lines are scanned again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .speedups import replace_literals

if TYPE_CHECKING:  # pragma: no cover
    from .prefilter import Candidates, Prefilter
    from .windows import WindowLines

KELVIN, LONG_S = "\u212a", "\u017f"
_FOLDS = ((KELVIN.encode(), b"k"), (LONG_S.encode(), b"s"))


def has_word_boundary(pattern: str) -> bool:
    """Whether folding a partner to its letter may change what the pattern's anchors see
    (any ``\\b`` or ``\\B``; one inside a class too: a cheap test that errs on the safe side)."""
    return "\\b" in pattern or "\\B" in pattern


def fold(line: bytes) -> bytes:
    """Each partner made its letter. One C pass where the helper is built (the two never
    overlap, and neither letter is a partner: its one-pass replace gives what the replaces
    one after the other give, several times quicker on a text dense with other 0xE2
    characters, the lines of a pathological-character log)."""
    if replace_literals is not None:
        return replace_literals(line, _FOLDS)
    for partner, letter in _FOLDS:
        line = line.replace(partner, letter)
    return line


def add_partner_candidates(
    prefilter: Prefilter, lines: WindowLines, holding: dict[int, int], cands: Candidates
) -> None:
    """Add to ``cands`` what the lines in ``holding`` (line -> an offset inside it, the
    prefilter's hits on a partner) may match."""
    scan = prefilter.partner_scan
    if scan is None:
        return
    ks = sorted(holding)
    # Each line cut around the prefilter's offset inside it (no line of a window is longer
    # than signatures see, so this is lines.raw without its line-start bookkeeping: a line
    # of pathological characters can hold a partner on every line). Folded once, joined:
    # folding keeps every newline, so line j is still ks[j].
    window = lines.window
    find, rfind, size = window.find, window.rfind, len(window)
    texts = []
    for k in ks:
        at = holding[k]
        end = find(b"\n", at)
        texts.append(window[rfind(b"\n", 0, at) + 1:size if end < 0 else end])
    found, _ = scan.candidates(fold(b"\n".join(texts)))
    for pid in prefilter.partner_pids.intersection(found):  # not the built-in probes
        got = cands.setdefault(pid, {})
        for j in found[pid]:
            got.setdefault(ks[j], holding[ks[j]])
    for pid in prefilter.partner_always:
        got = cands.setdefault(pid, {})
        for k in ks:
            got.setdefault(k, holding[k])
