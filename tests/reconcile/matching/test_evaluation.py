"""Pair precision and recall of the matcher on a large seeded labelled set (issue 16: precision
at least 0.99, recall at least 0.95)."""

from __future__ import annotations

from reconcile.matching import match
from tests.support.reconcile_cases import generate, score


def test_pair_precision_and_recall() -> None:
    labelled = generate(2026, debtors=3000)
    outcome = match(labelled.bookings, labelled.items, labelled.policy, prior=labelled.prior)
    overall, per_case = score(labelled, outcome)
    for case, figures in per_case.items():
        print(f"{case:20} precision {figures.precision:.3f} recall {figures.recall:.3f}")
    print(f"overall precision {overall.precision:.4f} recall {overall.recall:.4f}")
    assert overall.expected > 3000
    assert overall.precision >= 0.99
    assert overall.recall >= 0.95
    wrongly = [m.bank_reference for m in outcome.matches if not labelled.truth[m.bank_reference]]
    assert wrongly == []
