"""Which lines of a window may name versions, read in line order (kb_engine.versions).

The version probe gives the lines holding a cue of most sources. Two name Python's version
and nothing else, and only the first line that does counts: site-packages paths
(``.../python3.11/site-packages/...``) and banners (``Python 3.11.4``). So the prefilter
may give just the first line holding one of their cues in each stretch it scans
(``markers.FIRST_ONLY``): a crash loop's every frame line is a site-packages path, 97 % of
its matches. While Python's version is unknown, the lines after that first one that may
name it (``versions.PYTHON_NAMING``, one regex search) are found here, read in order with
the probe's lines, and only until a line names it. Lines with the cue but no version
(Debian's ``/usr/lib/python3/dist-packages``, aiohttp's ``Python/3.11`` user agent) are
never read.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from heapq import merge

from .linespans import LineSpans
from .speedups import newlines
from .versions import MAX_VERSIONS, PYTHON_NAMING, STAMP, VERSION_CUE, find_versions
from .windows import WindowLines

# Version lines already read, kept if short: find_versions only adds what is new.
_SEEN_MAX, _SEEN_BYTES = 4096, 1024


def python_lines(lines: WindowLines, first: int, versions: dict[str, str]) -> Iterator[int]:
    """The lines from ``first`` on that may name Python's version (``PYTHON_NAMING``: the
    others name nothing), ascending, for as long as ``versions`` names no Python."""
    window = lines.window
    line, off = first, lines.start(first)
    searches = [regex.search for regex in PYTHON_NAMING]
    found = [search(window, off) for search in searches]  # each pattern's next match
    while "python" not in versions:
        starts = [m.start() for m in found if m is not None]
        if not starts:
            return
        at = min(starts)
        line += newlines(window, off, at)
        yield line
        end = window.find(b"\n", at)
        if end < 0:
            return
        line, off = line + 1, end + 1
        found = [m if m is None or m.start() >= off else search(window, off)
                 for m, search in zip(found, searches, strict=True)]


def read_versions(lines: WindowLines, where: list[int], python_cues: Iterable[int],
                  copies: LineSpans, versions: dict[str, str],
                  seen: set[bytes | tuple[bytes]]) -> None:
    """Add to ``versions`` what the lines ``where`` (ascending) name, and the lines that
    may name Python's version from the first of ``python_cues`` (``python_lines``).
    find_versions only adds names it has not seen, the first line naming one winning: a
    line the same as one read before adds nothing, whether inside a traceback the memo
    copied (``copies``) or in ``seen`` (lines read before, kept by their bytes)."""
    if len(versions) >= MAX_VERSIONS:  # full: no line can add a name
        return
    order: Iterable[int] = where
    first = min(python_cues, default=None)
    if first is not None and "python" not in versions:
        order = _unique(merge(where, python_lines(lines, first, versions)))
    for local in order:
        if local in copies:
            continue
        raw = lines.raw(local)
        if VERSION_CUE.search(raw) is None:  # "== == ==" noise: nothing to decode
            continue
        stamp = STAMP.match(raw)  # a stamped line names what its rest names
        key = raw if stamp is None else (raw[stamp.end():],)
        if key in seen:  # the same line again (a crash loop): it names nothing new
            continue
        if len(raw) <= _SEEN_BYTES:
            if len(seen) >= _SEEN_MAX:
                seen.clear()
            seen.add(key)
        find_versions(lines[local], versions)


def _unique(lines: Iterable[int]) -> Iterator[int]:
    last = -1
    for line in lines:
        if line != last:
            yield line
            last = line


__all__ = ["python_lines", "read_versions"]
