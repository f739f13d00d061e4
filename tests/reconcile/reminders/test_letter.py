"""The 14-day letter (art. 6:96 lid 6 BW; HR 25-11-2016, ECLI:NL:HR:2016:2704): the term runs
from the day after receipt for fourteen days; costs are owed from receipt + 15 days
(reference notes, section 3.2)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from reconcile.reminders import fourteen_day_letter
from reconcile.reminders.letter import add_business_days


def test_the_term_starts_the_day_after_receipt() -> None:
    letter = fourteen_day_letter(
        date(2026, 3, 2), Decimal("121.00"), Decimal("40.00"), received=date(2026, 3, 3)
    )
    assert letter.term_start == date(2026, 3, 4)
    assert letter.last_day_to_pay == date(2026, 3, 17)  # receipt + 14
    assert letter.costs_from == date(2026, 3, 18)  # receipt + 15
    assert (letter.amount, letter.costs) == (Decimal("121.00"), Decimal("40.00"))


def test_an_unknown_receipt_is_assumed_business_days_after_sending() -> None:
    # sent on Friday 4 December 2026: Monday 7 and Tuesday 8 are the two business days
    letter = fourteen_day_letter(date(2026, 12, 4), Decimal(1), Decimal(40), receipt_days=2)
    assert letter.received == date(2026, 12, 8)
    assert letter.last_day_to_pay == date(2026, 12, 22)
    assert add_business_days(date(2026, 12, 5), 1) == date(2026, 12, 7)  # Saturday -> Monday
    assert add_business_days(date(2026, 12, 7), 0) == date(2026, 12, 7)


def test_receipt_before_sending_is_refused() -> None:
    with pytest.raises(ValueError, match="before sent"):
        fourteen_day_letter(date(2026, 3, 2), Decimal(1), Decimal(40), received=date(2026, 3, 1))
