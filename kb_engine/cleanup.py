"""Undo what Slack, chat clients and terminals do to pasted logs.

Line count is preserved (a removed code fence becomes an empty line) so that
evidence line numbers point at the user's own input.

The steps, in this order: CRs and ANSI escapes, HTML entities, Slack links, smart quotes
and odd spaces, code fences. A step runs only when one of its markers occurs in the window
as given (one Hyperscan pass tells which), so a plain window costs that one pass. A window
full of markers costs a few whole-window passes more, each linear and C-level (tests keep
the plain one-step-after-the-other version as the reference and compare on every kind of
input): escape runs go through one regex, the literal replaces keep the window's length
(padding with a byte the window lacks, dropped by one ``translate`` at the end) so each
costs one search instead of a count and a rebuild, and only the lines holding a fence are
decoded.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from . import speedups
from .fences import strip_fences

_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&#39;", "'"), ("&amp;", "&"))


def clean_text(text: str) -> str:
    """Return ``text`` with fences, entities, smart quotes, ANSI codes and CRs undone."""
    return clean_bytes(text.encode("utf-8", "surrogatepass")).decode("utf-8", "surrogatepass")


# One literal \x1b prefix lets the regex engine skip ahead between escapes.
_ANSI_B = re.compile(rb"\x1b(?:\[[0-9;?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")
# Its first alternative alone (CSI: colours, cursor moves), taking up to eight sequences
# that follow each other in one match (ESC[31mESC[1m...): about twice as quick per escape.
_CSI = rb"\x1b\[[0-9;?]*[ -/]*[@-~]"
_CSI_RUN_B = re.compile(_CSI + b"".join(b"(?:" + _CSI for _ in range(7)) + b"|)" * 7)
_SLACK_LINK_B = re.compile(rb"<((?:https?|mailto|ftp)://[^|>\s]+|mailto:[^|>\s]+)(?:\|[^>]*)?>")
_SLACK_MARKERS = frozenset((b"<http", b"<ftp:", b"<mailto:"))
_ENTITIES_B = tuple((a.encode(), b.encode()) for a, b in _ENTITIES)
_SMART_B = tuple((k.encode(), v.encode()) for k, v in (
    ("\u2018", "'"), ("\u2019", "'"), ("\u201a", "'"), ("\u201b", "'"), ("\u201c", '"'),
    ("\u201d", '"'), ("\u201e", '"'), ("\u201f", '"'), ("\u2032", "'"), ("\u2033", '"'),
    ("\u00a0", " "), ("\u2007", " "), ("\u202f", " "), ("\u200b", ""), ("\ufeff", ""),
))
_ZWSP = "\u200b".encode()
_BOM = "\ufeff".encode()
# Removing ZWSPs can join a BOM (EF + ZWSP + BB BF, invalid UTF-8 around them) that the BOM
# replace then takes. It needs EF or EF BB right before a ZWSP once the escapes are gone:
# before a ZWSP or an ESC in the window as given (a Slack link removal is checked apart).
_BOM_JOINS = (b"\xef" + _ZWSP, b"\xef\xbb" + _ZWSP, b"\xef\x1b", b"\xef\xbb\x1b")
# Pads for the literal replaces: the first of these the window lacks (bytes UTF-8 never
# uses, then NUL). No marker holds one, so no replace can match across a pad.
_FILLERS = (b"\xff", b"\xfe", b"\xc0", b"\xc1", b"\xf8", b"\xf9", b"\xfa", b"\xfb", b"\xfc",
            b"\xfd", b"\x00")


_MARKERS: tuple[bytes, ...] = (
    b"\r", b"\x1b", b"<http", b"<ftp:", b"<mailto:", b"```",
    *(entity for entity, _ in _ENTITIES_B), *(smart for smart, _ in _SMART_B),
    *_BOM_JOINS,  # these cost Hyperscan nothing measurable; CRLF would cost 2 % on CR logs
)
_LITERAL_MARKERS = frozenset(
    (*_SLACK_MARKERS, *(m for m, _ in _ENTITIES_B), *(m for m, _ in _SMART_B)))
_marker_db: Any = None
_no_hyperscan = False
# memchr hops (speedups.present_literals) before the one-pass search takes over: access
# logs' "&" (one in 1.7 KB in the bench's mixed log) take a few thousand a window; a page
# of box-drawing characters (lead byte E2, like the smart quotes) or an entity storm is
# one every few bytes, where Hyperscan is quicker and the hops spent are wasted.
_HOPS_MIN, _HOPS_PER_BYTE = 4096, 1 / 256


def _present_markers(data: bytes) -> set[bytes]:
    """Which cleanup markers occur: memchr hops between their first bytes with the C
    helper, or (past its budget, or without it) one Hyperscan pass (CPython's multi-byte
    substring search would take one pass per marker)."""
    present = speedups.present_literals
    if present is not None:
        mask = present(data, _MARKERS, _HOPS_MIN + int(len(data) * _HOPS_PER_BYTE))
        if mask is not None:
            return {m for k, m in enumerate(_MARKERS) if mask >> k & 1}
    return _present_markers_pass(data)


def _present_markers_pass(data: bytes) -> set[bytes]:
    global _marker_db, _no_hyperscan
    hyperscan: Any = None
    if not _no_hyperscan:
        try:
            import hyperscan
        except ImportError:  # pragma: no cover - platforms without the wheel
            _no_hyperscan = True  # a failed import searches sys.path again: try it once
    if hyperscan is None:
        from .fallback import present_literals

        return present_literals(data, _MARKERS)  # one RE2 pass, not one search per marker
    if _marker_db is None:
        db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        db.compile(expressions=[b"".join(b"\\x%02x" % c for c in m) for m in _MARKERS],
                   ids=list(range(len(_MARKERS))), elements=len(_MARKERS),
                   flags=[hyperscan.HS_FLAG_SINGLEMATCH] * len(_MARKERS))
        _marker_db = db
    found: set[bytes] = set()
    _marker_db.scan(data, match_event_handler=lambda i, a, b, f, c: found.add(_MARKERS[i]))
    return found


# A few hundred CRs and escapes per window are the usual case (coloured or CRLF lines).
_WALK_LIMIT = 4096
# After this many, a walk whose pace would not end the window within the limit gives up.
_WALK_PROBE = 512


def _walk_cr_ansi(data: bytes, cr: bool, esc: bool) -> bytes | None:
    """CRs made newlines and ANSI escapes removed, by jumping from one to the next
    (memchr speed) rather than running two regex passes over the whole window;
    None when there are more than _WALK_LIMIT of them (or the first _WALK_PROBE come so
    densely that the limit would be passed). Same result as
    ``_ANSI_B.sub(b"", re.sub(rb"\\r\\n?", b"\\n", data))``: no escape sequence can start or
    end inside ``\\r\\n``, and one that spans a CR removes it either way."""
    find = data.find
    pieces: list[bytes] = []
    prev = 0
    pos_cr = find(b"\r") if cr else -1
    pos_esc = find(b"\x1b") if esc else -1
    for steps in (_WALK_PROBE, _WALK_LIMIT - _WALK_PROBE):
        for _ in range(steps):
            if pos_cr < 0 and pos_esc < 0:
                pieces.append(data[prev:])
                return b"".join(pieces)
            if pos_esc < 0 or 0 <= pos_cr < pos_esc:
                pieces.append(data[prev:pos_cr])
                pieces.append(b"\n")
                prev = pos_cr + 2 if data.startswith(b"\n", pos_cr + 1) else pos_cr + 1
                pos_cr = find(b"\r", prev)
                continue
            m = _ANSI_B.match(data, pos_esc)
            if m is not None:
                pieces.append(data[prev:pos_esc])
                prev = m.end()
                if 0 <= pos_cr < prev:  # the sequence swallowed a CR
                    pos_cr = find(b"\r", prev)
            pos_esc = find(b"\x1b", pos_esc + 1 if m is None else prev)
        if prev * (_WALK_LIMIT // _WALK_PROBE) < len(data):
            break  # at this pace the limit comes before the window's end
    return None


_ANSI_BLOCK = 256 * 1024


def _strip_ansi_in_blocks(data: bytes) -> bytes:
    """``_ANSI_B.sub(b"", data)`` a block at a time, so an escape storm never lists a
    million pieces at once. Blocks are cut just before an ESC that does not start the
    ``ESC \\`` terminator: no escape sequence can span such a cut (an OSC body holds no
    ESC, and every other sequence starts at its ESC).

    Each block first goes through the CSI runs regex: when no ESC is left after it, every
    ESC of the block started a CSI sequence, which is what ``_ANSI_B`` (CSI its first
    alternative, and a sequence never depends on what follows it) removes there too.
    Otherwise the full regex runs on the block as it was."""
    out: list[bytes] = []
    start = 0
    size = len(data)
    while start < size:
        cut = start + _ANSI_BLOCK
        while cut < size:
            cut = data.find(b"\x1b", cut)
            if cut < 0 or not data.startswith(b"\x1b\\", cut):
                break
            cut += 2
        if cut < 0 or cut >= size:
            cut = size
        block = data[start:cut]
        stripped = b"".join(_CSI_RUN_B.split(block))
        if b"\x1b" in stripped:
            stripped = _ANSI_B.sub(b"", block)
        out.append(stripped)
        start = cut
    return b"".join(out)


# The window is sampled (_SAMPLES slices of _SAMPLE bytes) to tell the markers with fewer
# than one hit in _SPARSE bytes; two or more such markers sharing a first byte (entities,
# most smart quotes) are replaced in one regex split of the window (~0.2 us a hit) rather
# than one search of the whole window each (~1.5 ms for 2 MB).
_SAMPLE = 4096
_SAMPLES = 8
_SPARSE = 256
# The split goes _MAP_BLOCK bytes at a time (bounded lists); a block denser than the
# sample said sends the rest of the window back to one search per marker.
_MAP_BLOCK = 64 * 1024
_MAP_DENSE = 2 * _MAP_BLOCK // _SPARSE


@functools.lru_cache(maxsize=64)
def _group_regex(markers: tuple[bytes, ...]) -> re.Pattern[bytes]:
    prefix = markers[0]  # their common prefix, spelt out so the regex scans for it
    for marker in markers:
        while not marker.startswith(prefix):
            prefix = prefix[:-1]
    rests = b"|".join(re.escape(m[len(prefix):]) for m in markers)
    return re.compile(b"(" + re.escape(prefix) + b"(?:" + rests + b"))")


def _replace_group(data: bytes, markers: tuple[bytes, ...], table: dict[bytes, bytes]) -> bytes:
    """Every marker of ``markers`` (same first byte, held nowhere else in any of them)
    replaced by ``table[marker]``, with one regex split per block. A block is cut just before
    that first byte, so no marker spans a cut."""
    regex = _group_regex(markers)
    first = markers[0][:1]
    out: list[bytes] = []
    start = 0
    size = len(data)
    while start < size:
        cut = data.find(first, start + _MAP_BLOCK)
        if cut < 0:
            cut = size
        pieces = regex.split(data[start:cut])
        pieces[1::2] = map(table.__getitem__, pieces[1::2])
        out.append(b"".join(pieces))
        start = cut
        if len(pieces) > 2 * _MAP_DENSE and start < size:
            rest = data[start:]
            for marker in markers:
                rest = rest.replace(marker, table[marker])
            out.append(rest)
            break
    return b"".join(out)


def _pad_replace(data: bytes, pairs: list[tuple[bytes, bytes]], filler: bytes) -> bytes:
    """``data.replace(marker, plain)`` for each pair, but with ``plain`` padded to the
    marker's length with ``filler``, sparse markers grouped (see _SAMPLE)."""
    table = {marker: plain.ljust(len(marker), filler) for marker, plain in pairs}
    groups: dict[bytes, list[bytes]] = {}
    if len(data) > 4 * _SAMPLE * _SAMPLES and len(pairs) > 1:
        step = len(data) // _SAMPLES
        sample = b"\n".join(data[i * step:i * step + _SAMPLE] for i in range(_SAMPLES))
        for marker in table:
            if sample.count(marker) * _SPARSE < len(sample):
                groups.setdefault(marker[:1], []).append(marker)
    grouped = [group for group in groups.values() if len(group) > 1]
    for marker in table:  # first: the marker's first byte stops the group's regex less often
        if not any(marker in group for group in grouped):
            data = data.replace(marker, table[marker])
    for group in grouped:  # a first byte no marker holds elsewhere (tests)
        data = _replace_group(data, tuple(group), table)
    return data


