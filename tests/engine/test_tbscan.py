"""The C pre-pass (kb_engine._tbscan) drops only headers whose parse finds nothing.

It reads lines as the parser's FRAMES state reads them before any exception, in C; every
header it drops is compared here with what ``parse_traceback_at`` gives for it. CI builds
the helper (``KB_REQUIRE_SPEEDUPS``); elsewhere these tests skip without a C compiler.
"""

from __future__ import annotations

import os
import random
import re

import pytest

from kb_engine import load_rules, tbscan, tracebacks, windows
from kb_engine.tracebacks import HEADER, parse_traceback_at
from kb_engine.windows import WindowLines

needs_c = pytest.mark.skipif(not tbscan.HAVE_TBSCAN and not os.environ.get("KB_REQUIRE_SPEEDUPS"),
                             reason="kb_engine._tbscan not built (no C compiler)")
FRAME = '  File "/app/a.py", line 3, in f'

# Headers, and the lines that make a parse find something or nothing: prefixes (some
# eating the next header, some non-ASCII), group drawing, frames and exceptions written
# flush left, near-exceptions ("a.b.", "ERROR x"), blanks str.isspace knows, long lines.
_VOCABULARY = [
    HEADER, HEADER, f"{HEADER}  ", f"  {HEADER}", f"\t{HEADER}\x0c", f"{HEADER} x",
    f"2026-11-28 10:00:0{{d}} ERROR {HEADER}", "2026-11-28 10:00:0{d} ERROR " + FRAME,
    "2026-11-28 10:00:0{d} ERROR ValueError: stamped {d}", "2026-11-28 10:00:0{d} ERROR",
    f"web-{{d}}  | {HEADER}", 'web-{d}  |   File "/app/b.py", line 3, in g',
    "web-{d}  | KeyError: 'k'", "web-{d}  |", "web-{d}  |x", f"web-{{d}}  |{HEADER}",
    f"  + Exception Group {HEADER}", f"Exception Group {HEADER}", f"    | {HEADER}",
    f"x + Exception Group {HEADER}", f"x+ Exception Group {HEADER}",
    f"Traceback (most {HEADER}", f"{HEADER} {HEADER}", f"{HEADER}{HEADER}",
    f"١٢-٣ | {HEADER}", "١٢-٣ |   return f()", "١٢-٣ | ValueError: unicode digits",
    f"{HEADER}\u00a0", "caf\u00e9: x", "\u00a0ValueError: y",
    FRAME, 'File "/app/a.py", line 4, in g', 'File "no line number"',
    "    return f()", "    ^^^^^^^^", "  [Previous line repeated 2 more times]",
    "[Previous line repeated 5 more times]", "ValueError: bad {d}", "KeyboardInterrupt",
    "pkg.mod.Error:x", "a.b.", "a.b.c", "a..b: x", "_x9.y_: z", "9lives: x", "x.9: y",
    "ERROR x", "ERROR: x", "ERROR", "    | ValueError: in a group {d}",
    "  +---------------- 1 ----------------", "  +------------------------------------",
    "ExceptionGroup: two (2 sub-exceptions)", "", "   ", "\x1c\x1d", "\x0cformfeed",
    "During handling of the above exception, another exception occurred:",
    "2026-11-28 10:00:01 INFO ok", "INFO next record", "a continuation of the message",
    "x" * 70, "  " + "y" * 70, f"{'z' * 40} {HEADER}",
]


def _window(rng: random.Random, size: int) -> list[str]:
    lines: list[str] = []
    while len(lines) < size:
        text = rng.choice(_VOCABULARY).replace("{d}", str(rng.randrange(3)))
        lines += [text] * (rng.randrange(1, 5) if HEADER in text else 1)
    return lines


def _heads(window: bytes, last_byte: bool) -> dict[int, int]:
    """Header candidates as the prefilter gives them: line -> an offset inside the line
    (Hyperscan's: the literal's last byte; the fallback's: its first)."""
    out: dict[int, int] = {}
    line_start = 0
    for i, raw in enumerate(window.split(b"\n")):
        at = raw.find(HEADER.encode())
        if at >= 0:
            out[i] = line_start + at + (len(HEADER) - 1 if last_byte else 0)
        line_start += len(raw) + 1
    return out


