"""Each case class of the labelled set on its own: what it applies, and the open amounts after."""

from __future__ import annotations

from decimal import Decimal

import pytest

from reconcile.matching import match
from reconcile.result import Stage
from tests.support.reconcile_cases import (
    CASES,
    MUST_STAY_UNMATCHED,
    SUGGESTED_ONLY,
    generate,
    pairs,
    score,
)

APPLIED = [case for case in CASES if case not in MUST_STAY_UNMATCHED | SUGGESTED_ONLY]


@pytest.mark.parametrize("case", APPLIED)
def test_each_case_applies_exactly_its_truth(case: str) -> None:
    labelled = generate(11, debtors=30, cases=[case])
    outcome = match(labelled.bookings, labelled.items, labelled.policy, prior=labelled.prior)
    overall, _ = score(labelled, outcome)
    assert overall.expected > 0
    assert overall.precision == 1.0
    assert overall.recall == 1.0
    assert outcome.open == labelled.expected_open()


@pytest.mark.parametrize("case", sorted(MUST_STAY_UNMATCHED | SUGGESTED_ONLY))
def test_cases_that_must_stay_unmatched(case: str) -> None:
    labelled = generate(12, debtors=30, cases=[case])
    outcome = match(labelled.bookings, labelled.items, labelled.policy, prior=labelled.prior)
    assert outcome.matches == []
    assert {u.bank_reference for u in outcome.unmatched} == set(labelled.bookings)
    assert outcome.open == {i.number: i.open for i in labelled.items}
    if case in SUGGESTED_ONLY:
        for entry in outcome.unmatched:
            meant = set(labelled.truth[entry.bank_reference])
            assert meant == {a.invoice for a in entry.suggestions[0].allocations}


def test_ambiguous_keeps_both_candidates_as_suggestions() -> None:
    labelled = generate(13, debtors=10, cases=["ambiguous"])
    outcome = match(labelled.bookings, labelled.items, labelled.policy)
    for entry in outcome.unmatched:
        suggested = {a.invoice for s in entry.suggestions for a in s.allocations}
        same = {
            i.number
            for i in labelled.items
            if i.open == entry.transaction.amount
            and i.debtor_name
            == (entry.transaction.counterparty.name if entry.transaction.counterparty else "")
        }
        assert len(same) >= 2
        assert same <= suggested


def test_stages_and_confidences_are_reported() -> None:
    labelled = generate(14, debtors=len(CASES) * 3)
    outcome = match(labelled.bookings, labelled.items, labelled.policy, prior=labelled.prior)
    by_case = {labelled.case_of[m.bank_reference]: m for m in outcome.matches}
    assert by_case["reference"].stage is Stage.REFERENCE
    assert by_case["reference"].confidence >= 0.95
    assert by_case["near_reference"].stage is Stage.NEAR_REFERENCE
    assert by_case["near_reference"].confidence < by_case["reference"].confidence
    assert by_case["invoice_number"].stage is Stage.INVOICE_NUMBER
    assert by_case["combination"].stage is Stage.DEBTOR_AMOUNT
    assert by_case["tolerance"].stage is Stage.TOLERANCE
    assert by_case["return_prior_run"].stage is Stage.REVERSAL
    assert by_case["return_prior_run"].reverses is not None
    assert by_case["overpayment"].unapplied == Decimal("25.00")
    assert all(m.reason for m in outcome.matches)


def test_tolerance_write_off_closes_the_invoice() -> None:
    from dataclasses import replace

    labelled = generate(15, debtors=10, cases=["tolerance"])
    policy = replace(labelled.policy, write_off=True)
    outcome = match(labelled.bookings, labelled.items, policy)
    assert outcome.matches
    for found in outcome.matches:
        assert found.written_off == Decimal("2.50")
        assert all(outcome.open[a.invoice] == 0 for a in found.allocations)


def test_without_tolerance_a_short_payment_by_amount_is_not_applied() -> None:
    from reconcile.matching import MatchPolicy

    labelled = generate(16, debtors=10, cases=["tolerance"])
    outcome = match(labelled.bookings, labelled.items, MatchPolicy())
    assert outcome.matches == []


def test_reversal_in_the_same_run_reopens_the_invoice() -> None:
    labelled = generate(17, debtors=5, cases=["reversal_same_run"])
    outcome = match(labelled.bookings, labelled.items, labelled.policy)
    assert outcome.open == {i.number: i.open for i in labelled.items}
    reversal = [m for m in outcome.matches if m.stage is Stage.REVERSAL]
    assert len(reversal) == 5
    assert all(a.amount < 0 for m in reversal for a in m.allocations)


def test_batch_children_are_filed_under_the_parent() -> None:
    labelled = generate(18, debtors=5, cases=["direct_debit_batch"])
    outcome = match(labelled.bookings, labelled.items, labelled.policy)
    assert {m.bank_reference for m in outcome.matches} == set(labelled.bookings)
    found = pairs(outcome)
    assert len(found) == sum(len(t.children) for t in labelled.bookings.values())
