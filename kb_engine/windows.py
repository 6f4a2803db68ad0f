"""Windows: the input streams through in windows of whole lines, and multi-line
signatures look for their lines within a window of N lines.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator
from functools import cached_property

from .cleanup import clean_bytes
from .tracebacks import HEADER

_HEADER_B = HEADER.encode()

WINDOW_BYTES = 2 * 1024 * 1024
# Signatures see at most this much of one line: a 10 MB single-line blob costs what a
# 64 KiB line does, for every rule (documented in docs/ranking.md).
MAX_LINE_BYTES = 64 * 1024
# A traceback whose header is this near a window's end starts the next window instead.
_KEEP_BACK = 64 * 1024
_PIECE = 1 << 20  # the most of one chunk a window takes in at a time (see _pieces)
# Lines read in order are decoded a batch at a time, from this many bytes up to that many.
_BATCH_MIN = 1024
_BATCH_MAX = 32 * 1024


def windows(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Yield cleaned windows of whole lines (no trailing newline), in input order.

    A traceback that starts near the end of a window is carried into the next one
    so that it is parsed whole. Counting lines is left to the prefilter, which walks
    the window's newlines once anyway. Each byte is copied about once on its way
    into a window, and a line without end keeps only what signatures can see of it,
    so memory stays flat whatever the input.
    """
    parts: list[bytes] = []
    size = 0
    skipping = False  # inside a line already longer than any window: drop until it ends
    for chunk in _pieces(chunks):
        if skipping:
            end = _line_end(chunk)
            if end < 0:
                continue
            chunk, skipping = chunk[end:], False
        if not chunk:
            continue
        parts.append(chunk)
        size += len(chunk)
        if size < WINDOW_BYTES:
            continue
        cut = chunk.rfind(b"\n")
        crlf_split = True
        if cut >= 0:  # the usual case: the window ends in the newest chunk
            body, rest = _split_window(parts, size - len(chunk) + cut, chunk[cut + 1:])
        else:
            joined = b"".join(parts)
            cut = joined.rfind(b"\n")
            if cut < 0:  # a lone CR ends a line too (progress bars); not one that may
                cut = joined.rfind(b"\r", 0, len(joined) - 1)  # start a CRLF
                crlf_split = False
            if cut < 0:  # one endless line: keep what signatures can see of it
                parts, size, skipping = [joined[:MAX_LINE_BYTES]], MAX_LINE_BYTES, True
                continue
            body, rest = _split_window([joined], cut, joined[cut + 1:])
        parts, size = ([rest], len(rest)) if rest else ([], 0)
        if crlf_split and body.endswith(b"\r"):
            body = body[:-1]  # the CR of a CRLF split at the window's end
        yield cap_long_lines(clean_bytes(body))
    pending = b"".join(parts)
    if pending.endswith(b"\n"):  # the last line's end, a CRLF as much as a LF
        pending = pending[:-2] if pending.endswith(b"\r\n") else pending[:-1]
    if pending:
        yield cap_long_lines(clean_bytes(pending))


