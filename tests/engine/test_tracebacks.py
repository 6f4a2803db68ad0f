"""The traceback state machine, fed with what real CPython prints."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from kb_engine.tbtypes import module_of
from kb_engine.tracebacks import parse_bare_syntax_error, parse_traceback


def run_python(code: str) -> list[str]:
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode != 0
    return proc.stderr.rstrip("\n").split("\n")


def test_chained_cause_and_context() -> None:
    lines = run_python("""
        def load():
            raise KeyError("DATABASE_URL")
        try:
            load()
        except KeyError as e:
            try:
                raise RuntimeError("config broken") from e
            except RuntimeError:
                raise ValueError("giving up\\nsecond line")
    """)
    tb = parse_traceback(lines, 0)
    assert tb is not None
    assert [e.type for e in tb.exceptions] == ["KeyError", "RuntimeError", "ValueError"]
    assert [e.chain for e in tb.exceptions] == [None, "cause", "context"]
    assert tb.final is not None and tb.final.type == "ValueError"
    assert tb.final.detail == ["second line"]
    assert tb.exceptions[0].frames[-1].function == "load"
    assert tb.last_line == len(lines) - 1


def test_exception_group_tree_depths() -> None:
    lines = run_python("""
        raise ExceptionGroup("many", [ValueError("a"),
                              ExceptionGroup("inner", [OSError("c")])])
    """)
    tb = parse_traceback(lines, 0)
    assert tb is not None
    got = [(e.type, e.group_depth) for e in tb.exceptions]
    assert got == [("ExceptionGroup", 0), ("ValueError", 1), ("ExceptionGroup", 1),
                   ("OSError", 2)]
    assert tb.final is not None and tb.final.type == "ExceptionGroup"


def test_repeated_frames_are_counted() -> None:
    lines = run_python("def r(): r()\nr()")
    tb = parse_traceback(lines, 0)
    assert tb is not None and tb.final is not None
    assert tb.final.type == "RecursionError"
    assert max(f.repeated for f in tb.final.frames) > 900


def test_syntax_error_with_caret_and_without_header() -> None:
    lines = run_python("x = (1 +")
    exc_line = next(i for i, ln in enumerate(lines) if ln.startswith("SyntaxError"))
    tb = parse_bare_syntax_error(lines, exc_line)
    assert tb is not None and tb.final is not None
    assert tb.final.syntax and tb.final.message == "'(' was never closed"
    assert tb.final.frames[0].code == "x = (1 +"


@pytest.mark.parametrize("prefix", [
    "web-1  | ",
    "api_1      | ",
    "2026-11-27 10:00:{n:02d},123 ERROR [app] ",
    "Nov 27 10:00:{n:02d} host app[{n}]: ",
])
def test_every_line_carries_a_log_prefix(prefix: str) -> None:
    raw = run_python("import json\njson.loads('{bad')")
    lines = [prefix.format(n=i) + ln for i, ln in enumerate(raw)] + [
        prefix.format(n=59) + "INFO next request"]
    tb = parse_traceback(lines, 0)
    assert tb is not None and tb.final is not None
    assert tb.final.type == "json.decoder.JSONDecodeError"
    assert tb.final.message.startswith("Expecting property name enclosed in double quotes")
    assert tb.last_line == len(lines) - 2  # the next record is not part of the traceback
    assert any(f.module == "json.decoder" for f in tb.final.frames)


@pytest.mark.parametrize(("path", "module"), [
    ("/usr/local/lib/python3.11/site-packages/sqlalchemy/pool/base.py", "sqlalchemy.pool.base"),
    ("/usr/lib/python3/dist-packages/requests/__init__.py", "requests"),
    ("/root/.pyenv/versions/3.11.7/lib/python3.11/asyncio/runners.py", "asyncio.runners"),
    ("<frozen os>", "<frozen os>"),
])
def test_module_names_from_paths(path: str, module: str) -> None:
    assert module_of(path) == module


def _chain(n: int) -> list[str]:
    out = []
    for k in range(n):
        out += ["Traceback (most recent call last):",
                f'  File "/app/orders/retry.py", line {k + 1}, in attempt_{k}', "    return send()",
                f"orders.exceptions.RetryError: attempt {k}", "",
                "During handling of the above exception, another exception occurred:", ""]
    return [*out[:-3], "ERROR " * 150 + "== " * 40]


def test_a_long_chain_and_a_huge_traceback() -> None:
    lines = _chain(80)
    tb = parse_traceback(lines, 0)
    assert tb is not None and len(tb.exceptions) == 80
    assert [e.chain for e in tb.exceptions] == [None] + ["context"] * 79
    assert tb.last_line == len(lines) - 2
    assert all(e.frames[0].code == "return send()" for e in tb.exceptions)
    huge = ["Traceback (most recent call last):"]
    for k in range(20_000):
        huge += [f'  File "/app/walk.py", line {k % 97 + 1}, in walk_{k % 13}', "    return walk()"]
    assert parse_traceback([*huge, "RecursionError: too deep"], 0) is None  # past 5,000 lines
    short = parse_traceback([*huge[:4001], "RecursionError: too deep"], 0)
    assert short is not None and short.final is not None and len(short.final.frames) == 2000


def test_window_lines_parse_as_a_list_does() -> None:
    from kb_engine.windows import WindowLines

    texts = [*_chain(30), "", *run_python("def r(): r()\nr()"), "INFO next",
             *run_python("raise ExceptionGroup('g', [ValueError('a'), OSError('b')])"),
             "Traceback (most recent call last):", "bad \udcff bytes", "x" * 70_000]
    window = "\n".join(texts).encode("utf-8", "surrogateescape")
    lines = WindowLines(window)
    as_list = window.decode("utf-8", "replace").split("\n")
    for i, text in enumerate(as_list):
        if text.endswith("(most recent call last):"):
            assert parse_traceback(lines, i) == parse_traceback(as_list, i), i


def test_remembered_frames_and_exceptions_are_fresh_objects(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from kb_engine import tracebacks

    lines = _chain(10)
    first = parse_traceback(lines, 0)
    assert first is not None
    first.exceptions[0].frames[0].code = "changed"
    first.exceptions[0].detail.append("changed")
    again = parse_traceback(lines, 0)
    assert again is not None and again.exceptions[0].frames[0].code == "return send()"
    assert again.exceptions[0].detail == []
    monkeypatch.setattr(tracebacks, "_frame_memo", {})
    monkeypatch.setattr(tracebacks, "_exc_memo", {})
    monkeypatch.setattr(tracebacks, "_MEMO_MAX", 2)  # the memos start over: same answers
    assert parse_traceback(lines, 0) == again
    assert len(tracebacks._frame_memo) <= 2 and len(tracebacks._exc_memo) <= 2


def test_module_of_cuts_where_the_path_regexes_cut_in_linear_time() -> None:
    import random
    import re

    site = re.compile(r".*/(?:site-packages|dist-packages)/")
    stdlib = re.compile(r".*/lib/python\d\.\d+/")

    def reference(path: str) -> str:  # module_of as it was, with the regexes
        p = path.replace("\\", "/")
        stripped = site.sub("", p, count=1)
        if stripped == p:
            stripped = stdlib.sub("", p, count=1)
        if stripped == p:
            stripped = p.lstrip("./")
            if stripped.startswith("/"):
                stripped = stripped.rsplit("/", 1)[-1]
        if stripped.endswith(".py"):
            stripped = stripped[:-3]
        if stripped.endswith("/__init__"):
            stripped = stripped[: -len("/__init__")]
        return stripped.strip("/").replace("/", ".")

    pieces = ["/site-packages/", "/dist-packages/", "/lib/python3.11/", "/lib/python3.",
              "/lib/python/", "/lib/python3.1/lib/python3.11/", "\\", "./", "app", "/", "1",
              "__init__", ".py", "site-packages", "\n", "é"]
    rng = random.Random(4)
    for _ in range(20_000):
        path = "".join(rng.choice(pieces) for _ in range(rng.randrange(1, 9)))
        assert module_of(path) == reference(path), repr(path)
    # a 64 KiB path without the needles: the regexes took about 6 s on it
    long = "/app/" + "a" * 65_000 + ".py"
    assert module_of(long) == "app." + "a" * 65_000
