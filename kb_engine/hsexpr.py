"""Hyperscan expressions for RE2 patterns: what the prefilter's one pass looks for.

Hyperscan scans a whole window of bytes; RE2 matches one line of UTF-8 characters.
The expression is written out from the pattern's parse tree so that:

- it is a **superset** on every line without a case partner: each such line RE2
  matches, Hyperscan matches too (atoms that can match a multi-byte character sit under
  an unbounded repeat). RE2 folds two non-ASCII characters, and no other, onto ASCII
  letters: KELVIN SIGN onto k, LONG S onto s. A caseless pattern's atoms that take k or s
  give those ``partners``; the prefilter makes every line holding one a candidate too.
  (Spelling them into the expression as alternatives made Hyperscan's database 9 %
  bigger and its scan about 12 % slower: it splits the literals Hyperscan looks for.)
- it never matches a newline, so every Hyperscan match lies inside one line;
- and so on an **ASCII** line it is **exact**: a Hyperscan match there is an RE2 match
  (``\\d \\w \\s \\b`` are spelled as RE2 defines them, ASCII only; a line holds no
  newline, so leaving the newline out of ``.``, ``[^...]`` and ``\\s`` changes nothing).

Patterns outside the subset written here get no expression (their literals are used).

``exact_on_any_line`` tells the patterns whose expression is exact on every line, UTF-8 or
not: those whose atoms that can take a non-ASCII character are all runs of one such atom
(``.*``, ``[^"]+``, ``\\S*``). A byte run between ASCII bytes, or at a line's edge, is a
run of whole characters on valid UTF-8, and decoding turns an invalid byte into one
U+FFFD that the same atom takes. A ``+`` run needs only ASCII literals beside it, in the
pattern's own sequence: two such runs side by side (``[^"]+[^']+``, ``(?:[^"]+){2}``)
take two bytes of one character for two characters.
"""

from __future__ import annotations

import re
import re._constants as C  # type: ignore[import-not-found]
import re._parser as sre  # type: ignore[import-not-found]
from typing import Any

_MULTIBYTE_CATEGORIES = {C.CATEGORY_NOT_DIGIT, C.CATEGORY_NOT_WORD, C.CATEGORY_NOT_SPACE}
# RE2's classes (ASCII), the newline left out: a line never holds one.
_CATEGORY_SET = {
    C.CATEGORY_DIGIT: "0-9",
    C.CATEGORY_WORD: "0-9A-Za-z_",
    C.CATEGORY_SPACE: "\\t\\f\\r ",
}
_CATEGORY_CODES = {
    C.CATEGORY_DIGIT: [(48, 57)],
    C.CATEGORY_WORD: [(48, 57), (65, 90), (97, 122), (95, 95)],
    C.CATEGORY_SPACE: [(9, 9), (12, 13), (32, 32)],
}
_NEGATED = {
    C.CATEGORY_NOT_DIGIT: C.CATEGORY_DIGIT,
    C.CATEGORY_NOT_WORD: C.CATEGORY_WORD,
    C.CATEGORY_NOT_SPACE: C.CATEGORY_SPACE,
}
_ANCHORS = {
    C.AT_BEGINNING: "^", C.AT_BEGINNING_STRING: "^", C.AT_END: "$",
    C.AT_BOUNDARY: "\\b", C.AT_NON_BOUNDARY: "\\B",
}
_REPEATS = (C.MAX_REPEAT, C.MIN_REPEAT)


# Syntax Python's parser reads differently from RE2: POSIX classes ([[:alpha:]] is a
# nested set to Python) and {,n} (a repeat to Python, literal text to RE2).
# \u, \U, \N{} and \Z are Python's, not RE2's: such a pattern must reach RE2 and fail there.
_PARSED_OTHERWISE = ("[:", "[[", "{,", "\\u", "\\U", "\\N", "\\Z")
_RE2_MAX_REPEAT = 1000


class _Unsupported(Exception):
    pass


def hyperscan_expression(pattern: str, ignore_case: bool) -> bytes | None:
    """The pattern as a line-local Hyperscan expression (see the module doc), or None."""
    got = expression(pattern, ignore_case)
    return None if got is None else got[0]


