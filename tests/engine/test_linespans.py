import random

from kb_engine.linespans import LineSpans


def test_spans_answer_as_the_set_of_their_lines() -> None:
    rng = random.Random(6)
    for trial in range(300):
        spans, lines = LineSpans(), set()
        first = 0
        for _ in range(rng.randrange(0, 12)):
            if trial % 3 == 0:  # out of order too: a bare SyntaxError's block starts before
                first = rng.randrange(0, 200)
            else:
                first += rng.randrange(0, 30)
            last = first + rng.randrange(-2, 40)  # nested, overlapping and empty spans
            spans.add(first, last)
            lines.update(range(first, last + 1))
        for line in range(-3, 260):
            assert (line in spans) == (line in lines), (trial, line)


def test_a_long_span_hides_lines_past_the_shorter_ones_after_it() -> None:
    spans = LineSpans()
    spans.add(10, 100)
    spans.add(20, 25)  # inside the first
    spans.add(30, 31)
    assert 50 in spans and 99 in spans and 100 in spans
    assert 101 not in spans and 9 not in spans
    assert not LineSpans() and 0 not in LineSpans() and len(spans) == 3
