"""Exposure per debtor against its limit: credit notes net, currencies apart, the alert
boundaries, and the check that holds an invoice before delivery."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from reconcile.credit.exposure import Alert, CreditLimit, exposures
from reconcile.open_items import ItemKind, OpenItem


def item(
    debtor: str,
    open_: str,
    *,
    kind: ItemKind = ItemKind.INVOICE,
    currency: str = "EUR",
    number: str = "X",
) -> OpenItem:
    return OpenItem(
        number=number, kind=kind, debtor=debtor, debtor_name=debtor, currency=currency,
        amount=Decimal(open_), open=Decimal(open_), issue_date=date(2026, 1, 1),
    )  # fmt: skip


def test_credit_notes_net_and_currencies_stay_apart() -> None:
    rows = exposures(
        [
            item("a", "1000.00"),
            item("a", "250.00"),
            item("a", "100.00", kind=ItemKind.CREDIT_NOTE),
            item("a", "40.00", currency="USD"),
            item("b", "10.00", kind=ItemKind.CREDIT_NOTE),
        ],
        {"a": CreditLimit(Decimal("2000"), "EUR")},
    )
    got = {(row.debtor, row.currency): (row.receivable, row.limit) for row in rows}
    assert got == {
        ("a", "EUR"): (Decimal("1150.00"), Decimal("2000")),
        ("a", "USD"): (Decimal("40.00"), None),
        ("b", "EUR"): (Decimal("-10.00"), None),
    }
    a_eur = rows[0]
    assert a_eur.utilisation == Decimal("57.50")
    assert a_eur.headroom == Decimal("850.00")


@pytest.mark.parametrize(
    ("owed", "alert"),
    [
        ("0.00", Alert.NONE),
        ("799.99", Alert.NONE),
        ("800.00", Alert.NEAR),
        ("1000.00", Alert.NEAR),
        ("1000.01", Alert.BREACH),
    ],
)
def test_alert_at_near_breach_and_breach(owed: str, alert: Alert) -> None:
    (row,) = exposures([item("a", owed)], {"a": CreditLimit(Decimal("1000"), "EUR")})
    assert row.alert is alert


def test_uninvoiced_orders_count_and_a_limit_without_items_shows_headroom() -> None:
    rows = exposures(
        [item("a", "600")],
        {"a": CreditLimit(Decimal("1000"), "EUR"), "c": CreditLimit(Decimal("500"), "EUR")},
        uninvoiced={("a", "EUR"): Decimal("300")},
        near=Decimal("0.95"),
    )
    a, c = rows
    assert (a.total, a.alert, a.utilisation) == (Decimal("900"), Alert.NONE, Decimal("90.00"))
    assert (c.debtor, c.total, c.headroom) == ("c", Decimal("0"), Decimal("500"))
    assert a.would_breach(Decimal("100")) is False
    assert a.would_breach(Decimal("100.01")) is True


def test_zero_limit_is_breached_by_any_debt_and_has_no_utilisation() -> None:
    (row,) = exposures([item("a", "0.01")], {"a": CreditLimit(Decimal("0"), "EUR")})
    assert (row.alert, row.utilisation) == (Alert.BREACH, None)


def test_bad_limits_and_shares_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        CreditLimit(Decimal("-1"), "EUR")
    with pytest.raises(ValueError, match="near-breach"):
        exposures([], near=Decimal("1.5"))
