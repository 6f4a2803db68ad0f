"""Scanning in parts (for parallel scans of big logs) gives the same report as one pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb_engine.parts import safe_split
from tests.support import RULES, rules

BENIGN = sorted((RULES / "_corpus" / "benign").glob("*.log"))
POSITIVES = sorted(RULES.rglob("*.pos.log"))[::7]


def _inputs() -> list[tuple[str, bytes]]:
    filler = b"".join(p.read_bytes() for p in BENIGN[:6])
    out = []
    for pos in POSITIVES:
        text = pos.read_bytes()
        out.append((pos.name, filler + text + filler + text + filler))
    return out


@pytest.mark.parametrize(("name", "data"), _inputs(), ids=lambda x: x if isinstance(x, str)
                         else "")
def test_parts_merge_to_the_same_report(name: str, data: bytes) -> None:
    cut = safe_split(data, len(data) // 2)
    assert cut is not None, "the benign filler offers record boundaries"
    assert data[cut - 1:cut] == b"\n"
    whole = rules().diagnose(data, explain=True).to_dict(explain=True)
    parts = [rules().scan_part([data[:cut]]), rules().scan_part([data[cut:]])]
    merged = rules().diagnose_parts(parts, explain=True).to_dict(explain=True)
    assert merged == whole


def test_no_split_inside_a_traceback() -> None:
    tb = Path(POSITIVES[0]).read_bytes()
    data = b"Traceback (most recent call last):\n" + b'  File "/app/x.py", line 1, in f\n' * 5000
    assert safe_split(data, 10) is None
    assert safe_split(tb, 0) is None or tb[safe_split(tb, 0) or 0:][:1] not in (b" ", b"\t")
