"""Which traceback headers of a window the parser must read: the rest find nothing.

A log can hold thousands of headers that start no traceback: runs of bare headers, a
header per request with a frame or two and no exception, headers behind a new pod name on
every line. The parser reads each in microseconds of Python (``parse_traceback_at``
stops at the next header when no exception came first). ``kb_engine/_tbscan.c`` reads
the same lines as the parser's FRAMES state reads them before any exception, a few byte
compares a line, and drops the headers whose parse certainly finds nothing; it keeps
every header it cannot decide (a non-ASCII or overlong line, a possible exception or
frame line). So it changes the scan's speed, never its answers: a test compares it with
the parser line for line.

Built at install where a C compiler is (setup.py); without it every header is parsed.
The same module gives the traceback memo its prefix pass (``nul_prefixes``).
"""

from __future__ import annotations

from collections.abc import Callable

from .tracebacks import MAX_TB_LINES
from .windows import MAX_LINE_BYTES

_may_parse: Callable[[bytes, list[int], dict[int, int], int, int, int], list[int]] | None
# re.sub of a log prefix shape's bytes pattern by b"\0" (kb_engine.tbmemo), or None.
nul_prefixes: Callable[[bytes, tuple[bytes, ...]], bytes] | None
try:
    from ._tbscan import may_parse as _may_parse
    from ._tbscan import nul_prefixes
except ImportError:  # pragma: no cover - built without a C compiler
    _may_parse = nul_prefixes = None

HAVE_TBSCAN = _may_parse is not None


def headers_to_parse(window: bytes, heads: dict[int, int], n_lines: int) -> list[int]:
    """The lines of ``heads`` (window line -> a byte offset inside it, the prefilter's)
    whose parse may find a traceback, ascending. ``n_lines``: the window's line count."""
    lines = sorted(heads)
    if _may_parse is None:
        return lines
    return _may_parse(window, lines, heads, n_lines, MAX_LINE_BYTES, MAX_TB_LINES)


__all__ = ["HAVE_TBSCAN", "headers_to_parse", "nul_prefixes"]
