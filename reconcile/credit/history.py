"""A document's life as the credit figures need it: issued, due, and settled over time.

The store builds these from its documents and match events; DSO and payment behaviour are
computed from them. Amounts are signed as the debtor owes them: positive for an invoice,
negative for a credit note.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

__all__ = ["History"]


@dataclass(frozen=True, slots=True, kw_only=True)
class History:
    number: str
    """BT-1 Invoice number."""
    debtor: str
    """The debtor key (:func:`reconcile.open_items.debtor_key`)."""
    currency: str
    """BT-5 Invoice currency code."""
    amount: Decimal
    """BT-115 Amount due for payment, signed: negative for a credit note."""
    issue_date: date
    """BT-2 Invoice issue date."""
    due_date: date | None = None
    """BT-9 Payment due date (``None``: due on the issue date)."""
    sent_on: date | None = None
    """When the document reached the debtor (``None``: taken as the issue date)."""
    settlements: tuple[tuple[date, Decimal], ...] = ()
    """What reduced the open amount, by booking date, in the sign of ``amount``; a reversal
    is a negative settlement."""

    @property
    def due(self) -> date:
        return self.due_date or self.issue_date

    @property
    def sent(self) -> date:
        return self.sent_on or self.issue_date

    def open_on(self, day: date) -> Decimal:
        """The amount still open at the end of ``day`` (0 before it was issued)."""
        if day < self.issue_date:
            return Decimal("0")
        return self.amount - sum((paid for on, paid in self.settlements if on <= day), Decimal(0))

    @property
    def paid_on(self) -> date | None:
        """The day the settlements first covered the whole amount and it stayed covered
        (a later reversal re-opens it); ``None`` while something is open."""
        if self.amount == 0:
            return self.issue_date
        settled = Decimal("0")
        paid: date | None = None
        for on, amount in sorted(self.settlements):
            settled += amount
            paid = paid or on if abs(settled) >= abs(self.amount) else None
        return paid
