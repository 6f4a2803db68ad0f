"""Named masks that turn volatile tokens into placeholders, and the fingerprint.

Masks make two pastes of the same failure look the same: timestamps, addresses,
ids, ports and paths differ between runs, the failure does not.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

try:  # CPython's own SHA-1: loading OpenSSL for hashlib is ~3 ms of every start
    from _sha1 import sha1 as _sha1  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - builds without the built-in hashes
    from hashlib import sha1 as _sha1

# Order matters: specific shapes before the generic number mask.
MASKS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("TIMESTAMP", re.compile(
        r"\b\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?\b"
    )),
    ("TIME", re.compile(r"\b\d\d:\d\d:\d\d(?:[.,]\d+)?\b")),
    ("DATE", re.compile(r"\b\d{4}-\d\d-\d\d\b")),
    ("UUID", re.compile(
        r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"
    )),
    ("HEX", re.compile(r"\b0x[0-9a-fA-F]+\b")),
    ("IP", re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?\b")),
    ("PATH", re.compile(r"(?:[A-Za-z]:\\|/)(?:[\w.@+-]+[/\\])+[\w.@+-]*")),
    ("PID", re.compile(r"\b(?:pid[=: ]|process )\d+\b", re.IGNORECASE)),
    ("PORT", re.compile(r"(?<=port )\d{2,5}\b")),
    ("HASH", re.compile(r"\b[0-9a-f]{16,}\b")),
    ("NUM", re.compile(r"(?<![A-Za-z_])\d+(?:\.\d+)*")),
)

MAX_MASKED_LEN = 2000


# Masked texts by text: big logs repeat the same error line thousands of times, and the
# parts of a big log scanned in parallel mask their own lines (see ``remember``).
_known: dict[str, str] = {}
_KNOWN_MAX = 100_000


def mask(text: str) -> str:
    """Replace every volatile token in ``text`` with ``<NAME>``."""
    text = text[:MAX_MASKED_LEN]
    got = _known.get(text)
    if got is None:
        got = _mask_ascii(text) if text.isascii() else _mask(text)
        if len(_known) >= _KNOWN_MAX:
            _known.clear()
        _known[text] = got
    return got


def masked(texts: Iterable[str]) -> dict[str, str]:
    """``mask`` of each text, keyed as ``remember`` expects.

    The texts not known yet are masked together first (``_mask_many``); then each text goes
    through ``mask``'s steps in turn, so the result and ``_known`` are exactly ``mask``'s.
    """
    cut = [t[:MAX_MASKED_LEN] for t in texts]
    todo = list(dict.fromkeys(t for t in cut if t not in _known))
    fresh = dict(zip(todo, _mask_many(todo), strict=True))
    out: dict[str, str] = {}
    for t in cut:
        got = _known.get(t)
        if got is None:
            got = fresh.get(t)
            if got is None:  # was known, then went with the rest of the full cache
                got = _mask_ascii(t) if t.isascii() else _mask(t)
            if len(_known) >= _KNOWN_MAX:
                _known.clear()
            _known[t] = got
        out[t] = got
    return out


def remember(pairs: dict[str, str]) -> None:
    """Take masks computed elsewhere (another process scanning part of the same log)."""
    if len(_known) + len(pairs) > _KNOWN_MAX:
        _known.clear()
    _known.update(pairs)


def _mask_many(texts: list[str]) -> list[str]:
    """``_mask`` of each text, the ASCII lines masked as one text joined with newlines.

    Every mask gives the same result on lines joined with "\\n" as on each line alone: no
    mask matches a "\\n" (no ``\\d``, ``\\w`` or class in them takes one), and the assertions
    around a match (``\\b``, ``(?<![A-Za-z_])``, ``(?<=port )``) see a "\\n" next to a line
    as they see a line's start or end (a non-word character, not a letter, not "port ").
    A text that holds a "\\n" itself, or a non-ASCII one (``_mask_ascii`` takes ASCII only),
    is masked on its own.
    """
    out = list(texts)
    lines: list[str] = []
    where: list[int] = []
    for i, t in enumerate(texts):
        if t.isascii() and "\n" not in t:
            lines.append(t)
            where.append(i)
        else:
            out[i] = _mask_ascii(t) if t.isascii() else _mask(t)
    if lines:
        for i, got in zip(where, _mask_ascii("\n".join(lines)).split("\n"), strict=True):
            out[i] = got
    return out


# --- Any text: the masks one after the other, each skipped where it cannot match. ---

# Exact shortcuts: a mask whose every match needs a digit, or one of a few literals, is not
# run on a text without them (checked again after each substitution). PID's literals are
# checked on ASCII text only: IGNORECASE would also match through Unicode case folding.
_DIGIT = re.compile(r"\d")
_NEEDS_DIGIT = frozenset({"TIMESTAMP", "TIME", "DATE", "HEX", "IP", "PID", "PORT", "NUM"})
_NEEDS: dict[str, tuple[str, ...]] = {
    "TIMESTAMP": ("-",), "TIME": (":",), "DATE": ("-",), "UUID": ("-",), "HEX": ("0x",),
    "IP": (".",), "PATH": ("/", "\\"), "PID": ("pid", "process"), "PORT": ("port ",),
}
# (sub, replacement, needs a digit, needs one of these literals, is PID) per mask
_STEPS: tuple[tuple[Callable[[str, str], str], str, bool, tuple[str, ...], bool], ...] = tuple(
    (pattern.sub, f"<{name}>", name in _NEEDS_DIGIT, _NEEDS.get(name, ()), name == "PID")
    for name, pattern in MASKS
)


def _mask(text: str) -> str:
    ascii_text = text.isascii()
    digit = _DIGIT.search(text) is not None
    for sub, repl, needs_digit, needs, pid in _STEPS:
        if needs_digit and not digit:
            continue
        if needs:
            if pid:
                if ascii_text:
                    hay = text.lower()
                    if "pid" not in hay and "process" not in hay:
                        continue
            else:
                for n in needs:
                    if n in text:
                        break
                else:
                    continue
        masked_text = sub(repl, text)
        if masked_text != text:
            text = masked_text
            digit = _DIGIT.search(text) is not None
    return text


# --- ASCII text: the same result as ``_mask`` with patterns the engine finds fast. ---
#
# ``re`` finds a pattern that starts with a literal by scanning for it in C; a pattern that
# starts with ``\b``, a lookbehind or a class is tried at every position instead. So:
#
# - The digit masks run on a skeleton of the text, every digit turned into "0": on ASCII
#   text ``\d`` is [0-9], and a pattern that only asks whether a character is a digit finds
#   the same spans in the skeleton as in the text. There ``\d`` is the literal "0".
# - A leading ``\b`` moves into a lookbehind after the literal part: ``\bX`` = ``X(?<=\bX)``
#   (TIMESTAMP, TIME, DATE, HEX, PID; NUM's lookbehind likewise).
# - A mask whose every match has a literal a fixed distance from its start (UUID's first
#   "-", "port " before a PORT) is searched from that literal: ``_shifted_spans``.
# - A mask needing a rare shape (IP's dotted digits, HASH's 16 hex digits) is only run on
#   the lines holding it (``_by_line``: no mask crosses or matches a newline, see above).
# - PID (IGNORECASE): on ASCII text it matches where its lowercase form matches the
#   lowercased text, same positions.

_DIGITS_TO_0 = bytes.maketrans(b"123456789", b"000000000")
_TIMESTAMP_0 = re.compile(
    r"0000-00-00(?<=\b0000-00-00)[T ]00:00:00(?:[.,]0+)?(?:Z|[+-]00:?00)?\b"
)
_TIME_0 = re.compile(r"00:00:00(?<=\b00:00:00)(?:[.,]0+)?\b")
_DATE_0 = re.compile(r"0000-00-00(?<=\b0000-00-00)\b")
_NUM_0 = re.compile(r"0(?<![A-Za-z_]0)0*(?:\.0+)*")
# UUID from its first "-" (8 after the start), PORT from "port " (5 before it).
_UUID_AT_DASH = re.compile(
    r"-(?<=\b[0-9a-fA-F]{8}-)[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"
)
_PORT_AT_WORD = re.compile(r"port \d{2,5}\b")
_HEX_AT_0X = re.compile(r"0x(?<=\b0x)[0-9a-fA-F]+\b")
# Every IP match holds this (from its first dot on).
_IP_DOTS = re.compile(r"\.\d{1,3}\.\d{1,3}\.\d")
# PATH without its Windows branch, for text without ":\" (where that branch cannot match).
_PATH_SLASH = re.compile(r"/(?:[\w.@+-]+[/\\])+[\w.@+-]*")
_PID_LOWER = re.compile(r"p(?<=\bp)(?:id[=: ]|rocess )\d+\b")
# Every HASH match is a run of 16 or more [0-9a-f]: "h" in this skeleton of the bytes.
_HEX_RUN = bytes(0x68 if c in b"0123456789abcdef" else 0x2E for c in range(256))
_HEX_RUN_16 = b"h" * 16

_PATTERN = dict(MASKS)
_IP = _PATTERN["IP"]
_PATH = _PATTERN["PATH"]
_HASH = _PATTERN["HASH"]


def _mask_ascii(text: str) -> str:
    """``_mask(text)`` for an ASCII ``text``."""
    skeleton = _skeleton(text)
    if "0000-00-00" in skeleton:
        text, skeleton = _replaced2(text, skeleton, _TIMESTAMP_0, "<TIMESTAMP>")
    if "00:00:00" in skeleton:
        text, skeleton = _replaced2(text, skeleton, _TIME_0, "<TIME>")
    if "0000-00-00" in skeleton:
        text, skeleton = _replaced2(text, skeleton, _DATE_0, "<DATE>")
    before = text
    if "-" in text:
        text = _replaced(text, _shifted_spans(_UUID_AT_DASH, 8, text), "<UUID>")
    if "0x" in text:
        text = _HEX_AT_0X.sub("<HEX>", text)
    if "." in text:
        dots = _IP_DOTS.search(text)
        if dots is not None:
            text = _by_line(text, dots.start(), _finder(_IP_DOTS, text), _IP, "<IP>")
    if "/" in text or "\\" in text:
        text = (_PATH if ":\\" in text else _PATH_SLASH).sub("<PATH>", text)
    lower = text.lower()
    if "pid" in lower or "process" in lower:
        text = _replaced(text, [m.span() for m in _PID_LOWER.finditer(lower)], "<PID>")
    if "port " in text:
        text = _replaced(text, _shifted_spans(_PORT_AT_WORD, -5, text), "<PORT>")
    if len(text) >= 16:
        hex_runs = text.encode("ascii").translate(_HEX_RUN)
        at = hex_runs.find(_HEX_RUN_16)
        if at >= 0:
            text = _by_line(text, at, lambda pos: hex_runs.find(_HEX_RUN_16, pos), _HASH,
                            "<HASH>")
    if text != before:
        skeleton = _skeleton(text)
    if "0" in skeleton:
        text = _replaced(text, [m.span() for m in _NUM_0.finditer(skeleton)], "<NUM>")
    return text


def _skeleton(text: str) -> str:
    """ASCII ``text`` with every digit turned into "0" (bytes translate: fast on short text)."""
    return text.encode("ascii").translate(_DIGITS_TO_0).decode("ascii")


def _replaced(text: str, spans: list[tuple[int, int]], repl: str) -> str:
    """``text`` with each of the increasing, disjoint ``spans`` replaced by ``repl``."""
    if not spans:
        return text
    parts: list[str] = []
    pos = 0
    for start, end in spans:
        parts.append(text[pos:start])
        parts.append(repl)
        pos = end
    parts.append(text[pos:])
    return "".join(parts)


def _replaced2(
    text: str, skeleton: str, pattern: re.Pattern[str], repl: str
) -> tuple[str, str]:
    """``_replaced`` with the matches of ``pattern`` in the skeleton, on the text and on the
    skeleton (the skeleton of the result: ``repl`` has no digit)."""
    spans = [m.span() for m in pattern.finditer(skeleton)]
    if not spans:
        return text, skeleton
    return _replaced(text, spans, repl), _replaced(skeleton, spans, repl)


def _shifted_spans(pattern: re.Pattern[str], shift: int, text: str) -> list[tuple[int, int]]:
    """The spans ``re.sub`` replaces for a mask P whose matches start ``shift`` characters
    before a match of ``pattern`` (which is P searched from a literal inside it): P's first
    match at or after ``pos`` is ``pattern``'s first at or after ``pos + shift``."""
    spans: list[tuple[int, int]] = []
    search = pattern.search
    m = search(text, max(shift, 0))
    while m is not None:
        end = m.end()
        spans.append((m.start() - shift, end))
        m = search(text, max(end + shift, 0))
    return spans


