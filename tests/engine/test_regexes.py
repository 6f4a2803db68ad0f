import re

import pytest

from kb_engine.regexes import RegexSyntaxError, compile_re2, required_literals, search_captures

CASES = [
    (r"QueuePool limit of size (?P<size>\d+)", ["QueuePool limit of size 5"]),
    (r"(?i)connection (refused|reset by peer)", ["Connection Refused", "CONNECTION RESET BY PEER"]),
    (r"could not (connect|translate host name) to server", ["could not connect to server"]),
    (r"Errno (?:98|48)\] Address already in use", ["[Errno 98] Address already in use"]),
    (r"[Ee]rror: (timeout|timed out)", ["Error: timed out", "error: timeout"]),
    (r"(?:abc)+def", ["abcabcdef"]),
    (r"\bOOMKilled\b", ["Reason: OOMKilled"]),
    (r"(foo|barbaz)qux", ["fooqux", "barbazqux"]),
]


@pytest.mark.parametrize(("pattern", "examples"), CASES)
def test_every_match_contains_a_required_literal(pattern: str, examples: list[str]) -> None:
    lits = required_literals(pattern)
    assert lits is not None
    regex = re.compile(pattern)
    for text in examples:
        m = regex.search(text)
        assert m, text
        hay = m.group(0).lower() if lits.caseless else m.group(0)
        assert any(s in hay for s in lits.strings), (pattern, text, lits)


@pytest.mark.parametrize("pattern", [r".*", r"\d+", r"(a|bc)", r"x?y?z?", r"[a-z]+ \w+"])
def test_patterns_without_a_usable_literal_get_none(pattern: str) -> None:
    assert required_literals(pattern) is None


@pytest.mark.parametrize("pattern", [r"(a)\1", r"foo(?=bar)", r"(?<!x)y", r"a++"])
def test_re2_refuses_what_could_backtrack(pattern: str) -> None:
    with pytest.raises(RegexSyntaxError):
        compile_re2(pattern)


def test_re2_is_linear_on_a_classic_redos_input() -> None:
    # (a+)+$ takes exponential time in backtracking engines; RE2 answers at once.
    assert compile_re2(r"(a+)+$").search("a" * 50_000 + "!") is None


# What a hit's captures hold must not depend on how they are searched: the bytes search
# (spans in UTF-8 bytes) against google-re2's str search, on text past ASCII where the two
# count offsets differently.
CAPTURE_CASES = [
    (r"pool (?P<name>\w+) of size (?P<size>\d+)", False,
     ["pool défaut of size 12", "\u200b" * 30 + "pool 池 of size 7 \U0001f525", "pool x"]),
    (r"(?P<svc>[\w.-]+) refused(?: by (?P<peer>\S+))?", False,
     ["é redis refused", "naïve refused by ümlaut.host \u2028 tail", "refused"]),
    (r"(?P<empty>)(?P<word>straße)", True, ["STRASSE", "Straße", "x \ufffd straße"]),
    (r"user=(?P<user>[^ ]*) ok", False, ["user= ok", "user=ß\u0301 ok"]),
    (r"(?P<a>α)|(?P<b>β)", False, ["ββα", "γ"]),
]


@pytest.mark.parametrize(("pattern", "ignore_case", "texts"), CAPTURE_CASES)
def test_capture_search_on_bytes_equals_the_str_search(
        pattern: str, ignore_case: bool, texts: list[str]) -> None:
    regex = compile_re2(pattern, ignore_case)
    for text in texts + [t * 40 for t in texts]:  # long lines too, as evidence lines get
        m = regex.search(text)
        want = None if m is None else {k: v for k, v in m.groupdict().items() if v is not None}
        got = search_captures(pattern, ignore_case, text)
        assert got == want, (pattern, text)
        assert got is None or list(got) == list(want or {})  # same order in a report


def test_capture_search_raises_the_syntax_error_like_compile() -> None:
    with pytest.raises(RegexSyntaxError):
        search_captures(r"(?P<x>a)\1", False, "aa")
