import random
from pathlib import Path

import pytest

from kb_engine import fingerprint, mask, masks

ROOT = Path(__file__).resolve().parents[2]


def plain(text: str) -> str:
    """The reference: every mask in turn, over the whole text."""
    for name, pattern in masks.MASKS:
        text = pattern.sub(f"<{name}>", text)
    return text


@pytest.fixture
def known(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """An empty mask cache of this test's own."""
    cache: dict[str, str] = {}
    monkeypatch.setattr(masks, "_known", cache)
    return cache


def test_masks_name_each_volatile_token() -> None:
    line = ("2026-11-27T10:00:01.123Z pid=4411 connect to 10.1.2.3:5432 failed "
            "at 0x7f3a2b, request 1b4e28ba-2fa1-11d2-883f-0016d3cca427 in /srv/app/db.py")
    out = mask(line)
    for name in ("TIMESTAMP", "PID", "IP", "HEX", "UUID", "PATH"):
        assert f"<{name}>" in out, name
    assert "4411" not in out and "5432" not in out


def test_fingerprint_is_stable_across_runs_but_not_across_errors() -> None:
    a = fingerprint("TimeoutError: QueuePool limit of size 5 overflow 10 reached, timeout 30.00")
    b = fingerprint("TimeoutError: QueuePool limit of size 20 overflow 0 reached, timeout 5.00")
    c = fingerprint("KeyError: 'DATABASE_URL'")
    assert a == b
    assert a != c
    assert len(a) == 12 and int(a, 16) >= 0


def test_mask_shortcuts_never_change_the_result() -> None:
    alphabet = [*"0123456789abcdefABCDEF-:./\\ xT,Z+@_", "0x", "port ", "pid=", "PID:",
                "process ", "Process ", "\u0663", "\u212a", "\u017f", "\u0130"]
    rng = random.Random(11)
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        assert masks._mask(text) == plain(text), text
        if text.isascii():
            assert masks._mask_ascii(text) == plain(text), text


def _log_lines() -> list[str]:
    logs = sorted([*ROOT.glob("rules/**/*.log"), *ROOT.glob("tests/fixtures/**/*.log")])
    assert len(logs) > 100
    lines: list[str] = []
    for path in logs:
        lines += path.read_bytes().decode("utf-8", "surrogateescape").split("\n")
    return lines


def test_every_log_line_masks_as_the_reference(known: dict[str, str]) -> None:
    lines = _log_lines()
    want = {t[:masks.MAX_MASKED_LEN]: plain(t[:masks.MAX_MASKED_LEN]) for t in lines}
    got = masks.masked(lines)
    assert list(got) == list(want)
    bad = [t for t in want if got[t] != want[t]]
    assert not bad, bad[:5]
    assert known == want
    # the same lines one at a time, and as one multi-line text
    masks._known.clear()
    assert all(mask(t) == want[t] for t in want)
    ascii_whole = "\n".join(t for t in lines if t.isascii())
    assert masks._mask_ascii(ascii_whole) == plain(ascii_whole)


# Pieces that sit on the masks' edges: digits (ASCII and not), words around numbers, the
# literals the shortcuts look for, what \b and the lookbehinds see, case folding (Kelvin
# sign, long s, dotted/dotless i), newlines and carriage returns inside a text.
_PIECES = [
    *"0123456789", *"abcdefxyzABCDEFXYZ", *"-:./\\ _T,Z+@=\t\r\"'()[]<>",
    "\n", "\n", "0x", "0X", "port ", "Port ", "port", "pid=", "pid:", "PID ", "pId=", "process ",
    "Process ", "PROCESS ", "p\u0130d=", "p\u0131d:", "proce\u017fs ", "\u212a", "\u0663",
    "\u0664\u0665", "\u00e9", "\ufeff", "\U0001f600", "C:\\", "c:\\x\\", "/a/b", "/", "//",
    "/srv/app.py", "@v1", "1.2.3.4", "10.0.0.1:5432", "256.1.1.1", "1.2.3.4.5",
    "2024-05-14", "2024-05-14T08:00:00", "2024-05-14 08:00:00,123", "08:00:00",
    "08:00:00.5", "+01:00", "-0530", "Z", "1b4e28ba-2fa1-11d2-883f-0016d3cca427",
    "1B4E28BA-2FA1-11D2-883F-0016D3CCA427", "deadbeefdeadbeef", "0123456789abcdef0",
    "deadbeef", "v2", "x12", "_9", "3.14", "1.2.", "12345", "123456",
]


def _fuzz_texts(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    texts: list[str] = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.03:
            texts.append("")
            continue
        pieces = rng.randint(1, 12) if roll < 0.6 else rng.randint(12, 60)
        text = "".join(rng.choice(_PIECES) for _ in range(pieces))
        if roll > 0.97:  # long: around the cut
            while len(text) < masks.MAX_MASKED_LEN + 50:
                text += rng.choice(_PIECES)
            text = text[: masks.MAX_MASKED_LEN + rng.randint(-2, 2)]
        if rng.random() < 0.5:  # mostly ASCII, as real log lines are
            text = text.encode("ascii", "ignore").decode("ascii")
        texts.append(text)
    return texts


@pytest.mark.parametrize("seed", range(6))
def test_fuzzed_batches_mask_as_the_reference(seed: int, known: dict[str, str]) -> None:
    texts = _fuzz_texts(seed, 800)
    rng = random.Random(seed)
    for start in range(0, len(texts), 100):
        batch = texts[start: start + rng.randint(1, 100)]
        assert masks._mask_many(batch) == [plain(t) for t in batch]
    cut = [t[: masks.MAX_MASKED_LEN] for t in texts]
    assert masks.masked(texts) == {t: plain(t) for t in cut}
    for text in texts:
        if text.isascii():
            assert masks._mask_ascii(text) == plain(text), text
        assert masks._mask(text) == plain(text), text


def test_a_batch_is_not_one_text() -> None:
    # What joining must not do: a "\n" inside a text, a text ending in a word character
    # before one starting with one, "port" split over two texts.
    texts = ["a\nb 12", "2024-05-14", "T08:00:00", "port", " 8080", "dead", "beefdeadbeefdead",
             "x", "5", "", "1.2", ".3.4", "/a", "/b/"]
    assert masks._mask_many(texts) == [plain(t) for t in texts]


def test_masked_leaves_the_cache_as_mask_does(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(masks, "_KNOWN_MAX", 7)
    # "id 3 at 0x3" is known (as something else) at first, then dropped with the cache
    texts = [f"id {i % 9} at 0x{i:x}" for i in range(25)] + ["x" * 2500, "x" * 2600]
    texts += ["id 3 at 0x3", "old"]
    start = {"id 3 at 0x3": "stale", "old": "old"}
    monkeypatch.setattr(masks, "_known", dict(start))
    want_out = {t[: masks.MAX_MASKED_LEN]: mask(t) for t in texts}
    want_known = list(masks._known.items())
    monkeypatch.setattr(masks, "_known", dict(start))
    got = masks.masked(texts)
    assert got == want_out and list(got) == list(want_out)
    assert list(masks._known.items()) == want_known
    # without eviction too
    monkeypatch.setattr(masks, "_KNOWN_MAX", 1000)
    monkeypatch.setattr(masks, "_known", dict(start))
    want_out = {t[: masks.MAX_MASKED_LEN]: mask(t) for t in texts}
    want_known = list(masks._known.items())
    monkeypatch.setattr(masks, "_known", dict(start))
    assert masks.masked(texts) == want_out
    assert list(masks._known.items()) == want_known


def test_shifted_spans_are_the_spans_sub_replaces() -> None:
    # A mask searched from a literal inside it finds what the mask finds, also where a
    # match right after the last one would overlap it ("12-34-56": only "12-34").
    import re

    cases = [(re.compile(r"\d\d-\d\d"), re.compile(r"-(?<=\d\d-)\d\d"), 2),
             (re.compile(r"(?<=ab)\d+"), re.compile(r"ab\d+"), -2)]
    rng = random.Random(5)
    for _ in range(3000):
        text = "".join(rng.choice(["1", "2", "-", "a", "b", "ab", " "]) for _ in range(20))
        for mask_pattern, at_literal, shift in cases:
            want = [m.span() for m in mask_pattern.finditer(text)]
            assert masks._shifted_spans(at_literal, shift, text) == want, text


def test_the_fingerprint_is_the_sha1_of_the_masked_parts() -> None:
    """Stored feedback is keyed by it: the digest must not change with its implementation."""
    import hashlib

    from kb_engine.masks import mask

    parts = ("KeyError: 'user_42' at 2024-01-01T00:00:00Z", "app.views:get", "é")
    want = hashlib.sha1("\x1f".join(mask(p) for p in parts).encode()).hexdigest()[:12]
    assert fingerprint(*parts) == want
