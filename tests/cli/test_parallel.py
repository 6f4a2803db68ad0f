"""Two-process scanning of a big file: the answer of one process, whatever the child does."""

from __future__ import annotations

import fcntl
import itertools
import os
import pickle
import platform
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path
from typing import IO, Any

import pytest

from kb_cli import parallel
from kb_engine import RuleSet, load_rules

PACK = Path(__file__).resolve().parent.parent / "fixtures" / "pack"
DEMO = PACK / "demo"

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rules([PACK], include_bundled=False, use_cache=False)


@pytest.fixture
def log(tmp_path: Path) -> Path:
    filler = "".join(f"2024-05-01 12:00:{i % 60:02d} INFO request {i} served\n"
                     for i in range(20_000))
    path = tmp_path / "big.log"
    crlf = filler.replace("\n", "\r\n")  # a segment may end on a CRLF line
    path.write_bytes(((DEMO / "demo-errors.pool.pos.log").read_text() + filler + crlf
                      + (DEMO / "demo-errors.worker-timeout.pos.log").read_text()).encode())
    return path


def _whole(rules: RuleSet, path: Path) -> dict[str, Any]:
    return rules.diagnose(path.read_bytes(), top=5).to_dict()


def test_two_processes_give_the_answer_of_one(rules: RuleSet, log: Path) -> None:
    ticks: list[int] = []
    report = parallel.diagnose_file(rules, str(log), ticks.append, top=5)
    assert report is not None
    assert report.to_dict() == _whole(rules, log)
    assert sum(ticks) == log.stat().st_size
    assert {d.id for d in report.diagnoses} >= {"demo-errors/pool", "demo-errors/worker-timeout"}


def test_a_child_sending_garbage_is_replaced_by_the_parent(
    rules: RuleSet, log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def garbage(obj: object, out: IO[bytes], protocol: int | None = None) -> None:
        out.write(pickle.dumps(obj, protocol=protocol)[:100])  # cut short

    monkeypatch.setattr(parallel.pickle, "dump", garbage)  # only the child dumps
    report = parallel.diagnose_file(rules, str(log), lambda n: None, top=5)
    assert report is not None and report.to_dict() == _whole(rules, log)


def test_many_segments_shared_between_the_processes_give_the_answer_of_one(
    rules: RuleSet, log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parallel, "SEGMENT_BYTES", 64 << 10)
    with log.open("rb") as fh:
        segs = parallel.segments(fh.fileno(), log.stat().st_size)
    assert len(segs) >= 10
    sizes = [b - a for a, b in segs]
    assert sizes[0] > 3 * sizes[-2]  # big first, small last: few parts, an even finish
    assert segs[0][0] == 0 and segs[-1][1] == log.stat().st_size
    assert all(a[1] == b[0] for a, b in itertools.pairwise(segs))  # no gap, no overlap
    ticks: list[int] = []
    report = parallel.diagnose_file(rules, str(log), ticks.append, top=5)
    assert report is not None and report.to_dict() == _whole(rules, log)
    assert sum(ticks) == log.stat().st_size


def _waiting(fd: int) -> int:
    """Bytes waiting in a pipe."""
    return int(struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0])


def test_segments_a_dying_child_took_are_scanned_by_the_parent(
    rules: RuleSet, log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parallel, "SEGMENT_BYTES", 64 << 10)
    parent = os.getpid()
    real_work = parallel._work

    def dying(rules: RuleSet, fd: int, queue: int, *rest: Any) -> Any:
        if os.getpid() != parent:
            os.read(queue, 3)  # takes three segments and dies with them
            os._exit(3)
        deadline = time.monotonic() + 30
        while _waiting(queue) > len(rest[0]) - 3 and time.monotonic() < deadline:
            time.sleep(0.001)  # let the child take its three first
        assert _waiting(queue) == len(rest[0]) - 3
        return real_work(rules, fd, queue, *rest)

    monkeypatch.setattr(parallel, "_work", dying)
    ticks: list[int] = []
    report = parallel.diagnose_file(rules, str(log), ticks.append, top=5)
    assert report is not None and report.to_dict() == _whole(rules, log)
    assert sum(ticks) == log.stat().st_size


def test_a_file_with_no_safe_place_to_cut_is_not_split(tmp_path: Path) -> None:
    tb = "Traceback (most recent call last):\n" + '  File "a.py", line 1, in f\n' * 200_000
    path = tmp_path / "one.log"
    path.write_text(tb + "ValueError: x\n")
    with path.open("rb") as fh:
        assert parallel.segments(fh.fileno(), path.stat().st_size) == [
            (0, path.stat().st_size)]


