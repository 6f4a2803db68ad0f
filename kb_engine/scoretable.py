"""What ranking needs of every cause and signature, as plain columns.

A big log makes hundreds or thousands of causes candidates, and scoring one needs only
its signature ids, their weights, its runtime and whether it has version limits. Reading
those from the cached ``Cause`` and ``Sig`` objects would build each one (``LazyList``)
in the process that ranks, after the scan, where nothing runs in parallel. The columns
are built once at compile time, cached with the rules, and unpickle as a few lists.
Only the causes a report shows are ever built.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .record import Record

if TYPE_CHECKING:  # pragma: no cover
    from .compiled import Cause, Sig


class ScoreTable(Record):
    """Columns indexed by signature id (``sig_*``) or cause index (``cause_*``)."""

    sig_cause: list[int]
    sig_negative: list[bool]
    sig_weight: list[float]
    cause_sigs: list[tuple[int, ...]]
    cause_rule_out: list[tuple[int, ...]]
    cause_key: list[str]
    cause_python: list[bool]  # runtime "python": hits inside foreign stack traces ignored
    cause_versioned: list[bool]  # has package or Python limits to check against the input

    def __init__(self, sig_cause: list[int], sig_negative: list[bool],
                 sig_weight: list[float], cause_sigs: list[tuple[int, ...]],
                 cause_rule_out: list[tuple[int, ...]], cause_key: list[str],
                 cause_python: list[bool], cause_versioned: list[bool]) -> None:
        self.sig_cause = sig_cause
        self.sig_negative = sig_negative
        self.sig_weight = sig_weight
        self.cause_sigs = cause_sigs
        self.cause_rule_out = cause_rule_out
        self.cause_key = cause_key
        self.cause_python = cause_python
        self.cause_versioned = cause_versioned


def score_table(causes: Sequence[Cause], sigs: Sequence[Sig]) -> ScoreTable:
    """The columns of freshly compiled causes and signatures (ids are list positions)."""
    assert all(s.sid == i for i, s in enumerate(sigs))
    return ScoreTable(
        sig_cause=[s.cause for s in sigs], sig_negative=[s.negative for s in sigs],
        sig_weight=[s.weight for s in sigs], cause_sigs=[tuple(c.sigs) for c in causes],
        cause_rule_out=[tuple(c.rule_out) for c in causes], cause_key=[c.key for c in causes],
        cause_python=[c.runtime == "python" for c in causes],
        cause_versioned=[bool(c.packages or c.python) for c in causes],
    )
