"""The optional C helpers (kb_engine/_speedups.c) give what the Python they replace gives.

CI builds them (``.ci/run`` sets KB_REQUIRE_SPEEDUPS=1, so a failed build fails the run);
elsewhere the tests of the helpers themselves skip when the install found no C compiler.
"""

from __future__ import annotations

import os
import random
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from kb_engine import cleanup, hitbuf, load_rules, partners, prefilter, speedups, tbscan
from kb_engine.cleanup import clean_bytes

from .test_cleanup import CONFIGS, big_fuzz_inputs, fuzz_inputs, patch_limits, reference_clean_bytes

ROOT = Path(__file__).resolve().parents[2]
REQUIRED = bool(os.environ.get("KB_REQUIRE_SPEEDUPS"))
needs_c = pytest.mark.skipif(not speedups.HAVE_SPEEDUPS and not REQUIRED,
                                reason="kb_engine._speedups not built (no C compiler)")
_ANSI = re.compile(rb"\x1b(?:\[[0-9;?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")


@needs_c
def test_the_c_helpers_are_built_where_ci_requires_them() -> None:
    assert speedups.HAVE_SPEEDUPS
    assert speedups.newlines is not speedups.newlines_py
    assert hitbuf.HAVE_C_HITBUFFER and prefilter.HitBuffer is not hitbuf.HitBufferPy
    assert tbscan.HAVE_TBSCAN
    assert cleanup._ANSI_B.pattern == _ANSI.pattern  # what strip_cr_ansi spells out in C


@needs_c
def test_newlines_counts_what_bytes_count_counts() -> None:
    rng = random.Random(7)
    sizes = [0, 1, 15, 16, 17, 4079, 4080, 4081, 8161, 70_000]
    for size in sizes + [rng.randrange(20_000) for _ in range(200)]:
        data = bytes(rng.choice(b"\n\na\r\x00\xff") for _ in range(size))
        assert speedups.newlines(data) == data.count(b"\n")
        for _ in range(20):
            start = rng.randrange(-size - 5, size + 5)
            end = rng.randrange(-size - 5, size + 5)
            assert speedups.newlines(data, start, end) == data.count(b"\n", start, end), (
                size, start, end)
            assert speedups.newlines(data, start) == data.count(b"\n", start)
    every = b"\n" * 70_000  # every lane at its 255 limit, block after block
    assert speedups.newlines(every) == 70_000
    assert speedups.newlines(memoryview(every)[5:100]) == 95


def _escape_heavy(seed: int, count: int) -> Iterator[bytes]:
    pieces = [b"\x1b", b"\x1b[", b"\x1b]", b"[", b"]", b"0", b"31", b";", b"?", b" ", b"/",
              b"m", b"@", b"~", b"A", b"Z", b"\\", b"^", b"_", b"`", b"\x07", b"\r", b"\n",
              b"\r\n", b"x", b"\x7f", b"\xff", b"\x1b\\", b"\x1b[0m", b"\x1b]0;t\x07"]
    rng = random.Random(seed)
    for _ in range(count):
        yield b"".join(rng.choice(pieces) for _ in range(rng.randrange(0, 30)))


@needs_c
def test_strip_cr_ansi_equals_the_two_regex_passes() -> None:
    cases = [b"", b"\x1b", b"\x1b[", b"\x1b[31", b"\x1b]0;title", b"\x1b]0;t\x1b", b"\r",
             b"\r\r\n\n", b"a\x1b]x\r\ny\x07b", b"\x1b\x1b[0m", b"\x1b[\x1bM", b"\x1b]\x1b\\"]
    for data in [*cases, *_escape_heavy(3, 30_000)]:
        expected = _ANSI.sub(b"", re.sub(rb"\r\n?", b"\n", data))
        assert speedups.strip_cr_ansi is not None
        assert speedups.strip_cr_ansi(data) == expected, data


