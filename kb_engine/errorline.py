"""The input's first error line: a report's headline when no traceback gives one.

Only the first such line of the whole input is wanted, yet its words can fill a log: a
line repeating ``ERROR`` 200 times gave the prefilter 200 hits, and a window of such lines
went down its line-by-line path (adv-repeat: 96 % of all hits, for a line found in the
first window). Where Hyperscan runs, the words are therefore not in the prefilter's main
database. This small database of their own is scanned instead, a piece of a window at a
time and only until the line is found: once, in a log that has one early.

Its one pattern runs from a word to the line's end, so every match on a line ends at the
same offset, and Hyperscan reports an offset once: one hit a line, however often the line
holds the words. Other backends keep the words as ordinary literals (``error_lines`` is
None there); the matcher then reads the prefilter's candidates instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from .hitbuf import Candidates, HitBuffer

ERROR_WORDS = ("ERROR", "CRITICAL", "FATAL", "Error", "Exception")
# What makes a line the first error line (on its decoded text: \b is Unicode's).
ERROR_LINE = re.compile(r"\b(?:" + "|".join(ERROR_WORDS) + r")\b")
# Hyperscan syntax, multi-line ("$" ends a line, and the data): see the module docstring.
_EXPR = b"(?:" + "|".join(ERROR_WORDS).encode() + rb")[^\n]*$"
_PIECE = 256 * 1024  # a piece of a window: the scan stops at the first piece that has it


class ErrorLineScan:
    """Which lines of a window hold an error word, in order, a piece at a time."""

    def __init__(self) -> None:
        import hyperscan

        db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        db.compile(expressions=[_EXPR], ids=[0], elements=1,
                   flags=[hyperscan.HS_FLAG_MULTILINE])
        self.serialized = bytes(hyperscan.dumpb(db))
        self._db: Any = None

    def _database(self) -> Any:
        if self._db is None:
            import hyperscan

            self._db = hyperscan.loadb(self.serialized, hyperscan.HS_MODE_BLOCK)
            self._db.scratch = hyperscan.Scratch(self._db)
        return self._db

    def lines(self, window: bytes) -> Iterator[int]:
        """The window's lines holding an error word, ascending (a superset of the lines
        ERROR_LINE matches: the caller checks each). Lazy: a caller that stops at the first
        good line never scans the pieces after it."""
        db, ids_of, line, start = self._database(), [(0,)], 0, 0
        view = memoryview(window)
        while start <= len(window):
            end = window.find(b"\n", start + _PIECE)
            end = len(window) if end < 0 else end
            hits = HitBuffer(end - start + 1)  # one hit a line at most: never reached
            db.scan(view[start:end], match_event_handler=hits)
            found: Candidates = {}
            count = hits.number(window, ids_of, found, line, start, end)
            yield from sorted(found.get(0, ()))
            line += count
            start = end + 1

    def __getstate__(self) -> dict[str, Any]:
        return {"serialized": self.serialized}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.serialized = state["serialized"]
        self._db = None


__all__ = ["ERROR_LINE", "ERROR_WORDS", "ErrorLineScan"]
