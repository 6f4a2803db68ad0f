"""Windows of whole lines: line counts, carried tracebacks, long lines capped."""

from __future__ import annotations

import pytest

from kb_engine.cleanup import clean_bytes
from kb_engine.windows import (
    MAX_LINE_BYTES,
    WINDOW_BYTES,
    WindowLines,
    cap_long_lines,
    windows,
)
from tests.support import rules


def test_short_lines_pass_through_untouched() -> None:
    window = b"\n".join([b"x" * 1000] * 500)
    assert cap_long_lines(window) is window


@pytest.mark.parametrize("length", [MAX_LINE_BYTES * 2, 10 * MAX_LINE_BYTES + 7])
def test_a_long_line_is_cut_to_what_signatures_see(length: int) -> None:
    window = b"first\n" + b"a" * length + b"\nlast"
    capped = cap_long_lines(window)
    assert capped.split(b"\n") == [b"first", b"a" * MAX_LINE_BYTES, b"last"]
    # WindowLines shows the same text for the line whether or not it was cut.
    assert WindowLines(window)[1] == WindowLines(capped)[1]


def test_line_numbers_survive_a_long_line() -> None:
    tail = b"\nTraceback (most recent call last):\n  File \"x.py\", line 1, in <module>\n" \
        b"ModuleNotFoundError: No module named 'nope'\n"
    data = b"a" * (5 * MAX_LINE_BYTES) + tail
    report = rules().diagnose(data)
    assert report.lines == 4
    assert report.diagnoses and report.diagnoses[0].evidence[0].line == 4


def test_windows_keep_every_line_in_order() -> None:
    lines = [b"line %d " % i + b"y" * (i % 200) for i in range(60_000)]
    data = b"\n".join(lines) + b"\n"
    chunks = [data[i:i + 1_000_003] for i in range(0, len(data), 1_000_003)]
    got = b"\n".join(windows(chunks)).split(b"\n")
    assert got == lines


def _stream(data: bytes, size: int) -> list[bytes]:
    return [data[i:i + size] for i in range(0, len(data), size)]


def test_an_endless_line_keeps_only_what_signatures_see_and_the_lines_after_it() -> None:
    data = b"head\n" + b"z" * (9 * WINDOW_BYTES) + b"\nafter one\nafter two\n"
    got = b"\n".join(windows(_stream(data, 1 << 20))).split(b"\n")
    assert got[0] == b"head"
    assert got[1] == b"z" * MAX_LINE_BYTES
    assert got[2:] == [b"after one", b"after two"]


def test_progress_bars_ended_by_lone_crs_stream_as_lines() -> None:
    bars = b"".join(b"%d%%\r" % (i % 100) for i in range(900_000))
    data = bars + b"done\n"
    expected = clean_bytes(data[:-1]).split(b"\n")
    got = b"\n".join(windows(_stream(data, 1 << 20))).split(b"\n")
    assert got == expected