def _finder(pattern: re.Pattern[str], text: str) -> Callable[[int], int]:
    search = pattern.search

    def find(pos: int) -> int:
        m = search(text, pos)
        return -1 if m is None else m.start()

    return find


def _by_line(
    text: str, at: int, find: Callable[[int], int], pattern: re.Pattern[str], repl: str
) -> str:
    """``pattern.sub(repl, text)``, run only on the lines of ``text`` that hold a shape every
    match of ``pattern`` holds: ``at`` is where it first occurs, ``find(pos)`` where it next
    occurs from ``pos`` on (-1: nowhere). The shape never holds a newline."""
    parts: list[str] = []
    last = 0
    size = len(text)
    while at >= 0:
        start = text.rfind("\n", 0, at) + 1
        end = text.find("\n", at)
        if end < 0:
            end = size
        line = text[start:end]
        new = pattern.sub(repl, line)
        if new != line:
            parts.append(text[last:start])
            parts.append(new)
            last = end
        at = find(end + 1) if end < size else -1
    if not parts:
        return text
    parts.append(text[last:])
    return "".join(parts)


def fingerprint(*parts: str) -> str:
    """A stable 12-hex-digit fingerprint of the masked parts."""
    got = _fingerprints.get(parts)
    if got is None:  # a big log's thousands of failures are mostly the same few
        digest = _sha1("\x1f".join(mask(p) for p in parts).encode("utf-8", "replace"))
        got = digest.hexdigest()[:12]
        if len(_fingerprints) >= _KNOWN_MAX:
            _fingerprints.clear()
        _fingerprints[parts] = got
    return got


_fingerprints: dict[tuple[str, ...], str] = {}
