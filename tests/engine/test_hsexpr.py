"""Hyperscan expressions: a superset of RE2 on every line, exactly RE2 on ASCII lines."""

from __future__ import annotations

import itertools
import random

import pytest
import re2

from kb_engine import hsexpr
from kb_engine.hsexpr import exact_on_any_line, hyperscan_expression
from kb_engine.prefilter import HAVE_HYPERSCAN

pytestmark = pytest.mark.skipif(not HAVE_HYPERSCAN, reason="no hyperscan wheel")

PATTERNS = [
    r"QueuePool limit of size (?P<size>\d+) overflow (?P<overflow>\d+) reached",
    r"^ERROR: (a|bc)?x$",
    r"\bport \d{2,5}\b",
    r"could not connect to server: (?:Connection refused|No route to host)",
    r"user \"[^\"]+\" does not exist",
    r"\S+@\S+ denied",
    r"timeout after \d+(?:\.\d+)?s",
    r"[A-Za-z_][\w.]*Error: .*\bfailed\b",
    r"key '[^']*' not found in [\w.-]+",
    r"\W+end\W*",
    r"a\s+b",
    r"(?i)bad gateway from the proxy",
    r"\Aheader",
    r"[0-9a-f]{8}-[0-9a-f]{4}",
    r"x.*y",
]
LINES = [
    "QueuePool limit of size 5 overflow 10 reached, connection timed out",
    "QueuePool limit of size five overflow 10 reached",
    "ERROR: bcx", "ERROR: x", "ERROR: ax trailing", " ERROR: ax",
    "listening on port 8080 now", "port 80808080", "airport 443",
    "could not connect to server: No route to host",
    "user \"bob\" does not exist", "user \"\" does not exist",
    "mail bob@example.com denied", "@ denied",
    "timeout after 1.5s", "timeout after .5s",
    "sqlalchemy.exc.OperationalError: it failed badly", "Error: failed",
    "key 'a b' not found in my-table.v2", "key '' not found in ",
    "--end--", "end", "a \t b", "ab", "a\x0bb",
    "BAD GATEWAY FROM THE PROXY", "Bad Gateway from the Proxy!", "bad gateway",
    "header first", " header",
    "deadbeef-0a1b rest", "DEADBEEF-0A1B",
    "x then y", "y then x",
    "", "\x0b", "plain words only",
]


def _hs_matches(expr: bytes, caseless: bool, line: str | bytes) -> bool:
    import hyperscan

    db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    flags = hyperscan.HS_FLAG_MULTILINE | (hyperscan.HS_FLAG_CASELESS if caseless else 0)
    db.compile(expressions=[expr], ids=[0], elements=1, flags=[flags])
    found: list[int] = []
    # Scanned inside a window, between other lines, as the prefilter does.
    raw = line if isinstance(line, bytes) else line.encode()
    window = b"before \"' 12\n" + raw + b"\nafter 'x' y\n"
    start = window.index(b"\n") + 1
    end = start + len(raw)

    def on_match(_id: int, _from: int, to: int, _flags: int, _ctx: object) -> None:
        if start <= to <= end and (to > start or not line):
            found.append(to)

    db.scan(window, match_event_handler=on_match)
    return bool(found)


@pytest.mark.parametrize("pattern", PATTERNS)
def test_hyperscan_agrees_with_re2_on_ascii_lines(pattern: str) -> None:
    caseless = pattern.startswith("(?i)")
    expr = hyperscan_expression(pattern, False)
    assert expr is not None, pattern
    regex = re2.compile(pattern)
    for line in LINES:
        assert _hs_matches(expr, caseless, line) == (regex.search(line) is not None), line


@pytest.mark.parametrize("pattern", [
    r"a.b",  # one byte of Hyperscan is not one character of RE2: not a superset
    r"[[:alpha:]]+ error",  # Python reads a POSIX class as a nested set
    r"x{,3} error",  # a repeat to Python, literal text to RE2
    r"(?=look)ahead",
    r"(a)\1 repeated",
    r"caf\u00e9 error",
    r"(?i:local) flags error",
])
def test_no_expression_where_it_could_differ(pattern: str) -> None:
    assert hyperscan_expression(pattern, False) is None


def test_expressions_never_span_a_line() -> None:
    for pattern in ("a\\s+b", "x[^y]*z", "p\\W+q", "m.*n"):
        expr = hyperscan_expression(pattern, False)
        assert expr is not None
        spanning = {"a\\s+b": "a\nb", "x[^y]*z": "x\nz", "p\\W+q": "p\nq", "m.*n": "m\nn"}
        import hyperscan

        db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        db.compile(expressions=[expr], ids=[0], elements=1,
                   flags=[hyperscan.HS_FLAG_MULTILINE])
        hits: list[int] = []
        db.scan(spanning[pattern].encode(), match_event_handler=lambda *a, h=hits: h.append(1))
        assert not hits, pattern


