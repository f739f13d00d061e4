"""The bank statement of ``ledgerlink demo``: one day's camt.053 for the demo invoices, with
what each booking should do beside it.

:func:`demo_bookings` picks, from the open items of the demo's store (the invoices and credit
notes the sync cycle recorded), one document per case, in invoice-number order (BT-1), so the
same fixtures always give the same statement:

* a full payment quoting the structured payment reference (BT-83) in the structured field;
* a full payment with the reference spelled in the text, as a payer types it
  (``+++202/6118/70063+++``, grouped digits, ``RF18 ...``);
* a partial payment: half of an invoice, by its reference;
* a combined payment: one transfer for two invoices of one buyer (BT-44), naming both numbers;
* an invoice paid net of the same buyer's credit note, naming both;
* bookings that are nobody's invoice: the rent, the bank's costs, a tax refund.

Payers pay from an account of their own (a made-up but checked Dutch IBAN per buyer). A case
for which the documents hold no fitting document is left out. Only documents in EUR
(BT-5, the statement's currency) with something open are paid.

:func:`write_statement` writes the statement (:mod:`reconcile.statements.camt_writer`) for
:data:`ACCOUNT`, which the demo's settings file lists as the connection's account.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Final

from model.identifiers import betalingskenmerk, ogm, rf
from reconcile.open_items import ItemKind, OpenItem
from reconcile.transaction import Counterparty, Transaction

__all__ = [
    "ACCOUNT",
    "DAY",
    "OPENING",
    "STATEMENT_ID",
    "DemoBooking",
    "demo_bookings",
    "payer_iban",
    "write_statement",
]

ACCOUNT: Final = "NL91ABNA0417164300"
"""The demo connection's bank account (the statement's ``Acct/Id/IBAN``)."""
DAY: Final = date(2026, 12, 7)
"""The statement's booking day."""
STATEMENT_ID: Final = "DEMO-2026-12-07"
OPENING: Final = Decimal("12500.00")
"""The opening balance; the closing balance is the opening plus the bookings."""
CURRENCY: Final = "EUR"


@dataclass(frozen=True, slots=True)
class DemoBooking:
    """One booking of the demo statement and what it should do."""

    case: str
    """The case it shows, in words (``partial payment``)."""
    transaction: Transaction
    truth: dict[str, Decimal] = field(default_factory=dict)
    """Per document number (BT-1): the signed reduction of its open amount the booking should
    apply (negative for a credit note consumed); empty for a booking that must stay
    unmatched."""


def payer_iban(name: str) -> str:
    """A checked Dutch IBAN made up from a payer's name (the same name, the same IBAN)."""
    digits = int(hashlib.sha256(name.encode("utf-8")).hexdigest(), 16) % 10**10
    body = f"INGB{digits:010d}"
    numeric = "".join(str(int(ch, 36)) for ch in body + "NL00")
    check = 98 - int(numeric) % 97
    return f"NL{check:02d}{body}"


def _checked(reference: str | None) -> bool:
    """A structured reference whose check digits hold (RF, OGM, betalingskenmerk of 9-16)."""
    if not reference:
        return False
    if reference.startswith("RF"):
        return rf.is_valid(reference)
    if _is_ogm(reference):
        return True
    return len(reference) > 7 and betalingskenmerk.is_valid(reference)


def _is_ogm(reference: str | None) -> bool:
    return reference is not None and len(reference) == 12 and ogm.is_valid(reference)


def _spelled(reference: str) -> str:
    """A reference as a payer types it in the text."""
    if reference.startswith("RF"):
        return rf.format(reference)
    if _is_ogm(reference):
        return f"+++{reference[:3]}/{reference[3:7]}/{reference[7:]}+++"
    return f"betalingskenmerk {betalingskenmerk.format(reference)}"


def _payer(item: OpenItem) -> Counterparty:
    return Counterparty(name=item.debtor_name, iban=payer_iban(item.debtor_name))


