"""What a payment is matched against: an invoice or credit note with the amount still open.

Built from the EN 16931 model (:class:`model.document.Invoice`), by :func:`open_item`. The
matcher never sees the whole document, only what matching needs.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

__all__ = ["ItemKind", "OpenItem"]


class ItemKind(enum.StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenItem:
    """One receivable document as the matcher sees it."""

    number: str
    """BT-1 Invoice number."""
    kind: ItemKind
    """BT-3 type: 381 is a credit note, every other code an invoice."""
    debtor: str
    """A stable key of the buyer (BG-7): its legal registration id (BT-47) or VAT id (BT-48)
    or endpoint id (BT-49) with scheme, else ``name:`` and the normalised name (BT-44)."""
    debtor_name: str
    """BT-44 Buyer name."""
    debtor_accounts: frozenset[str] = frozenset()
    """IBANs the debtor is known to pay from: the direct-debit account (BT-91) and any the
    store has seen the debtor pay with."""
    currency: str
    """BT-5 Invoice currency code."""
    amount: Decimal
    """BT-115 Amount due for payment, as issued: positive for an invoice, and for a credit
    note the amount it credits, as a positive number (its effect on what the debtor owes is
    negative)."""
    open: Decimal
    """What is still open of ``amount``, same sign convention (0 when settled)."""
    issue_date: date
    """BT-2 Invoice issue date."""
    due_date: date | None = None
    """BT-9 Payment due date."""
    payment_reference: str | None = None
    """BT-83 Remittance information (the structured reference the buyer should quote), compact."""
    source_id: str | None = None
    """The source system's record id (for push-back), when known."""

    @property
    def signed_open(self) -> Decimal:
        """What the debtor owes by this item: ``open`` for an invoice, ``-open`` for a credit
        note."""
        return -self.open if self.kind is ItemKind.CREDIT_NOTE else self.open
