"""Pair precision and recall of a matcher run against the labelled set's truth."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from reconcile.matching import Outcome
from tests.support.reconcile_cases.builder import LabelledSet

__all__ = ["Pair", "Score", "pairs", "score"]

Pair = tuple[str, str, Decimal]


def pairs(outcome: Outcome) -> set[Pair]:
    """(bank reference, document, signed amount) of every allocation applied, summed per
    booking and document."""
    total: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for found in outcome.matches:
        for allocation in found.allocations:
            total[(found.bank_reference, allocation.invoice)] += allocation.amount
    return {(key, number, amount) for (key, number), amount in total.items() if amount != 0}


@dataclass(frozen=True, slots=True)
class Score:
    true_positives: int
    predicted: int
    expected: int

    @property
    def precision(self) -> float:
        return self.true_positives / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.expected if self.expected else 1.0


def score(labelled: LabelledSet, outcome: Outcome) -> tuple[Score, dict[str, Score]]:
    """Pair precision and recall, overall and per case class."""
    truth = {
        (key, number, amount)
        for key, allocations in labelled.truth.items()
        for number, amount in allocations.items()
    }
    found = pairs(outcome)
    per: dict[str, Score] = {}
    for case in sorted(set(labelled.case_of.values())):
        keys = set(labelled.of_case(case))
        t = {p for p in truth if p[0] in keys}
        f = {p for p in found if p[0] in keys}
        per[case] = Score(len(t & f), len(f), len(t))
    return Score(len(truth & found), len(found), len(truth)), per
