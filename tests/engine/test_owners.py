"""LineOwners answers as the dict of line -> failure it replaced."""

from __future__ import annotations

import random

from kb_engine.owners import LineOwners


def _same_as_a_dict(ops: list[tuple[str, int, int, int]]) -> None:
    owners, ref = LineOwners(), {}
    for op, a, b, fid in ops:
        if op == "span":
            owners.add_span(a, b, fid)
            for ln in range(a, b + 1):
                ref[ln] = fid
        elif op == "set":
            owners[a] = fid
            ref[a] = fid
        else:
            owners.setdefault(a, fid)
            ref.setdefault(a, fid)
    for ln in range(-2, 260):
        assert owners.get(ln) == ref.get(ln), (ops, ln)
        assert (ln in owners) == (ln in ref)
    assert len(owners) == len(ref)


def test_line_owners_answer_as_a_dict_in_the_order_scoring_uses() -> None:
    rng = random.Random(2)
    for _ in range(500):
        ops, at = [], 0
        for fid in range(1, rng.randrange(1, 12)):  # spans in order, as tracebacks come
            at += rng.randrange(0, 20)
            end = at + rng.randrange(0, 15)
            ops.append(("span", at, end, fid))
            at = end + 1
        ops += [(rng.choice(["set", "default"]), rng.randrange(250), 0, rng.randrange(1, 30))
                for _ in range(rng.randrange(10))]
        _same_as_a_dict(ops)


def test_spans_out_of_order_answer_as_a_dict_too() -> None:
    rng = random.Random(3)
    for _ in range(500):
        ops = []
        for fid in range(1, rng.randrange(2, 8)):
            a = rng.randrange(200)
            ops.append(("span", a, a + rng.randrange(30), fid))
        ops += [(rng.choice(["set", "default"]), rng.randrange(250), 0, rng.randrange(1, 30))
                for _ in range(rng.randrange(6))]
        _same_as_a_dict(ops)
