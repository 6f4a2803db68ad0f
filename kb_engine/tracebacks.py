"""Python traceback parsing as an explicit state machine.

Handles chained exceptions ("During handling ..." / "The above exception was
the direct cause ..."), ``ExceptionGroup`` trees, ``SyntaxError`` carets,
``[Previous line repeated N more times]``, and tracebacks whose every line
carries a log prefix (timestamp, level, pod or compose service name).

Parsing starts only at header lines found by the caller (the prefilter finds
them), so its cost grows with the size of the tracebacks, not of the log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum, auto
from functools import lru_cache
from typing import Protocol

HEADER = "Traceback (most recent call last):"
GROUP_HEADER = "Exception Group Traceback (most recent call last):"
_CAUSE = "The above exception was the direct cause of the following exception:"
_CONTEXT = "During handling of the above exception, another exception occurred:"

_FRAME = re.compile(r'^\s*File "(?P<file>[^"]*)", line (?P<line>\d+)(?:, in (?P<func>.+))?\s*$')
_REPEATED = re.compile(r"^\s*\[Previous line repeated (\d+) more times?\]\s*$")
_EXC_LINE = re.compile(
    r"^(?P<type>[A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*)(?:: ?(?P<msg>.*))?$"
)
# A line that starts a new log record ends an exception message's continuation.
_RECORD_START = re.compile(
    r"^(?:\d{4}-\d\d-\d\d|\[?\d\d:\d\d:\d\d|\[\d{4}|(?:DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL"
    r"|FATAL)\b|[A-Z][a-z]{2} +\d+ \d\d:"
    # warnings.warn output ("sys:1: RuntimeWarning: ...", "/app/x.py:7: DeprecationWarning:")
    r"|\S+:\d+: [A-Z]\w*(?:Warning|Error)\b)"
)
# Lines that end a message's continuation: the tail of another traceback printed into
# this one by a second thread ("    raise X(", "pkg.mod.Error: ..."), or frames.
_NOT_DETAIL = re.compile(
    r'^(?:raise |return |await |File "|[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+(?:Error|Exception|Warning)'
    r'\w*: )'
)
# Exception-group drawing: "  +-+---- 1 ----", "    | ValueError: x", "  +----------".
_GROUP_SEP = re.compile(r"^\s*\+[-+]*(?:-+ (?:\d+|\.\.\.) -+)?-*\s*$")
_GROUP_BAR = re.compile(r"^(\s*)\| ?")
_MAX_TB_LINES = 5000
_MAX_DETAIL = 40
_SITE = re.compile(r".*/(?:site-packages|dist-packages)/")
_STDLIB = re.compile(r".*/lib/python\d\.\d+/")


class Lines(Protocol):
    """Indexable lines: a list, or the matcher's lazily decoded window."""

    def __getitem__(self, index: int, /) -> str: ...

    def __len__(self) -> int: ...


@dataclass
class Frame:
    file: str
    lineno: int | None
    function: str | None
    module: str
    line: int  # index of the "File ..." line in the input (0-based)
    code: str | None = None
    repeated: int = 0


@dataclass
class ParsedException:
    type: str
    message: str
    line: int  # 0-based input line of the "Type: message" line
    frames: list[Frame] = field(default_factory=list)
    detail: list[str] = field(default_factory=list)
    chain: str | None = None  # "cause" / "context": how it links to the previous one
    group_depth: int = 0
    syntax: bool = False

    @property
    def full_message(self) -> str:
        if self.detail:
            return self.message + "\n" + "\n".join(self.detail)
        return self.message


@dataclass
class Traceback:
    first_line: int
    last_line: int
    exceptions: list[ParsedException] = field(default_factory=list)

    @property
    def final(self) -> ParsedException | None:
        top = [e for e in self.exceptions if e.group_depth == 0]
        return top[-1] if top else (self.exceptions[-1] if self.exceptions else None)

    @property
    def frames(self) -> list[Frame]:
        return [f for e in self.exceptions for f in e.frames]


@lru_cache(maxsize=4096)  # the same few files recur in every traceback of a log
def module_of(path: str) -> str:
    """Dotted module name for a source path: ``.../site-packages/a/b.py`` -> ``a.b``."""
    p = path.replace("\\", "/")
    stripped = _SITE.sub("", p, count=1)
    if stripped == p:
        stripped = _STDLIB.sub("", p, count=1)
    if stripped == p:
        stripped = p.lstrip("./")
        if stripped.startswith("/"):
            stripped = stripped.rsplit("/", 1)[-1]
    if stripped.endswith(".py"):
        stripped = stripped[:-3]
    if stripped.endswith("/__init__"):
        stripped = stripped[: -len("/__init__")]
    return stripped.strip("/").replace("/", ".")


class _State(Enum):
    FRAMES = auto()
    AFTER_EXC = auto()
    BETWEEN = auto()
    DONE = auto()


def _prefix_shape(prefix: str) -> re.Pattern[str] | None:
    """A pattern for the log prefix seen on the header, tolerant of changing digits."""
    if not prefix.strip():
        return None
    parts = re.split(r"(\d+)", prefix.rstrip())
    shape = "".join(r"\d+" if p.isdigit() else re.escape(p) for p in parts)
    return re.compile("^" + shape + r"\s?")