@needs_c
def test_cleanup_with_the_c_walk_equals_the_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    for seed, (name, config) in enumerate(CONFIGS.items()):
        with monkeypatch.context() as patch:
            patch_limits(patch, config)
            for data in fuzz_inputs(100 + seed, 3_000):
                assert clean_bytes(data) == reference_clean_bytes(data), (name, data)
    for data in big_fuzz_inputs(111, 12):
        assert clean_bytes(data) == reference_clean_bytes(data)
    storm = b"\x1b[31mred\x1b[0m\r\n" * 20_000  # where the Python walk gives up
    assert cleanup._walk_cr_ansi(storm, True, True) is None  # the Python walk gives up
    assert clean_bytes(storm) == b"red\n" * 20_000


def _one_after_the_other(data: bytes, pairs: list[tuple[bytes, bytes]]) -> bytes:
    for marker, plain in pairs:
        data = data.replace(marker, plain)
    return data


@needs_c
def test_replace_literals_equals_one_replace_after_the_other_for_cleanups_tables() -> None:
    # Entities and smart quotes, apart and as the one pass cleanup makes of them
    groups = [list(cleanup._ENTITIES_B), list(cleanup._SMART_B),
              [*cleanup._ENTITIES_B, *cleanup._SMART_B]]
    for pairs in groups:  # what makes one pass equal to the replaces, checked on the data
        markers = [m for m, _ in pairs]
        for k, (marker, plain) in enumerate(pairs):
            assert 0 < len(plain) <= len(marker) or plain == b""
            assert not any(m in plain for m in markers[k:])
            for other in markers:  # none inside another, no end of one begins another
                assert other == marker or (other not in marker and not any(
                    other.startswith(marker[i:]) for i in range(1, len(marker))))
    assert speedups.replace_literals is not None
    rng = random.Random(17)
    joins = 0
    for data in fuzz_inputs(31, 20_000):
        for pairs in groups:
            subset = [p for p in pairs if rng.random() < 0.7]  # only the markers present
            want = _one_after_the_other(data, subset)
            got = speedups.replace_literals(data, subset)
            markers = {m for m, _ in subset}
            if {cleanup._ZWSP, cleanup._BOM} <= markers and any(
                    join in data for join in cleanup._BOM_JOINS[:2]):
                # The one exception: removing a ZWSP may join a BOM that the BOM replace
                # then takes. cleanup runs those two removals apart (_bom_joins).
                joins += got != want
                continue
            assert got == want, (subset, data)
    assert joins  # the exception is real, and the fuzz makes it


@needs_c
def test_folding_case_partners_in_one_pass_equals_the_replaces(
        monkeypatch: pytest.MonkeyPatch) -> None:
    pairs = list(partners._FOLDS)
    for (marker, plain), (other, _) in zip(pairs, pairs[::-1], strict=True):
        assert marker not in other and not any(
            other.startswith(marker[i:]) for i in range(1, len(marker)))
        assert all(m not in plain for m, _ in pairs)
    rng = random.Random(5)
    cases = []
    for data in fuzz_inputs(41, 4_000):
        cut = sorted(rng.randrange(len(data) + 1) for _ in range(6))
        bits = [data[a:b] for a, b in zip([0, *cut], [*cut, len(data)], strict=True)]
        cases.append(rng.choice(pairs)[0].join(bits))  # a partner at each cut
    cases += [partners.KELVIN.encode()[:2] + partners.LONG_S.encode(), b"\xe2" * 9]
    folded = [partners.fold(data) for data in cases]
    monkeypatch.setattr(partners, "replace_literals", None)
    assert folded == [partners.fold(data) for data in cases]
    assert any(b"k" in f and partners.KELVIN.encode() not in f for f in folded)


