"""Big regular files are scanned by two processes at once (one per core).

The file is split at a record boundary no traceback crosses (``kb_engine.parts.safe_split``);
a forked child scans the second half and sends its partial result through a pipe while
the parent scans the first half. Any trouble in the child (it dies, sends garbage) and the
parent scans that half itself: parallelism may only ever change the speed, not the answer.
"""

from __future__ import annotations

import gc
import os
import pickle
from collections.abc import Callable, Iterator
from typing import Any

from kb_engine import Report, RuleSet
from kb_engine.parts import PartialScan, safe_split

MIN_PARALLEL_BYTES = 48 << 20
CHUNK = 1 << 20


def worth_it(size: int) -> bool:
    return size >= MIN_PARALLEL_BYTES and (os.cpu_count() or 1) >= 2 and hasattr(os, "fork")


def _chunks(fd: int, start: int, end: int, tick: Callable[[int], None]) -> Iterator[bytes]:
    # pread, not mmap: touched mmap pages would count in RSS and memory must stay flat.
    for pos in range(start, end, CHUNK):
        block = os.pread(fd, min(CHUNK, end - pos), pos)
        tick(len(block))
        yield block


def _receive(fd: int) -> PartialScan | None:
    """The child's part, unpickled as it streams in (no copy of the whole payload); None
    when it sent nothing usable."""
    with os.fdopen(fd, "rb") as stream:
        enabled = gc.isenabled()
        gc.disable()  # tens of thousands of new objects would trigger collections for nothing
        try:
            loaded = pickle.load(stream)
        except Exception:
            return None
        finally:
            if enabled:
                gc.enable()
        if stream.read(1):  # trailing bytes: not what a healthy child writes
            return None
    return loaded if isinstance(loaded, PartialScan) else None


def _share_with_child(rules: RuleSet) -> None:
    """Make what both processes read shared copy-on-write pages that stay clean: load the
    prefilter's databases once here (a one-line scan), then move every object alive to the
    GC's permanent generation so that neither process's collections write to their pages."""
    rules.scan_part([b"kb\n"])
    gc.collect()
    gc.freeze()


def diagnose_file(
    rules: RuleSet, path: str, tick: Callable[[int], None], **options: Any
) -> Report | None:
    """A report for ``path`` scanned in two processes, or None when it cannot be split."""
    with open(path, "rb") as fh:
        fd = fh.fileno()
        size = os.fstat(fd).st_size
        cut = safe_split(os.pread(fd, (1 << 20) + 1, size // 2), 0)
        if cut is None:
            return None
        cut += size // 2
        was_frozen = gc.get_freeze_count() > 0
        _share_with_child(rules)
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: scan the second half, send it, leave without cleanup
            code = 0
            try:
                os.close(read_fd)
                part = rules.scan_part(_chunks(fd, cut, size, lambda n: None))
                with os.fdopen(write_fd, "wb") as out:  # streamed: no payload copy
                    pickle.dump(part, out, protocol=pickle.HIGHEST_PROTOCOL)
            except BaseException:
                code = 1
            finally:
                os._exit(code)
        os.close(write_fd)
        first = rules.scan_part(_chunks(fd, 0, cut, tick))
        second = _receive(read_fd)
        _, status = os.waitpid(pid, 0)
        if not was_frozen:  # the child is gone: leave the GC as the caller had it
            gc.unfreeze()
        if status != 0:
            second = None
        if second is None:  # the child failed: do its half here
            second = rules.scan_part(_chunks(fd, cut, size, tick))
        else:
            tick(size - cut)
        return rules.diagnose_parts([first, second], **options)
