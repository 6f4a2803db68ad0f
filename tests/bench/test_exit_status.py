"""bench/run.py fails on changed answers, and only on those: a difference the documented
line cap explains exactly passes, as it does in the targets table."""

from __future__ import annotations

from typing import Any

from .test_bench_equivalence import _load

run = _load("run")

_CAP = ("the naive loop on lines cut to the engine's MAX_LINE_BYTES (65536) gives kb's "
        "answers exactly: the differences are that cap")


def _row(ok: bool, explained: str = "") -> dict[str, Any]:
    return {"ok": ok, "explained": explained}


def test_a_difference_the_line_cap_explains_passes_and_any_other_fails() -> None:
    res = run.Results()
    res.correctness = [_row(True), _row(False, _CAP)]
    res.parallel = [_row(True)]
    assert run.answers_ok(res)
    res.correctness.append(_row(False, "not explained by the engine's MAX_LINE_BYTES (65536) "
                                       "line cap"))
    assert not run.answers_ok(res)
    res.correctness.pop()
    res.parallel.append(_row(False))  # two processes disagreeing is never explained away
    assert not run.answers_ok(res)


def test_the_targets_table_and_the_exit_status_agree() -> None:
    res = run.Results()
    res.correctness = [_row(True), _row(False, _CAP)]
    row = next(r for r in run._targets(res, False) if r[0].startswith("same answers"))
    assert "PASS" in row[-1] and run.answers_ok(res)
    res.correctness.append(_row(False))
    row = next(r for r in run._targets(res, False) if r[0].startswith("same answers"))
    assert "FAIL" in row[-1] and not run.answers_ok(res)