@needs_c
def test_replace_literals_on_edges_and_bad_arguments() -> None:
    replace = speedups.replace_literals
    assert replace is not None
    pairs = [(b"&lt;", b"<"), (b"&amp;", b"&"), (b"\xe2\x80\x8b", b"")]
    cases = {b"": b"", b"&": b"&", b"&lt": b"&lt", b"&lt;": b"<", b"x&lt;": b"x<",
             b"&amp;lt;": b"&lt;", b"&&amp;;": b"&&;", b"\xe2\x80": b"\xe2\x80",
             b"a\xe2\x80\x8bb\xe2\x80\x8b": b"ab", b"&lt;" * 100_000: b"<" * 100_000}
    for data, want in cases.items():
        assert replace(data, pairs) == want
        assert replace(memoryview(data), pairs) == want
    assert replace(b"abc", []) == b"abc"
    many = [(bytes([c]) + b"#", b"") for c in range(ord("A"), ord("A") + 64)]  # 64 first bytes
    data = bytes(random.Random(5).choice(b"ABCDxyz#") for _ in range(5000))
    assert replace(data, many) == _one_after_the_other(data, many)
    assert replace(b"a&lt;", iter(pairs)) == b"a<"  # any iterable: it keeps its own tuple
    with pytest.raises(TypeError):
        replace(b"x", 3)
    with pytest.raises(ValueError, match="longer"):
        replace(b"x", [(b"x", b"xy")])
    with pytest.raises(ValueError, match="empty marker"):
        replace(b"x", [(b"", b"")])
    with pytest.raises(TypeError):
        replace(b"x", [("x", "y")])
    with pytest.raises(TypeError):
        replace(b"x", [b"xy"])
    with pytest.raises(ValueError, match="64"):
        replace(b"x", [(b"%d" % i, b"") for i in range(65)])


@needs_c
def test_present_literals_finds_what_the_marker_pass_finds() -> None:
    present = speedups.present_literals
    assert present is not None
    markers = cleanup._MARKERS
    checked = 0
    for data in [*fuzz_inputs(37, 20_000), *big_fuzz_inputs(41, 12)]:
        want = cleanup._present_markers_pass(data)
        mask = present(data, markers, len(data) + 1)  # every byte a hop at most
        assert mask == speedups.present_literals_py(data, markers, 0)
        assert mask is not None and {m for k, m in enumerate(markers) if mask >> k & 1} == want
        assert cleanup._present_markers(data) == want  # with the budget cleanup gives
        checked += bool(want)
    assert checked > 1000


@needs_c
def test_present_literals_gives_up_past_its_budget_and_cleanup_then_passes() -> None:
    present = speedups.present_literals
    assert present is not None
    box = "\u2501".encode() * 200_000  # lead byte E2 every 3 bytes, like a smart quote's
    assert present(box, cleanup._MARKERS, 10_000) is None
    assert present(box + "\u2019".encode(), (b"\xe2\x80\x99",), 10**9) == 1
    assert cleanup._present_markers(box + "\u2019".encode()) == {"\u2019".encode()}
    # Found early, a byte's search stops: the budget is not spent on the rest.
    assert present(b"\r" + b"&" * 100_000, (b"\r", b"&"), 5) == 3
    assert present(b"", (b"a",), 0) == 0
    assert present(memoryview(b"xay"), iter([b"a", b"b"]), 10) == 1
    with pytest.raises(TypeError):
        present(b"x", [b""], 10)
    with pytest.raises(TypeError):
        present(b"x", ["a"], 10)
    with pytest.raises(ValueError, match="64"):
        present(b"x", [b"%d" % i for i in range(65)], 10)


@needs_c
def test_reports_are_the_same_with_and_without_the_c_helpers(
        monkeypatch: pytest.MonkeyPatch) -> None:
    logs = sorted(ROOT.joinpath("rules").rglob("*.pos.log"))[:60]
    assert logs
    # Coloured, CRLF-ended lines with entities and smart quotes: every helper has work to
    # do in every window.
    text = b"".join(b"```python\n" + p.read_bytes().replace(b"ERROR", b"\x1b[31mERROR\x1b[0m")
                    .replace(b"'", "\u2019".encode()).replace(b"<", b"&lt;")
                    .replace(b"\n", b"\r\n") for p in logs)
    rules = load_rules()
    with_c = rules.diagnose([text], explain=True).to_dict(True)
    monkeypatch.setattr(hitbuf, "newlines", speedups.newlines_py)
    monkeypatch.setattr(prefilter, "HitBuffer", hitbuf.HitBufferPy)
    monkeypatch.setattr(speedups, "strip_cr_ansi", None)
    monkeypatch.setattr(speedups, "replace_literals", None)
    monkeypatch.setattr(speedups, "present_literals", None)
    monkeypatch.setattr(speedups, "strip_fences", None)
    assert rules.diagnose([text], explain=True).to_dict(True) == with_c
    assert text.endswith(b"\n") and with_c["input"]["lines"] == text.count(b"\n")