def _filler(data: bytes) -> bytes | None:
    return next((f for f in _FILLERS if f not in data), None)


def _replace_literals(data: bytes, found: set[bytes], filler: bytes | None) -> bytes:
    """Entities, Slack links, smart quotes and the like, as the one-after-the-other
    replaces would do them: ``data.replace(marker, plain)`` for every marker in ``found``, in
    ``_ENTITIES_B`` then ``_SMART_B`` order, the Slack link regex between the two.

    With two replaces or more, each one pads its plain text to the marker's length with a
    filler byte absent from ``data`` (one search of the window, no count and rebuild, or one
    regex split for several sparse markers) and one ``translate`` drops the fillers. Same
    result: markers never overlap, and no marker holds a filler or the plain text of
    another, so no replace can see what another did, except where a removal joins bytes.
    Removals are the last two replaces (ZWSP, then BOM) and the Slack links (the window is
    compacted before them). Removing a ZWSP can make a BOM of ``EF`` + ZWSP... + ``BB BF``
    (invalid UTF-8 around it), which the BOM replace then takes: when that may happen
    (_BOM_JOINS) and both markers are present, those two replaces run on the compacted
    window as they always did.

    ``filler`` is given when ``data`` already holds some (the CRLF pass padded); the result
    never does. With the C helper the entities and the smart quotes are one pass together
    (``speedups.replace_literals``; two when Slack links come out between them), for the
    same reasons, and no pads."""
    entities = [pair for pair in _ENTITIES_B if pair[0] in found]
    smart = [pair for pair in _SMART_B if pair[0] in found]
    slack = not _SLACK_MARKERS.isdisjoint(found)
    replace = speedups.replace_literals
    if replace is not None:
        if filler is not None:  # pads sit before LFs: dropping them joins no marker
            data = data.translate(None, filler)
        if slack:  # the links come out between the entities and the smart quotes
            data = replace(data, entities) if entities else data
            data = _SLACK_LINK_B.sub(rb"\1", data)
            smart, removals = _bom_joins(data, found, slack, smart)
            data = replace(data, smart) if smart else data
        else:  # one pass for both: their markers share no byte, and no plain is a marker's
            smart, removals = _bom_joins(data, found, slack, smart)
            pairs = entities + smart
            data = replace(data, pairs) if pairs else data
        for marker, plain in removals:
            data = data.replace(marker, plain)
        return data
    padded = filler is not None
    if not padded and len(entities) + len(smart) >= 2:
        filler = _filler(data)
    if filler is None:  # one replace (or a window holding every filler): plain replaces
        for marker, plain in entities:
            data = data.replace(marker, plain)
        if slack:
            data = _SLACK_LINK_B.sub(rb"\1", data)
        for marker, plain in smart:
            data = data.replace(marker, plain)
        return data
    data = _pad_replace(data, entities, filler)
    padded |= bool(entities)
    if slack:
        if padded:
            data = data.translate(None, filler)
            padded = False
        data = _SLACK_LINK_B.sub(rb"\1", data)
    smart, removals = _bom_joins(data, found, slack, smart)
    data = _pad_replace(data, smart, filler)
    if padded or smart:
        data = data.translate(None, filler)
    for marker, plain in removals:
        data = data.replace(marker, plain)
    return data


