"""Optional C helpers for five byte loops of a big scan, and the Python they stand for.

``kb_engine/_speedups.c`` is built at install time when a C compiler is there (setup.py
marks it optional). Without it these names are the plain Python versions, with the same
answers; tests run both and compare. ``HAVE_SPEEDUPS`` says which is in use.

- ``newlines(data, start, end)``: ``data.count(b"\\n", start, end)``, about 5x quicker.
  Numbering prefilter hits counts every newline of the input once.
- ``strip_cr_ansi(data)``: CR LF and lone CRs made LFs, then ANSI escapes removed: what
  ``cleanup`` walks one escape at a time in Python (a coloured log has hundreds per window).
- ``replace_literals(data, pairs)``: every (marker, plain) pair replaced in one pass, where
  ``cleanup`` pads and searches once per marker (an entity or smart-quote storm).
- ``present_literals(data, literals, budget)``: which literals occur, as a bit mask, by
  memchr hops between their first bytes; None past ``budget`` hops. ``cleanup`` otherwise
  runs a Hyperscan pass for every window (a typical log holds no marker but a CR or an
  ESC, yet has an ``&`` in every URL: the hops cost a third of that pass).
- ``strip_fences(data, is_fence_line)``: code fences out, a line at a time in C, where
  ``fences`` visits each fence in Python (a fence storm has thousands per window).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

_newlines: Callable[..., int] | None
_strip: Callable[[bytes], bytes] | None
_replace: Callable[[bytes, Sequence[tuple[bytes, bytes]]], bytes] | None
_present: Callable[[bytes, Sequence[bytes], int], int | None] | None
_fences: Callable[[bytes, Callable[[bytes], bool]], bytes] | None
try:
    from ._speedups import newlines as _newlines
    from ._speedups import present_literals as _present
    from ._speedups import replace_literals as _replace
    from ._speedups import strip_cr_ansi as _strip
    from ._speedups import strip_fences as _fences
except ImportError:  # pragma: no cover - built without a C compiler
    _newlines = _strip = _replace = _present = _fences = None

HAVE_SPEEDUPS = _newlines is not None


def newlines_py(data: bytes, start: int = 0, end: int = sys.maxsize) -> int:
    return data.count(b"\n", start, end)


newlines: Callable[..., int] = _newlines if _newlines is not None else newlines_py
# None without the C helper: cleanup then walks the escapes itself.
strip_cr_ansi: Callable[[bytes], bytes] | None = _strip
# None without the C helper: cleanup then pads and replaces one marker at a time.
replace_literals: Callable[[bytes, Sequence[tuple[bytes, bytes]]], bytes] | None = _replace
# None without the C helper: cleanup then runs its one-pass marker search on every window.
present_literals: Callable[[bytes, Sequence[bytes], int], int | None] | None = _present
# None without the C helper: kb_engine.fences then visits the fences in Python.
strip_fences: Callable[[bytes, Callable[[bytes], bool]], bytes] | None = _fences


def present_literals_py(data: bytes, literals: Sequence[bytes], budget: int) -> int | None:
    """What ``present_literals`` answers when the budget suffices (tests compare them)."""
    return sum(1 << k for k, lit in enumerate(literals) if lit in data)