def test_a_kb_without_the_c_helpers_gives_the_same_report(tmp_path: Path) -> None:
    """Where the install found no compiler: the module is missing, the Python is used."""
    import json
    import subprocess
    import sys

    sample = (ROOT / "rules" / "fastapi"
              / "fastapi-dependencies.sync-db-in-async-endpoint.pos.incident.log")
    coloured = tmp_path / "coloured.log"
    coloured.write_bytes(sample.read_bytes().replace(b"\n", b"\x1b[0m\r\n"))
    code = ("import sys\n"
            "if sys.argv[1] == 'without':\n"
            "    sys.modules['kb_engine._speedups'] = sys.modules['kb_engine._hitbuf'] = None\n"
            "from kb_engine import hitbuf, speedups\n"
            "from kb_cli.main import main\n"
            "print(speedups.HAVE_SPEEDUPS or hitbuf.HAVE_C_HITBUFFER, file=sys.stderr)\n"
            "sys.exit(main(['diagnose', '--format', 'json', sys.argv[2]]))\n")
    runs = {how: subprocess.run([sys.executable, "-c", code, how, str(coloured)], cwd=ROOT,
                                capture_output=True, text=True, timeout=120,
                                env={**os.environ, "KB_CACHE_DIR": str(tmp_path / how)})
            for how in ("with", "without")}
    assert runs["without"].stderr.strip().endswith("False")
    assert runs["with"].returncode == runs["without"].returncode == 0
    assert json.loads(runs["with"].stdout) == json.loads(runs["without"].stdout)


def _random_hits(rng: random.Random, window: bytes, entries: int) -> list[tuple[int, int]]:
    # Unsorted, with repeats and ends past the window, as no real scan gives but the
    # numbering must survive; most land on a few lines, as in a dense window.
    ends = [rng.randrange(len(window) + 3) for _ in range(rng.randrange(1, 12))]
    return [(rng.choice(ends) if rng.random() < 0.7 else rng.randrange(len(window) + 3),
             rng.randrange(entries)) for _ in range(rng.randrange(0, 300))]


@needs_c
def test_the_c_hit_buffer_numbers_hits_as_the_python_does() -> None:
    rng = random.Random(11)
    for _ in range(400):
        lines = [b"x" * rng.randrange(0, 30) for _ in range(rng.randrange(1, 40))]
        window = b"\n".join(lines) + (b"\n" if rng.random() < 0.3 else b"")
        ids_of = [tuple(rng.sample(range(9), rng.randrange(0, 4))) for _ in range(7)]
        hits = _random_hits(rng, window, len(ids_of))
        start = rng.randrange(len(window) + 1)
        end = rng.choice([None, len(window), rng.randrange(start, len(window) + 1)])
        line0 = rng.randrange(5)
        # Some probes already have lines, from an earlier segment.
        seeded = {pid: {rng.randrange(8): rng.randrange(99)} for pid in rng.sample(range(9), 3)}
        got: dict[str, tuple[int, list[tuple[int, list[tuple[int, int]]]]]] = {}
        for name, cls in (("c", hitbuf.HitBuffer), ("py", hitbuf.HitBufferPy)):
            buf = cls(1 << 40)
            for to, idx in hits:
                assert buf(idx, 0, to, 0, None) is False
            cands = {pid: dict(found) for pid, found in seeded.items()}
            n = buf.number(window, ids_of, cands, line0, start, end)
            # The order of insertion too: later stages walk these dicts.
            got[name] = (n, [(pid, list(found.items())) for pid, found in cands.items()])
        assert got["c"] == got["py"]
        stop = len(window) if end is None else end
        if all(to + start <= stop for to, _ in hits):  # as a scan of window[start:end] gives
            assert got["c"][0] == window.count(b"\n", start, stop) + 1