class _Lines:
    """The input lines with the traceback's log prefix and group bars removed."""

    def __init__(self, lines: Lines, prefix: re.Pattern[str] | None) -> None:
        self._lines = lines
        self._prefix = prefix
        self.group_depth = 0

    def __len__(self) -> int:
        return len(self._lines)

    def get(self, i: int) -> tuple[str, bool, int]:
        """Line ``i`` without prefix and group bars.

        Returns the text, False if a prefix was expected but missing, and the nesting depth
        inside an exception group (0 outside; the bar's column tells the depth).
        """
        raw = self._lines[i]
        ok = True
        if self._prefix is not None:
            m = self._prefix.match(raw)
            if m:
                raw = raw[m.end():]
            else:
                ok = False
        depth = 0
        m2 = _GROUP_BAR.match(raw) if self.group_depth else None
        if m2:
            depth = max(len(m2.group(1)) - 2, 0) // 2
            raw = raw[m2.end():]
        return raw, ok, depth


def parse_traceback(lines: Lines, start: int) -> Traceback | None:
    """Parse the traceback whose header is on ``lines[start]``."""
    head = lines[start]
    pos = head.find(HEADER)
    is_group = False
    gpos = head.find(GROUP_HEADER)
    if gpos >= 0:
        pos, is_group = gpos, True
    if pos < 0:
        return None
    raw_prefix = head[:pos]
    group_prefix = re.match(r"^(.*?)(\s*\+ )$", raw_prefix) if is_group else None
    prefix = _prefix_shape(group_prefix.group(1) if group_prefix else raw_prefix)
    src = _Lines(lines, prefix)
    if is_group:
        src.group_depth = 1
    tb = Traceback(first_line=start, last_line=start)
    state = _State.FRAMES
    frames: list[Frame] = []
    chain: str | None = None
    current: ParsedException | None = None
    i = start + 1
    end = min(len(lines), start + _MAX_TB_LINES)
    while i < end and state is not _State.DONE:
        text, ok, depth = src.get(i)
        stripped = text.strip()
        if not ok and state is not _State.FRAMES and stripped:
            break
        if src.group_depth and _GROUP_SEP.match(text):
            # A separator opens the next sub-exception of a group; frames restart.
            frames, chain, state = [], None, _State.FRAMES
            tb.last_line = i
            i += 1
            continue
        if stripped.endswith(HEADER) and HEADER in stripped:
            if stripped.startswith("+") or "Exception Group" in stripped:
                src.group_depth += 1
            frames, state = [], _State.FRAMES
            tb.last_line = i
            i += 1
            continue
        if state is _State.FRAMES:
            m = _FRAME.match(text)
            if m:
                frames.append(_frame(m, i))
            elif _REPEATED.match(text) and frames:
                frames[-1].repeated = int(_REPEATED.match(text).group(1))  # type: ignore[union-attr]
            elif text.startswith((" ", "\t")) or not stripped:
                if frames and stripped and frames[-1].code is None and not _is_caret(stripped):
                    frames[-1].code = stripped
            else:
                current = _exception(stripped, i, frames, chain, depth)
                if current is None:
                    break
                tb.exceptions.append(current)
                chain, state = None, _State.AFTER_EXC
            tb.last_line = i
        elif state is _State.AFTER_EXC:
            if stripped in (_CAUSE, _CONTEXT):
                chain = "cause" if stripped == _CAUSE else "context"
                state = _State.BETWEEN
                tb.last_line = i
            elif not stripped:
                state = _State.BETWEEN
            elif (_RECORD_START.match(stripped) or (prefix is None and not ok)
                  or _NOT_DETAIL.match(stripped)):
                break
            elif current is not None and len(current.detail) < _MAX_DETAIL:
                current.detail.append(stripped)
                tb.last_line = i
            else:
                break
        elif state is _State.BETWEEN:
            if not stripped:
                pass
            elif stripped in (_CAUSE, _CONTEXT):
                chain = "cause" if stripped == _CAUSE else "context"
                tb.last_line = i
            elif chain is not None and _EXC_LINE.match(stripped) and not _FRAME.match(text):
                # A chained exception printed without frames of its own.
                current = _exception(stripped, i, [], chain, depth)
                if current is None:
                    break
                tb.exceptions.append(current)
                chain, state = None, _State.AFTER_EXC
                tb.last_line = i
            else:
                break
        i += 1
    return tb if tb.exceptions else None


def _is_caret(stripped: str) -> bool:
    return bool(stripped) and set(stripped) <= set("^~ ")


def _frame(m: re.Match[str], i: int) -> Frame:
    path = m.group("file")
    return Frame(
        file=path,
        lineno=int(m.group("line")),
        function=m.group("func"),
        module=module_of(path),
        line=i,
    )


def _exception(
    stripped: str, i: int, frames: list[Frame], chain: str | None, depth: int
) -> ParsedException | None:
    m = _EXC_LINE.match(stripped)
    if not m:
        return None
    etype = m.group("type")
    return ParsedException(
        type=etype,
        message=(m.group("msg") or "").strip(),
        line=i,
        frames=list(frames),
        chain=chain,
        group_depth=depth,
        syntax=etype.rsplit(".", 1)[-1] in ("SyntaxError", "IndentationError", "TabError"),
    )


def parse_bare_syntax_error(lines: Lines, exc_line: int) -> Traceback | None:
    """A SyntaxError printed without a header (``python -c``, compileall): frame, code, caret."""
    start = exc_line
    for j in range(exc_line - 1, max(-1, exc_line - 5), -1):
        if _FRAME.match(lines[j]):
            start = j
            break
    if start == exc_line:
        return None
    m = _FRAME.match(lines[start])
    assert m is not None
    frame = _frame(m, start)
    code = [lines[j].strip() for j in range(start + 1, exc_line) if lines[j].strip()]
    frame.code = next((c for c in code if not _is_caret(c)), None)
    exc = _exception(lines[exc_line].strip(), exc_line, [frame], None, 0)
    if exc is None or not exc.syntax:
        return None
    return Traceback(first_line=start, last_line=exc_line, exceptions=[exc])