class _Picker:
    """The open EUR documents not yet used by a case, in number order."""

    def __init__(self, items: Sequence[OpenItem]) -> None:
        self.items = sorted(
            (i for i in items if i.currency == CURRENCY and i.open > 0), key=lambda i: i.number
        )
        self.used: set[str] = set()

    def invoices(self) -> Iterator[OpenItem]:
        for item in self.items:
            if item.kind is ItemKind.INVOICE and item.number not in self.used:
                yield item

    def take(self, *items: OpenItem) -> None:
        self.used.update(i.number for i in items)

    def with_reference(self, *, ogm_first: bool = False) -> OpenItem | None:
        """The first invoice with a checked reference (with ``ogm_first``, an OGM if any)."""
        checked = [i for i in self.invoices() if _checked(i.payment_reference)]
        found = next((i for i in checked if ogm_first and _is_ogm(i.payment_reference)), None)
        found = found or next(iter(checked), None)
        if found is not None:
            self.take(found)
        return found

    def pair_of_one_buyer(self) -> tuple[OpenItem, OpenItem] | None:
        by_debtor: dict[str, list[OpenItem]] = {}
        for item in self.invoices():
            by_debtor.setdefault(item.debtor, []).append(item)
        for group in by_debtor.values():
            if len(group) >= 2:
                self.take(*group[:2])
                return group[0], group[1]
        return None

    def netted(self) -> tuple[OpenItem, OpenItem] | None:
        credits = [
            i for i in self.items if i.kind is ItemKind.CREDIT_NOTE and i.number not in self.used
        ]
        for credit in credits:
            for invoice in self.invoices():
                if invoice.debtor == credit.debtor and invoice.open > credit.open:
                    self.take(invoice, credit)
                    return invoice, credit
        return None


def demo_bookings(items: Sequence[OpenItem]) -> list[DemoBooking]:
    """The demo statement's bookings for the open ``items`` (see the module)."""
    pick = _Picker(items)
    found: list[DemoBooking] = []

    def add(case: str, truth: dict[str, Decimal], **values: object) -> None:
        reference = f"DEMO-{DAY:%m%d}-{len(found) + 1:03d}"
        transaction = Transaction(
            booking_date=DAY,
            value_date=DAY,
            currency=CURRENCY,
            bank_reference=reference,
            **values,  # type: ignore[arg-type]
        )
        found.append(DemoBooking(case=case, transaction=transaction, truth=truth))

    if (full := pick.with_reference()) is not None:
        add(
            "full payment, structured reference",
            {full.number: full.open},
            amount=full.open,
            counterparty=_payer(full),
            structured_reference=full.payment_reference,
            end_to_end_id=f"PAY-{full.number}",
        )
    if (typed := pick.with_reference(ogm_first=True)) is not None:  # an OGM if any
        assert typed.payment_reference is not None
        add(
            "full payment, reference typed in the text",
            {typed.number: typed.open},
            amount=typed.open,
            counterparty=_payer(typed),
            text=_spelled(typed.payment_reference),
        )
    if (part := pick.with_reference()) is not None:
        half = (part.open / 2).quantize(Decimal("0.01"))
        add(
            "partial payment",
            {part.number: half},
            amount=half,
            counterparty=_payer(part),
            structured_reference=part.payment_reference,
            text="eerste termijn",
        )
    if (pair := pick.pair_of_one_buyer()) is not None:
        first, second = pair
        add(
            "combined payment, two invoices",
            {first.number: first.open, second.number: second.open},
            amount=first.open + second.open,
            counterparty=_payer(first),
            text=f"facturen {first.number} en {second.number}",
        )
    if (netted := pick.netted()) is not None:
        invoice, credit = netted
        add(
            "invoice paid net of its credit note",
            {invoice.number: invoice.open, credit.number: -credit.open},
            amount=invoice.open - credit.open,
            counterparty=_payer(invoice),
            text=f"factuur {invoice.number} minus creditnota {credit.number}",
        )
    add(
        "unrelated: the rent",
        {},
        amount=Decimal("-1850.00"),
        counterparty=Counterparty(name="Vastgoed Stationsweg B.V.", iban=payer_iban("Vastgoed")),
        text="huur december 2026 Stationsweg 12",
        bank_code="PMNT-ICDT-ESCT",
    )
    add(
        "unrelated: the bank's costs",
        {},
        amount=Decimal("-12.50"),
        text="kosten betalingsverkeer november",
        bank_code="ACMT-MDOP-CHRG",
    )
    add(
        "unrelated: a tax refund",
        {},
        amount=Decimal("386.00"),
        counterparty=Counterparty(name="Belastingdienst", iban=payer_iban("Belastingdienst")),
        text="teruggaaf omzetbelasting 3e kwartaal 2026",
    )
    return found


def write_statement(path: Path, bookings: Sequence[DemoBooking]) -> None:
    """Write the camt.053.001.02 statement of ``bookings`` for :data:`ACCOUNT` to ``path``."""
    from reconcile.statements.camt_writer import camt053

    path.write_bytes(
        camt053(
            ACCOUNT,
            [booking.transaction for booking in bookings],
            statement_id=STATEMENT_ID,
            currency=CURRENCY,
            opening=OPENING,
        )
    )