@needs_c
@pytest.mark.parametrize("caps", [(65536, 5000), (60, 6), (100, 3)])
def test_every_header_left_out_is_one_the_parser_finds_nothing_at(
        caps: tuple[int, int], monkeypatch: pytest.MonkeyPatch) -> None:
    max_line, max_tb = caps
    monkeypatch.setattr(windows, "MAX_LINE_BYTES", max_line)
    monkeypatch.setattr(tracebacks, "MAX_TB_LINES", max_tb)
    monkeypatch.setattr(tbscan, "MAX_LINE_BYTES", max_line)
    monkeypatch.setattr(tbscan, "MAX_TB_LINES", max_tb)
    rng = random.Random(max_line + max_tb)
    dropped = kept_empty = found = 0
    for round_ in range(300):
        window = "\n".join(_window(rng, 40)).encode("utf-8")
        heads = _heads(window, last_byte=round_ % 2 == 0)
        keep = tbscan.headers_to_parse(window, heads, window.count(b"\n") + 1)
        assert keep == sorted(set(keep)) and set(keep) <= set(heads)
        lines = WindowLines(window, known=dict(heads))
        for line in heads:
            tb = parse_traceback_at(lines, line)[0]
            if line not in keep:
                assert tb is None, (caps, line, window.split(b"\n")[line:line + 6])
                dropped += 1
            elif tb is None:
                kept_empty += 1
            else:
                found += 1
    # most headers that find nothing are decided in C; what is kept finds tracebacks
    assert dropped > kept_empty and found > 300, (dropped, kept_empty, found)


# The header runs of bench/generate.py (adv-headers): each was parsed in Python.
_RUNS = {
    "bare headers": lambda k: [HEADER],
    "headers and frames": lambda k: [HEADER, FRAME],
    "group headers": lambda k: ["  + Exception Group " + HEADER],
    "time stamps": lambda k: [f"2026-11-28T10:00:{k // 10_000 % 60:02d}.{k % 10_000:07d}Z "
                              + HEADER],
    "two replicas": lambda k: [f"web-{k % 2}  | {HEADER}", f"web-{k % 2}  | {FRAME}"],
    "text after the header": lambda k: [f"{HEADER} x{k}"],
    "a new prefix each": lambda k: ["".join(chr(97 + int(d)) for d in str(k)) + " | " + HEADER],
}


@needs_c
@pytest.mark.parametrize("name", sorted(_RUNS))
def test_runs_of_headers_with_no_exception_need_no_parse(name: str) -> None:
    text = "\n".join(line for k in range(3000) for line in _RUNS[name](k))
    window = (text + "\n" + HEADER + "\n" + FRAME + "\nValueError: the real one\n").encode()
    heads = _heads(window, last_byte=True)
    assert len(heads) >= 3000
    last = window.count(b"\n") - 3  # the real traceback's header
    assert tbscan.headers_to_parse(window, heads, window.count(b"\n") + 1) == [last]


def test_without_the_helper_every_header_is_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tbscan, "_may_parse", None)
    window = (HEADER + "\n" + HEADER + "\n").encode()
    assert tbscan.headers_to_parse(window, {1: 40, 0: 5}, 3) == [0, 1]


@needs_c
def test_the_report_is_the_same_with_and_without_the_helper(
        monkeypatch: pytest.MonkeyPatch) -> None:
    rules = load_rules()
    rng = random.Random(21)
    texts = ["\n".join(_window(rng, 400)) for _ in range(10)]
    texts.append("\n".join(line for name in sorted(_RUNS) for k in range(200)
                           for line in _RUNS[name](k)))
    with_c = [rules.diagnose(t) for t in texts]
    monkeypatch.setattr(tbscan, "_may_parse", None)
    assert [rules.diagnose(t) for t in texts] == with_c
    assert sum(len(r.diagnoses) for r in with_c) > 0


_PREFIX_TEXTS = ["2026-11-28T10:00:00.0000017Z", "web-1  |", "[pod/web-7d9f8b6c5-x2k4q/web]",
                 "12:00:01 ERROR", "x", "a1b22c333", "١٢-٣", "2026-11-28 10:00:00,123 - app -",
                 "1", "7.5", "caf\u00e9 9 |", "tab\there 3", "a+b*c(1)[2]{3}?.^$\\"]


