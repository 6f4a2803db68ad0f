import re

import pytest

from kb_engine.regexes import RegexSyntaxError, compile_re2, required_literals

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
