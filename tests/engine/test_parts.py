"""Scanning in parts (for parallel scans of big logs) gives the same report as one pass."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pytest

from kb_engine.hits import MAX_HITS_PER_SIG, Kept
from kb_engine.parts import LOOKBACK_LINES, PartialScan, safe_split
from kb_engine.tbmatch import MAX_TRACEBACKS
from tests.support import RULES, rules

BENIGN = sorted((RULES / "_corpus" / "benign").glob("*.log"))
POSITIVES = sorted(RULES.rglob("*.pos.log"))[::7]


def _inputs() -> list[tuple[str, bytes]]:
    filler = b"".join(p.read_bytes() for p in BENIGN[:6])
    out = []
    for pos in POSITIVES:
        text = pos.read_bytes()
        out.append((pos.name, filler + text + filler + text + filler))
    return out


@pytest.mark.parametrize(("name", "data"), _inputs(), ids=lambda x: x if isinstance(x, str)
                         else "")
def test_parts_merge_to_the_same_report(name: str, data: bytes) -> None:
    cut = safe_split(data, len(data) // 2)
    assert cut is not None, "the benign filler offers record boundaries"
    assert data[cut - 1:cut] == b"\n"
    whole = rules().diagnose(data, explain=True).to_dict(explain=True)
    parts = [rules().scan_part([data[:cut]]), rules().scan_part([data[cut:]])]
    merged = rules().diagnose_parts(parts, explain=True).to_dict(explain=True)
    assert merged == whole
    # Three parts: the middle one's hits are shifted and appended to the first's.
    a = safe_split(data, len(data) // 3)
    b = safe_split(data, 2 * len(data) // 3)
    assert a is not None and b is not None and a < b
    thirds = [rules().scan_part([data[:a]]), rules().scan_part([data[a:b]]),
              rules().scan_part([data[b:]])]
    assert rules().diagnose_parts(thirds, explain=True).to_dict(explain=True) == whole


def test_no_split_inside_a_traceback() -> None:
    tb = Path(POSITIVES[0]).read_bytes()
    data = b"Traceback (most recent call last):\n" + b'  File "/app/x.py", line 1, in f\n' * 5000
    assert safe_split(data, 10) is None
    assert safe_split(tb, 0) is None or tb[safe_split(tb, 0) or 0:][:1] not in (b" ", b"\t")


SQLA = RULES / "sqlalchemy" / "sqlalchemy-integrity-error.not-null-violation.pos.log"


def test_no_split_inside_a_message_continuation_that_looks_like_records() -> None:
    # SQLAlchemy's message goes on over "[SQL: ...]" and "[parameters: ...]" lines: they
    # start with "[" like a record and carry no marker, yet belong to the traceback.
    tb = SQLA.read_bytes()
    assert b"\n[SQL: " in tb and b"\n[parameters: " in tb
    filler = b"".join(f"2024-05-01 12:00:{i % 60:02d} INFO served {i}\n".encode()
                      for i in range(200))
    data = filler + tb + filler
    tb_start, tb_end = len(filler), len(filler) + len(tb)
    for near in range(tb_start - 200, tb_end, 7):
        cut = safe_split(data, near)
        assert cut is not None
        assert cut <= tb_start or data[tb_end:cut].count(b"\n") >= LOOKBACK_LINES - 5, (near, cut)
    whole = rules().diagnose(data).to_dict()
    cut = safe_split(data, tb_end - 30)
    assert cut is not None
    parts = [rules().scan_part([data[:cut]]), rules().scan_part([data[cut:]])]
    assert rules().diagnose_parts(parts).to_dict() == whole


def test_data_that_does_not_start_the_input_has_an_unknown_first_line() -> None:
    clean = b"".join(f"2024-05-01 12:00:00 INFO served {i}\n".encode() for i in range(100))
    # From the start of the input nothing can be continued: the first boundary will do.
    assert safe_split(clean, 0) == clean.index(b"\n") + 1
    # From the middle of the input, the first line may continue something unseen: the cut
    # waits until 48 whole clean lines follow it.
    late = safe_split(clean, 0, starts_input=False)
    assert late is not None and clean[:late].count(b"\n") == 1 + LOOKBACK_LINES


def test_the_lookback_outlasts_any_message_continuation() -> None:
    from kb_engine import tracebacks

    # The exception line and the frame line before it, then at most _MAX_DETAIL lines.
    assert LOOKBACK_LINES >= tracebacks._MAX_DETAIL + 2


def test_a_part_ending_in_crlf_counts_the_lines_a_whole_scan_does() -> None:
    crlf = b"".join(f"2024-05-01 12:00:{i % 60:02d} INFO served {i}\r\n".encode()
                    for i in range(120))
    data = crlf + SQLA.read_bytes() + crlf
    cut = safe_split(data, 10)
    assert cut is not None and data[:cut].endswith(b"\r\n")
    whole = rules().diagnose(data).to_dict()
    parts = [rules().scan_part([data[:cut]]), rules().scan_part([data[cut:]])]
    assert rules().diagnose_parts(parts).to_dict() == whole


def _many_failures() -> bytes:
    """More tracebacks than MAX_TRACEBACKS and far more hits per signature than
    MAX_HITS_PER_SIG, with record boundaries between them."""
    pos = sorted(RULES.rglob("*.pos.log"))[::11]
    filler = b"".join(f"2024-05-01 12:00:{i % 60:02d} INFO served {i}\n".encode()
                      for i in range(LOOKBACK_LINES + 2))
    blocks = [p.read_bytes() for p in pos]
    return b"".join(blocks[i % len(blocks)] + filler for i in range(MAX_TRACEBACKS + 60))


def _cut(data: bytes, n: int) -> list[bytes]:
    cuts = [0]
    for k in range(1, n):
        c = safe_split(data, max(cuts[-1], len(data) * k // n))
        if c is not None and c > cuts[-1]:
            cuts.append(c)
    cuts.append(len(data))
    return [data[a:b] for a, b in itertools.pairwise(cuts)]


def test_many_parts_over_every_cap_merge_to_the_whole_report_and_keep_little() -> None:
    data = _many_failures()
    whole_scan = rules().diagnose(data, explain=True)
    assert whole_scan.to_dict()["input"]["lines"] > 10_000
    pieces = _cut(data, 24)
    assert len(pieces) >= 20
    # Two processes taking turns, each passing its own Kept through its parts in order.
    kept = [Kept(), Kept()]
    parts = [rules().scan_part([p], kept[i % 2]) for i, p in enumerate(pieces)]
    for k in kept:  # what a process holds stays within the caps, however many parts
        assert k.tracebacks <= MAX_TRACEBACKS
        assert max(k.hits.values()) <= MAX_HITS_PER_SIG
    def most_hits(ps: list[PartialScan]) -> int:  # over parts, for the busiest signature
        per: dict[int, int] = {}
        for p in ps:
            for sid, sh in p.sig_hits.items():
                per[sid] = per.get(sid, 0) + len(sh.hits)
        return max(per.values())

    assert most_hits(parts) <= 2 * MAX_HITS_PER_SIG
    merged = rules().diagnose_parts(parts, explain=True)
    assert merged.to_dict(explain=True) == whole_scan.to_dict(explain=True)
    # Without Kept every part keeps up to the caps: same answer, more memory.
    loose = [rules().scan_part([p]) for p in pieces]
    assert most_hits(loose) > 5 * MAX_HITS_PER_SIG
    assert rules().diagnose_parts(loose, explain=True).to_dict(explain=True) == \
        whole_scan.to_dict(explain=True)


def test_the_one_marker_search_finds_what_a_test_per_marker_finds() -> None:
    import random

    from kb_engine import parts

    rng = random.Random(9)
    pieces = [*parts._UNSAFE, b"Trace", b"back", b"Err", b"or", b"File", b' "', b"+", b"-",
              b"x", b" ", b"\xff", b"\\", b"(", b"|"]
    for _ in range(5000):
        line = b"".join(rng.choice(pieces) for _ in range(rng.randrange(6)))
        assert parts._marked(line) == any(m in line for m in parts._UNSAFE), line


def test_versions_past_their_bound_merge_to_what_one_scan_keeps() -> None:
    from kb_engine.versions import MAX_VERSIONS

    rnd = random.Random(8)
    lines = [f"pkg{rnd.randrange(9000)}-x==1.{k}" for k in range(3 * MAX_VERSIONS)]
    data = ("\n".join(lines) + "\n").encode()
    whole = rules().diagnose(data).versions
    assert len(whole) == MAX_VERSIONS  # the first names seen, each with its first version
    first: dict[str, str] = {}
    for line in lines:
        name, _, ver = line.partition("==")
        if len(first) < MAX_VERSIONS:
            first.setdefault(name, ver)
    assert whole == first
    for cuts in ([len(data) // 5], [len(data) // 2, len(data) * 4 // 5]):
        bounds = [0, *[data.rindex(b"\n", 0, c) + 1 for c in cuts], len(data)]
        parts = [rules().scan_part([data[a:b]]) for a, b in itertools.pairwise(bounds)]
        assert rules().diagnose_parts(parts).versions == whole
