"""The first error line (a report's headline when no traceback gives one) is found by its
own small Hyperscan scan where Hyperscan runs (kb_engine.errorline): the same line as
reading every line finds, and a log repeating the words costs one hit a line."""

from __future__ import annotations

import pickle
import random

import pytest

from kb_engine import RuleSet
from kb_engine import errorline as el
from kb_engine.compiled import compile_pages
from kb_engine.loader import bundled_rules_dir, collect
from kb_engine.markers import PROBE_ERROR_LINE
from kb_engine.matcher import scan_text
from kb_engine.prefilter import HAVE_HYPERSCAN

pytestmark = pytest.mark.skipif(not HAVE_HYPERSCAN, reason="no hyperscan wheel here")

# Lines that hold an error word without being an error line, lines that are, and filler.
_NEAR = ["ERRORS were zero", "xERROR", "ERROR_COUNT=3", "FATALITY", "ExceptionGroupX",
         "\u00e9ERROR at the start", "MyError: not a word", "errors=0 Error_rate=0",
         "ERRORERROR", "CRITICALLY fine", "ERROR_" * 300]
_GOOD = ["ERROR boom", "x: Error", "level=CRITICAL", "FATAL", "raise Exception",
         "\u00e9 ERROR", "[ERROR]", "ERROR " * 400, "Exception\u00e9 no, but Error yes"]
_FILLER = ["INFO ok", "GET /health 200", "", "  indented", "\u00e9t\u00e9 \U0001f525 fine",
           "== == ==", "warning: disk 80%"]


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    pages, errors = collect([bundled_rules_dir()])
    assert not errors
    compiled = compile_pages(pages, prefer_hyperscan=True)
    assert compiled.prefilter.error_lines is not None
    return RuleSet(compiled)


def _first_error(rules: RuleSet, text: str, use_prefilter: bool) -> tuple[int, str] | None:
    return scan_text(rules.compiled, text, use_prefilter=use_prefilter).first_error_line


@pytest.mark.parametrize("piece", [el._PIECE, 64])
def test_the_first_error_line_is_the_one_reading_every_line_finds(
        rules: RuleSet, piece: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(el, "_PIECE", piece)  # 64 bytes: many pieces a window
    r = random.Random(7)
    found = 0
    for _ in range(150):
        n = r.randrange(1, 60)
        lines = [r.choice(_FILLER + _NEAR) for _ in range(n)]
        if r.random() < 0.7:
            lines.insert(r.randrange(n + 1), r.choice(_GOOD))
        text = "\n".join(lines) + r.choice(["", "\n"])
        fast = _first_error(rules, text, True)
        assert fast == _first_error(rules, text, False), text
        found += fast is not None
    assert found > 80  # most logs had one: the comparison was not of Nones


def test_a_first_error_line_in_a_later_window_is_found(rules: RuleSet) -> None:
    # Over 2 MB of near misses first: several windows, each scanned to its end.
    text = "\n".join(["ERRORS were zero"] * 150_000 + ["INFO ok", "FATAL: disk full"])
    assert _first_error(rules, text, True) == (150_001, "FATAL: disk full")


def test_a_line_repeating_the_words_is_one_candidate(rules: RuleSet) -> None:
    scan = rules.compiled.prefilter.error_lines
    assert scan is not None
    window = b"\n".join([b"ERROR " * 500, b"ok", b"x Error y Exception", b"ERRORS", b"none"])
    assert list(scan.lines(window)) == [0, 2, 3]
    # The main database no longer holds the words: a window of such lines has no hits
    # there, so it is not scanned line by line (kb_engine.prefilter's bounded path).
    cands, n = rules.compiled.prefilter.candidates(b"\n".join([b"ERROR " * 200] * 5000))
    assert n == 5000 and PROBE_ERROR_LINE not in cands


def test_the_scan_survives_the_rule_cache(rules: RuleSet) -> None:
    scan = rules.compiled.prefilter.error_lines
    assert scan is not None
    copy = pickle.loads(pickle.dumps(scan))
    window = b"a\nb ERROR c\n" * 3
    assert list(copy.lines(window)) == list(scan.lines(window)) == [1, 3, 5]
