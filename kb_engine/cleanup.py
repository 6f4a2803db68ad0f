"""Undo what Slack, chat clients and terminals do to pasted logs.

Line count is preserved (a removed code fence becomes an empty line) so that
evidence line numbers point at the user's own input.
"""

from __future__ import annotations

import re
from typing import Any

_FENCE_LINE = re.compile(r"^\s*```[\w+-]*\s*$")
_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&#39;", "'"), ("&amp;", "&"))


def clean_text(text: str) -> str:
    """Return ``text`` with fences, entities, smart quotes, ANSI codes and CRs undone."""
    return clean_bytes(text.encode("utf-8", "surrogatepass")).decode("utf-8", "surrogatepass")


def _strip_fences(text: str) -> str:
    out = []
    for line in text.split("\n"):
        if "```" not in line:
            out.append(line)
        elif _FENCE_LINE.match(line):
            out.append("")
        else:
            # Slack keeps text on the fence line: ```Traceback (most ...)```
            out.append(line.replace("```", ""))
    return "\n".join(out)


# One literal \x1b prefix lets the regex engine skip ahead between escapes.
_ANSI_B = re.compile(rb"\x1b(?:\[[0-9;?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")
_SLACK_LINK_B = re.compile(rb"<((?:https?|mailto|ftp)://[^|>\s]+|mailto:[^|>\s]+)(?:\|[^>]*)?>")
_ENTITIES_B = tuple((a.encode(), b.encode()) for a, b in _ENTITIES)
_SMART_B = tuple((k.encode(), v.encode()) for k, v in (
    ("\u2018", "'"), ("\u2019", "'"), ("\u201a", "'"), ("\u201b", "'"), ("\u201c", '"'),
    ("\u201d", '"'), ("\u201e", '"'), ("\u201f", '"'), ("\u2032", "'"), ("\u2033", '"'),
    ("\u00a0", " "), ("\u2007", " "), ("\u202f", " "), ("\u200b", ""), ("\ufeff", ""),
))


_MARKERS: tuple[bytes, ...] = (
    b"\r", b"\x1b", b"<http", b"<ftp:", b"<mailto:", b"```",
    *(entity for entity, _ in _ENTITIES_B), *(smart for smart, _ in _SMART_B),
)
_marker_db: Any = None
_no_hyperscan = False


def _present_markers(data: bytes) -> set[bytes]:
    """Which cleanup markers occur: one Hyperscan pass when available (CPython's multi-byte
    substring search would take one pass per marker)."""
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


def _walk_cr_ansi(data: bytes, cr: bool, esc: bool) -> bytes | None:
    """CRs made newlines and ANSI escapes removed, by jumping from one to the next
    (memchr speed) rather than running two regex passes over the whole window;
    None when there are more than _WALK_LIMIT of them. Same result as
    ``_ANSI_B.sub(b"", re.sub(rb"\\r\\n?", b"\\n", data))``: no escape sequence can start or
    end inside ``\\r\\n``, and one that spans a CR removes it either way."""
    find = data.find
    pieces: list[bytes] = []
    prev = 0
    pos_cr = find(b"\r") if cr else -1
    pos_esc = find(b"\x1b") if esc else -1
    for _ in range(_WALK_LIMIT):
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
    return None


_ANSI_BLOCK = 256 * 1024


def _strip_ansi_in_blocks(data: bytes) -> bytes:
    """``_ANSI_B.sub(b"", data)`` a block at a time, so an escape storm never lists a
    million pieces at once. Blocks are cut just before an ESC that does not start the
    ``ESC \\`` terminator: no escape sequence can span such a cut (an OSC body holds no
    ESC, and every other sequence starts at its ESC)."""
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
        out.append(_ANSI_B.sub(b"", data[start:cut]))
        start = cut
    return b"".join(out)


def clean_bytes(data: bytes) -> bytes:
    """``clean_text`` for UTF-8 bytes; only the steps whose markers occur run, so a plain
    log passes through at memory speed."""
    found = _present_markers(data)
    if not found:
        return data
    cr, esc = b"\r" in found, b"\x1b" in found
    if cr or esc:
        walked = _walk_cr_ansi(data, cr, esc)
        if walked is not None:
            data = walked
        else:  # thousands of them: whole-window passes are linear too, and quicker then
            if cr:  # two C-level replaces: a regex sub would list every piece first
                data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
            if esc:
                data = _strip_ansi_in_blocks(data)
    for entity, char in _ENTITIES_B:
        if entity in found:
            data = data.replace(entity, char)
    if found & {b"<http", b"<ftp:", b"<mailto:"}:
        data = _SLACK_LINK_B.sub(rb"\1", data)
    for smart, plain in _SMART_B:
        if smart in found:
            data = data.replace(smart, plain)
    if b"```" in found:
        data = _strip_fences(data.decode("utf-8", "surrogateescape")).encode(
            "utf-8", "surrogateescape")
    return data
