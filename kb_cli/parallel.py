"""Big regular files are scanned by two processes at once (one per core).

The file is cut into segments at record boundaries no traceback crosses
(``kb_engine.parts.safe_split``). The segments' numbers wait in a pipe, and the parent
and a forked child each take the next one as soon as they are free: the faster process
(the other may share its core with anything else on the machine) simply takes more, so
both finish together. The child sends its parts back through another pipe; any trouble
there (it dies, sends garbage) and the parent scans those segments itself: parallelism
may only ever change the speed, not the answer.
"""

from __future__ import annotations

import gc
import itertools
import os
import pickle
from collections.abc import Callable, Iterator
from typing import Any

from kb_engine import Report, RuleSet
from kb_engine.hits import Kept
from kb_engine.parts import SPLIT_SEARCH, PartialScan, safe_split

MIN_PARALLEL_BYTES = 48 << 20
TUNE_BYTES = 16 << 20  # inputs big enough for tune_allocator to pay for its 4 ms
CHUNK = 1 << 20
# The smallest segment: small enough that the process finishing last waits little, big
# enough that a segment's fixed costs (a scanner, a part to merge) stay noise.
SEGMENT_BYTES = 4 << 20
MAX_SEGMENTS = 64
_LOOKBACK_BYTES = 64 << 10
_QUICK_AHEAD = 64 << 10  # a cut is nearly always this close to where it is wanted


# glibc's mallopt parameters (malloc.h).
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3


def tune_allocator() -> bool:
    """Keep the 1-2 MB blocks a big scan allocates and frees on the heap (glibc only).

    By default glibc serves them with fresh mmaps and gives them back at once, so every
    window lands in new pages: minor faults, zeroing and cold caches cost a quarter of the
    scan. With these thresholds freed blocks are reused; the heap never grows past the
    largest set of live blocks, so memory stays flat. False where there is no glibc.
    """
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt  # the process's own symbols: libc's, if glibc
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, 64 << 20)) and bool(
        mallopt(_M_TRIM_THRESHOLD, 256 << 20))


def worth_it(size: int) -> bool:
    return size >= MIN_PARALLEL_BYTES and (os.cpu_count() or 1) >= 2 and hasattr(os, "fork")


def _chunks(fd: int, start: int, end: int, tick: Callable[[int], None]) -> Iterator[bytes]:
    # pread, not mmap: touched mmap pages would count in RSS and memory must stay flat.
    for pos in range(start, end, CHUNK):
        block = os.pread(fd, min(CHUNK, end - pos), pos)
        tick(len(block))
        yield block


