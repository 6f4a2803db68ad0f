"""Code fences out of pasted text: a fence line becomes an empty line (so evidence line
numbers still point at the user's input), any other fence is cut out. Slack keeps text on a
fence line (```Traceback (most ...)```), so a fence inside a line only loses its backticks.
"""

from __future__ import annotations

import re

from . import speedups

_FENCE_LINE = re.compile(r"^\s*```[\w+-]*\s*$")


def _strip_fences(text: str) -> str:
    out = []
    for line in text.split("\n"):
        if "```" not in line:
            out.append(line)
        elif _FENCE_LINE.match(line):
            out.append("")
        else:
            # Slack keeps text on the fence line: ```Traceback (most ...)```
            out.append(line.replace("```", ""))
    return "\n".join(out)


# Fences are found one by one (a few per window); past this many the window's lines go
# through _strip_fences a block at a time.
_FENCE_LIMIT = 4096
_FENCE_BLOCK = 256 * 1024
# What str's \s matches in ASCII: on a fence line only these (or non-ASCII whitespace) come
# before the first fence, so any other byte there spares decoding the line.
_ASCII_SPACE = frozenset(b" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f")


def strip_fences(data: bytes) -> bytes:
    """``_strip_fences`` on the text of ``data``: in one C pass where the helper is built
    (``speedups.strip_fences``; the lines whose bytes cannot decide come back to
    ``_is_fence_line``), else ``strip_fences_b``."""
    helper = speedups.strip_fences
    return strip_fences_b(data) if helper is None else helper(data, _is_fence_line)


def _is_fence_line(line: bytes) -> bool:
    return _FENCE_LINE.match(line.decode("utf-8", "surrogateescape")) is not None


def strip_fences_b(data: bytes) -> bytes:
    """``_strip_fences`` on the UTF-8 (surrogateescape) text of ``data``, visiting only the
    fences and their lines: a fence line becomes empty, any other fence is cut out. A line
    decodes the same alone as within the window (no UTF-8 sequence holds a newline), and
    cutting the ASCII fence out of the text cuts it out of the bytes."""
    out: list[bytes | memoryview] = []
    view = memoryview(data)
    find = data.find
    size = len(data)
    prev = 0  # data[:prev] is done
    line_end = -1  # end of the line of the last fence, known not to be a fence line
    pos = find(b"```")
    for _ in range(_FENCE_LIMIT):
        if pos < 0:
            out.append(view[prev:])
            return b"".join(out)
        if pos > line_end:  # the first fence of its line
            start = data.rfind(b"\n", prev, pos) + 1
            end = find(b"\n", pos)
            if end < 0:
                end = size
            if ((pos == start or data[pos - 1] in _ASCII_SPACE or data[pos - 1] >= 0x80)
                    and _FENCE_LINE.match(data[start:end].decode("utf-8", "surrogateescape"))):
                out.append(view[prev:start])
                prev = end
                pos = find(b"```", end)
                continue
            line_end = end
        out.append(view[prev:pos])
        prev = pos + 3
        pos = find(b"```", prev)
    # A fence storm: finish the current line, then the rest of the window (from a newline
    # on) goes through _strip_fences a block of whole lines at a time.
    if prev <= line_end:
        out.append(data[prev:line_end].replace(b"```", b""))
        prev = line_end
    while prev < size:
        cut = find(b"\n", prev + _FENCE_BLOCK)
        if cut < 0:
            cut = size
        out.append(_strip_fences(data[prev:cut].decode("utf-8", "surrogateescape")).encode(
            "utf-8", "surrogateescape"))
        prev = cut
    return b"".join(out)
