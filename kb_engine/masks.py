"""Named masks that turn volatile tokens into placeholders, and the fingerprint.

Masks make two pastes of the same failure look the same: timestamps, addresses,
ids, ports and paths differ between runs, the failure does not.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

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
        got = _mask(text)
        if len(_known) >= _KNOWN_MAX:
            _known.clear()
        _known[text] = got
    return got


def masked(texts: Iterable[str]) -> dict[str, str]:
    """``mask`` of each text, keyed as ``remember`` expects."""
    return {t[:MAX_MASKED_LEN]: mask(t) for t in texts}


def remember(pairs: dict[str, str]) -> None:
    """Take masks computed elsewhere (another process scanning part of the same log)."""
    if len(_known) + len(pairs) > _KNOWN_MAX:
        _known.clear()
    _known.update(pairs)


# Exact shortcuts: a mask whose every match needs a digit, or one of a few literals, is not
# run on a text without them (checked again after each substitution). PID's literals are
# checked on ASCII text only: IGNORECASE would also match through Unicode case folding.
_DIGIT = re.compile(r"\d")
_NEEDS_DIGIT = frozenset({"TIMESTAMP", "TIME", "DATE", "HEX", "IP", "PID", "PORT", "NUM"})
_NEEDS: dict[str, tuple[str, ...]] = {
    "TIMESTAMP": ("-",), "TIME": (":",), "DATE": ("-",), "UUID": ("-",), "HEX": ("0x",),
    "IP": (".",), "PATH": ("/", "\\"), "PID": ("pid", "process"), "PORT": ("port ",),
}


def _mask(text: str) -> str:
    ascii_text = text.isascii()
    digit = _DIGIT.search(text) is not None
    for name, pattern in MASKS:
        if name in _NEEDS_DIGIT and not digit:
            continue
        needs = _NEEDS.get(name)
        if needs is not None and (ascii_text or name != "PID"):
            hay = text.lower() if name == "PID" else text
            if not any(n in hay for n in needs):
                continue
        masked_text = pattern.sub(f"<{name}>", text)
        if masked_text != text:
            text = masked_text
            digit = _DIGIT.search(text) is not None
    return text


def fingerprint(*parts: str) -> str:
    """A stable 12-hex-digit fingerprint of the masked parts."""
    digest = hashlib.sha1("\x1f".join(mask(p) for p in parts).encode("utf-8", "replace"))
    return digest.hexdigest()[:12]
