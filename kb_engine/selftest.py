"""Sample-driven tests of a rule pack (``kb test``) and the confusion report.

- a positive sample must rank its cause first,
- a near-miss negative must not report its cause,
- a corpus log (healthy, or from another ecosystem) must produce no diagnosis.

Pure: callers pass sample texts; the loader finds the files.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from .ruleset import RuleSet


@dataclass(frozen=True)
class Sample:
    name: str
    expected: str | None  # "page/cause" or None for corpus logs
    polarity: str  # "pos", "neg" or "corpus"
    text: str


@dataclass(frozen=True)
class Outcome:
    sample: Sample
    passed: bool
    got: list[str]
    message: str


def check_sample(rules: RuleSet, sample: Sample) -> Outcome:
    report = rules.diagnose(sample.text, top=5)
    got = [d.id for d in report.diagnoses]
    if sample.polarity == "pos":
        ok = bool(got) and got[0] == sample.expected
        msg = "" if ok else (f"expected {sample.expected} first, got "
                             f"{', '.join(got[:3]) or 'no diagnosis'}")
    elif sample.polarity == "neg":
        ok = sample.expected not in got
        msg = "" if ok else f"near-miss fired {sample.expected}"
    else:
        ok = not got
        msg = "" if ok else f"healthy/foreign log diagnosed as {', '.join(got[:3])}"
    return Outcome(sample, ok, got, msg)


def run(rules: RuleSet, samples: Sequence[Sample]) -> list[Outcome]:
    return [check_sample(rules, s) for s in samples]


def confusion(
    outcomes: Sequence[Outcome],
) -> tuple[Counter[tuple[str, str]], Counter[tuple[str, str]]]:
    """Over positive samples: (expected, other) pairs where ``other`` outranked the expected
    cause, and pairs where it was also reported below it."""
    outranked: Counter[tuple[str, str]] = Counter()
    cofired: Counter[tuple[str, str]] = Counter()
    for o in outcomes:
        exp = o.sample.expected
        if o.sample.polarity != "pos" or exp is None:
            continue
        above = True
        for got in o.got:
            if got == exp:
                above = False
            else:
                (outranked if above else cofired)[(exp, got)] += 1
    return outranked, cofired
