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
from enum import Enum, auto

from .prefixes import PrefixPattern, prefix_shape
from .tbtypes import Frame, Lines, ParsedException, Traceback, module_of

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
MAX_TB_LINES = 5000
_MAX_DETAIL = 40


class _State(Enum):
    FRAMES = auto()
    AFTER_EXC = auto()
    BETWEEN = auto()
    DONE = auto()


def parse_traceback(lines: Lines, start: int) -> Traceback | None:
    """Parse the traceback whose header is on ``lines[start]`` (see parse_traceback_at)."""
    return parse_traceback_at(lines, start)[0]


def log_prefix(head: str) -> PrefixPattern | None:
    """What the parser strips from each line of the traceback headed by ``head`` (its log
    prefix, any digits); None without one, and for a group. Compiled (a ``re.Pattern``)
    only once the parser has seen the shape (kb_engine.prefixes)."""
    opening = _opening(head, count=False)
    return None if opening is None or opening[1] else opening[0]


def _opening(head: str, count: bool = True) -> tuple[PrefixPattern | None, bool] | None:
    """How a parse from ``head`` begins: the log prefix it strips from each line, and
    whether it reads an exception group; None if ``head`` is no header. A header ends its
    line, as Python prints it: the parser's loop takes a line for one only so, and a line
    with more after it (``"Traceback (most recent call last): x"`` in a blob) is no
    traceback's start."""
    text = head.rstrip()
    if not text.endswith(HEADER):
        return None
    is_group = text.endswith(GROUP_HEADER)
    raw_prefix = text[: len(text) - len(GROUP_HEADER if is_group else HEADER)]
    group_prefix = re.match(r"^(.*?)(\s*\+ )$", raw_prefix) if is_group else None
    return prefix_shape(group_prefix.group(1) if group_prefix else raw_prefix, count), is_group


def header_follows(lines: Lines, start: int) -> bool:
    """Whether the parse from the header on ``lines[start]`` ends on the next line with
    nothing: that line is a header too (a run of them). As the parser reads it: the
    prefix, if it matches, must leave the header whole."""
    if start + 1 >= len(lines):
        return False
    following = lines[start + 1].rstrip()
    if not following.endswith(HEADER):
        return False
    opening = _opening(lines[start], count=False)
    if opening is None or opening[0] is None:
        return opening is not None
    m = opening[0].match(following)
    return m is None or m.end() <= len(following) - len(HEADER)


def ends_after_exception(text: str, prefix: PrefixPattern | None = None) -> bool:
    """Whether ``text`` ends a traceback whose last line was its exception's (or a line of
    that message), when the traceback has no exception group and ``prefix`` as its log
    prefix: what the parser's AFTER_EXC state does with a line starting a new record
    (``record_end``). A line without the prefix gives False (the parser would stop there
    too, but for another reason)."""
    if prefix is not None:
        m = prefix.match(text)
        if m is None:
            return False
        text = text[m.end():]
    stripped = text.strip()
    return (bool(stripped) and not stripped.endswith(HEADER)
            and stripped not in (_CAUSE, _CONTEXT) and bool(_RECORD_START.match(stripped)))