_FAULTS = """
import os, resource, sys
from kb_cli import parallel
if sys.argv[1] == "tuned":
    assert parallel.tune_allocator()
data = os.urandom(1 << 20)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
last = b""
for i in range(100):  # what a scan does: 1 MB reads joined into 2 MB windows, a copy or two,
    chunks = [data[:], data[1:] + b"x"]  # while the last window is still referenced
    window = b"".join(chunks)
    upper = window.upper()
    last, chunks, upper = window, [], b""
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_the_tuned_allocator_reuses_freed_windows_instead_of_faulting_in_new_pages() -> None:
    def faults(mode: str) -> int:
        out = subprocess.run([sys.executable, "-c", _FAULTS, mode], check=True,
                             capture_output=True, text=True).stdout
        return int(out)

    # Untuned, each new block is a fresh mmap: a page fault for every 4 KB written.
    assert faults("default") > 100 * 256
    assert faults("tuned") < 100 * 64


def test_cuts_found_in_a_short_read_are_the_cuts_of_a_full_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """segments() reads 64 KB past each wanted cut first: tracebacks and long lines that
    run past that read must give the cut a full 1 MB read gives."""
    import random

    monkeypatch.setattr(parallel, "SEGMENT_BYTES", 96 << 10)
    monkeypatch.setattr(parallel, "MAX_SEGMENTS", 1000)
    reads: list[int] = []
    pread = os.pread
    monkeypatch.setattr(parallel.os, "pread", lambda fd, n, at: reads.append(n) or pread(fd, n, at))
    short = full_reads = 0
    for seed in range(6):
        rnd = random.Random(seed)
        out: list[str] = []
        size = 0
        while size < 3_000_000:
            roll = rnd.random()
            if roll < 0.002:  # a traceback longer than the short read: no cut inside
                frames = '  File "app.py", line 1, in f\n    x()\n' * rnd.randint(100, 4000)
                text = f"Traceback (most recent call last):\n{frames}ValueError: boom\n"
            elif roll < 0.004:  # a line that may straddle the end of the short read,
                # its marker past that end: no cut may be made before it
                text = "2024-05-01 12:00:00 INFO " + "x" * rnd.randint(1000, 150_000) + (
                    " Error\n" if rnd.random() < 0.5 else "\n")
            else:
                text = f"2024-05-01 12:00:{rnd.randint(0, 59):02d} INFO request {size} served\n"
            out.append(text)
            size += len(text)
        path = tmp_path / f"mixed-{seed}.log"
        path.write_text("".join(out))
        with path.open("rb") as fh:
            monkeypatch.setattr(parallel, "_QUICK_AHEAD", 64 << 10)
            reads.clear()
            quick = parallel.segments(fh.fileno(), size)
            short += sum(n < 200 << 10 for n in reads)
            full_reads += sum(n > 1 << 20 for n in reads)
            monkeypatch.setattr(parallel, "_QUICK_AHEAD", parallel.SPLIT_SEARCH + 1)
            full = parallel.segments(fh.fileno(), size)
        assert quick == full and len(quick) >= 6, (seed, len(quick))
    assert short > 30 and full_reads > 0  # both ways were taken


def test_a_cut_is_not_made_before_a_line_whose_marker_lies_past_the_short_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A traceback runs from before the wanted cut to near the end of the 64 KB read, then
    # 48 clean lines, then a long record line whose "Error" lies past that read's end.
    head = "".join(f"2024-05-01 12:00:00 INFO request {i} served\n" for i in range(2500))
    near = len(head) + 1000
    clean = "".join(f"2024-05-01 12:00:01 INFO request {i} served\n" for i in range(48))
    frame = '  File "app.py", line 1, in f\n'
    frames = frame * ((near + 63_000 - len(head) - len(clean)) // len(frame))
    tb = f"Traceback (most recent call last):\n{frames}ValueError: boom\n"
    long_line = "2024-05-01 12:00:02 INFO " + "x" * 20_000 + " Error\n"
    tail = "".join(f"2024-05-01 12:00:03 INFO request {i} served\n" for i in range(100))
    text = head + tb + clean + long_line + tail
    start_long = len(head + tb + clean)
    assert start_long < near + (64 << 10) < start_long + len(long_line)  # the case at hand
    path = tmp_path / "straddle.log"
    path.write_text(text)
    with path.open("rb") as fh:
        cut = parallel._cut_near(fh.fileno(), near, len(text))
        monkeypatch.setattr(parallel, "_QUICK_AHEAD", parallel.SPLIT_SEARCH + 1)
        assert cut == parallel._cut_near(fh.fileno(), near, len(text))
    assert cut is not None and cut > start_long + len(long_line)


def test_a_log_with_no_safe_place_to_cut_is_searched_a_few_times_not_once_a_mb(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A crash loop: a traceback after every 20 access lines, never the 48 clean lines a
    # cut needs. Each failed search walks 1 MB line by line in Python.
    block = ("2026-11-28T10:00:00Z ERROR request failed\nTraceback (most recent call last):\n"
             '  File "app.py", line 1, in f\n    x()\nValueError: boom\n'
             + "2026-11-28T10:00:00Z INFO GET /health 200\n" * 20)
    path = tmp_path / "loop.log"
    path.write_text(block * (24_000_000 // len(block)))
    size = path.stat().st_size
    searched: list[int] = []
    real = parallel.safe_split

    def counted(data: bytes, near: int, **kw: Any) -> int | None:
        if len(data) > parallel.SPLIT_SEARCH:  # the 1 MB search (each first reads 64 KB)
            searched.append(near)
        return real(data, near, **kw)

    monkeypatch.setattr(parallel, "safe_split", counted)
    with path.open("rb") as fh:
        assert parallel.segments(fh.fileno(), size) == [(0, size)]
    assert 0 < len(searched) <= 6  # 24 MB: about log2(24) searches, not 18