@needs_c
def test_the_c_hit_buffer_stops_a_scan_past_its_budget_as_the_python_does() -> None:
    for cls in (hitbuf.HitBuffer, hitbuf.HitBufferPy):
        buf = cls(3)
        assert [buf(0, 0, k, 0, None) for k in range(5)] == [False, False, False, True, True]
        assert len(buf) == 5
    if prefilter.HAVE_HYPERSCAN:
        import hyperscan

        db = prefilter._compile([b"boom"], [0])
        db.scratch = hyperscan.Scratch(db)
        dense = b"boom " * 100
        assert prefilter._all_hits(db, dense, 100) is not None
        assert prefilter._all_hits(db, dense, 99) is None  # a hundred hits: past the budget
        hits = prefilter._all_hits(db, b"boom\nquiet\nboom boom", 10)
        assert hits is not None
        cands: dict[int, dict[int, int]] = {}
        assert hits.number(b"boom\nquiet\nboom boom", [(4,)], cands, 0, 0) == 3
        assert cands == {4: {0: 3, 2: 14}}  # each line's first hit, at its last byte


@needs_c
def test_the_c_hit_buffer_refuses_bad_input_as_python_would() -> None:
    buf = hitbuf.HitBuffer(10)
    with pytest.raises(TypeError):
        buf(1, 2, 3)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        buf("1", 0, 3, 0, None)  # type: ignore[arg-type]
    with pytest.raises(OverflowError):
        buf(-1, 0, 3, 0, None)
    assert buf(5, 0, 3, 0, None) is False
    for cls in (hitbuf.HitBuffer, hitbuf.HitBufferPy):
        one = cls(10)
        one(5, 0, 3, 0, None)
        with pytest.raises(IndexError):  # entry 5 of three
            one.number(b"abc", [(1,), (2,), (3,)], {}, 0, 0)
    with pytest.raises(TypeError, match="dicts"):  # C checks what Python would index
        buf.number(b"abc", [(1,)] * 6, {1: [0]}, 0, 0)  # type: ignore[dict-item]


def test_the_sdist_carries_every_file_the_c_modules_include(tmp_path: Path) -> None:
    """An sdist without a header builds neither module, silently (they are optional)."""
    import subprocess
    import sys
    import tarfile

    wanted = {f"kb_engine/{name}" for c in (ROOT / "kb_engine").glob("*.c")
              for name in re.findall(r'#include "([^"]+)"', c.read_text())}
    assert wanted == {"kb_engine/newlines.h"}
    # A fresh egg-info: setuptools would otherwise reuse the checkout's file list.
    subprocess.run([sys.executable, "setup.py", "-q", "egg_info", "--egg-base", str(tmp_path),
                    "sdist", "--dist-dir", str(tmp_path)],
                   cwd=ROOT, check=True, capture_output=True, timeout=300)
    (archive,) = tmp_path.glob("*.tar.gz")
    with tarfile.open(archive) as tar:
        shipped = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
    assert wanted | {"kb_engine/_speedups.c", "kb_engine/_hitbuf.c", "setup.py"} <= shipped


@needs_c
def test_strip_fences_equals_the_line_by_line_reference() -> None:
    from kb_engine import fences

    from .test_cleanup import _old_strip_fences

    def reference(data: bytes) -> bytes:
        return _old_strip_fences(data.decode("utf-8", "surrogateescape")).encode(
            "utf-8", "surrogateescape")

    asked: list[bytes] = []

    def decide(line: bytes) -> bool:
        asked.append(line)
        return fences._is_fence_line(line)

    helper = speedups.strip_fences
    assert helper is not None
    rng = random.Random(31)
    pieces = ["```", "```", "`", "``", "````", "py", "python3", "c++", "x-y", "_", " ", "\t",
              "\x0c", "\x1c", "\n", "\n", "\u00a0", "\u2003", "\u00e9", "\u0661", "\u3000",
              "a", "Traceback", ":", "#", "\ufffd", "\x00"]
    for _ in range(6000):
        data = "".join(rng.choice(pieces) for _ in range(rng.randrange(0, 14))).encode()
        if rng.random() < 0.1:
            data += rng.choice([b"\xff", b"\xc3", b"\xe2\x80"])
        assert helper(data, decide) == reference(data) == fences.strip_fences_b(data), data
    assert asked, "lines with a byte past ASCII where it matters went to the regex"
    for data in big_fuzz_inputs(41, 4):
        assert helper(data, decide) == reference(data)
    with pytest.raises(ZeroDivisionError):
        helper("\u00a0```\n".encode(), lambda line: 1 / 0)  # the regex's errors come out
    with pytest.raises(TypeError):
        helper(b"```", None)  # type: ignore[arg-type]
