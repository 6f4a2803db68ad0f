"""Windows: the input streams through in windows of whole lines, and multi-line
signatures look for their lines within a window of N lines.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator

from .cleanup import clean_text
from .tracebacks import HEADER

WINDOW_BYTES = 2 * 1024 * 1024


def windows(chunks: Iterable[str]) -> Iterator[tuple[int, list[str]]]:
    """Yield (first line number, lines) windows of whole, cleaned lines.

    A traceback that starts near the end of a window is carried into the next one
    so that it is parsed whole.
    """
    pending = ""
    base = 0
    for chunk in chunks:
        pending += chunk
        if len(pending) < WINDOW_BYTES:
            continue
        cut = pending.rfind("\n")
        if cut < 0:
            continue
        body, pending = pending[:cut], pending[cut + 1:]
        keep = body.rfind(HEADER, max(0, len(body) - 64 * 1024))
        if keep >= 0:
            line_start = body.rfind("\n", 0, keep) + 1
            if line_start > 0:
                pending = body[line_start:] + "\n" + pending
                body = body[: line_start - 1]
        lines = clean_text(body).split("\n")
        yield base, lines
        base += len(lines)
    lines = clean_text(pending).split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    yield base, lines


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