def test_every_pair_of_sample_line_and_pattern_is_covered() -> None:
    assert len(list(itertools.product(PATTERNS, LINES))) > 400


# Lines with multi-byte characters and invalid bytes where runs start and end: what RE2
# sees is the line decoded with U+FFFD for bad bytes, as the matcher decodes it.
UTF8_LINES = [
    "caf\u00e9 user \"b\u00f6b\" does not exist".encode(), b"user \"\xc3\" does not exist",
    "x\u00e9y".encode(), "x\u00e9".encode(), "\u00e9y".encode(), "\U0001f525".encode(),
    "\u00e9".encode(), b"\xff", b"a\xe2\x82b", "k\u00e9y '\u2603' not found in t".encode(),
    "m\u00e9@\u00e9x denied".encode(), "\u00e9end\u00e9".encode(), "--end\u00a0".encode(),
    "timeout after 1.5s \u2013 retry".encode(), "\u00e9\u00e9x\u00e9".encode(),
]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_exact_anywhere_means_hyperscan_agrees_with_re2_on_utf8_lines(pattern: str) -> None:
    if not exact_on_any_line(pattern, False):
        pytest.skip("exact on ASCII lines only")
    caseless = pattern.startswith("(?i)")
    expr = hyperscan_expression(pattern, False)
    assert expr is not None
    regex = re2.compile(pattern)
    for raw in UTF8_LINES + [line.encode() for line in LINES]:
        text = raw.decode("utf-8", "replace")
        assert _hs_matches(expr, caseless, raw) == (regex.search(text) is not None), raw


@pytest.mark.parametrize("pattern", [
    r'[^"]+[^\']+', r'(?:[^"]+){2}', r'[^"]{2,}', r'(?:x|[^"]+)z', r'(?:[^"]+)[^\']+',
    r'\S+\s*\S+', r'x[^"]?y',
])
def test_runs_that_can_split_a_character_are_exact_on_ascii_lines_only(pattern: str) -> None:
    assert not exact_on_any_line(pattern, False)


_ATOMS = ["a", "b", "x", " ", '"', ".", '[^"]', r"\w", r"\W", r"\s", r"\S", r"\d", r"\b",
          "[a-z]", "(?:a|b)", '(?:x[^"]*)', '[^"]+', r"\S+", ".+", "(?:[^x]+)"]
_QUANTIFIERS = ["", "", "*", "+", "?", "{2}", "{2,}", "{1,3}"]
_PIECES = [b"a", b"b", b"x", b" ", b'"', "\u00e9".encode(), "\u20ac".encode(),
           "\U0001f525".encode(), b"\xff", b"\xc3", b"\xe2\x82"]


def _fuzz_cases(seed: int, count: int) -> list[tuple[str, list[bytes]]]:
    rng = random.Random(seed)
    return [("".join(rng.choice(_ATOMS) + rng.choice(_QUANTIFIERS)
                     for _ in range(rng.randint(1, 4))),
             [b"".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 7)))
              for _ in range(30)])
            for _ in range(count)]


def _first_disagreement(cases: list[tuple[str, list[bytes]]]) -> tuple[str, bytes] | None:
    import hyperscan

    for pattern, lines in cases:
        expr = hyperscan_expression(pattern, False)
        if expr is None or not exact_on_any_line(pattern, False):
            continue
        db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        try:
            db.compile(expressions=[expr], ids=[0], elements=1,
                       flags=[hyperscan.HS_FLAG_MULTILINE])
        except hyperscan.error:  # the prefilter demotes it to its literals: never exact
            continue
        regex = re2.compile(pattern)
        for raw in lines:
            found: list[int] = []
            db.scan(b"\n" + raw + b"\n", match_event_handler=lambda *a, f=found: f.append(1))
            if bool(found) != (regex.search(raw.decode("utf-8", "replace")) is not None):
                return pattern, raw
    return None


def test_exact_anywhere_holds_on_fuzzed_patterns_and_lines() -> None:
    assert _first_disagreement(_fuzz_cases(3, 2000)) is None


@pytest.mark.parametrize("name, mutant", [
    ("a + run beside anything", ("_plus_run_ok", lambda *a: True)),
    ("every atom taken for one byte", ("_wide", lambda op, av: False)),
])
def test_the_fuzz_finds_a_split_character_when_a_rule_is_dropped(
        monkeypatch: pytest.MonkeyPatch, name: str, mutant: tuple[str, object]) -> None:
    monkeypatch.setattr(hsexpr, *mutant)
    assert _first_disagreement(_fuzz_cases(3, 2000)) is not None, name


# Caseless patterns: RE2 folds KELVIN SIGN onto k and LONG S onto s (and no other non-ASCII
# character onto an ASCII letter), so a line holding one may match where the expression
# does not: expression() names those partners, and the prefilter makes such lines candidates.
_KELVIN, _LONG_S = "\u212a", "\u017f"


