"""One payment carrying two structured references (RF, betalingskenmerk, OGM), for two open
invoices: applied to both when the amount is what they owe together, else not applied."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal

import pytest

from model.identifiers import betalingskenmerk, ogm, rf
from reconcile.matching import match
from reconcile.open_items import OpenItem
from reconcile.result import Stage
from reconcile.transaction import Counterparty, Transaction
from tests.support.open_items import PAYER, booking, item


def _item(number: str, amount: str, reference: str) -> OpenItem:
    return item(number, amount, number, payment_reference=reference, debtor_accounts=frozenset())


def _tx(amount: str, **kw: object) -> Transaction:
    kw.setdefault("counterparty", Counterparty(name="Iemand", iban="NL02ABNA0123456789"))
    return booking(amount, **kw)


def _rf(number: int) -> tuple[str, str]:
    value = rf.create(f"INV{number}")
    return value, rf.format(value)


def _kenmerk(number: int) -> tuple[str, str]:
    value = betalingskenmerk.create(f"{number:015d}")
    return value, betalingskenmerk.format(value)


def _ogm(number: int) -> tuple[str, str]:
    value = ogm.create(f"{number:010d}")
    return value, ogm.format(value)


KINDS: dict[str, Callable[[int], tuple[str, str]]] = {
    "rf": _rf,
    "betalingskenmerk": _kenmerk,
    "ogm": _ogm,
}


@pytest.fixture(params=sorted(KINDS))
def two(request: pytest.FixtureRequest) -> tuple[list[OpenItem], str]:
    make = KINDS[request.param]
    (ref6, spelled6), (ref7, spelled7) = make(6), make(7)
    items = [_item("INV-6", "100.00", ref6), _item("INV-7", "21.50", ref7)]
    return items, f"{spelled6} INV6 {spelled7} INV7"


def test_the_sum_of_both_is_applied_to_both(two: tuple[list[OpenItem], str]) -> None:
    items, text = two
    outcome = match({"A1": _tx("121.50", text=text)}, items)
    (done,) = outcome.matches
    assert done.stage is Stage.REFERENCE
    assert {a.invoice: a.amount for a in done.allocations} == {
        "INV-6": Decimal("100.00"),
        "INV-7": Decimal("21.50"),
    }
    assert done.unapplied == 0
    assert outcome.open == {"INV-6": Decimal("0.00"), "INV-7": Decimal("0.00")}


@pytest.mark.parametrize("known", [False, True], ids=["unknown payer", "known payer"])
@pytest.mark.parametrize("amount", ["100.00", "21.50", "110.00", "130.00"])
def test_another_amount_is_not_applied(
    two: tuple[list[OpenItem], str], amount: str, known: bool
) -> None:
    """Not by the references, and not by a later stage either (the invoice numbers in the
    text, the payer known by its account)."""
    items, text = two
    if known:
        items = [replace(i, debtor_accounts=frozenset({PAYER.iban})) for i in items]
    payer = PAYER if known else Counterparty(name="Iemand", iban="NL02ABNA0123456789")
    outcome = match({"A1": _tx(amount, text=text, counterparty=payer)}, items)
    assert outcome.matches == []
    suggested = {a.invoice for s in outcome.unmatched[0].suggestions for a in s.allocations}
    assert suggested >= {"INV-6", "INV-7"}
    assert outcome.open == {i.number: i.open for i in items}


def test_two_creditor_references_in_the_structured_fields() -> None:
    (ref6, _), (ref7, _) = _rf(6), _rf(7)
    items = [_item("INV-6", "100.00", ref6), _item("INV-7", "21.50", ref7)]
    booking = _tx("121.50", structured_reference=ref6, structured_references=(ref6, ref7))
    outcome = match({"A1": booking}, items)
    (done,) = outcome.matches
    assert {a.invoice for a in done.allocations} == {"INV-6", "INV-7"}
