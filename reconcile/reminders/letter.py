"""The Dutch consumer 14-day letter (veertiendagenbrief, art. 6:96 lid 6 BW).

The letter must state the amount owed, the collection costs that will be charged (the WIK
amount) if the debtor does not pay within fourteen days, and that term. The term starts the
day after *receipt* of the letter (HR 25 November 2016, ECLI:NL:HR:2016:2704): it runs from
``received + 1`` to ``received + 14`` inclusive, and the costs are owed from ``received + 15``.
When the receipt date is not known it is assumed ``receipt_days`` business days (Monday to
Friday) after sending.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

__all__ = ["FourteenDayLetter", "add_business_days", "fourteen_day_letter"]


@dataclass(frozen=True, slots=True)
class FourteenDayLetter:
    """What a veertiendagenbrief states and when its term ends."""

    sent: date
    received: date
    """The date of receipt (given, or assumed from the sending date)."""
    amount: Decimal
    """The amount owed (the open part of BT-115 Amount due for payment)."""
    costs: Decimal
    """The WIK costs that will be charged if the term passes without payment."""

    @property
    def term_start(self) -> date:
        """The first day of the fourteen days: the day after receipt."""
        return self.received + timedelta(days=1)

    @property
    def last_day_to_pay(self) -> date:
        """The exact end date of the term (inclusive) the letter must state."""
        return self.received + timedelta(days=14)

    @property
    def costs_from(self) -> date:
        """The first day the costs are owed when nothing was paid."""
        return self.received + timedelta(days=15)


def add_business_days(day: date, count: int) -> date:
    """``day`` plus ``count`` days that are not a Saturday or Sunday."""
    while count > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            count -= 1
    return day


def fourteen_day_letter(
    sent: date,
    amount: Decimal,
    costs: Decimal,
    *,
    receipt_days: int = 2,
    received: date | None = None,
) -> FourteenDayLetter:
    """The letter sent on ``sent``; received on ``received`` or ``receipt_days`` business
    days after sending."""
    if received is not None and received < sent:
        raise ValueError(f"received {received} is before sent {sent}")
    return FourteenDayLetter(
        sent=sent,
        received=received or add_business_days(sent, receipt_days),
        amount=amount,
        costs=costs,
    )
