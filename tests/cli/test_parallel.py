"""Two-process scanning of a big file: the answer of one process, whatever the child does."""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import IO, Any

import pytest

from kb_cli import parallel
from kb_engine import RuleSet, load_rules

PACK = Path(__file__).resolve().parent.parent / "fixtures" / "pack"
DEMO = PACK / "demo"

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rules([PACK], include_bundled=False, use_cache=False)


@pytest.fixture
def log(tmp_path: Path) -> Path:
    filler = "".join(f"2024-05-01 12:00:{i % 60:02d} INFO request {i} served\n"
                     for i in range(20_000))
    path = tmp_path / "big.log"
    path.write_text((DEMO / "demo-errors.pool.pos.log").read_text() + filler + filler
                    + (DEMO / "demo-errors.worker-timeout.pos.log").read_text())
    return path


def _whole(rules: RuleSet, path: Path) -> dict[str, Any]:
    return rules.diagnose(path.read_bytes(), top=5).to_dict()


def test_two_processes_give_the_answer_of_one(rules: RuleSet, log: Path) -> None:
    ticks: list[int] = []
    report = parallel.diagnose_file(rules, str(log), ticks.append, top=5)
    assert report is not None
    assert report.to_dict() == _whole(rules, log)
    assert sum(ticks) == log.stat().st_size
    assert {d.id for d in report.diagnoses} >= {"demo-errors/pool", "demo-errors/worker-timeout"}


def test_a_child_sending_garbage_is_replaced_by_the_parent(
    rules: RuleSet, log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def garbage(obj: object, out: IO[bytes], protocol: int | None = None) -> None:
        out.write(pickle.dumps(obj, protocol=protocol)[:100])  # cut short

    monkeypatch.setattr(parallel.pickle, "dump", garbage)  # only the child dumps
    report = parallel.diagnose_file(rules, str(log), lambda n: None, top=5)
    assert report is not None and report.to_dict() == _whole(rules, log)
