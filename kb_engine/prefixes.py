"""The log prefix a traceback's header carries, as the parser matches it on each line.

A prefix (a time stamp, a level, a compose service name) is matched with its digits
free: ``2026-11-28T10:00:00.0000017Z`` matches every stamp of that form. The shape is a
regex, ``^`` then the prefix's text with each run of decimals made ``\\d+``, then
``\\s?``. Compiling one costs 30-100 µs, about what parsing 200 lines does, and a log can
put a new prefix on every header line (a pod name per line): so a shape is matched by a
short Python loop (``FirstPrefix``) until it is seen a second time, and compiled then.
Its literal parts hold no decimal (they were split off), so a greedy digit run is the
only way the regex can match and the loop gives the regex's answer.
"""

from __future__ import annotations

import re
from typing import Protocol

_DECIMALS = re.compile(r"\d+")
_SPLIT = re.compile(r"(\d+)")  # literal, decimals, literal, ...
_SHAPES_MAX = 1024
_compiled: dict[str, re.Pattern[str]] = {}  # shapes seen twice
_seen: set[str] = set()  # shapes seen once
_sources: dict[str, str] = {}  # skeleton (decimal runs made NULs) -> shape source
_literals: dict[str, tuple[bytes, ...]] = {}  # shape source -> its literal parts, UTF-8


class Ends(Protocol):
    def end(self) -> int: ...


class PrefixPattern(Protocol):
    """A compiled shape (``re.Pattern``) or a ``FirstPrefix``: ``pattern`` is the
    shape's regex source; ``match`` anchors at the start of ``text``."""

    @property
    def pattern(self) -> str: ...

    def match(self, text: str, /) -> Ends | None: ...


class _End:
    __slots__ = ("_end",)

    def __init__(self, end: int) -> None:
        self._end = end

    def end(self) -> int:
        return self._end


class FirstPrefix:
    """A shape seen once: ``re.compile(pattern).match`` as a loop over its parts."""

    __slots__ = ("parts", "pattern")

    def __init__(self, pattern: str, parts: list[str]) -> None:
        self.pattern = pattern
        self.parts = parts  # literal, digits, literal, ... (re.split's order)

    def match(self, text: str, /) -> _End | None:
        pos = 0
        for k, part in enumerate(self.parts):
            if k % 2:  # a run of decimals: the regex's \d+, greedy as it must be
                m = _DECIMALS.match(text, pos)
                if m is None:
                    return None
                pos = m.end()
            elif text.startswith(part, pos):
                pos += len(part)
            else:
                return None
        if pos < len(text) and text[pos].isspace():  # \s?
            pos += 1
        return _End(pos)


def prefix_shape(prefix: str, count: bool = True) -> PrefixPattern | None:
    """The shape of ``prefix`` (text before a header), None if blank. ``count``: this is
    a sighting (a parse); without it, a shape seen once stays uncompiled."""
    text = prefix.rstrip()
    if not text:
        return None
    # The prefix with its decimal runs made NULs names its shape: one C call, where the
    # source costs an escape per part (a stamp has eight).
    skeleton = _DECIMALS.sub("\0", text)
    source = _sources.get(skeleton)
    parts: list[str] | None = None
    if source is None:
        parts = _SPLIT.split(text)
        source = _source(parts)
        if len(_literals) >= _SHAPES_MAX:
            _literals.clear()
        _literals[source] = tuple(p.encode("utf-8", "surrogatepass") for p in parts[0::2])
        if "\0" not in text:
            if len(_sources) >= _SHAPES_MAX:
                _sources.clear()
            _sources[skeleton] = source
    got = _compiled.get(source)
    if got is not None:
        return got
    if count:
        if source in _seen:  # its second sighting
            if len(_compiled) >= _SHAPES_MAX:
                _compiled.clear()
            got = _compiled[source] = re.compile(source)
            return got
        if len(_seen) >= _SHAPES_MAX:
            _seen.clear()
        _seen.add(source)
    return FirstPrefix(source, _SPLIT.split(text) if parts is None else parts)


def literal_parts(source: str) -> tuple[bytes, ...] | None:
    """The literal parts of the shape ``source`` (a digit run between each two), as the
    bytes its regex matches; None if forgotten (the registry is bounded)."""
    return _literals.get(source)


def _source(parts: list[str]) -> str:
    return "^" + "".join(r"\d+" if k % 2 else re.escape(p) for k, p in enumerate(parts)) + r"\s?"


__all__ = ["Ends", "FirstPrefix", "PrefixPattern", "literal_parts", "prefix_shape"]