@pytest.mark.parametrize("pattern, line, partners", [
    ("(?i)task failed", f"ta{_LONG_S}{_KELVIN} failed", {_LONG_S, _KELVIN}),
    (r"(?i)\w+ ok", f"{_KELVIN}{_KELVIN} ok", {_LONG_S, _KELVIN}),
    ("(?i)[j-l]ey", f"{_KELVIN}ey", {_KELVIN}),
    ("(?i)(?:disk|bus) full", f"di{_LONG_S}{_KELVIN} full", {_LONG_S, _KELVIN}),
])
def test_caseless_k_and_s_name_their_non_ascii_partners(
        pattern: str, line: str, partners: set[str]) -> None:
    assert re2.search(pattern, line)
    got = hsexpr.expression(pattern, False)
    assert got is not None
    expr, anywhere, named = got
    assert not _hs_matches(expr, True, line)  # what the partners are for
    assert named == partners
    assert not anywhere  # RE2 confirms non-ASCII lines
    assert hsexpr.case_partners(frozenset({"Disk"}), True) == {_LONG_S, _KELVIN}
    assert not hsexpr.case_partners(frozenset({"Disk"}), False)


def test_caseless_exclusions_of_k_and_s_are_exact_on_ascii_lines_only() -> None:
    # RE2 leaves KELVIN out of (?i)[^k]; Hyperscan takes its bytes: RE2 must confirm.
    assert not re2.search("(?i)x[^k]+y", f"x{_KELVIN}y")
    got = hsexpr.expression("(?i)x[^k]+y", False)
    assert got is not None and _hs_matches(got[0], True, f"x{_KELVIN}y")
    assert got[1:] == (False, frozenset())  # Hyperscan takes more there: no partner needed
    assert exact_on_any_line("(?i)x[^a]+y", False)
    assert exact_on_any_line("task", False)  # case-sensitive: no partners


_CI_ATOMS = ["k", "s", "K", "a", "x", " ", "[a-z]", "[j-l]", r"\w", r"\W", "[^k]", "[^s]+",
             r"\W+", "(?:k|x)", "(?:S+)", "[^a]+", r"\b", "[0-9]"]
_CI_PIECES = [b"k", b"K", b"s", b"S", b"a", b"x", b" ", b"1", _KELVIN.encode(),
              _LONG_S.encode(), "\u00e9".encode(), b"\xff", b"\xe2\x84"]


def _caseless_disagreement(seed: int, count: int) -> tuple[str, bytes, str] | None:
    """The first (pattern, line, what broke) where a line RE2 matches is neither matched
    by the caseless expression nor holds a partner it names, or where the expression is
    not exact on an ASCII line."""
    import hyperscan

    rng = random.Random(seed)
    for _ in range(count):
        pattern = "".join(rng.choice(_CI_ATOMS) + rng.choice(_QUANTIFIERS)
                          for _ in range(rng.randint(1, 4)))
        got = hsexpr.expression(pattern, True)
        if got is None:
            continue
        expr, _anywhere, partners = got
        db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        try:
            db.compile(expressions=[expr], ids=[0], elements=1,
                       flags=[hyperscan.HS_FLAG_MULTILINE | hyperscan.HS_FLAG_CASELESS])
        except hyperscan.error:  # the prefilter demotes it to its literals
            continue
        regex = re2.compile("(?i)" + pattern)
        for _ in range(30):
            raw = b"".join(rng.choice(_CI_PIECES) for _ in range(rng.randint(0, 6)))
            found: list[int] = []
            db.scan(b"\n" + raw + b"\n", match_event_handler=lambda *a, f=found: f.append(1))
            text = raw.decode("utf-8", "replace")
            by_re2 = regex.search(text) is not None
            if by_re2 and not found and not any(p in text for p in partners):
                return pattern, raw, "not a superset"
            if raw.isascii() and bool(found) != by_re2:
                return pattern, raw, "not exact on an ASCII line"
    return None


def test_caseless_expressions_hold_on_fuzzed_patterns_and_lines() -> None:
    assert _caseless_disagreement(5, 1500) is None


def test_the_caseless_fuzz_finds_a_missing_partner(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hsexpr, "_PARTNERS", {})
    got = _caseless_disagreement(5, 1500)
    assert got is not None and got[2] == "not a superset"


def test_re2_folds_no_other_non_ascii_character_onto_an_ascii_letter() -> None:
    # What _PARTNERS rests on, checked against the installed RE2 over every code point.
    text = "".join(chr(c) for c in range(0x80, 0x110000) if not 0xD800 <= c < 0xE000)
    for pattern in (r"(?i)[a-z]", r"(?i)\w", r"(?i)[0-9_]"):
        found = {ord(ch) for ch in re2.findall(pattern, text)}
        assert found <= {ord(_KELVIN), ord(_LONG_S)}, pattern
    assert {ord(ch) for ch in re2.findall("(?i)[ks]", text)} == {ord(_KELVIN), ord(_LONG_S)}
