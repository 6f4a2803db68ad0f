"""What a parsed traceback is: its exceptions and their frames (``kb_engine.tracebacks``
builds them), and the dotted module a frame's file names."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Protocol

from .record import Record

_SITE = re.compile(r".*/(?:site-packages|dist-packages)/")
_STDLIB = re.compile(r".*/lib/python\d\.\d+/")
_STDLIB_AT = re.compile(r"/lib/python\d\.\d+/")
_CACHED_CHARS = 512


class Lines(Protocol):
    """Indexable lines: a list, or the matcher's lazily decoded window."""

    def __getitem__(self, index: int, /) -> str: ...

    def __len__(self) -> int: ...


class Frame(Record):
    file: str
    lineno: int | None
    function: str | None
    module: str
    line: int  # index of the "File ..." line in the input (0-based)
    code: str | None
    repeated: int

    def __init__(self, file: str, lineno: int | None, function: str | None, module: str,
                 line: int, code: str | None = None, repeated: int = 0) -> None:
        self.file = file
        self.lineno = lineno
        self.function = function
        self.module = module
        self.line = line
        self.code = code
        self.repeated = repeated


class ParsedException(Record):
    type: str
    message: str
    line: int  # 0-based input line of the "Type: message" line
    frames: list[Frame]
    detail: list[str]
    chain: str | None  # "cause" / "context": how it links to the previous one
    group_depth: int
    syntax: bool

    def __init__(self, type: str, message: str, line: int, frames: list[Frame] | None = None,
                 detail: list[str] | None = None, chain: str | None = None,
                 group_depth: int = 0, syntax: bool = False) -> None:
        self.type = type
        self.message = message
        self.line = line
        self.frames = [] if frames is None else frames
        self.detail = [] if detail is None else detail
        self.chain = chain
        self.group_depth = group_depth
        self.syntax = syntax

    @property
    def full_message(self) -> str:
        if self.detail:
            return self.message + "\n" + "\n".join(self.detail)
        return self.message


class Traceback(Record):
    first_line: int
    last_line: int
    exceptions: list[ParsedException]

    def __init__(self, first_line: int, last_line: int,
                 exceptions: list[ParsedException] | None = None) -> None:
        self.first_line = first_line
        self.last_line = last_line
        self.exceptions = [] if exceptions is None else exceptions

    @property
    def final(self) -> ParsedException | None:
        top = [e for e in self.exceptions if e.group_depth == 0]
        return top[-1] if top else (self.exceptions[-1] if self.exceptions else None)

    @property
    def frames(self) -> list[Frame]:
        return [f for e in self.exceptions for f in e.frames]


def module_of(path: str) -> str:
    """Dotted module name for a source path: ``.../site-packages/a/b.py`` -> ``a.b``."""
    # The same few files recur in every traceback of a log; a 64 KiB path is not kept.
    return _module_of_short(path) if len(path) <= _CACHED_CHARS else _module_of(path)


@lru_cache(maxsize=4096)
def _module_of_short(path: str) -> str:
    return _module_of(path)


def _module_of(path: str) -> str:
    p = path.replace("\\", "/")
    if "\n" in p:  # "." stops at a newline (never in a parsed path): the regexes decide
        stripped = _SITE.sub("", p, count=1)
        if stripped == p:
            stripped = _STDLIB.sub("", p, count=1)
    else:
        cut = _after_site(p)
        if cut < 0:
            cut = _after_stdlib(p)
        stripped = p if cut < 0 else p[cut:]
    if stripped == p:
        stripped = p.lstrip("./")
        if stripped.startswith("/"):
            stripped = stripped.rsplit("/", 1)[-1]
    if stripped.endswith(".py"):
        stripped = stripped[:-3]
    if stripped.endswith("/__init__"):
        stripped = stripped[: -len("/__init__")]
    return stripped.strip("/").replace("/", ".")


# What _SITE.sub("", p, count=1) and _STDLIB's would cut: up to the end of the last
# match. The regexes themselves (".*" then a needle) take time growing with the square of
# a path without the needle: 96 ms for 8,000 characters, about 6 s for a 64 KiB one.
def _after_site(p: str) -> int:
    found = max(p.rfind("/site-packages/"), p.rfind("/dist-packages/"))
    return -1 if found < 0 else found + len("/site-packages/")  # both 15 characters


def _after_stdlib(p: str) -> int:
    end = len(p)
    while (at := p.rfind("/lib/python", 0, end)) >= 0:  # the last that matches wins
        m = _STDLIB_AT.match(p, at)
        if m is not None:
            return m.end()
        end = at + len("/lib/python") - 1
    return -1


__all__ = ["Frame", "Lines", "ParsedException", "Traceback", "module_of"]
