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


def test_lines_read_in_order_are_those_read_one_by_one() -> None:
    from kb_engine.windows import capped_line_blocks, capped_lines

    pieces = [b"", b"plain", b"caf\xc3\xa9", b"cut \xe2\x82", b"\xff\xfe bad", b"\r",
              b"\xf0\x9f\x94\xa5", b"y" * 5000, b"z" * (MAX_LINE_BYTES - 1), b"z" * MAX_LINE_BYTES,
              b"w" * (MAX_LINE_BYTES + 3) + b"\xc3\xa9", b"v" * (2 * MAX_LINE_BYTES + 1)]
    lines = [pieces[(i * 7) % len(pieces)] + pieces[(i * 3) % len(pieces)] for i in range(400)]
    window = b"\n".join(lines)
    expected = [line[:MAX_LINE_BYTES].decode("utf-8", "replace") for line in lines]
    in_order = WindowLines(window)
    assert list(in_order.iter_from(0, len(lines) + 5)) == expected
    scattered = WindowLines(window, {7: window.index(lines[7])})
    order = list(range(0, len(lines), 13)) + list(range(len(lines) - 1, -1, -1))
    assert [scattered[i] for i in order] == [expected[i] for i in order]
    for data in (window, window + b"\n", b"\n" + window, b"v" * (3 * MAX_LINE_BYTES), b"\n\n"):
        blocks = [(start + sum(len(t) + 1 for t in texts[:k]), t)
                  for start, texts in capped_line_blocks(data) for k, t in enumerate(texts)]
        assert blocks == list(capped_lines(data))


def test_lines_read_in_any_order_from_any_known_offsets_are_the_window_s_lines() -> None:
    import random

    rng = random.Random(5)
    for _ in range(300):
        texts = ["".join(rng.choice("ab é\t") for _ in range(rng.randrange(0, 12)))
                 for _ in range(rng.randrange(1, 30))]
        window = "\n".join(texts).encode()
        starts = [0]
        for t in texts[:-1]:
            starts.append(starts[-1] + len(t.encode()) + 1)
        # Hits: an offset inside (or at the end of) some lines, as the prefilter gives them.
        known = {i: starts[i] + rng.randrange(len(texts[i].encode()) + 1)
                 for i in rng.sample(range(len(texts)), rng.randrange(len(texts) + 1))}
        lines = WindowLines(window, known, len(texts))
        for i in [rng.randrange(len(texts)) for _ in range(20)]:
            how = rng.randrange(4)
            if how == 0:
                assert lines.start(i) == starts[i]
            elif how == 1:
                assert lines.raw(i) == texts[i].encode()
            elif how == 2:
                assert lines[i] == texts[i]
            else:
                assert list(lines.iter_from(i, i + 3)) == texts[i:i + 3]


def test_lines_between_hits_are_found_without_a_pass_over_every_hit_line() -> None:
    # A log of thousands of tracebacks: hit lines everywhere, and the traceback memo asks
    # for the line after each traceback, which no hit fell on. Each such line used to
    # cost a pass over every known line (quadratic); now a search in a sorted list.
    class CountingDict(dict[int, int]):
        passes = 0

        def __iter__(self):  # type: ignore[no-untyped-def]
            CountingDict.passes += 1
            return super().__iter__()

    texts = [f"line {i}" for i in range(30_000)]
    window = "\n".join(texts).encode()
    offsets = [0]
    for t in texts[:-1]:
        offsets.append(offsets[-1] + len(t) + 1)
    known = CountingDict({i: offsets[i] for i in range(0, 30_000, 10)})
    lines = WindowLines(window, known, len(texts))
    for i in range(5, 30_000, 10):  # halfway between hit lines, never next to one
        assert lines.start(i) == offsets[i]
        assert lines[i] == texts[i]
    assert CountingDict.passes <= 1


def _split_reference(body: bytes, after: bytes) -> tuple[bytes, bytes]:
    """The cut as a joined window makes it: a header in the last 64 KiB moves on."""
    keep = body.rfind(b"Traceback (most recent call last):", max(0, len(body) - 64 * 1024))
    if keep >= 0:
        line_start = body.rfind(b"\n", 0, keep) + 1
        if line_start > 0:
            return body[:line_start - 1], body[line_start:] + b"\n" + after
    return body, after


def test_a_window_cut_from_its_chunks_equals_the_cut_of_the_joined_window() -> None:
    import random

    from kb_engine.windows import _split_window

    rng = random.Random(5)
    header = b"Traceback (most recent call last):"
    pieces_of = [b"x" * 40 + b"\n", b"ok\n", header, b"  " + header + b"\n", b"\n",
                 b"y" * 70_000, b"z" * 30_000 + b"\n", b"Traceback (most recent"]
    for _ in range(400):
        data = b"".join(rng.choice(pieces_of) for _ in range(rng.randrange(1, 40)))
        cuts = sorted(rng.sample(range(len(data) + 1), min(len(data) + 1, rng.randrange(0, 6))))
        pieces = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]
        end = rng.randrange(0, len(data) + 1)
        after = rng.choice([b"", b"rest\n", header])
        assert _split_window(pieces, end, after) == _split_reference(data[:end], after)


def test_one_big_bytes_object_is_cut_into_windows_as_its_pieces_are() -> None:
    lines = [b"line %d " % i + b"Traceback (most recent call last):" * (i % 97 == 0)
             + b"y" * (i % 300) for i in range(40_000)]
    data = b"\n".join(lines) + b"\n"
    whole = list(windows([data]))
    assert whole == list(windows(_stream(data, 1 << 20)))
    assert len(whole) > 2 and max(map(len, whole)) < 2 * WINDOW_BYTES