def _bom_joins(data: bytes, found: set[bytes], slack: bool, smart: list[tuple[bytes, bytes]]
               ) -> tuple[list[tuple[bytes, bytes]], list[tuple[bytes, bytes]]]:
    """(smart pairs, removals to run after them, one by one on the compacted window): the
    ZWSP and BOM removals when removing a ZWSP may make a BOM (see _replace_literals)."""
    if _ZWSP in found and _BOM in found and (
            (slack and any(join in data for join in _BOM_JOINS[:2]))
            or not found.isdisjoint(_BOM_JOINS)):
        return ([pair for pair in smart if pair[0] not in (_ZWSP, _BOM)],
                [(_ZWSP, b""), (_BOM, b"")])
    return smart, []


def clean_bytes(data: bytes) -> bytes:
    """``clean_text`` for UTF-8 bytes; only the steps whose markers occur run, so a plain
    log passes through at memory speed."""
    found = _present_markers(data)
    if not found:
        return data
    cr, esc = b"\r" in found, b"\x1b" in found
    literals = not found.isdisjoint(_LITERAL_MARKERS)
    filler = None  # set when the CRLF pass padded: the literal step's translate drops it
    if cr or esc:
        strip = speedups.strip_cr_ansi  # the walk's result in C, however many there are
        walked = strip(data) if strip is not None else _walk_cr_ansi(data, cr, esc)
        if walked is not None:
            data = walked
        else:  # thousands of them: whole-window passes are linear too, and quicker then
            if cr:  # C-level replaces: a regex sub would list every piece first
                # (searched backwards: the reverse search skips on the CR, seldom the LF)
                if data.rfind(b"\r\n") >= 0:  # pad LF when the literal step compacts anyway
                    filler = _filler(data) if literals else None
                    data = data.replace(b"\r\n", (filler or b"") + b"\n")
                data = data.replace(b"\r", b"\n")  # one byte for one: memchr, in place
            if esc:  # a pad is in no escape sequence's classes but the OSC body's, like a CR
                data = _strip_ansi_in_blocks(data)
    if literals:
        data = _replace_literals(data, found, filler)
    if b"```" in found:
        data = strip_fences(data)
    return data