def exact_on_any_line(pattern: str, ignore_case: bool) -> bool:
    """True when a match of the pattern's expression is an RE2 match on any line (see the
    module doc), not on ASCII lines only."""
    got = expression(pattern, ignore_case)
    return got is not None and got[1]


def case_partners(literals: frozenset[str] | set[str], caseless: bool) -> frozenset[str]:
    """The non-ASCII characters RE2 may match where caseless ASCII matching of these
    literals sees nothing: a line holding one must be a candidate too."""
    if not caseless:
        return frozenset()
    return frozenset(p for letter, p in _PARTNERS.items()
                     if any(letter in lit.lower() for lit in literals))


def expression(pattern: str, ignore_case: bool) -> tuple[bytes, bool, frozenset[str]] | None:
    """(``hyperscan_expression``, ``exact_on_any_line``, the case partners a line may hold
    instead of what the expression looks for) from one parse of the pattern, or None when
    it gets no expression."""
    if not pattern.isascii() or any(x in pattern for x in _PARSED_OTHERWISE):
        return None
    try:
        parsed = sre.parse(pattern)
    except (re.error, OverflowError, RecursionError):
        return None
    flags = parsed.state.flags
    caseless = ignore_case or bool(flags & re.IGNORECASE)
    if flags & (re.VERBOSE | re.LOCALE):
        return None
    items = list(parsed)
    if not _superset_ok(items, False):
        return None
    writer = _Writer(caseless)
    try:
        expr = writer.seq(items).encode("ascii")
    except (_Unsupported, RecursionError):
        return None
    return expr, not writer.ascii_only and _runs_ok(items, top=True), frozenset(writer.partners)


def _superset_ok(items: Any, under_unbounded: bool) -> bool:
    for op, av in items:
        if op is C.ANY or op is C.NOT_LITERAL:
            if not under_unbounded:
                return False
        elif op is C.IN:
            negated = any(o is C.NEGATE for o, _ in av)
            wide = any(o is C.CATEGORY and a in _MULTIBYTE_CATEGORIES for o, a in av)
            if (negated or wide) and not under_unbounded:
                return False
        elif op in _REPEATS:
            unbounded = av[1] is C.MAXREPEAT
            if not _superset_ok(av[2], under_unbounded or unbounded):
                return False
        elif op is C.SUBPATTERN:
            if not _superset_ok(av[3], under_unbounded):
                return False
        elif op is C.BRANCH:
            if not all(_superset_ok(b, under_unbounded) for b in av[1]):
                return False
        elif op is not C.LITERAL and op is not C.AT:
            return False
    return True


# RE2's caseless k and s also match these characters (and \w under (?i) does too).
_PARTNERS = {"k": "\u212a", "s": "\u017f"}


def _char(code: int) -> str:
    if code >= 128:
        raise _Unsupported
    return f"\\x{code:02x}"


