"""Signature regexes: compiled with RE2 (linear time on any input) and mined for literals.

``required_literals`` returns strings of which every match must contain at least
one. The prefilter searches for those literals in one pass over the input, so a
regex is only run on lines that could match it. Extraction is conservative: when
in doubt it returns ``None`` and the regex is tried on every line.
"""

from __future__ import annotations

import re
import re._constants as C  # type: ignore[import-not-found]
import re._parser as sre  # type: ignore[import-not-found]
from collections.abc import Callable
from functools import cache
from typing import Any

import re2

from .record import FrozenRecord

MIN_LITERAL = 3
_OPTIONS = re2.Options()
_OPTIONS.log_errors = False


class RegexSyntaxError(ValueError):
    """The pattern is not valid RE2 (backreferences and lookaround are not)."""


@cache
def compile_re2(pattern: str, ignore_case: bool = False) -> Any:
    """Compile ``pattern`` with RE2; raises RegexSyntaxError with RE2's reason."""
    source = f"(?i){pattern}" if ignore_case else pattern
    try:
        return re2.compile(source, _OPTIONS)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise RegexSyntaxError(str(reason)) from None


_TEST_OPTIONS = re2.Options()
_TEST_OPTIONS.log_errors = False
_TEST_OPTIONS.never_capture = True  # a yes/no test runs on RE2's fastest engine


@cache
def bytes_tester(pattern: str, ignore_case: bool) -> Callable[[bytes], bool]:
    """A yes/no test of ``pattern`` on UTF-8 bytes: no decoding, no match object, and
    RE2's cheapest way to a yes: without captures, anchored at the start behind a lazy
    ``.*?`` so a match needs only the forward DFA (an unanchored search that matches
    also builds the reverse program to find where the match starts, which dominated
    when thousands of patterns each matched a few times). Raises RegexSyntaxError like
    ``compile_re2``."""
    source = f"(?i){pattern}" if ignore_case else pattern
    core: Any = getattr(re2, "_re2", None)
    regexp = core.RE2(b"(?s:.*?)(?:" + source.encode("utf-8") + b")", _TEST_OPTIONS) \
        if core is not None else None
    if regexp is None or not regexp.ok():
        compile_re2(pattern, ignore_case)  # raises RegexSyntaxError with RE2's reason
        compiled = re2.compile(source, _TEST_OPTIONS)  # another google-re2 layout

        return lambda data: compiled.search(data.decode("utf-8", "surrogateescape")) is not None
    anchored = core.RE2.Anchor.ANCHOR_START
    match = regexp.Match

    def test(data: bytes) -> bool:
        return bool(match(anchored, data, 0, len(data))[0][0] >= 0)

    return test


@cache
def _capturing(pattern: str, ignore_case: bool
               ) -> tuple[Callable[..., Any], Any, tuple[tuple[str, int], ...]] | None:
    """The match method of RE2's own regexp for ``pattern`` (the one ``compile_re2``
    wraps), the unanchored mode and the named groups; None where google-re2 is laid out
    otherwise."""
    compiled = compile_re2(pattern, ignore_case)  # raises RegexSyntaxError
    regexp = getattr(compiled, "_regexp", None)
    try:
        anchor = re2._re2.RE2.Anchor.UNANCHORED
        pairs = regexp.NamedCapturingGroups()  # type: ignore[union-attr]
    except AttributeError:
        return None
    names = tuple((name.decode("utf-8") if isinstance(name, bytes) else name, index)
                  for name, index in pairs)
    return regexp.Match, anchor, names  # type: ignore[union-attr]


def search_captures(pattern: str, ignore_case: bool, text: str) -> dict[str, str] | None:
    """The named groups of ``pattern``'s first match in ``text`` (groups that took no part
    left out), or None without a match: what ``compile_re2(...).search(text)`` gives, but
    searched on the UTF-8 bytes with group spans in bytes. The str search maps every byte
    offset back to a character offset, which cost three times the search on a long line
    past ASCII (an evidence line cut at MAX_EVIDENCE_TEXT is captured at once)."""
    found = _capturing(pattern, ignore_case)
    if found is None:
        m = compile_re2(pattern, ignore_case).search(text)
        if m is None:
            return None
        return {k: v for k, v in m.groupdict().items() if v is not None}
    match, anchor, names = found
    data = text.encode("utf-8", "surrogatepass")
    spans = match(anchor, data, 0, len(data))
    if spans[0][0] < 0:
        return None
    return {name: data[spans[i][0]:spans[i][1]].decode("utf-8", "surrogatepass")
            for name, i in names if spans[i][0] >= 0}


def fast_search(pattern: str, ignore_case: bool, text: str) -> bool:
    """Whether ``pattern`` matches anywhere in ``text``, without building a match object."""
    return bytes_tester(pattern, ignore_case)(text.encode("utf-8", "surrogatepass"))


class Literals(FrozenRecord):
    """Strings one of which occurs in every match; ``caseless`` when matched ignoring case."""

    strings: frozenset[str]
    caseless: bool

    def __init__(self, strings: frozenset[str], caseless: bool) -> None:
        self.strings = strings
        self.caseless = caseless


def required_literals(pattern: str, ignore_case: bool = False) -> Literals | None:
    """Literals for the prefilter, or None when the pattern has no usable literal."""
    try:
        parsed = sre.parse(pattern)
    except (re.error, OverflowError, RecursionError):
        return None
    caseless = ignore_case or bool(parsed.state.flags & re.IGNORECASE) or _has_local_i(parsed)
    found = _seq(list(parsed))
    if not found:
        return None
    strings = frozenset(s.lower() for s in found) if caseless else frozenset(found)
    return Literals(strings, caseless)


def _has_local_i(parsed: Any) -> bool:
    for op, av in parsed:
        if op is C.SUBPATTERN:
            if av[1] & re.IGNORECASE:
                return True
            if _has_local_i(av[3]):
                return True
        elif op is C.BRANCH:
            if any(_has_local_i(b) for b in av[1]):
                return True
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT) and _has_local_i(av[2]):
            return True
    return False


def _best(candidates: list[set[str]]) -> set[str] | None:
    usable = [c for c in candidates if c and min(len(s) for s in c) >= MIN_LITERAL]
    if not usable:
        return None
    return max(usable, key=lambda c: (min(len(s) for s in c), -len(c)))


def _seq(items: list[tuple[Any, Any]]) -> set[str] | None:
    """Required literal set of a concatenation."""
    candidates: list[set[str]] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            candidates.append({"".join(run)})
            run.clear()

    for op, av in items:
        if op is C.LITERAL:
            run.append(chr(av))
            continue
        if op is C.AT:
            continue  # anchors and \b consume nothing: the run stays contiguous
        if op is C.SUBPATTERN:
            inner = list(av[3])
            if all(o is C.LITERAL for o, _ in inner):
                run.extend(chr(a) for _, a in inner)
                continue
            flush()
            sub = _seq(inner)
            if sub:
                candidates.append(sub)
            continue
        flush()
        if op is C.BRANCH:
            alts = [_seq(list(b)) for b in av[1]]
            if all(alts):
                candidates.append(set().union(*alts))  # type: ignore[arg-type]
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT) and av[0] >= 1:
            sub = _seq(list(av[2]))
            if sub:
                candidates.append(sub)
        elif op is C.IN:
            chars = _class_chars(av)
            if chars:
                candidates.append(chars)
    flush()
    return _best(candidates)


def _class_chars(av: Any) -> set[str] | None:
    chars: set[str] = set()
    for op, a in av:
        if op is C.LITERAL:
            chars.add(chr(a))
        else:
            return None
    return chars or None
