"""Open items and bookings written by hand for the matcher's tests: one debtor, EUR."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from reconcile.open_items import ItemKind, OpenItem
from reconcile.transaction import Counterparty, Transaction

__all__ = ["PAYER", "booking", "item"]

PAYER = Counterparty(name="Koffiehuis Noord B.V.", iban="NL91ABNA0417164300")
"""The debtor's own account (its BT-91 on every :func:`item`)."""


def item(number: str, amount: str, source_id: str, **kw: object) -> OpenItem:
    """An invoice of the debtor ``0106:87654321``, open for ``amount``; ``kw`` overrides."""
    values: dict[str, object] = {
        "number": number,
        "kind": ItemKind.INVOICE,
        "debtor": "0106:87654321",
        "debtor_name": "Koffiehuis Noord B.V.",
        "debtor_accounts": frozenset({PAYER.iban}),
        "currency": "EUR",
        "amount": Decimal(amount),
        "open": Decimal(amount),
        "issue_date": date(2026, 11, 1),
        "source_id": source_id,
    }
    values.update(kw)
    return OpenItem(**values)  # type: ignore[arg-type]


def booking(amount: str, **kw: object) -> Transaction:
    """A booking of 1 December 2026 in EUR from :data:`PAYER` unless ``kw`` says otherwise."""
    values: dict[str, object] = {
        "booking_date": date(2026, 12, 1),
        "amount": Decimal(amount),
        "currency": "EUR",
        "counterparty": PAYER,
    }
    values.update(kw)
    return Transaction(**values)  # type: ignore[arg-type]
