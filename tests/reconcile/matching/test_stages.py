"""The stages on hand-written bookings: bank spellings of references and invoice numbers,
near misses, credit notes, and the open item built from a model invoice."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from model.document import DirectDebit, Identifier, PaymentMeans
from model.identifiers import betalingskenmerk, ogm, rf
from reconcile.matching import MatchPolicy, match
from reconcile.matching.tokens import number_keys, reference_candidates
from reconcile.open_items import ItemKind, OpenItem, open_item
from reconcile.result import Stage
from reconcile.transaction import Counterparty, Transaction
from tests.support.profile_documents import clean_invoice, credit_note

KENMERK = betalingskenmerk.create("000056789012345")  # 5000056789012345
RF = rf.create("539007547034")
OGM = ogm.create("0108068171")


def _item(number: str, amount: str, reference: str | None = None, **kw: object) -> OpenItem:
    values: dict[str, object] = {
        "number": number,
        "kind": ItemKind.INVOICE,
        "debtor": "0106:87654321",
        "debtor_name": "Koffiehuis Noord B.V.",
        "currency": "EUR",
        "amount": Decimal(amount),
        "open": Decimal(amount),
        "issue_date": date(2026, 11, 1),
        "payment_reference": reference,
    }
    values.update(kw)
    return OpenItem(**values)  # type: ignore[arg-type]


def _tx(amount: str, **kw: object) -> Transaction:
    return Transaction(booking_date=date(2026, 12, 1), amount=Decimal(amount), currency="EUR", **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("BETALINGSKENM.  5000 0567 8901 2345", KENMERK),
        ("5000.0567.8901.2345 dank", KENMERK),
        ("+++010/8068/17183+++", OGM),
        ("***010/8068/17183***", OGM),
        ("RF18 5390 0754 7034 betaling", RF),
        ("rf18539007547034", RF),
    ],
)
def test_reference_spellings(text: str, expected: str) -> None:
    assert expected in {c.value for c in reference_candidates(_tx("1", text=text))}
    items = [_item("2026-0842", "121.00", expected), _item("2026-0843", "121.00", "RF3220240001")]
    outcome = match({"A1": _tx("121.00", text=text)}, items)
    assert [(m.stage, m.allocations[0].invoice) for m in outcome.matches] == [
        (Stage.REFERENCE, "2026-0842")
    ]


@pytest.mark.parametrize(
    "text", ["fact 2026-0842", "INV2026 0842", "factuurnr 20260842", "Factuur: 2026/0842."]
)
def test_invoice_number_spellings(text: str) -> None:
    assert "20260842" in number_keys(_tx("1", text=text)) or "INV20260842" in number_keys(
        _tx("1", text=text)
    )
    outcome = match({"A1": _tx("50.00", text=text)}, [_item("2026-0842", "50.00")])
    assert outcome.matches[0].stage is Stage.INVOICE_NUMBER
    assert outcome.open == {"2026-0842": Decimal("0.00")}


def test_invoice_number_with_another_amount_from_an_unknown_payer_is_only_suggested() -> None:
    booking = _tx("20.00", text="fact 2026-0842", counterparty=Counterparty(name="X"))
    outcome = match({"A1": booking}, [_item("2026-0842", "50.00")])
    assert outcome.matches == []
    assert outcome.unmatched[0].suggestions[0].allocations[0].invoice == "2026-0842"


def test_near_reference_needs_a_plausible_debtor_and_the_exact_amount() -> None:
    wrong = KENMERK[:5] + str((int(KENMERK[5]) + 1) % 10) + KENMERK[6:]
    assert not betalingskenmerk.is_valid(wrong)
    items = [
        _item("2026-0842", "121.00", KENMERK, debtor_accounts=frozenset({"NL91ABNA0417164300"}))
    ]
    known = Counterparty(name="K. Noord", iban="NL91ABNA0417164300")
    stranger = Counterparty(name="Iemand", iban="NL02ABNA0123456789")
    hit = match({"A": _tx("121.00", structured_reference=wrong, counterparty=known)}, items)
    assert hit.matches[0].stage is Stage.NEAR_REFERENCE
    other_amount = match(
        {"A": _tx("120.00", structured_reference=wrong, counterparty=known)}, items
    )
    assert other_amount.matches == []
    unknown = match({"A": _tx("121.00", structured_reference=wrong, counterparty=stranger)}, items)
    assert unknown.matches == []
    assert unknown.unmatched[0].suggestions[0].stage is Stage.NEAR_REFERENCE


def test_credit_note_consumed_is_a_negative_allocation() -> None:
    items = [
        _item("2026-0842", "121.00", debtor_accounts=frozenset({"NL91ABNA0417164300"})),
        _item("CN-0001", "21.00", kind=ItemKind.CREDIT_NOTE),
    ]
    payer = Counterparty(iban="NL91ABNA0417164300")
    outcome = match({"A": _tx("100.00", counterparty=payer)}, items)
    amounts = {a.invoice: a.amount for a in outcome.matches[0].allocations}
    assert amounts == {"2026-0842": Decimal("121.00"), "CN-0001": Decimal("-21.00")}
    assert outcome.open == {"2026-0842": Decimal(0), "CN-0001": Decimal(0)}


def test_debits_are_never_matched() -> None:
    items = [_item("2026-0842", "121.00", KENMERK)]
    refund = _tx("-121.00", structured_reference=KENMERK, text="terugbetaling fact 2026-0842")
    outcome = match({"A": refund}, items)
    assert outcome.matches == []
    assert outcome.unmatched[0].bank_reference == "A"


def test_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="tolerance"):
        MatchPolicy(tolerance_amount=Decimal(-1))
    assert MatchPolicy(tolerance_percent=Decimal(1)).tolerance(Decimal("1000.00")) == Decimal(
        "10.00"
    )


def test_open_item_from_a_model_invoice() -> None:
    invoice = clean_invoice()
    means = PaymentMeans(
        code="59",
        remittance_info="RF18 5390 0754 7034",
        direct_debit=DirectDebit(mandate="M1", debited_account="NL91 ABNA 0417 1643 00"),
    )
    invoice = replace(invoice, payment_means=(means,))
    item = open_item(invoice, source_id="42")
    assert item.number == "2025-0001"
    assert item.kind is ItemKind.INVOICE
    assert item.debtor == "0106:87654321"
    assert item.payment_reference == RF
    assert item.debtor_accounts == frozenset({"NL91ABNA0417164300"})
    assert item.open == item.amount == Decimal("121.00")
    assert open_item(invoice, open=Decimal("21.00")).open == Decimal("21.00")
    note = open_item(credit_note(clean_invoice()))
    assert note.kind is ItemKind.CREDIT_NOTE
    assert note.signed_open == Decimal("-121.00")
    nameless = replace(
        invoice.buyer,
        legal_registration=None,
        vat_id=None,
        endpoint=None,
        name="Koffiehuis Noord B.V.",
    )
    assert open_item(replace(invoice, buyer=nameless)).debtor == "name:koffiehuis noord"
    vat_only = replace(
        nameless, vat_id="NL987654321B01", endpoint=Identifier(value="x", scheme="0106")
    )
    assert open_item(replace(invoice, buyer=vat_only)).debtor == "vat:NL987654321B01"


def test_a_return_of_a_payment_of_unknown_documents_stays_unmatched() -> None:
    from reconcile.result import Allocation, Match

    earlier = _tx("50.00", end_to_end_id="E2E-1", bank_reference="OLD-1")
    prior = Match(
        bank_reference="OLD-1",
        transaction=earlier,
        allocations=(Allocation(invoice="2025-9999", amount=Decimal("50.00")),),
        stage=Stage.REFERENCE,
        reason="earlier",
        confidence=0.99,
    )
    returned = _tx("-50.00", end_to_end_id="E2E-1", reversal=True, return_reason="MD06")
    outcome = match({"R": returned}, [_item("2026-0842", "50.00")], prior=[prior])
    assert outcome.matches == []
    assert outcome.open == {"2026-0842": Decimal("50.00")}
