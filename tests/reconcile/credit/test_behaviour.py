"""Payment behaviour: the day an invoice counts as paid, days to pay and late, the six-month
trend, and late rates by amount band and weekday."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from reconcile.credit.behaviour import debtor_behaviour, late_rate_by_band, late_rate_by_weekday
from reconcile.credit.history import History

ON = date(2026, 6, 30)


def doc(
    amount: str, issued: date, due_days: int, *paid: tuple[date, str], debtor: str = "a"
) -> History:
    return History(
        number="N", debtor=debtor, currency="EUR", amount=Decimal(amount), issue_date=issued,
        due_date=issued + timedelta(days=due_days),
        settlements=tuple((on, Decimal(value)) for on, value in paid),
    )  # fmt: skip


def test_paid_on_is_the_day_it_was_covered_and_a_reversal_reopens() -> None:
    issued = date(2026, 1, 1)
    assert doc("100", issued, 30, (date(2026, 1, 10), "40"), (date(2026, 1, 20), "60")).paid_on == (
        date(2026, 1, 20)
    )
    reopened = doc("100", issued, 30, (date(2026, 1, 10), "100"), (date(2026, 1, 12), "-100"))
    assert reopened.paid_on is None
    paid_again = doc(
        "100", issued, 30, (date(2026, 1, 10), "100"), (date(2026, 1, 12), "-100"),
        (date(2026, 2, 3), "100"),
    )  # fmt: skip
    assert paid_again.paid_on == date(2026, 2, 3)


def test_days_to_pay_days_late_and_a_worsening_trend() -> None:
    documents = []
    # One invoice a month, January to June, each paid later after its due date: 0, 2, 4... days.
    for month in range(1, 7):
        issued = date(2026, month, 1)
        documents.append(
            doc("100", issued, 10, (issued + timedelta(days=10 + 2 * (month - 1)), "100"))
        )
    documents.append(doc("50", date(2026, 6, 1), 10, debtor="b"))  # open: not counted as paid
    documents.append(doc("-20", date(2026, 6, 1), 10, debtor="c"))  # credit note: left out
    a, b = debtor_behaviour(documents, ON)
    assert (a.debtor, a.paid, a.days_late, a.days_to_pay) == (
        "a",
        6,
        Decimal("5.0"),
        Decimal("15.0"),
    )
    assert [value for _, value in a.monthly_days_late] == [Decimal(v) for v in (0, 2, 4, 6, 8, 10)]
    assert a.trend == Decimal("2.0")
    assert (b.debtor, b.paid, b.days_late, b.trend) == ("b", 0, None, None)


def test_late_rates_by_band_and_weekday() -> None:
    monday = date(2026, 6, 1)
    documents = [
        doc("100", monday, 5, (monday + timedelta(days=3), "100")),  # <= 100, on time
        doc("100.01", monday, 5, (monday + timedelta(days=9), "100.01")),  # 100-1000, late
        doc("5000", monday + timedelta(days=1), 5),  # open past due on ON: late
        doc("20000", ON, 30),  # not due yet and open: not counted
    ]
    bands = {rate.label: (rate.invoices, rate.late) for rate in late_rate_by_band(documents, ON)}
    assert bands == {
        "0-100": (1, 0),
        "100-1,000": (1, 1),
        "1,000-10,000": (1, 1),
        "> 10,000": (0, 0),
    }
    days = {rate.label: (rate.invoices, rate.rate) for rate in late_rate_by_weekday(documents, ON)}
    assert days["Monday"] == (2, Decimal("0.5"))
    assert days["Tuesday"] == (1, Decimal("1"))
    assert days["Sunday"] == (0, None)