def _pieces(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The chunks, a big one _PIECE bytes at a time: windows are cut where a chunk ends, so
    a 100 MB bytes object given at once would be one 100 MB window (``kb diagnose`` reads
    1 MiB chunks; a library caller may pass the whole log)."""
    for chunk in chunks:
        if len(chunk) <= _PIECE:
            yield chunk
        else:
            for i in range(0, len(chunk), _PIECE):
                yield chunk[i:i + _PIECE]


def _bytes_of(pieces: list[bytes], start: int, end: int) -> bytes:
    """Bytes ``start`` to ``end`` of ``pieces`` laid end to end, copied once."""
    out: list[memoryview] = []
    pos = 0
    for piece in pieces:
        nxt = pos + len(piece)
        if nxt > start and pos < end:
            out.append(memoryview(piece)[max(start - pos, 0):min(end, nxt) - pos])
        if nxt >= end:
            break
        pos = nxt
    return b"".join(out)


def _split_window(pieces: list[bytes], end: int, after: bytes) -> tuple[bytes, bytes]:
    """(the window, what goes on to the next) when the window is the first ``end`` bytes
    of ``pieces`` end to end and ``after`` follows its last newline. A traceback header
    in the window's last _KEEP_BACK bytes moves with its line to the next window, so the
    traceback is parsed whole. Only that tail is searched, and the window is copied once
    (cutting a joined window copied it twice: a crash loop ends every window so)."""
    tail_start = max(0, end - _KEEP_BACK)
    tail = _bytes_of(pieces, tail_start, end)
    keep = tail.rfind(_HEADER_B)
    if keep < 0:
        return _bytes_of(pieces, 0, end), after
    nl = tail.rfind(b"\n", 0, keep)
    if nl >= 0 or tail_start == 0:
        line_start = tail_start + nl + 1
    else:  # the header's line began before the tail (a line of _KEEP_BACK bytes or more)
        line_start = _bytes_of(pieces, 0, end).rfind(b"\n", 0, tail_start + keep) + 1
    if line_start == 0:  # the window's first line: it stays
        return _bytes_of(pieces, 0, end), after
    return _bytes_of(pieces, 0, line_start - 1), b"".join(
        [_bytes_of(pieces, line_start, end), b"\n", after])


def _line_end(data: bytes) -> int:
    """Where the current line ends: the first newline, or the first CR (cleanup makes a lone
    CR a line end), else -1."""
    ends = [i for i in (data.find(b"\n"), data.find(b"\r")) if i >= 0]
    return min(ends) if ends else -1


def capped_lines(window: bytes) -> Iterator[tuple[int, bytes]]:
    """(start offset, the part of the line signatures see) for each line of ``window``, one
    at a time: a window of half a million tiny lines never becomes a list of them."""
    find = window.find
    size = len(window)
    start = 0
    while True:
        nl = find(b"\n", start)
        stop = size if nl < 0 else nl
        yield start, window[start:min(stop, start + MAX_LINE_BYTES)]
        if nl < 0:
            return
        start = nl + 1


def capped_line_blocks(window: bytes) -> Iterator[tuple[int, list[bytes]]]:
    """The lines capped_lines gives, a block at a time: (offset of the first, lines), split
    in C. A block's lines follow each other; a line longer than a block comes alone, cut.
    At most MAX_LINE_BYTES are split at once: a window of tiny lines stays small in memory."""
    pos = 0
    while len(window) - pos > MAX_LINE_BYTES:
        cut = window.rfind(b"\n", pos, pos + MAX_LINE_BYTES)
        if cut >= 0:
            yield pos, window[pos:cut].split(b"\n")
        else:
            yield pos, [window[pos:pos + MAX_LINE_BYTES]]
            cut = window.find(b"\n", pos + MAX_LINE_BYTES)
            if cut < 0:
                return
        pos = cut + 1
    yield pos, window[pos:].split(b"\n")  # no line here is longer than MAX_LINE_BYTES


def cap_long_lines(window: bytes) -> bytes:
    """``window`` with every line longer than MAX_LINE_BYTES cut to that length.

    Signatures never see more of a line, and without the cut the prefilter would still
    walk all of a 10 MB line. Finding out costs one ``find`` per half cap: a window
    with a newline in every such stretch has no line longer than 1.5 caps and is
    returned as it is.
    """
    step = MAX_LINE_BYTES // 2
    find = window.find
    for i in range(0, len(window) - MAX_LINE_BYTES, step):
        if find(b"\n", i, i + MAX_LINE_BYTES) < 0:
            break
    else:
        return window
    return b"\n".join([line[:MAX_LINE_BYTES] for line in window.split(b"\n")])


class WindowLines:
    """Lines of a window, decoded on demand: only lines someone looks at cost anything.

    ``known`` maps line indexes to an offset inside that line (the prefilter's hits): such
    a line's start is one search back, done when it is first asked for (a crash loop has
    tens of thousands of hit lines that nobody reads). Other lines are reached by walking
    from the nearest known one.
    """

    def __init__(
        self, window: bytes, known: dict[int, int] | None = None, n: int | None = None
    ) -> None:
        self.window = window
        if n is None:
            n = window.count(b"\n") + 1 if window else 0
        self.n = n
        self._known = {} if known is None else known
        self._start = {0: 0}  # line -> its offset, once found
        self._known_sorted: list[int] | None = None  # sorted(known), once needed
        self._walked: list[int] = []  # sorted: lines a walk ended at (their starts found)
        self._text: dict[int, str] = {}
        self._batch = _BATCH_MIN  # bytes decoded at once if the reader goes on at:
        self._batch_end = -1  # the line after the last batch

    def __len__(self) -> int:
        return self.n

    @cached_property
    def is_ascii(self) -> bool:
        return self.window.isascii()

    @cached_property
    def lines_fit(self) -> bool:
        """Whether no line is longer than MAX_LINE_BYTES: every aligned half-cap stretch
        holds a newline (so no two newlines are a cap apart), one find per stretch."""
        half, find = MAX_LINE_BYTES // 2, self.window.find
        return all(find(b"\n", i, i + half) >= 0
                   for i in range(0, len(self.window) - half + 1, half))

    def _found(self, idx: int) -> int | None:
        """The line's start if found already or one search back from a known offset."""
        got = self._start.get(idx)
        if got is None:
            off = self._known.get(idx)
            if off is not None:
                got = self._start[idx] = self.window.rfind(b"\n", 0, off) + 1
        return got

    def note_start(self, idx: int, offset: int) -> None:
        """Line ``idx`` starts at ``offset``: the caller knows it (a block of whole lines
        the memo matched ends there), so no search need walk to it."""
        if idx < self.n:
            self._start.setdefault(idx, offset)

    def start(self, idx: int) -> int:
        got = self._found(idx)
        if got is not None:
            return got
        prev = self._found(idx - 1)
        if prev is not None:  # sequential reading, as the traceback parser does
            got = self.window.index(b"\n", prev) + 1
            self._start[idx] = got
            return got
        nxt = self._found(idx + 1)
        if nxt is not None and nxt > 0:  # looking back from a known line
            got = self.window.rfind(b"\n", 0, nxt - 1) + 1
            self._start[idx] = got
            return got
        below = self._anchor_below(idx)
        pos = self.start(below)
        for k in range(below + 1, idx + 1):
            pos = self.window.index(b"\n", pos) + 1
            self._start[k] = pos
        bisect.insort(self._walked, idx)  # lines below + 1 .. idx are found now
        return pos

    def _anchor_below(self, idx: int) -> int:
        """The nearest line below ``idx`` whose start is known or found by a walk: a
        search in sorted lists, not a pass over every known line (a log of thousands of
        tracebacks asks for thousands of lines no hit fell on)."""
        if self._known_sorted is None:
            self._known_sorted = sorted(self._known)
        best = 0
        for keys in (self._known_sorted, self._walked):
            k = bisect.bisect_left(keys, idx)
            if k:
                best = max(best, keys[k - 1])
        return best

    def raw(self, idx: int) -> bytes:
        """The line's bytes, as far as signatures see it (MAX_LINE_BYTES)."""
        s = self.start(idx)
        e = self.window.find(b"\n", s, s + MAX_LINE_BYTES + 1)
        if e < 0:
            e = min(len(self.window), s + MAX_LINE_BYTES)
        else:  # the next line starts here: sequential readers need no second search
            self._start.setdefault(idx + 1, e + 1)
        return self.window[s:e]

    def iter_from(self, idx: int, stop: int) -> Iterator[str]:
        """``self[i]`` for ``i`` from ``idx`` up to ``stop`` (or the last line), for readers
        in order (the traceback parser) without a method call per line."""
        get = self._text.get
        for i in range(idx, min(stop, self.n)):
            text = get(i)
            yield self[i] if text is None else text

    def __getitem__(self, idx: int) -> str:
        text = self._text.get(idx)  # only lines in range are ever stored
        if text is not None:
            return text
        if idx < 0 or idx >= self.n:
            raise IndexError(idx)
        s = self._start.get(idx)
        if s is None:
            s = self.start(idx)
        window = self.window
        if idx - 1 in self._text:
            # Read in order (the traceback parser): the next lines are decoded in one go,
            # twice as many bytes each time the reader goes on past the last batch. UTF-8
            # decoding never takes a newline into a bad sequence, so each line is what
            # decoding it alone gives; none is longer than a batch, so none needs cutting.
            batch = self._batch if idx == self._batch_end else _BATCH_MIN
            e = window.rfind(b"\n", s, s + batch)
            if e >= 0:
                texts = window[s:e].decode("utf-8", "replace").split("\n")
                self._text.update(enumerate(texts, idx))
                self._batch_end = idx + len(texts)
                self._batch = min(2 * batch, _BATCH_MAX)
                self._start.setdefault(self._batch_end, e + 1)
                return texts[0]
        # raw(idx), inlined
        e = window.find(b"\n", s, s + MAX_LINE_BYTES + 1)
        if e < 0:
            e = min(len(window), s + MAX_LINE_BYTES)
        else:
            self._start.setdefault(idx + 1, e + 1)
        text = self._text[idx] = window[s:e].decode("utf-8", "replace")
        return text


def window_match(per_sub: list[list[int]], window: int, ordered: bool) -> list[int] | None:
    """First combination of one line per pattern within ``window`` lines (ordered if asked)."""
    for start in per_sub[0]:
        chosen = [start]
        ok = True
        for lines in per_sub[1:]:
            if ordered:
                j = bisect.bisect_right(lines, chosen[-1])
                if j >= len(lines) or lines[j] - start > window:
                    ok = False
                    break
                chosen.append(lines[j])
            else:
                j = bisect.bisect_left(lines, start - window)
                near = [x for x in lines[j:j + 50] if abs(x - start) <= window]
                if not near:
                    ok = False
                    break
                chosen.append(near[0])
        if ok and max(chosen) - min(chosen) <= window:
            return chosen
    return None
