"""DSO by the simple formula and by count-back, on a worked example and against receivables
summed day by day from the documents."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from reconcile.credit.dso import (
    MonthFigures,
    countback_dso,
    dso_by_month,
    month_figures,
    simple_dso,
)
from reconcile.credit.history import History


def test_worked_example() -> None:
    # Sales: January 100, February 200, March 300; 450 open at the end of March (2026: February
    # has 28 days). Count-back: March's 300 takes 31 days, the remaining 150 is 150/200 of
    # February's 28 days = 21, so 52.0. Simple: 450 / 300 x 31 = 46.5.
    figures = [
        MonthFigures(date(2026, 1, 1), Decimal("100"), Decimal("100")),
        MonthFigures(date(2026, 2, 1), Decimal("250"), Decimal("200")),
        MonthFigures(date(2026, 3, 1), Decimal("450"), Decimal("300")),
    ]
    assert countback_dso(figures) == Decimal("52.0")
    assert simple_dso(Decimal("450"), Decimal("300"), 31) == Decimal("46.5")
    rows = dso_by_month(figures)
    assert [row.simple for row in rows] == [Decimal("31.0"), Decimal("35.0"), Decimal("46.5")]
    # January alone: 100 open of 100 sold, all 31 days. February: 250 open, its 200 sold take
    # 28 days, the other 50 is half of January's 100, so 15.5 more: 43.5.
    assert [row.countback for row in rows] == [Decimal("31.0"), Decimal("43.5"), Decimal("52.0")]


def test_countback_without_enough_history_and_without_sales() -> None:
    figures = [MonthFigures(date(2026, 1, 1), Decimal("500"), Decimal("100"))]
    assert countback_dso(figures) is None
    assert simple_dso(Decimal("500"), Decimal("0"), 31) is None
    nothing_open = [MonthFigures(date(2026, 1, 1), Decimal("0"), Decimal("100"))]
    assert countback_dso(nothing_open) == Decimal("0.0")
    # A month without sales counts all its days and takes nothing off.
    gap = [
        MonthFigures(date(2026, 1, 1), Decimal("100"), Decimal("100")),
        MonthFigures(date(2026, 2, 1), Decimal("100"), Decimal("0")),
    ]
    assert countback_dso(gap) == Decimal("59.0")


def _month_ends(first: date, count: int) -> list[date]:
    ends, day = [], first
    while len(ends) < count:
        nxt = day + timedelta(days=1)
        if nxt.month != day.month:
            ends.append(day)
        day = nxt
    return ends


def test_month_figures_agree_with_receivables_summed_day_by_day() -> None:
    rng = random.Random(11)
    documents = []
    for i in range(300):
        issued = date(2025, 10, 1) + timedelta(days=rng.randrange(240))
        amount = Decimal(rng.randrange(-5000, 100000)) / 100
        settlements = []
        left = amount
        for _ in range(rng.randrange(3)):
            part = (left * Decimal(rng.choice(["0.5", "1"]))).quantize(Decimal("0.01"))
            settlements.append((issued + timedelta(days=rng.randrange(0, 90)), part))
            left -= part
        documents.append(
            History(
                number=f"N{i}",
                debtor=f"d{i % 7}",
                currency=rng.choice(["EUR", "EUR", "USD"]),
                amount=amount,
                issue_date=issued,
                settlements=tuple(settlements),
            )
        )
    figures = month_figures(documents, date(2026, 1, 15), date(2026, 5, 2), currency="EUR")
    eur = [doc for doc in documents if doc.currency == "EUR"]
    ends = _month_ends(date(2026, 1, 1), 5)
    assert [f.month for f in figures] == [end.replace(day=1) for end in ends]
    for figure, end in zip(figures, ends, strict=True):
        assert figure.receivable == sum((doc.open_on(end) for doc in eur), Decimal(0))
        assert figure.sales == sum(
            (doc.amount for doc in eur if doc.issue_date.replace(day=1) == figure.month),
            Decimal(0),
        )