def segments(fd: int, size: int) -> list[tuple[int, int]]:
    """[start, end) offsets covering the file, cut only where ``safe_split`` allows (a
    stretch with no safe place stays with its neighbour). Sizes shrink as the file goes:
    each a quarter of what is left, down to SEGMENT_BYTES. So there are few parts to hold
    until the merge, yet small ones at the end, where the two processes finish together."""
    cuts = [0]
    search_from = misses = 0
    while len(cuts) < MAX_SEGMENTS:
        step = max(min(SEGMENT_BYTES, size // 2), (size - cuts[-1]) // 4)  # >= 2 parts
        near = max(search_from, cuts[-1] + step)
        if near >= size:
            break
        found = _cut_near(fd, near, size)
        if found is None:  # no safe place within 1 MB: look further on, twice as far
            # each time in a row. A crash loop (a traceback every 20 lines) has no safe
            # place at all: a search costs 30-40 ms a MB, and one per MB cost more than
            # the whole scan of a 100 MB CI log.
            search_from = near + (SPLIT_SEARCH << misses)
            misses += 1
            continue
        if found >= size:
            break
        cuts.append(found)
        search_from = misses = 0
    cuts.append(size)
    return list(itertools.pairwise(cuts))


def _cut_near(fd: int, near: int, size: int) -> int | None:
    """``safe_split`` at ``near`` in the file: what it finds in the 1 MB after ``near``,
    read 64 KB at first. A cut found there is the same cut when the line after it is
    whole in what was read: every line before it was then judged on whole lines too."""
    lo = max(0, near - _LOOKBACK_BYTES)  # safe_split looks at the lines before a cut
    for ahead in (_QUICK_AHEAD, SPLIT_SEARCH + 1):
        data = os.pread(fd, near - lo + ahead, lo)
        found = safe_split(data, near - lo, starts_input=lo == 0)
        if ahead > _QUICK_AHEAD or lo + len(data) >= size:  # all safe_split would read
            break
        if found is not None and data.find(b"\n", found) >= 0:
            break
    return None if found is None else lo + found


def _queue(count: int) -> int:
    """A pipe holding the segment numbers, write end closed: reading one byte takes the
    next segment (a pipe read of one byte is atomic), reading nothing means none is left."""
    read_fd, write_fd = os.pipe()
    os.write(write_fd, bytes(range(count)))
    os.close(write_fd)
    return read_fd


def _work(
    rules: RuleSet, fd: int, queue: int, segs: list[tuple[int, int]], tick: Callable[[int], None]
) -> dict[int, PartialScan]:
    done: dict[int, PartialScan] = {}
    kept = Kept()  # segments are taken in input order: later ones keep what caps leave
    while token := os.read(queue, 1):
        start, end = segs[token[0]]
        done[token[0]] = rules.scan_part(_chunks(fd, start, end, tick), kept)
    return done


def _receive(fd: int, count: int) -> dict[int, PartialScan]:
    """The child's parts, unpickled as they stream in (no copy of the whole payload);
    nothing when it sent something unusable."""
    with os.fdopen(fd, "rb") as stream:
        enabled = gc.isenabled()
        gc.disable()  # tens of thousands of new objects would trigger collections for nothing
        try:
            loaded = pickle.load(stream)
        except Exception:
            return {}
        finally:
            if enabled:
                gc.enable()
        if stream.read(1):  # trailing bytes: not what a healthy child writes
            return {}
    if not isinstance(loaded, dict) or not all(
            type(k) is int and 0 <= k < count and isinstance(v, PartialScan)
            for k, v in loaded.items()):
        return {}
    return loaded


def _share_with_child(rules: RuleSet) -> None:
    """Make what both processes read shared copy-on-write pages that stay clean: load the
    prefilter's databases once here (a one-line scan), then move every object alive to the
    GC's permanent generation so that neither process's collections write to their pages."""
    rules.scan_part([b"kb\n"])
    if gc.isenabled():  # else (kb diagnose) nothing collects: garbage costs only memory
        gc.collect()
    gc.freeze()


def diagnose_file(
    rules: RuleSet, path: str, tick: Callable[[int], None], **options: Any
) -> Report | None:
    """A report for ``path`` scanned in two processes, or None when it cannot be split."""
    with open(path, "rb") as fh:
        fd = fh.fileno()
        size = os.fstat(fd).st_size
        segs = segments(fd, size)
        if len(segs) < 2:
            return None
        was_frozen = gc.get_freeze_count() > 0
        _share_with_child(rules)
        queue = _queue(len(segs))
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: scan what it takes, send it, leave without cleanup
            code = 0
            try:
                os.close(read_fd)
                parts = _work(rules, fd, queue, segs, lambda n: None)
                with os.fdopen(write_fd, "wb") as out:  # streamed: no payload copy
                    pickle.dump(parts, out, protocol=pickle.HIGHEST_PROTOCOL)
            except BaseException:
                code = 1
            finally:
                os._exit(code)
        os.close(write_fd)
        mine = _work(rules, fd, queue, segs, tick)
        os.close(queue)
        theirs = _receive(read_fd, len(segs))
        _, status = os.waitpid(pid, 0)
        if not was_frozen:  # the child is gone: leave the GC as the caller had it
            gc.unfreeze()
        if status != 0 or mine.keys() & theirs.keys():
            theirs = {}
        for i, (start, end) in enumerate(segs):
            if i in theirs:
                tick(end - start)
            elif i not in mine:  # the child took it and failed: scan it here
                theirs[i] = rules.scan_part(_chunks(fd, start, end, tick))
        parts = {**mine, **theirs}
        return rules.diagnose_parts([parts[i] for i in range(len(segs))], **options)
