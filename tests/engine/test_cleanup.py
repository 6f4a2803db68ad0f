"""Cleanup: what it undoes, and that its fast paths give exactly what the plain version gives.

``reference_clean_bytes`` below is cleanup as it was before the bulk paths (commit be8e17f)
in its plainest form: every step one after the other, each over the whole window.
``clean_bytes`` must equal it on every input: the logs in the repository, the adversarial
benchmark windows, and seeded fuzz (at the real limits, and with limits so small that every
bulk path runs on short strings); mutants of the fast paths must fail that fuzz.

These tests exercise the Python walk of CRs and escapes and the Python replaces (an
autouse fixture turns the C helpers off); ``test_speedups.py`` holds the C helpers to the
same reference. The fuzz helpers are imported from here by that module and by a fresh
process below.
"""

from __future__ import annotations

import random
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kb_engine import cleanup, fences, speedups
from kb_engine.cleanup import clean_bytes, clean_text

ROOT = Path(__file__).resolve().parents[2]
ADV_LOGS = ROOT / "bench" / "data" / "logs"

@pytest.fixture(autouse=True)
def _python_walk(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests are about the Python walk and its storm paths: the C helper that takes
    their place when built is compared with the same reference in test_speedups.py."""
    monkeypatch.setattr(speedups, "strip_cr_ansi", None)
    monkeypatch.setattr(speedups, "replace_literals", None)
    monkeypatch.setattr(speedups, "strip_fences", None)


# What cleanup does to CRs: a CRLF or a lone CR ends a line (the reference for the tests).
CR = re.compile(rb"\r\n?")

# -- the reference: kb_engine/cleanup.py as of be8e17f, plain, names prefixed --------------
# Every step one after the other, each replace over the whole window, each step run when
# its marker occurs in the window as given (not as the earlier steps left it).
_OLD_FENCE_LINE = re.compile(r"^\s*```[\w+-]*\s*$")
_OLD_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&#39;", "'"), ("&amp;", "&"))


def _old_strip_fences(text: str) -> str:
    out = []
    for line in text.split("\n"):
        if "```" not in line:
            out.append(line)
        elif _OLD_FENCE_LINE.match(line):
            out.append("")
        else:
            # Slack keeps text on the fence line: ```Traceback (most ...)```
            out.append(line.replace("```", ""))
    return "\n".join(out)


# One literal \x1b prefix lets the regex engine skip ahead between escapes.
_OLD_ANSI_B = re.compile(rb"\x1b(?:\[[0-9;?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")
_OLD_SLACK_LINK_B = re.compile(rb"<((?:https?|mailto|ftp)://[^|>\s]+|mailto:[^|>\s]+)(?:\|[^>]*)?>")
_OLD_ENTITIES_B = tuple((a.encode(), b.encode()) for a, b in _OLD_ENTITIES)
_OLD_SMART_B = tuple((k.encode(), v.encode()) for k, v in (
    ("\u2018", "'"), ("\u2019", "'"), ("\u201a", "'"), ("\u201b", "'"), ("\u201c", '"'),
    ("\u201d", '"'), ("\u201e", '"'), ("\u201f", '"'), ("\u2032", "'"), ("\u2033", '"'),
    ("\u00a0", " "), ("\u2007", " "), ("\u202f", " "), ("\u200b", ""), ("\ufeff", ""),
))


_OLD_MARKERS: tuple[bytes, ...] = (
    b"\r", b"\x1b", b"<http", b"<ftp:", b"<mailto:", b"```",
    *(entity for entity, _ in _OLD_ENTITIES_B), *(smart for smart, _ in _OLD_SMART_B),
)


def reference_clean_bytes(data: bytes) -> bytes:
    """Cleanup as be8e17f defined it, without its fast paths: the markers present in the
    window as given decide the steps; CRs and escapes by the two regex passes (what its
    walk and its storm path both equalled)."""
    found = {m for m in _OLD_MARKERS if m in data}
    if not found:
        return data
    data = _OLD_ANSI_B.sub(b"", CR.sub(b"\n", data))  # no-ops without CRs and escapes
    for entity, char in _OLD_ENTITIES_B:
        if entity in found:
            data = data.replace(entity, char)
    if found & {b"<http", b"<ftp:", b"<mailto:"}:
        data = _OLD_SLACK_LINK_B.sub(rb"\1", data)
    for smart, plain in _OLD_SMART_B:
        if smart in found:
            data = data.replace(smart, plain)
    if b"```" in found:
        data = _old_strip_fences(data.decode("utf-8", "surrogateescape")).encode(
            "utf-8", "surrogateescape")
    return data


# -- fuzz inputs ------------------------------------------------------------------------------
_ZWSP, _BOM = "\u200b".encode(), "\ufeff".encode()
# Families of pieces; a fuzz string draws from one to three of them, so the pieces that make
# a corner together (EF + ZWSP + BB BF, an escape inside an entity, ...) meet often.
_FAMILIES: tuple[tuple[bytes, ...], ...] = (
    (b"\r", b"\n", b"\r\n", b"\x1b", b"\x1b[", b"\x1b[31m", b"\x1b[0m", b"\x1b[1;2H", b"[",
     b"m", b"31", b";", b"\x07", b"\x1b]0;title\x07", b"\x1b]t\x1b\\", b"\x1b]", b"\x1b\\",
     b"\x1bM", b"\x1b[?25l", b"\x1b[ q"),
    (b"&lt;", b"&gt;", b"&quot;", b"&#39;", b"&amp;", b"&", b"amp;", b"lt;", b"&l", b"t;",
     b"&amp;lt;", b"&#", b"39;", b"quot;", b"\x1b[0m"),
    (b"<https://x.io/a", b"<http://h", b"|label", b"|", b">", b"<", b"<mailto:a@b.c",
     b"mailto:", b"<ftp://h", b"https://y", b" ", b"&lt;", b"&gt;", b"\xef", b"\xe2\x80",
     b"\xbb\xbf", _ZWSP, _BOM),
    (*(smart for smart, _ in _OLD_SMART_B), b"\xe2", b"\xe2\x80", b"\x80", b"\x98", b"\x9d",
     b"\x8b", b"\xc2", b"\xa0", b"\xe2\x80\x8d", "\u2028".encode(), b"a"),
    (b"\xef", b"\xef\xbb", b"\xbb", b"\xbf", b"\xbb\xbf", _ZWSP, _BOM, b"\x1b[0m", b"\x1b",
     b"x"),
    (b"```", b"`", b"``", b"```py", b"```c++", b" ", b"\t", b"\n", b"\x0c", b"\x1c",
     "\u2003".encode(), b"\xc2\x85", b"\xc2\xa0", b"python", b"x y", b"\xff", b"\xe2"),
    (b"\xff", b"\xfe", b"\x00", b"\xc0", b"\xc1", b"\xf8", b"\xe2\x28\xa1", b"\xed\xa0\x80",
     b"\xf0\x9f\x94\xa5", b"\xcc\x81", b"\x7f"),
    (b"plain ", b"text", b"ERROR", b"Traceback (most recent call last):", b"\n", b"  ",
     b"0123456789"),
)


def fuzz_inputs(seed: int, count: int, max_pieces: int = 40) -> Iterator[bytes]:
    rng = random.Random(seed)
    for _ in range(count):
        pool = [p for fam in rng.sample(_FAMILIES, rng.randint(1, 3)) for p in fam]
        yield b"".join(rng.choice(pool) for _ in range(rng.randint(0, max_pieces)))


def big_fuzz_inputs(seed: int, count: int) -> Iterator[bytes]:
    """Windows of 150-400 KB: plain text with markers at mixed densities, so the real
    sampling limits choose sometimes the grouped regex, sometimes the searches."""
    rng = random.Random(seed)
    markers = [p for fam in _FAMILIES[:7] for p in fam]
    for _ in range(count):
        chosen = rng.sample(markers, rng.randint(2, 12))
        weights = [rng.choice((0.0005, 0.002, 0.01, 0.05)) for _ in chosen]
        parts: list[bytes] = []
        size, target = 0, rng.randint(150_000, 400_000)
        while size < target:
            piece = rng.choices(chosen, weights)[0] if rng.random() < sum(weights) else (
                rng.choice((b"word ", b"line\n", b"x", b"  ", b"0.5")))
            parts.append(piece)
            size += len(piece)
        yield b"".join(parts)


def _first_difference(inputs: Iterator[bytes],
                      clean: Callable[[bytes], bytes] = clean_bytes) -> bytes | None:
    for data in inputs:
        if clean(data) != reference_clean_bytes(data):
            return data
    return None


# Every bulk path on short strings: walks give up at once, escape and map blocks of a few
# bytes, fence walks of two fences, the sample and the sparse bar tiny.
TINY = {"_WALK_LIMIT": 8, "_WALK_PROBE": 2, "_ANSI_BLOCK": 7, "_FENCE_LIMIT": 2,
        "_FENCE_BLOCK": 5, "_SAMPLE": 4, "_SAMPLES": 2, "_SPARSE": 2, "_MAP_BLOCK": 6,
        "_MAP_DENSE": 1000}
CONFIGS = {
    "real limits": {},
    "tiny limits": TINY,
    "tiny limits, dense map blocks": {**TINY, "_MAP_DENSE": 1},
    "tiny limits, no filler byte": {**TINY, "_FILLERS": ()},
    "tiny limits, no Hyperscan": {**TINY, "_no_hyperscan": True},
}


def patch_limits(patch: pytest.MonkeyPatch, config: dict[str, object]) -> None:
    """Set each limit of ``config`` in the module that holds it (fences has its own)."""
    for attr, value in config.items():
        patch.setattr(fences if hasattr(fences, attr) else cleanup, attr, value)


# -- behaviour --------------------------------------------------------------------------------
def test_slack_paste_is_restored_without_shifting_lines() -> None:
    pasted = (
        "```Traceback (most recent call last):\n"
        "  File \u201c/app/main.py\u201d, line 3, in &lt;module&gt;\n"
        "ValueError: a &amp; b```\r\n"
        "```\n"
        "see <https://example.invalid/x|https://example.invalid/x>\n"
    )
    out = clean_text(pasted)
    lines = out.split("\n")
    assert lines[0] == "Traceback (most recent call last):"
    assert lines[1] == '  File "/app/main.py", line 3, in <module>'
    assert lines[2] == "ValueError: a & b"
    assert lines[3] == ""  # a fence line becomes empty, so line numbers still match the paste
    assert lines[4] == "see https://example.invalid/x"
    assert len(lines) == len(pasted.replace("\r\n", "\n").split("\n"))


def test_ansi_colours_and_bare_cr_are_removed() -> None:
    assert clean_text("\x1b[31mERROR\x1b[0m boom\rnext") == "ERROR boom\nnext"


def test_python_reprs_in_angle_brackets_are_kept() -> None:
    text = "<Task pending name='Task-1' coro=<main() running at /app/x.py:3>>"
    assert clean_text(text) == text


def test_walking_cr_and_escapes_equals_the_two_regex_passes() -> None:
    alphabet = [b"\r", b"\n", b"\x1b", b"[", b"]", b"3", b";", b"m", b"\x07", b"\\", b"a",
                b"?", b" ", b"P", b"~"]
    rng = random.Random(6)
    for _ in range(20_000):
        s = b"".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14)))
        expected = cleanup._ANSI_B.sub(b"", CR.sub(b"\n", s))
        assert cleanup._walk_cr_ansi(s, b"\r" in s, b"\x1b" in s) == expected, s


def test_an_escape_storm_takes_the_regex_passes_with_the_same_result() -> None:
    storm = b"\x1b[31mred\x1b[0m\r\n" * (cleanup._WALK_LIMIT + 10)
    assert cleanup._walk_cr_ansi(storm, True, True) is None
    assert cleanup.clean_bytes(storm) == b"red\n" * (cleanup._WALK_LIMIT + 10)


def test_a_dense_start_gives_up_the_walk_early() -> None:
    dense = b"\x1b[1mx" * (cleanup._WALK_PROBE + 1) + b"plain\n" * 10_000
    assert cleanup._walk_cr_ansi(dense, False, True) is None
    sparse = (b"\x1b[1mx" + b"plain\n" * 20) * (cleanup._WALK_PROBE + 10)
    assert cleanup._walk_cr_ansi(sparse, False, True) == sparse.replace(b"\x1b[1m", b"")


def test_escape_storms_are_stripped_block_by_block_with_the_same_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(cleanup, "_ANSI_BLOCK", 7)  # many cuts, even inside short strings
    alphabet = [b"\x1b", b"[", b"]", b"3", b";", b"m", b"\x07", b"\\", b"a", b"\n", b"?",
                b"\x1b[0m", b"\x1b[31m"]
    rng = random.Random(8)
    for _ in range(20_000):
        s = b"".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert cleanup._strip_ansi_in_blocks(s) == cleanup._ANSI_B.sub(b"", s), s


def test_runs_of_csi_sequences_are_taken_eight_at_a_time() -> None:
    seqs = [b"\x1b[31m", b"\x1b[1m", b"\x1b[0m"] * 5
    run = b"".join(seqs)
    assert [m.group() for m in cleanup._CSI_RUN_B.finditer(b"a" + run + b"b")] == [
        b"".join(seqs[:8]), b"".join(seqs[8:])]
    assert cleanup._strip_ansi_in_blocks(b"a" + run + b"\x1b]t\x07b") == b"ab"


def test_a_storm_of_lone_crs_becomes_lines() -> None:
    storm = b"7%\r" * (cleanup._WALK_LIMIT * 3) + b"done\r\n"
    assert cleanup.clean_bytes(storm) == CR.sub(b"\n", storm)


def test_removing_a_zwsp_that_joins_a_bom_removes_the_bom_as_before() -> None:
    # EF ZWSP BB BF: the ZWSP replace joins a BOM, which the BOM replace (there is another
    # BOM) then takes. Removing both in one pass would keep the joined one.
    data = b"\xef" + _ZWSP + b"\xbb\xbf" + _BOM + b" \xe2\x80\x98 &lt;"
    assert reference_clean_bytes(data) == b" ' <"
    assert clean_bytes(data) == b" ' <"
    # and when the escapes (or a Slack link) make the EF meet the ZWSP
    for data in (b"\xef\x1b[0m" + _ZWSP + b"\xbb\xbf" + _BOM + b"&lt;\xe2\x80\x98",
                 b"<http://a\xef|x>" + _ZWSP + b"\xbb\xbf" + _BOM + b"&lt;\xe2\x80\x98"):
        assert clean_bytes(data) == reference_clean_bytes(data)
        assert b"\xef\xbb\xbf" not in clean_bytes(data)


def test_a_marker_holds_its_first_byte_nowhere_else_nor_starts_another() -> None:
    # _replace_group cuts its blocks before that byte, so no marker spans a cut, and its
    # regex takes at a position the one marker a replace would.
    for marker in cleanup._LITERAL_MARKERS:
        assert marker[:1] not in marker[1:], marker
        assert not any(m != marker and m.startswith(marker)
                       for m in cleanup._LITERAL_MARKERS), marker


def test_fence_lines_are_recognised_with_unicode_spaces_and_words() -> None:
    data = ("\u2003```py\u00e9\u2003\n \t```\nx```y\n\x1c```c++ \n```` \n\u00e9```\n"
            "```\u2028```\n").encode()
    assert clean_bytes(data) == reference_clean_bytes(data)
    assert clean_bytes(data).split(b"\n")[:3] == [b"", b"", b"xy"]


# -- the fast paths equal the reference -------------------------------------------------------
def _repo_logs() -> list[Path]:
    logs = sorted({*ROOT.joinpath("rules").rglob("*.log"),
                   *ROOT.joinpath("tests", "fixtures").rglob("*.log")})
    assert len(logs) > 100
    return logs


def test_equals_the_reference_on_every_log_in_the_repository() -> None:
    for path in _repo_logs():
        data = path.read_bytes()
        assert clean_bytes(data) == reference_clean_bytes(data), path


def _windows(data: bytes, size: int) -> Iterator[bytes]:
    start = 0
    while start < len(data):
        cut = data.rfind(b"\n", start, start + size)
        cut = len(data) if cut <= start or start + size >= len(data) else cut
        yield data[start:cut]
        start = cut + 1


def test_equals_the_reference_on_the_adversarial_benchmark_logs() -> None:
    paths = [ADV_LOGS / name for name in ("adv-chars-1m.log", "mixed-1m.log")]
    if not paths[0].exists():
        pytest.skip("bench/data/logs/adv-chars-1m.log not generated (python bench/run.py)")
    for path in paths:
        if not path.exists():
            continue
        data = path.read_bytes()
        for size in (len(data), 256 * 1024, 37_000):
            for window in _windows(data, size):
                assert clean_bytes(window) == reference_clean_bytes(window), (path, size)


def test_equals_the_reference_on_fuzz(monkeypatch: pytest.MonkeyPatch) -> None:
    for seed, (name, config) in enumerate(CONFIGS.items()):
        with monkeypatch.context() as patch:
            patch_limits(patch, config)
            for data in fuzz_inputs(seed, 6_000):
                assert clean_bytes(data) == reference_clean_bytes(data), (name, data)


def test_equals_the_reference_on_big_fuzz_windows() -> None:
    for data in big_fuzz_inputs(11, 24):
        assert clean_bytes(data) == reference_clean_bytes(data)


def test_equals_the_reference_without_hyperscan_in_a_fresh_process() -> None:
    """The import guard itself: no Hyperscan module at all, windows of the fuzz."""
    import subprocess

    code = (
        "import sys; sys.modules['hyperscan'] = None\n"
        "from tests.engine.test_cleanup import fuzz_inputs, big_fuzz_inputs, "
        "reference_clean_bytes\n"
        "from kb_engine import cleanup\n"
        "bad = [d for d in [*fuzz_inputs(21, 3000), *big_fuzz_inputs(22, 3)] "
        "if cleanup.clean_bytes(d) != reference_clean_bytes(d)]\n"
        "assert cleanup._no_hyperscan and cleanup._marker_db is None\n"
        "print(len(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "0", out.stderr


def test_the_fuzz_catches_each_shortcut_taken_too_far(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each mutation drops one condition the fast paths rely on; the same fuzz must then
    find an input where the result differs from the reference (else it proves nothing)."""
    mutations: dict[str, dict[str, object]] = {
        "ZWSP and BOM always removed in one pass": {"_BOM_JOINS": ()},
        "escapes never make EF meet a ZWSP": {"_BOM_JOINS": cleanup._BOM_JOINS[:2]},
        "EF right before a ZWSP not noticed": {"_BOM_JOINS": cleanup._BOM_JOINS[1:]},
        "fence lines recognised only when starting with the fence": {
            "_ASCII_SPACE": frozenset()},
        "an ESC left over by the CSI regex not noticed": {
            "_CSI_RUN_B": re.compile(rb"\x1b\[?[0-9;?]*[ -/]*[@-~]")},
    }
    for name, patches in mutations.items():
        with monkeypatch.context() as patch:
            patch_limits(patch, {**TINY, **patches})
            assert _first_difference(fuzz_inputs(5, 20_000)) is not None, name