@needs_c
def test_the_prefix_pass_gives_what_the_regex_substitution_gives() -> None:
    from kb_engine import prefixes, tbmemo

    rng = random.Random(17)
    alphabet = ["0", "7", "42", "١", " ", "\t", "-", ":", "T", "Z", "|", "x", "é", "\n", "\n",
                "\\", "+", "(", "\u00a0"]
    compared = changed = 0
    for text in _PREFIX_TEXTS * 20:
        shape = prefixes.prefix_shape(text + "".join(rng.choice("0123456789 ab|")
                                                     for _ in range(rng.randrange(3))))
        assert shape is not None
        literals = prefixes.literal_parts(shape.pattern)
        assert literals is not None
        for _ in range(20):
            lines = []
            for _ in range(rng.randrange(0, 6)):
                head = text if rng.random() < 0.6 else "".join(
                    rng.choice(alphabet) for _ in range(rng.randrange(6)))
                digits = "".join(rng.choice("0123456789") for _ in range(rng.randrange(3)))
                lines.append(head + digits + "".join(rng.choice(alphabet)
                                                     for _ in range(rng.randrange(8))))
            data = "\n".join(lines).encode("utf-8") + rng.choice([b"", b"\n", b"\n\n"])
            expected = tbmemo._prefix_bytes(shape.pattern).sub(b"\0", data)
            assert tbscan.nul_prefixes is not None
            assert tbscan.nul_prefixes(data, literals) == expected, (shape.pattern, data)
            compared += 1
            changed += expected != data
    assert compared == 20 * 20 * len(_PREFIX_TEXTS) and changed > compared // 3


@needs_c
def test_a_stamped_crash_loop_gives_the_same_report_with_the_prefix_pass(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from kb_engine import tbmemo

    rules = load_rules()
    block = [HEADER, FRAME, "    return f()", "ValueError: bad 7", "",
             "During handling of the above exception, another exception occurred:", "",
             HEADER, '  File "/usr/lib/python3.11/site-packages/x/y.py", line 9, in g',
             "KeyError: 'k'", "INFO next record"]
    text = "\n".join(f"2026-11-28T10:00:{k // 100 % 60:02d}.{k:07d}Z {line}"
                     for k in range(60) for line in block)
    with_c = rules.diagnose(text)
    monkeypatch.setattr(tbmemo, "nul_prefixes", None)
    assert rules.diagnose(text) == with_c
    assert with_c.diagnoses or with_c.failures


@needs_c
def test_hostile_bytes_neither_crash_the_helpers_nor_drop_a_traceback() -> None:
    """Slack input is hostile: random bytes (NULs, invalid UTF-8, lone CRs) around header
    and frame pieces, odd offsets, and line counts that disagree with the bytes."""
    from kb_engine import tbmemo

    rng = random.Random(23)
    pieces = [HEADER.encode(), FRAME.encode(), b"ValueError: x", b"\n", b"\n", b"\x00",
              b"\xff\xfe", b"\xe2\x80", b"\r", b" ", b"\t", b"+ Exception Group ",
              b"2026-11-28 10:00:01 ", b"1", b"|", "١".encode()]
    assert tbscan.nul_prefixes is not None
    for round_ in range(400):
        data = b"".join(rng.choice(pieces) if rng.random() < 0.8 else bytes([rng.randrange(256)])
                        for _ in range(rng.randrange(0, 60)))
        n = data.count(b"\n") + 1
        heads = _heads(data, last_byte=round_ % 2 == 0)
        keep = tbscan.headers_to_parse(data, heads, n)
        lines = WindowLines(data, known=dict(heads))
        for line in set(heads) - set(keep):
            assert parse_traceback_at(lines, line)[0] is None
        # nonsense the scanner never passes: offsets outside the data, wrong line counts
        odd = {rng.randrange(-3, n + 3): rng.randrange(-5, len(data) + 5) for _ in range(4)}
        got = tbscan.headers_to_parse(data, odd, rng.randrange(0, n + 3))
        assert set(got) <= set(odd)
        literals = (*[rng.choice([b"", b"-", b" ", b"\x00", b"\xff", b"ab"])
                      for _ in range(rng.randrange(1, 4))], b"|")
        pattern = "^" + r"\d+".join(re.escape(x.decode("latin-1")) for x in literals) + r"\s?"
        if all(x.isascii() for x in literals):
            expected = tbmemo._prefix_bytes(pattern).sub(b"\0", data)
            assert tbscan.nul_prefixes(data, literals) == expected
        else:
            tbscan.nul_prefixes(data, literals)  # any answer, no crash
    # a header on the last line, and a count of lines the bytes do not hold
    for head in (HEADER, "Exception Group " + HEADER):
        data = b"x\n" + head.encode()
        assert tbscan.headers_to_parse(data, {1: len(data) - 1}, 5) == [1]
    with pytest.raises(ValueError):
        tbscan.nul_prefixes(b"x", (b"",))
    with pytest.raises(TypeError):
        tbscan.nul_prefixes(b"x", ("str",))  # type: ignore[arg-type]
