"""Evidence against a reading (reconcile/matching/conflicts.py): the two wrong matches the
harder labelled set found, each as its minimal case, and the exact readings left alone."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from model.identifiers import betalingskenmerk
from reconcile.matching import MatchPolicy, match
from reconcile.open_items import ItemKind, OpenItem
from reconcile.transaction import Counterparty, Transaction

PAYER = Counterparty(name="Koffiehuis Noord B.V.", iban="NL44RABO0123456789")
REFERENCE = betalingskenmerk.create("201580082596933")
TOLERANT = MatchPolicy(tolerance_amount=Decimal("5.00"))


def _item(number: str, amount: str, reference: str | None = None) -> OpenItem:
    return OpenItem(
        number=number,
        kind=ItemKind.INVOICE,
        debtor="0106:10000007",
        debtor_name="Koffiehuis Noord B.V.",
        debtor_accounts=frozenset({PAYER.iban or ""}),
        currency="EUR",
        amount=Decimal(amount),
        open=Decimal(amount),
        issue_date=date(2026, 10, 1),
        due_date=date(2026, 10, 31),
        payment_reference=reference,
    )


def _paid(amount: str, **values: object) -> dict[str, Transaction]:
    return {
        "ACR-1": Transaction(
            booking_date=date(2026, 11, 20),
            amount=Decimal(amount),
            currency="EUR",
            counterparty=PAYER,
            bank_reference="ACR-1",
            **values,  # type: ignore[arg-type]
        )
    }


def test_a_stale_reference_against_the_invoice_named_with_its_exact_amount_is_not_applied() -> None:
    items = [_item("2026-00014", "817.34", REFERENCE), _item("2026-00015", "533.22")]
    outcome = match(_paid("533.22", structured_reference=REFERENCE, text="fact 2026-00015"), items)
    assert outcome.matches == []
    (entry,) = outcome.unmatched
    suggested = {a.invoice for s in entry.suggestions for a in s.allocations}
    assert suggested == {"2026-00014", "2026-00015"}
    assert outcome.open == {"2026-00014": Decimal("817.34"), "2026-00015": Decimal("533.22")}


def test_a_partial_payment_by_reference_naming_nothing_else_is_still_applied() -> None:
    items = [_item("2026-00014", "817.34", REFERENCE), _item("2026-00015", "533.22")]
    outcome = match(_paid("400.00", structured_reference=REFERENCE, text="termijn 1"), items)
    (done,) = outcome.matches
    assert [(a.invoice, a.amount) for a in done.allocations] == [("2026-00014", Decimal("400.00"))]


def test_a_reference_with_its_exact_amount_wins_over_another_invoice_named() -> None:
    items = [_item("2026-00014", "817.34", REFERENCE), _item("2026-00015", "533.22")]
    outcome = match(
        _paid("817.34", structured_reference=REFERENCE, text="zie ook 2026-00015"), items
    )
    (done,) = outcome.matches
    assert {a.invoice for a in done.allocations} == {"2026-00014"}


def test_a_tolerance_fit_is_not_applied_where_combinations_fit_exactly() -> None:
    items = [
        _item("2026-06066", "217.20"),
        _item("2026-06067", "736.90"),
        _item("2026-06068", "736.90"),
        _item("2026-06069", "955.47"),
    ]
    outcome = match(_paid("954.10"), items, TOLERANT)  # 217.20 + 736.90, twice; 955.47 - 1.37
    assert outcome.matches == []
    assert {a.invoice for s in outcome.unmatched[0].suggestions for a in s.allocations} >= {
        "2026-06069"
    }


def test_a_tolerance_fit_alone_is_still_applied() -> None:
    items = [_item("2026-06066", "217.20"), _item("2026-06069", "955.47")]
    outcome = match(_paid("954.10"), items, TOLERANT)
    (done,) = outcome.matches
    assert [(a.invoice, a.amount) for a in done.allocations] == [("2026-06069", Decimal("954.10"))]


def test_a_reference_of_a_settled_invoice_is_not_applied_by_amount_to_another() -> None:
    """A payer pays an invoice twice; another open invoice of theirs lies within tolerance."""
    settled = _item("2026-02656", "4830.48", REFERENCE)
    items = [
        replace(settled, open=Decimal(0)),
        _item("2026-02658", "4832.10"),
    ]
    outcome = match(_paid("4830.48", structured_reference=REFERENCE), items, TOLERANT)
    assert outcome.matches == []
    assert outcome.open["2026-02658"] == Decimal("4832.10")


def test_a_stale_reference_short_within_tolerance_against_the_invoice_named() -> None:
    reference = "RF37000009106"
    items = [_item("2026-09106", "1362.37", reference), _item("2026-09107", "1358.42")]
    outcome = match(
        _paid("1358.42", structured_reference=reference, text="fact 2026-09107"), items, TOLERANT
    )
    assert outcome.matches == []