class _Writer:
    """Writes parsed items as a Hyperscan expression. ``partners``: the case partners of
    what caseless atoms take (k, s), which RE2 matches there and Hyperscan does not.
    ``ascii_only``: such atoms exist, so the expression is exact on ASCII lines only (an
    atom excluding k or s excludes its partner to RE2, not to Hyperscan)."""

    def __init__(self, caseless: bool) -> None:
        self.caseless = caseless
        self.partners: set[str] = set()
        self.ascii_only = False

    def seq(self, items: Any) -> str:
        return "".join(self.item(op, av) for op, av in items)

    def _takes(self, codes: list[tuple[int, int]], excluded: bool = False) -> None:
        """Note the partners of the letters in the ASCII ``codes`` ranges, when caseless."""
        if not self.caseless:
            return
        found = [p for letter, p in _PARTNERS.items() if any(
            lo <= x <= hi for lo, hi in codes for x in (ord(letter), ord(letter.upper())))]
        if found:
            self.ascii_only = True
            if not excluded:  # an exclusion makes Hyperscan take more: no partner needed
                self.partners.update(found)

    def item(self, op: Any, av: Any) -> str:
        if op is C.LITERAL:
            self._takes([(av, av)])
            return _char(av)
        if op is C.NOT_LITERAL:
            self._takes([(av, av)], excluded=True)
            return f"[^\\n{_char(av)}]"
        if op is C.ANY:
            return "[^\\n]"
        if op is C.IN:
            return self._class(av)
        if op is C.AT:
            if av not in _ANCHORS:
                raise _Unsupported
            return _ANCHORS[av]
        if op is C.BRANCH:
            return "(?:" + "|".join(self.seq(b) for b in av[1]) + ")"
        if op is C.SUBPATTERN:
            _group, add_flags, del_flags, inner = av
            if add_flags or del_flags:  # local flags: leave such patterns to their literals
                raise _Unsupported
            return "(?:" + self.seq(inner) + ")"
        if op in _REPEATS:
            lo, hi, inner = av
            if lo > _RE2_MAX_REPEAT or (hi is not C.MAXREPEAT and hi > _RE2_MAX_REPEAT):
                raise _Unsupported
            body = "(?:" + self.seq(inner) + ")"
            if hi is C.MAXREPEAT:
                return body + ("*" if lo == 0 else "+" if lo == 1 else f"{{{lo},}}")
            return body + (f"{{{lo}}}" if lo == hi else f"{{{lo},{hi}}}")
        raise _Unsupported

    def _class(self, av: Any) -> str:
        negated = False
        parts: list[str] = []
        codes: list[tuple[int, int]] = []  # the letters it names, for their partners
        for op, a in av:
            if op is C.NEGATE:
                negated = True
            elif op is C.LITERAL:
                parts.append(_char(a))
                codes.append((a, a))
            elif op is C.RANGE:
                parts.append(f"{_char(a[0])}-{_char(a[1])}")
                codes.append(a)
            elif op is C.CATEGORY and a in _CATEGORY_SET:
                parts.append(_CATEGORY_SET[a])
                codes.extend(_CATEGORY_CODES[a])
            elif op is C.CATEGORY and a in _NEGATED and len(av) == 1:  # \D \W \S alone
                self._takes(_CATEGORY_CODES[_NEGATED[a]], excluded=True)
                return f"[^\\n{_CATEGORY_SET[_NEGATED[a]]}]"
            else:
                raise _Unsupported  # [^\W]-style double negations and the like
        if not parts:
            raise _Unsupported
        self._takes(codes, excluded=negated)
        return ("[^\\n" if negated else "[") + "".join(parts) + "]"


def _wide(op: Any, av: Any) -> bool:
    """An atom that can take a non-ASCII character (one byte of one to Hyperscan)."""
    if op is C.ANY or op is C.NOT_LITERAL:
        return True
    return op is C.IN and (any(o is C.NEGATE for o, _ in av) or any(
        o is C.CATEGORY and a in _MULTIBYTE_CATEGORIES for o, a in av))


def _runs_ok(items: list[Any], top: bool) -> bool:
    for k, (op, av) in enumerate(items):
        if _wide(op, av):
            return False  # one character that Hyperscan reads as one byte
        if op in _REPEATS:
            lo, hi, inner = av
            inner = list(inner)
            if len(inner) == 1 and _wide(*inner[0]):  # a run of one wide atom
                if hi is not C.MAXREPEAT or lo > 1 or (lo == 1 and not _plus_run_ok(
                        items, k, top)):
                    return False
            elif not _runs_ok(inner, top=False):
                return False
        elif op is C.SUBPATTERN or op is C.BRANCH:
            parts = [av[3]] if op is C.SUBPATTERN else av[1]
            if not all(_runs_ok(list(part), top=False) for part in parts):
                return False
    return True


def _plus_run_ok(items: list[Any], k: int, top: bool) -> bool:
    """A ``+`` run may sit only in the pattern's own sequence, beside ASCII literals or an
    edge: inside a group or a repeat its neighbours are out of sight."""
    return top and all(items[j][0] is C.LITERAL for j in (k - 1, k + 1) if 0 <= j < len(items))
