import re

import pytest

from kb_engine.cleanup import clean_text

# What cleanup does to CRs: a CRLF or a lone CR ends a line (the reference for the tests).
CR = re.compile(rb"\r\n?")


def test_slack_paste_is_restored_without_shifting_lines() -> None:
    pasted = (
        "```Traceback (most recent call last):\n"
        "  File \u201c/app/main.py\u201d, line 3, in &lt;module&gt;\n"
        "ValueError: a &amp; b```\r\n"
        "```\n"
        "see <https://example.invalid/x|https://example.invalid/x>\n"
    )
    out = clean_text(pasted)
    lines = out.split("\n")
    assert lines[0] == "Traceback (most recent call last):"
    assert lines[1] == '  File "/app/main.py", line 3, in <module>'
    assert lines[2] == "ValueError: a & b"
    assert lines[3] == ""  # a fence line becomes empty, so line numbers still match the paste
    assert lines[4] == "see https://example.invalid/x"
    assert len(lines) == len(pasted.replace("\r\n", "\n").split("\n"))


def test_ansi_colours_and_bare_cr_are_removed() -> None:
    assert clean_text("\x1b[31mERROR\x1b[0m boom\rnext") == "ERROR boom\nnext"


def test_python_reprs_in_angle_brackets_are_kept() -> None:
    text = "<Task pending name='Task-1' coro=<main() running at /app/x.py:3>>"
    assert clean_text(text) == text


def test_walking_cr_and_escapes_equals_the_two_regex_passes() -> None:
    import random

    from kb_engine import cleanup

    alphabet = [b"\r", b"\n", b"\x1b", b"[", b"]", b"3", b";", b"m", b"\x07", b"\\", b"a",
                b"?", b" ", b"P", b"~"]
    rng = random.Random(6)
    for _ in range(20_000):
        s = b"".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14)))
        expected = cleanup._ANSI_B.sub(b"", CR.sub(b"\n", s))
        assert cleanup._walk_cr_ansi(s, b"\r" in s, b"\x1b" in s) == expected, s


def test_an_escape_storm_takes_the_regex_passes_with_the_same_result() -> None:
    from kb_engine import cleanup

    storm = b"\x1b[31mred\x1b[0m\r\n" * (cleanup._WALK_LIMIT + 10)
    assert cleanup._walk_cr_ansi(storm, True, True) is None
    assert cleanup.clean_bytes(storm) == b"red\n" * (cleanup._WALK_LIMIT + 10)


def test_escape_storms_are_stripped_block_by_block_with_the_same_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import random

    from kb_engine import cleanup

    monkeypatch.setattr(cleanup, "_ANSI_BLOCK", 7)  # many cuts, even inside short strings
    alphabet = [b"\x1b", b"[", b"]", b"3", b";", b"m", b"\x07", b"\\", b"a", b"\n", b"?"]
    rng = random.Random(8)
    for _ in range(20_000):
        s = b"".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert cleanup._strip_ansi_in_blocks(s) == cleanup._ANSI_B.sub(b"", s), s


def test_a_storm_of_lone_crs_becomes_lines() -> None:
    from kb_engine import cleanup

    storm = b"7%\r" * (cleanup._WALK_LIMIT * 3) + b"done\r\n"
    assert cleanup.clean_bytes(storm) == CR.sub(b"\n", storm)