def parse_traceback_at(lines: Lines, start: int) -> tuple[Traceback | None, int, bool]:
    """Parse the traceback whose header is on ``lines[start]``, and say where reading
    stopped: the index of the line that ended it, or -1 when the lines ran out first (or
    the header is none). The result depends on ``lines[start:stop + 1]`` alone; with
    ``record_end`` (the third value) on ``lines[start:stop]`` and on line ``stop`` only
    through ``ends_after_exception`` with the header's ``log_prefix`` (a crash loop's next
    record differs in its time). Of each line the parser reads only whether it starts
    with that prefix and what follows it.

    One pass over the lines, one line at a time: each line loses the log prefix seen on
    the header (a line without it is ``ok=False``) and, inside an exception group, its
    bars (their column gives the depth). The loop is written flat, with the regexes
    guarded by the cheap ``startswith`` tests their matches imply: a 20,000-frame
    traceback or a long chain costs a few string operations per line.

    A header read before any exception ends the parse (None): the traceback, if any,
    starts there, and is that header's to parse. Python never prints a header there; a
    log of bare headers, or of two interleaved tracebacks, does. So no header is read by
    two parses that both find nothing, and the scanner's parses read each line of a
    window about once (a header after an exception continues the traceback, whose lines
    the scanner does not parse again).
    """
    opening = _opening(lines[start])
    if opening is None:
        return None, -1, False
    prefix, is_group = opening
    prefix_match = prefix.match if prefix is not None else None
    group_depth = 1 if is_group else 0
    bar_match = _GROUP_BAR.match
    sep_match = _GROUP_SEP.match
    frame_match = _FRAME.match
    frames_state, after_exc, between = _State.FRAMES, _State.AFTER_EXC, _State.BETWEEN
    tb = Traceback(first_line=start, last_line=start)
    exceptions = tb.exceptions
    last = start
    state = frames_state
    frames: list[Frame] = []
    chain: str | None = None
    current: ParsedException | None = None
    end = min(len(lines), start + MAX_TB_LINES)
    record_end = False
    read_on = getattr(lines, "iter_from", None)  # WindowLines: no call per line
    texts = read_on(start + 1, end) if read_on else map(lines.__getitem__, range(start + 1, end))
    for i, text in enumerate(texts, start + 1):
        ok = True
        if prefix_match is not None:
            m = prefix_match(text)
            if m:
                text = text[m.end():]
            else:
                ok = False
        depth = 0
        if group_depth:
            bar = bar_match(text)
            if bar:
                depth = max(len(bar.group(1)) - 2, 0) // 2
                text = text[bar.end():]
        stripped = text.strip()
        if not ok and state is not frames_state and stripped:
            break
        if group_depth and sep_match(text):
            # A separator opens the next sub-exception of a group; frames restart.
            frames, chain, state = [], None, frames_state
            last = i
            continue
        if stripped.endswith(HEADER):
            if not exceptions:  # a header before any exception: the traceback starts there
                break
            if stripped.startswith("+") or "Exception Group" in stripped:
                group_depth += 1
            frames, state = [], frames_state
            last = i
            continue
        if state is frames_state:
            # _FRAME and _REPEATED match only lines starting so, once stripped
            if stripped.startswith('File "') and (parts := _frame_parts(text)):
                frames.append(Frame(*parts, i))
            elif (frames and stripped.startswith("[Previous line repeated")
                  and (m := _REPEATED.match(text))):
                frames[-1].repeated = int(m.group(1))
            elif text.startswith((" ", "\t")) or not stripped:
                if (frames and stripped and frames[-1].code is None
                        and stripped.strip("^~ ")):  # not a caret line
                    frames[-1].code = stripped
            else:
                current = _exception(stripped, i, frames, chain, depth)
                if current is None:
                    break
                exceptions.append(current)
                chain, state = None, after_exc
            last = i
        elif state is after_exc:
            if stripped in (_CAUSE, _CONTEXT):
                chain = "cause" if stripped == _CAUSE else "context"
                state = between
                last = i
            elif not stripped:
                state = between
            elif _RECORD_START.match(stripped):
                record_end = not group_depth  # ends_after_exception; ok is True here
                break
            elif (prefix is None and not ok) or _NOT_DETAIL.match(stripped):
                break
            elif current is not None and len(current.detail) < _MAX_DETAIL:
                current.detail.append(stripped)
                last = i
            else:
                break
        elif state is between:
            if not stripped:
                pass
            elif stripped in (_CAUSE, _CONTEXT):
                chain = "cause" if stripped == _CAUSE else "context"
                last = i
            elif chain is not None and _exc_parts(stripped)[0] and not frame_match(text):
                # A chained exception printed without frames of its own.
                current = _exception(stripped, i, [], chain, depth)
                if current is None:
                    break
                exceptions.append(current)
                chain, state = None, after_exc
                last = i
            else:
                break
    else:
        i = -1  # the lines ran out: what follows them might have changed the result
    if not exceptions:
        return None, i, False
    tb.last_line = last
    return tb, i, record_end


# What a line says, by its text: tracebacks repeat their frame and exception lines (a
# recursion, a retry loop), and a dict lookup costs less than a regex. Only short lines
# are kept, at most _MEMO_MAX of each kind (then the memo starts over).
_MEMO_MAX = 4096
_MEMO_CHARS = 512
_FrameParts = tuple[str, int, str | None, str]
_NOT_A_FRAME: _FrameParts = ("", -1, None, "")  # what the memo keeps for other lines
_frame_memo: dict[str, _FrameParts] = {}
_exc_memo: dict[str, tuple[str, str, bool]] = {}


def _frame_parts(text: str) -> _FrameParts | None:
    """(file, line number, function, module) of a ``File "...", line N`` line, or None."""
    got = _frame_memo.get(text)
    if got is None:
        m = _FRAME.match(text)
        got = _NOT_A_FRAME
        if m:
            path, lineno, func = m.group("file", "line", "func")
            got = (path, int(lineno), func, module_of(path))
        if len(text) <= _MEMO_CHARS:
            if len(_frame_memo) >= _MEMO_MAX:
                _frame_memo.clear()
            _frame_memo[text] = got
    return None if got is _NOT_A_FRAME else got


def _exc_parts(stripped: str) -> tuple[str, str, bool]:
    """(type, message, is a syntax error) of a ``Type: message`` line; type "" if it is not."""
    got = _exc_memo.get(stripped)
    if got is not None:
        return got
    m = _EXC_LINE.match(stripped)
    if m:
        etype = m.group("type")
        got = (etype, (m.group("msg") or "").strip(),
               etype.rsplit(".", 1)[-1] in ("SyntaxError", "IndentationError", "TabError"))
    else:
        got = ("", "", False)
    if len(stripped) <= _MEMO_CHARS:
        if len(_exc_memo) >= _MEMO_MAX:
            _exc_memo.clear()
        _exc_memo[stripped] = got
    return got


def _exception(
    stripped: str, i: int, frames: list[Frame], chain: str | None, depth: int
) -> ParsedException | None:
    etype, message, syntax = _exc_parts(stripped)
    if not etype:
        return None
    # ParsedException(type, message, line, frames, detail, chain, group_depth, syntax)
    return ParsedException(etype, message, i, list(frames), [], chain, depth, syntax)


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
    path, lineno, func = m.group("file", "line", "func")
    code = [lines[j].strip() for j in range(start + 1, exc_line) if lines[j].strip()]
    frame = Frame(path, int(lineno), func, module_of(path), start,
                  next((c for c in code if c.strip("^~ ")), None))  # the first not a caret
    exc = _exception(lines[exc_line].strip(), exc_line, [frame], None, 0)
    if exc is None or not exc.syntax:
        return None
    return Traceback(first_line=start, last_line=exc_line, exceptions=[exc])
