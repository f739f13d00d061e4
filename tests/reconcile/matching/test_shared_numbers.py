"""Two documents with one invoice number (BT-1): an invoice and a later credit note, or a
re-issued invoice under another source id. The matcher keeps them apart by their key
(connection, source id); a booking that names the shared number is ambiguous."""

from __future__ import annotations

from decimal import Decimal

from model.identifiers import rf
from reconcile.matching import match
from reconcile.open_items import DocumentKey, ItemKind
from reconcile.result import Allocation, Match, Stage, Unmatched
from tests.support.open_items import booking, item

RF_A = rf.create("20260100")
RF_B = rf.create("20260101")


def _suggested(entry: Unmatched) -> set[DocumentKey | None]:
    return {a.document for s in entry.suggestions for a in s.allocations}


def test_an_invoice_and_a_credit_note_with_one_number_are_both_suggested() -> None:
    items = [
        item("2026-0100", "121.00", "inv-1"),
        item("2026-0100", "21.00", "cn-1", kind=ItemKind.CREDIT_NOTE),
        item("2026-0101", "50.00", "inv-2", payment_reference=RF_B),
    ]
    outcome = match(
        {
            "A1": booking("121.00", text="factuur 2026-0100"),
            "A2": booking("50.00", structured_reference=RF_B),
        },
        items,
    )
    assert [m.bank_reference for m in outcome.matches] == ["A2"]
    assert outcome.matches[0].allocations[0].document == (None, "inv-2")
    (entry,) = outcome.unmatched
    assert entry.bank_reference == "A1"
    assert {(None, "inv-1"), (None, "cn-1")} <= _suggested(entry)
    assert outcome.open == {
        "2026-0100@inv-1": Decimal("121.00"),
        "2026-0100@cn-1": Decimal("21.00"),
        "2026-0101": Decimal("0.00"),
    }


def test_a_reissued_invoice_with_the_amount_of_one_is_not_picked_by_amount() -> None:
    items = [
        item("2026-0100", "121.00", "old"),
        item("2026-0100", "125.00", "new"),
    ]
    outcome = match({"A1": booking("125.00", text="fact 2026-0100")}, items)
    assert outcome.matches == []
    assert {(None, "old"), (None, "new")} <= _suggested(outcome.unmatched[0])
    assert outcome.open == {"2026-0100@old": Decimal("121.00"), "2026-0100@new": Decimal("125.00")}


def test_a_reference_still_tells_documents_with_one_number_apart() -> None:
    items = [
        item("2026-0100", "121.00", "old", payment_reference=RF_A),
        item("2026-0100", "121.00", "new", payment_reference=RF_B),
    ]
    outcome = match({"A1": booking("121.00", structured_reference=RF_B)}, items)
    (done,) = outcome.matches
    assert done.stage is Stage.REFERENCE
    assert [(a.invoice, a.document, a.amount) for a in done.allocations] == [
        ("2026-0100", (None, "new"), Decimal("121.00"))
    ]
    assert outcome.open["2026-0100@old"] == Decimal("121.00")


def test_a_reversal_reopens_the_document_the_payment_paid_not_its_namesake() -> None:
    paid = booking("121.00", structured_reference=RF_B, end_to_end_id="E2E-9", bank_reference="P-1")
    prior = Match(
        bank_reference="P-1",
        transaction=paid,
        allocations=(
            Allocation(invoice="2026-0100", document=(None, "new"), amount=Decimal("121.00")),
        ),
        stage=Stage.REFERENCE,
        reason="earlier",
        confidence=0.99,
    )
    items = [
        item("2026-0100", "121.00", "old"),
        item("2026-0100", "121.00", "new", open=Decimal("0.00")),
    ]
    returned = booking("-121.00", end_to_end_id="E2E-9", reversal=True, return_reason="MD06")
    outcome = match({"R": returned}, items, prior=[prior])
    (done,) = outcome.matches
    assert done.stage is Stage.REVERSAL and done.reverses == "P-1"
    assert [(a.document, a.amount) for a in done.allocations] == [
        ((None, "new"), Decimal("-121.00"))
    ]
    assert outcome.open == {"2026-0100@old": Decimal("121.00"), "2026-0100@new": Decimal("121.00")}
