"""A stamped copy's end is first looked for where the block's bytes ended last time
(``Block.raw_len``), and taken only when exactly its lines end there: stamps that change
width, lines that come or go, never move a line."""

from __future__ import annotations

import random

import pytest

from kb_engine import RuleSet
from kb_engine.compiled import compile_pages
from kb_engine.loader import collect

from .test_repeats import _PAGE, _reports, _traceback


@pytest.fixture(scope="module")
def rules(tmp_path_factory: pytest.TempPathFactory) -> RuleSet:
    folder = tmp_path_factory.mktemp("rules")
    (folder / "crash-loop.yaml").write_text(_PAGE)
    pages, errors = collect([folder])
    assert not errors
    return RuleSet(compile_pages(pages))


def _stamp(rng: random.Random, width: int) -> str:
    return f"2026-11-28T10:00:00.{rng.randrange(10**width):0{width}d}Z "


@pytest.mark.parametrize("seed", range(6))
def test_copies_whose_stamps_change_width_give_the_answers_of_parsing_each(
        rules: RuleSet, seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(seed)
    out: list[str] = []
    for n in range(80):
        widths = [7] * len(_traceback(n).split("\n"))
        lines = [_stamp(rng, w) + line for w, line in zip(widths, _traceback(n).split("\n"),
                                                          strict=True)]
        kind = rng.random()
        if kind < 0.2:  # as many bytes, a line more: a space made a newline
            k = rng.randrange(1, len(lines))
            lines[k] = lines[k].replace(" ", "\n", 1)
        elif kind < 0.4:  # one stamp a digit wider, another a digit narrower: as many bytes
            a, b = rng.sample(range(len(lines)), 2)
            lines[a] = lines[a].replace("Z ", "0Z ", 1)
            lines[b] = lines[b].replace("0Z ", "Z ", 1) if "0Z " in lines[b] else lines[b]
        elif kind < 0.5:  # a stamp of another width: other bytes
            k = rng.randrange(len(lines))
            lines[k] = _stamp(rng, 5) + lines[k].split(" ", 1)[1]
        out += lines
        if rng.random() < 0.3:
            out.append(_stamp(rng, 7) + "INFO GET /health 200")
    with_memo, without = _reports(rules, "\n".join(out), monkeypatch)
    assert with_memo == without
